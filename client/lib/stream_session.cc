#include "client/lib/stream_session.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/lib/batch_codec.h"

namespace netpol::client::internal {
namespace {

// Operations are awaited one at a time, so one tag suffices.
void* const kTag = reinterpret_cast<void*>(1);

}  // namespace

StreamSession::StreamSession(v1::PolicyDecisionPoint::Stub* stub,
                             absl::Duration deadline, bool fail_open)
    : stub_(stub), deadline_(deadline), fail_open_(fail_open) {}

StreamSession::~StreamSession() { Close(); }

std::vector<Decision> StreamSession::Check(
    absl::Span<const Connection> connections) {
  if (connections.empty()) return {};
  const EncodedBatch batch = EncodeBatch(connections);
  v1::CheckConnectionResponse response;
  absl::Status status = Exchange(batch.request, &response);
  if (status.ok()) {
    absl::StatusOr<std::vector<Decision>> decisions =
        DecodeResponse(batch, response);
    if (decisions.ok()) return *std::move(decisions);
    status = decisions.status();
  }
  // The next Check opens a fresh stream. A status the server ended the
  // stream with says more than the broken read or write.
  const grpc::Status finish = Close();
  if (!finish.ok() && finish.error_code() != grpc::StatusCode::CANCELLED) {
    status = absl::Status(static_cast<absl::StatusCode>(finish.error_code()),
                          finish.error_message());
  }
  return FailDecisions(connections.size(), fail_open_, status);
}

absl::Status StreamSession::Exchange(const v1::CheckConnectionRequest& request,
                                     v1::CheckConnectionResponse* response) {
  const absl::Time deadline = absl::Now() + deadline_;
  if (stream_ == nullptr) {
    context_ = std::make_unique<grpc::ClientContext>();
    cq_ = std::make_unique<grpc::CompletionQueue>();
    stream_ =
        stub_->AsyncCheckConnectionStream(context_.get(), cq_.get(), kTag);
    if (absl::Status s = Await(deadline); !s.ok()) return s;
  }
  stream_->Write(request, kTag);
  if (absl::Status s = Await(deadline); !s.ok()) return s;
  stream_->Read(response, kTag);
  return Await(deadline);
}

absl::Status StreamSession::Await(absl::Time deadline) {
  void* tag = nullptr;
  bool ok = false;
  switch (cq_->AsyncNext(&tag, &ok, absl::ToChronoTime(deadline))) {
    case grpc::CompletionQueue::GOT_EVENT:
      if (ok) return absl::OkStatus();
      // The stream broke; Close() collects the status via Finish.
      return absl::UnavailableError("stream ended by the server or network");
    case grpc::CompletionQueue::TIMEOUT:
      return absl::DeadlineExceededError(absl::StrCat(
          "no stream answer within ", absl::FormatDuration(deadline_)));
    case grpc::CompletionQueue::SHUTDOWN:
      break;
  }
  return absl::InternalError("completion queue shut down");
}

grpc::Status StreamSession::Close() {
  if (stream_ == nullptr) return grpc::Status::OK;
  // Cancelling completes every outstanding operation promptly; Finish and
  // the drain below collect them before the queue is destroyed.
  context_->TryCancel();
  grpc::Status status;
  stream_->Finish(&status, kTag);
  cq_->Shutdown();
  void* tag;
  bool ok;
  while (cq_->Next(&tag, &ok)) {
  }
  stream_.reset();
  cq_.reset();
  context_.reset();
  return status;
}

}  // namespace netpol::client::internal
