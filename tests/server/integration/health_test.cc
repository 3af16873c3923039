// grpc.health.v1.Health: NOT_SERVING until the first snapshot is live, then
// SERVING, whether that snapshot comes from an admin push or from fixing a
// watched file.

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/server/integration/pdp_client_util.h"
#include "tests/server/integration/server_process.h"
#include "tests/server/integration/test_cluster.h"

namespace netpol::integration {
namespace {

namespace pb = ::netpol::v1;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

// The server's overall status (service ""); UNKNOWN when the call fails.
HealthCheckResponse::ServingStatus Health(const ServerProcess& server) {
  std::unique_ptr<grpc::health::v1::Health::Stub> stub = server.HealthStub();
  grpc::ClientContext context;
  SetDeadline(&context);
  HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, HealthCheckRequest(), &response);
  EXPECT_TRUE(status.ok()) << status.error_code() << ": "
                           << status.error_message();
  return status.ok() ? response.status() : HealthCheckResponse::UNKNOWN;
}

TEST(HealthTest, ServingOnceAdminPushPublishesFirstSnapshot) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start({});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(Health(**server), HealthCheckResponse::NOT_SERVING);
  std::unique_ptr<pb::PolicyDecisionPoint::Stub> data =
      (*server)->DecisionStub();
  EXPECT_EQ(LiveVersion(*data), 0u);

  std::unique_ptr<pb::SnapshotAdmin::Stub> admin = (*server)->AdminStub();
  pb::ApplySnapshotResponse applied;
  grpc::Status status = Apply(*admin, TestCluster({80}), false, &applied);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(applied.snapshot().version(), 1u);
  EXPECT_TRUE(WaitUntil(
      [&] { return Health(**server) == HealthCheckResponse::SERVING; },
      absl::Seconds(2)));
  EXPECT_EQ(LiveVersion(*data), 1u);
}

TEST(HealthTest, ServingOnceInvalidWatchedFileIsFixed) {
  const std::string dir = MakeTestDir();
  const std::string path = dir + "/cluster.yaml";
  WriteFileAtomically(path, kUnparsableYaml);
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start({"--manifests=" + path, "--watch"});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(Health(**server), HealthCheckResponse::NOT_SERVING);

  WriteFileAtomically(path, TestCluster({80}));
  EXPECT_TRUE(WaitUntil(
      [&] { return Health(**server) == HealthCheckResponse::SERVING; }));
  std::unique_ptr<pb::PolicyDecisionPoint::Stub> data =
      (*server)->DecisionStub();
  EXPECT_EQ(LiveVersion(*data), 1u);
}

}  // namespace
}  // namespace netpol::integration
