#ifndef NETPOL_LOAD_TESTS_GENERATOR_QUERY_GENERATOR_H_
#define NETPOL_LOAD_TESTS_GENERATOR_QUERY_GENERATOR_H_

// Realistic decision queries against a generated cluster.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/ip_address.h"
#include "core/model.h"
#include "core/protocol.h"

namespace netpol {

struct DecisionQuery {
  IpAddress source;
  IpAddress destination;
  uint16_t port = 0;  // 1..65535
  Protocol protocol = Protocol::kTcp;
  // Indices into Cluster::pods of the endpoints, -1 for external addresses
  // (a hostNetwork pod's node IP counts as its pod here).
  int32_t source_pod = -1;
  int32_t destination_pod = -1;
};

// `count` queries, deterministic for (cluster, count, seed). The mix, by
// weight: service-graph calls inside a namespace (frontend -> backend ->
// data) on the callee's serving port 30%; random same-namespace pairs on one
// of the destination's ports 15%; random cross-namespace pairs 15%;
// Prometheus scrapes 8%; ingress controller -> frontends 5%; DNS to CoreDNS
// 10%; pod -> external 7% and external -> pod 3%; random ports and
// protocols 6%; node (hostNetwork) -> pod 1%. Pods with an IPv6 address
// talk over IPv6 about half the time, preferring dual-stack peers, so
// a few percent of queries are IPv6. Works on any cluster; queries of a
// category the cluster cannot produce fall back to random pairs.
std::vector<DecisionQuery> GenerateQueries(const Cluster& cluster, size_t count,
                                           uint64_t seed);

}  // namespace netpol

#endif  // NETPOL_LOAD_TESTS_GENERATOR_QUERY_GENERATOR_H_
