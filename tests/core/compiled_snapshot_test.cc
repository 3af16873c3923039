// One test per rule of the semantics contract, each on a small cluster
// written inline as YAML. Expected values follow the Kubernetes
// NetworkPolicy reference, not the implementation.

#include "core/compiled_snapshot.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/test_util.h"

namespace netpol {
namespace {

using testing_util::Allow;
using testing_util::CompileYaml;
using testing_util::Deny;
using testing_util::NamespaceYaml;
using testing_util::PodYaml;

constexpr Protocol kTcp = Protocol::kTcp;
constexpr Protocol kUdp = Protocol::kUdp;
constexpr Protocol kSctp = Protocol::kSctp;

const Decision kNotIsolated = Allow(Reason::kNotIsolated);
const Decision kByPolicy = Allow(Reason::kAllowedByPolicy);
const Decision kLoopback = Allow(Reason::kLoopback);
const Decision kDeniedIngress = Deny(Reason::kDeniedIngress);
const Decision kDeniedEgress = Deny(Reason::kDeniedEgress);

// "---\n" + a NetworkPolicy in `ns` named `name` with `spec` (YAML indented
// two spaces).
std::string PolicyYaml(const std::string& ns, const std::string& name,
                       const std::string& spec) {
  return absl::StrCat(
      "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
      "metadata:\n  name: ",
      name, "\n  namespace: ", ns, "\nspec:\n", spec);
}

// Namespaces x {team: alpha} and y {team: beta}; pods x/a, x/b, x/c,
// y/a, y/b, y/c labelled app=<name>, and z/d (z undeclared).
std::string BaseCluster() {
  return absl::StrCat(NamespaceYaml("x", "{team: alpha}"),
                      NamespaceYaml("y", "{team: beta}"),
                      PodYaml("x", "a", "{app: a}", "10.0.1.1"),
                      PodYaml("x", "b", "{app: b}", "10.0.1.2"),
                      PodYaml("x", "c", "{app: c}", "10.0.1.3"),
                      PodYaml("y", "a", "{app: a}", "10.0.2.1"),
                      PodYaml("y", "b", "{app: b}", "10.0.2.2"),
                      PodYaml("y", "c", "{app: c}", "10.0.2.3"),
                      PodYaml("z", "d", "{app: d}", "10.0.3.4"));
}

class SnapshotTest : public ::testing::Test {
 protected:
  // Compiles BaseCluster() plus `extra`.
  void Build(const std::string& extra, const CompileOptions& options = {}) {
    BuildRaw(absl::StrCat(BaseCluster(), extra), options);
  }
  void BuildRaw(const std::string& yaml, const CompileOptions& options = {}) {
    snap_ = CompileYaml(yaml, options);
    ASSERT_NE(snap_, nullptr);
  }
  Decision D(const std::string& src, const std::string& dst, uint32_t port = 80,
             Protocol protocol = kTcp) {
    if (snap_ == nullptr) return Decision{};
    return testing_util::DecideOrFail(*snap_, src, dst, port, protocol);
  }

  std::unique_ptr<const CompiledSnapshot> snap_;
};

// --- No policies --------------------------------------------------------

TEST_F(SnapshotTest, NoPoliciesAllowsEverything) {
  Build("");
  EXPECT_EQ(D("x/a", "x/b"), kNotIsolated);
  EXPECT_EQ(D("x/a", "y/b", 1, kUdp), kNotIsolated);
  EXPECT_EQ(D("10.0.1.1", "10.0.2.2", 65535, kSctp), kNotIsolated);
  EXPECT_EQ(D("192.0.2.1", "x/a"), kNotIsolated);
  EXPECT_EQ(D("x/a", "192.0.2.1"), kNotIsolated);
  EXPECT_EQ(D("192.0.2.1", "198.51.100.1"), kNotIsolated);
}

// --- Pod selection ------------------------------------------------------

TEST_F(SnapshotTest, EmptyPodSelectorSelectsEveryPodOfItsNamespaceOnly) {
  Build(
      PolicyYaml("x", "deny", "  podSelector: {}\n  policyTypes: [Ingress]\n"));
  EXPECT_EQ(D("x/a", "x/b"), kDeniedIngress);
  EXPECT_EQ(D("y/a", "x/c"), kDeniedIngress);
  EXPECT_EQ(D("192.0.2.1", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("x/a", "y/b"), kNotIsolated);
  EXPECT_EQ(D("y/a", "y/b"), kNotIsolated);
  EXPECT_EQ(D("x/a", "z/d"), kNotIsolated);
}

TEST_F(SnapshotTest, NullPodSelectorSelectsEveryPodOfItsNamespace) {
  Build(PolicyYaml("y", "deny", "  podSelector: null\n  ingress: []\n"));
  EXPECT_EQ(D("x/a", "y/a"), kDeniedIngress);
  EXPECT_EQ(D("x/a", "y/c"), kDeniedIngress);
  EXPECT_EQ(D("y/a", "x/a"), kNotIsolated);
}

TEST_F(SnapshotTest, PodSelectorMatchLabelsSelectsInPolicyNamespaceOnly) {
  Build(PolicyYaml("x", "deny-a", R"(  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress]
)"));
  EXPECT_EQ(D("x/b", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("x/a", "x/b"), kNotIsolated);
  EXPECT_EQ(D("x/b", "y/a"), kNotIsolated) << "y/a has app=a but is in y";
}

TEST_F(SnapshotTest, PodSelectorOperators) {
  const std::string pods = absl::StrCat(
      NamespaceYaml("s"), PodYaml("s", "fe", "{tier: fe}", "10.9.0.1"),
      PodYaml("s", "be", "{tier: be}", "10.9.0.2"),
      PodYaml("s", "none", "{}", "10.9.0.3"),
      PodYaml("s", "canary", "{tier: fe, canary: \"\"}", "10.9.0.4"));
  struct Case {
    std::string selector;
    bool fe, be, none, canary;  // expected isolation
  };
  const Case cases[] = {
      {"{matchExpressions: [{key: tier, operator: In, values: [fe, x]}]}", true,
       false, false, true},
      {"{matchExpressions: [{key: tier, operator: NotIn, values: [fe]}]}",
       false, true, true, false},
      {"{matchExpressions: [{key: tier, operator: Exists}]}", true, true, false,
       true},
      {"{matchExpressions: [{key: canary, operator: DoesNotExist}]}", true,
       true, true, false},
      {"{matchExpressions: [{key: canary, operator: Exists}]}", false, false,
       false, true},
      {"{matchLabels: {tier: fe}, matchExpressions: [{key: canary, operator: "
       "DoesNotExist}]}",
       true, false, false, false},
      {"{matchLabels: {canary: \"\"}}", false, false, false, true},
      {"{matchExpressions: [{key: tier, operator: In, values: [fe]}, {key: "
       "tier, operator: NotIn, values: [fe]}]}",
       false, false, false, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.selector);
    BuildRaw(absl::StrCat(
        pods, PolicyYaml("s", "p",
                         absl::StrCat("  podSelector: ", c.selector,
                                      "\n  policyTypes: [Ingress]\n"))));
    auto expect = [&](const std::string& pod, bool isolated) {
      EXPECT_EQ(D("192.0.2.1", absl::StrCat("s/", pod)),
                isolated ? kDeniedIngress : kNotIsolated)
          << pod;
    };
    expect("fe", c.fe);
    expect("be", c.be);
    expect("none", c.none);
    expect("canary", c.canary);
  }
}

// --- policyTypes --------------------------------------------------------

TEST_F(SnapshotTest, OmittedPolicyTypesWithoutEgressIsIngressOnly) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: b}}}]
)"));
  EXPECT_EQ(D("x/b", "x/a"), kByPolicy);
  EXPECT_EQ(D("x/c", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("x/a", "x/c"), kNotIsolated);
  EXPECT_EQ(D("x/a", "192.0.2.1"), kNotIsolated);
}

TEST_F(SnapshotTest, OmittedPolicyTypesWithEgressRulesIsolatesBoth) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  egress:
  - to: [{podSelector: {matchLabels: {app: b}}}]
)"));
  EXPECT_EQ(D("x/a", "x/b"), kByPolicy);
  EXPECT_EQ(D("x/a", "x/c"), kDeniedEgress);
  EXPECT_EQ(D("x/a", "192.0.2.1"), kDeniedEgress);
  // Ingress is always implied, and there are no ingress rules.
  EXPECT_EQ(D("x/b", "x/a"), kDeniedIngress);
}

TEST_F(SnapshotTest, EmptyEgressListAloneDoesNotIsolateEgress) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  egress: []
)"));
  EXPECT_EQ(D("x/a", "x/c"), kNotIsolated);
  EXPECT_EQ(D("x/a", "192.0.2.1"), kNotIsolated);
  EXPECT_EQ(D("x/c", "x/a"), kDeniedIngress);
}

TEST_F(SnapshotTest, ExplicitEgressTypeIgnoresIngressRules) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: b}}}]
  egress:
  - to: [{podSelector: {matchLabels: {app: b}}}]
)"));
  EXPECT_EQ(D("x/c", "x/a"), kNotIsolated) << "ingress not listed";
  EXPECT_EQ(D("x/b", "x/a"), kNotIsolated);
  EXPECT_EQ(D("x/a", "x/b"), kByPolicy);
  EXPECT_EQ(D("x/a", "x/c"), kDeniedEgress);
}

TEST_F(SnapshotTest, ExplicitIngressTypeIgnoresEgressRules) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress]
  egress:
  - to: [{podSelector: {matchLabels: {app: b}}}]
)"));
  EXPECT_EQ(D("x/a", "x/c"), kNotIsolated) << "egress not listed";
  EXPECT_EQ(D("x/a", "192.0.2.1"), kNotIsolated);
  EXPECT_EQ(D("x/b", "x/a"), kDeniedIngress) << "no ingress rules";
}

TEST_F(SnapshotTest, EgressTypeWithoutRulesDeniesAllEgress) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
)"));
  EXPECT_EQ(D("x/a", "x/b"), kDeniedEgress);
  EXPECT_EQ(D("x/a", "y/b"), kDeniedEgress);
  EXPECT_EQ(D("x/a", "192.0.2.1", 53, kUdp), kDeniedEgress);
  EXPECT_EQ(D("x/b", "x/a"), kNotIsolated);
}

TEST_F(SnapshotTest, EmptyIngressListWithTypeDeniesAll) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress, Egress]
  ingress: []
  egress: []
)"));
  EXPECT_EQ(D("x/b", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("192.0.2.1", "x/a", 443), kDeniedIngress);
  EXPECT_EQ(D("x/a", "x/b"), kDeniedEgress);
  EXPECT_EQ(D("x/a", "2001:db8::1"), kDeniedEgress);
}

TEST_F(SnapshotTest, EmptyRuleAllowsEverything) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress, Egress]
  ingress: [{}]
  egress: [{}]
)"));
  EXPECT_EQ(D("x/b", "x/a", 1, kSctp), kByPolicy);
  EXPECT_EQ(D("192.0.2.1", "x/a"), kByPolicy);
  EXPECT_EQ(D("2001:db8::1", "x/a", 65535, kUdp), kByPolicy);
  EXPECT_EQ(D("x/a", "y/b"), kByPolicy);
  EXPECT_EQ(D("x/a", "192.0.2.1"), kByPolicy);
}

// --- Combining directions and policies ------------------------------------

TEST_F(SnapshotTest, EgressAndIngressMustBothAllow) {
  Build(absl::StrCat(
      PolicyYaml("x", "a-egress", R"(  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {app: b}}}]}]
)"),
      PolicyYaml("x", "b-ingress", R"(  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{podSelector: {matchLabels: {app: c}}}]}]
)")));
  EXPECT_EQ(D("x/a", "x/b"), kDeniedIngress);
  EXPECT_EQ(D("x/c", "x/b"), kByPolicy);
  EXPECT_EQ(D("x/a", "x/c"), kDeniedEgress);
}

TEST_F(SnapshotTest, EgressDenialIsReportedFirst) {
  Build(absl::StrCat(
      PolicyYaml("x", "a-no-egress", R"(  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
)"),
      PolicyYaml("x", "b-no-ingress", R"(  podSelector: {matchLabels: {app: b}}
  policyTypes: [Ingress]
)")));
  EXPECT_EQ(D("x/a", "x/b"), kDeniedEgress);
  EXPECT_EQ(D("10.0.1.1", "10.0.1.2"), kDeniedEgress);
  EXPECT_EQ(D("x/c", "x/b"), kDeniedIngress);
}

TEST_F(SnapshotTest, PoliciesAreAdditive) {
  Build(absl::StrCat(
      PolicyYaml("x", "from-b", R"(  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{podSelector: {matchLabels: {app: b}}}]}]
)"),
      PolicyYaml("x", "from-y", R"(  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: beta}}}]}]
)"),
      PolicyYaml("x", "deny-all", "  podSelector: {}\n  ingress: []\n")));
  EXPECT_EQ(D("x/b", "x/a"), kByPolicy);
  EXPECT_EQ(D("y/c", "x/a"), kByPolicy);
  EXPECT_EQ(D("x/c", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("x/a", "x/b"), kDeniedIngress);
}

TEST_F(SnapshotTest, ReasonNotIsolatedIgnoresIrrelevantDirections) {
  // a is isolated for ingress only, b for egress only: a -> b crosses
  // neither isolation.
  Build(absl::StrCat(
      PolicyYaml("x", "a-in", R"(  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress]
)"),
      PolicyYaml("x", "b-out", R"(  podSelector: {matchLabels: {app: b}}
  policyTypes: [Egress]
)")));
  EXPECT_EQ(D("x/a", "x/b"), kNotIsolated);
  EXPECT_EQ(D("x/b", "x/a"), kDeniedEgress);
}

TEST_F(SnapshotTest, ReasonAllowedByPolicyWhenOnlyOneSideIsolated) {
  Build(PolicyYaml("x", "a-out", R"(  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {app: b}}}]}]
)"));
  EXPECT_EQ(D("x/a", "x/b"), kByPolicy);
  EXPECT_EQ(D("x/c", "x/b"), kNotIsolated);
}

// --- Peers ----------------------------------------------------------------

TEST_F(SnapshotTest, PodSelectorPeerMatchesPolicyNamespaceOnly) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{podSelector: {matchLabels: {app: b}}}]}]
)"));
  EXPECT_EQ(D("x/b", "x/a"), kByPolicy);
  EXPECT_EQ(D("y/b", "x/a"), kDeniedIngress);
}

TEST_F(SnapshotTest, EmptyPodSelectorPeerMatchesPolicyNamespaceOnly) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{podSelector: {}}]}]
)"));
  EXPECT_EQ(D("x/b", "x/a"), kByPolicy);
  EXPECT_EQ(D("x/c", "x/a"), kByPolicy);
  EXPECT_EQ(D("y/b", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("z/d", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("192.0.2.1", "x/a"), kDeniedIngress);
}

TEST_F(SnapshotTest, NamespaceSelectorPeerMatchesAllPodsOfMatchingNamespaces) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: beta}}}]}]
)"));
  EXPECT_EQ(D("y/a", "x/a"), kByPolicy);
  EXPECT_EQ(D("y/c", "x/a"), kByPolicy);
  EXPECT_EQ(D("x/b", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("z/d", "x/a"), kDeniedIngress);
}

TEST_F(SnapshotTest, PodAndNamespaceSelectorInOnePeerAreAnded) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: beta}}
      podSelector: {matchLabels: {app: b}}
)"));
  EXPECT_EQ(D("y/b", "x/a"), kByPolicy);
  EXPECT_EQ(D("y/c", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("x/b", "x/a"), kDeniedIngress);
}

TEST_F(SnapshotTest, PeersAreOred) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: beta}}
    - podSelector: {matchLabels: {app: b}}
)"));
  EXPECT_EQ(D("y/c", "x/a"), kByPolicy);
  EXPECT_EQ(D("x/b", "x/a"), kByPolicy);
  EXPECT_EQ(D("x/c", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("z/d", "x/a"), kDeniedIngress);
}

TEST_F(SnapshotTest, EmptyNamespaceSelectorMatchesEveryPodButNoExternalIp) {
  for (const char* peer : {"{namespaceSelector: {}}",
                           "{namespaceSelector: {}, podSelector: {}}"}) {
    SCOPED_TRACE(peer);
    Build(PolicyYaml(
        "x", "p",
        absl::StrCat("  podSelector: {matchLabels: {app: a}}\n"
                     "  policyTypes: [Ingress, Egress]\n"
                     "  ingress: [{from: [",
                     peer, "]}]\n  egress: [{to: [", peer, "]}]\n")));
    EXPECT_EQ(D("x/b", "x/a"), kByPolicy);
    EXPECT_EQ(D("y/b", "x/a"), kByPolicy);
    EXPECT_EQ(D("z/d", "x/a"), kByPolicy);
    EXPECT_EQ(D("192.0.2.1", "x/a"), kDeniedIngress);
    EXPECT_EQ(D("10.0.1.99", "x/a"), kDeniedIngress);
    EXPECT_EQ(D("x/a", "z/d"), kByPolicy);
    EXPECT_EQ(D("x/a", "192.0.2.1"), kDeniedEgress);
  }
}

TEST_F(SnapshotTest, NamespacesCarryTheirNameLabel) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: z}}
    - namespaceSelector:
        matchExpressions:
        - {key: kubernetes.io/metadata.name, operator: In, values: [y]}
      podSelector: {matchLabels: {app: c}}
)"));
  EXPECT_EQ(D("z/d", "x/a"), kByPolicy) << "z is undeclared";
  EXPECT_EQ(D("y/c", "x/a"), kByPolicy) << "y is declared without the label";
  EXPECT_EQ(D("y/b", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("x/c", "x/a"), kDeniedIngress);
}

TEST_F(SnapshotTest, UndeclaredNamespaceHasOnlyTheNameLabel) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions: [{key: team, operator: DoesNotExist}]
)"));
  EXPECT_EQ(D("z/d", "x/a"), kByPolicy);
  EXPECT_EQ(D("y/b", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("x/b", "x/a"), kDeniedIngress);
}

TEST_F(SnapshotTest, RulesAreOred) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: b}}}]
    ports: [{port: 80}]
  - from: [{podSelector: {matchLabels: {app: c}}}]
    ports: [{port: 81}]
)"));
  EXPECT_EQ(D("x/b", "x/a", 80), kByPolicy);
  EXPECT_EQ(D("x/b", "x/a", 81), kDeniedIngress);
  EXPECT_EQ(D("x/c", "x/a", 81), kByPolicy);
  EXPECT_EQ(D("x/c", "x/a", 80), kDeniedIngress);
}

TEST_F(SnapshotTest, MissingOrEmptyFromMatchesEveryPeer) {
  for (const char* rule :
       {"{ports: [{port: 80}]}", "{from: [], ports: [{port: 80}]}"}) {
    SCOPED_TRACE(rule);
    Build(PolicyYaml("x", "p",
                     absl::StrCat("  podSelector: {matchLabels: {app: a}}\n"
                                  "  ingress: [",
                                  rule, "]\n")));
    EXPECT_EQ(D("x/b", "x/a", 80), kByPolicy);
    EXPECT_EQ(D("y/b", "x/a", 80), kByPolicy);
    EXPECT_EQ(D("192.0.2.1", "x/a", 80), kByPolicy);
    EXPECT_EQ(D("2001:db8::1", "x/a", 80), kByPolicy);
    EXPECT_EQ(D("x/b", "x/a", 81), kDeniedIngress);
  }
}

TEST_F(SnapshotTest, MissingOrEmptyToMatchesEveryPeer) {
  for (const char* rule :
       {"{ports: [{port: 80}]}", "{to: [], ports: [{port: 80}]}"}) {
    SCOPED_TRACE(rule);
    Build(PolicyYaml("x", "p",
                     absl::StrCat("  podSelector: {matchLabels: {app: a}}\n"
                                  "  policyTypes: [Egress]\n  egress: [",
                                  rule, "]\n")));
    EXPECT_EQ(D("x/a", "x/b", 80), kByPolicy);
    EXPECT_EQ(D("x/a", "z/d", 80), kByPolicy);
    EXPECT_EQ(D("x/a", "192.0.2.1", 80), kByPolicy);
    EXPECT_EQ(D("x/a", "2001:db8::1", 80), kByPolicy);
    EXPECT_EQ(D("x/a", "x/b", 81), kDeniedEgress);
  }
}

TEST_F(SnapshotTest, MissingOrEmptyPortsMatchEveryPortAndProtocol) {
  for (const char* rule : {"{from: [{podSelector: {matchLabels: {app: b}}}]}",
                           "{from: [{podSelector: {matchLabels: {app: "
                           "b}}}], ports: []}"}) {
    SCOPED_TRACE(rule);
    Build(PolicyYaml("x", "p",
                     absl::StrCat("  podSelector: {matchLabels: {app: a}}\n"
                                  "  ingress: [",
                                  rule, "]\n")));
    for (Protocol p : {kTcp, kUdp, kSctp}) {
      for (uint32_t port : {1u, 80u, 8080u, 65535u}) {
        EXPECT_EQ(D("x/b", "x/a", port, p), kByPolicy) << port;
        EXPECT_EQ(D("x/c", "x/a", port, p), kDeniedIngress) << port;
      }
    }
  }
}

// --- ipBlock --------------------------------------------------------------

TEST_F(SnapshotTest, IpBlockIsCidrMinusExcept) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - ipBlock:
        cidr: 192.0.2.0/24
        except: [192.0.2.128/25, 192.0.2.7/32]
)"));
  EXPECT_EQ(D("192.0.2.0", "x/a"), kByPolicy);
  EXPECT_EQ(D("192.0.2.1", "x/a"), kByPolicy);
  EXPECT_EQ(D("192.0.2.6", "x/a"), kByPolicy);
  EXPECT_EQ(D("192.0.2.7", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("192.0.2.8", "x/a"), kByPolicy);
  EXPECT_EQ(D("192.0.2.127", "x/a"), kByPolicy);
  EXPECT_EQ(D("192.0.2.128", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("192.0.2.255", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("192.0.3.0", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("192.0.1.255", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("::ffff:192.0.2.1", "x/a"), kDeniedIngress) << "IPv6";
}

TEST_F(SnapshotTest, IpBlockIpv6) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{ipBlock: {cidr: "2001:db8::/32", except: ["2001:db8:1::/48"]}}]
  egress:
  - to: [{ipBlock: {cidr: "2001:db8::/32"}}]
)"));
  EXPECT_EQ(D("2001:db8::5", "x/a"), kByPolicy);
  EXPECT_EQ(D("2001:db8:ffff::5", "x/a"), kByPolicy);
  EXPECT_EQ(D("2001:db8:1::5", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("2001:db9::1", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("32.1.13.184", "x/a"), kDeniedIngress) << "same bits, IPv4";
  EXPECT_EQ(D("x/a", "2001:db8:1::1"), kByPolicy);
  EXPECT_EQ(D("x/a", "2001:db9::1"), kDeniedEgress);
  EXPECT_EQ(D("x/a", "192.0.2.1"), kDeniedEgress);
}

TEST_F(SnapshotTest, IpBlockAllAddressesOfBothFamilies) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0}}, {ipBlock: {cidr: "::/0"}}]
)"));
  EXPECT_EQ(D("x/a", "0.0.0.0"), kByPolicy);
  EXPECT_EQ(D("x/a", "255.255.255.255"), kByPolicy);
  EXPECT_EQ(D("x/a", "::"), kByPolicy);
  EXPECT_EQ(D("x/a", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), kByPolicy);
  EXPECT_EQ(D("x/a", "x/b"), kByPolicy) << "pod IPs match by default";
}

TEST_F(SnapshotTest, IpBlockMatchesPodIpsUnlessDisabled) {
  const std::string policy =
      PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{ipBlock: {cidr: 10.0.1.0/24}}]}]
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/16}}]}]
)");
  Build(policy);
  EXPECT_EQ(D("x/b", "x/a"), kByPolicy);
  EXPECT_EQ(D("10.0.1.2", "x/a"), kByPolicy);
  EXPECT_EQ(D("10.0.1.99", "x/a"), kByPolicy);
  EXPECT_EQ(D("x/a", "y/b"), kByPolicy);
  EXPECT_EQ(D("x/a", "10.0.2.2"), kByPolicy);
  EXPECT_EQ(D("y/b", "x/a"), kDeniedIngress);

  CompileOptions options;
  options.ipblock_matches_pods = false;
  Build(policy, options);
  EXPECT_EQ(D("x/b", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("10.0.1.2", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("10.0.1.99", "x/a"), kByPolicy) << "no pod has this IP";
  EXPECT_EQ(D("x/a", "y/b"), kDeniedEgress);
  EXPECT_EQ(D("x/a", "10.0.2.2"), kDeniedEgress);
  EXPECT_EQ(D("x/a", "10.0.2.99"), kByPolicy);
}

// --- Ports ----------------------------------------------------------------

TEST_F(SnapshotTest, ProtocolDefaultsToTcp) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  ingress: [{ports: [{port: 53}]}]
)"));
  EXPECT_EQ(D("x/b", "x/a", 53, kTcp), kByPolicy);
  EXPECT_EQ(D("x/b", "x/a", 53, kUdp), kDeniedIngress);
  EXPECT_EQ(D("x/b", "x/a", 53, kSctp), kDeniedIngress);
}

TEST_F(SnapshotTest, UdpAndSctpPorts) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  ingress:
  - ports: [{protocol: UDP, port: 53}, {protocol: SCTP, port: 3868}]
  - from: [{podSelector: {matchLabels: {app: c}}}]
    ports: [{protocol: UDP}]
)"));
  EXPECT_EQ(D("x/b", "x/a", 53, kUdp), kByPolicy);
  EXPECT_EQ(D("x/b", "x/a", 53, kTcp), kDeniedIngress);
  EXPECT_EQ(D("x/b", "x/a", 3868, kSctp), kByPolicy);
  EXPECT_EQ(D("x/b", "x/a", 3868, kTcp), kDeniedIngress);
  EXPECT_EQ(D("x/b", "x/a", 3868, kUdp), kDeniedIngress);
  EXPECT_EQ(D("x/b", "x/a", 54, kUdp), kDeniedIngress);
  // Protocol without a port: every port of that protocol.
  EXPECT_EQ(D("x/c", "x/a", 1, kUdp), kByPolicy);
  EXPECT_EQ(D("x/c", "x/a", 65535, kUdp), kByPolicy);
  EXPECT_EQ(D("x/c", "x/a", 80, kTcp), kDeniedIngress);
  EXPECT_EQ(D("x/c", "x/a", 80, kSctp), kDeniedIngress);
}

TEST_F(SnapshotTest, EndPortRangeIsInclusive) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  ingress:
  - ports: [{port: 8000, endPort: 8010}, {protocol: UDP, port: 65530, endPort: 65535}]
)"));
  EXPECT_EQ(D("x/b", "x/a", 7999), kDeniedIngress);
  EXPECT_EQ(D("x/b", "x/a", 8000), kByPolicy);
  EXPECT_EQ(D("x/b", "x/a", 8005), kByPolicy);
  EXPECT_EQ(D("x/b", "x/a", 8010), kByPolicy);
  EXPECT_EQ(D("x/b", "x/a", 8011), kDeniedIngress);
  EXPECT_EQ(D("x/b", "x/a", 8005, kUdp), kDeniedIngress);
  EXPECT_EQ(D("x/b", "x/a", 65529, kUdp), kDeniedIngress);
  EXPECT_EQ(D("x/b", "x/a", 65530, kUdp), kByPolicy);
  EXPECT_EQ(D("x/b", "x/a", 65535, kUdp), kByPolicy);
}

// More than 64 port classes: the port matcher's bitsets take several
// words, the path the batch loop does not specialise. x/a admits ports
// 3000 + 4k and x/b ports 3001 + 4k, which cuts the range into classes of
// period three; reading the wrong word would show as a period-64 shift.
// D() checks every IPv4 query through DecideV4 too.
TEST_F(SnapshotTest, ManyPortClassesSpanSeveralBitsetWords) {
  std::string a_ports, b_ports;
  for (int port = 3000; port < 3200; port += 4) {
    absl::StrAppend(&a_ports, a_ports.empty() ? "" : ", ", "{port: ", port,
                    "}");
    absl::StrAppend(&b_ports, b_ports.empty() ? "" : ", ", "{port: ", port + 1,
                    "}");
  }
  auto policy = [](const std::string& app, const std::string& ports) {
    return PolicyYaml(
        "x", app,
        absl::StrCat("  podSelector: {matchLabels: {app: ", app,
                     "}}\n  ingress:\n  - ports: [", ports, "]\n"));
  };
  Build(absl::StrCat(policy("a", a_ports), policy("b", b_ports)));
  for (int port = 2996; port < 3204; ++port) {
    const bool in_range = port >= 3000 && port < 3200;
    EXPECT_EQ(D("10.0.1.3", "10.0.1.1", port),
              in_range && port % 4 == 0 ? kByPolicy : kDeniedIngress)
        << port;
    EXPECT_EQ(D("10.0.1.3", "10.0.1.2", port),
              in_range && port % 4 == 1 ? kByPolicy : kDeniedIngress)
        << port;
  }
  EXPECT_EQ(D("10.0.1.3", "10.0.1.1", 3000, kUdp), kDeniedIngress);
}

// The compact form: code 0 is TCP, invalid connections (port 0, a code
// above 3) are denied as invalid and counted, the rest decide as Decide
// does, across several stages of the batch loop.
TEST_F(SnapshotTest, CompactBlockDecidesLikeDecideAndCountsReasons) {
  Build(PolicyYaml("x", "in", R"(  podSelector: {matchLabels: {app: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: b}}}]
    ports: [{port: 80}, {port: 53, protocol: UDP}]
)"));
  const uint32_t a = 0x0A000101, b = 0x0A000102, c = 0x0A000103;
  struct Item {
    uint32_t source, destination, port_protocol;
    Decision expected;
  };
  const std::vector<Item> pattern = {
      {b, a, 80 | 1 << 16, kByPolicy},
      {b, a, 80, kByPolicy},  // code 0: TCP
      {b, a, 80 | 2 << 16, kDeniedIngress},
      {b, a, 53 | 2 << 16, kByPolicy},
      {c, a, 80 | 1 << 16, kDeniedIngress},
      {a, a, 80 | 3 << 16, kLoopback},
      {a, b, 80 | 1 << 16, kNotIsolated},
      {b, a, 0 | 1 << 16, Deny(Reason::kInvalid)},
      {b, a, 80 | 4 << 16, Deny(Reason::kInvalid)},
      {0xC0000201, a, 80 | 1 << 16, kDeniedIngress},
  };
  std::string sources, destinations;
  std::vector<uint32_t> port_protocols;
  std::vector<Decision> expected;
  for (int i = 0; i < 50; ++i) {  // 500 connections: several stages
    for (const Item& item : pattern) {
      sources += testing_util::BigEndianV4(item.source);
      destinations += testing_util::BigEndianV4(item.destination);
      port_protocols.push_back(item.port_protocol);
      expected.push_back(item.expected);
    }
  }
  std::string verdicts(expected.size(), '?');
  ReasonCounts counts{};
  snap_->DecideCompactV4({sources.data(), destinations.data(),
                          port_protocols.data(), port_protocols.size()},
                         'A', 'D', verdicts.data(), &counts);
  ReasonCounts expected_counts{};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(verdicts[i], expected[i].allowed ? 'A' : 'D') << i;
    ++expected_counts[static_cast<size_t>(expected[i].reason)];
  }
  EXPECT_EQ(counts, expected_counts);
}

// One ingress policy, and so one port set, per pod: decisions read cells
// of both widths, and row 0 (the not-isolated set, whose id is one past
// the compiler's sets) on the egress side.
class PortSetCountTest : public SnapshotTest,
                         public ::testing::WithParamInterface<int> {};

TEST_P(PortSetCountTest, DecidesAtEveryCellWidth) {
  const int pods = GetParam();
  std::string yaml = NamespaceYaml("m");
  for (int i = 0; i < pods; ++i) {
    const std::string app = absl::StrCat("p", i);
    absl::StrAppend(
        &yaml,
        PodYaml("m", app, absl::StrCat("{app: ", app, "}"),
                absl::StrCat("10.9.", i / 200, ".", i % 200 + 1)),
        PolicyYaml("m", app,
                   absl::StrCat("  podSelector: {matchLabels: {app: ", app,
                                "}}\n  ingress:\n  - ports: [{port: ", 1000 + i,
                                "}]\n")));
  }
  BuildRaw(yaml);
  // The empty set, and one per pod.
  ASSERT_EQ(snap_->stats().port_sets, static_cast<size_t>(pods) + 1);
  for (int i = 0; i < pods; i += 7) {
    const std::string pod = absl::StrCat("10.9.", i / 200, ".", i % 200 + 1);
    EXPECT_EQ(D("192.0.2.1", pod, 1000 + i), kByPolicy) << i;
    EXPECT_EQ(D("192.0.2.1", pod, 1001 + i), kDeniedIngress) << i;
    EXPECT_EQ(D("10.9.0.1", pod, 1000 + i), i == 0 ? kLoopback : kByPolicy)
        << i;
  }
}

// 254 pods: 255 sets, the not-isolated one is 255 and cells are bytes; 255
// pods: it is 256 and cells are two bytes wide.
INSTANTIATE_TEST_SUITE_P(AroundOneByteCells, PortSetCountTest,
                         ::testing::Values(254, 255, 300));

// Without the IPv4 address map (as when pod addresses are too scattered
// for it), the batch path looks addresses up in the hash index and the
// external ranges, and decides alike.
TEST_F(SnapshotTest, DecidesAlikeWithoutTheAddressMap) {
  CompileOptions options;
  options.max_v4_address_map_bytes = 0;
  Build(absl::StrCat(
            PolicyYaml("x", "in", R"(  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: b}}
    - ipBlock: {cidr: 192.0.2.0/24, except: [192.0.2.128/25]}
    ports: [{port: 80}]
)"),
            PolicyYaml("y", "out", R"(  podSelector: {}
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/16}}]
)")),
        options);
  EXPECT_EQ(D("x/b", "x/a"), kByPolicy);
  EXPECT_EQ(D("x/c", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("192.0.2.1", "x/a"), kByPolicy);
  EXPECT_EQ(D("192.0.2.200", "x/a"), kDeniedIngress);
  EXPECT_EQ(D("x/a", "x/a"), kLoopback);
  EXPECT_EQ(D("y/a", "x/b"), kByPolicy);
  EXPECT_EQ(D("y/a", "192.0.2.1"), kDeniedEgress);
  EXPECT_EQ(D("y/a", "y/a"), kLoopback);
  EXPECT_EQ(D("192.0.2.1", "198.51.100.1"), kNotIsolated);
}

// Pods with named container ports for the named-port tests.
std::string NamedPortCluster() {
  return absl::StrCat(
      NamespaceYaml("n"),
      PodYaml("n", "web1", "{app: web}", "10.5.0.1",
              "[{name: http, containerPort: 8080}, {name: dns, containerPort: "
              "53, protocol: UDP}]"),
      PodYaml("n", "web2", "{app: web}", "10.5.0.2",
              "[{name: http, containerPort: 9090}, {name: metrics, "
              "containerPort: 9100, protocol: SCTP}]"),
      PodYaml("n", "plain", "{app: web}", "10.5.0.3", "[]"),
      PodYaml("n", "client", "{app: client}", "10.5.0.9",
              "[{name: http, containerPort: 7070}]"),
      PodYaml("n", "host", "{app: web}", "192.168.7.7",
              "[{name: http, containerPort: 8080}]", /*host_network=*/true));
}

TEST_F(SnapshotTest, NamedPortResolvedOnDestinationPodForIngress) {
  BuildRaw(absl::StrCat(
      NamedPortCluster(),
      PolicyYaml("n", "p", R"(  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: http}]}]
)")));
  EXPECT_EQ(D("n/client", "n/web1", 8080), kByPolicy);
  EXPECT_EQ(D("n/client", "n/web1", 9090), kDeniedIngress);
  EXPECT_EQ(D("n/client", "n/web1", 80), kDeniedIngress);
  EXPECT_EQ(D("n/client", "n/web1", 7070), kDeniedIngress) << "source's port";
  EXPECT_EQ(D("n/client", "n/web2", 9090), kByPolicy);
  EXPECT_EQ(D("n/client", "n/web2", 8080), kDeniedIngress);
  EXPECT_EQ(D("n/client", "n/plain", 8080), kDeniedIngress);
  EXPECT_EQ(D("192.0.2.1", "10.5.0.2", 9090), kByPolicy);
  EXPECT_EQ(D("n/client", "n/web1", 8080, kUdp), kDeniedIngress);
}

TEST_F(SnapshotTest, NamedPortNeedsNameAndProtocol) {
  BuildRaw(absl::StrCat(
      NamedPortCluster(),
      PolicyYaml("n", "p", R"(  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: dns}, {protocol: UDP, port: http}]
  - from: [{ipBlock: {cidr: 192.0.2.0/24}}]
    ports: [{protocol: UDP, port: dns}, {protocol: SCTP, port: metrics}]
)")));
  // TCP "dns" and UDP "http" name ports whose protocol differs.
  EXPECT_EQ(D("n/client", "n/web1", 53, kTcp), kDeniedIngress);
  EXPECT_EQ(D("n/client", "n/web1", 53, kUdp), kDeniedIngress);
  EXPECT_EQ(D("n/client", "n/web1", 8080, kUdp), kDeniedIngress);
  EXPECT_EQ(D("n/client", "n/web1", 8080, kTcp), kDeniedIngress);
  EXPECT_EQ(D("192.0.2.1", "n/web1", 53, kUdp), kByPolicy);
  EXPECT_EQ(D("192.0.2.1", "n/web1", 53, kTcp), kDeniedIngress);
  EXPECT_EQ(D("192.0.2.1", "n/web2", 9100, kSctp), kByPolicy);
  EXPECT_EQ(D("192.0.2.1", "n/web2", 9100, kTcp), kDeniedIngress);
  EXPECT_EQ(D("192.0.2.1", "n/web2", 53, kUdp), kDeniedIngress);
}

TEST_F(SnapshotTest, NamedPortResolvedOnDestinationPodForEgress) {
  BuildRaw(absl::StrCat(
      NamedPortCluster(),
      PolicyYaml("n", "p", R"(  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress: [{ports: [{port: http}]}]
)")));
  EXPECT_EQ(D("n/client", "n/web1", 8080), kByPolicy);
  EXPECT_EQ(D("n/client", "n/web1", 9090), kDeniedEgress);
  EXPECT_EQ(D("n/client", "n/web2", 9090), kByPolicy);
  EXPECT_EQ(D("n/client", "n/web2", 8080), kDeniedEgress);
  EXPECT_EQ(D("n/client", "n/web1", 7070), kDeniedEgress)
      << "the source's own http port does not count";
  EXPECT_EQ(D("n/client", "n/plain", 8080), kDeniedEgress);
  EXPECT_EQ(D("10.5.0.9", "10.5.0.1", 8080), kByPolicy);
}

TEST_F(SnapshotTest, NamedPortNeverMatchesExternalDestinations) {
  BuildRaw(absl::StrCat(
      NamedPortCluster(),
      PolicyYaml("n", "p", R"(  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
    ports: [{port: http}]
)")));
  EXPECT_EQ(D("n/client", "192.0.2.1", 8080), kDeniedEgress);
  EXPECT_EQ(D("n/client", "192.0.2.1", 7070), kDeniedEgress);
  EXPECT_EQ(D("n/client", "n/host", 8080), kDeniedEgress) << "hostNetwork";
  EXPECT_EQ(D("n/client", "192.168.7.7", 8080), kDeniedEgress);
  EXPECT_EQ(D("n/client", "n/web1", 8080), kByPolicy);
}

TEST_F(SnapshotTest, NamedPortInAnyContainer) {
  BuildRaw(absl::StrCat(NamespaceYaml("n"), R"(---
apiVersion: v1
kind: Pod
metadata: {name: multi, namespace: n, labels: {app: m}}
spec:
  containers:
  - name: one
    image: example
    ports: [{name: a, containerPort: 1000}]
  - name: two
    image: example
    ports: [{name: b, containerPort: 2000, protocol: UDP}]
status: {podIP: 10.5.1.1}
)",
                        PolicyYaml("n", "p", R"(  podSelector: {}
  ingress: [{ports: [{port: a}, {protocol: UDP, port: b}]}]
)")));
  EXPECT_EQ(D("192.0.2.1", "n/multi", 1000), kByPolicy);
  EXPECT_EQ(D("192.0.2.1", "n/multi", 2000, kUdp), kByPolicy);
  EXPECT_EQ(D("192.0.2.1", "n/multi", 2000), kDeniedIngress);
}

// --- Special endpoints ------------------------------------------------------

TEST_F(SnapshotTest, LoopbackIsAlwaysAllowed) {
  Build(absl::StrCat(
      PodYaml("x", "dual", "{app: dual}", "10.0.1.50,fd00::50"),
      PodYaml("x", "pending", "{app: p}", ""),
      PolicyYaml("x", "lockdown",
                 "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n")));
  EXPECT_EQ(D("x/a", "x/a"), kLoopback);
  EXPECT_EQ(D("10.0.1.1", "10.0.1.1", 9, kUdp), kLoopback);
  EXPECT_EQ(D("x/a", "10.0.1.1"), kLoopback);
  EXPECT_EQ(D("10.0.1.1", "x/a"), kLoopback);
  EXPECT_EQ(D("10.0.1.50", "fd00::50"), kLoopback) << "same pod, two IPs";
  EXPECT_EQ(D("fd00::50", "x/dual"), kLoopback);
  EXPECT_EQ(D("x/pending", "x/pending"), kLoopback);
  EXPECT_EQ(D("x/a", "x/b"), kDeniedEgress);
  // Not isolated at all: still reported as loopback.
  EXPECT_EQ(D("y/a", "y/a"), kLoopback);
}

TEST_F(SnapshotTest, HostNetworkPodsAreNotSelected) {
  Build(absl::StrCat(
      PodYaml("x", "host", "{app: a}", "192.168.1.5", "[]", true),
      PolicyYaml("x", "lockdown",
                 "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n")));
  EXPECT_EQ(D("y/a", "x/host"), kNotIsolated);
  EXPECT_EQ(D("y/a", "192.168.1.5"), kNotIsolated);
  EXPECT_EQ(D("x/host", "y/a"), kNotIsolated);
  EXPECT_EQ(D("192.168.1.5", "y/a"), kNotIsolated);
  EXPECT_EQ(D("x/a", "x/host"), kDeniedEgress);
  EXPECT_EQ(D("x/host", "x/a"), kDeniedIngress);
}

TEST_F(SnapshotTest, HostNetworkPodsAreExternalPeers) {
  const std::string policy = absl::StrCat(
      PodYaml("x", "host", "{app: b}", "192.168.1.5", "[]", true),
      PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: b}}}, {namespaceSelector: {}}]
  - from: [{ipBlock: {cidr: 192.168.1.0/24}}]
    ports: [{port: 81}]
)"));
  for (bool match_pods : {true, false}) {
    SCOPED_TRACE(match_pods);
    CompileOptions options;
    options.ipblock_matches_pods = match_pods;
    Build(policy, options);
    EXPECT_EQ(D("x/b", "x/a", 80), kByPolicy);
    EXPECT_EQ(D("x/host", "x/a", 80), kDeniedIngress);
    EXPECT_EQ(D("192.168.1.5", "x/a", 80), kDeniedIngress);
    EXPECT_EQ(D("x/host", "x/a", 81), kByPolicy);
    EXPECT_EQ(D("192.168.1.5", "x/a", 81), kByPolicy);
  }
}

TEST_F(SnapshotTest, UnknownIpIsExternal) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  ingress:
  - from: [{podSelector: {}}, {namespaceSelector: {}}]
  - from: [{ipBlock: {cidr: 203.0.113.0/24}}]
    ports: [{port: 443}]
)"));
  EXPECT_EQ(D("10.0.1.99", "x/a"), kDeniedIngress) << "inside the pod range";
  EXPECT_EQ(D("203.0.113.5", "x/a", 80), kDeniedIngress);
  EXPECT_EQ(D("203.0.113.5", "x/a", 443), kByPolicy);
  EXPECT_EQ(D("::ffff:10.0.1.2", "x/a"), kDeniedIngress)
      << "IPv4-mapped IPv6 is not the pod's IPv4 address";
  EXPECT_EQ(D("10.0.1.2", "x/a"), kByPolicy);
}

TEST_F(SnapshotTest, ExternalToExternalIsNotIsolated) {
  Build(PolicyYaml("x", "lockdown",
                   "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"));
  EXPECT_EQ(D("192.0.2.1", "198.51.100.1"), kNotIsolated);
  EXPECT_EQ(D("2001:db8::1", "192.0.2.1"), kNotIsolated);
  EXPECT_EQ(D("10.0.1.99", "10.0.1.98"), kNotIsolated);
}

// --- Dual stack -------------------------------------------------------------

// x/d4: dual-stack, IPv4 primary; x/d6: dual-stack, IPv6 primary;
// x/srv: dual-stack target.
std::string DualStackPods() {
  return absl::StrCat(PodYaml("x", "d4", "{app: d4}", "10.0.1.40,fd00::40"),
                      PodYaml("x", "d6", "{app: d6}", "fd00::60,10.0.1.60"),
                      PodYaml("x", "srv", "{app: srv}", "10.0.1.10,fd00::10"));
}

TEST_F(SnapshotTest, DualStackPodIsTheSamePodByEitherIp) {
  Build(absl::StrCat(
      DualStackPods(),
      PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: srv}}
  ingress: [{from: [{podSelector: {matchLabels: {app: d4}}}]}]
)")));
  EXPECT_EQ(D("10.0.1.40", "10.0.1.10"), kByPolicy);
  EXPECT_EQ(D("fd00::40", "fd00::10"), kByPolicy);
  EXPECT_EQ(D("x/d4", "x/srv"), kByPolicy);
  EXPECT_EQ(D("fd00::40", "x/srv"), kByPolicy);
  EXPECT_EQ(D("10.0.1.60", "x/srv"), kDeniedIngress);
  EXPECT_EQ(D("fd00::60", "fd00::10"), kDeniedIngress);
}

TEST_F(SnapshotTest, DualStackIngressIpBlockUsesFamilyInUse) {
  Build(absl::StrCat(
      DualStackPods(),
      PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: srv}}
  ingress: [{from: [{ipBlock: {cidr: 10.0.1.0/24}}]}]
)")));
  EXPECT_EQ(D("10.0.1.40", "10.0.1.10"), kByPolicy);
  EXPECT_EQ(D("fd00::40", "fd00::10"), kDeniedIngress);
  // Source by name: its address of the destination IP's family.
  EXPECT_EQ(D("x/d4", "10.0.1.10"), kByPolicy);
  EXPECT_EQ(D("x/d4", "fd00::10"), kDeniedIngress);
  EXPECT_EQ(D("x/d6", "10.0.1.10"), kByPolicy);
  EXPECT_EQ(D("x/d6", "fd00::10"), kDeniedIngress);
  // Both by name: the source's primary address.
  EXPECT_EQ(D("x/d4", "x/srv"), kByPolicy);
  EXPECT_EQ(D("x/d6", "x/srv"), kDeniedIngress);
  // Source by IP, destination by name.
  EXPECT_EQ(D("10.0.1.60", "x/srv"), kByPolicy);
  EXPECT_EQ(D("fd00::40", "x/srv"), kDeniedIngress);
}

TEST_F(SnapshotTest, DualStackEgressIpBlockUsesFamilyInUse) {
  Build(absl::StrCat(
      DualStackPods(),
      PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: d4}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: "fd00::/64"}}]}]
)")));
  EXPECT_EQ(D("x/d4", "fd00::10"), kByPolicy);
  EXPECT_EQ(D("x/d4", "10.0.1.10"), kDeniedEgress);
  EXPECT_EQ(D("fd00::40", "x/srv"), kByPolicy) << "srv's IPv6 address";
  EXPECT_EQ(D("10.0.1.40", "x/srv"), kDeniedEgress) << "srv's IPv4 address";
  EXPECT_EQ(D("x/d4", "x/srv"), kDeniedEgress) << "srv's primary is IPv4";
  EXPECT_EQ(D("x/d4", "x/d6"), kDeniedEgress)
      << "both dual-stack: the source's primary family (IPv4) is used";
  EXPECT_EQ(D("x/d6", "x/d4"), kNotIsolated) << "d6 is not isolated";
}

TEST_F(SnapshotTest, NamedPodsUseTheFamilyTheyShare) {
  Build(absl::StrCat(
      PodYaml("x", "v6only", "{app: v6only}", "fd00::1"),
      PodYaml("y", "dual", "{app: dual}", "10.0.0.2,fd00::2"),
      PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: v6only}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: "fd00::/64"}}]}]
)"),
      PolicyYaml("y", "q", R"(  podSelector: {matchLabels: {app: dual}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: "fd00::/64"}}]}]
)")));
  // Only IPv6 can carry these connections, whatever dual's primary is.
  EXPECT_EQ(D("x/v6only", "y/dual"), kByPolicy);
  EXPECT_EQ(D("y/dual", "x/v6only"), kByPolicy);
  EXPECT_EQ(D("fd00::1", "fd00::2"), kByPolicy);
}

// --- Pending pods
// -------------------------------------------------------------

TEST_F(SnapshotTest, PendingPodIsAddressableByNameOnly) {
  Build(absl::StrCat(
      PodYaml("x", "pending", "{app: p}", ""),
      PolicyYaml("x", "to-a", R"(  podSelector: {matchLabels: {app: a}}
  ingress:
  - from: [{ipBlock: {cidr: 0.0.0.0/0}}, {ipBlock: {cidr: "::/0"}}]
  - from: [{podSelector: {matchLabels: {app: p}}}]
    ports: [{port: 81}]
)"),
      PolicyYaml("x", "b-out", R"(  podSelector: {matchLabels: {app: b}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}]
)")));
  EXPECT_EQ(D("x/pending", "x/a", 80), kDeniedIngress)
      << "ipBlocks never match a pod without IP";
  EXPECT_EQ(D("x/pending", "x/a", 81), kByPolicy);
  EXPECT_EQ(D("x/c", "x/a", 80), kByPolicy);
  EXPECT_EQ(D("x/b", "x/pending"), kDeniedEgress);
  EXPECT_EQ(D("x/b", "x/c"), kByPolicy);
  EXPECT_EQ(D("x/pending", "y/a"), kNotIsolated);
}

TEST_F(SnapshotTest, PendingPodIsSelectedByPolicies) {
  Build(absl::StrCat(
      PodYaml("x", "pending", "{app: p}", ""),
      PolicyYaml("x", "p", "  podSelector: {matchLabels: {app: p}}\n")));
  EXPECT_EQ(D("x/a", "x/pending"), kDeniedIngress);
  EXPECT_EQ(D("x/pending", "x/a"), kNotIsolated);
}

// --- API behaviour
// ------------------------------------------------------------

TEST_F(SnapshotTest, DecideValidatesPortAndPods) {
  Build("");
  absl::StatusOr<Decision> d =
      snap_->Decide(testing_util::Conn("x/a", "x/b", 0));
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  d = snap_->Decide(testing_util::Conn("x/a", "x/b", 65536));
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  d = snap_->Decide(testing_util::Conn("x/a", "x/b", 4294967295u));
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  d = snap_->Decide(testing_util::Conn("x/a", "x/b", 65535));
  EXPECT_TRUE(d.ok()) << d.status();
  d = snap_->Decide(testing_util::Conn("x/a", "x/b", 1));
  EXPECT_TRUE(d.ok()) << d.status();
  d = snap_->Decide(testing_util::Conn("x/nope", "x/b", 80));
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  d = snap_->Decide(testing_util::Conn("x/a", "nons/b", 80));
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  d = snap_->Decide(testing_util::Conn("192.0.2.1", "y/zzz", 80));
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SnapshotTest, HotPathAgreesWithConnectionForm) {
  Build(PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{podSelector: {matchLabels: {app: b}}}], ports: [{port: 80}]}]
  egress: [{to: [{ipBlock: {cidr: 10.0.2.0/24}}]}]
)"));
  const char* ips[] = {"10.0.1.1", "10.0.1.2",  "10.0.1.3",
                       "10.0.2.1", "192.0.2.1", "2001:db8::1"};
  for (const char* s : ips) {
    for (const char* t : ips) {
      for (uint16_t port : {80, 81}) {
        IpAddress src = *IpAddress::Parse(s);
        IpAddress dst = *IpAddress::Parse(t);
        EXPECT_EQ(snap_->Decide(src, dst, port, kTcp), D(s, t, port))
            << s << " -> " << t << ":" << port;
      }
    }
  }
  EXPECT_EQ(snap_->Decide(*IpAddress::Parse("10.0.1.2"),
                          *IpAddress::Parse("10.0.1.1"), 80, kTcp),
            kByPolicy);
  EXPECT_EQ(snap_->Decide(*IpAddress::Parse("10.0.1.1"),
                          *IpAddress::Parse("10.0.3.4"), 80, kTcp),
            kDeniedEgress);
}

TEST_F(SnapshotTest, StatsAndAccessors) {
  CompileOptions options;
  options.ipblock_matches_pods = false;
  Build(PolicyYaml("x", "p", "  podSelector: {}\n"), options);
  EXPECT_EQ(snap_->stats().namespaces, 3u) << "x, y and implied z";
  EXPECT_EQ(snap_->stats().pods, 7u);
  EXPECT_EQ(snap_->stats().policies, 1u);
  EXPECT_EQ(snap_->cluster().pods.size(), 7u);
  EXPECT_EQ(snap_->cluster().policies.size(), 1u);
  EXPECT_FALSE(snap_->options().ipblock_matches_pods);
}

TEST_F(SnapshotTest, ConcurrentQueriesAgree) {
  Build(absl::StrCat(
      PodYaml("x", "dual", "{app: dual}", "10.0.1.50,fd00::50"),
      PolicyYaml("x", "p", R"(  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{podSelector: {matchLabels: {app: b}}}, {ipBlock: {cidr: 192.0.2.0/24}}]}]
  egress: [{to: [{namespaceSelector: {matchLabels: {team: beta}}}], ports: [{port: 80}]}]
)")));
  const std::vector<std::string> endpoints = {
      "x/a",    "x/b",      "x/c",      "y/a",       "z/d",
      "x/dual", "10.0.1.1", "fd00::50", "192.0.2.9", "198.51.100.1"};
  std::vector<Connection> connections;
  std::vector<Decision> expected;
  for (const std::string& s : endpoints) {
    for (const std::string& d : endpoints) {
      for (uint32_t port : {80u, 81u}) {
        connections.push_back(testing_util::Conn(s, d, port));
        expected.push_back(D(s, d, port));
      }
    }
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        for (size_t i = t; i < connections.size(); i += 1 + (round % 3)) {
          absl::StatusOr<Decision> d = snap_->Decide(connections[i]);
          absl::StatusOr<Explanation> e = snap_->Explain(connections[i]);
          if (!d.ok() || *d != expected[i] || !e.ok() ||
              e->decision != expected[i] || e->ToText().empty()) {
            ++mismatches;
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(SnapshotModelTest, CompilesAHandBuiltCluster) {
  Cluster cluster;
  Namespace ns;
  ns.name = "m";
  ns.labels = {{kNamespaceNameLabel, "m"}};
  cluster.namespaces.push_back(ns);
  Pod a;
  a.namespace_name = "m";
  a.name = "a";
  a.labels = {{"app", "a"}};
  a.ips = {*IpAddress::Parse("10.7.0.1")};
  Pod b = a;
  b.name = "b";
  b.labels = {{"app", "b"}};
  b.ips = {*IpAddress::Parse("10.7.0.2")};
  cluster.pods = {a, b};
  NetworkPolicy p;
  p.namespace_name = "m";
  p.name = "p";
  p.pod_selector.match_labels = {{"app", "a"}};
  p.affects_ingress = true;
  PolicyRule rule;
  Peer peer;
  peer.pod_selector = LabelSelector{};
  peer.pod_selector->match_labels = {{"app", "b"}};
  rule.peers.push_back(peer);
  PolicyPort port;
  port.port = 80;
  rule.ports.push_back(port);
  p.ingress.push_back(rule);
  cluster.policies.push_back(p);

  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snap =
      CompiledSnapshot::Compile(cluster);
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(testing_util::DecideOrFail(**snap, "m/b", "m/a", 80), kByPolicy);
  EXPECT_EQ(testing_util::DecideOrFail(**snap, "m/b", "m/a", 81),
            kDeniedIngress);
  EXPECT_EQ(testing_util::DecideOrFail(**snap, "m/a", "m/b", 81), kNotIsolated);
}

TEST(SnapshotModelTest, CompilesAnEmptyCluster) {
  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snap =
      CompiledSnapshot::Compile(Cluster{});
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ((*snap)->Decide(*IpAddress::Parse("1.2.3.4"),
                            *IpAddress::Parse("::1"), 80, kTcp),
            kNotIsolated);
  EXPECT_EQ((*snap)->stats().pods, 0u);
}

TEST(SnapshotModelTest, RejectsAPodOfAMissingNamespace) {
  Cluster cluster;
  Pod pod;
  pod.namespace_name = "ghost";
  pod.name = "a";
  cluster.pods.push_back(pod);
  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snap =
      CompiledSnapshot::Compile(cluster);
  ASSERT_EQ(snap.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      std::string(snap.status().message()),
      testing::HasSubstr("pod ghost/a: namespace ghost is not in the cluster"));
}

// The loader refuses such pods as the API server does; a Cluster built by
// hand must not slip one through (same IPv4 address <=> same pod is what
// the batch path's loopback test relies on).
TEST(SnapshotModelTest, RejectsAPodWithTwoAddressesOfOneFamily) {
  Cluster cluster;
  Namespace ns;
  ns.name = "x";
  cluster.namespaces.push_back(ns);
  Pod pod;
  pod.namespace_name = "x";
  pod.name = "a";
  pod.ips = {*IpAddress::Parse("10.0.0.1"), *IpAddress::Parse("fd00::1"),
             *IpAddress::Parse("10.0.0.2")};
  cluster.pods.push_back(pod);
  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snap =
      CompiledSnapshot::Compile(cluster);
  ASSERT_EQ(snap.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(snap.status().message()),
              testing::HasSubstr("pod x/a has two IPv4 addresses, 10.0.0.1 "
                                 "and 10.0.0.2"));
}

}  // namespace
}  // namespace netpol
