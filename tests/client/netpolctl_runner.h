#ifndef NETPOL_TESTS_CLIENT_NETPOLCTL_RUNNER_H_
#define NETPOL_TESTS_CLIENT_NETPOLCTL_RUNNER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace netpol::netpolctl::testing {

struct RunResult {
  int exit_code = -1;  // 128 + signal number when killed by a signal
  std::string out;
  std::string err;
};

// Runs the built netpolctl with `args`, feeding `input` on stdin. Standard
// streams go through files, so no amount of output can deadlock.
RunResult RunNetpolctl(const std::vector<std::string>& args,
                       absl::string_view input = "");

// A fresh directory for the running test under ::testing::TempDir().
std::string MakeTestDir();

// Writes `content` to `dir`/`name` and returns the path.
std::string WriteFile(const std::string& dir, absl::string_view name,
                      absl::string_view content);

// Splits output into lines, dropping the final newline.
std::vector<std::string> Lines(absl::string_view text);

}  // namespace netpol::netpolctl::testing

#endif  // NETPOL_TESTS_CLIENT_NETPOLCTL_RUNNER_H_
