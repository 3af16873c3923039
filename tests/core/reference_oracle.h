#ifndef NETPOL_TESTS_CORE_REFERENCE_ORACLE_H_
#define NETPOL_TESTS_CORE_REFERENCE_ORACLE_H_

// A brute-force reference evaluator for NetworkPolicy decisions. It scans
// every pod and every policy for every query and shares no code with the
// compiler (label matching and CIDR containment are re-implemented here),
// so it can serve as the oracle of property tests.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/compiled_snapshot.h"
#include "core/decision.h"
#include "core/model.h"

namespace netpol::oracle {

// One direction of a decision: egress of the source or ingress of the
// destination.
struct DirectionResult {
  bool isolated = false;
  bool allowed = true;
  // "ns/name" of the policies isolating the pod for this direction, sorted.
  std::vector<std::string> selecting_policies;
  // ("ns/name", rule index) of every rule allowing the flow, sorted.
  std::vector<std::pair<std::string, int>> allowing_rules;
};

struct Result {
  Decision decision;
  bool loopback = false;
  DirectionResult egress;
  DirectionResult ingress;
  // True when an endpoint named by reference has no address of the other
  // endpoint's family, so the contract does not say which of its addresses
  // ipBlocks see (the oracle uses its primary address).
  bool family_fallback = false;
};

// Evaluates `connection` against `cluster`. InvalidArgument for a port
// outside 1..65535, NotFound for an unknown pod reference.
absl::StatusOr<Result> Evaluate(const Cluster& cluster,
                                const Connection& connection,
                                const CompileOptions& options);

// Exposed for tests of the oracle itself.
bool SelectorMatches(const LabelSelector& selector, const Labels& labels);
bool CidrContains(const Cidr& cidr, const IpAddress& ip);

}  // namespace netpol::oracle

#endif  // NETPOL_TESTS_CORE_REFERENCE_ORACLE_H_
