#include "server/serialized_batch.h"

#include <cstdint>
#include <cstring>

#include "absl/status/statusor.h"
#include "google/protobuf/arena.h"
#include "grpc/slice.h"
#include "grpcpp/impl/codegen/proto_utils.h"  // SerializationTraits
#include "netpol/v1/decision.pb.h"
#include "server/proto_convert.h"
#include "server/request_field_budget.h"

namespace netpol::server {
namespace {

// The key of CheckConnectionRequest.connections (field 1, length-delimited).
constexpr uint8_t kConnectionsKey = 1 << 3 | 2;
// The keys of CheckConnectionResponse.snapshot_version (field 2, varint)
// and compact_verdicts (field 3, length-delimited).
constexpr uint8_t kSnapshotVersionKey = 2 << 3 | 0;
constexpr uint8_t kCompactVerdictsKey = 3 << 3 | 2;

std::string_view View(const grpc::Slice& slice) {
  return {reinterpret_cast<const char*>(slice.begin()), slice.size()};
}

uint8_t* PutVarint(uint64_t value, uint8_t* out) {
  while (value >= 0x80) {
    *out++ = static_cast<uint8_t>(value | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<uint8_t>(value);
  return out;
}

// The CheckConnectionResponse EvaluateBatch gives a compact-only request,
// byte for byte as protobuf serializes it: fields in number order, each
// left out when zero or empty.
grpc::ByteBuffer CompactResponse(uint64_t snapshot_version,
                                 std::string_view verdicts) {
  uint8_t header[2 * (1 + 10)];
  uint8_t* h = header;
  if (snapshot_version != 0) {
    *h++ = kSnapshotVersionKey;
    h = PutVarint(snapshot_version, h);
  }
  if (!verdicts.empty()) {
    *h++ = kCompactVerdictsKey;
    h = PutVarint(verdicts.size(), h);
  }
  const size_t header_size = static_cast<size_t>(h - header);
  grpc_slice slice = grpc_slice_malloc(header_size + verdicts.size());
  uint8_t* out = GRPC_SLICE_START_PTR(slice);
  std::memcpy(out, header, header_size);
  if (!verdicts.empty()) {
    std::memcpy(out + header_size, verdicts.data(), verdicts.size());
  }
  const grpc::Slice owned(slice, grpc::Slice::STEAL_REF);
  return grpc::ByteBuffer(&owned, 1);
}

// Any request, through protobuf messages on an Arena whose first block is
// on the stack: one allocation-free call for small friendly batches, no
// per-message frees for large ones.
grpc::Status AnswerWithProtobuf(const SnapshotStore& store,
                                const BatchLimits& limits,
                                std::string_view request,
                                grpc::ByteBuffer* response,
                                DecisionTally* tally) {
  alignas(8) char initial_block[4096];
  google::protobuf::ArenaOptions options;
  options.initial_block = initial_block;
  options.initial_block_size = sizeof(initial_block);
  google::protobuf::Arena arena(options);
  auto* message =
      google::protobuf::Arena::CreateMessage<v1::CheckConnectionRequest>(
          &arena);
  if (!message->ParseFromArray(request.data(),
                               static_cast<int>(request.size()))) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "the request is not a serialized netpol.v1.CheckConnectionRequest");
  }
  auto* answer =
      google::protobuf::Arena::CreateMessage<v1::CheckConnectionResponse>(
          &arena);
  if (absl::Status status =
          EvaluateBatch(store, *message, limits, answer, tally);
      !status.ok()) {
    return ToGrpcStatus(status);
  }
  bool own_buffer;
  return grpc::SerializationTraits<v1::CheckConnectionResponse>::Serialize(
      *answer, response, &own_buffer);
}

}  // namespace

grpc::Status BatchAnswerer::Answer(const SnapshotStore& store,
                                   const BatchLimits& limits,
                                   const grpc::ByteBuffer& request,
                                   grpc::ByteBuffer* response,
                                   DecisionTally* tally) {
  const grpc::Status status = Decide(store, limits, request, response, tally);
  slices_.clear();
  for (std::string* buffer : {&flat_, &verdicts_}) {
    if (buffer->capacity() > kKeptBytes) std::string().swap(*buffer);
  }
  reader_.Trim(kKeptBytes);
  return status;
}

grpc::Status BatchAnswerer::Decide(const SnapshotStore& store,
                                   const BatchLimits& limits,
                                   const grpc::ByteBuffer& request,
                                   grpc::ByteBuffer* response,
                                   DecisionTally* tally) {
  response->Clear();
  slices_.clear();
  if (request.Valid() && !request.Dump(&slices_).ok()) slices_.clear();
  // Both readers and the field count want the request in one piece.
  std::string_view whole;
  if (slices_.size() == 1) {
    whole = View(slices_[0]);
  } else if (slices_.size() > 1) {
    flat_.clear();
    for (const grpc::Slice& slice : slices_) flat_.append(View(slice));
    whole = flat_;
  }
  if (absl::Status budget = CheckRequestFieldBudget(whole, limits.max_batch);
      !budget.ok()) {
    return ToGrpcStatus(budget);
  }
  // A friendly connection first: protobuf's request.
  const bool friendly = !whole.empty() && whole[0] == kConnectionsKey;
  if (!friendly && reader_.Read(whole)) {
    const absl::StatusOr<uint64_t> version =
        EvaluateCompactBatch(store, reader_.snapshot_version(),
                             reader_.blocks(), limits, &verdicts_, tally);
    if (!version.ok()) return ToGrpcStatus(version.status());
    *response = CompactResponse(*version, verdicts_);
    return grpc::Status::OK;
  }
  return AnswerWithProtobuf(store, limits, whole, response, tally);
}

}  // namespace netpol::server
