#ifndef NETPOL_CLIENT_NETPOLCTL_COMMAND_H_
#define NETPOL_CLIENT_NETPOLCTL_COMMAND_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "client/netpolctl/args.h"

namespace netpol::netpolctl {

// Exit codes shared by every subcommand.
enum ExitCode : int {
  kExitOk = 0,
  // Some input (a query line, the connection given to check) was invalid.
  kExitInvalidInput = 1,
  // Bad usage, unreadable or invalid manifests, an I/O failure, or a server
  // that could not be reached or failed: nothing (or not everything) was
  // evaluated.
  kExitUsage = 2,
  // impact and diff with --fail-on: the report holds what --fail-on names.
  // The report was printed in full.
  kExitFailOn = 3,
};

struct Command {
  absl::string_view name;
  absl::string_view summary;  // one line, for `netpolctl --help`
  absl::string_view usage;    // full text, for `netpolctl <name> --help`
  absl::Span<const FlagSpec> flags;
  int (*run)(const ParsedArgs& args);  // returns an ExitCode
  size_t max_positionals = 0;          // arguments other than flags
};

// Prints "netpolctl <command>: <message>" to stderr.
void PrintError(absl::string_view command, absl::string_view message);
// PrintError plus a pointer to the command's --help.
void PrintUsageError(absl::string_view command, absl::string_view message);

const Command& EvalCommand();
const Command& CheckCommand();
const Command& MatrixCommand();
const Command& ValidateCommand();
const Command& SnapshotInfoCommand();
const Command& SnapshotApplyCommand();
const Command& SnapshotRollbackCommand();
const Command& ImpactCommand();
const Command& DiffCommand();

}  // namespace netpol::netpolctl

#endif  // NETPOL_CLIENT_NETPOLCTL_COMMAND_H_
