#ifndef NETPOL_TESTS_SERVER_INTEGRATION_TEST_CLUSTER_H_
#define NETPOL_TESTS_SERVER_INTEGRATION_TEST_CLUSTER_H_

// The small cluster most integration tests run on, in versions that differ
// in one visible verdict, plus manifests the server must reject.
//
// Namespace x, pods a (10.0.1.10), b (10.0.1.11), c (10.0.1.12); policy
// x/allow-b admits b -> a on the given TCP ports only. So b -> a:80 is
// ALLOW (ALLOWED_BY_POLICY) with ports {80}, b -> a:81 is DENY
// (DENIED_INGRESS) until 81 is added, c -> a is always DENIED_INGRESS and
// a -> b NOT_ISOLATED.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace netpol::integration {

inline std::string PodYaml(const std::string& name, const std::string& ip) {
  return absl::StrCat("---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: ",
                      name, "\n  namespace: x\n  labels: {app: ", name,
                      "}\nspec:\n  containers:\n  - name: c\n    ports:\n"
                      "    - {containerPort: 80, name: http}\n"
                      "status:\n  phase: Running\n  podIP: ",
                      ip, "\n");
}

inline std::string TestCluster(const std::vector<int>& allowed_ports) {
  std::string yaml = absl::StrCat(
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n",
      PodYaml("a", "10.0.1.10"), PodYaml("b", "10.0.1.11"),
      PodYaml("c", "10.0.1.12"),
      "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
      "metadata: {name: allow-b, namespace: x}\n"
      "spec:\n  podSelector: {matchLabels: {app: a}}\n"
      "  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: b}}\n"
      "    ports:\n");
  for (int port : allowed_ports) {
    absl::StrAppend(&yaml, "    - {protocol: TCP, port: ", port, "}\n");
  }
  return yaml;
}

// Not YAML at all.
inline constexpr char kUnparsableYaml[] = "kind: [Pod\n  metadata: {{{\n";

// A well-formed policy with two independent errors, to check that a
// rejection lists every error.
inline constexpr char kPolicyWithTwoErrors[] =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
    "metadata: {name: broken, namespace: x}\n"
    "spec:\n  podSelector: {}\n  ingress:\n"
    "  - from:\n    - ipBlock: {cidr: 10.0.0.0/33}\n"
    "    ports:\n    - {port: 80, endPort: 10}\n";

}  // namespace netpol::integration

#endif  // NETPOL_TESTS_SERVER_INTEGRATION_TEST_CLUSTER_H_
