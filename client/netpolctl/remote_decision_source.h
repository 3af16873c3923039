#ifndef NETPOL_CLIENT_NETPOLCTL_REMOTE_DECISION_SOURCE_H_
#define NETPOL_CLIENT_NETPOLCTL_REMOTE_DECISION_SOURCE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/netpolctl/decision_source.h"
#include "netpol/v1/decision.grpc.pb.h"

namespace netpol::netpolctl {

// Decides through netpol-pdp's CheckConnection, one RPC per call of
// Decide() (callers keep batches well under the server's --max-batch).
// Kept to the conversion of messages so it can move onto netpol::PdpClient.
class RemoteDecisionSource final : public DecisionSource {
 public:
  RemoteDecisionSource(std::string address, absl::Duration timeout);

  absl::Status Decide(absl::Span<const Connection> connections, bool explain,
                      std::vector<Answer>* answers) override;

 private:
  std::string address_;
  absl::Duration timeout_;
  std::unique_ptr<v1::PolicyDecisionPoint::Stub> stub_;
};

}  // namespace netpol::netpolctl

#endif  // NETPOL_CLIENT_NETPOLCTL_REMOTE_DECISION_SOURCE_H_
