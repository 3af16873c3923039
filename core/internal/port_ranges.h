#ifndef NETPOL_CORE_INTERNAL_PORT_RANGES_H_
#define NETPOL_CORE_INTERNAL_PORT_RANGES_H_

// Set algebra on per-protocol port ranges, for the diff engine. Every set
// here is normalised: ports 1..65535 only, ranges sorted, disjoint and not
// adjacent, so equal sets have equal representations.

#include <array>
#include <cstdint>
#include <vector>

#include "core/internal/snapshot_tables.h"
#include "core/protocol.h"

namespace netpol::internal {

using PortRanges = std::array<std::vector<PortRange>, kProtocolCount>;

// `set` clipped to 1..65535 with touching ranges merged.
PortRanges Normalize(const PortSet& set);
// Every port of every protocol.
PortRanges AllPorts();

PortRanges Intersect(const PortRanges& a, const PortRanges& b);
// Ports in `a` and not in `b`.
PortRanges Subtract(const PortRanges& a, const PortRanges& b);

bool IsEmpty(const PortRanges& set);
// How many ports `ranges` covers.
uint64_t CountPorts(const std::vector<PortRange>& ranges);

}  // namespace netpol::internal

#endif  // NETPOL_CORE_INTERNAL_PORT_RANGES_H_
