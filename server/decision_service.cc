#include "server/decision_service.h"

#include <chrono>
#include <cstddef>
#include <utility>

#include "absl/status/status.h"
#include "google/protobuf/arena.h"
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

// Allocates each CheckConnection's request and response on an Arena whose
// first block is part of the holder: one heap allocation per call for
// small batches, and no per-message frees for large ones.
class DecisionService::ArenaAllocator final
    : public grpc::MessageAllocator<v1::CheckConnectionRequest,
                                    v1::CheckConnectionResponse> {
 public:
  grpc::MessageHolder<v1::CheckConnectionRequest, v1::CheckConnectionResponse>*
  AllocateMessages() override {
    return new Holder();
  }

 private:
  class Holder final : public grpc::MessageHolder<v1::CheckConnectionRequest,
                                                  v1::CheckConnectionResponse> {
   public:
    Holder() : arena_(Options(initial_block_, sizeof(initial_block_))) {
      set_request(
          google::protobuf::Arena::CreateMessage<v1::CheckConnectionRequest>(
              &arena_));
      set_response(
          google::protobuf::Arena::CreateMessage<v1::CheckConnectionResponse>(
              &arena_));
    }
    void Release() override { delete this; }

   private:
    static google::protobuf::ArenaOptions Options(char* block, size_t size) {
      google::protobuf::ArenaOptions options;
      options.initial_block = block;
      options.initial_block_size = size;
      return options;
    }

    alignas(8) char initial_block_[4096];
    google::protobuf::Arena arena_;  // after the block it starts with
  };
};

// Serves one CheckConnectionStream: read, evaluate, write, repeat. Deletes
// itself when gRPC is done with the stream.
class DecisionService::StreamReactor final
    : public grpc::ServerBidiReactor<v1::CheckConnectionRequest,
                                     v1::CheckConnectionResponse> {
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
    response_.Clear();
    tally_ = DecisionTally();
    const absl::Status status = EvaluateBatch(
        service_.store_, request_, service_.limits_, &response_, &tally_);
    if (!status.ok()) {
      const grpc::Status grpc_status = ToGrpcStatus(status);
      Record(service_.metrics_, RpcMethod::kCheckConnectionStream,
             grpc_status.error_code(), start_, nullptr);
      Finish(grpc_status);
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
  // Reused for every message: cleared repeated fields keep their elements.
  v1::CheckConnectionRequest request_;
  v1::CheckConnectionResponse response_;
  DecisionTally tally_;
  Clock::time_point start_;
};

DecisionService::DecisionService(const SnapshotStore& store, BatchLimits limits,
                                 ServerMetrics* metrics,
                                 ImpactHandler::Options impact_options)
    : store_(store),
      limits_(limits),
      metrics_(metrics),
      allocator_(std::make_unique<ArenaAllocator>()),
      impact_(store, metrics, std::move(impact_options)) {
  SetMessageAllocatorFor_CheckConnection(allocator_.get());
}

DecisionService::~DecisionService() = default;

grpc::ServerUnaryReactor* DecisionService::CheckConnection(
    grpc::CallbackServerContext* context,
    const v1::CheckConnectionRequest* request,
    v1::CheckConnectionResponse* response) {
  const Clock::time_point start = Clock::now();
  DecisionTally tally;
  const grpc::Status status =
      ToGrpcStatus(EvaluateBatch(store_, *request, limits_, response, &tally));
  Record(metrics_, RpcMethod::kCheckConnection, status.error_code(), start,
         status.ok() ? &tally : nullptr);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

grpc::ServerBidiReactor<v1::CheckConnectionRequest,
                        v1::CheckConnectionResponse>*
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
