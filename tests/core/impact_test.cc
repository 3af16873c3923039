#include "core/impact.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/internal/port_ranges.h"
#include "core/string_view_compat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/test_util.h"

namespace netpol {
namespace {

using testing::ElementsAre;
using testing::IsEmpty;
using testing_util::CompileYaml;
using testing_util::NamespaceYaml;
using testing_util::PodYaml;

// One line per flip: "<change> <source> -> <destination> <PROTO> <ports>
// (<flows>)", ports as "a-b,c".
std::vector<std::string> Lines(const ImpactReport& report) {
  std::vector<std::string> lines;
  for (const Flip& flip : report.flips) {
    std::vector<std::string> ports;
    for (const PortRange& r : flip.ports) {
      ports.push_back(r.first == r.last ? absl::StrCat(r.first)
                                        : absl::StrCat(r.first, "-", r.last));
    }
    lines.push_back(
        absl::StrCat(AsAbsl(FlowChangeName(flip.change)), " ",
                     report.groups[flip.source_group].Name(), " -> ",
                     report.groups[flip.destination_group].Name(), " ",
                     AsAbsl(ProtocolName(flip.protocol)), " ",
                     absl::StrJoin(ports, ","), " (", flip.flows, ")"));
  }
  return lines;
}

std::string Pods() {
  return NamespaceYaml("shop") +
         PodYaml("shop", "web-0", "{app: web}", "10.0.0.1") +
         PodYaml("shop", "web-1", "{app: web}", "10.0.0.2") +
         PodYaml("shop", "db-0", "{app: db}", "10.0.0.3");
}

// db accepts TCP 5432 from web only.
constexpr char kDbPolicy[] = R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
)";

ImpactReport Diff(const std::string& before, const std::string& after,
                  const ImpactOptions& options = {}) {
  auto a = CompileYaml(before);
  auto b = CompileYaml(after);
  if (a == nullptr || b == nullptr) return {};
  return DiffSnapshots(*a, *b, options);
}

TEST(DiffSnapshotsTest, SameStateHasNoFlips) {
  const ImpactReport report = Diff(Pods() + kDbPolicy, Pods() + kDbPolicy);
  EXPECT_THAT(report.flips, IsEmpty());
  EXPECT_THAT(report.groups, IsEmpty());
  EXPECT_EQ(report.totals.pods_affected, 0u);
  EXPECT_FALSE(report.truncated);
}

TEST(DiffSnapshotsTest, NewPolicyDeniesEveryOtherFlowToItsPods) {
  const ImpactReport report = Diff(Pods(), Pods() + kDbPolicy);
  EXPECT_THAT(
      Lines(report),
      ElementsAre(
          "newly-denied shop [app=web] -> shop [app=db] TCP 1-5431,5433-65535 "
          "(131068)",
          "newly-denied shop [app=web] -> shop [app=db] UDP 1-65535 (131070)",
          "newly-denied shop [app=web] -> shop [app=db] SCTP 1-65535 (131070)",
          "newly-denied external 0.0.0.0/0 -> shop [app=db] TCP 1-65535 "
          "(65535)",
          "newly-denied external 0.0.0.0/0 -> shop [app=db] UDP 1-65535 "
          "(65535)",
          "newly-denied external 0.0.0.0/0 -> shop [app=db] SCTP 1-65535 "
          "(65535)"));
  EXPECT_EQ(report.totals.pods_affected, 3u);
  EXPECT_EQ(report.totals.newly_allowed_flows, 0u);
  EXPECT_EQ(report.totals.newly_denied_flows,
            131068u + 2 * 131070u + 3 * 65535u);
  EXPECT_EQ(report.totals.flips, 6u);
  ASSERT_EQ(report.groups.size(), 3u);
  EXPECT_THAT(report.groups[0].pods, ElementsAre("db-0"));
  EXPECT_THAT(report.groups[1].pods, ElementsAre("web-0", "web-1"));
}

TEST(DiffSnapshotsTest, DeletingThePolicyAllowsTheSameFlows) {
  const ImpactReport forward = Diff(Pods(), Pods() + kDbPolicy);
  const ImpactReport backward = Diff(Pods() + kDbPolicy, Pods());
  ASSERT_EQ(forward.flips.size(), backward.flips.size());
  for (size_t i = 0; i < forward.flips.size(); ++i) {
    EXPECT_EQ(backward.flips[i].change, FlowChange::kNewlyAllowed);
    EXPECT_EQ(backward.flips[i].ports, forward.flips[i].ports);
    EXPECT_EQ(backward.flips[i].flows, forward.flips[i].flows);
  }
  EXPECT_EQ(backward.totals.newly_allowed_flows,
            forward.totals.newly_denied_flows);
}

TEST(DiffSnapshotsTest, RelabelledPodsShowTheirNewLabels) {
  const std::string after =
      NamespaceYaml("shop") +
      PodYaml("shop", "web-0", "{app: web2}", "10.0.0.1") +
      PodYaml("shop", "web-1", "{app: web}", "10.0.0.2") +
      PodYaml("shop", "db-0", "{app: db}", "10.0.0.3") + kDbPolicy;
  const ImpactReport report = Diff(Pods() + kDbPolicy, after);
  EXPECT_THAT(Lines(report),
              ElementsAre("newly-denied shop [app=web->web2] -> shop "
                          "[app=db] TCP 5432 (1)"));
  ASSERT_EQ(report.groups.size(), 2u);
  EXPECT_THAT(report.groups[1].pods, ElementsAre("web-0"));
  EXPECT_EQ(report.totals.pods_affected, 2u);
}

TEST(DiffSnapshotsTest, AddedAndRemovedPodsAreListedNotCompared) {
  const std::string before =
      Pods() + PodYaml("shop", "old", "{app: web}", "10.0.0.9");
  const std::string after =
      Pods() + PodYaml("shop", "new", "{app: web}", "10.0.0.8");
  const ImpactReport report = Diff(before + kDbPolicy, after + kDbPolicy);
  EXPECT_THAT(report.flips, IsEmpty());
  ASSERT_EQ(report.pods_added.size(), 1u);
  EXPECT_EQ(report.pods_added[0].ToString(), "shop/new");
  ASSERT_EQ(report.pods_removed.size(), 1u);
  EXPECT_EQ(report.pods_removed[0].ToString(), "shop/old");
}

TEST(DiffSnapshotsTest, SinglePodGroupIsNeverPairedWithItself) {
  // db-0 alone in its workload: a policy denying db's ingress from db pods
  // changes nothing (a pod always reaches itself).
  const std::string deny_all = R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
)";
  const std::string before =
      NamespaceYaml("shop") + PodYaml("shop", "db-0", "{app: db}", "10.0.0.3");
  const ImpactReport report = Diff(before, before + deny_all);
  // Only external -> db flips.
  EXPECT_THAT(
      Lines(report),
      ElementsAre(
          "newly-denied external 0.0.0.0/0 -> shop [app=db] TCP 1-65535 "
          "(65535)",
          "newly-denied external 0.0.0.0/0 -> shop [app=db] UDP 1-65535 "
          "(65535)",
          "newly-denied external 0.0.0.0/0 -> shop [app=db] SCTP 1-65535 "
          "(65535)"));
}

TEST(DiffSnapshotsTest, ExternalRangesAreMergedCidrs) {
  // Egress of web limited to 192.168.0.0/16 except 192.168.1.0/24 on 443.
  const std::string egress = R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24]}}]
    ports: [{port: 443}]
)";
  const std::string cluster =
      NamespaceYaml("shop") +
      PodYaml("shop", "web-0", "{app: web}", "10.0.0.1");
  const ImpactReport report = Diff(cluster, cluster + egress);
  // UDP and SCTP lose everything: one flip each to the whole space, the
  // ranges the TCP flips split it into merged back.
  EXPECT_THAT(
      Lines(report),
      ElementsAre(
          "newly-denied shop [app=web] -> external 0.0.0.0/0 UDP 1-65535 "
          "(65535)",
          "newly-denied shop [app=web] -> external 0.0.0.0/0 SCTP 1-65535 "
          "(65535)",
          // Outside the block (10.0.0.1 is web-0 itself: the range
          // is reported whole, the pod compared as a pod).
          "newly-denied shop [app=web] -> external 0.0.0.0/1, 128.0.0.0/2, "
          "192.0.0.0/9 +14 more TCP 1-65535 (1114095)",
          // Inside it, every port but 443.
          "newly-denied shop [app=web] -> external 192.168.0.0/24, "
          "192.168.2.0/23, "
          "192.168.4.0/22 +5 more TCP 1-442,444-65535 (524272)"));
}

TEST(DiffSnapshotsTest, TruncationKeepsExactTotals) {
  const ImpactReport full = Diff(Pods(), Pods() + kDbPolicy);
  const ImpactReport cut =
      Diff(Pods(), Pods() + kDbPolicy, ImpactOptions{.max_flips = 2});
  EXPECT_TRUE(cut.truncated);
  ASSERT_EQ(cut.flips.size(), 2u);
  EXPECT_EQ(cut.totals.flips, full.totals.flips);
  EXPECT_EQ(cut.totals.newly_denied_flows, full.totals.newly_denied_flows);
  EXPECT_EQ(cut.totals.pods_affected, full.totals.pods_affected);
  // Only the groups the kept flips name.
  EXPECT_EQ(cut.groups.size(), 2u);
  EXPECT_EQ(Lines(cut)[0], Lines(full)[0]);
}

// web-0 and web-1 own 10.0.0.0 and 10.0.0.1; db-0 is at 10.0.0.9.
std::string PodsAtLowAddresses() {
  return NamespaceYaml("shop") +
         PodYaml("shop", "web-0", "{app: web}", "10.0.0.0") +
         PodYaml("shop", "web-1", "{app: web}", "10.0.0.1") +
         PodYaml("shop", "db-0", "{app: db}", "10.0.0.9");
}

std::string DbEgressTo(const std::string& ip_block) {
  return absl::StrCat(R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: )",
                      ip_block, "}]\n");
}

TEST(DiffSnapshotsTest, RangesOfPodIpsOnlyAreNotExternal) {
  // Everything but 10.0.0.0/31 stays allowed; those two addresses are
  // pods, compared as pods: no external flip at all.
  const ImpactReport report =
      Diff(PodsAtLowAddresses(),
           PodsAtLowAddresses() +
               DbEgressTo("{cidr: 0.0.0.0/0, except: [10.0.0.0/31]}"));
  EXPECT_THAT(
      Lines(report),
      ElementsAre(
          "newly-denied shop [app=db] -> shop [app=web] TCP 1-65535 (131070)",
          "newly-denied shop [app=db] -> shop [app=web] UDP 1-65535 (131070)",
          "newly-denied shop [app=db] -> shop [app=web] SCTP 1-65535 "
          "(131070)"));
}

TEST(DiffSnapshotsTest, SamplesAreConcreteFlowsThatFlip) {
  auto before = CompileYaml(PodsAtLowAddresses());
  auto after = CompileYaml(PodsAtLowAddresses() + kDbPolicy +
                           DbEgressTo("{cidr: 10.0.0.4/30}"));
  ASSERT_NE(before, nullptr);
  ASSERT_NE(after, nullptr);
  const ImpactReport report =
      DiffSnapshots(*before, *after, ImpactOptions{.samples_per_flip = 5});
  std::vector<std::string> external_samples;
  for (const Flip& flip : report.flips) {
    EXPECT_FALSE(flip.samples.empty());
    EXPECT_LE(flip.samples.size(), 5u);
    for (const Connection& c : flip.samples) {
      const Decision b = *before->Decide(c);
      const Decision a = *after->Decide(c);
      EXPECT_EQ(b.allowed, flip.change == FlowChange::kNewlyDenied)
          << EndpointToString(c.source) << " -> "
          << EndpointToString(c.destination);
      EXPECT_EQ(a.allowed, flip.change == FlowChange::kNewlyAllowed);
      if (std::holds_alternative<IpAddress>(c.destination)) {
        external_samples.push_back(EndpointToString(c.destination));
      }
    }
  }
  // 10.0.0.0/30 holds the pods 10.0.0.0 and 10.0.0.1: its sample is the
  // first address that is not a pod's.
  EXPECT_THAT(external_samples, testing::Contains("10.0.0.2"));
  EXPECT_THAT(external_samples, testing::Not(testing::Contains("10.0.0.0")));
  EXPECT_TRUE(DiffSnapshots(*before, *after).flips.front().samples.empty());
}

TEST(DiffSnapshotsTest, NamedPortFollowsTheContainerPort) {
  // The policy names port "pg"; db-0 moves it from 5432 to 6432.
  const std::string policy = R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: pg}]
)";
  auto cluster = [&](int port) {
    return NamespaceYaml("shop") +
           PodYaml("shop", "web-0", "{app: web}", "10.0.0.1") +
           PodYaml("shop", "db-0", "{app: db}", "10.0.0.3",
                   absl::StrCat("[{name: pg, containerPort: ", port, "}]")) +
           policy;
  };
  EXPECT_THAT(
      Lines(Diff(cluster(5432), cluster(6432))),
      ElementsAre(
          "newly-denied shop [app=web] -> shop [app=db] TCP 5432 (1)",
          "newly-allowed shop [app=web] -> shop [app=db] TCP 6432 (1)"));
}

TEST(DiffSnapshotsTest, OutputIsDeterministic) {
  const std::string after = Pods() + kDbPolicy;
  EXPECT_EQ(Lines(Diff(Pods(), after)), Lines(Diff(Pods(), after)));
}

TEST(FlowGroupTest, Names) {
  FlowGroup pods;
  pods.namespace_name = "ns";
  EXPECT_EQ(pods.Name(), "ns [<no labels>]");
  pods.labels = {{"a", "1"}, {"b", "2"}};
  EXPECT_EQ(pods.Name(), "ns [a=1,b=2]");
  FlowGroup external;
  external.external = true;
  for (const char* text :
       {"10.0.0.0/8", "11.0.0.0/8", "12.0.0.0/8", "13.0.0.0/8"}) {
    external.cidrs.push_back(*Cidr::Parse(text));
  }
  EXPECT_EQ(external.Name(),
            "external 10.0.0.0/8, 11.0.0.0/8, 12.0.0.0/8 +1 more");
}

TEST(LabelsTextTest, RelabelShowsEachKeysChange) {
  const Labels before = {{"app", "api"}, {"env", "prod"}, {"tier", "web"}};
  const Labels after = {{"app", "api-v2"}, {"canary", "true"}, {"env", "prod"}};
  EXPECT_EQ(LabelsText(before), "app=api,env=prod,tier=web");
  EXPECT_EQ(LabelsText(before, &after),
            "app=api->api-v2,+canary=true,env=prod,-tier=web");
  EXPECT_EQ(LabelsText({}, &after), "+app=api-v2,+canary=true,+env=prod");
  EXPECT_EQ(LabelsText({}), "<no labels>");
  const Labels none;
  EXPECT_EQ(LabelsText(none, &none), "<no labels>");
}

using internal::PortRanges;

PortRanges Tcp(std::vector<PortRange> ranges) {
  PortRanges set;
  set[0] = std::move(ranges);
  return set;
}

TEST(PortRangesTest, Algebra) {
  const PortRanges a = Tcp({{1, 100}, {200, 300}});
  const PortRanges b = Tcp({{50, 250}});
  EXPECT_EQ(internal::Intersect(a, b), Tcp({{50, 100}, {200, 250}}));
  EXPECT_EQ(internal::Subtract(a, b), Tcp({{1, 49}, {251, 300}}));
  EXPECT_EQ(internal::Subtract(b, a), Tcp({{101, 199}}));
  EXPECT_TRUE(internal::IsEmpty(internal::Subtract(a, a)));
  EXPECT_EQ(internal::CountPorts(a[0]), 201u);
  internal::PortSet raw;
  raw.ranges[0] = {{0, 10}, {11, 20}, {65535, 65535}};
  EXPECT_EQ(internal::Normalize(raw), Tcp({{1, 20}, {65535, 65535}}));
  EXPECT_EQ(internal::Subtract(internal::AllPorts(), Tcp({{1, 65534}}))[0],
            (std::vector<PortRange>{{65535, 65535}}));
}

}  // namespace
}  // namespace netpol
