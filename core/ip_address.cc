#include "core/ip_address.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/byte_order.h"

namespace netpol {
namespace {

// Mask keeping the top `prefix` bits of a 128-bit value split in hi/lo.
void PrefixMask(int prefix, int bits, uint64_t* hi, uint64_t* lo) {
  if (bits == 32) {
    *hi = 0;
    *lo = prefix == 0 ? 0 : (0xFFFFFFFFull << (32 - prefix)) & 0xFFFFFFFFull;
    return;
  }
  if (prefix == 0) {
    *hi = *lo = 0;
  } else if (prefix <= 64) {
    *hi = prefix == 64 ? ~0ull : ~0ull << (64 - prefix);
    *lo = 0;
  } else {
    *hi = ~0ull;
    *lo = prefix == 128 ? ~0ull : ~0ull << (128 - prefix);
  }
}

// Strict dotted quad, as glibc's inet_pton accepts it (four decimal parts,
// each 0-255 without leading zeros), without its per-call C-string cost:
// text IPs arrive at millions per second on the data plane.
std::optional<uint32_t> ParseDottedQuad(std::string_view text) {
  uint32_t value = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    const size_t start = i;
    uint32_t part = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 3) {
      part = part * 10 + static_cast<uint32_t>(text[i] - '0');
      ++i;
    }
    const size_t digits = i - start;
    if (digits == 0 || part > 255 || (digits > 1 && text[start] == '0')) return std::nullopt;
    value = (value << 8) | part;
    ++parts;
    if (parts < 4) {
      if (i >= text.size() || text[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  // Dotted quads first: they never hold a ':', and most addresses are.
  if (const std::optional<uint32_t> v4 = ParseDottedQuad(text)) {
    return V4(*v4);
  }
  if (text.find(':') == std::string_view::npos) return std::nullopt;
  // inet_pton reads a C string: an embedded NUL would hide a suffix.
  if (text.size() > INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  char buf[INET6_ADDRSTRLEN + 1];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::array<unsigned char, 16> v6;
  if (inet_pton(AF_INET6, buf, v6.data()) != 1) return std::nullopt;
  return V6(LoadBigEndian64(v6.data()), LoadBigEndian64(v6.data() + 8));
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    in_addr addr{htonl(v4())};
    inet_ntop(AF_INET, &addr, buf, sizeof(buf));
    return buf;
  }
  std::array<unsigned char, 16> bytes;
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<unsigned char>(hi >> (56 - 8 * i));
    bytes[8 + i] = static_cast<unsigned char>(lo >> (56 - 8 * i));
  }
  inet_ntop(AF_INET6, bytes.data(), buf, sizeof(buf));
  return buf;
}

std::optional<Cidr> Cidr::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::optional<IpAddress> ip = IpAddress::Parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  std::string_view prefix_text = text.substr(slash + 1);
  int prefix = 0;
  const char* end = prefix_text.data() + prefix_text.size();
  // Digits only: from_chars would take a sign.
  if (prefix_text.empty() || prefix_text.size() > 3 ||
      prefix_text.find_first_not_of("0123456789") != std::string_view::npos ||
      std::from_chars(prefix_text.data(), end, prefix).ptr != end ||
      prefix > ip->bits()) {
    return std::nullopt;
  }
  uint64_t mask_hi, mask_lo;
  PrefixMask(prefix, ip->bits(), &mask_hi, &mask_lo);
  Cidr cidr;
  cidr.base = *ip;
  cidr.base.hi &= mask_hi;
  cidr.base.lo &= mask_lo;
  cidr.prefix = prefix;
  return cidr;
}

bool Cidr::Contains(const IpAddress& ip) const {
  if (ip.family != base.family) return false;
  uint64_t mask_hi, mask_lo;
  PrefixMask(prefix, base.bits(), &mask_hi, &mask_lo);
  return (ip.hi & mask_hi) == base.hi && (ip.lo & mask_lo) == base.lo;
}

bool Cidr::Covers(const Cidr& other) const {
  return other.base.family == base.family && other.prefix >= prefix &&
         Contains(other.base);
}

IpAddress Cidr::Last() const {
  uint64_t mask_hi, mask_lo;
  PrefixMask(prefix, base.bits(), &mask_hi, &mask_lo);
  IpAddress last = base;
  if (base.is_v4()) {
    last.lo |= ~mask_lo & 0xFFFFFFFFull;
  } else {
    last.hi |= ~mask_hi;
    last.lo |= ~mask_lo;
  }
  return last;
}

std::string Cidr::ToString() const {
  return absl::StrCat(base.ToString(), "/", prefix);
}

bool IsMaxAddress(const IpAddress& ip) {
  return ip.is_v4() ? ip.lo == 0xFFFFFFFFull : (ip.hi == ~0ull && ip.lo == ~0ull);
}

IpAddress NextAddress(const IpAddress& ip) {
  if (IsMaxAddress(ip)) return ip;
  IpAddress next = ip;
  if (++next.lo == 0 && !ip.is_v4()) ++next.hi;
  return next;
}

namespace {

using U128 = unsigned __int128;

U128 ToU128(const IpAddress& ip) { return (U128{ip.hi} << 64) | ip.lo; }

IpAddress FromU128(IpFamily family, U128 value) {
  return {family, static_cast<uint64_t>(value >> 64), static_cast<uint64_t>(value)};
}

}  // namespace

std::vector<Cidr> RangeToCidrs(const IpAddress& first, const IpAddress& last) {
  // Offset of a block's last address from its first: 2^host_bits - 1.
  auto span = [](int host_bits) {
    return host_bits >= 128 ? ~U128{0} : (U128{1} << host_bits) - 1;
  };
  std::vector<Cidr> out;
  const int bits = first.bits();
  U128 next = ToU128(first);
  const U128 end = ToU128(last);
  while (true) {
    // The largest block aligned at `next` that does not pass `end`.
    int host_bits = 0;
    while (host_bits < bits && ((next >> host_bits) & 1) == 0 &&
           span(host_bits + 1) <= end - next) {
      ++host_bits;
    }
    out.push_back({FromU128(first.family, next), bits - host_bits});
    if (span(host_bits) >= end - next) break;
    next += span(host_bits) + 1;
  }
  return out;
}

}  // namespace netpol
