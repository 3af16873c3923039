#include "load-tests/floor_server/floor_service.h"

#include <cstddef>

#include "google/protobuf/arena.h"

namespace netpol::loadtests {
namespace {

// The constant answer; the snapshot version says "floor" to a reader who
// compares responses.
constexpr uint64_t kFloorVersion = 1;

// ALLOW for every connection of both forms, shaped like netpol-pdp's
// answers (friendly decisions carry a reason, compact verdicts a byte each).
void Answer(const v1::CheckConnectionRequest& request,
            v1::CheckConnectionResponse* response) {
  response->set_snapshot_version(kFloorVersion);
  response->mutable_decisions()->Reserve(request.connections_size());
  for (int i = 0; i < request.connections_size(); ++i) {
    v1::Decision* decision = response->add_decisions();
    decision->set_verdict(v1::ALLOW);
    decision->set_reason(v1::NOT_ISOLATED);
  }
  size_t compact = 0;
  for (const v1::CompactConnections& block : request.compact()) {
    compact += static_cast<size_t>(block.port_protocols_size());
  }
  if (compact > 0) {
    response->mutable_compact_verdicts()->assign(compact,
                                                 static_cast<char>(v1::ALLOW));
  }
}

}  // namespace

// As in netpol-pdp: request and response on an Arena whose first block is
// part of the holder.
class FloorService::ArenaAllocator final
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

class FloorService::StreamReactor final
    : public grpc::ServerBidiReactor<v1::CheckConnectionRequest,
                                     v1::CheckConnectionResponse> {
 public:
  StreamReactor() { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    response_.Clear();
    Answer(request_, &response_);
    StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                          "writing the response failed"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  v1::CheckConnectionRequest request_;
  v1::CheckConnectionResponse response_;
};

FloorService::FloorService() : allocator_(std::make_unique<ArenaAllocator>()) {
  SetMessageAllocatorFor_CheckConnection(allocator_.get());
}

FloorService::~FloorService() = default;

grpc::ServerUnaryReactor* FloorService::CheckConnection(
    grpc::CallbackServerContext* context,
    const v1::CheckConnectionRequest* request,
    v1::CheckConnectionResponse* response) {
  Answer(*request, response);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerBidiReactor<v1::CheckConnectionRequest,
                        v1::CheckConnectionResponse>*
FloorService::CheckConnectionStream(grpc::CallbackServerContext* /*context*/) {
  return new StreamReactor();
}

grpc::ServerUnaryReactor* FloorService::GetSnapshot(
    grpc::CallbackServerContext* context,
    const v1::GetSnapshotRequest* /*request*/,
    v1::GetSnapshotResponse* response) {
  response->set_current_version(kFloorVersion);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace netpol::loadtests
