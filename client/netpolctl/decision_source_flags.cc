#include "client/netpolctl/decision_source_flags.h"

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "client/netpolctl/command.h"
#include "client/netpolctl/offline_decision_source.h"
#include "client/netpolctl/remote_decision_source.h"
#include "client/netpolctl/remote_flags.h"
#include "client/netpolctl/snapshot_loader.h"

namespace netpol::netpolctl {

std::unique_ptr<DecisionSource> DecisionSourceFromFlags(
    const ParsedArgs& args, absl::string_view command) {
  std::optional<absl::string_view> server = args.Value(kServerFlag.name);
  if (!server.has_value()) {
    if (args.Has(kTimeoutFlag.name)) {
      PrintUsageError(command, "--timeout needs --server");
      return nullptr;
    }
    std::unique_ptr<const CompiledSnapshot> snapshot =
        LoadSnapshotFromFlags(args, command);
    if (snapshot == nullptr) return nullptr;
    return std::make_unique<OfflineDecisionSource>(std::move(snapshot));
  }
  // The server decides with its own manifests and options.
  for (absl::string_view offline_only :
       {kManifestsFlag.name, kNoIpBlockPodsFlag.name}) {
    if (args.Has(offline_only)) {
      PrintUsageError(command, absl::StrCat("--", offline_only,
                                            " and --server exclude "
                                            "each other"));
      return nullptr;
    }
  }
  absl::StatusOr<absl::Duration> timeout = TimeoutFromFlags(args);
  if (!timeout.ok()) {
    PrintUsageError(command, timeout.status().message());
    return nullptr;
  }
  return std::make_unique<RemoteDecisionSource>(std::string(*server), *timeout);
}

}  // namespace netpol::netpolctl
