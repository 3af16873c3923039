#include "load-tests/loadgen/senders.h"

namespace netpol::loadgen {

bool RunControl::Claim() {
  if (stopped_.load(std::memory_order_relaxed)) return false;
  if (!limited_) return true;
  return remaining_.fetch_sub(1, std::memory_order_relaxed) > 0;
}

void RunControl::SenderFinished() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (--running_ == 0) {
    finished_at_ = Clock::now();
    all_finished_.notify_all();
  }
}

bool RunControl::WaitUntilFinished(Clock::time_point until) {
  std::unique_lock<std::mutex> lock(mutex_);
  return all_finished_.wait_until(lock, until,
                                  [this] { return running_ == 0; });
}

namespace {

int64_t Nanos(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

// Records one completed call of a sender.
void Record(const SenderConfig& config, SenderTally& tally,
            Clock::time_point start, const grpc::Status& status,
            const v1::CheckConnectionResponse& response, size_t request) {
  if (!config.control->Recorded(start)) return;
  if (!status.ok()) {
    ++tally.errors[status.error_code()];
    return;
  }
  tally.latencies_ns.push_back(Nanos(Clock::now() - start));
  if (config.verify && VerdictsOf(response, config.form) !=
                           config.requests->expected_verdicts[request]) {
    ++tally.wrong_verdicts;
  }
}

class UnarySender final : public Sender {
 public:
  explicit UnarySender(const SenderConfig& config)
      : config_(config), next_request_(config.first_request) {}

  void Start() override { Next(); }

 private:
  void Next() {
    if (!config_.control->Claim()) {
      config_.control->SenderFinished();  // nothing touches `this` after
      return;
    }
    const size_t request = next_request_;
    next_request_ = (next_request_ + 1) % config_.requests->requests.size();
    context_ = std::make_unique<grpc::ClientContext>();
    context_->set_deadline(std::chrono::system_clock::now() +
                           config_.rpc_deadline);
    response_.Clear();
    start_ = Clock::now();
    config_.stub->async()->CheckConnection(
        context_.get(), &config_.requests->requests[request], &response_,
        [this, request](grpc::Status status) {
          Record(config_, tally_, start_, status, response_, request);
          Next();
        });
  }

  const SenderConfig config_;
  size_t next_request_;
  std::unique_ptr<grpc::ClientContext> context_;
  v1::CheckConnectionResponse response_;
  Clock::time_point start_;
};

class StreamSender final
    : public Sender,
      public grpc::ClientBidiReactor<v1::CheckConnectionRequest,
                                     v1::CheckConnectionResponse> {
 public:
  StreamSender(const SenderConfig& config,
               std::chrono::milliseconds stream_deadline)
      : config_(config),
        stream_deadline_(stream_deadline),
        next_request_(config.first_request) {}

  void Start() override {
    context_.set_deadline(std::chrono::system_clock::now() + stream_deadline_);
    config_.stub->async()->CheckConnectionStream(&context_, this);
    WriteNextOrClose();
    StartCall();
  }

  void OnWriteDone(bool ok) override {
    if (ok) StartRead(&response_);  // else OnDone reports the status
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended early; OnDone reports why
    Record(config_, tally_, start_, grpc::Status::OK, response_, request_);
    response_.Clear();
    WriteNextOrClose();
  }

  void OnDone(const grpc::Status& status) override {
    if (!status.ok() && config_.control->Recorded(start_)) {
      ++tally_.errors[status.error_code()];
    }
    config_.control->SenderFinished();
  }

 private:
  void WriteNextOrClose() {
    if (!config_.control->Claim()) {
      StartWritesDone();
      return;
    }
    request_ = next_request_;
    next_request_ = (next_request_ + 1) % config_.requests->requests.size();
    start_ = Clock::now();
    StartWrite(&config_.requests->requests[request_]);
  }

  const SenderConfig config_;
  const std::chrono::milliseconds stream_deadline_;
  size_t next_request_;
  size_t request_ = 0;
  grpc::ClientContext context_;
  v1::CheckConnectionResponse response_;
  Clock::time_point start_;
};

class PacedUnarySender final : public Sender {
 public:
  PacedUnarySender(const SenderConfig& config, double rate, int max_in_flight)
      : config_(config),
        interval_(std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(1.0 / rate))),
        max_in_flight_(max_in_flight) {}

  ~PacedUnarySender() override {
    if (pacer_.joinable()) pacer_.join();
  }

  void Start() override {
    pacer_ = std::thread([this] { Pace(); });
  }

 private:
  struct Call {
    grpc::ClientContext context;
    v1::CheckConnectionResponse response;
    Clock::time_point start;
    size_t request = 0;
  };

  void Pace() {
    Clock::time_point next = Clock::now();
    size_t request = config_.first_request;
    while (config_.control->Claim()) {
      std::this_thread::sleep_until(next);
      // Latency counts from the scheduled time, so a late start is not
      // hidden (no coordinated omission).
      const Clock::time_point scheduled = next;
      next += interval_;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (in_flight_ >= max_in_flight_) {
          if (config_.control->Recorded(scheduled)) ++tally_.skipped;
          continue;
        }
        ++in_flight_;
      }
      auto* call = new Call;
      call->start = scheduled;
      call->request = request;
      request = (request + 1) % config_.requests->requests.size();
      call->context.set_deadline(std::chrono::system_clock::now() +
                                 config_.rpc_deadline);
      config_.stub->async()->CheckConnection(
          &call->context, &config_.requests->requests[call->request],
          &call->response,
          [this, call](grpc::Status status) { Finished(call, status); });
    }
    bool last;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pacing_done_ = true;
      last = in_flight_ == 0;
    }
    if (last) config_.control->SenderFinished();
  }

  void Finished(Call* call, const grpc::Status& status) {
    bool last;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      Record(config_, tally_, call->start, status, call->response,
             call->request);
      last = --in_flight_ == 0 && pacing_done_;
    }
    delete call;
    // The run may end, and this sender be destroyed, from here on.
    if (last) config_.control->SenderFinished();
  }

  const SenderConfig config_;
  const Clock::duration interval_;
  const int max_in_flight_;
  std::mutex mutex_;
  int in_flight_ = 0;         // guarded by mutex_
  bool pacing_done_ = false;  // guarded by mutex_
  std::thread pacer_;
};

}  // namespace

std::unique_ptr<Sender> MakePacedUnarySender(const SenderConfig& config,
                                             double rate, int max_in_flight) {
  return std::make_unique<PacedUnarySender>(config, rate, max_in_flight);
}

std::unique_ptr<Sender> MakeUnarySender(const SenderConfig& config) {
  return std::make_unique<UnarySender>(config);
}

std::unique_ptr<Sender> MakeStreamSender(
    const SenderConfig& config, std::chrono::milliseconds stream_deadline) {
  return std::make_unique<StreamSender>(config, stream_deadline);
}

}  // namespace netpol::loadgen
