#ifndef NETPOL_LOAD_TESTS_GENERATOR_CLUSTER_GENERATOR_H_
#define NETPOL_LOAD_TESTS_GENERATOR_CLUSTER_GENERATOR_H_

// Deterministic generator of realistic clusters for benchmarks and tests.
//
// The cluster looks like a multi-team Kubernetes installation:
//  * platform namespaces kube-system (CoreDNS), monitoring (Prometheus,
//    hostNetwork node exporters) and ingress-nginx, then team namespaces
//    labelled team/env (and kubernetes.io/metadata.name, always);
//  * Deployment-like workloads of a few replicas sharing app, tier, version
//    and pod-template-hash labels and named container ports (http 8080/TCP,
//    grpc 50051/TCP, metrics 9090/TCP, postgres 5432/TCP, ...);
//  * unique pod IPv4s from per-node /24s in 10.0.0.0/8, an fd00::/8 IPv6 for
//    `dual_stack_fraction` of the pods, a few hostNetwork pods on node IPs;
//  * NetworkPolicies in the styles seen in real clusters: default deny
//    ingress/egress, DNS egress to kube-system, same-namespace allows,
//    tier-to-tier allows on named or numeric ports and endPort ranges,
//    namespaceSelector AND podSelector peers, matchExpressions with every
//    operator, ipBlock egress with except (IPv4 and IPv6), policyTypes
//    variants. Namespaces adopt policies unevenly: with few policies most
//    namespaces are open, with many most are locked down.
//
// Equal options give an identical cluster on every platform. Namespaces and
// pods depend only on `namespaces`, `pods`, `seed` and
// `dual_stack_fraction`, so clusters that differ only in `policies` share
// their pods and namespaces.

#include <cstdint>
#include <string>

#include "core/model.h"

namespace netpol {

struct GeneratorOptions {
  int namespaces = 100;
  int pods = 10000;
  int policies = 2000;
  uint64_t seed = 1;
  double dual_stack_fraction = 0.1;
};

// Runs in well under a second for 10,000 pods and 2,000 policies. Negative
// counts are treated as 0; at least one namespace is always created.
Cluster GenerateCluster(const GeneratorOptions& options);

// Multi-document YAML (Namespaces, then Pods, then NetworkPolicies) as
// `kubectl get -o yaml` users would write it; netpol::LoadManifests reads it
// back into an equal Cluster. SourceLocations and skipped_kinds are not
// written.
std::string ClusterToYaml(const Cluster& cluster);

}  // namespace netpol

#endif  // NETPOL_LOAD_TESTS_GENERATOR_CLUSTER_GENERATOR_H_
