#ifndef NETPOL_CORE_MODEL_H_
#define NETPOL_CORE_MODEL_H_

// The cluster model: plain, validated data as read from manifests. The
// compiler turns it into a CompiledSnapshot; nothing here is optimised.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/ip_address.h"
#include "core/label_selector.h"
#include "core/protocol.h"

namespace netpol {

// Label every namespace carries (set by the API server since 1.21).
inline constexpr char kNamespaceNameLabel[] = "kubernetes.io/metadata.name";

// Where an object came from, for error messages and explanations.
struct SourceLocation {
  std::string file;    // file path or the name given to pushed text
  int document = 0;    // 1-based YAML document index in the file
  std::string prefix;  // field path prefix inside the document, e.g.
                       // "items[3]" for a member of a `kind: List`
};

struct Namespace {
  std::string name;
  Labels labels;  // always includes kNamespaceNameLabel
  SourceLocation source;
};

struct ContainerPort {
  std::string name;  // empty when unnamed
  uint16_t port = 0;
  Protocol protocol = Protocol::kTcp;
};

struct Pod {
  std::string namespace_name;
  std::string name;
  Labels labels;
  // Addresses from status.podIPs (status.podIP first); empty while pending.
  // At most one per family.
  std::vector<IpAddress> ips;
  std::vector<ContainerPort> ports;  // spec.containers[].ports, all containers
  bool host_network = false;
  SourceLocation source;
};

struct IpBlock {
  Cidr cidr;
  std::vector<Cidr> except;

  bool Matches(const IpAddress& ip) const;
};

// One element of `from` / `to`. Validation guarantees either ip_block alone
// or at least one selector.
struct Peer {
  std::optional<LabelSelector> pod_selector;
  std::optional<LabelSelector> namespace_selector;
  std::optional<IpBlock> ip_block;
};

struct PolicyPort {
  Protocol protocol = Protocol::kTcp;
  // Neither set: every port of `protocol`.
  std::optional<uint16_t> port;
  std::string named_port;             // set instead of `port` for names
  std::optional<uint16_t> end_port;   // only with a numeric `port`
};

struct PolicyRule {
  std::vector<Peer> peers;         // empty: every peer
  std::vector<PolicyPort> ports;   // empty: every port and protocol
};

struct NetworkPolicy {
  std::string namespace_name;
  std::string name;
  LabelSelector pod_selector;  // null and {} both mean every pod
  // Effective policyTypes, after the API server's defaulting.
  bool affects_ingress = false;
  bool affects_egress = false;
  std::vector<PolicyRule> ingress;
  std::vector<PolicyRule> egress;
  SourceLocation source;
};

// Everything a snapshot is built from. Namespaces referenced by pods but
// never declared are added by the loader with only their name label.
struct Cluster {
  std::vector<Namespace> namespaces;
  std::vector<Pod> pods;
  std::vector<NetworkPolicy> policies;
  // Kinds that were read but are not modelled (Service, Deployment, ...),
  // with how many objects of each were skipped.
  std::map<std::string, int> skipped_kinds;
};

}  // namespace netpol

#endif  // NETPOL_CORE_MODEL_H_
