#include "core/object_decoder.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/internal/yaml_fields.h"
#include "core/validation.h"
#include "yaml-cpp/yaml.h"

namespace netpol {

void FieldErrors::Add(absl::string_view path, absl::string_view message) {
  ++count_;
  std::string full_path = prefix_;
  if (!path.empty()) {
    if (!full_path.empty()) full_path += '.';
    absl::StrAppend(&full_path, path);
  }
  sink_->push_back(full_path.empty() ? absl::StrCat(location_, ": ", message)
                                     : absl::StrCat(location_, ": ", full_path,
                                                    ": ", message));
}

namespace {

using internal::Child;
using internal::DescribeNode;
using internal::ExpectList;
using internal::ExpectMap;
using internal::Field;
using internal::GetString;
using internal::Index;
using internal::IsAbsent;
using YAML::Node;

// A plain (unquoted) integer scalar; quoted text is a string in YAML/JSON.
bool IsPlainInteger(const Node& node, int64_t* value) {
  return node.IsScalar() && node.Tag() != "!" &&
         absl::SimpleAtoi(node.Scalar(), value);
}

std::optional<int64_t> GetInteger(const Node& node, absl::string_view path,
                                  FieldErrors& errors) {
  if (IsAbsent(node)) return std::nullopt;
  int64_t value = 0;
  if (!IsPlainInteger(node, &value)) {
    errors.Add(path, absl::StrCat("expected an integer, got ",
                                  node.IsScalar()
                                      ? absl::StrCat("\"", node.Scalar(), "\"")
                                      : std::string(DescribeNode(node))));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> GetBool(const Node& node, absl::string_view path,
                            FieldErrors& errors) {
  if (IsAbsent(node)) return std::nullopt;
  // YAML 1.2's core schema spellings.
  if (node.IsScalar() && node.Tag() != "!") {
    const std::string& text = node.Scalar();
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
  }
  errors.Add(path, "expected a boolean (true or false)");
  return std::nullopt;
}

std::optional<uint16_t> CheckPortNumber(int64_t value, absl::string_view path,
                                        FieldErrors& errors) {
  if (value < 1 || value > 65535) {
    errors.Add(path,
               absl::StrCat(value, ": must be between 1 and 65535, inclusive"));
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

std::optional<Protocol> GetProtocol(const Node& node, absl::string_view path,
                                    FieldErrors& errors) {
  std::optional<std::string> text = GetString(node, path, errors);
  if (!text) {
    return IsAbsent(node) ? std::optional(Protocol::kTcp) : std::nullopt;
  }
  std::optional<Protocol> protocol = ParseProtocol(*text);
  if (!protocol) {
    errors.Add(path, absl::StrCat("unsupported protocol \"", *text,
                                  "\": must be one of TCP, UDP, SCTP"));
  }
  return protocol;
}

void DecodeLabels(const Node& node, absl::string_view path, Labels& labels,
                  FieldErrors& errors) {
  if (IsAbsent(node) || !ExpectMap(node, path, errors)) return;
  for (const auto& entry : node) {
    const Node& key_node = entry.first;
    const Node& value_node = entry.second;
    if (!key_node.IsScalar()) {
      errors.Add(path, "label keys must be strings");
      continue;
    }
    const std::string& key = key_node.Scalar();
    const std::string entry_path = Field(path, key);
    std::string value;
    if (!IsAbsent(value_node)) {
      std::optional<std::string> text =
          GetString(value_node, entry_path, errors);
      if (!text) continue;
      value = *text;
    }
    if (std::string why = CheckLabelKey(key); !why.empty()) {
      errors.Add(entry_path,
                 absl::StrCat("\"", key, "\" is not a valid label key: ", why));
      continue;
    }
    if (std::string why = CheckLabelValue(value); !why.empty()) {
      errors.Add(
          entry_path,
          absl::StrCat("\"", value, "\" is not a valid label value: ", why));
      continue;
    }
    labels[key] = value;
  }
}

std::optional<SelectorOperator> ParseOperator(absl::string_view text) {
  if (text == "In") return SelectorOperator::kIn;
  if (text == "NotIn") return SelectorOperator::kNotIn;
  if (text == "Exists") return SelectorOperator::kExists;
  if (text == "DoesNotExist") return SelectorOperator::kDoesNotExist;
  return std::nullopt;
}

}  // namespace

LabelSelector DecodeSelector(const Node& node, absl::string_view path,
                             FieldErrors& errors) {
  LabelSelector selector;
  if (IsAbsent(node) || !ExpectMap(node, path, errors)) return selector;
  DecodeLabels(Child(node, "matchLabels"), Field(path, "matchLabels"),
               selector.match_labels, errors);
  const Node expressions = Child(node, "matchExpressions");
  const std::string expressions_path = Field(path, "matchExpressions");
  if (IsAbsent(expressions) ||
      !ExpectList(expressions, expressions_path, errors))
    return selector;
  for (size_t i = 0; i < expressions.size(); ++i) {
    const Node expr = expressions[i];
    const std::string expr_path = Index(expressions_path, i);
    if (!ExpectMap(expr, expr_path, errors)) continue;
    SelectorRequirement req;
    std::optional<std::string> key =
        GetString(Child(expr, "key"), Field(expr_path, "key"), errors);
    if (!key) {
      if (IsAbsent(Child(expr, "key"))) {
        errors.Add(Field(expr_path, "key"), "required");
      }
    } else if (std::string why = CheckLabelKey(*key); !why.empty()) {
      errors.Add(
          Field(expr_path, "key"),
          absl::StrCat("\"", *key, "\" is not a valid label key: ", why));
    } else {
      req.key = *key;
    }
    const std::string op_path = Field(expr_path, "operator");
    std::optional<std::string> op_text =
        GetString(Child(expr, "operator"), op_path, errors);
    std::optional<SelectorOperator> op;
    if (!op_text) {
      if (IsAbsent(Child(expr, "operator"))) errors.Add(op_path, "required");
    } else if (op = ParseOperator(*op_text); !op) {
      errors.Add(
          op_path,
          absl::StrCat("\"", *op_text,
                       "\" is not a valid selector operator: must be one of "
                       "In, NotIn, Exists, DoesNotExist"));
    }
    const Node values = Child(expr, "values");
    const std::string values_path = Field(expr_path, "values");
    if (!IsAbsent(values) && ExpectList(values, values_path, errors)) {
      for (size_t v = 0; v < values.size(); ++v) {
        const std::string value_path = Index(values_path, v);
        std::optional<std::string> value =
            GetString(values[v], value_path, errors);
        if (!value) continue;
        if (std::string why = CheckLabelValue(*value); !why.empty()) {
          errors.Add(value_path,
                     absl::StrCat("\"", *value,
                                  "\" is not a valid label value: ", why));
        }
        req.values.push_back(*value);
      }
    }
    if (op) {
      req.op = *op;
      const bool needs_values =
          *op == SelectorOperator::kIn || *op == SelectorOperator::kNotIn;
      if (needs_values && req.values.empty()) {
        errors.Add(
            values_path,
            absl::StrCat(
                "values must be non-empty (must be specified when operator is ",
                *op_text, ")"));
      } else if (!needs_values && !req.values.empty()) {
        errors.Add(
            values_path,
            absl::StrCat(
                "values must be empty (may not be specified when operator is ",
                *op_text, ")"));
      }
    }
    std::sort(req.values.begin(), req.values.end());
    req.values.erase(std::unique(req.values.begin(), req.values.end()),
                     req.values.end());
    selector.expressions.push_back(std::move(req));
  }
  return selector;
}

namespace {

struct Metadata {
  std::string name;
  std::string namespace_name;
  Labels labels;
};

// `namespaced`: objects whose namespace defaults to "default".
std::optional<Metadata> DecodeMetadata(const Node& object, bool namespaced,
                                       FieldErrors& errors) {
  const Node meta = Child(object, "metadata");
  const int before = errors.count();
  Metadata result;
  if (IsAbsent(meta)) {
    errors.Add("metadata.name", "required");
    return std::nullopt;
  }
  if (!ExpectMap(meta, "metadata", errors)) return std::nullopt;
  std::optional<std::string> name =
      GetString(Child(meta, "name"), "metadata.name", errors);
  if (!name || name->empty()) {
    // As the API server: an empty name is a missing one.
    if (IsAbsent(Child(meta, "name")) || name) {
      errors.Add("metadata.name", "required");
    }
  } else {
    std::string why =
        namespaced ? CheckDns1123Subdomain(*name) : CheckDns1123Label(*name);
    if (!why.empty()) {
      errors.Add("metadata.name",
                 absl::StrCat("\"", *name, "\" is not a valid name: ", why));
    }
    result.name = *name;
  }
  if (namespaced) {
    std::optional<std::string> ns =
        GetString(Child(meta, "namespace"), "metadata.namespace", errors);
    result.namespace_name = ns && !ns->empty() ? *ns : "default";
    if (std::string why = CheckDns1123Label(result.namespace_name);
        !why.empty()) {
      errors.Add("metadata.namespace",
                 absl::StrCat("\"", result.namespace_name,
                              "\" is not a valid namespace: ", why));
    }
  }
  DecodeLabels(Child(meta, "labels"), "metadata.labels", result.labels, errors);
  if (errors.count() != before) return std::nullopt;
  return result;
}

std::optional<IpBlock> DecodeIpBlock(const Node& node, absl::string_view path,
                                     FieldErrors& errors) {
  if (!ExpectMap(node, path, errors)) return std::nullopt;
  const int before = errors.count();
  IpBlock block;
  const std::string cidr_path = Field(path, "cidr");
  std::optional<std::string> cidr_text =
      GetString(Child(node, "cidr"), cidr_path, errors);
  std::optional<Cidr> cidr;
  if (!cidr_text) {
    if (IsAbsent(Child(node, "cidr"))) errors.Add(cidr_path, "required");
  } else if (cidr = Cidr::Parse(*cidr_text); !cidr) {
    errors.Add(cidr_path,
               absl::StrCat("\"", *cidr_text, "\" is not a valid CIDR"));
  } else {
    block.cidr = *cidr;
  }
  const Node except = Child(node, "except");
  const std::string except_path = Field(path, "except");
  if (!IsAbsent(except) && ExpectList(except, except_path, errors)) {
    for (size_t i = 0; i < except.size(); ++i) {
      const std::string item_path = Index(except_path, i);
      std::optional<std::string> text = GetString(except[i], item_path, errors);
      if (!text) continue;
      std::optional<Cidr> hole = Cidr::Parse(*text);
      if (!hole) {
        errors.Add(item_path,
                   absl::StrCat("\"", *text, "\" is not a valid CIDR"));
        continue;
      }
      // As the API server: an except must lie inside cidr and be smaller.
      if (cidr && (!cidr->Covers(*hole) || hole->prefix <= cidr->prefix)) {
        errors.Add(
            item_path,
            absl::StrCat("\"", *text, "\" must be a strict subset of cidr \"",
                         *cidr_text, "\""));
        continue;
      }
      block.except.push_back(*hole);
    }
  }
  if (errors.count() != before) return std::nullopt;
  return block;
}

std::optional<Peer> DecodePeer(const Node& node, absl::string_view path,
                               const char* verb, FieldErrors& errors) {
  if (!ExpectMap(node, path, errors)) return std::nullopt;
  Peer peer;
  const Node pod_selector = Child(node, "podSelector");
  const Node namespace_selector = Child(node, "namespaceSelector");
  const Node ip_block = Child(node, "ipBlock");
  const int before = errors.count();
  if (!IsAbsent(pod_selector)) {
    peer.pod_selector =
        DecodeSelector(pod_selector, Field(path, "podSelector"), errors);
  }
  if (!IsAbsent(namespace_selector)) {
    peer.namespace_selector = DecodeSelector(
        namespace_selector, Field(path, "namespaceSelector"), errors);
  }
  if (!IsAbsent(ip_block)) {
    peer.ip_block = DecodeIpBlock(ip_block, Field(path, "ipBlock"), errors);
  }
  const int fields = !IsAbsent(pod_selector) + !IsAbsent(namespace_selector) +
                     !IsAbsent(ip_block);
  if (fields == 0) {
    errors.Add(
        path,
        absl::StrCat("must specify a peer (podSelector, namespaceSelector or "
                     "ipBlock); to allow all ",
                     verb, ", omit the list"));
  } else if (fields > 1 && !IsAbsent(ip_block)) {
    errors.Add(path, "may not specify both ipBlock and another peer");
  }
  if (errors.count() != before) return std::nullopt;
  return peer;
}

std::optional<PolicyPort> DecodePolicyPort(const Node& node,
                                           absl::string_view path,
                                           FieldErrors& errors) {
  if (!ExpectMap(node, path, errors)) return std::nullopt;
  const int before = errors.count();
  PolicyPort result;
  if (std::optional<Protocol> protocol = GetProtocol(
          Child(node, "protocol"), Field(path, "protocol"), errors)) {
    result.protocol = *protocol;
  }
  const Node port = Child(node, "port");
  const std::string port_path = Field(path, "port");
  int64_t number = 0;
  if (!IsAbsent(port)) {
    if (IsPlainInteger(port, &number)) {
      result.port = CheckPortNumber(number, port_path, errors);
    } else if (std::optional<std::string> name =
                   GetString(port, port_path, errors)) {
      if (std::string why = CheckPortName(*name); !why.empty()) {
        errors.Add(
            port_path,
            absl::StrCat("\"", *name, "\" is not a valid port name: ", why));
      }
      result.named_port = *name;
    }
  }
  const std::string end_path = Field(path, "endPort");
  if (std::optional<int64_t> end =
          GetInteger(Child(node, "endPort"), end_path, errors)) {
    if (!result.named_port.empty()) {
      errors.Add(
          end_path,
          absl::StrCat("endPort may not be set when port is a named port (\"",
                       result.named_port, "\")"));
    } else if (IsAbsent(port)) {
      errors.Add(end_path, "endPort may not be set without a numeric port");
    } else if (result.port && *end < *result.port) {
      errors.Add(end_path,
                 absl::StrCat(
                     *end, ": endPort must be greater than or equal to port (",
                     *result.port, ")"));
    } else if (result.port) {
      result.end_port = CheckPortNumber(*end, end_path, errors);
    }
  }
  if (errors.count() != before) return std::nullopt;
  return result;
}

// Decodes spec.ingress or spec.egress; `peers_key` is "from" or "to".
std::vector<PolicyRule> DecodeRules(const Node& node, absl::string_view path,
                                    const char* peers_key, const char* verb,
                                    FieldErrors& errors) {
  std::vector<PolicyRule> rules;
  if (IsAbsent(node) || !ExpectList(node, path, errors)) return rules;
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string rule_path = Index(path, i);
    const Node rule_node = node[i];
    PolicyRule rule;
    if (!IsAbsent(rule_node) && ExpectMap(rule_node, rule_path, errors)) {
      const Node peers = Child(rule_node, peers_key);
      const std::string peers_path = Field(rule_path, peers_key);
      if (!IsAbsent(peers) && ExpectList(peers, peers_path, errors)) {
        for (size_t p = 0; p < peers.size(); ++p) {
          if (auto peer =
                  DecodePeer(peers[p], Index(peers_path, p), verb, errors)) {
            rule.peers.push_back(std::move(*peer));
          }
        }
      }
      const Node ports = Child(rule_node, "ports");
      const std::string ports_path = Field(rule_path, "ports");
      if (!IsAbsent(ports) && ExpectList(ports, ports_path, errors)) {
        for (size_t p = 0; p < ports.size(); ++p) {
          if (auto port =
                  DecodePolicyPort(ports[p], Index(ports_path, p), errors)) {
            rule.ports.push_back(std::move(*port));
          }
        }
      }
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

}  // namespace

std::optional<Namespace> DecodeNamespace(const Node& object,
                                         FieldErrors& errors) {
  std::optional<Metadata> meta =
      DecodeMetadata(object, /*namespaced=*/false, errors);
  if (!meta) return std::nullopt;
  Namespace ns;
  ns.name = meta->name;
  ns.labels = std::move(meta->labels);
  ns.labels[kNamespaceNameLabel] = ns.name;  // the API server enforces it
  return ns;
}

std::optional<Pod> DecodePod(const Node& object, FieldErrors& errors) {
  const int before = errors.count();
  std::optional<Metadata> meta =
      DecodeMetadata(object, /*namespaced=*/true, errors);
  Pod pod;
  if (meta) {
    pod.name = meta->name;
    pod.namespace_name = meta->namespace_name;
    pod.labels = std::move(meta->labels);
  }
  const Node spec = Child(object, "spec");
  if (!IsAbsent(spec) && ExpectMap(spec, "spec", errors)) {
    pod.host_network =
        GetBool(Child(spec, "hostNetwork"), "spec.hostNetwork", errors)
            .value_or(false);
    const Node containers = Child(spec, "containers");
    if (!IsAbsent(containers) &&
        ExpectList(containers, "spec.containers", errors)) {
      for (size_t c = 0; c < containers.size(); ++c) {
        const std::string container_path = Index("spec.containers", c);
        if (!ExpectMap(containers[c], container_path, errors)) continue;
        const Node ports = Child(containers[c], "ports");
        const std::string ports_path = Field(container_path, "ports");
        if (IsAbsent(ports) || !ExpectList(ports, ports_path, errors)) continue;
        for (size_t p = 0; p < ports.size(); ++p) {
          const std::string port_path = Index(ports_path, p);
          if (!ExpectMap(ports[p], port_path, errors)) continue;
          ContainerPort port;
          const std::string number_path = Field(port_path, "containerPort");
          std::optional<int64_t> number =
              GetInteger(Child(ports[p], "containerPort"), number_path, errors);
          if (!number) {
            if (IsAbsent(Child(ports[p], "containerPort"))) {
              errors.Add(number_path, "required");
            }
            continue;
          }
          std::optional<uint16_t> checked =
              CheckPortNumber(*number, number_path, errors);
          std::optional<Protocol> protocol =
              GetProtocol(Child(ports[p], "protocol"),
                          Field(port_path, "protocol"), errors);
          std::optional<std::string> name = GetString(
              Child(ports[p], "name"), Field(port_path, "name"), errors);
          if (name) {
            if (std::string why = CheckPortName(*name); !why.empty()) {
              errors.Add(Field(port_path, "name"),
                         absl::StrCat("\"", *name,
                                      "\" is not a valid port name: ", why));
              continue;
            }
            port.name = *name;
          }
          if (!checked || !protocol) continue;
          port.port = *checked;
          port.protocol = *protocol;
          pod.ports.push_back(std::move(port));
        }
      }
    }
  }
  const Node status = Child(object, "status");
  if (!IsAbsent(status) && ExpectMap(status, "status", errors)) {
    std::optional<std::string> phase =
        GetString(Child(status, "phase"), "status.phase", errors);
    std::optional<std::string> pod_ip =
        GetString(Child(status, "podIP"), "status.podIP", errors);
    if (pod_ip && !pod_ip->empty()) {
      if (std::optional<IpAddress> ip = IpAddress::Parse(*pod_ip)) {
        pod.ips.push_back(*ip);
      } else {
        errors.Add("status.podIP",
                   absl::StrCat("\"", *pod_ip, "\" is not a valid IP address"));
      }
    }
    const Node pod_ips = Child(status, "podIPs");
    if (!IsAbsent(pod_ips) && ExpectList(pod_ips, "status.podIPs", errors)) {
      for (size_t i = 0; i < pod_ips.size(); ++i) {
        const std::string ip_path = Index("status.podIPs", i);
        if (!ExpectMap(pod_ips[i], ip_path, errors)) continue;
        std::optional<std::string> text =
            GetString(Child(pod_ips[i], "ip"), Field(ip_path, "ip"), errors);
        if (!text) continue;
        std::optional<IpAddress> ip = IpAddress::Parse(*text);
        if (!ip) {
          errors.Add(Field(ip_path, "ip"),
                     absl::StrCat("\"", *text, "\" is not a valid IP address"));
          continue;
        }
        if (std::find(pod.ips.begin(), pod.ips.end(), *ip) != pod.ips.end()) {
          continue;
        }
        if (std::any_of(pod.ips.begin(), pod.ips.end(),
                        [&](const IpAddress& other) {
                          return other.family == ip->family;
                        })) {
          errors.Add(
              ip_path,
              absl::StrCat("a pod has at most one IP of each family; ",
                           ip->ToString(), " conflicts with status.podIP"));
          continue;
        }
        pod.ips.push_back(*ip);
      }
    }
    // A finished pod has released its addresses for reuse.
    if (phase && (*phase == "Succeeded" || *phase == "Failed")) pod.ips.clear();
  }
  if (errors.count() != before) return std::nullopt;
  return pod;
}

std::optional<NetworkPolicy> DecodeNetworkPolicy(const Node& object,
                                                 FieldErrors& errors) {
  const int before = errors.count();
  std::optional<Metadata> meta =
      DecodeMetadata(object, /*namespaced=*/true, errors);
  NetworkPolicy policy;
  if (meta) {
    policy.name = meta->name;
    policy.namespace_name = meta->namespace_name;
  }
  const Node spec = Child(object, "spec");
  if (!IsAbsent(spec) && ExpectMap(spec, "spec", errors)) {
    policy.pod_selector =
        DecodeSelector(Child(spec, "podSelector"), "spec.podSelector", errors);
    policy.ingress = DecodeRules(Child(spec, "ingress"), "spec.ingress", "from",
                                 "sources", errors);
    policy.egress = DecodeRules(Child(spec, "egress"), "spec.egress", "to",
                                "destinations", errors);
    const Node types = Child(spec, "policyTypes");
    bool explicit_types = false;
    if (!IsAbsent(types) && ExpectList(types, "spec.policyTypes", errors)) {
      if (types.size() > 2) {
        errors.Add("spec.policyTypes",
                   "may not specify more than two policyTypes");
      }
      for (size_t i = 0; i < types.size(); ++i) {
        const std::string type_path = Index("spec.policyTypes", i);
        std::optional<std::string> type =
            GetString(types[i], type_path, errors);
        if (!type) continue;
        if (*type == "Ingress") {
          policy.affects_ingress = explicit_types = true;
        } else if (*type == "Egress") {
          policy.affects_egress = explicit_types = true;
        } else {
          errors.Add(type_path, absl::StrCat("unsupported policyType \"", *type,
                                             "\": must be Ingress or Egress"));
        }
      }
    }
    if (!explicit_types) {  // the API server's defaulting
      policy.affects_ingress = true;
      policy.affects_egress = !policy.egress.empty();
    }
  } else if (IsAbsent(spec)) {
    policy.affects_ingress = true;  // empty spec: deny all ingress
  }
  if (errors.count() != before) return std::nullopt;
  // Rules of an unlisted type never apply; dropping them keeps the
  // compiler free of that special case.
  if (!policy.affects_ingress) policy.ingress.clear();
  if (!policy.affects_egress) policy.egress.clear();
  return policy;
}

bool IsModelKind(absl::string_view kind) {
  return kind == "Namespace" || kind == "Pod" || kind == "NetworkPolicy";
}

std::optional<ModelObject> DecodeModelObject(const Node& object,
                                             absl::string_view kind,
                                             absl::string_view api_version,
                                             FieldErrors& errors) {
  const absl::string_view expected =
      kind == "NetworkPolicy" ? "networking.k8s.io/v1" : "v1";
  if (api_version != expected) {
    errors.Add("apiVersion",
               absl::StrCat("\"", api_version, "\" is not supported for ", kind,
                            ": expected \"", expected, "\""));
    return std::nullopt;
  }
  if (kind == "Namespace") return DecodeNamespace(object, errors);
  if (kind == "Pod") return DecodePod(object, errors);
  return DecodeNetworkPolicy(object, errors);
}

}  // namespace netpol
