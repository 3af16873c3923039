#ifndef NETPOL_CORE_COMPILED_SNAPSHOT_H_
#define NETPOL_CORE_COMPILED_SNAPSHOT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/decision.h"
#include "core/internal/snapshot_tables.h"
#include "core/internal/v4_address_map.h"
#include "core/model.h"

namespace netpol {
namespace internal {
class SnapshotDiffer;
struct DecisionKernel;
}  // namespace internal

struct CompileOptions {
  // Whether ipBlock peers match pod IPs too. Upstream conformance tests
  // expect they do; some CNIs only apply ipBlock to traffic leaving the
  // cluster.
  bool ipblock_matches_pods = true;
  // Memory allowed for the IPv4 address map that makes batch decisions
  // branch-free (512 bytes per /24 holding pods, plus 256 KiB). Above it,
  // as with pod addresses scattered over many /24s, IPv4 look-ups use the
  // hash index instead; 0 always does.
  size_t max_v4_address_map_bytes = size_t{64} << 20;
};

// Sizes of a compiled snapshot, for logs, metrics and benchmarks.
struct SnapshotStats {
  size_t namespaces = 0;
  size_t pods = 0;
  size_t policies = 0;
  size_t ingress_rows = 0;  // distinct ingress-isolated pod groups, + 1
  size_t ingress_cols = 0;  // distinct ingress peer groups
  size_t egress_rows = 0;
  size_t egress_cols = 0;
  size_t port_sets = 0;
  size_t external_ranges = 0;  // IPv4 + IPv6 intervals
  size_t memory_bytes = 0;     // decision tables, excluding the model
};

// An immutable, indexed form of a Cluster answering connection queries.
// All selector matching happens in Compile(); a decision costs two endpoint
// look-ups and two table reads, whatever the number of policies.
// Thread-safe: every method is const and touches no shared mutable state.
class CompiledSnapshot {
 public:
  static absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> Compile(
      Cluster cluster, const CompileOptions& options = {});

  CompiledSnapshot(const CompiledSnapshot&) = delete;
  CompiledSnapshot& operator=(const CompiledSnapshot&) = delete;

  // The hot path: both endpoints given as IPs. Never fails; `port` must be
  // in 1..65535 (callers validate).
  Decision Decide(const IpAddress& source, const IpAddress& destination,
                  uint16_t port, Protocol protocol) const;

  // The batch hot path: decisions[i] = Decide(connections[i]'s addresses,
  // port, protocol) for i < min(connections.size(), decisions.size()).
  // Ports must be in 1..65535 (callers validate). The tables' base
  // pointers stay in registers across the batch, which makes a decision
  // about a third cheaper than a Decide call each.
  void DecideV4(absl::Span<const V4Connection> connections,
                absl::Span<Decision> decisions) const;

  // The wire protocol's form of DecideV4: decides block.count connections
  // read in place, writes verdicts[i] = allow_byte or deny_byte, and adds
  // each decision to counts[reason]. Invalid connections (see
  // CompactV4Connections) are denied with Reason::kInvalid.
  void DecideCompactV4(const CompactV4Connections& block, char allow_byte,
                       char deny_byte, char* verdicts,
                       ReasonCounts* counts) const;

  // Any endpoint form. InvalidArgument for a port outside 1..65535,
  // NotFound for an unknown pod.
  absl::StatusOr<Decision> Decide(const Connection& connection) const;

  // The decision with the policies and rules behind it.
  absl::StatusOr<Explanation> Explain(const Connection& connection) const;

  const Cluster& cluster() const { return cluster_; }
  const CompileOptions& options() const { return options_; }
  const SnapshotStats& stats() const { return stats_; }

 private:
  friend class SnapshotCompiler;
  friend class internal::SnapshotDiffer;  // reads the tables (core/impact.cc)
  CompiledSnapshot() = default;

  // Pod addressed by name: its entries for an IPv4 and an IPv6 peer
  // (the pod's address of that family is used for ipBlock matching), and
  // which to use when the other side gives no family.
  struct PodEntries {
    internal::EndpointEntry by_family[2];  // [0] IPv4, [1] IPv6
    std::optional<IpAddress> ip[2];        // the pod's address per family
    int primary = 0;  // index into by_family (IPv4 when the pod has no IP)
  };

  // An endpoint reduced to its table entry, with the address it uses (none
  // for a pod without IP).
  struct Resolved {
    internal::EndpointEntry entry;
    std::optional<IpAddress> ip;
  };

  struct ResolvedPair {
    Resolved source;
    Resolved destination;
  };

  // The families (indices into by_family) two pods named by reference use
  // when they talk: the source's primary if the destination has an address
  // of it, else the destination's primary if the source has one, else each
  // its own primary.
  static std::pair<int, int> PodPairFamilies(const PodEntries& source,
                                             const PodEntries& destination);

  // Views of the tables for the decision arithmetic (cheap to build).
  internal::DecisionKernel Kernel() const;
  internal::EndpointEntry LookUp(const IpAddress& ip) const;
  const PodEntries* FindPod(const PodRef& ref) const;
  // Resolves both endpoints. A pod named by reference uses the address of
  // the family the connection uses (see the .cc); NotFound for an unknown
  // pod.
  absl::StatusOr<ResolvedPair> Resolve(const Connection& connection) const;
  // Egress of `source` or ingress of `destination`, evaluated rule by rule
  // on the model (independently of the tables).
  DirectionExplanation ExplainDirection(bool egress, const Resolved& source,
                                        const Resolved& destination,
                                        uint16_t port, Protocol protocol) const;
  Decision DecideEntries(const internal::EndpointEntry& source,
                         const internal::EndpointEntry& destination,
                         uint16_t port, Protocol protocol) const;

  Cluster cluster_;
  CompileOptions options_;
  SnapshotStats stats_;

  internal::V4PodIndex v4_pods_;
  // Empty when the addresses would make it too large (see CompileOptions).
  internal::V4AddressMap v4_map_;
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, internal::EndpointEntry>
      v6_pods_;
  internal::ExternalRanges external_[2];  // [0] IPv4, [1] IPv6
  // external_[0] as integers and coordinates, for the branch-free search.
  std::vector<uint32_t> v4_external_starts_;
  std::vector<internal::TableCoordinates> v4_external_coordinates_;
  // namespace -> pod name -> entries; string keys allow look-ups by
  // absl::string_view without building a key.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, PodEntries>>
      pods_by_name_;
  internal::DirectionTable ingress_;
  internal::DirectionTable egress_;
  internal::PortMatcher port_matcher_;
  // The port sets the cells and the matcher refer to, by id; the diff
  // engine needs them as ranges.
  std::vector<internal::PortSet> port_sets_;

  // For explanations: each pod's policies selecting it, per direction
  // ([0] ingress, [1] egress), as indices into cluster_.policies.
  std::vector<uint32_t> pod_selection_[2];         // per pod, into selections_
  std::vector<std::vector<uint32_t>> selections_;  // [0] is empty
  absl::flat_hash_map<std::string, uint32_t> namespace_index_;
};

}  // namespace netpol

#endif  // NETPOL_CORE_COMPILED_SNAPSHOT_H_
