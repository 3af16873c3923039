// ClusterToYaml: the generated model as kubectl-style manifests.

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "load-tests/generator/cluster_generator.h"

namespace netpol {
namespace {

// This Abseil is built with its own string_view (not std::string_view).
absl::string_view Sv(std::string_view s) { return {s.data(), s.size()}; }

bool IsYamlKeyword(absl::string_view s) {
  static const char* const kKeywords[] = {"y",     "yes", "n",   "no",   "true",
                                          "false", "on",  "off", "null", "~"};
  std::string lower(s);
  for (char& c : lower) c = static_cast<char>(std::tolower(c));
  for (const char* k : kKeywords) {
    if (lower == k) return true;
  }
  return false;
}

// A scalar that YAML reads back as the same string: plain when it is
// unambiguous (identifiers, label keys, IP addresses and CIDRs), otherwise
// double-quoted.
std::string Scalar(absl::string_view s) {
  bool plain = !s.empty() && !IsYamlKeyword(s);
  if (plain) {
    const unsigned char first = static_cast<unsigned char>(s[0]);
    int dots = 0;
    bool colon = false;
    bool ip_chars = true;
    for (char c : s) {
      const unsigned char u = static_cast<unsigned char>(c);
      if (!(std::isalnum(u) || c == '.' || c == '-' || c == '_' || c == '/' ||
            c == ':')) {
        plain = false;
        break;
      }
      dots += c == '.';
      colon |= c == ':';
      ip_chars &= std::isxdigit(u) || c == '.' || c == ':' || c == '/';
    }
    if (plain) {
      if (std::isalpha(first)) {
        // "a: b" cannot occur (no spaces); a trailing ':' could.
        plain = s.back() != ':';
      } else {
        // Digit-first: only addresses and CIDRs, never numbers.
        plain =
            ip_chars && (dots >= 2 || colon) && first != ':' && s.back() != ':';
      }
    }
  }
  if (plain) return std::string(s);
  std::string quoted = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string Indent(int n) { return std::string(static_cast<size_t>(n), ' '); }

// Appends `block` (lines relative to column 0) as a YAML sequence item at
// `indent`: "- " before the first line, two spaces before the others.
void AppendItem(std::string* out, int indent, absl::string_view block) {
  bool first = true;
  size_t pos = 0;
  while (pos < block.size()) {
    size_t end = block.find('\n', pos);
    if (end == absl::string_view::npos) end = block.size();
    absl::StrAppend(out, Indent(indent), first ? "- " : "  ",
                    block.substr(pos, end - pos), "\n");
    first = false;
    pos = end + 1;
  }
}

void AppendLabels(std::string* out, int indent, const Labels& labels) {
  for (const auto& [k, v] : labels) {
    absl::StrAppend(out, Indent(indent), Scalar(k), ": ", Scalar(v), "\n");
  }
}

const char* OperatorName(SelectorOperator op) {
  switch (op) {
    case SelectorOperator::kIn:
      return "In";
    case SelectorOperator::kNotIn:
      return "NotIn";
    case SelectorOperator::kExists:
      return "Exists";
    case SelectorOperator::kDoesNotExist:
      return "DoesNotExist";
  }
  return "In";
}

void AppendSelector(std::string* out, int indent, absl::string_view key,
                    const LabelSelector& s) {
  if (s.empty()) {
    absl::StrAppend(out, Indent(indent), key, ": {}\n");
    return;
  }
  absl::StrAppend(out, Indent(indent), key, ":\n");
  if (!s.match_labels.empty()) {
    absl::StrAppend(out, Indent(indent + 2), "matchLabels:\n");
    AppendLabels(out, indent + 4, s.match_labels);
  }
  if (!s.expressions.empty()) {
    absl::StrAppend(out, Indent(indent + 2), "matchExpressions:\n");
    for (const SelectorRequirement& r : s.expressions) {
      std::string item = absl::StrCat("key: ", Scalar(r.key),
                                      "\noperator: ", OperatorName(r.op));
      if (r.op == SelectorOperator::kIn || r.op == SelectorOperator::kNotIn) {
        absl::StrAppend(&item, "\nvalues:");
        for (const std::string& v : r.values) {
          absl::StrAppend(&item, "\n- ", Scalar(v));
        }
      }
      AppendItem(out, indent + 2, item);
    }
  }
}

std::string PeerBlock(const Peer& peer) {
  std::string block;
  if (peer.ip_block) {
    absl::StrAppend(&block, "ipBlock:\n  cidr: ",
                    Scalar(peer.ip_block->cidr.ToString()), "\n");
    if (!peer.ip_block->except.empty()) {
      absl::StrAppend(&block, "  except:\n");
      for (const Cidr& c : peer.ip_block->except) {
        absl::StrAppend(&block, "  - ", Scalar(c.ToString()), "\n");
      }
    }
  }
  if (peer.namespace_selector) {
    AppendSelector(&block, 0, "namespaceSelector", *peer.namespace_selector);
  }
  if (peer.pod_selector) {
    AppendSelector(&block, 0, "podSelector", *peer.pod_selector);
  }
  return block;
}

std::string PortBlock(const PolicyPort& port) {
  std::string block =
      absl::StrCat("protocol: ", Sv(ProtocolName(port.protocol)));
  if (!port.named_port.empty()) {
    absl::StrAppend(&block, "\nport: ", Scalar(port.named_port));
  } else if (port.port) {
    absl::StrAppend(&block, "\nport: ", *port.port);
    if (port.end_port) absl::StrAppend(&block, "\nendPort: ", *port.end_port);
  }
  return block;
}

void AppendRules(std::string* out, absl::string_view key,
                 absl::string_view peers_key,
                 const std::vector<PolicyRule>& rules) {
  if (rules.empty()) return;
  absl::StrAppend(out, "  ", key, ":\n");
  for (const PolicyRule& rule : rules) {
    if (rule.peers.empty() && rule.ports.empty()) {
      AppendItem(out, 2, "{}");
      continue;
    }
    std::string block;
    if (!rule.peers.empty()) {
      absl::StrAppend(&block, peers_key, ":\n");
      for (const Peer& peer : rule.peers)
        AppendItem(&block, 0, PeerBlock(peer));
    }
    if (!rule.ports.empty()) {
      absl::StrAppend(&block, "ports:\n");
      for (const PolicyPort& port : rule.ports) {
        AppendItem(&block, 0, PortBlock(port));
      }
    }
    if (!block.empty() && block.back() == '\n') block.pop_back();
    AppendItem(out, 2, block);
  }
}

void AppendNamespace(std::string* out, const Namespace& ns) {
  absl::StrAppend(out, "---\napiVersion: v1\nkind: Namespace\nmetadata:\n",
                  "  name: ", Scalar(ns.name), "\n");
  if (!ns.labels.empty()) {
    absl::StrAppend(out, "  labels:\n");
    AppendLabels(out, 4, ns.labels);
  }
}

std::string LabelOr(const Labels& labels, const char* key,
                    absl::string_view fallback) {
  auto it = labels.find(key);
  return it != labels.end() ? it->second : std::string(fallback);
}

void AppendContainer(std::string* out, const std::string& name,
                     const std::string& image,
                     const std::vector<ContainerPort>& ports) {
  std::string block =
      absl::StrCat("name: ", Scalar(name), "\nimage: ", Scalar(image));
  if (!ports.empty()) {
    absl::StrAppend(&block, "\nports:");
    for (const ContainerPort& p : ports) {
      std::string item;
      if (!p.name.empty())
        absl::StrAppend(&item, "name: ", Scalar(p.name), "\n");
      absl::StrAppend(&item, "containerPort: ", p.port,
                      "\nprotocol: ", Sv(ProtocolName(p.protocol)));
      std::string sub;
      AppendItem(&sub, 0, item);
      sub.pop_back();
      absl::StrAppend(&block, "\n", sub);
    }
  }
  AppendItem(out, 2, block);
}

void AppendPod(std::string* out, const Pod& pod) {
  absl::StrAppend(out, "---\napiVersion: v1\nkind: Pod\nmetadata:\n",
                  "  name: ", Scalar(pod.name), "\n",
                  "  namespace: ", Scalar(pod.namespace_name), "\n");
  if (!pod.labels.empty()) {
    absl::StrAppend(out, "  labels:\n");
    AppendLabels(out, 4, pod.labels);
  }
  absl::StrAppend(out, "spec:\n");
  if (pod.host_network) absl::StrAppend(out, "  hostNetwork: true\n");
  absl::StrAppend(out, "  containers:\n");

  std::string app = LabelOr(pod.labels, "app", "");
  if (app.empty()) app = LabelOr(pod.labels, "app.kubernetes.io/name", "");
  if (app.empty()) app = LabelOr(pod.labels, "k8s-app", "main");
  const std::string image =
      absl::StrCat("registry.example.com/", app, ":",
                   LabelOr(pod.labels, "version", "latest"));
  // Trailing "metrics" ports of data stores live in an exporter sidecar, as
  // they do in practice; the flattened port order is unchanged.
  size_t main_ports = pod.ports.size();
  if (LabelOr(pod.labels, "tier", "") == "data" && main_ports > 1 &&
      pod.ports.back().name == "metrics") {
    --main_ports;
  }
  AppendContainer(out, app, image,
                  std::vector<ContainerPort>(pod.ports.begin(),
                                             pod.ports.begin() + main_ports));
  if (main_ports < pod.ports.size()) {
    AppendContainer(out, "metrics-exporter", "registry.example.com/exporter:v1",
                    std::vector<ContainerPort>(pod.ports.begin() + main_ports,
                                               pod.ports.end()));
  }

  absl::StrAppend(out, "status:\n");
  if (pod.ips.empty()) {
    absl::StrAppend(out, "  phase: Pending\n");
    return;
  }
  absl::StrAppend(out, "  phase: Running\n");
  if (pod.host_network) {
    absl::StrAppend(out, "  hostIP: ", Scalar(pod.ips[0].ToString()), "\n");
  }
  absl::StrAppend(out, "  podIP: ", Scalar(pod.ips[0].ToString()), "\n",
                  "  podIPs:\n");
  for (const IpAddress& ip : pod.ips) {
    absl::StrAppend(out, "  - ip: ", Scalar(ip.ToString()), "\n");
  }
}

void AppendPolicy(std::string* out, const NetworkPolicy& p) {
  absl::StrAppend(out,
                  "---\napiVersion: networking.k8s.io/v1\n"
                  "kind: NetworkPolicy\nmetadata:\n",
                  "  name: ", Scalar(p.name), "\n",
                  "  namespace: ", Scalar(p.namespace_name), "\nspec:\n");
  AppendSelector(out, 2, "podSelector", p.pod_selector);
  // Allow policies are usually written without policyTypes; the API server
  // defaults it to Ingress (+ Egress when there are egress rules). Write it
  // whenever the default would differ.
  const bool defaulted = p.affects_ingress && !p.ingress.empty() &&
                         p.affects_egress == !p.egress.empty();
  if (!defaulted) {
    absl::StrAppend(out, "  policyTypes:\n");
    if (p.affects_ingress) absl::StrAppend(out, "  - Ingress\n");
    if (p.affects_egress) absl::StrAppend(out, "  - Egress\n");
  }
  AppendRules(out, "ingress", "from", p.ingress);
  AppendRules(out, "egress", "to", p.egress);
}

}  // namespace

std::string ClusterToYaml(const Cluster& cluster) {
  std::string out;
  out.reserve(1024 * (cluster.pods.size() + cluster.policies.size() + 8));
  for (const Namespace& ns : cluster.namespaces) AppendNamespace(&out, ns);
  for (const Pod& pod : cluster.pods) AppendPod(&out, pod);
  for (const NetworkPolicy& p : cluster.policies) AppendPolicy(&out, p);
  // "---" separates documents; drop the leading one for tidiness.
  if (out.rfind("---\n", 0) == 0) out.erase(0, 4);
  return out;
}

}  // namespace netpol
