#include "load-tests/generator/reference_evaluator.h"

namespace netpol {
namespace {

bool BlockMatches(const IpBlock& block, const IpAddress& ip) {
  if (!block.cidr.Contains(ip)) return false;
  for (const Cidr& except : block.except) {
    if (except.Contains(ip)) return false;
  }
  return true;
}

}  // namespace

ReferenceEvaluator::ReferenceEvaluator(const Cluster& cluster,
                                       bool ipblock_matches_pods)
    : cluster_(cluster), ipblock_matches_pods_(ipblock_matches_pods) {
  for (size_t i = 0; i < cluster.pods.size(); ++i) {
    const Pod& pod = cluster.pods[i];
    for (const IpAddress& ip : pod.ips) {
      (pod.host_network ? host_network_by_ip_ : pod_by_ip_)
          .emplace(ip, static_cast<int>(i));
    }
  }
  for (const Namespace& ns : cluster.namespaces) {
    namespace_labels_[ns.name] = &ns.labels;
  }
  for (size_t i = 0; i < cluster.policies.size(); ++i) {
    policies_by_namespace_[cluster.policies[i].namespace_name].push_back(
        static_cast<int>(i));
  }
}

int ReferenceEvaluator::PodAt(const IpAddress& ip) const {
  auto it = pod_by_ip_.find(ip);
  return it == pod_by_ip_.end() ? -1 : it->second;
}

bool ReferenceEvaluator::IsHostNetworkAddress(const IpAddress& ip) const {
  return host_network_by_ip_.contains(ip);
}

bool ReferenceEvaluator::PeerMatches(const NetworkPolicy& policy,
                                     const Peer& peer,
                                     const Side& other) const {
  if (peer.ip_block) {
    if (other.pod >= 0 && !ipblock_matches_pods_) return false;
    return BlockMatches(*peer.ip_block, other.ip);
  }
  if (other.pod < 0) return false;  // selectors only match pods
  const Pod& pod = cluster_.pods[other.pod];
  if (peer.namespace_selector) {
    auto it = namespace_labels_.find(pod.namespace_name);
    static const Labels kNoLabels;
    const Labels& labels =
        it == namespace_labels_.end() ? kNoLabels : *it->second;
    if (!peer.namespace_selector->Matches(labels)) return false;
  } else if (pod.namespace_name != policy.namespace_name) {
    return false;
  }
  return !peer.pod_selector || peer.pod_selector->Matches(pod.labels);
}

bool ReferenceEvaluator::PortMatches(const PolicyPort& rule_port,
                                     int destination_pod, uint16_t port,
                                     Protocol protocol) const {
  if (rule_port.protocol != protocol) return false;
  if (!rule_port.named_port.empty()) {
    if (destination_pod < 0) return false;
    for (const ContainerPort& p : cluster_.pods[destination_pod].ports) {
      if (p.name == rule_port.named_port && p.protocol == protocol) {
        return p.port == port;
      }
    }
    return false;
  }
  if (!rule_port.port) return true;
  if (rule_port.end_port) {
    return port >= *rule_port.port && port <= *rule_port.end_port;
  }
  return port == *rule_port.port;
}

void ReferenceEvaluator::Evaluate(int pod, bool egress, const Side& other,
                                  int destination_pod, uint16_t port,
                                  Protocol protocol, bool* isolated,
                                  bool* allowed) const {
  *isolated = false;
  *allowed = false;
  if (pod < 0) return;
  const Pod& p = cluster_.pods[pod];
  auto it = policies_by_namespace_.find(p.namespace_name);
  if (it == policies_by_namespace_.end()) return;
  for (int index : it->second) {
    const NetworkPolicy& policy = cluster_.policies[index];
    if (!(egress ? policy.affects_egress : policy.affects_ingress)) continue;
    if (!policy.pod_selector.Matches(p.labels)) continue;
    *isolated = true;
    if (*allowed) continue;
    for (const PolicyRule& rule : egress ? policy.egress : policy.ingress) {
      bool peer_ok = rule.peers.empty();
      for (const Peer& peer : rule.peers) {
        if (PeerMatches(policy, peer, other)) {
          peer_ok = true;
          break;
        }
      }
      if (!peer_ok) continue;
      bool port_ok = rule.ports.empty();
      for (const PolicyPort& rp : rule.ports) {
        if (PortMatches(rp, destination_pod, port, protocol)) {
          port_ok = true;
          break;
        }
      }
      if (port_ok) {
        *allowed = true;
        break;
      }
    }
  }
}

Decision ReferenceEvaluator::Decide(const IpAddress& source,
                                    const IpAddress& destination, uint16_t port,
                                    Protocol protocol) const {
  const Side src{PodAt(source), source};
  const Side dst{PodAt(destination), destination};
  if (src.pod >= 0 && src.pod == dst.pod) return {true, Reason::kLoopback};
  bool egress_isolated, egress_allowed, ingress_isolated, ingress_allowed;
  Evaluate(src.pod, /*egress=*/true, dst, dst.pod, port, protocol,
           &egress_isolated, &egress_allowed);
  Evaluate(dst.pod, /*egress=*/false, src, dst.pod, port, protocol,
           &ingress_isolated, &ingress_allowed);
  if (!egress_isolated && !ingress_isolated) {
    return {true, Reason::kNotIsolated};
  }
  if (egress_isolated && !egress_allowed) return {false, Reason::kDeniedEgress};
  if (ingress_isolated && !ingress_allowed) {
    return {false, Reason::kDeniedIngress};
  }
  return {true, Reason::kAllowedByPolicy};
}

}  // namespace netpol
