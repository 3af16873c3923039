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
// Entries name a row by the index of its first cell (row number x the
// table's columns), so a cell is one addition away.
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
#include <optional>
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

// Where an endpoint sits in the decision tables. Endpoints that sit alike
// are decided alike (loopback apart), so many pods share one.
struct TableCoordinates {
  uint32_t egress_row_start = kNotIsolatedRow;   // as a source
  uint32_t ingress_row_start = kNotIsolatedRow;  // as a destination
  uint32_t ingress_col = 0;  // as the peer of an ingress rule
  uint32_t egress_col = 0;   // as the peer of an egress rule

  friend bool operator==(const TableCoordinates&,
                         const TableCoordinates&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const TableCoordinates& c) {
    return H::combine(std::move(h), c.egress_row_start, c.ingress_row_start,
                      c.ingress_col, c.egress_col);
  }
};

// What a decision needs to know about one endpoint, precomputed: its
// coordinates, and which pod it is (for loopback).
struct EndpointEntry : TableCoordinates {
  uint32_t pod = kNoPod;  // index into Cluster::pods; kNoPod = external
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
// then a bitset over classes per protocol. A test is two loads and a
// shift, whatever the ranges look like, so its cost does not depend on the
// outcome.
//
// Each class has two bits, so that one shift yields both facts a decision
// needs about a direction: kAllowedBit (the port is in the set) and
// kIsolatedBit, set for every class of every port set. The matcher adds
// one set after those it was built from, not_isolated_set(), whose bits are
// all clear: the cells of the tables' row 0 ("not isolated") hold it, so
// isolation needs no test of the row.
//
// Ports are given as "code ports", port | code << 16, where code is the
// compact protocol code of the wire protocol (CompactV4Connections): 0 and
// 1 TCP, 2 UDP, 3 SCTP. Batches of that form index the tables with the
// word they were sent, unconverted.
class PortMatcher {
 public:
  static constexpr uint32_t kAllowedBit = 1, kIsolatedBit = 2;

  static constexpr uint32_t CodePort(uint16_t port, Protocol protocol) {
    return (static_cast<uint32_t>(protocol) + 1) << 16 | port;
  }

  // The matcher's arrays, for loops that keep them in registers.
  struct View {
    const uint16_t* classes;  // [code port] -> class within the protocol
    const uint64_t* bits;     // [((set << 2) | code) * words + class / 32]
    size_t words;

    // kIsolatedBit | kAllowedBit, as they hold for `code_port` and `set`.
    // kOneWord: the caller checked words == 1 (at most 32 classes per
    // protocol), which saves the index arithmetic. `code_port` below
    // 4 << 16.
    template <bool kOneWord = false>
    uint32_t Match(uint32_t set, uint32_t code_port) const {
      const uint32_t slot = 2 * uint32_t{classes[code_port]};
      const size_t bitset = size_t{set} << 2 | code_port >> 16;
      const uint64_t word =
          kOneWord ? bits[bitset] : bits[bitset * words + (slot >> 6)];
      return (word >> (slot & 63)) & 3;
    }
  };

  // `sets` are the compiler's, ids 0 to size - 1; not_isolated_set() is
  // then sets.size().
  void Build(const std::vector<PortSet>& sets);

  uint32_t not_isolated_set() const { return not_isolated_set_; }
  View view() const { return {classes_.data(), bits_.data(), words_}; }

  size_t memory_bytes() const;

 private:
  // [code port] -> class; one array so a look-up needs no per-protocol base
  // pointer.
  std::vector<uint16_t> classes_ = std::vector<uint16_t>(4 << 16);
  size_t words_ = 1;  // 64-bit words per (set, code) bitset
  std::vector<uint64_t> bits_ = std::vector<uint64_t>(4, 0);
  uint32_t not_isolated_set_ = 0;
};

// Cells hold port-set ids; 65,535 distinct port sets is far beyond any
// real cluster (the compiler refuses more, counting the matcher's
// not-isolated set).
using PortSetId = uint16_t;

// rows x cols port-set ids, row-major. Row 0 (not isolated) holds the
// PortMatcher's not-isolated set in every cell, so a decision reads it
// without a branch. Once compiled, the ids are kept as bytes when they all
// fit (at most 256 port sets with that one, the common case): the ingress table
// is the largest thing a decision reads at random, and halving it keeps more of
// it in cache.
struct DirectionTable {
  // The table's cells, for loops that keep them in registers. Exactly one
  // of the pointers is set.
  struct View {
    const uint8_t* narrow;
    const PortSetId* wide;

    // Cell: uint8_t when narrow is set, else PortSetId. Cells are indexed
    // by row start + column.
    template <typename Cell>
    const Cell* cells() const {
      if constexpr (sizeof(Cell) == 1) {
        return narrow;
      } else {
        return wide;
      }
    }
  };

  uint32_t rows = 1;
  uint32_t cols = 1;
  // The compiler's working form; emptied by Narrow().
  std::vector<PortSetId> cells = std::vector<PortSetId>(1, kNoPorts);
  std::vector<uint8_t> narrow_cells;

  // Moves `cells` to `narrow_cells`; every id must be below 256.
  void Narrow() {
    narrow_cells.assign(cells.begin(), cells.end());
    cells = {};
  }
  bool narrow() const { return !narrow_cells.empty(); }
  View view() const {
    return narrow() ? View{narrow_cells.data(), nullptr}
                    : View{nullptr, cells.data()};
  }
  uint32_t At(uint32_t row_start, uint32_t col) const {
    const size_t i = size_t{row_start} + col;
    return narrow() ? narrow_cells[i] : cells[i];
  }
  size_t memory_bytes() const {
    return cells.capacity() * sizeof(PortSetId) + narrow_cells.capacity();
  }
};

// IPv4 pod address -> coordinates. Open addressing with Fibonacci hashing
// and linear probing at most half full; 8-byte slots name a coordinate
// class, of which there are few. Look-ups of a pod's whole entry (general
// decisions, explanations) use it; the IP decision paths use it only when
// the snapshot has no V4AddressMap (core/internal/v4_address_map.h), which
// is branch-free.
class V4PodIndex {
 public:
  static constexpr uint32_t kEmpty = UINT32_MAX;

  struct Slot {
    uint32_t ip = 0;
    uint32_t coordinates = kEmpty;  // index into coordinates_
  };

  // The index's arrays, for loops that keep them in registers.
  struct View {
    const Slot* slots;
    const TableCoordinates* coordinates;
    int shift;
    size_t mask;

    // The slot holding `ip`, or null.
    const Slot* FindSlot(uint32_t ip) const {
      for (size_t i = (uint64_t{ip} * 0x9E3779B97F4A7C15ull) >> shift;;
           i = (i + 1) & mask) {
        const Slot& slot = slots[i];
        if (slot.coordinates == kEmpty) return nullptr;
        if (slot.ip == ip) return &slot;
      }
    }
    const TableCoordinates* Find(uint32_t ip) const {
      const Slot* slot = FindSlot(ip);
      return slot != nullptr ? &coordinates[slot->coordinates] : nullptr;
    }
  };

  // `pods` holds unique addresses, and entries of pods (not kNoPod).
  void Build(const std::vector<std::pair<uint32_t, EndpointEntry>>& pods);

  View view() const {
    return {slots_.data(), coordinates_.data(), shift_, mask_};
  }
  // The pod's whole entry, for single decisions and explanations.
  std::optional<EndpointEntry> FindEntry(uint32_t ip) const;

  size_t memory_bytes() const {
    return slots_.capacity() * (sizeof(Slot) + sizeof(uint32_t)) +
           coordinates_.capacity() * sizeof(TableCoordinates);
  }

 private:
  std::vector<Slot> slots_ = std::vector<Slot>(1);
  std::vector<uint32_t> slot_pods_ = std::vector<uint32_t>(1, kNoPod);
  std::vector<TableCoordinates> coordinates_;
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

// IPv4 external ranges with starts as integers, searched without
// branches: external addresses in a batch are arbitrary, so a branchy
// binary search would mispredict about half its steps.
struct V4RangeView {
  const uint32_t* starts;  // starts[0] == 0, sorted
  size_t count;
  // coordinates[i] are those of [starts[i], starts[i + 1])
  const TableCoordinates* coordinates;

  const TableCoordinates& Find(uint32_t ip) const {
    const uint32_t* base = starts;
    for (size_t n = count; n > 1;) {
      const size_t half = n / 2;
      base = base[half] <= ip ? base + half : base;
      n -= half;
    }
    return coordinates[base - starts];
  }
};

}  // namespace netpol::internal

#endif  // NETPOL_CORE_INTERNAL_SNAPSHOT_TABLES_H_
