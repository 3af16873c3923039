#ifndef NETPOL_CLIENT_NETPOLCTL_DECISION_SOURCE_H_
#define NETPOL_CLIENT_NETPOLCTL_DECISION_SOURCE_H_

// Where netpolctl's decisions come from: a snapshot compiled in-process from
// manifests, or a live netpol-pdp. Subcommands print answers the same way
// whatever the source, so both modes print identical output.

#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/decision.h"

namespace netpol::netpolctl {

// The answer for one connection.
struct Answer {
  // Not OK when this connection alone cannot be evaluated (unknown pod,
  // ...); the message is fit for the user.
  absl::Status status;
  // decision and, when asked for, the rest of the explanation.
  Explanation explanation;
};

class DecisionSource {
 public:
  virtual ~DecisionSource() = default;

  // Answers every connection, in order, into *answers (resized to match).
  // A non-OK status means no answer at all (the server could not be
  // reached, ...); the caller stops and exits with kExitUsage.
  virtual absl::Status Decide(absl::Span<const Connection> connections,
                              bool explain, std::vector<Answer>* answers) = 0;
};

}  // namespace netpol::netpolctl

#endif  // NETPOL_CLIENT_NETPOLCTL_DECISION_SOURCE_H_
