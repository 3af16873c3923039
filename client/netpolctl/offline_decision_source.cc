#include "client/netpolctl/offline_decision_source.h"

#include <utility>

#include "absl/status/statusor.h"

namespace netpol::netpolctl {

absl::Status OfflineDecisionSource::Decide(
    absl::Span<const Connection> connections, bool explain,
    std::vector<Answer>* answers) {
  answers->resize(connections.size());
  for (size_t i = 0; i < connections.size(); ++i) {
    Answer& answer = (*answers)[i];
    answer.status = absl::OkStatus();
    if (explain) {
      absl::StatusOr<Explanation> explanation =
          snapshot_->Explain(connections[i]);
      if (explanation.ok()) {
        answer.explanation = *std::move(explanation);
      } else {
        answer.status = explanation.status();
      }
      continue;
    }
    absl::StatusOr<Decision> decision = snapshot_->Decide(connections[i]);
    if (decision.ok()) {
      answer.explanation.decision = *decision;
    } else {
      answer.status = decision.status();
    }
  }
  return absl::OkStatus();
}

}  // namespace netpol::netpolctl
