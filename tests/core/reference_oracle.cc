#include "tests/core/reference_oracle.h"

#include <algorithm>
#include <optional>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace netpol::oracle {
namespace {

// Bit `i` (0 = most significant) of an address of its family.
bool Bit(const IpAddress& ip, int i) {
  if (ip.is_v4()) return (ip.lo >> (31 - i)) & 1;
  if (i < 64) return (ip.hi >> (63 - i)) & 1;
  return (ip.lo >> (127 - i)) & 1;
}

bool ValueIn(const std::vector<std::string>& values, const std::string& v) {
  for (const std::string& x : values) {
    if (x == v) return true;
  }
  return false;
}

// A resolved endpoint.
struct Resolved {
  // The pod as policies see it; null for external IPs and hostNetwork pods.
  const Pod* pod = nullptr;
  // The address ipBlocks are matched against; none for a pending pod.
  std::optional<IpAddress> ip;
  bool family_fallback = false;
};

const Pod* FindPod(const Cluster& cluster, const Endpoint& endpoint) {
  const PodRef* ref = std::get_if<PodRef>(&endpoint);
  if (ref == nullptr) return nullptr;
  for (const Pod& pod : cluster.pods) {
    if (pod.namespace_name == ref->namespace_name && pod.name == ref->name) return &pod;
  }
  return nullptr;
}

bool HasFamily(const Pod& pod, IpFamily family) {
  for (const IpAddress& ip : pod.ips) {
    if (ip.family == family) return true;
  }
  return false;
}

// Between two pods named by reference, the family the connection uses:
// the source's primary if the destination has it, else the destination's
// primary if the source has it; none when they share no family.
std::optional<IpFamily> SharedFamily(const Pod* source, const Pod* destination) {
  if (source == nullptr || destination == nullptr) return std::nullopt;
  if (source->ips.empty() || destination->ips.empty()) return std::nullopt;
  for (const Pod* first : {source, destination}) {
    const IpFamily family = first->ips[0].family;
    if (HasFamily(*source, family) && HasFamily(*destination, family)) return family;
  }
  return std::nullopt;
}

absl::StatusOr<Resolved> Resolve(const Cluster& cluster,
                                 const Endpoint& endpoint,
                                 const Endpoint& other,
                                 std::optional<IpFamily> shared_family) {
  Resolved r;
  if (const IpAddress* ip = std::get_if<IpAddress>(&endpoint)) {
    r.ip = *ip;
    for (const Pod& pod : cluster.pods) {
      if (pod.host_network) continue;
      for (const IpAddress& pod_ip : pod.ips) {
        if (pod_ip == *ip) r.pod = &pod;
      }
    }
    return r;
  }
  const PodRef& ref = std::get<PodRef>(endpoint);
  const Pod* found = nullptr;
  for (const Pod& pod : cluster.pods) {
    if (pod.namespace_name == ref.namespace_name && pod.name == ref.name) {
      found = &pod;
    }
  }
  if (found == nullptr) {
    return absl::NotFoundError(absl::StrCat("no pod ", ref.ToString()));
  }
  r.pod = found->host_network ? nullptr : found;
  if (const IpAddress* other_ip = std::get_if<IpAddress>(&other)) {
    for (const IpAddress& pod_ip : found->ips) {
      if (pod_ip.family == other_ip->family) r.ip = pod_ip;
    }
    if (!r.ip && !found->ips.empty()) r.family_fallback = true;
  }
  if (shared_family) {
    for (const IpAddress& pod_ip : found->ips) {
      if (pod_ip.family == *shared_family) r.ip = pod_ip;
    }
  }
  if (!r.ip && !found->ips.empty()) r.ip = found->ips[0];
  return r;
}

Labels NamespaceLabels(const Cluster& cluster, const std::string& name) {
  Labels labels;
  for (const Namespace& ns : cluster.namespaces) {
    if (ns.name == name) labels = ns.labels;
  }
  labels[kNamespaceNameLabel] = name;
  return labels;
}

bool PeerMatches(const Cluster& cluster, const NetworkPolicy& policy,
                 const Peer& peer, const Resolved& endpoint,
                 const CompileOptions& options) {
  if (peer.ip_block.has_value()) {
    if (!endpoint.ip.has_value()) return false;
    if (endpoint.pod != nullptr && !options.ipblock_matches_pods) return false;
    if (!CidrContains(peer.ip_block->cidr, *endpoint.ip)) return false;
    for (const Cidr& except : peer.ip_block->except) {
      if (CidrContains(except, *endpoint.ip)) return false;
    }
    return true;
  }
  if (endpoint.pod == nullptr) return false;
  if (!peer.pod_selector.has_value() && !peer.namespace_selector.has_value()) {
    return false;  // validation forbids this
  }
  if (peer.namespace_selector.has_value()) {
    if (!SelectorMatches(
            *peer.namespace_selector,
            NamespaceLabels(cluster, endpoint.pod->namespace_name))) {
      return false;
    }
  } else if (endpoint.pod->namespace_name != policy.namespace_name) {
    return false;
  }
  if (peer.pod_selector.has_value() &&
      !SelectorMatches(*peer.pod_selector, endpoint.pod->labels)) {
    return false;
  }
  return true;
}

bool PortMatches(const PolicyPort& rule_port, const Resolved& destination,
                 uint16_t port, Protocol protocol) {
  if (rule_port.protocol != protocol) return false;
  if (!rule_port.named_port.empty()) {
    if (destination.pod == nullptr) return false;
    for (const ContainerPort& cp : destination.pod->ports) {
      if (cp.name == rule_port.named_port &&
          cp.protocol == rule_port.protocol && cp.port == port) {
        return true;
      }
    }
    return false;
  }
  if (!rule_port.port.has_value()) return true;
  if (rule_port.end_port.has_value()) {
    return *rule_port.port <= port && port <= *rule_port.end_port;
  }
  return port == *rule_port.port;
}

// Evaluates one direction for `subject` (the source for egress, the
// destination for ingress) against `peer`.
DirectionResult EvaluateDirection(const Cluster& cluster, bool ingress,
                                  const Resolved& subject, const Resolved& peer,
                                  const Resolved& destination, uint16_t port,
                                  Protocol protocol,
                                  const CompileOptions& options) {
  DirectionResult out;
  if (subject.pod == nullptr) return out;
  for (const NetworkPolicy& policy : cluster.policies) {
    if (policy.namespace_name != subject.pod->namespace_name) continue;
    if (!SelectorMatches(policy.pod_selector, subject.pod->labels)) continue;
    if (!(ingress ? policy.affects_ingress : policy.affects_egress)) continue;
    const std::string id =
        absl::StrCat(policy.namespace_name, "/", policy.name);
    out.isolated = true;
    out.selecting_policies.push_back(id);
    const std::vector<PolicyRule>& rules =
        ingress ? policy.ingress : policy.egress;
    for (size_t i = 0; i < rules.size(); ++i) {
      const PolicyRule& rule = rules[i];
      bool peer_ok = rule.peers.empty();
      for (const Peer& p : rule.peers) {
        if (PeerMatches(cluster, policy, p, peer, options)) peer_ok = true;
      }
      bool port_ok = rule.ports.empty();
      for (const PolicyPort& rp : rule.ports) {
        if (PortMatches(rp, destination, port, protocol)) port_ok = true;
      }
      if (peer_ok && port_ok) {
        out.allowing_rules.emplace_back(id, static_cast<int>(i));
      }
    }
  }
  out.allowed = !out.isolated || !out.allowing_rules.empty();
  std::sort(out.selecting_policies.begin(), out.selecting_policies.end());
  std::sort(out.allowing_rules.begin(), out.allowing_rules.end());
  return out;
}

}  // namespace

bool SelectorMatches(const LabelSelector& selector, const Labels& labels) {
  for (const auto& [key, value] : selector.match_labels) {
    bool found = false;
    for (const auto& [k, v] : labels) {
      if (k == key && v == value) found = true;
    }
    if (!found) return false;
  }
  for (const SelectorRequirement& req : selector.expressions) {
    const std::string* value = nullptr;
    for (const auto& [k, v] : labels) {
      if (k == req.key) value = &v;
    }
    switch (req.op) {
      case SelectorOperator::kIn:
        if (value == nullptr || !ValueIn(req.values, *value)) return false;
        break;
      case SelectorOperator::kNotIn:
        if (value != nullptr && ValueIn(req.values, *value)) return false;
        break;
      case SelectorOperator::kExists:
        if (value == nullptr) return false;
        break;
      case SelectorOperator::kDoesNotExist:
        if (value != nullptr) return false;
        break;
    }
  }
  return true;
}

bool CidrContains(const Cidr& cidr, const IpAddress& ip) {
  if (ip.family != cidr.base.family) return false;
  for (int i = 0; i < cidr.prefix; ++i) {
    if (Bit(ip, i) != Bit(cidr.base, i)) return false;
  }
  return true;
}

absl::StatusOr<Result> Evaluate(const Cluster& cluster,
                                const Connection& connection,
                                const CompileOptions& options) {
  if (connection.port < 1 || connection.port > 65535) {
    return absl::InvalidArgumentError("port out of range");
  }
  const uint16_t port = static_cast<uint16_t>(connection.port);
  const std::optional<IpFamily> shared =
      SharedFamily(FindPod(cluster, connection.source),
                   FindPod(cluster, connection.destination));
  absl::StatusOr<Resolved> src =
      Resolve(cluster, connection.source, connection.destination, shared);
  if (!src.ok()) return src.status();
  absl::StatusOr<Resolved> dst =
      Resolve(cluster, connection.destination, connection.source, shared);
  if (!dst.ok()) return dst.status();

  Result result;
  result.family_fallback = src->family_fallback || dst->family_fallback;
  if (src->pod != nullptr && src->pod == dst->pod) {
    result.loopback = true;
    result.decision = Decision{true, Reason::kLoopback};
    return result;
  }
  result.egress = EvaluateDirection(cluster, /*ingress=*/false, *src, *dst,
                                    *dst, port, connection.protocol, options);
  result.ingress = EvaluateDirection(cluster, /*ingress=*/true, *dst, *src,
                                     *dst, port, connection.protocol, options);
  if (!result.egress.allowed) {
    result.decision = Decision{false, Reason::kDeniedEgress};
  } else if (!result.ingress.allowed) {
    result.decision = Decision{false, Reason::kDeniedIngress};
  } else if (result.egress.isolated || result.ingress.isolated) {
    result.decision = Decision{true, Reason::kAllowedByPolicy};
  } else {
    result.decision = Decision{true, Reason::kNotIsolated};
  }
  return result;
}

}  // namespace netpol::oracle
