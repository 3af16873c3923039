#include "core/model.h"

namespace netpol {

bool IpBlock::Matches(const IpAddress& ip) const {
  if (!cidr.Contains(ip)) return false;
  for (const Cidr& hole : except) {
    if (hole.Contains(ip)) return false;
  }
  return true;
}

}  // namespace netpol
