// ContentHash: XXH3-128 over a canonical serialization of a Cluster.
//
// Objects are written in a canonical order (namespaces by name, pods and
// policies by namespace/name), so the order of files and documents does not
// matter; the order inside an object (IPs, ports, rules, peers) is kept, as
// it carries meaning (primary IP, rule indices in explanations). Every
// string and list is length-prefixed and every optional field tagged, so
// two different clusters never serialize to the same bytes. Source
// locations and skipped kinds are not content and are left out.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "core/model.h"
#include "core/snapshot_store.h"
#include "xxhash.h"

namespace netpol {
namespace {

class CanonicalWriter {
 public:
  void WriteUint(uint64_t value) {
    for (int i = 0; i < 8; ++i) {
      out_.push_back(static_cast<char>(value >> (8 * i)));
    }
  }
  void WriteBool(bool value) { out_.push_back(value ? 1 : 0); }
  void WriteString(const std::string& value) {
    WriteUint(value.size());
    out_.append(value);
  }

  void WriteLabels(const Labels& labels) {
    WriteUint(labels.size());
    for (const auto& [key, value] : labels) {
      WriteString(key);
      WriteString(value);
    }
  }

  void WriteSelector(const LabelSelector& selector) {
    WriteLabels(selector.match_labels);
    WriteUint(selector.expressions.size());
    for (const SelectorRequirement& requirement : selector.expressions) {
      WriteString(requirement.key);
      WriteUint(static_cast<uint64_t>(requirement.op));
      WriteUint(requirement.values.size());
      for (const std::string& value : requirement.values) WriteString(value);
    }
  }

  void WriteIp(const IpAddress& ip) {
    WriteUint(static_cast<uint64_t>(ip.family));
    WriteUint(ip.hi);
    WriteUint(ip.lo);
  }

  void WriteCidr(const Cidr& cidr) {
    WriteIp(cidr.base);
    WriteUint(static_cast<uint64_t>(cidr.prefix));
  }

  void WriteNamespace(const Namespace& ns) {
    WriteString(ns.name);
    WriteLabels(ns.labels);
  }

  void WritePod(const Pod& pod) {
    WriteString(pod.namespace_name);
    WriteString(pod.name);
    WriteLabels(pod.labels);
    WriteUint(pod.ips.size());
    for (const IpAddress& ip : pod.ips) WriteIp(ip);
    WriteUint(pod.ports.size());
    for (const ContainerPort& port : pod.ports) {
      WriteString(port.name);
      WriteUint(port.port);
      WriteUint(static_cast<uint64_t>(port.protocol));
    }
    WriteBool(pod.host_network);
  }

  void WritePolicy(const NetworkPolicy& policy) {
    WriteString(policy.namespace_name);
    WriteString(policy.name);
    WriteSelector(policy.pod_selector);
    WriteBool(policy.affects_ingress);
    WriteBool(policy.affects_egress);
    WriteRules(policy.ingress);
    WriteRules(policy.egress);
  }

  const std::string& bytes() const { return out_; }

 private:
  void WriteOptionalSelector(const std::optional<LabelSelector>& selector) {
    WriteBool(selector.has_value());
    if (selector) WriteSelector(*selector);
  }

  void WriteRules(const std::vector<PolicyRule>& rules) {
    WriteUint(rules.size());
    for (const PolicyRule& rule : rules) {
      WriteUint(rule.peers.size());
      for (const Peer& peer : rule.peers) {
        WriteOptionalSelector(peer.pod_selector);
        WriteOptionalSelector(peer.namespace_selector);
        WriteBool(peer.ip_block.has_value());
        if (peer.ip_block) {
          WriteCidr(peer.ip_block->cidr);
          WriteUint(peer.ip_block->except.size());
          for (const Cidr& except : peer.ip_block->except) {
            WriteCidr(except);
          }
        }
      }
      WriteUint(rule.ports.size());
      for (const PolicyPort& port : rule.ports) {
        WriteUint(static_cast<uint64_t>(port.protocol));
        WriteBool(port.port.has_value());
        if (port.port) WriteUint(*port.port);
        WriteString(port.named_port);
        WriteBool(port.end_port.has_value());
        if (port.end_port) WriteUint(*port.end_port);
      }
    }
  }

  std::string out_;
};

// Pointers to `items` ordered by `key`, leaving the cluster untouched.
template <typename T, typename Key>
std::vector<const T*> SortedBy(const std::vector<T>& items, Key key) {
  std::vector<const T*> sorted;
  sorted.reserve(items.size());
  for (const T& item : items) sorted.push_back(&item);
  std::sort(sorted.begin(), sorted.end(),
            [&key](const T* a, const T* b) { return key(*a) < key(*b); });
  return sorted;
}

}  // namespace

std::string ContentHash(const Cluster& cluster) {
  CanonicalWriter writer;
  const auto namespaces = SortedBy(
      cluster.namespaces,
      [](const Namespace& ns) -> const std::string& { return ns.name; });
  writer.WriteUint(namespaces.size());
  for (const Namespace* ns : namespaces) writer.WriteNamespace(*ns);

  const auto pods = SortedBy(cluster.pods, [](const Pod& pod) {
    return std::tie(pod.namespace_name, pod.name);
  });
  writer.WriteUint(pods.size());
  for (const Pod* pod : pods) writer.WritePod(*pod);

  const auto policies =
      SortedBy(cluster.policies, [](const NetworkPolicy& policy) {
        return std::tie(policy.namespace_name, policy.name);
      });
  writer.WriteUint(policies.size());
  for (const NetworkPolicy* policy : policies) writer.WritePolicy(*policy);

  const XXH128_hash_t hash =
      XXH3_128bits(writer.bytes().data(), writer.bytes().size());
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, hash);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * sizeof(canonical.digest));
  for (unsigned char byte : canonical.digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xf]);
  }
  return hex;
}

}  // namespace netpol
