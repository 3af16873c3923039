#ifndef NETPOL_CLIENT_NETPOLCTL_SNAPSHOT_LOADER_H_
#define NETPOL_CLIENT_NETPOLCTL_SNAPSHOT_LOADER_H_

#include <memory>

#include "absl/strings/string_view.h"
#include "client/netpolctl/args.h"
#include "core/compiled_snapshot.h"

namespace netpol::netpolctl {

// Flags of every command that reads manifests.
inline constexpr FlagSpec kManifestsFlag = {"manifests", true, true};
inline constexpr FlagSpec kNoIpBlockPodsFlag = {"no-ipblock-pods", false,
                                                false};

// Loads every --manifests path and compiles the cluster, honouring
// --no-ipblock-pods. On failure prints every problem to stderr, one per
// line, and returns nullptr: the caller exits with kExitUsage.
std::unique_ptr<const CompiledSnapshot> LoadSnapshotFromFlags(
    const ParsedArgs& args, absl::string_view command);

}  // namespace netpol::netpolctl

#endif  // NETPOL_CLIENT_NETPOLCTL_SNAPSHOT_LOADER_H_
