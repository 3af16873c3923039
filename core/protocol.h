#ifndef NETPOL_CORE_PROTOCOL_H_
#define NETPOL_CORE_PROTOCOL_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace netpol {

// Transport protocols a NetworkPolicy port can name. The numbering is dense
// so it can index per-protocol tables; it is NOT the wire enum.
enum class Protocol : uint8_t { kTcp = 0, kUdp = 1, kSctp = 2 };
inline constexpr int kProtocolCount = 3;

// "TCP", "UDP", "SCTP" (the Kubernetes spelling, case-sensitive).
std::string_view ProtocolName(Protocol protocol);

// Parses the Kubernetes spelling exactly, as the API server does.
std::optional<Protocol> ParseProtocol(std::string_view text);

// Destination ports first..last, inclusive.
struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;

  friend bool operator==(const PortRange&, const PortRange&) = default;
};

}  // namespace netpol

#endif  // NETPOL_CORE_PROTOCOL_H_
