// netpolctl: command-line client of the NetworkPolicy decision engine.
// Dispatches to a subcommand; each one parses its own flags.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "client/netpolctl/args.h"
#include "client/netpolctl/command.h"

namespace netpol::netpolctl {
namespace {

absl::Span<const Command* const> Commands() {
  static const Command* const commands[] = {
      &EvalCommand(), &CheckCommand(), &MatrixCommand(), &ValidateCommand()};
  return commands;
}

void Print(std::FILE* file, absl::string_view text) {
  std::fwrite(text.data(), 1, text.size(), file);
}

std::string MainUsage() {
  std::string usage =
      "Usage: netpolctl <command> [flags]\n\n"
      "Answers Kubernetes NetworkPolicy questions offline, from manifests.\n\n"
      "Commands:\n";
  for (const Command* command : Commands()) {
    absl::StrAppend(&usage, "  ", command->name,
                    std::string(10 - command->name.size(), ' '),
                    command->summary, "\n");
  }
  absl::StrAppend(&usage,
                  "  version   print the version\n"
                  "  help      print this help, or `help <command>`\n\n"
                  "Run 'netpolctl <command> --help' for a command's flags.\n"
                  "Exit status: 0 success, 1 invalid input, 2 usage or "
                  "manifest error.\n");
  return usage;
}

const Command* FindCommand(absl::string_view name) {
  for (const Command* command : Commands()) {
    if (command->name == name) return command;
  }
  return nullptr;
}

int Main(absl::Span<const char* const> argv) {
  if (argv.size() < 2) {
    Print(stderr, MainUsage());
    return kExitUsage;
  }
  absl::string_view name = argv[1];
  absl::Span<const char* const> rest = argv.subspan(2);
  if (name == "-h" || name == "--help" || (name == "help" && rest.empty())) {
    Print(stdout, MainUsage());
    return kExitOk;
  }
  if (name == "help") {
    const Command* command = FindCommand(rest[0]);
    if (command == nullptr) {
      Print(stderr,
            absl::StrCat("netpolctl help: unknown command '", rest[0], "'\n"));
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
  const Command* command = FindCommand(name);
  if (command == nullptr) {
    Print(stderr, absl::StrCat("netpolctl: unknown command '", name,
                               "'\nRun 'netpolctl --help' for usage.\n"));
    return kExitUsage;
  }
  absl::StatusOr<ParsedArgs> args = ParseArgs(rest, command->flags);
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
