#include "client/netpolctl/command.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"

namespace netpol::netpolctl {

void PrintError(absl::string_view command, absl::string_view message) {
  std::string line = absl::StrCat("netpolctl ", command, ": ", message, "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void PrintUsageError(absl::string_view command, absl::string_view message) {
  PrintError(command, message);
  std::string hint =
      absl::StrCat("Run 'netpolctl ", command, " --help' for usage.\n");
  std::fwrite(hint.data(), 1, hint.size(), stderr);
}

}  // namespace netpol::netpolctl
