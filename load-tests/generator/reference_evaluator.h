#ifndef NETPOL_LOAD_TESTS_GENERATOR_REFERENCE_EVALUATOR_H_
#define NETPOL_LOAD_TESTS_GENERATOR_REFERENCE_EVALUATOR_H_

// A deliberately naive NetworkPolicy evaluator, written straight from the
// Kubernetes API documentation: every decision walks the policies of the two
// endpoints' namespaces. It is slow (O(policies per namespace x rules x
// peers)) and independent of CompiledSnapshot, so it serves as an oracle for
// differential checks on generated clusters, and lets the query mix be tuned
// without the compiler.
//
// Semantics follow CompileOptions defaults: ipBlock peers match pod IPs too.
// hostNetwork pods are not pods for addressing purposes here: their (node)
// IP is treated as external, which is what a CNI sees. Callers comparing
// against CompiledSnapshot should skip queries involving them.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/decision.h"
#include "core/ip_address.h"
#include "core/model.h"
#include "core/protocol.h"

namespace netpol {

class ReferenceEvaluator {
 public:
  // `cluster` must outlive the evaluator.
  explicit ReferenceEvaluator(const Cluster& cluster,
                              bool ipblock_matches_pods = true);

  Decision Decide(const IpAddress& source, const IpAddress& destination,
                  uint16_t port, Protocol protocol) const;

  // Index into Cluster::pods of the (non-hostNetwork) pod owning `ip`, or -1.
  int PodAt(const IpAddress& ip) const;
  // Whether `ip` is the address of a hostNetwork pod.
  bool IsHostNetworkAddress(const IpAddress& ip) const;

 private:
  // One side of a connection: a pod index (or -1) and the address used.
  struct Side {
    int pod = -1;
    IpAddress ip;
  };

  bool PeerMatches(const NetworkPolicy& policy, const Peer& peer,
                   const Side& other) const;
  bool PortMatches(const PolicyPort& rule_port, int destination_pod,
                   uint16_t port, Protocol protocol) const;
  // Whether `pod` is isolated in the direction and, if so, whether a rule of
  // the isolating policies allows the connection to/from `other`.
  void Evaluate(int pod, bool egress, const Side& other, int destination_pod,
                uint16_t port, Protocol protocol, bool* isolated,
                bool* allowed) const;

  const Cluster& cluster_;
  const bool ipblock_matches_pods_;
  absl::flat_hash_map<IpAddress, int> pod_by_ip_;
  absl::flat_hash_map<IpAddress, int> host_network_by_ip_;
  absl::flat_hash_map<std::string, const Labels*> namespace_labels_;
  absl::flat_hash_map<std::string, std::vector<int>> policies_by_namespace_;
};

}  // namespace netpol

#endif  // NETPOL_LOAD_TESTS_GENERATOR_REFERENCE_EVALUATOR_H_
