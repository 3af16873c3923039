// Property test: on many seeded random small clusters, CompiledSnapshot
// must agree with the brute-force reference oracle (reference_oracle.h) on
// every query, for both values of CompileOptions::ipblock_matches_pods.
//
// Each cluster is generated as a model and rendered as YAML; the YAML goes
// through ManifestLoader (which must reproduce the model) and both the
// loaded and the hand-built model are compiled. Queries: every ordered pair
// of endpoints (pods by each IP and by name, hostNetwork pods, external
// IPs, and addresses at the edges of every ipBlock/except paired with the
// pods) on the destination's container ports plus random ports/protocols
// (biased to the edges of the policies' port ranges).
//
// Reproduce one seed: NETPOL_PROPERTY_SEED=<n> ./core_snapshot_property_test
// More seeds:         NETPOL_PROPERTY_SEEDS=<count per shard>,
//                     NETPOL_PROPERTY_LARGE_SEEDS=<count of large clusters>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/compiled_snapshot.h"
#include "core/decision.h"
#include "core/manifest_loader.h"
#include "core/model.h"
#include "gtest/gtest.h"
#include "tests/core/reference_oracle.h"
#include "tests/core/test_util.h"

namespace netpol {
namespace {

// ---------------------------------------------------------------------------
// Random cluster description (the model plus how to spell it in YAML).

struct GenNamespace {
  std::string name;
  Labels labels;  // without the name label
  bool declared = true;
  bool explicit_name_label = false;
};

struct GenPod {
  std::string ns;
  std::string name;
  Labels labels;
  std::vector<IpAddress> ips;  // primary first
  int ip_form = 2;             // 0: podIP only, 1: podIPs only, 2: both
  std::vector<std::vector<ContainerPort>> containers;
  bool host_network = false;
};

struct GenPeer {
  Peer peer;
  std::string cidr_text;  // as written (may have host bits set)
};

struct GenPort {
  PolicyPort port;
  bool protocol_explicit = false;
};

struct GenRule {
  std::optional<std::vector<GenPeer>> peers;  // nullopt: key omitted
  std::optional<std::vector<GenPort>> ports;
};

struct GenPolicy {
  std::string ns;
  std::string name;
  LabelSelector pod_selector;
  bool null_selector = false;
  std::optional<std::vector<std::string>> types;
  std::optional<std::vector<GenRule>> ingress;
  std::optional<std::vector<GenRule>> egress;
};

struct GenCluster {
  std::vector<GenNamespace> namespaces;
  std::vector<GenPod> pods;
  std::vector<GenPolicy> policies;
  std::vector<IpAddress> externals;
  std::vector<int> document_order;  // permutation of all objects
};

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed * 0x9E3779B97F4A7C15ull + 12345) {}
  // Uniform in [lo, hi].
  int Int(int lo, int hi) {
    return lo + static_cast<int>(gen_() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(double p) {
    return static_cast<double>(gen_() % 1000000) < p * 1000000;
  }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }
  std::mt19937_64& gen() { return gen_; }

 private:
  std::mt19937_64 gen_;
};

std::string PName(Protocol p) { return std::string(ProtocolName(p)); }
std::string RName(Reason r) { return std::string(ReasonName(r)); }

IpAddress Ip(const std::string& text) { return IpAddress::Parse(text).value(); }

const std::vector<std::string> kPodKeys = {"app", "tier", "team"};
const std::vector<std::string> kPodValues = {"a", "b", "c"};
const std::vector<std::string> kNsKeys = {"env", "team"};
const std::vector<std::string> kNsValues = {"a", "b"};
const std::vector<std::string> kPortNames = {"http", "dns", "metrics", "grpc"};
const std::vector<int> kRulePorts = {53, 80, 81, 443, 8080, 9000};
const std::vector<int> kContainerPorts = {53,   80,   81,   443,
                                          8080, 8081, 9000, 9005};
const std::vector<int> kQueryPorts = {
    1, 53, 80, 81, 85, 180, 443, 8080, 8081, 9000, 9001, 9005, 9100, 65535};
const std::vector<Protocol> kProtocols = {Protocol::kTcp, Protocol::kUdp,
                                          Protocol::kSctp};

Protocol RandomProtocol(Rng& rng) {
  int r = rng.Int(0, 3);
  return r <= 1 ? Protocol::kTcp : (r == 2 ? Protocol::kUdp : Protocol::kSctp);
}

Labels RandomLabels(Rng& rng, const std::vector<std::string>& keys,
                    const std::vector<std::string>& values, double p) {
  Labels labels;
  for (const std::string& key : keys) {
    if (rng.Chance(p)) labels[key] = rng.Chance(0.08) ? "" : rng.Pick(values);
  }
  return labels;
}

LabelSelector RandomSelector(Rng& rng, const std::vector<std::string>& keys,
                             const std::vector<std::string>& values) {
  LabelSelector s;
  if (rng.Chance(0.25)) return s;
  const int labels = rng.Int(0, 2);
  for (int i = 0; i < labels; ++i) {
    s.match_labels[rng.Pick(keys)] = rng.Chance(0.05) ? "" : rng.Pick(values);
  }
  const int exprs = rng.Int(0, 2);
  for (int i = 0; i < exprs; ++i) {
    SelectorRequirement req;
    req.key = rng.Chance(0.1) ? "ghost" : rng.Pick(keys);
    req.op = static_cast<SelectorOperator>(rng.Int(0, 3));
    if (req.op == SelectorOperator::kIn || req.op == SelectorOperator::kNotIn) {
      std::set<std::string> vals;
      const int n = rng.Int(1, 2);
      for (int j = 0; j < n; ++j) {
        vals.insert(rng.Chance(0.05) ? "" : rng.Pick(values));
      }
      req.values.assign(vals.begin(), vals.end());
    }
    s.expressions.push_back(std::move(req));
  }
  return s;
}

Cidr MakeCidr(const IpAddress& ip, int prefix) {
  return Cidr::Parse(absl::StrCat(ip.ToString(), "/", prefix)).value();
}

GenPeer RandomIpBlock(Rng& rng, const GenCluster& c) {
  std::vector<Cidr> pool;
  const bool v6 = rng.Chance(0.45);
  std::vector<IpAddress> family_ips;  // addresses of interest in the family
  for (const GenPod& pod : c.pods) {
    for (const IpAddress& ip : pod.ips) {
      if (ip.is_v4() != v6) family_ips.push_back(ip);
    }
  }
  for (const IpAddress& ip : c.externals) {
    if (ip.is_v4() != v6) family_ips.push_back(ip);
  }
  if (!v6) {
    for (const char* text :
         {"0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/16", "10.0.0.0/24",
          "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24", "10.0.1.16/28",
          "192.168.0.0/16", "8.8.8.0/24"}) {
      pool.push_back(*Cidr::Parse(text));
    }
  } else {
    for (const char* text :
         {"::/0", "fd00::/16", "fd00::/64", "fd00::1:0/112", "fd00::2:0/112",
          "fd00::/112", "2001:db8::/32", "fd01::/16", "::ffff:0:0/96"}) {
      pool.push_back(*Cidr::Parse(text));
    }
  }
  if (!family_ips.empty() && rng.Chance(0.3)) {
    const IpAddress& ip = rng.Pick(family_ips);
    pool.push_back(MakeCidr(ip, rng.Chance(0.5) ? ip.bits() : ip.bits() - 2));
  }
  GenPeer out;
  IpBlock block;
  block.cidr = rng.Pick(pool);
  out.cidr_text = block.cidr.ToString();
  if (block.cidr.prefix < block.cidr.base.bits() && rng.Chance(0.15)) {
    // Kubernetes accepts host bits in the CIDR (they are cleared).
    out.cidr_text = absl::StrCat(NextAddress(block.cidr.base).ToString(), "/",
                                 block.cidr.prefix);
  }
  const int excepts = rng.Int(0, 3) - 1;  // -1..2, mostly 0..2
  const int bits = block.cidr.base.bits();
  std::vector<IpAddress> inside;
  for (const IpAddress& ip : family_ips) {
    if (block.cidr.Contains(ip)) inside.push_back(ip);
  }
  inside.push_back(block.cidr.base);
  for (int i = 0; i < excepts && block.cidr.prefix < bits; ++i) {
    const IpAddress& ip = rng.Pick(inside);
    Cidr except = MakeCidr(ip, rng.Int(block.cidr.prefix + 1, bits));
    if (std::find(block.except.begin(), block.except.end(), except) ==
        block.except.end()) {
      block.except.push_back(except);
    }
  }
  out.peer.ip_block = block;
  return out;
}

std::vector<std::string> NamespaceSelectorValues(const GenCluster& c) {
  std::vector<std::string> values = kNsValues;
  for (const GenNamespace& ns : c.namespaces) values.push_back(ns.name);
  return values;
}

GenPeer RandomPeer(Rng& rng, const GenCluster& c) {
  std::vector<std::string> ns_keys = kNsKeys;
  ns_keys.push_back(kNamespaceNameLabel);
  const std::vector<std::string> ns_values = NamespaceSelectorValues(c);
  GenPeer out;
  switch (rng.Int(0, 3)) {
    case 0:
      out.peer.pod_selector = RandomSelector(rng, kPodKeys, kPodValues);
      break;
    case 1:
      out.peer.namespace_selector = RandomSelector(rng, ns_keys, ns_values);
      break;
    case 2:
      out.peer.pod_selector = RandomSelector(rng, kPodKeys, kPodValues);
      out.peer.namespace_selector = RandomSelector(rng, ns_keys, ns_values);
      break;
    default:
      out = RandomIpBlock(rng, c);
      break;
  }
  return out;
}

GenPort RandomPort(Rng& rng) {
  GenPort out;
  out.port.protocol = RandomProtocol(rng);
  out.protocol_explicit =
      out.port.protocol != Protocol::kTcp || rng.Chance(0.5);
  const int kind = rng.Int(0, 19);
  if (kind < 3) {
    // protocol only
  } else if (kind < 12) {
    out.port.port = static_cast<uint16_t>(rng.Pick(kRulePorts));
  } else if (kind < 15) {
    out.port.port = static_cast<uint16_t>(rng.Pick(kRulePorts));
    static const std::vector<int> kSpans = {0, 1, 5, 100};
    out.port.end_port =
        static_cast<uint16_t>(*out.port.port + rng.Pick(kSpans));
  } else {
    out.port.named_port = rng.Pick(kPortNames);
  }
  return out;
}

GenRule RandomRule(Rng& rng, const GenCluster& c) {
  GenRule rule;
  const int peers = rng.Int(0, 9);
  if (peers >= 3) {
    rule.peers.emplace();
    const int n = rng.Int(1, 3);
    for (int i = 0; i < n; ++i) rule.peers->push_back(RandomPeer(rng, c));
  } else if (peers == 2) {
    rule.peers.emplace();  // from: []
  }
  const int ports = rng.Int(0, 9);
  if (ports >= 4) {
    rule.ports.emplace();
    const int n = rng.Int(1, 3);
    for (int i = 0; i < n; ++i) rule.ports->push_back(RandomPort(rng));
  } else if (ports == 3) {
    rule.ports.emplace();  // ports: []
  }
  return rule;
}

std::optional<std::vector<GenRule>> RandomRules(Rng& rng, const GenCluster& c) {
  const int r = rng.Int(0, 19);
  if (r < 5) return std::nullopt;
  std::vector<GenRule> rules;
  if (r < 8) return rules;  // []
  const int n = rng.Int(1, 3);
  for (int i = 0; i < n; ++i) rules.push_back(RandomRule(rng, c));
  return rules;
}

// Cluster size ranges (inclusive).
struct Sizes {
  int min_namespaces = 2, max_namespaces = 4;
  int min_pods = 3, max_pods = 12;
  int min_policies = 1, max_policies = 8;
};

GenCluster Generate(uint64_t seed, const Sizes& sizes = {}) {
  Rng rng(seed);
  GenCluster c;
  const int namespaces = rng.Int(sizes.min_namespaces, sizes.max_namespaces);
  for (int i = 0; i < namespaces; ++i) {
    GenNamespace ns;
    ns.name = absl::StrCat("ns", i);
    ns.labels = RandomLabels(rng, kNsKeys, kNsValues, 0.6);
    ns.declared = i == 0 || rng.Chance(0.75);
    ns.explicit_name_label = ns.declared && rng.Chance(0.3);
    c.namespaces.push_back(ns);
  }
  for (const char* ext :
       {"10.0.0.250", "10.0.1.99", "8.8.8.8", "192.168.0.99", "fd00::ff",
        "fd00::1:ff", "2001:db8::1", "::ffff:10.0.0.10", "fd01::99"}) {
    c.externals.push_back(Ip(ext));
  }
  const int pods = rng.Int(sizes.min_pods, sizes.max_pods);
  for (int i = 0; i < pods; ++i) {
    GenPod pod;
    const int ns_index = rng.Int(0, namespaces - 1);
    pod.ns = c.namespaces[ns_index].name;
    pod.name = absl::StrCat("p", i);
    pod.labels = RandomLabels(rng, kPodKeys, kPodValues, 0.6);
    pod.host_network = rng.Chance(0.1);
    const IpAddress v4 =
        IpAddress::V4((10u << 24) | (ns_index << 8) | (10 + i));
    const IpAddress v6 =
        IpAddress::V6(0xfd00000000000000ull,
                      (static_cast<uint64_t>(ns_index) << 16) | (10 + i));
    if (pod.host_network) {
      pod.ips.push_back(IpAddress::V4((192u << 24) | (168u << 16) | (10 + i)));
      if (rng.Chance(0.3)) {
        pod.ips.push_back(IpAddress::V6(0xfd01000000000000ull, 10 + i));
      }
    } else {
      const int r = rng.Int(0, 99);
      if (r < 50) {
        pod.ips = {v4};
      } else if (r < 60) {
        pod.ips = {v6};
      } else if (r < 85) {
        pod.ips = rng.Chance(0.5) ? std::vector<IpAddress>{v4, v6}
                                  : std::vector<IpAddress>{v6, v4};
      }  // else pending
    }
    pod.ip_form = pod.ips.size() == 1 ? rng.Int(0, 2) : rng.Int(1, 2);
    std::vector<ContainerPort> ports;
    std::set<std::string> used_names;
    const int nports = rng.Int(0, 3);
    for (int j = 0; j < nports; ++j) {
      ContainerPort cp;
      cp.port = static_cast<uint16_t>(rng.Pick(kContainerPorts));
      cp.protocol = RandomProtocol(rng);
      if (rng.Chance(0.8)) {
        std::string name = rng.Pick(kPortNames);
        if (used_names.insert(name).second) cp.name = name;
      }
      ports.push_back(cp);
    }
    pod.containers.emplace_back();
    for (const ContainerPort& cp : ports) {
      if (!pod.containers.back().empty() && rng.Chance(0.3)) {
        pod.containers.emplace_back();
      }
      pod.containers.back().push_back(cp);
    }
    c.pods.push_back(pod);
  }
  // Policies live in declared namespaces or namespaces with pods.
  std::vector<std::string> policy_namespaces;
  for (const GenNamespace& ns : c.namespaces) {
    bool has_pod = false;
    for (const GenPod& pod : c.pods) has_pod |= pod.ns == ns.name;
    if (ns.declared || has_pod) policy_namespaces.push_back(ns.name);
  }
  const int policies = rng.Int(sizes.min_policies, sizes.max_policies);
  for (int i = 0; i < policies; ++i) {
    GenPolicy p;
    p.ns = rng.Pick(policy_namespaces);
    p.name = absl::StrCat("pol", i);
    p.pod_selector = RandomSelector(rng, kPodKeys, kPodValues);
    p.null_selector = p.pod_selector.empty() && rng.Chance(0.3);
    const int t = rng.Int(0, 9);
    if (t >= 4) {
      static const std::vector<std::vector<std::string>> kTypes = {
          {"Ingress"},
          {"Egress"},
          {"Ingress", "Egress"},
          {"Egress", "Ingress"}};
      p.types = rng.Pick(kTypes);
    }
    p.ingress = RandomRules(rng, c);
    p.egress = RandomRules(rng, c);
    c.policies.push_back(std::move(p));
  }
  const int objects =
      static_cast<int>(c.namespaces.size() + c.pods.size() + c.policies.size());
  for (int i = 0; i < objects; ++i) c.document_order.push_back(i);
  if (rng.Chance(0.5)) {
    std::shuffle(c.document_order.begin(), c.document_order.end(), rng.gen());
  }
  return c;
}

// ---------------------------------------------------------------------------
// The model, by the contract's defaulting rules.

Cluster ToModel(const GenCluster& c) {
  Cluster cluster;
  std::set<std::string> declared;
  for (const GenNamespace& g : c.namespaces) {
    if (!g.declared) continue;
    Namespace ns;
    ns.name = g.name;
    ns.labels = g.labels;
    ns.labels[kNamespaceNameLabel] = g.name;
    cluster.namespaces.push_back(ns);
    declared.insert(g.name);
  }
  for (const GenPod& g : c.pods) {
    if (declared.insert(g.ns).second) {
      Namespace ns;
      ns.name = g.ns;
      ns.labels = {{kNamespaceNameLabel, g.ns}};
      cluster.namespaces.push_back(ns);
    }
    Pod pod;
    pod.namespace_name = g.ns;
    pod.name = g.name;
    pod.labels = g.labels;
    pod.ips = g.ips;
    for (const auto& container : g.containers) {
      for (const ContainerPort& cp : container) pod.ports.push_back(cp);
    }
    pod.host_network = g.host_network;
    cluster.pods.push_back(pod);
  }
  auto rules = [](const std::optional<std::vector<GenRule>>& gen) {
    std::vector<PolicyRule> out;
    if (!gen) return out;
    for (const GenRule& g : *gen) {
      PolicyRule rule;
      if (g.peers) {
        for (const GenPeer& p : *g.peers) rule.peers.push_back(p.peer);
      }
      if (g.ports) {
        for (const GenPort& p : *g.ports) rule.ports.push_back(p.port);
      }
      out.push_back(rule);
    }
    return out;
  };
  for (const GenPolicy& g : c.policies) {
    NetworkPolicy p;
    p.namespace_name = g.ns;
    p.name = g.name;
    p.pod_selector = g.pod_selector;
    if (g.types) {
      p.affects_ingress =
          std::count(g.types->begin(), g.types->end(), "Ingress") > 0;
      p.affects_egress =
          std::count(g.types->begin(), g.types->end(), "Egress") > 0;
    } else {
      p.affects_ingress = true;
      p.affects_egress = g.egress.has_value() && !g.egress->empty();
    }
    p.ingress = rules(g.ingress);
    p.egress = rules(g.egress);
    cluster.policies.push_back(p);
  }
  return cluster;
}

// ---------------------------------------------------------------------------
// YAML rendering.

std::string Q(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  return out + "\"";
}

std::string LabelsFlow(const Labels& labels) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels)
    parts.push_back(absl::StrCat(Q(k), ": ", Q(v)));
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

std::string SelectorFlow(const LabelSelector& s) {
  std::vector<std::string> parts;
  if (!s.match_labels.empty()) {
    parts.push_back(absl::StrCat("matchLabels: ", LabelsFlow(s.match_labels)));
  }
  if (!s.expressions.empty()) {
    std::vector<std::string> exprs;
    for (const SelectorRequirement& r : s.expressions) {
      static const char* kOps[] = {"In", "NotIn", "Exists", "DoesNotExist"};
      std::string e = absl::StrCat(
          "{key: ", Q(r.key), ", operator: ", kOps[static_cast<int>(r.op)]);
      if (!r.values.empty()) {
        std::vector<std::string> vals;
        for (const std::string& v : r.values) vals.push_back(Q(v));
        absl::StrAppend(&e, ", values: [", absl::StrJoin(vals, ", "), "]");
      }
      exprs.push_back(e + "}");
    }
    parts.push_back(
        absl::StrCat("matchExpressions: [", absl::StrJoin(exprs, ", "), "]"));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

std::string PortFlow(const GenPort& p) {
  std::vector<std::string> parts;
  if (p.protocol_explicit) {
    parts.push_back(absl::StrCat("protocol: ", PName(p.port.protocol)));
  }
  if (!p.port.named_port.empty()) {
    parts.push_back(absl::StrCat("port: ", Q(p.port.named_port)));
  } else if (p.port.port) {
    parts.push_back(absl::StrCat("port: ", *p.port.port));
    if (p.port.end_port) {
      parts.push_back(absl::StrCat("endPort: ", *p.port.end_port));
    }
  }
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

std::string RulesYaml(const std::string& key, const std::string& peers_key,
                      const std::optional<std::vector<GenRule>>& rules) {
  if (!rules) return "";
  if (rules->empty()) return absl::StrCat("  ", key, ": []\n");
  std::string out = absl::StrCat("  ", key, ":\n");
  for (const GenRule& r : *rules) {
    if (!r.peers && !r.ports) {
      out += "  - {}\n";
      continue;
    }
    std::string lead = "  - ";
    if (r.peers) {
      if (r.peers->empty()) {
        absl::StrAppend(&out, lead, peers_key, ": []\n");
      } else {
        absl::StrAppend(&out, lead, peers_key, ":\n");
        for (const GenPeer& p : *r.peers) {
          if (p.peer.ip_block) {
            std::vector<std::string> except;
            for (const Cidr& e : p.peer.ip_block->except) {
              except.push_back(Q(e.ToString()));
            }
            absl::StrAppend(&out, "    - ipBlock: {cidr: ", Q(p.cidr_text));
            if (!except.empty()) {
              absl::StrAppend(&out, ", except: [", absl::StrJoin(except, ", "),
                              "]");
            }
            out += "}\n";
            continue;
          }
          std::string item_lead = "    - ";
          if (p.peer.pod_selector) {
            absl::StrAppend(&out, item_lead,
                            "podSelector: ", SelectorFlow(*p.peer.pod_selector),
                            "\n");
            item_lead = "      ";
          }
          if (p.peer.namespace_selector) {
            absl::StrAppend(&out, item_lead, "namespaceSelector: ",
                            SelectorFlow(*p.peer.namespace_selector), "\n");
          }
        }
      }
      lead = "    ";
    }
    if (r.ports) {
      std::vector<std::string> ports;
      for (const GenPort& p : *r.ports) ports.push_back(PortFlow(p));
      absl::StrAppend(&out, lead, "ports: [", absl::StrJoin(ports, ", "),
                      "]\n");
    }
  }
  return out;
}

std::string NamespaceDoc(const GenNamespace& ns) {
  Labels labels = ns.labels;
  if (ns.explicit_name_label) labels[kNamespaceNameLabel] = ns.name;
  std::string out = absl::StrCat(
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ", Q(ns.name), "\n");
  if (!labels.empty())
    absl::StrAppend(&out, "  labels: ", LabelsFlow(labels), "\n");
  return out;
}

std::string PodDoc(const GenPod& pod) {
  std::string out = absl::StrCat(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ", Q(pod.name),
      "\n  namespace: ", Q(pod.ns), "\n  labels: ", LabelsFlow(pod.labels),
      "\nspec:\n");
  if (pod.host_network) out += "  hostNetwork: true\n";
  out += "  containers:\n";
  for (size_t i = 0; i < pod.containers.size(); ++i) {
    absl::StrAppend(&out, "  - name: c", i, "\n    image: example\n");
    if (pod.containers[i].empty()) continue;
    out += "    ports:\n";
    for (const ContainerPort& cp : pod.containers[i]) {
      out += "    - {";
      if (!cp.name.empty()) absl::StrAppend(&out, "name: ", Q(cp.name), ", ");
      absl::StrAppend(&out, "containerPort: ", cp.port);
      if (cp.protocol != Protocol::kTcp || cp.port % 2 == 0) {
        absl::StrAppend(&out, ", protocol: ", PName(cp.protocol));
      }
      out += "}\n";
    }
  }
  if (pod.ips.empty()) {
    out += "status: {phase: Pending}\n";
    return out;
  }
  out += "status:\n  phase: Running\n";
  if (pod.ip_form != 1)
    absl::StrAppend(&out, "  podIP: ", Q(pod.ips[0].ToString()), "\n");
  if (pod.ip_form != 0) {
    out += "  podIPs:\n";
    for (const IpAddress& ip : pod.ips) {
      absl::StrAppend(&out, "  - ip: ", Q(ip.ToString()), "\n");
    }
  }
  return out;
}

std::string PolicyDoc(const GenPolicy& p) {
  std::string out = absl::StrCat(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
      "  name: ",
      Q(p.name), "\n  namespace: ", Q(p.ns), "\nspec:\n  podSelector: ",
      p.null_selector ? "null" : SelectorFlow(p.pod_selector), "\n");
  if (p.types) {
    absl::StrAppend(&out, "  policyTypes: [", absl::StrJoin(*p.types, ", "),
                    "]\n");
  }
  out += RulesYaml("ingress", "from", p.ingress);
  out += RulesYaml("egress", "to", p.egress);
  return out;
}

std::string ToYaml(const GenCluster& c) {
  std::vector<std::string> docs;
  for (const GenNamespace& ns : c.namespaces) {
    docs.push_back(ns.declared ? NamespaceDoc(ns) : "");
  }
  for (const GenPod& pod : c.pods) docs.push_back(PodDoc(pod));
  for (const GenPolicy& p : c.policies) docs.push_back(PolicyDoc(p));
  std::string out;
  for (int i : c.document_order) {
    if (docs[i].empty()) continue;
    absl::StrAppend(&out, "---\n", docs[i]);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Canonical text of a model, to compare the loaded and the built cluster.

std::string Canon(const LabelSelector& s) {
  std::string out = absl::StrCat("{", LabelsFlow(s.match_labels));
  for (const SelectorRequirement& r : s.expressions) {
    absl::StrAppend(&out, " ", r.key, ":", static_cast<int>(r.op), ":[",
                    absl::StrJoin(r.values, ","), "]");
  }
  return out + "}";
}

std::string Canon(const std::vector<PolicyRule>& rules) {
  std::string out;
  for (const PolicyRule& r : rules) {
    out += "    rule peers=[";
    for (const Peer& p : r.peers) {
      out += " (";
      if (p.pod_selector) absl::StrAppend(&out, "pod=", Canon(*p.pod_selector));
      if (p.namespace_selector) {
        absl::StrAppend(&out, "ns=", Canon(*p.namespace_selector));
      }
      if (p.ip_block) {
        absl::StrAppend(&out, "ip=", p.ip_block->cidr.ToString());
        for (const Cidr& e : p.ip_block->except) {
          absl::StrAppend(&out, "-", e.ToString());
        }
      }
      out += ")";
    }
    out += " ] ports=[";
    for (const PolicyPort& p : r.ports) {
      absl::StrAppend(&out, " ", PName(p.protocol), ":",
                      p.port ? absl::StrCat(*p.port) : "-", ":",
                      p.end_port ? absl::StrCat(*p.end_port) : "-", ":",
                      p.named_port);
    }
    out += " ]\n";
  }
  return out;
}

std::string Canon(const Cluster& c) {
  std::vector<std::string> lines;
  for (const Namespace& ns : c.namespaces) {
    lines.push_back(
        absl::StrCat("namespace ", ns.name, " ", LabelsFlow(ns.labels)));
  }
  for (const Pod& p : c.pods) {
    std::vector<std::string> ips, ports;
    for (const IpAddress& ip : p.ips) ips.push_back(ip.ToString());
    for (const ContainerPort& cp : p.ports) {
      ports.push_back(
          absl::StrCat(cp.name, ":", cp.port, "/", PName(cp.protocol)));
    }
    lines.push_back(absl::StrCat(
        "pod ", p.namespace_name, "/", p.name, " host=", p.host_network,
        " ips=[", absl::StrJoin(ips, ","), "] ports=[",
        absl::StrJoin(ports, ","), "] ", LabelsFlow(p.labels)));
  }
  for (const NetworkPolicy& p : c.policies) {
    lines.push_back(absl::StrCat(
        "policy ", p.namespace_name, "/", p.name,
        " sel=", Canon(p.pod_selector), " ingress=", p.affects_ingress,
        " egress=", p.affects_egress, "\n  ingress:\n",
        // Rules of an unlisted type may be dropped.
        p.affects_ingress ? Canon(p.ingress) : "", "  egress:\n",
        p.affects_egress ? Canon(p.egress) : ""));
  }
  std::vector<std::pair<std::string, int>> kinds(c.skipped_kinds.begin(),
                                                 c.skipped_kinds.end());
  for (const auto& [k, n] : kinds)
    lines.push_back(absl::StrCat("skipped ", k, n));
  std::sort(lines.begin(), lines.end());
  return absl::StrJoin(lines, "\n");
}

// ---------------------------------------------------------------------------
// Queries.

struct QueryEndpoint {
  Endpoint endpoint;
  std::string identity;         // same pod or same external IP
  bool skip_self = false;       // external IP or hostNetwork pod
  const GenPod* pod = nullptr;  // for the destination's container ports
};

std::vector<QueryEndpoint> Endpoints(const GenCluster& c) {
  std::vector<QueryEndpoint> out;
  for (size_t i = 0; i < c.pods.size(); ++i) {
    const GenPod& pod = c.pods[i];
    const std::string id = absl::StrCat("pod:", i);
    out.push_back({PodRef{pod.ns, pod.name}, id, pod.host_network, &pod});
    for (const IpAddress& ip : pod.ips) {
      out.push_back({ip, id, pod.host_network, &pod});
    }
  }
  for (const IpAddress& ip : c.externals) {
    out.push_back({ip, absl::StrCat("ext:", ip.ToString()), true, nullptr});
  }
  return out;
}

IpAddress PrevAddress(const IpAddress& ip) {
  if (ip.hi == 0 && ip.lo == 0) return ip;
  IpAddress prev = ip;
  if (prev.lo-- == 0) --prev.hi;
  return prev;
}

// External endpoints at the edges of every ipBlock and except of the
// cluster (first, last, and the addresses just outside), where interval
// bookkeeping goes wrong; at most `limit` of them, chosen by `rng`.
std::vector<QueryEndpoint> BoundaryEndpoints(const Cluster& model, Rng& rng,
                                             size_t limit) {
  std::set<IpAddress> addresses;
  auto add = [&](const Cidr& cidr) {
    addresses.insert(cidr.First());
    addresses.insert(cidr.Last());
    addresses.insert(PrevAddress(cidr.First()));
    addresses.insert(NextAddress(cidr.Last()));
  };
  for (const NetworkPolicy& p : model.policies) {
    for (const auto* rules : {&p.ingress, &p.egress}) {
      for (const PolicyRule& r : *rules) {
        for (const Peer& peer : r.peers) {
          if (!peer.ip_block) continue;
          add(peer.ip_block->cidr);
          for (const Cidr& e : peer.ip_block->except) add(e);
        }
      }
    }
  }
  std::vector<IpAddress> list(addresses.begin(), addresses.end());
  std::shuffle(list.begin(), list.end(), rng.gen());
  if (list.size() > limit) list.resize(limit);
  std::vector<QueryEndpoint> out;
  for (const IpAddress& ip : list) {
    out.push_back({ip, absl::StrCat("ext:", ip.ToString()), true, nullptr});
  }
  return out;
}

// Ports worth asking about: a fixed list plus the edges of every numeric
// port and range of the cluster's policies.
std::vector<uint32_t> CandidatePorts(const Cluster& model) {
  std::set<uint32_t> ports(kQueryPorts.begin(), kQueryPorts.end());
  for (const NetworkPolicy& p : model.policies) {
    for (const auto* rules : {&p.ingress, &p.egress}) {
      for (const PolicyRule& r : *rules) {
        for (const PolicyPort& port : r.ports) {
          if (!port.port) continue;
          const uint32_t first = *port.port;
          const uint32_t last = port.end_port.value_or(*port.port);
          for (uint32_t v : {first - 1, first, last, last + 1}) {
            if (v >= 1 && v <= 65535) ports.insert(v);
          }
        }
      }
    }
  }
  return std::vector<uint32_t>(ports.begin(), ports.end());
}

std::string Describe(const oracle::DirectionResult& d) {
  std::vector<std::string> rules;
  for (const auto& [p, i] : d.allowing_rules)
    rules.push_back(absl::StrCat(p, "#", i));
  return absl::StrCat("isolated=", d.isolated, " allowed=", d.allowed,
                      " policies=[", absl::StrJoin(d.selecting_policies, ","),
                      "] rules=[", absl::StrJoin(rules, ","), "]");
}

std::string Describe(const DirectionExplanation& d) {
  std::vector<std::string> policies = d.selecting_policies;
  std::sort(policies.begin(), policies.end());
  std::vector<std::string> rules;
  for (const RuleRef& r : d.allowing_rules) {
    rules.push_back(absl::StrCat(r.policy, "#", r.rule_index));
  }
  std::sort(rules.begin(), rules.end());
  return absl::StrCat("isolated=", d.isolated, " allowed=", d.allowed,
                      " policies=[", absl::StrJoin(policies, ","), "] rules=[",
                      absl::StrJoin(rules, ","), "]");
}

std::string DecisionText(const Decision& d) {
  return absl::StrCat(d.allowed ? "allowed" : "denied", "/", RName(d.reason));
}

std::string QueryText(const Connection& c) {
  return absl::StrCat(EndpointToString(c.source), " -> ",
                      EndpointToString(c.destination), " ", c.port, "/",
                      PName(c.protocol));
}

// Result of checking one seed.
struct SeedReport {
  int queries = 0;
  int mismatches = 0;
  int ambiguous_mismatches = 0;  // family fallback cases, reported apart
  std::vector<std::string> messages;
  std::vector<std::string> ambiguous_messages;
  void Add(bool ambiguous, std::string message) {
    if (ambiguous) {
      ++ambiguous_mismatches;
      if (ambiguous_messages.size() < 3) ambiguous_messages.push_back(message);
    } else {
      ++mismatches;
      if (messages.size() < 6) messages.push_back(std::move(message));
    }
  }
};

// `max_pairs` > 0 samples that many endpoint pairs instead of all of them.
SeedReport CheckSeed(uint64_t seed, const CompileOptions& options,
                     std::string* yaml_out, const Sizes& sizes = {},
                     size_t max_pairs = 0) {
  SeedReport report;
  const GenCluster gen = Generate(seed, sizes);
  const Cluster model = ToModel(gen);
  const std::string yaml = ToYaml(gen);
  *yaml_out = yaml;

  ManifestLoader loader;
  loader.AddText(yaml, absl::StrCat("seed-", seed, ".yaml"));
  absl::StatusOr<Cluster> loaded = std::move(loader).Finish();
  if (!loaded.ok()) {
    report.Add(false, absl::StrCat("loading the generated YAML failed: ",
                                   loaded.status().ToString()));
    return report;
  }
  const std::string canon_model = Canon(model);
  const std::string canon_loaded = Canon(*loaded);
  if (canon_model != canon_loaded) {
    report.Add(false,
               absl::StrCat("ManifestLoader model differs from the "
                            "generated model.\n--- expected:\n",
                            canon_model, "\n--- loaded:\n", canon_loaded));
  }

  std::vector<std::pair<std::string, std::unique_ptr<const CompiledSnapshot>>>
      snapshots;
  for (int from_yaml = 1; from_yaml >= 0; --from_yaml) {
    absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snap =
        CompiledSnapshot::Compile(from_yaml ? *loaded : model, options);
    if (!snap.ok()) {
      report.Add(false,
                 absl::StrCat("Compile failed: ", snap.status().ToString()));
      return report;
    }
    snapshots.emplace_back(from_yaml ? "loaded" : "model", *std::move(snap));
  }

  Rng rng(seed ^ 0xABCDEF);
  std::vector<QueryEndpoint> endpoints = Endpoints(gen);
  const size_t base = endpoints.size();
  const size_t pod_endpoints = base - gen.externals.size();  // pods come first
  for (QueryEndpoint& b : BoundaryEndpoints(model, rng, 16)) {
    endpoints.push_back(std::move(b));
  }
  // Every pair of base endpoints; boundary addresses only with pods.
  std::vector<std::pair<size_t, size_t>> pairs;
  for (size_t i = 0; i < base; ++i) {
    for (size_t j = 0; j < base; ++j) pairs.emplace_back(i, j);
  }
  for (size_t b = base; b < endpoints.size(); ++b) {
    for (size_t p = 0; p < pod_endpoints; ++p) {
      pairs.emplace_back(b, p);
      pairs.emplace_back(p, b);
    }
  }
  if (max_pairs > 0 && pairs.size() > max_pairs) {
    std::shuffle(pairs.begin(), pairs.end(), rng.gen());
    pairs.resize(max_pairs);
  }
  const std::vector<uint32_t> candidate_ports = CandidatePorts(model);
  int explain_counter = 0;
  for (const auto& [src_index, dst_index] : pairs) {
    const QueryEndpoint& src = endpoints[src_index];
    const QueryEndpoint& dst = endpoints[dst_index];
    {
      if (src.identity == dst.identity && (src.skip_self || dst.skip_self)) {
        continue;  // hostNetwork pod or external IP talking to itself
      }
      std::vector<std::pair<uint32_t, Protocol>> ports;
      if (dst.pod != nullptr) {
        for (const auto& container : dst.pod->containers) {
          for (const ContainerPort& cp : container) {
            ports.emplace_back(cp.port, cp.protocol);
          }
        }
      }
      for (int i = 0; i < 3; ++i) {
        ports.emplace_back(rng.Pick(candidate_ports), rng.Pick(kProtocols));
      }
      for (const auto& [port, protocol] : ports) {
        const Connection conn{src.endpoint, dst.endpoint, port, protocol};
        absl::StatusOr<oracle::Result> expected =
            oracle::Evaluate(model, conn, options);
        if (!expected.ok()) {
          report.Add(false, absl::StrCat("oracle failed on ", QueryText(conn),
                                         ": ", expected.status().ToString()));
          continue;
        }
        ++report.queries;
        const bool ambiguous = expected->family_fallback;
        const std::string oracle_text =
            absl::StrCat("\n    oracle egress:  ", Describe(expected->egress),
                         "\n    oracle ingress: ", Describe(expected->ingress));
        for (const auto& [label, snap] : snapshots) {
          absl::StatusOr<Decision> got = snap->Decide(conn);
          if (!got.ok()) {
            report.Add(
                ambiguous,
                absl::StrCat("[", label, "] ", QueryText(conn),
                             ": Decide failed: ", got.status().ToString()));
            continue;
          }
          if (*got != expected->decision) {
            report.Add(
                ambiguous,
                absl::StrCat("[", label, "] ", QueryText(conn), ": expected ",
                             DecisionText(expected->decision), ", got ",
                             DecisionText(*got), oracle_text));
          }
          const IpAddress* s = std::get_if<IpAddress>(&conn.source);
          const IpAddress* d = std::get_if<IpAddress>(&conn.destination);
          if (s != nullptr && d != nullptr) {
            Decision hot =
                snap->Decide(*s, *d, static_cast<uint16_t>(port), protocol);
            if (hot != *got) {
              report.Add(false, absl::StrCat("[", label, "] ", QueryText(conn),
                                             ": IP fast path gives ",
                                             DecisionText(hot),
                                             ", Decide(Connection) gives ",
                                             DecisionText(*got)));
            }
          }
        }
        // Explain on a sample of the queries.
        if (++explain_counter % 5 != 0) continue;
        const CompiledSnapshot& snap = *snapshots[0].second;
        absl::StatusOr<Explanation> e = snap.Explain(conn);
        if (!e.ok()) {
          report.Add(ambiguous,
                     absl::StrCat(QueryText(conn),
                                  ": Explain failed: ", e.status().ToString()));
          continue;
        }
        absl::StatusOr<Decision> decided = snap.Decide(conn);
        if (decided.ok() && e->decision != *decided) {
          report.Add(false,
                     absl::StrCat(QueryText(conn), ": Explain says ",
                                  DecisionText(e->decision), ", Decide says ",
                                  DecisionText(*decided)));
        }
        if (!expected->loopback) {
          const std::string want_e = Describe(expected->egress);
          const std::string want_i = Describe(expected->ingress);
          const std::string got_e = Describe(e->egress);
          const std::string got_i = Describe(e->ingress);
          if (want_e != got_e || want_i != got_i) {
            report.Add(ambiguous,
                       absl::StrCat(QueryText(conn), ": explanation differs",
                                    "\n    expected egress:  ", want_e,
                                    "\n    got egress:       ", got_e,
                                    "\n    expected ingress: ", want_i,
                                    "\n    got ingress:      ", got_i));
          }
        }
      }
    }
  }
  return report;
}

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

constexpr int kShards = 4;
constexpr int kDefaultSeedsPerShard = 250;  // 1000 seeds per option value

class SnapshotPropertyTest
    : public ::testing::TestWithParam<std::tuple<int, bool>> {};

TEST_P(SnapshotPropertyTest, AgreesWithReferenceOracle) {
  const auto [shard, match_pods] = GetParam();
  CompileOptions options;
  options.ipblock_matches_pods = match_pods;

  std::vector<uint64_t> seeds;
  if (const char* one = std::getenv("NETPOL_PROPERTY_SEED"); one && *one) {
    if (shard == 0) seeds.push_back(std::strtoull(one, nullptr, 10));
  } else {
    const int per_shard =
        EnvInt("NETPOL_PROPERTY_SEEDS", kDefaultSeedsPerShard);
    for (int i = 0; i < per_shard; ++i) {
      seeds.push_back(static_cast<uint64_t>(shard * per_shard + i));
    }
  }

  int queries = 0;
  int failing_seeds = 0;
  int ambiguous = 0;
  for (uint64_t seed : seeds) {
    std::string yaml;
    SeedReport report = CheckSeed(seed, options, &yaml);
    queries += report.queries;
    ambiguous += report.ambiguous_mismatches;
    if (report.ambiguous_mismatches > 0 &&
        ambiguous == report.ambiguous_mismatches) {
      std::cout << "[ NOTE ] seed " << seed
                << " ipblock_matches_pods=" << match_pods << ": "
                << report.ambiguous_mismatches
                << " disagreement(s) where a pod named by reference has no "
                   "address of the other endpoint's family (the contract "
                   "does not say which address ipBlocks see), e.g.\n  "
                << absl::StrJoin(report.ambiguous_messages, "\n  ") << "\n";
    }
    if (report.mismatches == 0) continue;
    ++failing_seeds;
    if (failing_seeds <= 3) {
      ADD_FAILURE() << "seed " << seed
                    << " (ipblock_matches_pods=" << match_pods
                    << "): " << report.mismatches
                    << " mismatch(es); reproduce with NETPOL_PROPERTY_SEED="
                    << seed << "\n  " << absl::StrJoin(report.messages, "\n  ")
                    << "\n--- cluster (seed " << seed << ") ---\n"
                    << yaml << "--- end of cluster ---";
    } else {
      ADD_FAILURE() << "seed " << seed
                    << " (ipblock_matches_pods=" << match_pods
                    << "): " << report.mismatches
                    << " mismatch(es), first: " << report.messages[0];
    }
    if (failing_seeds >= 25) {
      ADD_FAILURE() << "stopping after 25 failing seeds";
      break;
    }
  }
  std::cout << "[ INFO ] " << seeds.size() << " seeds, " << queries
            << " queries, " << failing_seeds << " failing seed(s), "
            << ambiguous << " ambiguous disagreement(s)\n";
  EXPECT_GT(queries, 0);
}

// Fewer, larger clusters (more equivalence classes in the tables), on a
// sample of the endpoint pairs.
TEST(SnapshotPropertyLargeTest, AgreesWithReferenceOracle) {
  Sizes sizes;
  sizes.min_namespaces = 3;
  sizes.max_namespaces = 6;
  sizes.min_pods = 25;
  sizes.max_pods = 60;
  sizes.min_policies = 8;
  sizes.max_policies = 25;
  const int count = EnvInt("NETPOL_PROPERTY_LARGE_SEEDS", 24);
  int queries = 0;
  int failing = 0;
  for (int i = 0; i < count; ++i) {
    const uint64_t seed = 1000000 + static_cast<uint64_t>(i);
    for (bool match_pods : {true, false}) {
      CompileOptions options;
      options.ipblock_matches_pods = match_pods;
      std::string yaml;
      SeedReport report = CheckSeed(seed, options, &yaml, sizes, 4000);
      queries += report.queries;
      if (report.mismatches == 0) continue;
      if (++failing <= 2) {
        ADD_FAILURE() << "large seed " << seed
                      << " (ipblock_matches_pods=" << match_pods
                      << "): " << report.mismatches << " mismatch(es)\n  "
                      << absl::StrJoin(report.messages, "\n  ")
                      << "\n--- cluster (seed " << seed << ") ---\n"
                      << yaml << "--- end of cluster ---";
      } else {
        ADD_FAILURE() << "large seed " << seed
                      << " (ipblock_matches_pods=" << match_pods
                      << "): " << report.messages[0];
      }
    }
  }
  std::cout << "[ INFO ] " << count << " large clusters, " << queries
            << " queries, " << failing << " failing\n";
}

INSTANTIATE_TEST_SUITE_P(
    Seeds, SnapshotPropertyTest,
    ::testing::Combine(::testing::Range(0, kShards), ::testing::Bool()),
    [](const ::testing::TestParamInfo<std::tuple<int, bool>>& info) {
      return absl::StrCat("shard", std::get<0>(info.param),
                          std::get<1>(info.param) ? "_IpBlockMatchesPods"
                                                  : "_IpBlockExternalOnly");
    });

// ---------------------------------------------------------------------------
// Sanity checks of the test machinery itself.

TEST(ReferenceOracleTest, SelectorAndCidr) {
  LabelSelector s;
  s.expressions.push_back({"tier", SelectorOperator::kNotIn, {"b", "a"}});
  EXPECT_TRUE(oracle::SelectorMatches(s, {}));
  EXPECT_FALSE(oracle::SelectorMatches(s, {{"tier", "a"}}));
  EXPECT_TRUE(oracle::SelectorMatches(s, {{"tier", "c"}}));
  EXPECT_TRUE(oracle::CidrContains(*Cidr::Parse("10.0.0.0/8"), Ip("10.9.9.9")));
  EXPECT_FALSE(
      oracle::CidrContains(*Cidr::Parse("10.0.0.0/8"), Ip("11.0.0.0")));
  EXPECT_TRUE(oracle::CidrContains(*Cidr::Parse("fd00::/65"),
                                   Ip("fd00::7fff:ffff:ffff:ffff")));
  EXPECT_FALSE(
      oracle::CidrContains(*Cidr::Parse("fd00::/65"), Ip("fd00::8000:0:0:0")));
  EXPECT_FALSE(oracle::CidrContains(*Cidr::Parse("::/0"), Ip("1.2.3.4")));
}

TEST(ReferenceOracleTest, GeneratorIsDeterministicAndVaried) {
  EXPECT_EQ(ToYaml(Generate(17)), ToYaml(Generate(17)));
  EXPECT_NE(ToYaml(Generate(17)), ToYaml(Generate(18)));
  // Over many seeds the generator uses every feature.
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    GenCluster c = Generate(seed);
    for (const GenPod& p : c.pods) {
      if (p.host_network) seen.insert("hostNetwork");
      if (p.ips.empty()) seen.insert("pending");
      if (p.ips.size() == 2) seen.insert("dual-stack");
      if (p.ips.size() == 2 && !p.ips[0].is_v4()) seen.insert("v6-primary");
    }
    for (const GenNamespace& ns : c.namespaces) {
      if (!ns.declared) seen.insert("implied-namespace");
    }
    for (const GenPolicy& p : c.policies) {
      if (!p.types) seen.insert("types-omitted");
      if (p.null_selector) seen.insert("null-selector");
      if (p.egress && p.egress->empty()) seen.insert("egress-[]");
      for (const auto* rules : {&p.ingress, &p.egress}) {
        if (!*rules) continue;
        for (const GenRule& r : **rules) {
          if (!r.peers) seen.insert("peers-omitted");
          if (r.peers && r.peers->empty()) seen.insert("peers-[]");
          if (!r.ports) seen.insert("ports-omitted");
          for (const GenPeer& peer : r.peers.value_or(std::vector<GenPeer>{})) {
            if (peer.peer.ip_block) {
              seen.insert(peer.peer.ip_block->cidr.base.is_v4() ? "ipblock-v4"
                                                                : "ipblock-v6");
              if (!peer.peer.ip_block->except.empty()) seen.insert("except");
            }
            if (peer.peer.pod_selector && peer.peer.namespace_selector) {
              seen.insert("and-peer");
            }
          }
          for (const GenPort& port : r.ports.value_or(std::vector<GenPort>{})) {
            seen.insert(absl::StrCat("proto-", PName(port.port.protocol)));
            if (!port.port.named_port.empty()) seen.insert("named");
            if (port.port.end_port) seen.insert("endPort");
          }
        }
      }
      for (const SelectorRequirement& r : p.pod_selector.expressions) {
        seen.insert(absl::StrCat("op-", static_cast<int>(r.op)));
      }
    }
  }
  for (const char* feature : {"hostNetwork",
                              "pending",
                              "dual-stack",
                              "v6-primary",
                              "implied-namespace",
                              "types-omitted",
                              "null-selector",
                              "egress-[]",
                              "peers-omitted",
                              "peers-[]",
                              "ports-omitted",
                              "ipblock-v4",
                              "ipblock-v6",
                              "except",
                              "and-peer",
                              "proto-TCP",
                              "proto-UDP",
                              "proto-SCTP",
                              "named",
                              "endPort",
                              "op-0",
                              "op-1",
                              "op-2",
                              "op-3"}) {
    EXPECT_TRUE(seen.count(feature)) << feature;
  }
}

}  // namespace
}  // namespace netpol
