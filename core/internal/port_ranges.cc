#include "core/internal/port_ranges.h"

#include <algorithm>

namespace netpol::internal {
namespace {

// Appends [first, last], merging with the previous range when they touch.
void Append(std::vector<PortRange>& out, uint32_t first, uint32_t last) {
  if (first > last) return;
  if (!out.empty() && uint32_t{out.back().last} + 1 >= first) {
    out.back().last =
        static_cast<uint16_t>(std::max<uint32_t>(out.back().last, last));
    return;
  }
  out.push_back({static_cast<uint16_t>(first), static_cast<uint16_t>(last)});
}

}  // namespace

PortRanges Normalize(const PortSet& set) {
  PortRanges out;
  for (int proto = 0; proto < kProtocolCount; ++proto) {
    for (const PortRange& r : set.ranges[proto]) {
      Append(out[proto], std::max<uint32_t>(r.first, 1), r.last);
    }
  }
  return out;
}

PortRanges AllPorts() {
  PortRanges out;
  for (auto& ranges : out) ranges.push_back({1, 65535});
  return out;
}

PortRanges Intersect(const PortRanges& a, const PortRanges& b) {
  PortRanges out;
  for (int proto = 0; proto < kProtocolCount; ++proto) {
    const auto& x = a[proto];
    const auto& y = b[proto];
    size_t i = 0, j = 0;
    while (i < x.size() && j < y.size()) {
      Append(out[proto], std::max(x[i].first, y[j].first),
             std::min(x[i].last, y[j].last));
      // Drop whichever range ends first; the other may overlap the next.
      if (x[i].last < y[j].last) {
        ++i;
      } else {
        ++j;
      }
    }
  }
  return out;
}

PortRanges Subtract(const PortRanges& a, const PortRanges& b) {
  PortRanges out;
  for (int proto = 0; proto < kProtocolCount; ++proto) {
    const auto& y = b[proto];
    size_t j = 0;
    for (const PortRange& r : a[proto]) {
      uint32_t next = r.first;  // first port of r not yet handled
      while (j < y.size() && y[j].last < next) ++j;
      for (size_t k = j; k < y.size() && y[k].first <= r.last; ++k) {
        if (y[k].first > next) Append(out[proto], next, y[k].first - 1u);
        next = std::max<uint32_t>(next, uint32_t{y[k].last} + 1);
      }
      Append(out[proto], next, r.last);
    }
  }
  return out;
}

bool IsEmpty(const PortRanges& set) {
  return std::all_of(set.begin(), set.end(),
                     [](const auto& r) { return r.empty(); });
}

uint64_t CountPorts(const std::vector<PortRange>& ranges) {
  uint64_t n = 0;
  for (const PortRange& r : ranges) n += uint64_t{r.last} - r.first + 1;
  return n;
}

}  // namespace netpol::internal
