#ifndef NETPOL_CORE_IP_ADDRESS_H_
#define NETPOL_CORE_IP_ADDRESS_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netpol {

enum class IpFamily : uint8_t { kV4 = 4, kV6 = 6 };

// An IPv4 or IPv6 address as a 128-bit number in host order. IPv4 uses the
// low 32 bits of `lo` (hi == 0), so addresses of one family order naturally.
struct IpAddress {
  IpFamily family = IpFamily::kV4;
  uint64_t hi = 0;
  uint64_t lo = 0;

  static IpAddress V4(uint32_t host_order) {
    return {IpFamily::kV4, 0, host_order};
  }
  static IpAddress V6(uint64_t hi, uint64_t lo) {
    return {IpFamily::kV6, hi, lo};
  }
  // Parses dotted quad or RFC 4291 text. IPv4-mapped IPv6 stays IPv6.
  static std::optional<IpAddress> Parse(std::string_view text);

  bool is_v4() const { return family == IpFamily::kV4; }
  uint32_t v4() const { return static_cast<uint32_t>(lo); }
  int bits() const { return is_v4() ? 32 : 128; }
  std::string ToString() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& ip) {
    return H::combine(std::move(h), ip.family, ip.hi, ip.lo);
  }
};

// A CIDR block. Host bits of the address are cleared on parse, as
// Kubernetes' sloppy CIDR parsing accepts them.
struct Cidr {
  IpAddress base;  // host bits zero
  int prefix = 0;

  // "10.0.0.0/8", "fd00::/64". A bare address is not a CIDR.
  static std::optional<Cidr> Parse(std::string_view text);

  bool Contains(const IpAddress& ip) const;
  // True when `other` lies inside this block (equal blocks included).
  bool Covers(const Cidr& other) const;
  // Lowest and highest address of the block.
  IpAddress First() const { return base; }
  IpAddress Last() const;
  std::string ToString() const;

  friend bool operator==(const Cidr&, const Cidr&) = default;
};

// Address arithmetic for interval bookkeeping. Saturates within the family.
IpAddress NextAddress(const IpAddress& ip);
bool IsMaxAddress(const IpAddress& ip);

// The fewest CIDR blocks covering exactly first..last (one family,
// first <= last), in address order.
std::vector<Cidr> RangeToCidrs(const IpAddress& first, const IpAddress& last);

}  // namespace netpol

#endif  // NETPOL_CORE_IP_ADDRESS_H_
