// SIGTERM and SIGINT drain the server gracefully: exit code 0 within a few
// seconds, even with a stream still open, and nothing on stdout but the
// ready line.

#include <signal.h>

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/server/integration/pdp_client_util.h"
#include "tests/server/integration/server_process.h"
#include "tests/server/integration/test_cluster.h"

namespace netpol::integration {
namespace {

namespace pb = ::netpol::v1;

class ShutdownTest : public ::testing::TestWithParam<int> {};

TEST_P(ShutdownTest, SignalExitsZeroWithinGrace) {
  const std::string dir = MakeTestDir();
  WriteFileAtomically(dir + "/cluster.yaml", TestCluster({80}));
  absl::StatusOr<std::unique_ptr<ServerProcess>> server = ServerProcess::Start(
      {"--manifests=" + dir + "/cluster.yaml", "--shutdown-grace=1s"});
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<pb::PolicyDecisionPoint::Stub> data =
      (*server)->DecisionStub();

  // An open stream must not hold the process past the grace period.
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(10));
  auto stream = data->CheckConnectionStream(&context);
  pb::CheckConnectionRequest request;
  *request.add_connections() = PodConnection("b", "a", 80);
  ASSERT_TRUE(stream->Write(request));
  pb::CheckConnectionResponse response;
  ASSERT_TRUE(stream->Read(&response));

  const absl::Time start = absl::Now();
  absl::StatusOr<int> code = (*server)->Stop(GetParam(), absl::Seconds(5));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  EXPECT_EQ((*server)->stdout_after_ready(), "")
      << "stdout must hold only the ready line";
  context.TryCancel();
  stream->Finish();
}

INSTANTIATE_TEST_SUITE_P(Signals, ShutdownTest,
                         ::testing::Values(SIGTERM, SIGINT),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == SIGTERM ? "SIGTERM" : "SIGINT";
                         });

}  // namespace
}  // namespace netpol::integration
