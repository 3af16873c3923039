// netpolctl validate: checks manifests without evaluating anything.

#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/netpolctl/command.h"
#include "client/netpolctl/snapshot_loader.h"
#include "core/compiled_snapshot.h"

namespace netpol::netpolctl {
namespace {

constexpr FlagSpec kFlags[] = {kManifestsFlag};

constexpr char kUsage[] =
    R"(Usage: netpolctl validate --manifests PATH [--manifests PATH ...]

Loads and compiles the manifests as eval, check and matrix would. Prints
every error to stderr, one per line ("<file>: document <n>: <field>: <what
is wrong>"), or on success a one-line summary to stdout:
  valid: 3 namespaces, 12 pods, 4 network policies; skipped kinds: Service (2)

Flags:
  --manifests PATH   manifest file, or directory read recursively (.yaml,
                     .yml, .json); repeatable

Exit status: 0 valid; 2 invalid manifests or usage error.
)";

std::string Summary(const Cluster& cluster) {
  std::string skipped;
  for (const auto& [kind, count] : cluster.skipped_kinds) {
    absl::StrAppend(&skipped, skipped.empty() ? "" : ", ", kind, " (", count,
                    ")");
  }
  return absl::StrCat("valid: ", cluster.namespaces.size(), " namespaces, ",
                      cluster.pods.size(), " pods, ", cluster.policies.size(),
                      " network policies; skipped kinds: ",
                      skipped.empty() ? "none" : skipped, "\n");
}

int Run(const ParsedArgs& args) {
  std::unique_ptr<const CompiledSnapshot> snapshot =
      LoadSnapshotFromFlags(args, "validate");
  if (snapshot == nullptr) return kExitUsage;
  std::string summary = Summary(snapshot->cluster());
  std::fwrite(summary.data(), 1, summary.size(), stdout);
  return kExitOk;
}

}  // namespace

const Command& ValidateCommand() {
  static const Command command = {
      "validate", "check manifests and summarise what they hold", kUsage,
      kFlags, &Run};
  return command;
}

}  // namespace netpol::netpolctl
