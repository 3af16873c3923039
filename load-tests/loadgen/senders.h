#ifndef NETPOL_LOAD_TESTS_LOADGEN_SENDERS_H_
#define NETPOL_LOAD_TESTS_LOADGEN_SENDERS_H_

// The closed-loop senders of netpol-loadgen: each keeps exactly one call
// (unary RPC, or message on its own stream) in flight on gRPC's callback
// API and starts the next one from the completion of the previous.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "load-tests/loadgen/request_set.h"
#include "load-tests/loadgen/run_summary.h"
#include "netpol/v1/decision.grpc.pb.h"

namespace netpol::loadgen {

using Clock = std::chrono::steady_clock;

// Shared by the senders of one run: when to stop and who is still running.
class RunControl {
 public:
  // `total` < 0: unlimited (stop by Stop() only). Calls started before
  // `measure_from` are sent but not recorded (warm-up).
  RunControl(int64_t total, Clock::time_point measure_from, int senders)
      : limited_(total >= 0),
        remaining_(total),
        measure_from_(measure_from),
        running_(senders) {}

  // Claims one more call; false once stopped or `total` calls were claimed.
  bool Claim();
  void Stop() { stopped_.store(true, std::memory_order_relaxed); }
  bool Recorded(Clock::time_point start) const {
    return start >= measure_from_;
  }

  void SenderFinished();
  // Waits until every sender finished or `until`; true if all did.
  bool WaitUntilFinished(Clock::time_point until);
  // When the last sender finished.
  Clock::time_point finished_at() const { return finished_at_; }

 private:
  const bool limited_;
  std::atomic<int64_t> remaining_;
  std::atomic<bool> stopped_{false};
  const Clock::time_point measure_from_;
  std::mutex mutex_;
  std::condition_variable all_finished_;
  int running_;
  Clock::time_point finished_at_;
};

struct SenderConfig {
  v1::PolicyDecisionPoint::Stub* stub = nullptr;
  const RequestSet* requests = nullptr;
  Form form = Form::kCompact;
  bool verify = false;
  std::chrono::milliseconds rpc_deadline{10000};
  RunControl* control = nullptr;
  size_t first_request = 0;  // senders start at different variants
};

class Sender {
 public:
  virtual ~Sender() = default;
  virtual void Start() = 0;
  // Only read after RunControl says every sender finished.
  SenderTally& tally() { return tally_; }

 protected:
  SenderTally tally_;
};

// Unary CheckConnection, one RPC after another.
std::unique_ptr<Sender> MakeUnarySender(const SenderConfig& config);
// One CheckConnectionStream; the next message is written once the previous
// response arrived. The stream's deadline is `stream_deadline` from Start().
std::unique_ptr<Sender> MakeStreamSender(
    const SenderConfig& config, std::chrono::milliseconds stream_deadline);

// Open loop: starts unary calls at `rate` per second from a thread of its
// own, whatever the answers' latency, keeping at most `max_in_flight`
// outstanding (a start is skipped, and counted in SenderTally::skipped,
// when the server falls that far behind). Counts as one sender for
// RunControl.
std::unique_ptr<Sender> MakePacedUnarySender(const SenderConfig& config,
                                             double rate, int max_in_flight);

}  // namespace netpol::loadgen

#endif  // NETPOL_LOAD_TESTS_LOADGEN_SENDERS_H_
