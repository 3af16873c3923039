#ifndef NETPOL_SERVER_SERIALIZED_BATCH_H_
#define NETPOL_SERVER_SERIALIZED_BATCH_H_

// CheckConnection from request bytes to response bytes. The decision
// service registers its two batch methods as raw (ByteBuffer) methods and
// answers every message here: a request of compact blocks only — the
// high-rate form — is read by CompactRequestReader and its response
// written directly; any other request is parsed by protobuf and answered
// by EvaluateBatch. Both give the same bytes and status for a request.
// Before either, the request's fields are counted (request_field_budget.h).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/snapshot_store.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "grpcpp/support/status.h"
#include "server/batch_evaluator.h"
#include "server/compact_request_reader.h"
#include "server/server_metrics.h"

namespace netpol::server {

// Holds the buffers one caller reuses from request to request (a gRPC
// thread for unary calls, a stream for its messages). Not thread-safe.
class BatchAnswerer {
 public:
  // Replaces `response` on OK. Errors are EvaluateBatch's, and
  // INVALID_ARGUMENT for bytes that are not a CheckConnectionRequest or
  // that hold more fields than CheckRequestFieldBudget allows (refused
  // before either parser allocates).
  // Keeps no reference to `request`, and at most kKeptBytes per buffer.
  grpc::Status Answer(const SnapshotStore& store, const BatchLimits& limits,
                      const grpc::ByteBuffer& request,
                      grpc::ByteBuffer* response, DecisionTally* tally);

  // More than the largest valid batch needs (10,000 IPv6 connections are
  // about 350 KB), far less than a request may be (--max-receive-bytes).
  static constexpr size_t kKeptBytes = size_t{1} << 20;

 private:
  grpc::Status Decide(const SnapshotStore& store, const BatchLimits& limits,
                      const grpc::ByteBuffer& request,
                      grpc::ByteBuffer* response, DecisionTally* tally);

  std::vector<grpc::Slice> slices_;  // the request's, referenced
  std::string flat_;                 // a request that arrived in several slices
  CompactRequestReader reader_;
  std::string verdicts_;
};

}  // namespace netpol::server

#endif  // NETPOL_SERVER_SERIALIZED_BATCH_H_
