#ifndef NETPOL_SERVER_BATCH_EVALUATOR_H_
#define NETPOL_SERVER_BATCH_EVALUATOR_H_

// The data plane's only logic: answering one CheckConnectionRequest from a
// SnapshotStore. Free of gRPC service types so the unary and streaming
// handlers, tests and benchmarks share it.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/snapshot_store.h"
#include "netpol/v1/decision.pb.h"
#include "server/compact_request_reader.h"
#include "server/server_metrics.h"

namespace netpol::server {

struct BatchLimits {
  // Connections per request, friendly and compact forms counted together.
  size_t max_batch = 10000;
};

// Fills `response` (expected empty) and adds every decision to `tally`.
// Request-level errors, checked before anything is evaluated:
//   INVALID_ARGUMENT  a malformed compact block, or more than
//                     limits.max_batch connections;
//   UNAVAILABLE       no snapshot published yet;
//   NOT_FOUND         request.snapshot_version is not retained.
// An invalid item never fails the batch: it is answered DENY
// (INVALID_CONNECTION with `error` in the friendly form, a DENY byte in the
// compact form). The whole batch is answered by one snapshot version, read
// inside one SnapshotStore::Reader section.
absl::Status EvaluateBatch(const SnapshotStore& store,
                           const v1::CheckConnectionRequest& request,
                           const BatchLimits& limits,
                           v1::CheckConnectionResponse* response,
                           DecisionTally* tally);

// EvaluateBatch for a request of compact blocks only, as
// CompactRequestReader reads it: the same checks and errors, one verdict
// byte per connection into `verdicts` (replaced), and the version that
// answered instead of a response message.
absl::StatusOr<uint64_t> EvaluateCompactBatch(
    const SnapshotStore& store, uint64_t snapshot_version,
    absl::Span<const CompactBlock> blocks, const BatchLimits& limits,
    std::string* verdicts, DecisionTally* tally);

}  // namespace netpol::server

#endif  // NETPOL_SERVER_BATCH_EVALUATOR_H_
