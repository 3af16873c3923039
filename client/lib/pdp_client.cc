#include "netpol/client/pdp_client.h"

#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/lib/batch_codec.h"
#include "client/lib/coalescer.h"
#include "client/lib/stream_session.h"
#include "grpcpp/alarm.h"
#include "grpcpp/grpcpp.h"
#include "netpol/v1/decision.grpc.pb.h"

namespace netpol::client {
namespace {

// Round robin over every address the resolver returns. gRPC's own retries
// are off: ours count attempts and respect the call's budget.
constexpr char kServiceConfig[] =
    R"({"loadBalancingConfig": [{"round_robin": {}}]})";

bool IsIpLiteral(const std::string& host, int family) {
  unsigned char buf[16];
  return inet_pton(family, host.c_str(), buf) == 1;
}

// "ipv4:a:p,b:p" or "ipv6:[a]:p,[b]:p" from "host:port" IP literals.
absl::StatusOr<std::string> MultiAddressTarget(
    const std::vector<std::string>& addresses) {
  int family = 0;
  for (const std::string& address : addresses) {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos || colon + 1 == address.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", address, "\" is not host:port"));
    }
    std::string host = address.substr(0, colon);
    int f = AF_INET;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
      f = AF_INET6;
    }
    if (!IsIpLiteral(host, f)) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", address,
                       "\" is not an IP literal; use target \"dns:///", address,
                       "\" for names"));
    }
    if (family != 0 && f != family) {
      return absl::InvalidArgumentError(
          "addresses mix IPv4 and IPv6; give one family");
    }
    family = f;
  }
  return absl::StrCat(family == AF_INET ? "ipv4:" : "ipv6:",
                      absl::StrJoin(addresses, ","));
}

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

class PdpClientImpl final : public PdpClient {
 public:
  PdpClientImpl(PdpClientOptions options,
                std::shared_ptr<grpc::Channel> channel)
      : options_(std::move(options)),
        stub_(v1::PolicyDecisionPoint::NewStub(std::move(channel))),
        coalescer_(std::make_unique<internal::Coalescer>(
            [this](std::vector<Connection> connections, CheckCallback done) {
              CheckAsync(connections, std::move(done));
            },
            options_.coalesce_delay, options_.coalesce_max_batch)) {}

  ~PdpClientImpl() override {
    coalescer_.reset();  // its last batches are in flight after this
    std::unique_lock<std::mutex> lock(in_flight_mu_);
    in_flight_done_.wait(lock, [this] { return in_flight_ == 0; });
  }

  std::vector<Decision> Check(
      absl::Span<const Connection> connections) override {
    return CheckFuture(connections).get();
  }

  void CheckAsync(absl::Span<const Connection> connections,
                  CheckCallback done) override {
    if (connections.empty()) {
      done({});
      return;
    }
    auto* call = new AsyncCall;
    call->batch = internal::EncodeBatch(connections);
    call->done = std::move(done);
    call->deadline = absl::Now() + options_.deadline;
    call->backoff = options_.initial_backoff;
    {
      std::lock_guard<std::mutex> lock(in_flight_mu_);
      ++in_flight_;
    }
    StartAttempt(call);
  }

  Decision CheckOne(const Connection& connection) override {
    return coalescer_->Check(connection);
  }

  std::unique_ptr<CheckStream> OpenStream() override {
    return std::make_unique<internal::StreamSession>(
        stub_.get(), options_.deadline, options_.fail_open);
  }

  PdpClientStats stats() const override {
    PdpClientStats s;
    s.rpcs = rpcs_.load();
    s.retries = retries_.load();
    s.unavailable = unavailable_.load();
    s.coalesced_batches = coalescer_->batches();
    s.coalesced_connections = coalescer_->connections();
    return s;
  }

 private:
  // One Check across its attempts; deletes itself once answered.
  struct AsyncCall {
    internal::EncodedBatch batch;
    CheckCallback done;
    absl::Time deadline;
    absl::Duration backoff;
    int attempt = 0;
    std::unique_ptr<grpc::ClientContext> context;
    v1::CheckConnectionResponse response;
    std::unique_ptr<grpc::Alarm> alarm;  // one per retry: alarms fire once
  };

  void StartAttempt(AsyncCall* call) {
    ++call->attempt;
    rpcs_.fetch_add(1, std::memory_order_relaxed);
    call->context = std::make_unique<grpc::ClientContext>();
    call->context->set_deadline(absl::ToChronoTime(call->deadline));
    call->response.Clear();
    stub_->async()->CheckConnection(
        call->context.get(), &call->batch.request, &call->response,
        [this, call](grpc::Status status) { OnAttemptDone(call, status); });
  }

  void OnAttemptDone(AsyncCall* call, const grpc::Status& status) {
    const absl::Time retry_at = absl::Now() + call->backoff;
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
        call->attempt < options_.max_attempts && retry_at < call->deadline) {
      retries_.fetch_add(1, std::memory_order_relaxed);
      call->backoff = std::min(call->backoff * 2, options_.max_backoff);
      call->alarm = std::make_unique<grpc::Alarm>();
      call->alarm->Set(absl::ToChronoTime(retry_at),
                       [this, call](bool) { StartAttempt(call); });
      return;
    }
    absl::Status failure = FromGrpc(status);
    if (status.ok()) {
      absl::StatusOr<std::vector<Decision>> decisions =
          internal::DecodeResponse(call->batch, call->response);
      if (decisions.ok()) {
        Finish(call, *std::move(decisions));
        return;
      }
      failure = decisions.status();
    }
    unavailable_.fetch_add(1, std::memory_order_relaxed);
    Finish(call, internal::FailDecisions(call->batch.slots.size(),
                                         options_.fail_open, failure));
  }

  void Finish(AsyncCall* call, std::vector<Decision> decisions) {
    call->done(std::move(decisions));
    delete call;
    std::lock_guard<std::mutex> lock(in_flight_mu_);
    if (--in_flight_ == 0) in_flight_done_.notify_all();
  }

  const PdpClientOptions options_;
  const std::unique_ptr<v1::PolicyDecisionPoint::Stub> stub_;

  std::atomic<uint64_t> rpcs_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> unavailable_{0};

  std::mutex in_flight_mu_;
  std::condition_variable in_flight_done_;
  size_t in_flight_ = 0;

  std::unique_ptr<internal::Coalescer> coalescer_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<PdpClient>> PdpClient::Create(
    PdpClientOptions options) {
  std::string target = options.target;
  if (!options.addresses.empty()) {
    absl::StatusOr<std::string> multi = MultiAddressTarget(options.addresses);
    if (!multi.ok()) return multi.status();
    target = *std::move(multi);
  }
  if (target.empty()) {
    return absl::InvalidArgumentError("no target and no addresses given");
  }
  if (options.max_attempts < 1) options.max_attempts = 1;
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(kServiceConfig);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
      target, grpc::InsecureChannelCredentials(), args);
  return std::make_unique<PdpClientImpl>(std::move(options),
                                         std::move(channel));
}

std::future<std::vector<Decision>> PdpClient::CheckFuture(
    absl::Span<const Connection> connections) {
  auto promise = std::make_shared<std::promise<std::vector<Decision>>>();
  std::future<std::vector<Decision>> future = promise->get_future();
  CheckAsync(connections, [promise](std::vector<Decision> decisions) {
    promise->set_value(std::move(decisions));
  });
  return future;
}

}  // namespace netpol::client
