#include "load-tests/generator/query_generator.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "load-tests/generator/rng.h"

namespace netpol {
namespace {

using generator::Rng;

std::string LabelOf(const Pod& pod, const char* key) {
  auto it = pod.labels.find(key);
  return it == pod.labels.end() ? std::string() : it->second;
}

bool HasV6(const Pod& pod) {
  for (const IpAddress& ip : pod.ips) {
    if (!ip.is_v4()) return true;
  }
  return false;
}

const IpAddress* AddressOf(const Pod& pod, bool v6) {
  for (const IpAddress& ip : pod.ips) {
    if (ip.is_v4() != v6) return &ip;
  }
  return nullptr;
}

class QueryMaker {
 public:
  QueryMaker(const Cluster& cluster, uint64_t seed)
      : cluster_(cluster), rng_(seed, 0x71e7) {
    absl::flat_hash_map<std::string, int> ns_index;
    for (size_t i = 0; i < cluster.namespaces.size(); ++i) {
      ns_index[cluster.namespaces[i].name] = static_cast<int>(i);
    }
    by_namespace_.resize(cluster.namespaces.size());
    by_namespace_tier_.resize(cluster.namespaces.size());
    for (size_t i = 0; i < cluster.pods.size(); ++i) {
      const Pod& pod = cluster.pods[i];
      const int p = static_cast<int>(i);
      if (pod.ips.empty()) continue;
      if (pod.host_network) {
        host_network_.push_back(p);
        continue;
      }
      regular_.push_back(p);
      auto ns = ns_index.find(pod.namespace_name);
      if (ns != ns_index.end()) {
        by_namespace_[ns->second].push_back(p);
        by_namespace_tier_[ns->second][LabelOf(pod, "tier")].push_back(p);
      }
      if (LabelOf(pod, "k8s-app") == "kube-dns") dns_.push_back(p);
      if (LabelOf(pod, "app.kubernetes.io/name") == "prometheus") {
        prometheus_.push_back(p);
      }
      if (LabelOf(pod, "app.kubernetes.io/name") == "ingress-nginx") {
        ingress_.push_back(p);
      }
      const std::string tier = LabelOf(pod, "tier");
      if (tier == "frontend") frontends_.push_back(p);
      if (tier == "frontend" || tier == "backend" || tier == "data" ||
          tier == "worker") {
        team_pods_.push_back(p);
      }
      namespace_of_.push_back(ns != ns_index.end() ? ns->second : -1);
    }
    if (team_pods_.empty()) team_pods_ = regular_;
  }

  DecisionQuery Make() {
    if (regular_.empty()) return ExternalOnly();
    static const std::vector<uint32_t> kWeights = {300, 150, 150, 80, 50,
                                                   100, 70,  30,  60, 10};
    switch (rng_.Weighted(kWeights)) {
      case 0:
        return ServiceGraph();
      case 1:
        return SameNamespace();
      case 2:
        return Pair(rng_.Pick(regular_), rng_.Pick(regular_), Serving());
      case 3:
        if (prometheus_.empty()) break;
        return Pair(rng_.Pick(prometheus_), rng_.Pick(regular_), Metrics());
      case 4:
        if (ingress_.empty() || frontends_.empty()) break;
        return Pair(rng_.Pick(ingress_), rng_.Pick(frontends_), Serving());
      case 5:
        if (dns_.empty()) break;
        return Pair(rng_.Pick(team_pods_), rng_.Pick(dns_), Dns());
      case 6:
        return ToExternal();
      case 7:
        return FromExternal();
      case 8:
        return Pair(rng_.Pick(regular_), rng_.Pick(regular_), RandomPort());
      case 9:
        if (host_network_.empty()) break;
        return Pair(rng_.Pick(host_network_), rng_.Pick(regular_), Serving());
    }
    return Pair(rng_.Pick(regular_), rng_.Pick(regular_), Serving());
  }

 private:
  enum class PortChoice { kServing, kAnyOfPod, kMetrics, kDns, kRandom };
  static PortChoice Serving() { return PortChoice::kServing; }
  static PortChoice Metrics() { return PortChoice::kMetrics; }
  static PortChoice Dns() { return PortChoice::kDns; }
  static PortChoice RandomPort() { return PortChoice::kRandom; }

  void ChoosePort(const Pod& dst, PortChoice choice, DecisionQuery* q) {
    q->protocol = Protocol::kTcp;
    switch (choice) {
      case PortChoice::kDns:
        q->port = 53;
        q->protocol = rng_.Chance(0.85) ? Protocol::kUdp : Protocol::kTcp;
        return;
      case PortChoice::kRandom: {
        q->port = static_cast<uint16_t>(rng_.Between(1, 65535));
        const size_t p = rng_.Weighted({80, 15, 5});
        q->protocol = p == 0   ? Protocol::kTcp
                      : p == 1 ? Protocol::kUdp
                               : Protocol::kSctp;
        return;
      }
      case PortChoice::kMetrics:
        for (const ContainerPort& p : dst.ports) {
          if (p.name == "metrics") {
            q->port = p.port;
            q->protocol = p.protocol;
            return;
          }
        }
        break;  // no metrics port: any port of the pod
      case PortChoice::kServing:
        for (const ContainerPort& p : dst.ports) {
          if (p.name != "metrics") {
            q->port = p.port;
            q->protocol = p.protocol;
            return;
          }
        }
        break;
      case PortChoice::kAnyOfPod:
        break;
    }
    if (!dst.ports.empty()) {
      const ContainerPort& p = rng_.Pick(dst.ports);
      q->port = p.port;
      q->protocol = p.protocol;
    } else {
      static const uint16_t kCommon[] = {80, 443, 8080, 9090};
      q->port = kCommon[rng_.Below(4)];
    }
  }

  // src -> dst on a port chosen from dst; IPv6 when both have it (half the
  // time).
  DecisionQuery Pair(int src, int dst, PortChoice choice) {
    const Pod& s = cluster_.pods[src];
    const Pod& d = cluster_.pods[dst];
    DecisionQuery q;
    q.source_pod = src;
    q.destination_pod = dst;
    const bool both_v4 = AddressOf(s, false) && AddressOf(d, false);
    const bool both_v6 = AddressOf(s, true) && AddressOf(d, true);
    if (!both_v4 && !both_v6) {
      // No common family (single-stack pods of different families): talk
      // to the outside instead.
      q.destination_pod = -1;
      q.source = s.ips[0];
      q.destination = s.ips[0].is_v4() ? PublicV4() : PublicV6();
      ChoosePort(d, choice, &q);
      return q;
    }
    const bool v6 = both_v6 && (!both_v4 || rng_.Chance(0.5));
    q.source = *AddressOf(s, v6);
    q.destination = *AddressOf(d, v6);
    ChoosePort(d, choice, &q);
    return q;
  }

  // Prefers a dual-stack peer for a dual-stack source, so IPv6 shows up.
  int PickPeer(int src, const std::vector<int>& candidates) {
    int dst = rng_.Pick(candidates);
    if (HasV6(cluster_.pods[src]) && rng_.Chance(0.6)) {
      for (int tries = 0; tries < 16 && !HasV6(cluster_.pods[dst]); ++tries) {
        dst = rng_.Pick(candidates);
      }
    }
    return dst;
  }

  DecisionQuery ServiceGraph() {
    const int src = rng_.Pick(team_pods_);
    const std::string tier = LabelOf(cluster_.pods[src], "tier");
    std::string callee = "backend";
    if (tier == "backend") {
      callee = rng_.Chance(0.6) ? "data" : "backend";
    } else if (tier == "worker") {
      callee = rng_.Chance(0.5) ? "data" : "backend";
    } else if (tier == "data") {
      callee = "data";
    }
    const int ns = NamespaceOf(src);
    if (ns >= 0) {
      auto it = by_namespace_tier_[ns].find(callee);
      if (it != by_namespace_tier_[ns].end() && !it->second.empty()) {
        return Pair(src, PickPeer(src, it->second), Serving());
      }
      return Pair(src, PickPeer(src, by_namespace_[ns]), Serving());
    }
    return Pair(src, rng_.Pick(regular_), Serving());
  }

  DecisionQuery SameNamespace() {
    const int src = rng_.Pick(regular_);
    const int ns = NamespaceOf(src);
    const std::vector<int>& peers = ns >= 0 ? by_namespace_[ns] : regular_;
    return Pair(src, PickPeer(src, peers), PortChoice::kAnyOfPod);
  }

  int NamespaceOf(int pod) const {
    // namespace_of_ is indexed like regular_; find by the pod's position.
    auto it = std::lower_bound(regular_.begin(), regular_.end(), pod);
    if (it == regular_.end() || *it != pod) return -1;
    return namespace_of_[it - regular_.begin()];
  }

  IpAddress PublicV4() {
    switch (rng_.Weighted({30, 20, 20, 15, 15})) {
      case 0:  // well-known resolvers / CDNs
        return IpAddress::V4(rng_.Chance(0.5) ? 0x08080808u : 0x01010101u);
      case 1:  // partner range 198.51.100.0/24
        return IpAddress::V4(0xC6336400u |
                             static_cast<uint32_t>(rng_.Below(256)));
      case 2:  // managed database range 203.0.113.0/24
        return IpAddress::V4(0xCB007100u |
                             static_cast<uint32_t>(rng_.Below(256)));
      case 3:  // cloud provider space 52.0.0.0/8
        return IpAddress::V4(0x34000000u |
                             static_cast<uint32_t>(rng_.Below(1u << 24)));
      default:  // anywhere outside 10/8
        return IpAddress::V4(0x0B000000u + static_cast<uint32_t>(rng_.Below(
                                               0xDF000000u - 0x0B000000u)));
    }
  }

  IpAddress PublicV6() {
    if (rng_.Chance(0.5)) {
      // 2001:db8::/32, sometimes in the excepted 2001:db8:dead::/48.
      const uint64_t hi = rng_.Chance(0.2)
                              ? 0x20010db8dead0000ull | rng_.Below(65536)
                              : 0x20010db800000000ull | rng_.Below(1ull << 32);
      return IpAddress::V6(hi, rng_.Next());
    }
    return IpAddress::V6(0x2606470000000000ull | rng_.Below(1ull << 40),
                         rng_.Next());
  }

  DecisionQuery ToExternal() {
    const int src = rng_.Pick(team_pods_);
    const Pod& s = cluster_.pods[src];
    DecisionQuery q;
    q.source_pod = src;
    const bool v6 = HasV6(s) && (!AddressOf(s, false) || rng_.Chance(0.4));
    q.source = *AddressOf(s, v6);
    q.destination = v6 ? PublicV6() : PublicV4();
    const size_t kind = rng_.Weighted({60, 20, 20});
    q.port = kind == 0   ? 443
             : kind == 1 ? 5432
                         : static_cast<uint16_t>(rng_.Between(1024, 65535));
    q.protocol = Protocol::kTcp;
    return q;
  }

  DecisionQuery FromExternal() {
    const int dst = frontends_.empty() || rng_.Chance(0.3)
                        ? rng_.Pick(regular_)
                        : rng_.Pick(frontends_);
    const Pod& d = cluster_.pods[dst];
    DecisionQuery q;
    q.destination_pod = dst;
    const bool v6 = HasV6(d) && (!AddressOf(d, false) || rng_.Chance(0.4));
    q.destination = *AddressOf(d, v6);
    if (v6) {
      q.source = PublicV6();
    } else if (rng_.Chance(0.5)) {  // office 192.0.2.0/24
      q.source =
          IpAddress::V4(0xC0000200u | static_cast<uint32_t>(rng_.Below(256)));
    } else {
      q.source = PublicV4();
    }
    ChoosePort(d, Serving(), &q);
    return q;
  }

  DecisionQuery ExternalOnly() {
    DecisionQuery q;
    q.source = PublicV4();
    q.destination = PublicV4();
    q.port = 443;
    return q;
  }

  const Cluster& cluster_;
  Rng rng_;
  std::vector<int> regular_;       // pods with an IP, not hostNetwork
  std::vector<int> namespace_of_;  // parallel to regular_
  std::vector<int> host_network_;
  std::vector<int> team_pods_;
  std::vector<int> frontends_;
  std::vector<int> dns_;
  std::vector<int> prometheus_;
  std::vector<int> ingress_;
  std::vector<std::vector<int>> by_namespace_;
  std::vector<absl::flat_hash_map<std::string, std::vector<int>>>
      by_namespace_tier_;
};

}  // namespace

std::vector<DecisionQuery> GenerateQueries(const Cluster& cluster, size_t count,
                                           uint64_t seed) {
  QueryMaker maker(cluster, seed);
  std::vector<DecisionQuery> queries;
  queries.reserve(count);
  for (size_t i = 0; i < count; ++i) queries.push_back(maker.Make());
  return queries;
}

}  // namespace netpol
