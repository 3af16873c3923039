#ifndef NETPOL_CORE_INTERNAL_V4_ADDRESS_MAP_H_
#define NETPOL_CORE_INTERNAL_V4_ADDRESS_MAP_H_

// Every IPv4 address -> the coordinates it is decided with. Internal: only
// core/ includes this.
//
// A radix tree of 16, 8 and 8 bits over the whole address space: a look-up
// is three dependent loads and no branch, whether the address is a pod's or
// external, where a hash index needs a probe loop and external addresses a
// search of the ranges. Blocks in which every address has the same class
// are shared, so the tree costs its 256 KiB top level (only the lines of
// /16s in use get cached) plus 1 KiB per /16 and 512 bytes per /24 that
// mixes classes: with pod addresses handed out per node, about 512 bytes
// per node.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/internal/snapshot_tables.h"

namespace netpol::internal {

class V4AddressMap {
 public:
  // Leaves hold classes as 16 bits: half the bytes of the table read at
  // random, per address, in batches.
  using ClassId = uint16_t;
  static constexpr size_t kMaxClasses = size_t{1} << 16;

  // The map's arrays, for loops that keep them in registers. Valid while
  // the map lives.
  struct View {
    // Indexed by the address as it lies in memory in network byte order,
    // loaded as a little-endian word w (first octet in its low byte), so
    // that batches of addresses off the wire need no byte swap:
    const uint32_t* top;     // [w & 0xffff] -> first entry of a middle block
    const uint32_t* middle;  // [block + (w >> 16 & 0xff)] -> first leaf
    const ClassId* leaves;   // [block + (w >> 24)] -> class
    const TableCoordinates* classes;
    uint32_t pod_classes;  // classes below this are pods' addresses

    // `wire`: see above.
    uint32_t ClassOfWire(uint32_t wire) const {
      return leaves[middle[top[wire & 0xffff] + ((wire >> 16) & 0xff)] +
                    (wire >> 24)];
    }
    // `ip` in host order.
    uint32_t ClassOf(uint32_t ip) const { return ClassOfWire(ToWire(ip)); }
    static uint32_t ToWire(uint32_t ip) { return __builtin_bswap32(ip); }
    bool IsPod(uint32_t class_id) const { return class_id < pod_classes; }
  };

  // Maps each address of `pods` (unique) to its coordinates and every other
  // address to those of the range of `external_starts` (sorted, the first
  // 0) holding it. Returns false, leaving the map empty, when the tree
  // would take more than `max_bytes` (addresses scattered over many /24s)
  // or there are more than kMaxClasses distinct coordinates.
  bool Build(const std::vector<std::pair<uint32_t, EndpointEntry>>& pods,
             const std::vector<uint32_t>& external_starts,
             const std::vector<TableCoordinates>& external_coordinates,
             size_t max_bytes);

  bool empty() const { return top_.empty(); }
  // Only when !empty().
  View view() const {
    return {top_.data(), middle_.data(), leaves_.data(), classes_.data(),
            pod_classes_};
  }
  size_t memory_bytes() const {
    return (top_.capacity() + middle_.capacity()) * sizeof(uint32_t) +
           leaves_.capacity() * sizeof(ClassId) +
           classes_.capacity() * sizeof(TableCoordinates);
  }

 private:
  std::vector<uint32_t> top_;
  std::vector<uint32_t> middle_;
  std::vector<ClassId> leaves_;
  std::vector<TableCoordinates> classes_;
  uint32_t pod_classes_ = 0;
};

}  // namespace netpol::internal

#endif  // NETPOL_CORE_INTERNAL_V4_ADDRESS_MAP_H_
