#ifndef NETPOL_CLIENT_LIB_STREAM_SESSION_H_
#define NETPOL_CLIENT_LIB_STREAM_SESSION_H_

// CheckStream on a private completion queue, driven synchronously with
// AsyncNext so that each exchange can give up at its deadline (the sync
// stream API has no per-message deadline).

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "netpol/client/check_stream.h"
#include "netpol/v1/decision.grpc.pb.h"

namespace netpol::client::internal {

class StreamSession final : public CheckStream {
 public:
  // `stub` must outlive the session.
  StreamSession(v1::PolicyDecisionPoint::Stub* stub, absl::Duration deadline,
                bool fail_open);
  ~StreamSession() override;

  std::vector<Decision> Check(
      absl::Span<const Connection> connections) override;

 private:
  absl::Status Exchange(const v1::CheckConnectionRequest& request,
                        v1::CheckConnectionResponse* response);
  // Waits for the one outstanding operation; false on timeout or failure.
  absl::Status Await(absl::Time deadline);
  // Ends the stream (if any), drains its queue and returns its status.
  grpc::Status Close();

  v1::PolicyDecisionPoint::Stub* const stub_;
  const absl::Duration deadline_;
  const bool fail_open_;

  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::CompletionQueue> cq_;
  std::unique_ptr<grpc::ClientAsyncReaderWriter<v1::CheckConnectionRequest,
                                                v1::CheckConnectionResponse>>
      stream_;
};

}  // namespace netpol::client::internal

#endif  // NETPOL_CLIENT_LIB_STREAM_SESSION_H_
