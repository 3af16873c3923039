#ifndef NETPOL_SERVER_ERROR_REPLY_H_
#define NETPOL_SERVER_ERROR_REPLY_H_

// gRPC sends a status message in trailing metadata, which clients cap
// (8-16 KiB by default). A reply listing errors (an admin push, a proposed
// change) therefore lists what fits in kMaxErrorReplyBytes and counts the
// rest; the server log keeps all of them.

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

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

}  // namespace netpol::server

#endif  // NETPOL_SERVER_ERROR_REPLY_H_
