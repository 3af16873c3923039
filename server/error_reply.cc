#include "server/error_reply.h"

#include <chrono>

#include "absl/strings/str_cat.h"

namespace netpol::server {

ErrorReply CapErrorReply(const std::vector<std::string>& errors,
                         absl::string_view more_suffix) {
  ErrorReply reply;
  for (; reply.listed < errors.size(); ++reply.listed) {
    const std::string& error = errors[reply.listed];
    if (reply.text.size() + error.size() + 1 > kMaxErrorReplyBytes) break;
    absl::StrAppend(&reply.text, reply.listed == 0 ? "" : "\n", error);
  }
  if (reply.listed < errors.size()) {
    absl::StrAppend(&reply.text, "\n... and ", errors.size() - reply.listed,
                    " more errors", more_suffix);
  }
  return reply;
}

std::optional<grpc::Status> Abandoned(
    const grpc::CallbackServerContext& context, absl::string_view waited_for) {
  if (context.IsCancelled()) {
    return grpc::Status(
        grpc::StatusCode::CANCELLED,
        absl::StrCat("cancelled while waiting for ", waited_for));
  }
  if (context.deadline() <= std::chrono::system_clock::now()) {
    return grpc::Status(
        grpc::StatusCode::DEADLINE_EXCEEDED,
        absl::StrCat("the deadline passed while waiting for ", waited_for));
  }
  return std::nullopt;
}

}  // namespace netpol::server
