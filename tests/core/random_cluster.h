#ifndef NETPOL_TESTS_CORE_RANDOM_CLUSTER_H_
#define NETPOL_TESTS_CORE_RANDOM_CLUSTER_H_

// Seeded random small clusters for property tests: a description of every
// object plus how to spell it in YAML (omitted keys, `[]`, host bits in
// CIDRs, podIP vs podIPs, implied namespaces, document order), the model
// the contract's defaulting rules give, and the YAML text; and random
// proposed changes to them.
//
// The same seed gives the same cluster on every platform and in every
// version of this file: the property tests' seeds are how failures are
// reproduced, so change the order of random draws only deliberately.

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/ip_address.h"
#include "core/label_selector.h"
#include "core/model.h"
#include "core/proposed_change.h"
#include "core/protocol.h"

namespace netpol::random_cluster {

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
  std::vector<IpAddress> externals;  // addresses worth querying
  std::vector<int> document_order;   // permutation of all objects
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

// The vocabulary labels, selectors and ports are drawn from.
extern const std::vector<std::string> kPodKeys;
extern const std::vector<std::string> kPodValues;
extern const std::vector<std::string> kNsKeys;
extern const std::vector<std::string> kNsValues;
extern const std::vector<std::string> kPortNames;
extern const std::vector<Protocol> kProtocols;

// Cluster size ranges (inclusive).
struct Sizes {
  int min_namespaces = 2, max_namespaces = 4;
  int min_pods = 3, max_pods = 12;
  int min_policies = 1, max_policies = 8;
};

GenCluster Generate(uint64_t seed, const Sizes& sizes = {});

// The pieces Generate draws, for tests that mutate a generated cluster.
Protocol RandomProtocol(Rng& rng);
// Each key with probability `p`.
Labels RandomLabels(Rng& rng, const std::vector<std::string>& keys,
                    const std::vector<std::string>& values, double p);
LabelSelector RandomSelector(Rng& rng, const std::vector<std::string>& keys,
                             const std::vector<std::string>& values);
// Pod number `index` of a random namespace of `c`; its addresses derive
// from the namespace and `index` (below 246), so distinct indices never
// collide.
GenPod RandomPod(Rng& rng, const GenCluster& c, int index);
// ipBlocks draw on the addresses of `c`, namespace selectors on its names.
GenPolicy RandomPolicy(Rng& rng, const GenCluster& c, const std::string& ns,
                       const std::string& name);
// Namespaces a policy may live in: declared ones and those with pods.
std::vector<std::string> PolicyNamespaces(const GenCluster& c);

// The model, by the contract's defaulting rules (undeclared namespaces of
// pods are added with only their name label).
Cluster ToModel(const GenCluster& c);
Pod ToModel(const GenPod& g);
NetworkPolicy ToModel(const GenPolicy& g);

// YAML: every object as a document, in `document_order`.
std::string ToYaml(const GenCluster& c);
std::string NamespaceDoc(const GenNamespace& ns);
std::string PodDoc(const GenPod& pod);
std::string PolicyDoc(const GenPolicy& p);
// {"k": "v", ...}
std::string LabelsFlow(const Labels& labels);

// A random proposed change to a generated cluster, as operations and as the
// YAML netpolctl impact reads (manifests and ChangeList documents).
struct RandomChange {
  ProposedChange change;
  std::vector<std::string> documents;  // one per operation, in order

  std::string Yaml() const;
};

// 1 to 4 operations of every kind (policy upserts and deletions, pod
// relabels by name or selector, namespace relabels and replacement, pod
// upserts and deletions), each valid for the cluster as the previous ones
// leave it, as ApplyProposedChange requires. Replaced pods keep their
// addresses (impact analysis matches pods by name, external flows by
// address); new pods get addresses no pod had.
RandomChange GenerateChange(const GenCluster& cluster, Rng& rng);

// The address before `ip` (saturates at zero).
IpAddress PreviousAddress(const IpAddress& ip);
// Sorted: the first and last address of every ipBlock cidr and except in
// `model`'s policies, and the addresses just outside them, where interval
// bookkeeping goes wrong.
std::vector<IpAddress> IpBlockEdges(const Cluster& model);

}  // namespace netpol::random_cluster

#endif  // NETPOL_TESTS_CORE_RANDOM_CLUSTER_H_
