#ifndef NETPOL_CLIENT_LIB_COALESCER_H_
#define NETPOL_CLIENT_LIB_COALESCER_H_

// Batches single-connection checks from many threads. Callers enqueue and
// block on their own future; one flusher thread hands the queue to `send`
// (an asynchronous batch check) when the oldest entry has waited `delay` or
// `max_batch` entries are queued. The flusher never waits for an answer, so
// several batches may be in flight.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "netpol/client/connection.h"
#include "netpol/client/pdp_client.h"

namespace netpol::client::internal {

class Coalescer {
 public:
  using SendFn =
      std::function<void(std::vector<Connection>, PdpClient::CheckCallback)>;

  Coalescer(SendFn send, absl::Duration delay, size_t max_batch);
  // Flushes what is queued, then joins the flusher.
  ~Coalescer();

  Coalescer(const Coalescer&) = delete;
  Coalescer& operator=(const Coalescer&) = delete;

  Decision Check(const Connection& connection);

  uint64_t batches() const { return batches_.load(); }
  uint64_t connections() const { return connections_.load(); }

 private:
  void FlusherLoop();
  void Flush(std::vector<Connection> connections,
             std::vector<std::promise<Decision>> waiters);

  const SendFn send_;
  const absl::Duration delay_;
  const size_t max_batch_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<Connection> queued_;
  std::vector<std::promise<Decision>> waiters_;
  absl::Time oldest_;

  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> connections_{0};
  std::thread flusher_;
};

}  // namespace netpol::client::internal

#endif  // NETPOL_CLIENT_LIB_COALESCER_H_
