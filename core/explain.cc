// CompiledSnapshot::Explain: re-evaluates the rules of the selecting
// policies on the model, so an explanation names policies and rule indices
// rather than table cells. It shares endpoint resolution with Decide but not
// rule matching, which makes it a cross-check of the tables in tests.

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/compiled_snapshot.h"

namespace netpol {

using internal::kNoPod;

namespace {

bool PortMatches(const PolicyPort& policy_port, uint16_t port, Protocol protocol,
                 const Pod* destination) {
  if (policy_port.protocol != protocol) return false;
  if (!policy_port.named_port.empty()) {
    if (destination == nullptr) return false;  // never an external peer
    return std::any_of(destination->ports.begin(), destination->ports.end(),
                       [&](const ContainerPort& p) {
                         return p.name == policy_port.named_port && p.protocol == protocol &&
                                p.port == port;
                       });
  }
  if (!policy_port.port) return true;
  return port >= *policy_port.port && port <= policy_port.end_port.value_or(*policy_port.port);
}

}  // namespace

DirectionExplanation CompiledSnapshot::ExplainDirection(bool egress, const Resolved& source,
                                                        const Resolved& destination,
                                                        uint16_t port,
                                                        Protocol protocol) const {
  const Resolved& subject = egress ? source : destination;
  const Resolved& peer = egress ? destination : source;
  DirectionExplanation out;
  out.allowed = true;
  if (subject.entry.pod == kNoPod) return out;
  const Pod& subject_pod = cluster_.pods[subject.entry.pod];
  out.pod = absl::StrCat(subject_pod.namespace_name, "/", subject_pod.name);
  const std::vector<uint32_t>& selecting =
      selections_[pod_selection_[egress ? 1 : 0][subject.entry.pod]];
  if (selecting.empty()) return out;
  out.isolated = true;
  out.allowed = false;

  const Pod* peer_pod = peer.entry.pod == kNoPod ? nullptr : &cluster_.pods[peer.entry.pod];
  const Pod* destination_pod =
      destination.entry.pod == kNoPod ? nullptr : &cluster_.pods[destination.entry.pod];
  const Labels* peer_namespace_labels =
      peer_pod ? &cluster_.namespaces[namespace_index_.at(peer_pod->namespace_name)].labels
               : nullptr;

  auto peer_matches = [&](const Peer& rule_peer, const NetworkPolicy& policy) {
    if (rule_peer.ip_block) {
      const bool eligible = peer_pod == nullptr || options_.ipblock_matches_pods;
      return eligible && peer.ip && rule_peer.ip_block->Matches(*peer.ip);
    }
    if (peer_pod == nullptr) return false;
    if (rule_peer.namespace_selector) {
      if (!rule_peer.namespace_selector->Matches(*peer_namespace_labels)) return false;
    } else if (peer_pod->namespace_name != policy.namespace_name) {
      return false;
    }
    return !rule_peer.pod_selector || rule_peer.pod_selector->Matches(peer_pod->labels);
  };

  for (uint32_t index : selecting) {
    const NetworkPolicy& policy = cluster_.policies[index];
    const std::string name = absl::StrCat(policy.namespace_name, "/", policy.name);
    out.selecting_policies.push_back(name);
    const auto& rules = egress ? policy.egress : policy.ingress;
    for (size_t r = 0; r < rules.size(); ++r) {
      const PolicyRule& rule = rules[r];
      const bool peer_ok =
          rule.peers.empty() || std::any_of(rule.peers.begin(), rule.peers.end(),
                                            [&](const Peer& p) { return peer_matches(p, policy); });
      const bool port_ok =
          rule.ports.empty() ||
          std::any_of(rule.ports.begin(), rule.ports.end(), [&](const PolicyPort& p) {
            return PortMatches(p, port, protocol, destination_pod);
          });
      if (peer_ok && port_ok) out.allowing_rules.push_back({name, static_cast<int>(r)});
    }
  }
  out.allowed = !out.allowing_rules.empty();
  return out;
}

absl::StatusOr<Explanation> CompiledSnapshot::Explain(const Connection& connection) const {
  absl::StatusOr<Decision> decision = Decide(connection);
  if (!decision.ok()) return decision.status();
  absl::StatusOr<ResolvedPair> resolved = Resolve(connection);
  if (!resolved.ok()) return resolved.status();
  const Resolved* source = &resolved->source;
  const Resolved* destination = &resolved->destination;
  const uint16_t port = static_cast<uint16_t>(connection.port);

  auto describe = [&](const Endpoint& endpoint, const Resolved& resolved) {
    std::string text = EndpointToString(endpoint);
    if (resolved.entry.pod != kNoPod) {
      const Pod& pod = cluster_.pods[resolved.entry.pod];
      const std::string name = absl::StrCat(pod.namespace_name, "/", pod.name);
      if (name != text) return absl::StrCat(text, " (pod ", name, ")");
      return resolved.ip ? absl::StrCat(text, " (", resolved.ip->ToString(), ")")
                         : absl::StrCat(text, " (no IP)");
    }
    if (std::holds_alternative<PodRef>(endpoint)) {
      return absl::StrCat(text, " (hostNetwork: external ",
                          resolved.ip ? resolved.ip->ToString() : "without IP", ")");
    }
    return absl::StrCat(text, " (external)");
  };

  Explanation out;
  out.decision = *decision;
  out.source = describe(connection.source, *source);
  out.destination = describe(connection.destination, *destination);
  out.egress = ExplainDirection(true, *source, *destination, port, connection.protocol);
  out.ingress = ExplainDirection(false, *source, *destination, port, connection.protocol);
  return out;
}

}  // namespace netpol
