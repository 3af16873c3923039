#include "client/netpolctl/impact_format.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace netpol::netpolctl {
namespace {

using ::testing::HasSubstr;

v1::FlowGroup* AddPodGroup(v1::AnalyzeImpactResponse* response,
                           const std::string& ns,
                           std::initializer_list<std::string> pods,
                           uint32_t pod_count) {
  v1::FlowGroup* group = response->add_groups();
  group->set_namespace_(ns);
  for (const std::string& pod : pods) group->add_pods(pod);
  group->set_pod_count(pod_count);
  return group;
}

v1::Flip* AddFlip(v1::AnalyzeImpactResponse* response, uint32_t source,
                  uint32_t destination, v1::FlowChange change,
                  v1::Protocol protocol, uint64_t flows) {
  v1::Flip* flip = response->add_flips();
  flip->set_source_group(source);
  flip->set_destination_group(destination);
  flip->set_change(change);
  flip->set_protocol(protocol);
  flip->set_flows(flows);
  return flip;
}

void AddPorts(v1::Flip* flip, uint32_t first, uint32_t last) {
  v1::PortRange* range = flip->add_ports();
  range->set_first(first);
  range->set_last(last);
}

// web (3 pods) loses TCP 5432 to db; the backup range gains UDP to db;
// a 7-pod batch group, listed in part, loses SCTP; one pod added.
v1::AnalyzeImpactResponse Sample() {
  v1::AnalyzeImpactResponse response;
  v1::FlowGroup* web =
      AddPodGroup(&response, "shop", {"web-0", "web-1", "web-2"}, 3);
  (*web->mutable_labels())["tier"] = "front";
  (*web->mutable_labels())["app"] = "web";
  v1::FlowGroup* db = AddPodGroup(&response, "shop", {"db-0"}, 1);
  (*db->mutable_labels())["app"] = "db";
  v1::FlowGroup* batch = AddPodGroup(
      &response, "jobs", {"b-0", "b-1", "b-2", "b-3", "b-4", "b-5"}, 7);
  (*batch->mutable_labels())["app"] = "a|b";
  batch->set_relabeled(true);
  (*batch->mutable_labels_after())["app"] = "c";
  v1::FlowGroup* external = response.add_groups();
  external->set_external(true);
  external->add_cidrs("192.168.5.0/24");
  external->add_cidrs("192.168.7.0/24");

  v1::Flip* denied = AddFlip(&response, 0, 1, v1::NEWLY_DENIED, v1::TCP, 3);
  AddPorts(denied, 5432, 5432);
  v1::Connection* sample = denied->add_samples();
  sample->mutable_source()->mutable_pod()->set_namespace_("shop");
  sample->mutable_source()->mutable_pod()->set_name("web-0");
  sample->mutable_destination()->mutable_pod()->set_namespace_("shop");
  sample->mutable_destination()->mutable_pod()->set_name("db-0");
  sample->set_port(5432);
  sample->set_protocol(v1::TCP);
  v1::Flip* batch_flip =
      AddFlip(&response, 2, 1, v1::NEWLY_DENIED, v1::SCTP, 7);
  AddPorts(batch_flip, 9000, 9000);
  v1::Flip* allowed =
      AddFlip(&response, 3, 1, v1::NEWLY_ALLOWED, v1::UDP, 2 * 101);
  AddPorts(allowed, 1, 99);
  AddPorts(allowed, 200, 201);

  v1::PodRef* added = response.add_pods_added();
  added->set_namespace_("shop");
  added->set_name("web-3");
  v1::ImpactTotals* totals = response.mutable_totals();
  totals->set_pods_affected(11);
  totals->set_newly_denied_flows(10);
  totals->set_newly_allowed_flows(202);
  totals->set_flips(3);
  response.set_truncated(true);  // the batch group's list was cut
  return response;
}

TEST(ImpactFormatTest, ParsesFormatNames) {
  EXPECT_EQ(ParseImpactFormat("text"), ImpactFormat::kText);
  EXPECT_EQ(ParseImpactFormat("json"), ImpactFormat::kJson);
  EXPECT_EQ(ParseImpactFormat("csv"), ImpactFormat::kCsv);
  EXPECT_EQ(ParseImpactFormat("md"), ImpactFormat::kMarkdown);
  EXPECT_EQ(ParseImpactFormat("table"), std::nullopt);
}

TEST(ImpactFormatTest, Text) {
  EXPECT_EQ(
      FormatImpact(Sample(), ImpactFormat::kText),
      "10 flows newly denied, 202 newly allowed, 11 pods affected (3 flips); "
      "1 pod added, 0 removed\n"
      "\n"
      "Newly denied (10 flows):\n"
      "  shop [app=web,tier=front] (3 pods: web-0, web-1, web-2) -> "
      "shop [app=db] (1 pod: db-0)  TCP 5432  (3 flows)\n"
      "    e.g. shop/web-0 -> shop/db-0 TCP/5432\n"
      "  jobs [app=a|b->c] (7 pods: b-0, b-1, b-2, b-3, b-4, +2 more) "
      "-> "
      "shop [app=db] (1 pod: db-0)  SCTP 9000  (7 flows)\n"
      "\n"
      "Newly allowed (202 flows):\n"
      "  external 192.168.5.0/24, 192.168.7.0/24 -> shop [app=db] (1 pod: "
      "db-0)  UDP 1-99, 200-201  (202 flows)\n"
      "\n"
      "Pods added (1): shop/web-3\n"
      "\n"
      "Truncated: some groups list only part of their pods. Totals count "
      "everything.\n");
}

TEST(ImpactFormatTest, TextWithNothingToReport) {
  EXPECT_EQ(FormatImpact(v1::AnalyzeImpactResponse(), ImpactFormat::kText),
            "No connectivity change.\n");
}

TEST(ImpactFormatTest, TextWithPodsAddedOnly) {
  v1::AnalyzeImpactResponse response;
  v1::PodRef* removed = response.add_pods_removed();
  removed->set_namespace_("shop");
  removed->set_name("web-3");
  EXPECT_EQ(FormatImpact(response, ImpactFormat::kText),
            "No flow changes verdict; 0 pods added, 1 removed\n"
            "\n"
            "Pods removed (1): shop/web-3\n");
}

TEST(ImpactFormatTest, TextSaysWhichFlipsWereLeftOut) {
  v1::AnalyzeImpactResponse response = Sample();
  response.mutable_flips()->RemoveLast();  // the newly allowed one
  response.mutable_groups(2)->add_pods("b-6");
  EXPECT_THAT(FormatImpact(response, ImpactFormat::kText),
              HasSubstr("Newly allowed (202 flows):\n"
                        "  (none listed: truncated)\n"));
  EXPECT_THAT(FormatImpact(response, ImpactFormat::kText),
              HasSubstr("Truncated: only the first 2 of 3 flips are listed "
                        "(--max-flips). Totals count everything.\n"));
}

TEST(ImpactFormatTest, Json) {
  const std::string text = FormatImpact(Sample(), ImpactFormat::kJson);
  ASSERT_EQ(text.back(), '\n');
  ASSERT_EQ(text.find('\n'), text.size() - 1);  // one line
  const nlohmann::json json = nlohmann::json::parse(text);
  EXPECT_EQ(json["totals"], nlohmann::json::parse(R"({"pods_affected":11,
              "newly_denied_flows":10,"newly_allowed_flows":202,"flips":3})"));
  EXPECT_EQ(json["truncated"], true);
  ASSERT_EQ(json["flips"].size(), 3);
  EXPECT_EQ(json["flips"][0], nlohmann::json::parse(R"({
      "change":"newly-denied",
      "source":{"namespace":"shop","labels":{"app":"web","tier":"front"},
                "pod_count":3,"pods":["web-0","web-1","web-2"]},
      "destination":{"namespace":"shop","labels":{"app":"db"},
                     "pod_count":1,"pods":["db-0"]},
      "protocol":"TCP","ports":[{"first":5432,"last":5432}],"flows":3,
      "samples":[{"src":"shop/web-0","dst":"shop/db-0","port":5432,
                  "protocol":"TCP"}]})"));
  EXPECT_EQ(json["flips"][1]["source"], nlohmann::json::parse(R"({
      "namespace":"jobs","labels":{"app":"a|b"},"labels_after":{"app":"c"},
      "pod_count":7,"pods":["b-0","b-1","b-2","b-3","b-4","b-5"]})"));
  EXPECT_EQ(json["flips"][2]["source"], nlohmann::json::parse(R"({
      "external":true,"cidrs":["192.168.5.0/24","192.168.7.0/24"]})"));
  EXPECT_EQ(json["flips"][2]["change"], "newly-allowed");
  EXPECT_EQ(json["pods_added"], nlohmann::json::parse(R"(["shop/web-3"])"));
  EXPECT_EQ(json["pods_removed"], nlohmann::json::array());
}

TEST(ImpactFormatTest, Csv) {
  EXPECT_EQ(
      FormatImpact(Sample(), ImpactFormat::kCsv),
      "change,source_namespace,source_labels,source_labels_after,"
      "source_pod_count,source_pods,source_cidrs,destination_namespace,"
      "destination_labels,destination_labels_after,destination_pod_count,"
      "destination_pods,destination_cidrs,protocol,ports,flows\n"
      "newly-denied,shop,\"app=web,tier=front\",,3,web-0 web-1 web-2,,shop,"
      "app=db,,1,db-0,,TCP,5432,3\n"
      "newly-denied,jobs,app=a|b,app=c,7,b-0 b-1 b-2 b-3 b-4 b-5,,shop,"
      "app=db,,1,db-0,,SCTP,9000,7\n"
      "newly-allowed,,,,,,192.168.5.0/24 192.168.7.0/24,shop,app=db,,1,db-0,"
      ",UDP,1-99 200-201,202\n");
}

TEST(ImpactFormatTest, Markdown) {
  EXPECT_EQ(
      FormatImpact(Sample(), ImpactFormat::kMarkdown),
      "**Impact:** 10 flows newly denied, 202 newly allowed, 11 pods affected "
      "(3 flips); 1 pod added, 0 removed\n"
      "\n"
      "| Change | Source | Destination | Protocol | Ports | Flows |\n"
      "| --- | --- | --- | --- | --- | ---: |\n"
      "| newly-denied | shop [app=web,tier=front] (3 pods: web-0, web-1, "
      "web-2) | shop [app=db] (1 pod: db-0) | TCP | 5432 | 3 |\n"
      "| newly-denied | jobs [app=a\\|b->c] (7 pods: b-0, b-1, b-2, b-3, "
      "b-4, +2 more) | shop [app=db] (1 pod: db-0) | SCTP | 9000 | 7 |\n"
      "| newly-allowed | external 192.168.5.0/24, 192.168.7.0/24 | shop "
      "[app=db] (1 pod: db-0) | UDP | 1-99, 200-201 | 202 |\n"
      "\n"
      "- Pods added (1): `shop/web-3`\n"
      "\n"
      "Truncated: some groups list only part of their pods. Totals count "
      "everything.\n");
}

TEST(ImpactFormatTest, GroupWithoutListedPodsGivesItsCount) {
  v1::AnalyzeImpactResponse response;
  AddPodGroup(&response, "x", {}, 4);
  AddPodGroup(&response, "y", {"b"}, 1);
  AddPorts(AddFlip(&response, 0, 1, v1::NEWLY_ALLOWED, v1::UDP, 4), 53, 53);
  response.mutable_totals()->set_newly_allowed_flows(4);
  response.mutable_totals()->set_flips(1);
  EXPECT_THAT(FormatImpact(response, ImpactFormat::kText),
              HasSubstr("  x [<no labels>] (4 pods) -> y [<no labels>] (1 pod: "
                        "b)  UDP 53  (4 flows)\n"));
}

TEST(ImpactFormatTest, LongCidrListsAreShortenedInText) {
  v1::AnalyzeImpactResponse response;
  v1::FlowGroup* external = response.add_groups();
  external->set_external(true);
  for (int i = 0; i < 6; ++i) {
    external->add_cidrs("10." + std::to_string(i) + ".0.0/16");
  }
  AddPodGroup(&response, "x", {"a"}, 1);
  AddPorts(AddFlip(&response, 1, 0, v1::NEWLY_DENIED, v1::TCP, 6), 80, 80);
  response.mutable_totals()->set_newly_denied_flows(6);
  response.mutable_totals()->set_flips(1);
  response.mutable_totals()->set_pods_affected(1);
  EXPECT_THAT(FormatImpact(response, ImpactFormat::kText),
              HasSubstr("  x [<no labels>] (1 pod: a) -> external 10.0.0.0/16, "
                        "10.1.0.0/16, 10.2.0.0/16, 10.3.0.0/16, +2 more  TCP "
                        "80  (6 flows)\n"));
}

}  // namespace
}  // namespace netpol::netpolctl
