// ServerMetrics through what Prometheus sees: the registry serialized in
// the text format and parsed back.

#include "server/server_metrics.h"

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "tests/server/integration/prometheus_text.h"

namespace netpol::server {
namespace {

using integration::Sample;
using integration::Scrape;
using ::testing::Optional;

class ServerMetricsTest : public ::testing::Test {
 protected:
  Scrape Collect() {
    const std::string text =
        prometheus::TextSerializer().Serialize(registry_.Collect());
    absl::StatusOr<Scrape> scrape = integration::ParsePrometheusText(text);
    EXPECT_TRUE(scrape.ok()) << scrape.status() << "\n" << text;
    return scrape.ok() ? *scrape : Scrape{};
  }

  // The finite `le` bounds of histogram `name`'s buckets for `labels`.
  std::vector<double> BucketBounds(
      const Scrape& scrape, const std::string& name,
      const std::map<std::string, std::string>& labels) {
    std::vector<double> bounds;
    for (const Sample& sample : scrape.samples) {
      if (sample.name != name + "_bucket") continue;
      bool matches = true;
      for (const auto& [key, value] : labels) {
        auto it = sample.labels.find(key);
        matches &= it != sample.labels.end() && it->second == value;
      }
      const std::string& le = sample.labels.at("le");
      if (matches && le != "+Inf") bounds.push_back(std::stod(le));
    }
    return bounds;
  }

  prometheus::Registry registry_;
  ServerMetrics metrics_{registry_};
};

TEST_F(ServerMetricsTest, RpcDurationsByMethodAndCode) {
  metrics_.RecordRpc(RpcMethod::kCheckConnection, grpc::StatusCode::OK, 0.0003);
  metrics_.RecordRpc(RpcMethod::kCheckConnection, grpc::StatusCode::OK, 0.2);
  metrics_.RecordRpc(RpcMethod::kCheckConnection,
                     grpc::StatusCode::INVALID_ARGUMENT, 0.001);
  metrics_.RecordRpc(RpcMethod::kRollback, grpc::StatusCode::NOT_FOUND, 0.001);
  const Scrape scrape = Collect();
  EXPECT_EQ(scrape.types.at("netpol_rpc_duration_seconds"), "histogram");
  const std::string count = "netpol_rpc_duration_seconds_count";
  EXPECT_THAT(
      scrape.Sum(count, {{"method", "CheckConnection"}, {"code", "OK"}}),
      Optional(2.0));
  EXPECT_THAT(scrape.Sum(count, {{"method", "CheckConnection"},
                                 {"code", "INVALID_ARGUMENT"}}),
              Optional(1.0));
  EXPECT_THAT(
      scrape.Sum(count, {{"method", "Rollback"}, {"code", "NOT_FOUND"}}),
      Optional(1.0));
  EXPECT_THAT(
      scrape.Sum(
          "netpol_rpc_duration_seconds_bucket",
          {{"method", "CheckConnection"}, {"code", "OK"}, {"le", "0.0005"}}),
      Optional(1.0));
  EXPECT_THAT(scrape.Sum("netpol_rpc_duration_seconds_sum",
                         {{"method", "CheckConnection"}, {"code", "OK"}}),
              Optional(::testing::DoubleNear(0.2003, 1e-9)));
}

TEST_F(ServerMetricsTest, OnlyCodesThatOccurredAreListedBesidesOk) {
  const Scrape scrape = Collect();
  // Every method's OK series exists from the start, at zero.
  for (const char* method :
       {"CheckConnection", "CheckConnectionStream", "GetSnapshot",
        "ApplySnapshot", "Rollback", "AnalyzeImpact"}) {
    EXPECT_THAT(scrape.Sum("netpol_rpc_duration_seconds_count",
                           {{"method", method}, {"code", "OK"}}),
                Optional(0.0))
        << method;
  }
  EXPECT_EQ(
      scrape.Sum("netpol_rpc_duration_seconds_count", {{"code", "NOT_FOUND"}}),
      std::nullopt);
}

TEST_F(ServerMetricsTest, UnknownStatusCodeIsRecordedAsUnknown) {
  metrics_.RecordRpc(RpcMethod::kGetSnapshot, static_cast<grpc::StatusCode>(99),
                     0.001);
  EXPECT_THAT(Collect().Sum("netpol_rpc_duration_seconds_count",
                            {{"method", "GetSnapshot"}, {"code", "UNKNOWN"}}),
              Optional(1.0));
}

TEST_F(ServerMetricsTest, RpcBucketsSpan50MicrosecondsToFiveSeconds) {
  const std::vector<double> bounds =
      BucketBounds(Collect(), "netpol_rpc_duration_seconds",
                   {{"method", "CheckConnection"}, {"code", "OK"}});
  ASSERT_FALSE(bounds.empty());
  EXPECT_DOUBLE_EQ(bounds.front(), 50e-6);
  EXPECT_DOUBLE_EQ(bounds.back(), 5.0);
}

TEST_F(ServerMetricsTest, BatchCountsDecisionsByVerdictAndReason) {
  DecisionTally tally;
  tally.batch_size = 7;
  tally.by_reason[static_cast<int>(Reason::kLoopback)] = 2;
  tally.by_reason[static_cast<int>(Reason::kAllowedByPolicy)] = 3;
  tally.by_reason[static_cast<int>(Reason::kDeniedIngress)] = 1;
  tally.by_reason[static_cast<int>(Reason::kInvalid)] = 1;
  metrics_.RecordBatch(tally);
  metrics_.RecordBatch(tally);

  const Scrape scrape = Collect();
  const std::string decisions = "netpol_decisions_total";
  EXPECT_EQ(scrape.types.at(decisions), "counter");
  EXPECT_THAT(
      scrape.Sum(decisions, {{"verdict", "ALLOW"}, {"reason", "LOOPBACK"}}),
      Optional(4.0));
  EXPECT_THAT(scrape.Sum(decisions, {{"verdict", "ALLOW"},
                                     {"reason", "ALLOWED_BY_POLICY"}}),
              Optional(6.0));
  EXPECT_THAT(scrape.Sum(decisions,
                         {{"verdict", "DENY"}, {"reason", "DENIED_INGRESS"}}),
              Optional(2.0));
  EXPECT_THAT(scrape.Sum(decisions, {{"verdict", "DENY"},
                                     {"reason", "INVALID_CONNECTION"}}),
              Optional(2.0));
  EXPECT_THAT(scrape.Sum(decisions, {{"verdict", "ALLOW"}}), Optional(10.0));
  EXPECT_THAT(scrape.Sum(decisions, {{"verdict", "DENY"}}), Optional(4.0));

  EXPECT_THAT(scrape.Sum("netpol_batch_size_count"), Optional(2.0));
  EXPECT_THAT(scrape.Sum("netpol_batch_size_sum"), Optional(14.0));
  EXPECT_THAT(scrape.Sum("netpol_batch_size_bucket", {{"le", "5"}}),
              Optional(0.0));
  EXPECT_THAT(scrape.Sum("netpol_batch_size_bucket", {{"le", "10"}}),
              Optional(2.0));
  const std::vector<double> bounds =
      BucketBounds(scrape, "netpol_batch_size", {});
  ASSERT_FALSE(bounds.empty());
  EXPECT_DOUBLE_EQ(bounds.front(), 1);
  EXPECT_DOUBLE_EQ(bounds.back(), 10000);
}

TEST_F(ServerMetricsTest, ReloadsAndLiveSnapshot) {
  metrics_.RecordReload(true, 0.027);
  metrics_.RecordReload(false, 0);
  metrics_.RecordReload(false, 0);
  SnapshotInfo live;
  live.version = 3;
  live.namespaces = 100;
  live.pods = 10000;
  live.policies = 2000;
  metrics_.SetLiveSnapshot(live, 3);

  const Scrape scrape = Collect();
  EXPECT_THAT(
      scrape.Sum("netpol_snapshot_reloads_total", {{"result", "published"}}),
      Optional(1.0));
  EXPECT_THAT(
      scrape.Sum("netpol_snapshot_reloads_total", {{"result", "rejected"}}),
      Optional(2.0));
  // Rejected loads are not compile samples.
  EXPECT_THAT(scrape.Sum("netpol_snapshot_compile_duration_seconds_count"),
              Optional(1.0));
  EXPECT_THAT(scrape.Sum("netpol_snapshot_compile_duration_seconds_sum"),
              Optional(::testing::DoubleNear(0.027, 1e-9)));
  EXPECT_EQ(scrape.types.at("netpol_snapshot_version"), "gauge");
  EXPECT_THAT(scrape.Sum("netpol_snapshot_version"), Optional(3.0));
  EXPECT_THAT(scrape.Sum("netpol_snapshot_objects", {{"kind", "Namespace"}}),
              Optional(100.0));
  EXPECT_THAT(scrape.Sum("netpol_snapshot_objects", {{"kind", "Pod"}}),
              Optional(10000.0));
  EXPECT_THAT(
      scrape.Sum("netpol_snapshot_objects", {{"kind", "NetworkPolicy"}}),
      Optional(2000.0));
  EXPECT_THAT(scrape.Sum("netpol_snapshot_retained_versions"), Optional(3.0));
}

// Handles created on first use must be created once even when threads race.
TEST_F(ServerMetricsTest, ConcurrentFirstUseCountsEverySample) {
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([this] {
      for (int i = 0; i < kPerThread; ++i) {
        metrics_.RecordRpc(RpcMethod::kCheckConnectionStream,
                           grpc::StatusCode::UNAVAILABLE, 1e-4);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const Scrape scrape = Collect();
  int series = 0;
  for (const Sample& sample : scrape.samples) {
    if (sample.name == "netpol_rpc_duration_seconds_count" &&
        sample.labels.at("code") == "UNAVAILABLE") {
      ++series;
    }
  }
  EXPECT_EQ(series, 1);
  EXPECT_THAT(scrape.Sum("netpol_rpc_duration_seconds_count",
                         {{"method", "CheckConnectionStream"},
                          {"code", "UNAVAILABLE"}}),
              Optional(2.0 * kPerThread));
}

}  // namespace
}  // namespace netpol::server
