#include "tests/core/random_cluster.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace netpol::random_cluster {

const std::vector<std::string> kPodKeys = {"app", "tier", "team"};
const std::vector<std::string> kPodValues = {"a", "b", "c"};
const std::vector<std::string> kNsKeys = {"env", "team"};
const std::vector<std::string> kNsValues = {"a", "b"};
const std::vector<std::string> kPortNames = {"http", "dns", "metrics", "grpc"};
const std::vector<Protocol> kProtocols = {Protocol::kTcp, Protocol::kUdp,
                                          Protocol::kSctp};

namespace {

const std::vector<int> kRulePorts = {53, 80, 81, 443, 8080, 9000};
const std::vector<int> kContainerPorts = {53,   80,   81,   443,
                                          8080, 8081, 9000, 9005};

std::string PName(Protocol p) { return std::string(ProtocolName(p)); }

IpAddress Ip(const std::string& text) { return IpAddress::Parse(text).value(); }

std::string Q(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  return out + "\"";
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

}  // namespace

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

GenPod RandomPod(Rng& rng, const GenCluster& c, int index) {
  GenPod pod;
  const int namespaces = static_cast<int>(c.namespaces.size());
  const int ns_index = rng.Int(0, namespaces - 1);
  pod.ns = c.namespaces[ns_index].name;
  pod.name = absl::StrCat("p", index);
  pod.labels = RandomLabels(rng, kPodKeys, kPodValues, 0.6);
  pod.host_network = rng.Chance(0.1);
  const IpAddress v4 =
      IpAddress::V4((10u << 24) | (ns_index << 8) | (10 + index));
  const IpAddress v6 =
      IpAddress::V6(0xfd00000000000000ull,
                    (static_cast<uint64_t>(ns_index) << 16) | (10 + index));
  if (pod.host_network) {
    pod.ips.push_back(
        IpAddress::V4((192u << 24) | (168u << 16) | (10 + index)));
    if (rng.Chance(0.3)) {
      pod.ips.push_back(IpAddress::V6(0xfd01000000000000ull, 10 + index));
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
  return pod;
}

GenPolicy RandomPolicy(Rng& rng, const GenCluster& c, const std::string& ns,
                       const std::string& name) {
  GenPolicy p;
  p.ns = ns;
  p.name = name;
  p.pod_selector = RandomSelector(rng, kPodKeys, kPodValues);
  p.null_selector = p.pod_selector.empty() && rng.Chance(0.3);
  const int t = rng.Int(0, 9);
  if (t >= 4) {
    static const std::vector<std::vector<std::string>> kTypes = {
        {"Ingress"}, {"Egress"}, {"Ingress", "Egress"}, {"Egress", "Ingress"}};
    p.types = rng.Pick(kTypes);
  }
  p.ingress = RandomRules(rng, c);
  p.egress = RandomRules(rng, c);
  return p;
}

std::vector<std::string> PolicyNamespaces(const GenCluster& c) {
  std::vector<std::string> out;
  for (const GenNamespace& ns : c.namespaces) {
    bool has_pod = false;
    for (const GenPod& pod : c.pods) has_pod |= pod.ns == ns.name;
    if (ns.declared || has_pod) out.push_back(ns.name);
  }
  return out;
}

GenCluster Generate(uint64_t seed, const Sizes& sizes) {
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
  for (int i = 0; i < pods; ++i) c.pods.push_back(RandomPod(rng, c, i));
  const std::vector<std::string> policy_namespaces = PolicyNamespaces(c);
  const int policies = rng.Int(sizes.min_policies, sizes.max_policies);
  for (int i = 0; i < policies; ++i) {
    const std::string& ns = rng.Pick(policy_namespaces);
    c.policies.push_back(RandomPolicy(rng, c, ns, absl::StrCat("pol", i)));
  }
  const int objects =
      static_cast<int>(c.namespaces.size() + c.pods.size() + c.policies.size());
  for (int i = 0; i < objects; ++i) c.document_order.push_back(i);
  if (rng.Chance(0.5)) {
    std::shuffle(c.document_order.begin(), c.document_order.end(), rng.gen());
  }
  return c;
}

Pod ToModel(const GenPod& g) {
  Pod pod;
  pod.namespace_name = g.ns;
  pod.name = g.name;
  pod.labels = g.labels;
  pod.ips = g.ips;
  for (const auto& container : g.containers) {
    for (const ContainerPort& cp : container) pod.ports.push_back(cp);
  }
  pod.host_network = g.host_network;
  return pod;
}

NetworkPolicy ToModel(const GenPolicy& g) {
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
  return p;
}

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
    cluster.pods.push_back(ToModel(g));
  }
  for (const GenPolicy& g : c.policies) cluster.policies.push_back(ToModel(g));
  return cluster;
}

std::string LabelsFlow(const Labels& labels) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels)
    parts.push_back(absl::StrCat(Q(k), ": ", Q(v)));
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
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

namespace {

std::string Quoted(const std::string& s) { return absl::StrCat("\"", s, "\""); }

// Draws the operations of GenerateChange, tracking the cluster they leave.
class ChangeBuilder {
 public:
  ChangeBuilder(const GenCluster& cluster, Rng& rng)
      : cluster_(cluster), rng_(rng) {}

  RandomChange Build() {
    const int r = rng_.Int(0, 9);
    const int operations = r < 6 ? 1 : (r < 9 ? 2 : rng_.Int(3, 4));
    while (static_cast<int>(out_.change.operations.size()) < operations) {
      AddOperation();
    }
    return std::move(out_);
  }

 private:
  void AddOperation() {
    switch (rng_.Int(0, 21)) {
      case 0:
      case 1:
      case 2:
        return NewPolicy();
      case 3:
      case 4:
      case 5:
      case 6:
        return ModifyPolicy();
      case 7:
      case 8:
        return DeletePolicyOperation();
      case 9:
      case 10:
        return LabelPodByName();
      case 11:
      case 12:
        return LabelPodsBySelector();
      case 13:
      case 14:
      case 15:
        return LabelNamespaceOperation();
      case 16:
        return ReplaceNamespace();
      case 17:
      case 18:
        return NewPod();
      case 19:
        return ModifyPod();
      default:
        return DeletePodOperation();
    }
  }

  void Add(ChangeOperation operation, std::string yaml) {
    const int document = static_cast<int>(out_.documents.size()) + 1;
    out_.change.operations.push_back(std::move(operation));
    out_.change.sources.push_back(
        SourceLocation{"random-change", document, ""});
    out_.documents.push_back(std::move(yaml));
  }

  static std::string ChangeListDoc(const std::string& body) {
    return absl::StrCat(
        "apiVersion: netpol-pdp.dev/v1\nkind: ChangeList\nchanges:\n", body);
  }

  void NewPolicy() {
    const std::string ns = rng_.Pick(PolicyNamespaces(cluster_));
    GenPolicy p =
        RandomPolicy(rng_, cluster_, ns, absl::StrCat("chg", next_policy_++));
    UpsertPolicy(std::move(p));
  }

  // Replaces the whole policy or one part of it.
  void ModifyPolicy() {
    if (cluster_.policies.empty()) return NewPolicy();
    GenPolicy p = rng_.Pick(cluster_.policies);
    GenPolicy fresh = RandomPolicy(rng_, cluster_, p.ns, p.name);
    switch (rng_.Int(0, 4)) {
      case 0:
        p = std::move(fresh);
        break;
      case 1:
        p.pod_selector = fresh.pod_selector;
        p.null_selector = fresh.null_selector;
        break;
      case 2:
        p.ingress = fresh.ingress;
        break;
      case 3:
        p.egress = fresh.egress;
        break;
      default:
        p.types = fresh.types;
        break;
    }
    UpsertPolicy(std::move(p));
  }

  void UpsertPolicy(GenPolicy p) {
    std::string yaml = PolicyDoc(p);
    Add(ToModel(p), std::move(yaml));
    auto it = std::find_if(
        cluster_.policies.begin(), cluster_.policies.end(),
        [&](const GenPolicy& q) { return q.ns == p.ns && q.name == p.name; });
    if (it != cluster_.policies.end()) {
      *it = std::move(p);
    } else {
      cluster_.policies.push_back(std::move(p));
    }
  }

  void DeletePolicyOperation() {
    if (cluster_.policies.empty()) return NewPolicy();
    const size_t i = Index(cluster_.policies.size());
    const GenPolicy& p = cluster_.policies[i];
    DeletePolicy op;
    op.namespace_name = p.ns;
    op.name = p.name;
    Add(op, ChangeListDoc(absl::StrCat(
                "- deleteNetworkPolicy: {namespace: ", Quoted(p.ns),
                ", name: ", Quoted(p.name), "}\n")));
    cluster_.policies.erase(cluster_.policies.begin() + i);
  }

  LabelEdit RandomEdit(const std::vector<std::string>& keys,
                       const std::vector<std::string>& values) {
    LabelEdit edit;
    for (const std::string& key : keys) {
      if (rng_.Chance(0.4)) {
        edit.set[key] = rng_.Pick(values);
      } else if (rng_.Chance(0.3)) {
        edit.remove.push_back(key);
      }
    }
    if (edit.set.empty() && edit.remove.empty()) {  // an edit must do something
      edit.set[rng_.Pick(keys)] = rng_.Pick(values);
    }
    return edit;
  }

  static std::string EditYaml(const LabelEdit& edit) {
    std::vector<std::string> remove;
    for (const std::string& key : edit.remove) remove.push_back(Quoted(key));
    return absl::StrCat("    set: ", LabelsFlow(edit.set), "\n    remove: [",
                        absl::StrJoin(remove, ", "), "]\n");
  }

  static void ApplyEdit(const LabelEdit& edit, Labels& labels) {
    for (const auto& [key, value] : edit.set) labels[key] = value;
    for (const std::string& key : edit.remove) labels.erase(key);
  }

  void LabelPodByName() {
    if (cluster_.pods.empty()) return NewPod();
    GenPod& pod = cluster_.pods[Index(cluster_.pods.size())];
    LabelPods op;
    op.namespace_name = pod.ns;
    op.name = pod.name;
    op.edit = RandomEdit(kPodKeys, kPodValues);
    ApplyEdit(op.edit, pod.labels);
    std::string yaml = ChangeListDoc(absl::StrCat(
        "- labelPods:\n    namespace: ", Quoted(pod.ns),
        "\n    name: ", Quoted(pod.name), "\n", EditYaml(op.edit)));
    Add(std::move(op), std::move(yaml));
  }

  // matchLabels: a subset of one pod's labels, so at least that pod matches.
  void LabelPodsBySelector() {
    if (cluster_.pods.empty()) return NewPod();
    const GenPod& chosen = rng_.Pick(cluster_.pods);
    LabelSelector selector;
    for (const auto& [key, value] : chosen.labels) {
      if (rng_.Chance(0.5)) selector.match_labels[key] = value;
    }
    LabelPods op;
    op.namespace_name = chosen.ns;
    op.selector = selector;
    op.edit = RandomEdit(kPodKeys, kPodValues);
    std::string yaml = ChangeListDoc(absl::StrCat(
        "- labelPods:\n    namespace: ", Quoted(chosen.ns),
        "\n    selector: {matchLabels: ", LabelsFlow(selector.match_labels),
        "}\n", EditYaml(op.edit)));
    const std::string ns = chosen.ns;
    for (GenPod& pod : cluster_.pods) {
      if (pod.ns == ns && selector.Matches(pod.labels)) {
        ApplyEdit(op.edit, pod.labels);
      }
    }
    Add(std::move(op), std::move(yaml));
  }

  // Namespaces in the model: declared ones and those of pods.
  GenNamespace& ExistingNamespace() {
    const std::string name = rng_.Pick(PolicyNamespaces(cluster_));
    for (GenNamespace& ns : cluster_.namespaces) {
      if (ns.name == name) return ns;
    }
    return cluster_.namespaces.front();  // unreachable: names come from here
  }

  void LabelNamespaceOperation() {
    GenNamespace& ns = ExistingNamespace();
    LabelNamespace op;
    op.name = ns.name;
    op.edit = RandomEdit(kNsKeys, kNsValues);
    ApplyEdit(op.edit, ns.labels);
    std::string yaml = ChangeListDoc(
        absl::StrCat("- labelNamespace:\n    name: ", Quoted(ns.name), "\n",
                     EditYaml(op.edit)));
    Add(std::move(op), std::move(yaml));
  }

  // Any namespace, declared, implied or unused (then it is created).
  void ReplaceNamespace() {
    GenNamespace& ns = cluster_.namespaces[Index(cluster_.namespaces.size())];
    ns.labels = RandomLabels(rng_, kNsKeys, kNsValues, 0.6);
    ns.declared = true;
    ns.explicit_name_label = true;
    Namespace model;
    model.name = ns.name;
    model.labels = ns.labels;
    model.labels[kNamespaceNameLabel] = ns.name;
    Add(std::move(model), NamespaceDoc(ns));
  }

  void NewPod() {
    GenPod pod = RandomPod(rng_, cluster_, next_pod_++);
    Add(ToModel(pod), PodDoc(pod));
    cluster_.pods.push_back(std::move(pod));
  }

  // New labels, container ports or both; same addresses.
  void ModifyPod() {
    if (cluster_.pods.empty()) return NewPod();
    GenPod& pod = cluster_.pods[Index(cluster_.pods.size())];
    const GenPod fresh = RandomPod(rng_, cluster_, 0);
    const int what = rng_.Int(0, 2);
    if (what != 1) pod.labels = fresh.labels;
    if (what != 0) pod.containers = fresh.containers;
    Add(ToModel(pod), PodDoc(pod));
  }

  void DeletePodOperation() {
    if (cluster_.pods.empty()) return NewPod();
    const size_t i = Index(cluster_.pods.size());
    const GenPod& pod = cluster_.pods[i];
    DeletePod op;
    op.namespace_name = pod.ns;
    op.name = pod.name;
    Add(op,
        ChangeListDoc(absl::StrCat("- deletePod: {namespace: ", Quoted(pod.ns),
                                   ", name: ", Quoted(pod.name), "}\n")));
    cluster_.pods.erase(cluster_.pods.begin() + i);
  }

  size_t Index(size_t size) {
    return static_cast<size_t>(rng_.Int(0, static_cast<int>(size) - 1));
  }

  GenCluster cluster_;  // as the operations so far leave it
  Rng& rng_;
  RandomChange out_;
  int next_pod_ = 200;  // above any generated pod: new names and addresses
  int next_policy_ = 0;
};

}  // namespace

std::string RandomChange::Yaml() const {
  std::string out;
  for (const std::string& doc : documents) absl::StrAppend(&out, "---\n", doc);
  return out;
}

RandomChange GenerateChange(const GenCluster& cluster, Rng& rng) {
  return ChangeBuilder(cluster, rng).Build();
}

IpAddress PreviousAddress(const IpAddress& ip) {
  if (ip.hi == 0 && ip.lo == 0) return ip;
  IpAddress prev = ip;
  if (prev.lo-- == 0) --prev.hi;
  return prev;
}

std::vector<IpAddress> IpBlockEdges(const Cluster& model) {
  std::set<IpAddress> addresses;
  auto add = [&](const Cidr& cidr) {
    addresses.insert(cidr.First());
    addresses.insert(cidr.Last());
    addresses.insert(PreviousAddress(cidr.First()));
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
  return std::vector<IpAddress>(addresses.begin(), addresses.end());
}
}  // namespace netpol::random_cluster
