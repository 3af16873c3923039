#ifndef NETPOL_TESTS_CORE_TEST_UTIL_H_
#define NETPOL_TESTS_CORE_TEST_UTIL_H_

// Helpers shared by the core tests: YAML snippets for small clusters,
// loading and compiling them, and readable printing of core types.

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "core/compiled_snapshot.h"
#include "core/decision.h"
#include "core/manifest_loader.h"
#include "core/model.h"
#include "gtest/gtest.h"

namespace netpol {

// gtest printers, found by ADL.
inline void PrintTo(const Decision& d, std::ostream* os) {
  *os << "{allowed=" << (d.allowed ? "true" : "false")
      << ", reason=" << ReasonName(d.reason) << "}";
}
inline void PrintTo(const Reason& r, std::ostream* os) { *os << ReasonName(r); }
inline void PrintTo(const IpAddress& ip, std::ostream* os) {
  *os << ip.ToString();
}
inline void PrintTo(const RuleRef& r, std::ostream* os) {
  *os << r.policy << "#" << r.rule_index;
}

namespace testing_util {

inline Decision Allow(Reason r) { return Decision{true, r}; }
inline Decision Deny(Reason r) { return Decision{false, r}; }

// "---\n" + a Namespace manifest. `labels` is a YAML flow map or "".
inline std::string NamespaceYaml(const std::string& name,
                                 const std::string& labels = "") {
  std::string out = absl::StrCat(
      "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ", name, "\n");
  if (!labels.empty()) absl::StrAppend(&out, "  labels: ", labels, "\n");
  return out;
}

// "---\n" + the NetworkPolicy "x/b-from-a": pods app=b of namespace x
// accept pods app=a of x on TCP 80, and nothing else. The server and client
// tests' usual policy.
inline std::string BFromAPolicyYaml() {
  return R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-from-a, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: a}}}]
    ports: [{port: 80}]
)";
}

// "---\n" + a Pod manifest. `ips` is "" (pending), "10.0.0.1" or
// "10.0.0.1,fd00::1" (first = status.podIP). `ports` is a YAML flow list
// of container ports, e.g. "[{name: http, containerPort: 8080}]".
inline std::string PodYaml(const std::string& ns, const std::string& name,
                           const std::string& labels = "{}",
                           const std::string& ips = "",
                           const std::string& ports = "[]",
                           bool host_network = false) {
  std::string out =
      absl::StrCat("---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: ", name,
                   "\n  namespace: ", ns, "\n  labels: ", labels, "\nspec:\n");
  if (host_network) absl::StrAppend(&out, "  hostNetwork: true\n");
  absl::StrAppend(&out, "  containers:\n  - name: main\n    image: example\n",
                  "    ports: ", ports, "\n");
  if (!ips.empty()) {
    std::vector<std::string> parts = absl::StrSplit(ips, ',');
    absl::StrAppend(&out, "status:\n  phase: Running\n  podIP: \"", parts[0],
                    "\"\n  podIPs:\n");
    for (const std::string& ip : parts) {
      absl::StrAppend(&out, "  - ip: \"", ip, "\"\n");
    }
  } else {
    absl::StrAppend(&out, "status:\n  phase: Pending\n");
  }
  return out;
}

// Objects of a cluster by name; nullptr when absent.
inline const Pod* FindPod(const Cluster& c, const std::string& ns,
                          const std::string& name) {
  for (const Pod& p : c.pods) {
    if (p.namespace_name == ns && p.name == name) return &p;
  }
  return nullptr;
}
inline const Namespace* FindNamespace(const Cluster& c,
                                      const std::string& name) {
  for (const Namespace& n : c.namespaces) {
    if (n.name == name) return &n;
  }
  return nullptr;
}
inline const NetworkPolicy* FindPolicy(const Cluster& c, const std::string& ns,
                                       const std::string& name) {
  for (const NetworkPolicy& p : c.policies) {
    if (p.namespace_name == ns && p.name == name) return &p;
  }
  return nullptr;
}

// Loads YAML text; adds a test failure and returns nullopt on error.
inline std::optional<Cluster> LoadYaml(const std::string& yaml,
                                       const std::string& name = "test.yaml") {
  ManifestLoader loader;
  loader.AddText(yaml, name);
  absl::StatusOr<Cluster> cluster = std::move(loader).Finish();
  if (!cluster.ok()) {
    ADD_FAILURE() << "loading failed: " << cluster.status() << "\n" << yaml;
    return std::nullopt;
  }
  return *std::move(cluster);
}

// Loads and compiles YAML text; nullptr (with a test failure) on error.
inline std::unique_ptr<const CompiledSnapshot> CompileYaml(
    const std::string& yaml, const CompileOptions& options = {}) {
  std::optional<Cluster> cluster = LoadYaml(yaml);
  if (!cluster) return nullptr;
  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snapshot =
      CompiledSnapshot::Compile(*std::move(cluster), options);
  if (!snapshot.ok()) {
    ADD_FAILURE() << "compile failed: " << snapshot.status();
    return nullptr;
  }
  return *std::move(snapshot);
}

inline Endpoint Ep(const std::string& text) {
  std::optional<Endpoint> ep = ParseEndpoint(text);
  if (!ep) {
    ADD_FAILURE() << "bad endpoint in test: " << text;
    return IpAddress{};
  }
  return *ep;
}

inline Connection Conn(const std::string& src, const std::string& dst,
                       uint32_t port, Protocol protocol = Protocol::kTcp) {
  return Connection{Ep(src), Ep(dst), port, protocol};
}

// Decide by any endpoint form; a failed status becomes a test failure and
// an {false, kInvalid} decision.
// Big-endian bytes of `ip`, as compact blocks carry addresses.
inline std::string BigEndianV4(uint32_t ip) {
  return {static_cast<char>(ip >> 24), static_cast<char>(ip >> 16),
          static_cast<char>(ip >> 8), static_cast<char>(ip)};
}

// `c` decided as a one-connection compact block; the decision is read
// back from the verdict byte and the one reason counted.
inline Decision DecideCompactV4One(const CompiledSnapshot& snapshot,
                                   const V4Connection& c) {
  const std::string source = BigEndianV4(c.source);
  const std::string destination = BigEndianV4(c.destination);
  const uint32_t port_protocol =
      c.port | (static_cast<uint32_t>(c.protocol) + 1) << 16;
  char verdict = '?';
  ReasonCounts counts{};
  snapshot.DecideCompactV4(
      {source.data(), destination.data(), &port_protocol, 1}, 'A', 'D',
      &verdict, &counts);
  Decision decision{verdict == 'A', Reason::kInvalid};
  int counted = 0;
  for (size_t r = 0; r < counts.size(); ++r) {
    if (counts[r] == 0) continue;
    counted += static_cast<int>(counts[r]);
    decision.reason = static_cast<Reason>(r);
  }
  EXPECT_EQ(counted, 1) << "one connection, one count";
  EXPECT_TRUE(verdict == 'A' || verdict == 'D') << verdict;
  return decision;
}

inline Decision DecideOrFail(const CompiledSnapshot& snapshot,
                             const std::string& src, const std::string& dst,
                             uint32_t port,
                             Protocol protocol = Protocol::kTcp) {
  const Connection connection = Conn(src, dst, port, protocol);
  absl::StatusOr<Decision> d = snapshot.Decide(connection);
  if (!d.ok()) {
    ADD_FAILURE() << "Decide(" << src << " -> " << dst << ":" << port
                  << ") failed: " << d.status();
    return Decision{false, Reason::kInvalid};
  }
  // Both IP fast paths must agree with the general one.
  const auto* s = std::get_if<IpAddress>(&connection.source);
  const auto* t = std::get_if<IpAddress>(&connection.destination);
  if (s != nullptr && t != nullptr && port >= 1 && port <= 65535) {
    const auto port16 = static_cast<uint16_t>(port);
    EXPECT_EQ(snapshot.Decide(*s, *t, port16, protocol), *d)
        << "Decide(IpAddress...) on " << src << " -> " << dst << ":" << port;
    if (s->is_v4() && t->is_v4()) {
      const V4Connection v4{s->v4(), t->v4(), port16, protocol};
      Decision batch;
      snapshot.DecideV4(absl::MakeConstSpan(&v4, 1), absl::MakeSpan(&batch, 1));
      EXPECT_EQ(batch, *d) << "DecideV4 on " << src << " -> " << dst << ":"
                           << port;
      EXPECT_EQ(DecideCompactV4One(snapshot, v4), *d)
          << "DecideCompactV4 on " << src << " -> " << dst << ":" << port;
    }
  }
  return *d;
}

}  // namespace testing_util
}  // namespace netpol

#endif  // NETPOL_TESTS_CORE_TEST_UTIL_H_
