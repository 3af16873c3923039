#include "netpol/client/connection.h"

namespace netpol::client {

const char* VerdictName(Verdict verdict) {
  return verdict == Verdict::kAllow ? "ALLOW" : "DENY";
}

const char* ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kUnspecified:
      return "UNSPECIFIED";
    case Reason::kLoopback:
      return "LOOPBACK";
    case Reason::kNotIsolated:
      return "NOT_ISOLATED";
    case Reason::kAllowedByPolicy:
      return "ALLOWED_BY_POLICY";
    case Reason::kDeniedEgress:
      return "DENIED_EGRESS";
    case Reason::kDeniedIngress:
      return "DENIED_INGRESS";
    case Reason::kInvalidConnection:
      return "INVALID_CONNECTION";
    case Reason::kUnavailable:
      return "UNAVAILABLE";
  }
  return "UNSPECIFIED";
}

}  // namespace netpol::client
