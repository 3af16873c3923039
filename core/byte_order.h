#ifndef NETPOL_CORE_BYTE_ORDER_H_
#define NETPOL_CORE_BYTE_ORDER_H_

// Big-endian (network order) loads, for addresses as the wire protocol
// and the socket API carry them, and the little-endian load that reads
// them with no byte swap on the machines we run on (see V4AddressMap).

#include <bit>
#include <cstdint>
#include <cstring>

namespace netpol {

inline uint32_t LoadBigEndian32(const void* bytes) {
  uint32_t value;
  std::memcpy(&value, bytes, sizeof(value));
  if constexpr (std::endian::native == std::endian::little) {
    value = __builtin_bswap32(value);
  }
  return value;
}

inline uint64_t LoadBigEndian64(const void* bytes) {
  uint64_t value;
  std::memcpy(&value, bytes, sizeof(value));
  if constexpr (std::endian::native == std::endian::little) {
    value = __builtin_bswap64(value);
  }
  return value;
}

inline uint32_t LoadLittleEndian32(const void* bytes) {
  return __builtin_bswap32(LoadBigEndian32(bytes));  // folds to a plain load
}

}  // namespace netpol

#endif  // NETPOL_CORE_BYTE_ORDER_H_
