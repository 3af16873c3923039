// /metrics: every documented family is exposed, parses as Prometheus text,
// and moves when a batch is decided.

#include <map>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/server/integration/pdp_client_util.h"
#include "tests/server/integration/scrape_metrics.h"
#include "tests/server/integration/server_process.h"
#include "tests/server/integration/test_cluster.h"

namespace netpol::integration {
namespace {

namespace pb = ::netpol::v1;

TEST(MetricsTest, SeriesPresentAndMoveAfterBatch) {
  const std::string dir = MakeTestDir();
  WriteFileAtomically(dir + "/cluster.yaml", TestCluster({80}));
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start({"--manifests=" + dir + "/cluster.yaml"});
  ASSERT_TRUE(server.ok()) << server.status();

  absl::StatusOr<Scrape> before = ScrapeMetrics(**server);
  ASSERT_TRUE(before.ok()) << before.status();
  const std::pair<const char*, const char*> families[] = {
      {"netpol_decisions_total", "counter"},
      {"netpol_rpc_duration_seconds", "histogram"},
      {"netpol_batch_size", "histogram"},
      {"netpol_snapshot_version", "gauge"},
      {"netpol_snapshot_objects", "gauge"},
      {"netpol_snapshot_compile_duration_seconds", "histogram"},
      {"netpol_snapshot_reloads_total", "counter"},
      {"netpol_snapshot_retained_versions", "gauge"},
  };
  for (const auto& [name, type] : families) {
    auto it = before->types.find(name);
    ASSERT_NE(it, before->types.end()) << "no # TYPE line for " << name;
    EXPECT_EQ(it->second, type) << name;
  }
  EXPECT_EQ(before->Sum("netpol_snapshot_version"), 1);
  EXPECT_EQ(before->Sum("netpol_snapshot_retained_versions"), 1);
  EXPECT_GE(
      before->Sum("netpol_snapshot_reloads_total", {{"result", "published"}})
          .value_or(0),
      1);
  EXPECT_EQ(before->Sum("netpol_snapshot_objects", {{"kind", "Namespace"}}), 1);
  EXPECT_EQ(before->Sum("netpol_snapshot_objects", {{"kind", "Pod"}}), 3);
  EXPECT_EQ(before->Sum("netpol_snapshot_objects", {{"kind", "NetworkPolicy"}}),
            1);
  EXPECT_EQ(before->Sum("netpol_snapshot_compile_duration_seconds_count"), 1);

  // One batch: 2 ALLOWED_BY_POLICY, 1 DENIED_INGRESS, 1 NOT_ISOLATED.
  std::unique_ptr<pb::PolicyDecisionPoint::Stub> data =
      (*server)->DecisionStub();
  pb::CheckConnectionRequest request;
  *request.add_connections() = PodConnection("b", "a", 80);
  *request.add_connections() = PodConnection("b", "a", 80);
  *request.add_connections() = PodConnection("c", "a", 80);
  *request.add_connections() = PodConnection("a", "b", 80);
  pb::CheckConnectionResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  ASSERT_TRUE(data->CheckConnection(&context, request, &response).ok());

  // Recording may trail the reply slightly: poll.
  absl::StatusOr<Scrape> after = before;
  auto delta = [&](const std::string& name,
                   const std::map<std::string, std::string>& labels = {}) {
    return after->Sum(name, labels).value_or(0) -
           before->Sum(name, labels).value_or(0);
  };
  EXPECT_TRUE(WaitUntil(
      [&] {
        after = ScrapeMetrics(**server);
        return after.ok() && delta("netpol_batch_size_count") >= 1;
      },
      absl::Seconds(2)));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(delta("netpol_batch_size_count"), 1);
  EXPECT_EQ(delta("netpol_batch_size_sum"), 4);
  EXPECT_EQ(delta("netpol_decisions_total"), 4);
  EXPECT_EQ(delta("netpol_decisions_total",
                  {{"verdict", "ALLOW"}, {"reason", "ALLOWED_BY_POLICY"}}),
            2);
  EXPECT_EQ(delta("netpol_decisions_total",
                  {{"verdict", "DENY"}, {"reason", "DENIED_INGRESS"}}),
            1);
  EXPECT_EQ(delta("netpol_decisions_total",
                  {{"verdict", "ALLOW"}, {"reason", "NOT_ISOLATED"}}),
            1);
  EXPECT_EQ(delta("netpol_rpc_duration_seconds_count",
                  {{"method", "CheckConnection"}, {"code", "OK"}}),
            1);
}

}  // namespace
}  // namespace netpol::integration
