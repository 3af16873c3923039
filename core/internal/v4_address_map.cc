#include "core/internal/v4_address_map.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace netpol::internal {
namespace {

constexpr uint32_t kBlock = 256;
constexpr size_t kTopEntries = size_t{1} << 16;

// Where the /16 whose addresses start with `high` (host order) sits in the
// top level: see V4AddressMap::View.
size_t TopIndex(uint32_t high) { return (high >> 8) | ((high & 0xff) << 8); }

// The class of every address, pods over external ranges, read in
// increasing address order: the cursors only move forward, so building the
// whole tree is linear in blocks, pods and ranges.
class AddressClasses {
 public:
  AddressClasses(const std::vector<std::pair<uint32_t, uint32_t>>& pods,
                 const std::vector<uint32_t>& starts,
                 const std::vector<uint32_t>& range_classes)
      : pods_(pods), starts_(starts), range_classes_(range_classes) {}

  // Whether all of [first, last] has one class, then stored in `*class_id`.
  // `first` must not decrease from one call to the next.
  bool Uniform(uint32_t first, uint32_t last, uint32_t* class_id) {
    Seek(first);
    if (pod_ < pods_.size() && pods_[pod_].first <= last) return false;
    if (range_ + 1 < starts_.size() && starts_[range_ + 1] <= last) {
      return false;
    }
    *class_id = range_classes_[range_];
    return true;
  }

  // The classes of the kBlock addresses from `first` into `out`.
  void Fill(uint32_t first, V4AddressMap::ClassId* out) {
    Seek(first);
    size_t range = range_;
    for (uint32_t j = 0; j < kBlock; ++j) {
      while (range + 1 < starts_.size() && starts_[range + 1] <= first + j) {
        ++range;
      }
      out[j] = static_cast<V4AddressMap::ClassId>(range_classes_[range]);
    }
    const uint32_t last = first + (kBlock - 1);
    for (size_t p = pod_; p < pods_.size() && pods_[p].first <= last; ++p) {
      out[pods_[p].first - first] =
          static_cast<V4AddressMap::ClassId>(pods_[p].second);
    }
  }

 private:
  void Seek(uint32_t first) {
    while (pod_ < pods_.size() && pods_[pod_].first < first) ++pod_;
    while (range_ + 1 < starts_.size() && starts_[range_ + 1] <= first) {
      ++range_;
    }
  }

  const std::vector<std::pair<uint32_t, uint32_t>>& pods_;  // sorted by ip
  const std::vector<uint32_t>& starts_;
  const std::vector<uint32_t>& range_classes_;
  size_t pod_ = 0;    // first pod at or after the last `first`
  size_t range_ = 0;  // the range holding the last `first`
};

}  // namespace

bool V4AddressMap::Build(
    const std::vector<std::pair<uint32_t, EndpointEntry>>& pods,
    const std::vector<uint32_t>& external_starts,
    const std::vector<TableCoordinates>& external_coordinates,
    size_t max_bytes) {
  *this = V4AddressMap();
  absl::flat_hash_map<TableCoordinates, uint32_t> ids;
  const auto class_of = [&](const TableCoordinates& coordinates) {
    auto [it, inserted] = ids.try_emplace(coordinates, classes_.size());
    if (inserted) classes_.push_back(coordinates);
    return it->second;
  };
  std::vector<std::pair<uint32_t, uint32_t>> pod_classes;
  pod_classes.reserve(pods.size());
  for (const auto& [ip, coordinates] : pods) {
    pod_classes.emplace_back(ip, class_of(coordinates));
  }
  std::sort(pod_classes.begin(), pod_classes.end());
  pod_classes_ = static_cast<uint32_t>(classes_.size());
  // External classes are numbered apart from pods' even where coordinates
  // coincide: only pod classes make loopback.
  ids.clear();
  std::vector<uint32_t> range_classes;
  range_classes.reserve(external_coordinates.size());
  for (const TableCoordinates& coordinates : external_coordinates) {
    range_classes.push_back(class_of(coordinates));
  }
  // Leaves hold class ids in ClassId: past that, the hash index serves.
  if (classes_.size() > kMaxClasses) {
    *this = V4AddressMap();
    return false;
  }

  absl::flat_hash_map<uint32_t, uint32_t> uniform_leaf, uniform_middle;
  const auto uniform_leaf_of = [&](uint32_t class_id) {
    auto [it, inserted] = uniform_leaf.try_emplace(class_id, leaves_.size());
    if (inserted) {
      leaves_.insert(leaves_.end(), kBlock, static_cast<ClassId>(class_id));
    }
    return it->second;
  };
  const auto uniform_middle_of = [&](uint32_t class_id) {
    auto it = uniform_middle.find(class_id);
    if (it != uniform_middle.end()) return it->second;
    const uint32_t leaf = uniform_leaf_of(class_id);
    const uint32_t start = static_cast<uint32_t>(middle_.size());
    middle_.insert(middle_.end(), kBlock, leaf);
    uniform_middle.emplace(class_id, start);
    return start;
  };
  const auto bytes = [&] {
    return (kTopEntries + middle_.size()) * sizeof(uint32_t) +
           leaves_.size() * sizeof(ClassId) +
           classes_.size() * sizeof(TableCoordinates);
  };

  AddressClasses addresses(pod_classes, external_starts, range_classes);
  top_.resize(kTopEntries);
  for (uint32_t t = 0; t < kTopEntries; ++t) {
    const uint32_t first = t << 16;
    uint32_t class_id;
    if (addresses.Uniform(first, first | 0xffff, &class_id)) {
      top_[TopIndex(t)] = uniform_middle_of(class_id);
    } else {
      const size_t middle = middle_.size();
      middle_.resize(middle + kBlock);
      for (uint32_t u = 0; u < kBlock; ++u) {
        const uint32_t block_first = first | (u << 8);
        if (addresses.Uniform(block_first, block_first | 0xff, &class_id)) {
          middle_[middle + u] = uniform_leaf_of(class_id);
        } else {
          const size_t leaf = leaves_.size();
          leaves_.resize(leaf + kBlock);
          addresses.Fill(block_first, &leaves_[leaf]);
          middle_[middle + u] = static_cast<uint32_t>(leaf);
        }
      }
      top_[TopIndex(t)] = static_cast<uint32_t>(middle);
    }
    if (bytes() > max_bytes) {
      *this = V4AddressMap();
      return false;
    }
  }
  middle_.shrink_to_fit();
  leaves_.shrink_to_fit();
  classes_.shrink_to_fit();
  return true;
}

}  // namespace netpol::internal
