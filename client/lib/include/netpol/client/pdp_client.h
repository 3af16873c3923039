#ifndef NETPOL_CLIENT_PDP_CLIENT_H_
#define NETPOL_CLIENT_PDP_CLIENT_H_

// netpol::client::PdpClient: a thread-safe client of netpol.v1's
// PolicyDecisionPoint.
//
//   auto client = PdpClient::Create({.target = "127.0.0.1:50051"});
//   std::vector<Decision> d = (*client)->Check(connections);
//
// Every call answers every connection: when the service cannot (deadline,
// UNAVAILABLE after the retries, any other error status) each decision
// carries the configured fail-open/fail-closed verdict with reason
// kUnavailable and the status in `error`. Nothing throws.
//
// Batches: connections whose two endpoints are IPs of one family go in the
// compact form (one block per family; answers carry a verdict, no reason);
// the others in the friendly form. Results come back in input order.
//
// CheckOne coalescing: callers enqueue and wait; a dedicated flusher thread
// sends the queue as one asynchronous batch once the oldest entry has
// waited `coalesce_delay` or `coalesce_max_batch` entries are queued,
// whichever comes first. Batches are sent without waiting for the previous
// one, so a slow RPC does not hold back later callers.

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "netpol/client/check_stream.h"
#include "netpol/client/connection.h"

namespace netpol::client {

struct PdpClientOptions {
  // Any gRPC target: "host:port", "dns:///name:port",
  // "ipv4:10.0.0.1:50051,10.0.0.2:50051". Ignored when `addresses` is set.
  std::string target;
  // Several "host:port" servers (IP literals; IPv6 as "[::1]:50051"),
  // balanced round robin. Overrides `target`.
  std::vector<std::string> addresses;

  // Budget of one call, retries included.
  absl::Duration deadline = absl::Milliseconds(50);
  // Attempts per call on UNAVAILABLE (1 = no retry), with exponential
  // backoff from `initial_backoff`, doubling up to `max_backoff`, never past
  // the deadline.
  int max_attempts = 3;
  absl::Duration initial_backoff = absl::Milliseconds(2);
  absl::Duration max_backoff = absl::Milliseconds(20);

  // The verdict when the service cannot answer.
  bool fail_open = false;

  // CheckOne coalescing.
  absl::Duration coalesce_delay = absl::Microseconds(200);
  size_t coalesce_max_batch = 1000;
};

// Counters since Create; each read is a snapshot.
struct PdpClientStats {
  uint64_t rpcs = 0;               // CheckConnection attempts, retries included
  uint64_t retries = 0;            // attempts after an UNAVAILABLE
  uint64_t unavailable = 0;        // calls answered with the fail verdict
  uint64_t coalesced_batches = 0;  // batches sent by CheckOne's flusher
  uint64_t coalesced_connections = 0;  // CheckOne calls they carried
};

class PdpClient {
 public:
  using CheckCallback = std::function<void(std::vector<Decision>)>;

  // InvalidArgument when no target or address is given, or an address is
  // malformed. Connecting is lazy: a server that is down is not an error.
  static absl::StatusOr<std::unique_ptr<PdpClient>> Create(
      PdpClientOptions options);

  virtual ~PdpClient() = default;

  // One RPC (per attempt) for the whole batch; decisions in input order.
  virtual std::vector<Decision> Check(
      absl::Span<const Connection> connections) = 0;
  // The same without blocking: `done` runs once, on a gRPC thread; keep it
  // short and never call the blocking methods (Check, CheckOne) from it.
  // `connections` is encoded before returning.
  virtual void CheckAsync(absl::Span<const Connection> connections,
                          CheckCallback done) = 0;
  std::future<std::vector<Decision>> CheckFuture(
      absl::Span<const Connection> connections);

  // One connection, batched with concurrent callers (see above).
  virtual Decision CheckOne(const Connection& connection) = 0;

  // A CheckConnectionStream session; see check_stream.h. It must not
  // outlive the client.
  virtual std::unique_ptr<CheckStream> OpenStream() = 0;

  virtual PdpClientStats stats() const = 0;
};

}  // namespace netpol::client

#endif  // NETPOL_CLIENT_PDP_CLIENT_H_
