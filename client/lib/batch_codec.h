#ifndef NETPOL_CLIENT_LIB_BATCH_CODEC_H_
#define NETPOL_CLIENT_LIB_BATCH_CODEC_H_

// Connections <-> CheckConnectionRequest/Response. IP pairs of one family go
// into that family's compact block; everything else into `connections`.
// Each input remembers where it went so answers return in input order.

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "netpol/client/connection.h"
#include "netpol/v1/decision.pb.h"

namespace netpol::client::internal {

struct EncodedBatch {
  v1::CheckConnectionRequest request;
  // Per input: kFriendly + index into `connections`, or a family block and
  // the index inside it.
  enum class Form : uint8_t { kFriendly, kCompactV4, kCompactV6 };
  struct Slot {
    Form form;
    uint32_t index;
  };
  std::vector<Slot> slots;
};

EncodedBatch EncodeBatch(absl::Span<const Connection> connections);

// Internal when the response does not match the request's shape.
absl::StatusOr<std::vector<Decision>> DecodeResponse(
    const EncodedBatch& batch, const v1::CheckConnectionResponse& response);

// `count` decisions carrying the fail verdict and `status`.
std::vector<Decision> FailDecisions(size_t count, bool fail_open,
                                    const absl::Status& status);

}  // namespace netpol::client::internal

#endif  // NETPOL_CLIENT_LIB_BATCH_CODEC_H_
