// CheckConnectionStream: exactly one response per request, in order. Each
// request's answer is distinguishable (its size and its ALLOW/DENY pattern
// encode the message index), so a reordered or dropped reply shows.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/server/integration/pdp_client_util.h"
#include "tests/server/integration/server_process.h"
#include "tests/server/integration/test_cluster.h"

namespace netpol::integration {
namespace {

namespace pb = ::netpol::v1;

constexpr int kMessages = 200;

// Message i holds 1 + i % 4 connections b -> a; connection j uses port 80
// (allowed) when bit j of i / 4 is set, else 81 (denied).
pb::CheckConnectionRequest StreamRequest(int i) {
  pb::CheckConnectionRequest request;
  for (int j = 0; j < 1 + i % 4; ++j) {
    const bool allowed = ((i / 4) >> j) & 1;
    *request.add_connections() = PodConnection("b", "a", allowed ? 80 : 81);
  }
  return request;
}

std::string Pattern(const pb::CheckConnectionRequest& request) {
  std::string pattern;
  for (const pb::Connection& c : request.connections()) {
    pattern += c.port() == 80 ? 'A' : 'D';
  }
  return pattern;
}

std::string Pattern(const pb::CheckConnectionResponse& response) {
  std::string pattern;
  for (const pb::Decision& d : response.decisions()) {
    pattern += d.verdict() == pb::ALLOW  ? 'A'
               : d.verdict() == pb::DENY ? 'D'
                                         : '?';
  }
  return pattern;
}

TEST(StreamingTest, AnswersEveryMessageInOrder) {
  const std::string dir = MakeTestDir();
  WriteFileAtomically(dir + "/cluster.yaml", TestCluster({80}));
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start({"--manifests=" + dir + "/cluster.yaml"});
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<pb::PolicyDecisionPoint::Stub> stub =
      (*server)->DecisionStub();

  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(20));
  std::unique_ptr<grpc::ClientReaderWriter<pb::CheckConnectionRequest,
                                           pb::CheckConnectionResponse>>
      stream = stub->CheckConnectionStream(&context);
  // Writing on its own thread lets replies flow while requests are sent.
  std::thread writer([&stream] {
    for (int i = 0; i < kMessages; ++i) {
      if (!stream->Write(StreamRequest(i))) return;
    }
    stream->WritesDone();
  });

  std::vector<pb::CheckConnectionResponse> responses;
  pb::CheckConnectionResponse response;
  while (responses.size() <= kMessages && stream->Read(&response)) {
    responses.push_back(response);
  }
  writer.join();
  const grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_code() << ": "
                           << status.error_message();

  ASSERT_EQ(responses.size(), static_cast<size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) {
    EXPECT_EQ(Pattern(responses[i]), Pattern(StreamRequest(i)))
        << "response " << i;
    EXPECT_EQ(responses[i].snapshot_version(), 1u) << "response " << i;
  }
}

TEST(StreamingTest, RequestLevelErrorEndsTheStream) {
  const std::string dir = MakeTestDir();
  WriteFileAtomically(dir + "/cluster.yaml", TestCluster({80}));
  absl::StatusOr<std::unique_ptr<ServerProcess>> server = ServerProcess::Start(
      {"--manifests=" + dir + "/cluster.yaml", "--max-batch=4"});
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<pb::PolicyDecisionPoint::Stub> stub =
      (*server)->DecisionStub();

  grpc::ClientContext context;
  SetDeadline(&context);
  auto stream = stub->CheckConnectionStream(&context);
  ASSERT_TRUE(stream->Write(StreamRequest(3)));
  pb::CheckConnectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.decisions_size(), 4);

  pb::CheckConnectionRequest too_big;
  for (int j = 0; j < 5; ++j)
    *too_big.add_connections() = PodConnection("b", "a", 80);
  stream->Write(too_big);
  stream->WritesDone();
  EXPECT_FALSE(stream->Read(&response));
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

}  // namespace
}  // namespace netpol::integration
