#ifndef NETPOL_CORE_DECISION_H_
#define NETPOL_CORE_DECISION_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/ip_address.h"
#include "core/protocol.h"

namespace netpol {

struct PodRef {
  std::string namespace_name;
  std::string name;

  std::string ToString() const { return namespace_name + "/" + name; }
  friend bool operator==(const PodRef&, const PodRef&) = default;
};

// Who is talking: an IP (a pod's IP resolves to that pod; any other IP is
// external) or a pod by name.
using Endpoint = std::variant<IpAddress, PodRef>;

// Parses "ns/name" as a pod reference, anything else as an IP address.
std::optional<Endpoint> ParseEndpoint(std::string_view text);
std::string EndpointToString(const Endpoint& endpoint);

struct Connection {
  Endpoint source;
  Endpoint destination;
  uint32_t port = 0;  // destination port; valid range 1..65535
  Protocol protocol = Protocol::kTcp;
};

// An IPv4 connection in the batch form (CompiledSnapshot::DecideV4):
// addresses as integers in host byte order.
struct V4Connection {
  uint32_t source = 0;
  uint32_t destination = 0;
  uint16_t port = 0;  // 1..65535
  Protocol protocol = Protocol::kTcp;
};

// IPv4 connections as columns, in the layout of the wire protocol's
// compact blocks (CompiledSnapshot::DecideCompactV4). Connection i has the
// big-endian addresses at sources + 4i and destinations + 4i, and
// port_protocols[i] = port | code << 16 with code 0 or 1 for TCP, 2 UDP,
// 3 SCTP. A port of 0 or a code above 3 makes the connection invalid.
struct CompactV4Connections {
  const char* sources = nullptr;
  const char* destinations = nullptr;
  const uint32_t* port_protocols = nullptr;
  size_t count = 0;
};

// Whether a port_protocols word of the compact form names a connection
// that can be decided: a port of 1..65535 and a code of at most 3.
inline bool ValidCompactPortProtocol(uint32_t port_protocol) {
  return ((port_protocol & 0xffff) != 0) & ((port_protocol >> 16) <= 3);
}

// Why a connection is allowed or denied. Names match the RPC enum.
enum class Reason : uint8_t {
  kLoopback,         // a pod talking to itself
  kNotIsolated,      // neither side is isolated in the direction that matters
  kAllowedByPolicy,  // every isolated side has a rule allowing it
  kDeniedEgress,     // source isolated for egress, no rule allows it
  kDeniedIngress,    // destination isolated for ingress, no rule allows it
  kInvalid,          // the connection could not be evaluated
};

// "LOOPBACK", "NOT_ISOLATED", "ALLOWED_BY_POLICY", "DENIED_EGRESS",
// "DENIED_INGRESS", "INVALID_CONNECTION".
std::string_view ReasonName(Reason reason);

inline constexpr size_t kReasonCount = 6;
// Decisions by reason, indexed by Reason.
using ReasonCounts = std::array<uint64_t, kReasonCount>;

struct Decision {
  bool allowed = false;
  Reason reason = Reason::kInvalid;

  friend bool operator==(const Decision&, const Decision&) = default;
};

// A rule that matched, identified the way a person finds it in YAML.
struct RuleRef {
  std::string policy;  // "namespace/name"
  int rule_index = 0;  // index into spec.ingress or spec.egress
};

// One direction of an explanation: egress of the source or ingress of the
// destination.
struct DirectionExplanation {
  std::string pod;  // "ns/name"; empty when external
  bool isolated = false;
  std::vector<std::string> selecting_policies;  // "ns/name", isolating ones
  std::vector<RuleRef> allowing_rules;          // every rule allowing this flow
  bool allowed = false;
};

struct Explanation {
  Decision decision;
  std::string source;  // resolved endpoint, e.g. "x/a (10.0.1.10)"
  std::string destination;
  DirectionExplanation egress;
  DirectionExplanation ingress;

  // Multi-line, human-readable account of the decision.
  std::string ToText() const;
};

}  // namespace netpol

#endif  // NETPOL_CORE_DECISION_H_
