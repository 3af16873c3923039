#include "server/decision_service.h"

#include <chrono>
#include <cstddef>
#include <utility>

#include "absl/status/status.h"
#include "server/proto_convert.h"

namespace netpol::server {
namespace {

using Clock = std::chrono::steady_clock;

// Records one RPC (or stream message) and, when it succeeded, its batch.
void Record(ServerMetrics* metrics, RpcMethod method, grpc::StatusCode code,
            Clock::time_point start, const DecisionTally* tally) {
  if (metrics == nullptr) return;
  metrics->RecordRpc(
      method, code,
      std::chrono::duration<double>(Clock::now() - start).count());
  if (tally != nullptr) metrics->RecordBatch(*tally);
}

}  // namespace

// Serves one CheckConnectionStream: read, evaluate, write, repeat. Deletes
// itself when gRPC is done with the stream.
class DecisionService::StreamReactor final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  explicit StreamReactor(const DecisionService& service) : service_(service) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client half-closed (or the call is cancelled)
      Finish(grpc::Status::OK);
      return;
    }
    start_ = Clock::now();
    tally_ = DecisionTally();
    const grpc::Status status = answerer_.Answer(
        service_.store_, service_.limits_, request_, &response_, &tally_);
    request_.Clear();
    if (!status.ok()) {
      Record(service_.metrics_, RpcMethod::kCheckConnectionStream,
             status.error_code(), start_, nullptr);
      Finish(status);
      return;
    }
    StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Record(service_.metrics_, RpcMethod::kCheckConnectionStream,
             grpc::StatusCode::CANCELLED, start_, nullptr);
      Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                          "writing the response failed"));
      return;
    }
    Record(service_.metrics_, RpcMethod::kCheckConnectionStream,
           grpc::StatusCode::OK, start_, &tally_);
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  const DecisionService& service_;
  BatchAnswerer answerer_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;  // written until OnWriteDone
  DecisionTally tally_;
  Clock::time_point start_;
};

DecisionService::DecisionService(const SnapshotStore& store, BatchLimits limits,
                                 ServerMetrics* metrics,
                                 ImpactHandler::Options impact_options)
    : store_(store),
      limits_(limits),
      metrics_(metrics),
      impact_(store, metrics, std::move(impact_options)) {}

DecisionService::~DecisionService() = default;

grpc::ServerUnaryReactor* DecisionService::CheckConnection(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  // Handlers run to completion on gRPC's threads, so each thread's buffers
  // serve one call at a time.
  thread_local BatchAnswerer answerer;
  const Clock::time_point start = Clock::now();
  DecisionTally tally;
  const grpc::Status status =
      answerer.Answer(store_, limits_, *request, response, &tally);
  Record(metrics_, RpcMethod::kCheckConnection, status.error_code(), start,
         status.ok() ? &tally : nullptr);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>*
DecisionService::CheckConnectionStream(
    grpc::CallbackServerContext* /*context*/) {
  return new StreamReactor(*this);
}

grpc::ServerUnaryReactor* DecisionService::GetSnapshot(
    grpc::CallbackServerContext* context,
    const v1::GetSnapshotRequest* /*request*/,
    v1::GetSnapshotResponse* response) {
  const Clock::time_point start = Clock::now();
  {
    SnapshotStore::Reader reader(store_);
    if (const PublishedSnapshot* live = reader.Current()) {
      response->set_current_version(live->info.version);
    }
    for (const PublishedSnapshot& published : reader.Retained()) {
      ToProto(published.info, response->add_retained());
    }
  }
  Record(metrics_, RpcMethod::kGetSnapshot, grpc::StatusCode::OK, start,
         nullptr);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* DecisionService::AnalyzeImpact(
    grpc::CallbackServerContext* context,
    const v1::AnalyzeImpactRequest* request,
    v1::AnalyzeImpactResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  impact_.Start(context, request, response, reactor);
  return reactor;
}

}  // namespace netpol::server
