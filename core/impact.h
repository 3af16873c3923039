#ifndef NETPOL_CORE_IMPACT_H_
#define NETPOL_CORE_IMPACT_H_

// Impact analysis: the exact set of flows whose verdict differs between two
// compiled snapshots ("before" and "after"), grouped for people to read.
//
// Flows compared:
//  - pod -> pod, for every ordered pair of distinct pods present in both
//    snapshots (matched by namespace/name), every port 1-65535 of TCP, UDP
//    and SCTP, decided as CompiledSnapshot::Decide decides a connection
//    between the two pods named by reference;
//  - pod <-> external address, both directions, for every address of the
//    pod's families (IPv4 for a pod with an IPv4 address, IPv6 likewise):
//    the pod uses its address of that family, as Decide(ip, ip) would.
//    "External" means an address that is not a pod IP (of a pod not on the
//    host network) in either snapshot. The CIDRs reported cover whole
//    ranges and may include pod IPs, which are compared as pods, not as
//    addresses; a CIDR made only of pod IPs is never reported.
// Pods present in only one snapshot are listed as added or removed; no flow
// involving them is reported.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/compiled_snapshot.h"
#include "core/decision.h"
#include "core/ip_address.h"
#include "core/label_selector.h"
#include "core/protocol.h"

namespace netpol {

// Endpoints every flip treats alike. Pods: pods of one namespace with
// identical labels in both snapshots (a workload) that both snapshots also
// treat alike; a
// workload whose pods differ (named ports, ipBlocks matching some of their
// IPs) appears as several groups with the same namespace and labels.
// External: sorted, merged CIDRs of one address family.
struct FlowGroup {
  bool external = false;
  std::string namespace_name;  // pods only
  Labels labels;               // pods only; as in `before`
  // Pods only: the members' labels in `after` when they differ (a relabel).
  std::optional<Labels> labels_after;
  std::vector<std::string> pods;  // pods only: member names, sorted
  std::vector<Cidr> cidrs;        // external only

  // "ns [app=api,tier=web]" for pods ("ns [app=api->api-v2,tier=web]" when
  // relabelled, see LabelsText), "external 10.0.0.0/8, ..." (at most a
  // few CIDRs, then "+N more") for addresses.
  std::string Name() const;
};

// "app=web,tier=frontend", or "<no labels>". With `after` (a relabel), key
// by key: "app=api->api-v2" changed, "+canary=true" added, "-tier=web"
// removed, "env=prod" unchanged.
std::string LabelsText(const Labels& labels, const Labels* after = nullptr);

enum class FlowChange : uint8_t {
  kNewlyDenied,   // allowed before, denied after
  kNewlyAllowed,  // denied before, allowed after
};

// "newly-denied" / "newly-allowed".
std::string_view FlowChangeName(FlowChange change);

// Every flow from a member of `source_group` to a member of
// `destination_group` on `ports` of `protocol` changes as `change` says.
struct Flip {
  uint32_t source_group = 0;       // index into ImpactReport::groups
  uint32_t destination_group = 0;  // index into ImpactReport::groups
  FlowChange change = FlowChange::kNewlyDenied;
  Protocol protocol = Protocol::kTcp;
  std::vector<PortRange> ports;  // sorted, disjoint, not adjacent
  // (source, destination, port) tuples: members x members x ports, a pod
  // never paired with itself; an external group counts one endpoint per
  // CIDR.
  uint64_t flows = 0;
  // Up to ImpactOptions::samples_per_flip concrete connections whose
  // verdicts change as this flip says: pods by name reference, external
  // endpoints by the first non-pod address of each CIDR, the first port of
  // each range.
  std::vector<Connection> samples;
};

struct ImpactTotals {
  uint64_t pods_affected = 0;  // distinct pods in at least one flip
  uint64_t newly_denied_flows = 0;
  uint64_t newly_allowed_flows = 0;
  uint64_t flips = 0;  // Flip entries before truncation
};

struct ImpactReport {
  // Groups referenced by `flips`, in a deterministic order: pod groups by
  // namespace, labels, labels after and first member; then external
  // groups, IPv4 first, by first CIDR.
  std::vector<FlowGroup> groups;
  // Newly denied first, then newly allowed; within each by source group,
  // destination group, protocol, first port.
  std::vector<Flip> flips;
  std::vector<PodRef> pods_added;    // sorted
  std::vector<PodRef> pods_removed;  // sorted
  ImpactTotals totals;               // exact even when truncated
  bool truncated = false;            // flips holds only the first max_flips
};

struct ImpactOptions {
  size_t max_flips = std::numeric_limits<size_t>::max();
  size_t samples_per_flip = 0;  // Flip::samples
};

// The exact verdict changes from `before` to `after`. Both snapshots are
// only read; the call is thread-safe.
ImpactReport DiffSnapshots(const CompiledSnapshot& before,
                           const CompiledSnapshot& after,
                           const ImpactOptions& options = {});

}  // namespace netpol

#endif  // NETPOL_CORE_IMPACT_H_
