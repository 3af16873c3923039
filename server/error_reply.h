#ifndef NETPOL_SERVER_ERROR_REPLY_H_
#define NETPOL_SERVER_ERROR_REPLY_H_

// gRPC sends a status message in trailing metadata, which clients cap
// (8-16 KiB by default). A reply listing errors (an admin push, a proposed
// change) therefore lists what fits in kMaxErrorReplyBytes and counts the
// rest; the server log keeps all of them.
//
// Handlers that queue calls for a worker thread share Abandoned(), the
// reply to a call nobody waits for any more.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace netpol::server {

inline constexpr size_t kMaxErrorReplyBytes = 4096;

struct ErrorReply {
  std::string text;   // one error per line
  size_t listed = 0;  // how many of the errors `text` holds
};

// `errors` one per line while they fit, then "... and N more errors" and
// `more_suffix` when some did not.
ErrorReply CapErrorReply(const std::vector<std::string>& errors,
                         absl::string_view more_suffix = "");

// Why a queued call is no longer worth running, if it is not: CANCELLED or
// DEADLINE_EXCEEDED, "... while waiting for `waited_for`" ("an earlier
// analysis"). The deadline is checked too: the client's cancellation
// reaches the server asynchronously, its deadline is known from the start.
std::optional<grpc::Status> Abandoned(
    const grpc::CallbackServerContext& context, absl::string_view waited_for);

}  // namespace netpol::server

#endif  // NETPOL_SERVER_ERROR_REPLY_H_
