#ifndef NETPOL_CLIENT_CONNECTION_H_
#define NETPOL_CLIENT_CONNECTION_H_

// The client's own vocabulary for connection checks. Kept free of protobuf
// and of the server's internal types so the installed headers stand alone.

#include <array>
#include <cstdint>
#include <string>
#include <variant>

namespace netpol::client {

enum class Protocol : uint8_t { kTcp = 1, kUdp = 2, kSctp = 3 };

// A pod by name.
struct PodRef {
  std::string ns;
  std::string name;
};

// Raw addresses in network byte order.
using Ipv4Bytes = std::array<uint8_t, 4>;
using Ipv6Bytes = std::array<uint8_t, 16>;

// One side of a connection: an IP (text or raw bytes) or a pod reference.
// IP endpoints travel in the compact form; pod references and text that
// does not parse as an IP travel in the friendly form.
class Endpoint {
 public:
  static Endpoint Ip(std::string text) { return Endpoint(std::move(text)); }
  static Endpoint Ipv4(const Ipv4Bytes& bytes) { return Endpoint(bytes); }
  static Endpoint Ipv6(const Ipv6Bytes& bytes) { return Endpoint(bytes); }
  static Endpoint Pod(std::string ns, std::string name) {
    return Endpoint(PodRef{std::move(ns), std::move(name)});
  }

  using Value = std::variant<std::string, Ipv4Bytes, Ipv6Bytes, PodRef>;
  const Value& value() const { return value_; }

 private:
  explicit Endpoint(Value value) : value_(std::move(value)) {}
  Value value_;
};

struct Connection {
  Endpoint source;
  Endpoint destination;
  uint16_t port = 0;
  Protocol protocol = Protocol::kTcp;
};

enum class Verdict : uint8_t { kAllow, kDeny };

enum class Reason : uint8_t {
  // Compact-form answers carry a verdict only.
  kUnspecified,
  kLoopback,
  kNotIsolated,
  kAllowedByPolicy,
  kDeniedEgress,
  kDeniedIngress,
  // The server could not evaluate the item; Decision::error says why.
  kInvalidConnection,
  // The service did not answer (deadline, unreachable, error status): the
  // verdict is the client's configured fail-open/fail-closed default and
  // Decision::error holds the status.
  kUnavailable,
};

struct Decision {
  Verdict verdict = Verdict::kDeny;
  Reason reason = Reason::kUnspecified;
  std::string error;
  // The snapshot version that answered; 0 when the service did not.
  uint64_t snapshot_version = 0;

  bool allowed() const { return verdict == Verdict::kAllow; }
  bool unavailable() const { return reason == Reason::kUnavailable; }
};

const char* VerdictName(Verdict verdict);
const char* ReasonName(Reason reason);

}  // namespace netpol::client

#endif  // NETPOL_CLIENT_CONNECTION_H_
