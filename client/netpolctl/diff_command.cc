// netpolctl diff: which flows differ between two whole cluster states, two
// manifest sets offline or two retained versions of a live netpol-pdp.

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "client/netpolctl/command.h"
#include "client/netpolctl/impact_flags.h"
#include "client/netpolctl/remote_flags.h"
#include "client/netpolctl/snapshot_loader.h"
#include "core/compiled_snapshot.h"

namespace netpol::netpolctl {
namespace {

constexpr absl::string_view kName = "diff";

constexpr FlagSpec kManifestsBFlag = {"manifests-b", true, true};
constexpr FlagSpec kVersionFlag = {"version", true, false};
constexpr FlagSpec kVersionBFlag = {"version-b", true, false};

constexpr FlagSpec kFlags[] = {
    kManifestsFlag, kManifestsBFlag, kImpactFormatFlag,  kFailOnFlag,
    kMaxFlipsFlag,  kSamplesFlag,    kNoIpBlockPodsFlag, kServerFlag,
    kTimeoutFlag,   kVersionFlag,    kVersionBFlag,
};

constexpr char kUsage[] =
    R"(Usage: netpolctl diff --manifests PATH [--manifests PATH ...]
                     --manifests-b PATH [--manifests-b PATH ...]
                     [--format text|json|csv|md] [--fail-on newly-denied|any]
                     [--max-flips N] [--samples N] [--no-ipblock-pods]
       netpolctl diff --server ADDR [--timeout D] [--version A] --version-b B
                     [output flags as above]

Prints exactly which flows are allowed in one cluster state and denied in
the other: state A (--manifests, or retained version A of a server, the
live one by default) is "before", state B (--manifests-b, or version B) is
"after". Output, formats and flags as for `netpolctl impact` (see
`netpolctl impact --help`); pods only in B are "added", pods only in A
"removed". Both manifest sets are compiled with the same options.

Flags:
  --manifests PATH     state A: manifest file, or directory read
                       recursively (.yaml, .yml, .json); repeatable
  --manifests-b PATH   state B, likewise
  --format F           text (default), json, csv or md
  --fail-on WHAT       exit 3 when the report holds WHAT: newly-denied or
                       any (any flip, or a pod added or removed)
  --max-flips N        list at most N flips, 1..100000 (default 1000)
  --samples N          up to N concrete connections per flip, 0..100
  --no-ipblock-pods    ipBlock peers match only addresses outside the
                       cluster, not pod IPs
  --server ADDR        compare two retained versions of the netpol-pdp data
                       plane at ADDR (host:port)
  --timeout D          deadline of the RPC, e.g. 500ms or 10s (default 10s)
  --version A          with --server: version A (default: the live one)
  --version-b B        with --server: version B (required)

Exit status: 0 the report was printed; 3 it was printed and --fail-on
triggered; 2 usage error, unreadable or invalid manifests, or the server
could not be reached or failed (a version it does not retain included).
)";

std::optional<v1::AnalyzeImpactResponse> RunRemote(
    const ParsedArgs& args, const ImpactOutputOptions& options) {
  if (!RejectFlags(
          args, kName,
          {kManifestsFlag.name, kManifestsBFlag.name, kNoIpBlockPodsFlag.name},
          "and --server exclude each other")) {
    return std::nullopt;
  }
  if (!args.Has(kVersionBFlag.name)) {
    PrintUsageError(kName, "--version-b is required with --server");
    return std::nullopt;
  }
  v1::AnalyzeImpactRequest request;
  for (absl::string_view flag : {kVersionFlag.name, kVersionBFlag.name}) {
    absl::StatusOr<uint64_t> version = VersionFromFlag(args, flag);
    if (!version.ok()) {
      PrintUsageError(kName, version.status().message());
      return std::nullopt;
    }
    if (flag == kVersionFlag.name) {
      request.set_snapshot_version(*version);
    } else {
      request.set_other_version(*version);
    }
  }
  return AnalyzeImpactRemotely(args, std::move(request), options, kName);
}

std::optional<v1::AnalyzeImpactResponse> RunOffline(
    const ParsedArgs& args, const ImpactOutputOptions& options) {
  if (!RejectFlags(args, kName,
                   {kTimeoutFlag.name, kVersionFlag.name, kVersionBFlag.name},
                   "needs --server")) {
    return std::nullopt;
  }
  if (!args.Has(kManifestsBFlag.name)) {
    PrintUsageError(kName, "--manifests-b is required");
    return std::nullopt;
  }
  std::unique_ptr<const CompiledSnapshot> before =
      LoadSnapshotFromFlags(args, kName);
  if (before == nullptr) return std::nullopt;
  // State B loads exactly as state A does, from its own paths.
  ParsedArgs args_b = args;
  args_b.values[std::string(kManifestsFlag.name)] =
      args.Values(kManifestsBFlag.name);
  std::unique_ptr<const CompiledSnapshot> after =
      LoadSnapshotFromFlags(args_b, kName);
  if (after == nullptr) return std::nullopt;
  return CompareSnapshots(*before, *after, options);
}

int Run(const ParsedArgs& args) {
  return RunComparison(args, kName, &RunRemote, &RunOffline);
}

}  // namespace

const Command& DiffCommand() {
  static const Command command = {
      "diff", "which flows differ between two cluster states", kUsage, kFlags,
      &Run};
  return command;
}

}  // namespace netpol::netpolctl
