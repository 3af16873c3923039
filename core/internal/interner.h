#ifndef NETPOL_CORE_INTERNAL_INTERNER_H_
#define NETPOL_CORE_INTERNAL_INTERNER_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace netpol::internal {

// Interns values of type K, handing out dense ids from `first_id`.
template <typename K>
class Interner {
 public:
  explicit Interner(uint32_t first_id = 0) : next_(first_id) {}
  uint32_t Intern(const K& key) {
    auto [it, inserted] = ids_.try_emplace(key, next_);
    if (inserted) {
      ++next_;
      keys_.push_back(key);
    }
    return it->second;
  }
  uint32_t size() const { return next_; }
  const std::vector<K>& keys() const { return keys_; }  // in id order

 private:
  absl::flat_hash_map<K, uint32_t> ids_;
  std::vector<K> keys_;
  uint32_t next_;
};

}  // namespace netpol::internal

#endif  // NETPOL_CORE_INTERNAL_INTERNER_H_
