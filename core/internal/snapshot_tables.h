#ifndef NETPOL_CORE_INTERNAL_SNAPSHOT_TABLES_H_
#define NETPOL_CORE_INTERNAL_SNAPSHOT_TABLES_H_

// Data layout of a CompiledSnapshot. Internal: only core/ includes this.
//
// Idea: every endpoint (a pod IP, a pod by name, an external IP range) is
// reduced at compile time to a few small integers. A decision is then two
// endpoint look-ups and at most two table cells:
//
//   egress  allowed = egress_row(src) == 0 ||
//                     ports[egress.cell(egress_row(src), egress_col(dst))]
//   ingress allowed = ingress_row(dst) == 0 ||
//                     ports[ingress.cell(ingress_row(dst), ingress_col(src))]
//
// Rows group pods that are selected by the same set of policies (and, for
// ingress, expose the same named ports); columns group peers that match the
// same set of rule peers (and, for egress, expose the same named ports).
// Rows, then columns, with identical cells are merged, so table size depends
// on how varied the policies are, not on how many pods or policies there
// are.

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/ip_address.h"
#include "core/protocol.h"

namespace netpol::internal {

inline constexpr uint32_t kNoPod = UINT32_MAX;
// Row 0 of each direction means "not isolated".
inline constexpr uint32_t kNotIsolatedRow = 0;
// Port set 0 is the empty set: nothing allowed.
inline constexpr uint32_t kNoPorts = 0;

// What a decision needs to know about one endpoint, precomputed.
struct EndpointEntry {
  uint32_t pod = kNoPod;  // index into Cluster::pods; kNoPod = external
  uint32_t egress_row = kNotIsolatedRow;   // as a source
  uint32_t ingress_row = kNotIsolatedRow;  // as a destination
  uint32_t ingress_col = 0;                // as the peer of an ingress rule
  uint32_t egress_col = 0;                 // as the peer of an egress rule
};

using ::netpol::PortRange;

// Allowed destination ports, per protocol, as sorted disjoint ranges. The
// compiler's working form; decisions use PortMatcher.
struct PortSet {
  std::array<std::vector<PortRange>, kProtocolCount> ranges;

  bool Contains(uint16_t port, Protocol protocol) const {
    for (const PortRange& r : ranges[static_cast<int>(protocol)]) {
      if (port < r.first) return false;
      if (port <= r.last) return true;
    }
    return false;
  }
};

// Port-set membership without branches. Each protocol's port space is cut
// at every range edge of every port set into "port classes"; a port set is
// then a bitset over classes. A test is two loads and a shift, whatever the
// ranges look like, so its cost does not depend on the outcome.
class PortMatcher {
 public:
  void Build(const std::vector<PortSet>& sets);

  bool Allows(uint32_t set, Protocol protocol, uint16_t port) const {
    const int proto = static_cast<int>(protocol);
    const uint32_t port_class = classes_[proto][port];
    const uint64_t word =
        bits_[(static_cast<size_t>(set) * kProtocolCount + proto) * words_ +
              (port_class >> 6)];
    return (word >> (port_class & 63)) & 1;
  }

  size_t memory_bytes() const;

 private:
  std::array<std::vector<uint16_t>, kProtocolCount> classes_;  // port -> class
  size_t words_ = 1;            // 64-bit words per (set, protocol) bitset
  std::vector<uint64_t> bits_;  // [(set * kProtocolCount + proto) * words_]
};

// Cells hold port-set ids; 65,535 distinct port sets is far beyond any
// real cluster (the compiler refuses more).
using PortSetId = uint16_t;

// rows x cols port-set ids, row-major. Row 0 (not isolated) is all
// kNoPorts, so a decision may read it without a branch.
struct DirectionTable {
  uint32_t rows = 1;
  uint32_t cols = 1;
  std::vector<PortSetId> cells = std::vector<PortSetId>(1, kNoPorts);

  uint32_t At(uint32_t row, uint32_t col) const {
    return cells[static_cast<size_t>(row) * cols + col];
  }
};

// IPv4 pod address -> entry. Open addressing with Fibonacci hashing and
// linear probing at most half full: a look-up is a multiply, a shift and
// usually one 8-byte read, a fraction of a general hash map's work on the
// hottest path.
class V4PodIndex {
 public:
  // `pods` holds unique addresses.
  void Build(std::vector<std::pair<uint32_t, EndpointEntry>> pods);

  const EndpointEntry* Find(uint32_t ip) const {
    for (size_t slot = (uint64_t{ip} * 0x9E3779B97F4A7C15ull) >> shift_;;
         slot = (slot + 1) & mask_) {
      const uint64_t key = slots_[slot];
      if (key == 0) return nullptr;
      if (key >> 32 == ip) return &entries_[(key & 0xFFFFFFFFu) - 1];
    }
  }

  // For renumbering after tables are merged; addresses stay.
  std::vector<EndpointEntry>& mutable_entries() { return entries_; }
  size_t memory_bytes() const {
    return slots_.capacity() * sizeof(uint64_t) +
           entries_.capacity() * sizeof(EndpointEntry);
  }

 private:
  // (ip << 32) | (index into entries_ + 1); 0 is an empty slot.
  std::vector<uint64_t> slots_ = std::vector<uint64_t>(1, 0);
  std::vector<EndpointEntry> entries_;
  int shift_ = 64;  // 64 - log2(slots_.size())
  size_t mask_ = 0;
};

// Sorted, non-overlapping intervals covering one address family: an
// external IP maps to the entry of the interval holding it.
struct ExternalRanges {
  std::vector<IpAddress> starts;       // starts[0] is the family's 0 address
  std::vector<EndpointEntry> entries;  // entries[i] covers [starts[i], ...)

  const EndpointEntry& Find(const IpAddress& ip) const;
};

}  // namespace netpol::internal

#endif  // NETPOL_CORE_INTERNAL_SNAPSHOT_TABLES_H_
