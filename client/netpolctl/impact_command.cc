// netpolctl impact: which flows a proposed change would newly deny or
// newly allow, offline against manifests or against a live netpol-pdp.

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/netpolctl/command.h"
#include "client/netpolctl/impact_flags.h"
#include "client/netpolctl/remote_flags.h"
#include "client/netpolctl/snapshot_loader.h"
#include "core/compiled_snapshot.h"
#include "core/manifest_files.h"
#include "core/proposed_change.h"

namespace netpol::netpolctl {
namespace {

constexpr absl::string_view kName = "impact";

constexpr FlagSpec kProposedFlag = {"proposed", true, true};
constexpr FlagSpec kVersionFlag = {"version", true, false};

constexpr FlagSpec kFlags[] = {
    kManifestsFlag, kProposedFlag, kImpactFormatFlag,  kFailOnFlag,
    kMaxFlipsFlag,  kSamplesFlag,  kNoIpBlockPodsFlag, kServerFlag,
    kTimeoutFlag,   kVersionFlag,
};

constexpr char kUsage[] =
    R"(Usage: netpolctl impact --manifests PATH [--manifests PATH ...]
                       --proposed PATH [--proposed PATH ...]
                       [--format text|json|csv|md] [--fail-on newly-denied|any]
                       [--max-flips N] [--samples N] [--no-ipblock-pods]
       netpolctl impact --server ADDR [--timeout D] [--version N]
                       --proposed FILE [output flags as above]

Prints exactly which flows the proposed change would newly deny or newly
allow: every pod pair on every port 1-65535 of TCP, UDP and SCTP, and every
external IPv4/IPv6 address, grouped by workload (pods of one namespace with
identical labels), protocol and port ranges, e.g.
  4 flows newly denied, 1572842 newly allowed, 5 pods affected (16 flips)

  Newly denied (4 flows):
    prod [name=api-pod->api-v2,tier=backend] (2 pods: api-0, api-1) ->
      prod [role=db] (1 pod: db-0)  TCP 3306  (2 flows)
    ...
  Newly allowed (1572842 flows):
    ...
(one line per flip; a group whose labels the change edits shows the edit
key by key: name=api-pod->api-v2, +added=value, -removed=value). A flow is
one (source, destination, port); an external group counts one endpoint per
CIDR. Pods the change adds or deletes are
listed as such; no flow of theirs is.

The proposed change is YAML or JSON: Namespace, Pod and NetworkPolicy
manifests are upserts (replace the object of that namespace/name, or add
it); documents of kind ChangeList (apiVersion netpol-pdp.dev/v1) delete
policies or pods and edit labels:
  apiVersion: netpol-pdp.dev/v1
  kind: ChangeList
  changes:
  - deleteNetworkPolicy: {namespace: prod, name: db-policy}
  - deletePod: {namespace: prod, name: api-1}
  - labelPods: {namespace: prod, selector: {matchLabels: {name: api-pod}},
                set: {name: api-v2}, remove: [tier]}   # or name: api-0
  - labelNamespace: {name: prod, set: {env: staging}}
Operations apply in order; one that does nothing (an unknown object, a
selector matching no pod) is an error.

Formats:
  text  (default) a summary, then "Newly denied" and "Newly allowed" flips,
        at most 5 pod names and 4 CIDRs per group, then pods added/removed
  json  one object: totals, truncated, flips (groups inline, every listed
        pod), pods_added, pods_removed
  csv   a header, then one row per flip (flips only)
  md    the summary and a Markdown table of flips

Flags:
  --manifests PATH   the current cluster: manifest file, or directory read
                     recursively (.yaml, .yml, .json); repeatable
  --proposed PATH    the change, file or directory; repeatable offline, one
                     file with --server
  --format F         output format, see above
  --fail-on WHAT     exit 3 when the report holds WHAT: newly-denied (some
                     flow is newly denied) or any (any flip, or a pod added
                     or removed)
  --max-flips N      list at most N flips, 1..100000 (default 1000); the
                     totals always count all of them
  --samples N        up to N concrete connections per flip, 0..100
                     (default 0); text and json print them
  --no-ipblock-pods  ipBlock peers match only addresses outside the cluster,
                     not pod IPs
  --server ADDR      compare against the live snapshot of the netpol-pdp
                     data plane at ADDR (host:port) instead of --manifests;
                     the output is the same
  --timeout D        deadline of the RPC, e.g. 500ms or 10s (default 10s)
  --version N        with --server: compare against retained version N
                     instead of the live one

Exit status: 0 the report was printed; 3 it was printed and --fail-on
triggered; 2 usage error, unreadable or invalid manifests or change, or the
server could not be reached or failed.
)";

// The proposed change's single file, read for sending to a server.
std::optional<ManifestFile> ReadChangeFile(const ParsedArgs& args) {
  std::vector<ManifestFile> files;
  std::vector<std::string> errors;
  ManifestFileReader reader;
  for (const std::string& path : args.Values(kProposedFlag.name)) {
    reader.Read(path, &files, &errors);
  }
  if (!errors.empty()) {
    PrintChangeErrors(kName, absl::StrJoin(errors, "\n"));
    return std::nullopt;
  }
  if (files.size() != 1) {
    PrintUsageError(kName, absl::StrCat("--server takes one --proposed file; ",
                                        files.size(),
                                        " found (join them into one YAML "
                                        "stream)"));
    return std::nullopt;
  }
  return std::move(files[0]);
}

std::optional<v1::AnalyzeImpactResponse> RunRemote(
    const ParsedArgs& args, const ImpactOutputOptions& options) {
  if (!RejectFlags(args, kName, {kManifestsFlag.name, kNoIpBlockPodsFlag.name},
                   "and --server exclude each other")) {
    return std::nullopt;
  }
  absl::StatusOr<uint64_t> version = VersionFromFlag(args, kVersionFlag.name);
  if (!version.ok()) {
    PrintUsageError(kName, version.status().message());
    return std::nullopt;
  }
  std::optional<ManifestFile> file = ReadChangeFile(args);
  if (!file.has_value()) return std::nullopt;
  v1::AnalyzeImpactRequest request;
  request.set_snapshot_version(*version);
  request.set_proposed_change(std::move(file->content));
  request.set_source_name(std::move(file->name));
  return AnalyzeImpactRemotely(args, std::move(request), options, kName);
}

std::optional<v1::AnalyzeImpactResponse> RunOffline(
    const ParsedArgs& args, const ImpactOutputOptions& options) {
  if (!RejectFlags(args, kName, {kTimeoutFlag.name, kVersionFlag.name},
                   "needs --server")) {
    return std::nullopt;
  }
  std::unique_ptr<const CompiledSnapshot> before =
      LoadSnapshotFromFlags(args, kName);
  if (before == nullptr) return std::nullopt;
  absl::StatusOr<ProposedChange> change =
      LoadProposedChange(args.Values(kProposedFlag.name));
  if (!change.ok()) {
    PrintChangeErrors(kName, change.status().message());
    return std::nullopt;
  }
  absl::StatusOr<Cluster> changed =
      ApplyProposedChange(before->cluster(), *change);
  if (!changed.ok()) {
    PrintChangeErrors(kName, changed.status().message());
    return std::nullopt;
  }
  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> after =
      CompiledSnapshot::Compile(*std::move(changed), before->options());
  if (!after.ok()) {
    PrintError(kName, absl::StrCat("cannot compile the changed cluster: ",
                                   after.status().message()));
    return std::nullopt;
  }
  return CompareSnapshots(*before, **after, options);
}

int Run(const ParsedArgs& args) {
  if (!args.Has(kProposedFlag.name)) {
    PrintUsageError(kName, "--proposed is required");
    return kExitUsage;
  }
  return RunComparison(args, kName, &RunRemote, &RunOffline);
}

}  // namespace

const Command& ImpactCommand() {
  static const Command command = {
      "impact", "what a proposed change would newly deny or allow", kUsage,
      kFlags, &Run};
  return command;
}

}  // namespace netpol::netpolctl
