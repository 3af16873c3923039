#ifndef NETPOL_CORE_INTERNAL_DECISION_KERNEL_H_
#define NETPOL_CORE_INTERNAL_DECISION_KERNEL_H_

// The decision arithmetic over raw views of a snapshot's tables, shared by
// single decisions and the batch loop. Internal: only core/ includes this.
//
// A kernel is a handful of pointers and sizes copied out of the snapshot's
// vectors. Batch loops copy it into locals once, so that stores of the
// results cannot force the compiler to reload the tables' base pointers
// on every connection. Valid while the snapshot lives.

#include <array>
#include <cstdint>

#include "core/decision.h"
#include "core/internal/snapshot_tables.h"
#include "core/internal/v4_address_map.h"
#include "core/protocol.h"

namespace netpol::internal {

// Every decision outcome, indexed by five facts (see DecisionKernel::Decide),
// so the hot path ends in one table load instead of data-dependent
// branches.
inline constexpr int kLoopbackBit = 16, kEgressIsolatedBit = 8,
                     kEgressAllowedBit = 4, kIngressIsolatedBit = 2,
                     kIngressAllowedBit = 1;

constexpr std::array<Decision, 32> MakeDecisionTable() {
  std::array<Decision, 32> table{};
  for (int i = 0; i < 32; ++i) {
    const bool egress_isolated = i & kEgressIsolatedBit;
    const bool ingress_isolated = i & kIngressIsolatedBit;
    if (i & kLoopbackBit) {
      table[i] = {true, Reason::kLoopback};
    } else if (egress_isolated && !(i & kEgressAllowedBit)) {
      table[i] = {false, Reason::kDeniedEgress};
    } else if (ingress_isolated && !(i & kIngressAllowedBit)) {
      table[i] = {false, Reason::kDeniedIngress};
    } else if (egress_isolated || ingress_isolated) {
      table[i] = {true, Reason::kAllowedByPolicy};
    } else {
      table[i] = {true, Reason::kNotIsolated};
    }
  }
  return table;
}

inline constexpr std::array<Decision, 32> kDecisionTable = MakeDecisionTable();

struct DecisionKernel {
  // IPv4 look-ups use v4_map when the snapshot built one (v4_map.top set),
  // else the pod index and then the external ranges.
  V4AddressMap::View v4_map;
  V4PodIndex::View v4_pods;
  V4RangeView v4_external;
  DirectionTable::View egress;
  DirectionTable::View ingress;
  PortMatcher::View ports;

  // The coordinates of an IPv4 address: its pod's, else its external
  // range's.
  const TableCoordinates& LookUpV4(uint32_t ip) const {
    if (const TableCoordinates* pod = v4_pods.Find(ip)) return *pod;
    return v4_external.Find(ip);
  }

  // The first half of a decision: where the two cells are, and whether
  // it is loopback. Apart so that batch loops can run it ahead of Finish
  // and prefetch the cells.
  struct CellIndices {
    uint32_t egress;   // into egress's cells: row start + column
    uint32_t ingress;  // into ingress's cells
    uint32_t facts;    // kLoopbackBit or 0
  };
  static CellIndices Locate(bool loopback, const TableCoordinates& source,
                            const TableCoordinates& destination) {
    return {source.egress_row_start + destination.egress_col,
            destination.ingress_row_start + source.ingress_col,
            loopback ? static_cast<uint32_t>(kLoopbackBit) : 0u};
  }

  // The index into kDecisionTable, loopback apart (callers add facts),
  // from the cells at `egress_cell` and `ingress_cell`. Reads both
  // unconditionally: row 0 holds the not-isolated port set (see
  // PortMatcher), so each direction's isolated and allowed bits come from
  // one shift, in kDecisionTable's order. kOneWord: ports.words == 1 (see
  // PortMatcher::View). Cell: the tables' cell type (see
  // DirectionTable::View). `code_port`: see PortMatcher.
  template <bool kOneWord, typename Cell>
  uint32_t Outcome(uint32_t egress_cell, uint32_t ingress_cell,
                   uint32_t code_port) const {
    static_assert(PortMatcher::kIsolatedBit << 2 == kEgressIsolatedBit &&
                  PortMatcher::kAllowedBit << 2 == kEgressAllowedBit &&
                  PortMatcher::kIsolatedBit == kIngressIsolatedBit &&
                  PortMatcher::kAllowedBit == kIngressAllowedBit);
    const uint32_t egress_bits =
        ports.Match<kOneWord>(egress.cells<Cell>()[egress_cell], code_port);
    const uint32_t ingress_bits =
        ports.Match<kOneWord>(ingress.cells<Cell>()[ingress_cell], code_port);
    return egress_bits << 2 | ingress_bits;
  }

  template <bool kOneWord, typename Cell>
  Decision Finish(const CellIndices& cells, uint16_t port,
                  Protocol protocol) const {
    return kDecisionTable[cells.facts |
                          Outcome<kOneWord, Cell>(
                              cells.egress, cells.ingress,
                              PortMatcher::CodePort(port, protocol))];
  }

  template <bool kOneWord, typename Cell>
  Decision Decide(bool loopback, const TableCoordinates& source,
                  const TableCoordinates& destination, uint16_t port,
                  Protocol protocol) const {
    return Finish<kOneWord, Cell>(Locate(loopback, source, destination), port,
                                  protocol);
  }
};

}  // namespace netpol::internal

#endif  // NETPOL_CORE_INTERNAL_DECISION_KERNEL_H_
