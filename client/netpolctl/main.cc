// netpolctl: command-line client of the NetworkPolicy decision engine.
// Dispatches to a subcommand; each one parses its own flags.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "client/netpolctl/args.h"
#include "client/netpolctl/command.h"
#include "client/netpolctl/remote_flags.h"

namespace netpol::netpolctl {
namespace {

absl::Span<const Command* const> Commands() {
  static const Command* const commands[] = {&EvalCommand(),
                                            &CheckCommand(),
                                            &MatrixCommand(),
                                            &ValidateCommand(),
                                            &ImpactCommand(),
                                            &DiffCommand(),
                                            &SnapshotInfoCommand(),
                                            &SnapshotApplyCommand(),
                                            &SnapshotRollbackCommand()};
  return commands;
}

// Commands named "<group> <sub>", e.g. "snapshot info".
constexpr absl::string_view kSnapshotGroup = "snapshot";

// Flags that may also come before the command, as in
// `netpolctl --server ADDR eval`: they are handed to the command as if
// given after it.
bool IsLeadingFlag(absl::string_view arg) {
  for (const FlagSpec& flag : {kServerFlag, kAdminFlag, kTimeoutFlag}) {
    const std::string spelled = absl::StrCat("--", flag.name);
    if (arg == spelled || absl::StartsWith(arg, absl::StrCat(spelled, "="))) {
      return true;
    }
  }
  return false;
}

void Print(std::FILE* file, absl::string_view text) {
  std::fwrite(text.data(), 1, text.size(), file);
}

std::string MainUsage() {
  std::string usage =
      "Usage: netpolctl <command> [flags]\n\n"
      "       netpolctl --server ADDR <command> [flags]\n\n"
      "Answers Kubernetes NetworkPolicy questions offline, from manifests,\n"
      "or from a live netpol-pdp: check and eval take --server ADDR (the\n"
      "data plane, host:port) instead of --manifests and print the same\n"
      "output, as do impact and diff (diff then compares two retained\n"
      "versions); matrix and validate are offline only. The snapshot\n"
      "commands talk to a server: info to the data plane (--server), apply\n"
      "and rollback to the admin service (--admin, default\n"
      "127.0.0.1:50052).\n"
      "--server, --admin and --timeout may come before the command.\n\n"
      "Commands:\n";
  for (const Command* command : Commands()) {
    absl::StrAppend(&usage, "  ", command->name,
                    std::string(19 - command->name.size(), ' '),
                    command->summary, "\n");
  }
  absl::StrAppend(
      &usage,
      "  version            print the version\n"
      "  help               print this help, or `help <command>`\n\n"
      "Run 'netpolctl <command> --help' for a command's flags.\n"
      "Exit status: 0 success, 1 invalid input, 2 usage or manifest error,\n"
      "or a server that could not be reached or failed, 3 impact or diff\n"
      "with --fail-on found what it names.\n");
  return usage;
}

const Command* FindCommand(absl::string_view name) {
  for (const Command* command : Commands()) {
    if (command->name == name) return command;
  }
  return nullptr;
}

int Main(absl::Span<const char* const> argv) {
  std::vector<const char*> leading_flags;
  size_t next = 1;
  while (next < argv.size() && IsLeadingFlag(argv[next])) {
    leading_flags.push_back(argv[next++]);
    const bool inline_value = absl::StrContains(leading_flags.back(), "=");
    if (!inline_value && next < argv.size()) {
      leading_flags.push_back(argv[next++]);
    }
  }
  if (next >= argv.size()) {
    Print(stderr, MainUsage());
    return kExitUsage;
  }
  std::string name = argv[next++];
  if (name == kSnapshotGroup && next < argv.size() &&
      !absl::StartsWith(argv[next], "-")) {
    absl::StrAppend(&name, " ", argv[next++]);
  }
  std::vector<const char*> rest(argv.begin() + next, argv.end());
  rest.insert(rest.end(), leading_flags.begin(), leading_flags.end());
  if (name == "-h" || name == "--help" || (name == "help" && rest.empty())) {
    Print(stdout, MainUsage());
    return kExitOk;
  }
  if (name == "help") {
    std::string topic = absl::StrJoin(rest, " ");
    const Command* command = FindCommand(topic);
    if (command == nullptr) {
      Print(stderr,
            absl::StrCat("netpolctl help: unknown command '", topic, "'\n"));
      return kExitUsage;
    }
    Print(stdout, command->usage);
    return kExitOk;
  }
  if (name == "version" || name == "--version") {
    if (!rest.empty()) {
      Print(stderr, "netpolctl version: takes no arguments\n");
      return kExitUsage;
    }
    Print(stdout, "netpolctl " NETPOL_VERSION "\n");
    return kExitOk;
  }
  if (name == kSnapshotGroup) {
    PrintUsageError(name, "needs a subcommand: info, apply or rollback");
    return kExitUsage;
  }
  const Command* command = FindCommand(name);
  if (command == nullptr) {
    Print(stderr, absl::StrCat("netpolctl: unknown command '", name,
                               "'\nRun 'netpolctl --help' for usage.\n"));
    return kExitUsage;
  }
  absl::StatusOr<ParsedArgs> args =
      ParseArgs(rest, command->flags, command->max_positionals);
  if (!args.ok()) {
    PrintUsageError(command->name, args.status().message());
    return kExitUsage;
  }
  if (args->help) {
    Print(stdout, command->usage);
    return kExitOk;
  }
  int exit_code = command->run(*args);
  // Output that could not be written is a failure, not a success.
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    PrintError(command->name, "writing output failed");
    return kExitUsage;
  }
  return exit_code;
}

}  // namespace
}  // namespace netpol::netpolctl

int main(int argc, char** argv) {
  std::vector<const char*> args(argv, argv + argc);
  return netpol::netpolctl::Main(args);
}
