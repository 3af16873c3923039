#ifndef NETPOL_CLIENT_NETPOLCTL_ARGS_H_
#define NETPOL_CLIENT_NETPOLCTL_ARGS_H_

// Command-line parsing for subcommands. Each subcommand declares its own
// flags, so a flag of one command is an error on another (absl::Flags are
// global and could not tell them apart).

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace netpol::netpolctl {

// A flag spelled "--name VALUE", "--name=VALUE", or "--name" for switches.
struct FlagSpec {
  absl::string_view name;  // without the leading "--"
  bool takes_value = false;
  bool repeatable = false;
};

struct ParsedArgs {
  bool help = false;  // -h or --help was given
  absl::flat_hash_map<std::string, std::vector<std::string>> values;
  std::vector<std::string> positionals;  // arguments that are not flags

  bool Has(absl::string_view name) const { return values.contains(name); }
  // The value of a non-repeatable flag, if given.
  std::optional<absl::string_view> Value(absl::string_view name) const;
  // Every value of a repeatable flag, in command-line order.
  const std::vector<std::string>& Values(absl::string_view name) const;
};

// Parses the arguments after the subcommand name. InvalidArgument names
// the offending argument: an unknown flag, a missing or unexpected value, a
// non-repeatable flag given twice, or more than `max_positionals`
// positional arguments.
absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const char* const> args,
                                     absl::Span<const FlagSpec> flags,
                                     size_t max_positionals = 0);

}  // namespace netpol::netpolctl

#endif  // NETPOL_CLIENT_NETPOLCTL_ARGS_H_
