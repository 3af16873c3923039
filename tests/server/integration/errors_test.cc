// Request-level errors are gRPC statuses (INVALID_ARGUMENT, NOT_FOUND,
// UNAVAILABLE); an invalid item is DENY / INVALID_CONNECTION with an error,
// and never fails the rest of its batch.

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/server/integration/pdp_client_util.h"
#include "tests/server/integration/server_process.h"
#include "tests/server/integration/test_cluster.h"

namespace netpol::integration {
namespace {

namespace pb = ::netpol::v1;

constexpr char kPodA[] = {10, 0, 1, 10};
constexpr char kPodB[] = {10, 0, 1, 11};

// A compact IPv4 block of `n` connections b -> a with the given
// port_protocols values.
pb::CompactConnections BlockBToA(const std::vector<uint32_t>& port_protocols) {
  pb::CompactConnections block;
  block.set_family(4);
  for (uint32_t value : port_protocols) {
    block.mutable_sources()->append(kPodB, 4);
    block.mutable_destinations()->append(kPodA, 4);
    block.add_port_protocols(value);
  }
  return block;
}

class ErrorsTest : public ::testing::Test {
 protected:
  void StartServer(const std::vector<std::string>& extra_args = {}) {
    const std::string dir = MakeTestDir();
    WriteFileAtomically(dir + "/cluster.yaml", TestCluster({80}));
    std::vector<std::string> args = {"--manifests=" + dir + "/cluster.yaml"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    absl::StatusOr<std::unique_ptr<ServerProcess>> server =
        ServerProcess::Start(args);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    data_ = server_->DecisionStub();
  }

  grpc::Status Check(const pb::CheckConnectionRequest& request,
                     pb::CheckConnectionResponse* response) {
    grpc::ClientContext context;
    SetDeadline(&context);
    return data_->CheckConnection(&context, request, response);
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<pb::PolicyDecisionPoint::Stub> data_;
};

TEST_F(ErrorsTest, BatchOverMaxBatchIsInvalidArgumentCountingBothForms) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--max-batch=4"}));
  pb::CheckConnectionResponse response;

  pb::CheckConnectionRequest four;
  for (int i = 0; i < 4; ++i)
    *four.add_connections() = PodConnection("b", "a", 80);
  grpc::Status status = Check(four, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.decisions_size(), 4);

  pb::CheckConnectionRequest five = four;
  *five.add_connections() = PodConnection("b", "a", 80);
  EXPECT_EQ(Check(five, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  pb::CheckConnectionRequest mixed_ok;
  for (int i = 0; i < 2; ++i)
    *mixed_ok.add_connections() = PodConnection("b", "a", 80);
  *mixed_ok.add_compact() = BlockBToA({80, 80});
  status = Check(mixed_ok, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.decisions_size(), 2);
  EXPECT_EQ(response.compact_verdicts(), std::string(2, pb::ALLOW));

  pb::CheckConnectionRequest mixed_over = mixed_ok;
  *mixed_over.add_connections() = PodConnection("b", "a", 80);
  EXPECT_EQ(Check(mixed_over, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "2 + 1 friendly and 2 compact exceed --max-batch=4";

  pb::CheckConnectionRequest compact_over;
  *compact_over.add_compact() = BlockBToA({80, 80, 80});
  *compact_over.add_compact() = BlockBToA({80, 80});
  EXPECT_EQ(Check(compact_over, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "two compact blocks of 3 + 2 exceed --max-batch=4";
}

TEST_F(ErrorsTest, MalformedCompactBlockIsInvalidArgument) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  struct Case {
    const char* what;
    pb::CompactConnections block;
  };
  std::vector<Case> cases;
  {
    pb::CompactConnections b = BlockBToA({80, 80});
    b.mutable_destinations()->resize(4);
    cases.push_back({"2 sources, 1 destination", b});
  }
  {
    pb::CompactConnections b = BlockBToA({80, 80});
    b.add_port_protocols(80);
    cases.push_back({"2 addresses, 3 ports", b});
  }
  {
    pb::CompactConnections b = BlockBToA({80});
    b.mutable_sources()->push_back('\0');
    b.mutable_destinations()->push_back('\0');
    cases.push_back({"5 bytes: not a multiple of 4", b});
  }
  {
    pb::CompactConnections b = BlockBToA({80, 80, 80, 80});
    b.set_family(6);
    cases.push_back({"family 6 with 16 bytes for 4 ports", b});
  }
  {
    pb::CompactConnections b = BlockBToA({80});
    b.set_family(5);
    cases.push_back({"family 5", b});
  }
  for (const Case& c : cases) {
    pb::CheckConnectionRequest request;
    *request.add_connections() = PodConnection("b", "a", 80);
    *request.add_compact() = BlockBToA({80});
    *request.add_compact() = c.block;
    pb::CheckConnectionResponse response;
    EXPECT_EQ(Check(request, &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT)
        << c.what;
  }
}

TEST_F(ErrorsTest, UnknownSnapshotVersionIsNotFound) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::CheckConnectionResponse response;
  grpc::Status status =
      CheckOne(*data_, PodConnection("b", "a", 80), &response, 999);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  status = CheckOne(*data_, PodConnection("b", "a", 80), &response, 1);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.snapshot_version(), 1u);
}

TEST(ErrorsNoSnapshotTest, UnavailableBeforeFirstSnapshot) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start({});
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<pb::PolicyDecisionPoint::Stub> data =
      (*server)->DecisionStub();
  pb::CheckConnectionResponse response;
  EXPECT_EQ(
      CheckOne(*data, IpConnection("10.0.1.11", "10.0.1.10", 80), &response)
          .error_code(),
      grpc::StatusCode::UNAVAILABLE);

  grpc::ClientContext context;
  SetDeadline(&context);
  auto stream = data->CheckConnectionStream(&context);
  pb::CheckConnectionRequest request;
  *request.add_connections() = IpConnection("10.0.1.11", "10.0.1.10", 80);
  stream->Write(request);
  stream->WritesDone();
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);

  pb::GetSnapshotResponse snapshots;
  grpc::Status status = GetSnapshot(*data, &snapshots);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(snapshots.current_version(), 0u);
  EXPECT_EQ(snapshots.retained_size(), 0);
}

TEST_F(ErrorsTest, InvalidItemsAreDeniedAloneWithAnError) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  struct Item {
    const char* what;
    pb::Connection connection;
    bool valid;
  };
  std::vector<Item> items = {
      {"valid first", PodConnection("b", "a", 80), true},
      {"bad IP", IpConnection("10.0.1.300", "10.0.1.10", 80), false},
      {"unknown pod", PodConnection("nope", "a", 80), false},
      {"port 0", PodConnection("b", "a", 0), false},
      {"port 65536", PodConnection("b", "a", 65536), false},
      {"unknown protocol",
       PodConnection("b", "a", 80, static_cast<pb::Protocol>(7)), false},
      {"valid by IP", IpConnection("10.0.1.11", "10.0.1.10", 80), true},
      {"unspecified protocol is TCP",
       PodConnection("b", "a", 80, pb::PROTOCOL_UNSPECIFIED), true},
  };
  pb::CheckConnectionRequest request;
  for (const Item& item : items) *request.add_connections() = item.connection;
  // The compact form too: invalid port or protocol denies that item alone.
  *request.add_compact() =
      BlockBToA({80, 0, 80 | (7u << 16), 80 | (2u << 16), 80 | (1u << 16), 80});
  pb::CheckConnectionResponse response;
  grpc::Status status = Check(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": "
                           << status.error_message();
  EXPECT_EQ(response.snapshot_version(), 1u);
  ASSERT_EQ(response.decisions_size(), static_cast<int>(items.size()));
  for (size_t i = 0; i < items.size(); ++i) {
    const pb::Decision& d = response.decisions(static_cast<int>(i));
    if (items[i].valid) {
      EXPECT_EQ(d.verdict(), pb::ALLOW) << items[i].what;
      EXPECT_EQ(d.reason(), pb::ALLOWED_BY_POLICY) << items[i].what;
      EXPECT_TRUE(d.error().empty()) << items[i].what << ": " << d.error();
    } else {
      EXPECT_EQ(d.verdict(), pb::DENY) << items[i].what;
      EXPECT_EQ(d.reason(), pb::INVALID_CONNECTION) << items[i].what;
      EXPECT_FALSE(d.error().empty()) << items[i].what;
    }
  }
  // ALLOW, port 0, protocol 7, UDP (no rule), TCP, TCP.
  const std::string expected = {pb::ALLOW, pb::DENY,  pb::DENY,
                                pb::DENY,  pb::ALLOW, pb::ALLOW};
  EXPECT_EQ(response.compact_verdicts(), expected);
}

}  // namespace
}  // namespace netpol::integration
