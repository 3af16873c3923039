#ifndef NETPOL_CLIENT_NETPOLCTL_OFFLINE_DECISION_SOURCE_H_
#define NETPOL_CLIENT_NETPOLCTL_OFFLINE_DECISION_SOURCE_H_

#include <memory>
#include <vector>

#include "client/netpolctl/decision_source.h"
#include "core/compiled_snapshot.h"

namespace netpol::netpolctl {

// Decides with a snapshot compiled from manifests, in-process.
class OfflineDecisionSource final : public DecisionSource {
 public:
  explicit OfflineDecisionSource(
      std::unique_ptr<const CompiledSnapshot> snapshot)
      : snapshot_(std::move(snapshot)) {}

  absl::Status Decide(absl::Span<const Connection> connections, bool explain,
                      std::vector<Answer>* answers) override;

 private:
  std::unique_ptr<const CompiledSnapshot> snapshot_;
};

}  // namespace netpol::netpolctl

#endif  // NETPOL_CLIENT_NETPOLCTL_OFFLINE_DECISION_SOURCE_H_
