#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/compiled_snapshot.h"
#include "core/decision.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/test_util.h"

namespace netpol {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using testing_util::Allow;
using testing_util::Conn;
using testing_util::Deny;
using testing_util::NamespaceYaml;
using testing_util::PodYaml;

MATCHER_P2(Rule, policy, index, "") {
  return arg.policy == policy && arg.rule_index == index;
}

// x/a, x/b, x/c (app=<name>), y/d with no policy, and:
//   allow-b:   selects app=a; ingress rule 0 from app=c on 81, rule 1 from
//              app=b on any port.
//   deny-all:  selects every pod of x for ingress, no rules.
//   egress-b:  selects app=b for egress; rule 0 to app=a, rule 1 to anyone
//              on port 80.
constexpr char kPolicies[] = R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-b, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: c}}}]
    ports: [{port: 81}]
  - from: [{podSelector: {matchLabels: {app: b}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-b, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: a}}}]
  - ports: [{port: 80}]
)";

class ExplainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snap_ = testing_util::CompileYaml(
        absl::StrCat(NamespaceYaml("x"), NamespaceYaml("y"),
                     PodYaml("x", "a", "{app: a}", "10.0.0.1"),
                     PodYaml("x", "b", "{app: b}", "10.0.0.2"),
                     PodYaml("x", "c", "{app: c}", "10.0.0.3"),
                     PodYaml("y", "d", "{app: d}", "10.0.0.4"),
                     PodYaml("y", "e", "{app: e}", "10.0.0.5"), kPolicies));
    ASSERT_NE(snap_, nullptr);
  }

  Explanation Explain(const std::string& src, const std::string& dst,
                      uint32_t port = 80) {
    absl::StatusOr<Explanation> e = snap_->Explain(Conn(src, dst, port));
    EXPECT_TRUE(e.ok()) << e.status();
    if (!e.ok()) return Explanation{};
    // The explanation's decision is the decision.
    absl::StatusOr<Decision> d = snap_->Decide(Conn(src, dst, port));
    EXPECT_TRUE(d.ok()) << d.status();
    if (d.ok()) {
      EXPECT_EQ(e->decision, *d);
    }
    return *std::move(e);
  }

  std::unique_ptr<const CompiledSnapshot> snap_;
};

TEST_F(ExplainTest, AllowedOnBothSides) {
  Explanation e = Explain("x/b", "x/a", 80);
  EXPECT_EQ(e.decision, Allow(Reason::kAllowedByPolicy));
  EXPECT_THAT(e.source, HasSubstr("x/b"));
  EXPECT_THAT(e.destination, HasSubstr("x/a"));

  EXPECT_EQ(e.egress.pod, "x/b");
  EXPECT_TRUE(e.egress.isolated);
  EXPECT_THAT(e.egress.selecting_policies, ElementsAre("x/egress-b"));
  EXPECT_THAT(
      e.egress.allowing_rules,
      UnorderedElementsAre(Rule("x/egress-b", 0), Rule("x/egress-b", 1)));
  EXPECT_TRUE(e.egress.allowed);

  EXPECT_EQ(e.ingress.pod, "x/a");
  EXPECT_TRUE(e.ingress.isolated);
  EXPECT_THAT(e.ingress.selecting_policies,
              UnorderedElementsAre("x/allow-b", "x/deny-all"));
  EXPECT_THAT(e.ingress.allowing_rules, ElementsAre(Rule("x/allow-b", 1)));
  EXPECT_TRUE(e.ingress.allowed);

  std::string text = e.ToText();
  EXPECT_FALSE(text.empty());
  EXPECT_THAT(text, HasSubstr("allow-b"));
  EXPECT_THAT(text, HasSubstr("egress-b"));
}

TEST_F(ExplainTest, AllowingRuleIndexPicksTheMatchingRule) {
  Explanation e = Explain("x/c", "x/a", 81);
  EXPECT_EQ(e.decision, Allow(Reason::kAllowedByPolicy));
  EXPECT_FALSE(e.egress.isolated);
  EXPECT_THAT(e.egress.selecting_policies, IsEmpty());
  EXPECT_THAT(e.egress.allowing_rules, IsEmpty());
  EXPECT_TRUE(e.egress.allowed);
  EXPECT_THAT(e.ingress.allowing_rules, ElementsAre(Rule("x/allow-b", 0)));
  EXPECT_THAT(e.ToText(), HasSubstr("allow-b"));
}

TEST_F(ExplainTest, DeniedIngress) {
  Explanation e = Explain("x/c", "x/a", 80);
  EXPECT_EQ(e.decision, Deny(Reason::kDeniedIngress));
  EXPECT_TRUE(e.egress.allowed);
  EXPECT_TRUE(e.ingress.isolated);
  EXPECT_THAT(e.ingress.selecting_policies,
              UnorderedElementsAre("x/allow-b", "x/deny-all"));
  EXPECT_THAT(e.ingress.allowing_rules, IsEmpty());
  EXPECT_FALSE(e.ingress.allowed);
  std::string text = e.ToText();
  EXPECT_FALSE(text.empty());
  EXPECT_THAT(text, HasSubstr("deny-all"));
}

TEST_F(ExplainTest, DeniedEgress) {
  Explanation e = Explain("x/b", "y/d", 81);
  EXPECT_EQ(e.decision, Deny(Reason::kDeniedEgress));
  EXPECT_EQ(e.egress.pod, "x/b");
  EXPECT_TRUE(e.egress.isolated);
  EXPECT_THAT(e.egress.selecting_policies, ElementsAre("x/egress-b"));
  EXPECT_THAT(e.egress.allowing_rules, IsEmpty());
  EXPECT_FALSE(e.egress.allowed);
  EXPECT_EQ(e.ingress.pod, "y/d");
  EXPECT_FALSE(e.ingress.isolated);
  EXPECT_THAT(e.ToText(), HasSubstr("egress-b"));
}

TEST_F(ExplainTest, IngressOnlyPoliciesAreNotListedForEgress) {
  // deny-all selects x/b too, but only for ingress.
  Explanation e = Explain("x/b", "y/d", 80);
  EXPECT_EQ(e.decision, Allow(Reason::kAllowedByPolicy));
  EXPECT_THAT(e.egress.selecting_policies, ElementsAre("x/egress-b"));
  EXPECT_THAT(e.egress.allowing_rules, ElementsAre(Rule("x/egress-b", 1)));
}

TEST_F(ExplainTest, ExternalSource) {
  Explanation e = Explain("192.0.2.1", "x/a", 80);
  EXPECT_EQ(e.decision, Deny(Reason::kDeniedIngress));
  EXPECT_EQ(e.egress.pod, "");
  EXPECT_FALSE(e.egress.isolated);
  EXPECT_THAT(e.egress.selecting_policies, IsEmpty());
  EXPECT_TRUE(e.egress.allowed);
  EXPECT_THAT(e.source, HasSubstr("192.0.2.1"));
  EXPECT_EQ(e.ingress.pod, "x/a");
  EXPECT_TRUE(e.ingress.isolated);
}

TEST_F(ExplainTest, ExternalDestination) {
  Explanation e = Explain("x/b", "203.0.113.9", 80);
  EXPECT_EQ(e.decision, Allow(Reason::kAllowedByPolicy));
  EXPECT_EQ(e.ingress.pod, "");
  EXPECT_FALSE(e.ingress.isolated);
  EXPECT_THAT(e.ingress.selecting_policies, IsEmpty());
  EXPECT_THAT(e.egress.allowing_rules, ElementsAre(Rule("x/egress-b", 1)));
  EXPECT_THAT(e.destination, HasSubstr("203.0.113.9"));
}

TEST_F(ExplainTest, PodByIpIsNamed) {
  Explanation e = Explain("10.0.0.2", "10.0.0.1", 80);
  EXPECT_EQ(e.decision, Allow(Reason::kAllowedByPolicy));
  EXPECT_EQ(e.egress.pod, "x/b");
  EXPECT_EQ(e.ingress.pod, "x/a");
  EXPECT_THAT(e.source, HasSubstr("x/b"));
  EXPECT_THAT(e.source, HasSubstr("10.0.0.2"));
  EXPECT_THAT(e.destination, HasSubstr("x/a"));
}

TEST_F(ExplainTest, NotIsolated) {
  Explanation e = Explain("y/d", "y/e", 80);
  EXPECT_EQ(e.decision, Allow(Reason::kNotIsolated));
  EXPECT_FALSE(e.egress.isolated);
  EXPECT_FALSE(e.ingress.isolated);
  EXPECT_TRUE(e.egress.allowed);
  EXPECT_TRUE(e.ingress.allowed);
  EXPECT_THAT(e.egress.selecting_policies, IsEmpty());
  EXPECT_THAT(e.ingress.selecting_policies, IsEmpty());
  EXPECT_FALSE(e.ToText().empty());
}

TEST_F(ExplainTest, Loopback) {
  Explanation e = Explain("x/a", "x/a", 80);
  EXPECT_EQ(e.decision, Allow(Reason::kLoopback));
  EXPECT_FALSE(e.ToText().empty());
  Explanation by_ip = Explain("10.0.0.1", "x/a", 80);
  EXPECT_EQ(by_ip.decision, Allow(Reason::kLoopback));
}

TEST_F(ExplainTest, Errors) {
  absl::StatusOr<Explanation> e = snap_->Explain(Conn("x/b", "x/a", 0));
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  e = snap_->Explain(Conn("x/b", "x/a", 65536));
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  e = snap_->Explain(Conn("x/zz", "x/a", 80));
  EXPECT_EQ(e.status().code(), absl::StatusCode::kNotFound);
  e = snap_->Explain(Conn("x/a", "q/a", 80));
  EXPECT_EQ(e.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ExplainTest, RulesOfUnlistedTypeAreNotAllowingRules) {
  std::unique_ptr<const CompiledSnapshot> snap = testing_util::CompileYaml(
      absl::StrCat(PodYaml("x", "a", "{app: a}", "10.0.0.1"),
                   PodYaml("x", "b", "{app: b}", "10.0.0.2"), R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ingress-only, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{}]
  egress: [{}]
)"));
  ASSERT_NE(snap, nullptr);
  absl::StatusOr<Explanation> e = snap->Explain(Conn("x/a", "x/b", 80));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->decision, Allow(Reason::kAllowedByPolicy));
  EXPECT_FALSE(e->egress.isolated);
  EXPECT_THAT(e->egress.selecting_policies, IsEmpty());
  EXPECT_THAT(e->egress.allowing_rules, IsEmpty());
  EXPECT_TRUE(e->ingress.isolated);
  EXPECT_THAT(e->ingress.selecting_policies, ElementsAre("x/ingress-only"));
  EXPECT_THAT(e->ingress.allowing_rules,
              ElementsAre(Rule("x/ingress-only", 0)));
}

}  // namespace
}  // namespace netpol
