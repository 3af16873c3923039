#ifndef NETPOL_CLIENT_CHECK_STREAM_H_
#define NETPOL_CLIENT_CHECK_STREAM_H_

// A CheckConnectionStream session for sidecars: one long-lived HTTP/2
// stream, one request and one response per Check, in order. Not
// thread-safe: one session per thread (or guard it).
//
// A failed stream (server gone, error status) answers that Check with the
// fail verdict and is reopened on the next Check. Each Check waits at most
// the client's deadline; past it the stream is cancelled.

#include <vector>

#include "absl/types/span.h"
#include "netpol/client/connection.h"

namespace netpol::client {

class CheckStream {
 public:
  virtual ~CheckStream() = default;
  virtual std::vector<Decision> Check(
      absl::Span<const Connection> connections) = 0;
};

}  // namespace netpol::client

#endif  // NETPOL_CLIENT_CHECK_STREAM_H_
