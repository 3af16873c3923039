// ImpactReportToProto on hand-built reports: every field crosses, enums
// take the wire numbering, member lists are cut with exact counts, and
// `truncated` covers both kinds of cut. Links netpol::impact_convert alone.

#include "server/impact_convert.h"

#include <optional>

#include "core/impact.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace netpol::server {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

Cidr ParseCidr(const char* text) {
  std::optional<Cidr> cidr = Cidr::Parse(text);
  EXPECT_TRUE(cidr.has_value()) << text;
  return cidr.value_or(Cidr{});
}

// web (3 pods, relabelled) -> db newly denied on TCP 5432 and 6000-6010;
// external IPv6 -> db newly allowed on SCTP 9.
ImpactReport Report() {
  ImpactReport report;
  FlowGroup db;
  db.namespace_name = "shop";
  db.labels = {{"role", "db"}};
  db.pods = {"db-0"};
  FlowGroup web;
  web.namespace_name = "shop";
  web.labels = {{"app", "web"}, {"tier", "front"}};
  web.labels_after = Labels{{"app", "web"}, {"tier", "edge"}};
  web.pods = {"web-0", "web-1", "web-2"};
  FlowGroup outside;
  outside.external = true;
  outside.cidrs = {ParseCidr("fd00::/8"), ParseCidr("fe00::/7")};
  report.groups = {db, web, outside};

  Flip denied;
  denied.source_group = 1;
  denied.destination_group = 0;
  denied.change = FlowChange::kNewlyDenied;
  denied.protocol = Protocol::kTcp;
  denied.ports = {{5432, 5432}, {6000, 6010}};
  denied.flows = 3 * 12;
  Flip allowed;
  allowed.source_group = 2;
  allowed.destination_group = 0;
  allowed.change = FlowChange::kNewlyAllowed;
  allowed.protocol = Protocol::kSctp;
  allowed.ports = {{9, 9}};
  allowed.flows = 2;
  allowed.samples = {Connection{*IpAddress::Parse("fd00::"),
                                PodRef{"shop", "db-0"}, 9, Protocol::kSctp}};
  report.flips = {denied, allowed};

  report.pods_added = {{"shop", "db-1"}};
  report.pods_removed = {{"old", "cron-0"}, {"shop", "tmp"}};
  report.totals = {.pods_affected = 4,
                   .newly_denied_flows = 36,
                   .newly_allowed_flows = 2,
                   .flips = 2};
  return report;
}

TEST(ImpactConvertTest, EveryFieldCrosses) {
  v1::AnalyzeImpactResponse response;
  ImpactReportToProto(Report(), {}, &response);

  ASSERT_EQ(response.groups_size(), 3);
  const v1::FlowGroup& db = response.groups(0);
  EXPECT_FALSE(db.external());
  EXPECT_EQ(db.namespace_(), "shop");
  EXPECT_THAT(db.labels(), UnorderedElementsAre(Pair("role", "db")));
  EXPECT_THAT(db.pods(), ElementsAre("db-0"));
  EXPECT_EQ(db.pod_count(), 1u);
  EXPECT_FALSE(db.relabeled());
  EXPECT_TRUE(db.labels_after().empty());
  const v1::FlowGroup& web = response.groups(1);
  EXPECT_THAT(web.labels(),
              UnorderedElementsAre(Pair("app", "web"), Pair("tier", "front")));
  EXPECT_TRUE(web.relabeled());
  EXPECT_THAT(web.labels_after(),
              UnorderedElementsAre(Pair("app", "web"), Pair("tier", "edge")));
  const v1::FlowGroup& outside = response.groups(2);
  EXPECT_TRUE(outside.external());
  EXPECT_THAT(outside.cidrs(), ElementsAre("fd00::/8", "fe00::/7"));
  EXPECT_EQ(outside.pod_count(), 0u);
  EXPECT_TRUE(outside.namespace_().empty());

  ASSERT_EQ(response.flips_size(), 2);
  const v1::Flip& denied = response.flips(0);
  EXPECT_EQ(denied.source_group(), 1u);
  EXPECT_EQ(denied.destination_group(), 0u);
  EXPECT_EQ(denied.change(), v1::NEWLY_DENIED);
  EXPECT_EQ(denied.protocol(), v1::TCP);
  ASSERT_EQ(denied.ports_size(), 2);
  EXPECT_EQ(denied.ports(0).first(), 5432u);
  EXPECT_EQ(denied.ports(0).last(), 5432u);
  EXPECT_EQ(denied.ports(1).first(), 6000u);
  EXPECT_EQ(denied.ports(1).last(), 6010u);
  EXPECT_EQ(denied.flows(), 36u);
  EXPECT_TRUE(denied.samples().empty());
  const v1::Flip& allowed = response.flips(1);
  EXPECT_EQ(allowed.change(), v1::NEWLY_ALLOWED);
  EXPECT_EQ(allowed.protocol(), v1::SCTP);
  ASSERT_EQ(allowed.samples_size(), 1);
  EXPECT_EQ(allowed.samples(0).source().ip(), "fd00::");
  EXPECT_EQ(allowed.samples(0).destination().pod().namespace_(), "shop");
  EXPECT_EQ(allowed.samples(0).destination().pod().name(), "db-0");
  EXPECT_EQ(allowed.samples(0).port(), 9u);
  EXPECT_EQ(allowed.samples(0).protocol(), v1::SCTP);

  ASSERT_EQ(response.pods_added_size(), 1);
  EXPECT_EQ(response.pods_added(0).namespace_(), "shop");
  EXPECT_EQ(response.pods_added(0).name(), "db-1");
  ASSERT_EQ(response.pods_removed_size(), 2);
  EXPECT_EQ(response.pods_removed(1).name(), "tmp");
  EXPECT_EQ(response.totals().pods_affected(), 4u);
  EXPECT_EQ(response.totals().newly_denied_flows(), 36u);
  EXPECT_EQ(response.totals().newly_allowed_flows(), 2u);
  EXPECT_EQ(response.totals().flips(), 2u);
  EXPECT_FALSE(response.truncated());
  // Left to the caller.
  EXPECT_EQ(response.before_version(), 0u);
  EXPECT_EQ(response.after_version(), 0u);
}

TEST(ImpactConvertTest, MemberListsAreCutWithExactCounts) {
  ImpactResponseLimits limits;
  limits.max_pods_per_group = 2;
  v1::AnalyzeImpactResponse response;
  ImpactReportToProto(Report(), limits, &response);
  EXPECT_THAT(response.groups(1).pods(), ElementsAre("web-0", "web-1"));
  EXPECT_EQ(response.groups(1).pod_count(), 3u);
  EXPECT_THAT(response.groups(0).pods(), ElementsAre("db-0"));
  EXPECT_TRUE(response.truncated());
}

TEST(ImpactConvertTest, TruncatedReportStaysTruncated) {
  ImpactReport report = Report();
  report.flips.pop_back();
  report.truncated = true;
  v1::AnalyzeImpactResponse response;
  ImpactReportToProto(report, {}, &response);
  EXPECT_EQ(response.flips_size(), 1);
  EXPECT_EQ(response.totals().flips(), 2u);
  EXPECT_TRUE(response.truncated());
}

}  // namespace
}  // namespace netpol::server

namespace netpol::server {
namespace {

TEST(TruncateToBytesTest, SmallResponsesStayWhole) {
  v1::AnalyzeImpactResponse response;
  ImpactReportToProto(Report(), {}, &response);
  const v1::AnalyzeImpactResponse whole = response;
  EXPECT_FALSE(TruncateToBytes(response.ByteSizeLong(), &response));
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(response, whole));
}

TEST(TruncateToBytesTest, LeavesOutTrailingFlipsAndTheirGroups) {
  v1::AnalyzeImpactResponse response;
  ImpactReportToProto(Report(), {}, &response);
  response.set_before_version(7);
  // Room for everything but the last flip and the external group only it
  // names.
  v1::AnalyzeImpactResponse expected = response;
  expected.mutable_flips()->RemoveLast();
  expected.mutable_groups()->RemoveLast();
  expected.set_truncated(true);
  const size_t budget = expected.ByteSizeLong() + 12;  // framing slack
  ASSERT_LT(budget, response.ByteSizeLong());

  EXPECT_TRUE(TruncateToBytes(budget, &response));
  EXPECT_LE(response.ByteSizeLong(), budget);
  ASSERT_EQ(response.flips_size(), 1);
  ASSERT_EQ(response.groups_size(), 2);
  // Groups are renumbered in the order the kept flips name them.
  EXPECT_EQ(response.groups(response.flips(0).source_group()).namespace_(),
            "shop");
  EXPECT_THAT(response.groups(response.flips(0).destination_group()).pods(),
              ElementsAre("db-0"));
  EXPECT_TRUE(response.truncated());
  EXPECT_EQ(response.totals().flips(), 2u);
  EXPECT_EQ(response.before_version(), 7u);
}

TEST(TruncateToBytesTest, NoRoomLeavesNoFlips) {
  v1::AnalyzeImpactResponse response;
  ImpactReportToProto(Report(), {}, &response);
  EXPECT_TRUE(TruncateToBytes(1, &response));
  EXPECT_EQ(response.flips_size(), 0);
  EXPECT_EQ(response.groups_size(), 0);
  EXPECT_TRUE(response.truncated());
  EXPECT_EQ(response.totals().newly_denied_flows(), 36u);
}

}  // namespace
}  // namespace netpol::server
