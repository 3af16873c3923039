// DecisionService in-process: a real gRPC server on 127.0.0.1 (ephemeral
// port) and the generated stubs, so status codes, ordering and the
// handlers' own reading and writing of messages (serialized_batch.h) are
// exercised against gRPC's and protobuf's.

#include "server/decision_service.h"

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/snapshot_store.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "netpol/v1/decision.grpc.pb.h"
#include "prometheus/client_metric.h"
#include "prometheus/metric_family.h"
#include "prometheus/metric_type.h"
#include "prometheus/registry.h"
#include "server/server_metrics.h"
#include "tests/core/test_util.h"

namespace netpol::server {
namespace {

using ::testing::HasSubstr;
using testing_util::BFromAPolicyYaml;
using testing_util::CompileYaml;
using testing_util::NamespaceYaml;
using testing_util::PodYaml;

// x/a and x/b; b accepts a on TCP 80 only.
std::shared_ptr<const CompiledSnapshot> Compile() {
  return CompileYaml(absl::StrCat(
      NamespaceYaml("x"), PodYaml("x", "a", "{app: a}", "10.0.1.10"),
      PodYaml("x", "b", "{app: b}", "10.0.1.11"), BFromAPolicyYaml()));
}

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
}

// a -> b on `port`: ALLOW on 80, DENY otherwise.
void AddConnection(v1::CheckConnectionRequest* request, uint32_t port) {
  v1::Connection* c = request->add_connections();
  c->mutable_source()->set_ip("10.0.1.10");
  c->mutable_destination()->mutable_pod()->set_namespace_("x");
  c->mutable_destination()->mutable_pod()->set_name("b");
  c->set_port(port);
}

// `n` compact connections a -> b, port 80 (ALLOW) when i % 3 == 0, else 81.
void AddCompactBlock(v1::CheckConnectionRequest* request, int n) {
  v1::CompactConnections* block = request->add_compact();
  block->set_family(4);
  for (int i = 0; i < n; ++i) {
    block->mutable_sources()->append("\x0a\x00\x01\x0a", 4);
    block->mutable_destinations()->append("\x0a\x00\x01\x0b", 4);
    block->add_port_protocols(i % 3 == 0 ? 80 : 81);
  }
}

std::string ExpectedVerdicts(int n) {
  std::string verdicts;
  for (int i = 0; i < n; ++i) {
    verdicts.push_back(static_cast<char>(i % 3 == 0 ? v1::ALLOW : v1::DENY));
  }
  return verdicts;
}

v1::Verdict Expected(uint32_t port) {
  return port == 80 ? v1::ALLOW : v1::DENY;
}

class TestServer {
 public:
  explicit TestServer(BatchLimits limits = {}, ServerMetrics* metrics = nullptr)
      : service_(store_, limits, metrics) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    EXPECT_NE(port, 0);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::PolicyDecisionPoint::NewStub(channel_);
  }
  ~TestServer() { server_->Shutdown(); }

  SnapshotStore& store() { return store_; }
  v1::PolicyDecisionPoint::Stub& stub() { return *stub_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }

  grpc::Status Check(const v1::CheckConnectionRequest& request,
                     v1::CheckConnectionResponse* response) {
    grpc::ClientContext context;
    SetDeadline(&context);
    return stub_->CheckConnection(&context, request, response);
  }

 private:
  SnapshotStore store_{4};
  DecisionService service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PolicyDecisionPoint::Stub> stub_;
};

class DecisionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshot_ = Compile();
    ASSERT_NE(snapshot_, nullptr);
    server_.store().Publish(snapshot_, "test");
  }

  std::shared_ptr<const CompiledSnapshot> snapshot_;
  TestServer server_;
};

TEST_F(DecisionServiceTest, UnaryBatchAnswersBothForms) {
  v1::CheckConnectionRequest request;
  AddConnection(&request, 80);
  AddConnection(&request, 81);
  v1::Connection* invalid = request.add_connections();
  invalid->mutable_source()->set_ip("not-an-ip");
  invalid->mutable_destination()->set_ip("10.0.1.11");
  invalid->set_port(80);
  v1::CompactConnections* block = request.add_compact();
  block->set_family(4);
  block->set_sources(std::string("\x0a\x00\x01\x0a\x0a\x00\x01\x0a", 8));
  block->set_destinations(std::string("\x0a\x00\x01\x0b\x0a\x00\x01\x0b", 8));
  block->add_port_protocols(80 | (1 << 16));
  block->add_port_protocols(443 | (1 << 16));

  v1::CheckConnectionResponse response;
  const grpc::Status status = server_.Check(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.snapshot_version(), 1u);
  ASSERT_EQ(response.decisions_size(), 3);
  EXPECT_EQ(response.decisions(0).verdict(), v1::ALLOW);
  EXPECT_EQ(response.decisions(0).reason(), v1::ALLOWED_BY_POLICY);
  EXPECT_EQ(response.decisions(1).verdict(), v1::DENY);
  EXPECT_EQ(response.decisions(1).reason(), v1::DENIED_INGRESS);
  EXPECT_EQ(response.decisions(2).reason(), v1::INVALID_CONNECTION);
  EXPECT_THAT(response.decisions(2).error(), HasSubstr("not-an-ip"));
  EXPECT_EQ(
      response.compact_verdicts(),
      std::string({static_cast<char>(v1::ALLOW), static_cast<char>(v1::DENY)}));
}

TEST_F(DecisionServiceTest, UnaryErrorsMapToStatusCodes) {
  v1::CheckConnectionRequest request;
  AddConnection(&request, 80);
  v1::CheckConnectionResponse response;

  request.set_snapshot_version(9);
  grpc::Status status = server_.Check(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(),
              HasSubstr("snapshot version 9 is not retained (retained: 1-1)"));

  request.set_snapshot_version(0);
  v1::CompactConnections* block = request.add_compact();
  block->set_family(4);
  block->set_sources("abc");
  block->set_destinations("abcd");
  block->add_port_protocols(80);
  status = server_.Check(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("compact[0]"));
}

TEST(DecisionServiceLimitsTest, OversizedBatchIsInvalidArgument) {
  TestServer server(BatchLimits{2});
  server.store().Publish(Compile(), "test");
  v1::CheckConnectionRequest request;
  for (int i = 0; i < 3; ++i) AddConnection(&request, 80);
  v1::CheckConnectionResponse response;
  const grpc::Status status = server.Check(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("exceeds the maximum of 2"));
}

TEST(DecisionServiceEmptyStoreTest, UnavailableUntilFirstSnapshot) {
  TestServer server;
  v1::CheckConnectionRequest request;
  AddConnection(&request, 80);
  v1::CheckConnectionResponse response;
  grpc::Status status = server.Check(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);

  grpc::ClientContext context;
  SetDeadline(&context);
  v1::GetSnapshotResponse snapshot;
  ASSERT_TRUE(server.stub()
                  .GetSnapshot(&context, v1::GetSnapshotRequest(), &snapshot)
                  .ok());
  EXPECT_EQ(snapshot.current_version(), 0u);
  EXPECT_EQ(snapshot.retained_size(), 0);

  server.store().Publish(Compile(), "late");
  status = server.Check(request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(DecisionServiceTest, StreamAnswersEveryRequestInOrder) {
  constexpr int kMessages = 300;
  grpc::ClientContext context;
  SetDeadline(&context);
  auto stream = server_.stub().CheckConnectionStream(&context);
  // Message i holds i % 5 + 1 connections; the port pattern differs per
  // message, so a reordered or merged answer cannot match.
  auto port_of = [](int message, int item) {
    return (message + item) % 3 == 0 ? 80u : 81u;
  };
  for (int i = 0; i < kMessages; ++i) {
    v1::CheckConnectionRequest request;
    for (int j = 0; j <= i % 5; ++j) AddConnection(&request, port_of(i, j));
    ASSERT_TRUE(stream->Write(request));
  }
  ASSERT_TRUE(stream->WritesDone());
  v1::CheckConnectionResponse response;
  for (int i = 0; i < kMessages; ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(stream->Read(&response));
    ASSERT_EQ(response.decisions_size(), i % 5 + 1);
    for (int j = 0; j <= i % 5; ++j) {
      EXPECT_EQ(response.decisions(j).verdict(), Expected(port_of(i, j)));
    }
    EXPECT_EQ(response.snapshot_version(), 1u);
  }
  EXPECT_FALSE(stream->Read(&response));
  const grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(DecisionServiceTest, StreamRequestErrorEndsTheStream) {
  grpc::ClientContext context;
  SetDeadline(&context);
  auto stream = server_.stub().CheckConnectionStream(&context);
  v1::CheckConnectionRequest good;
  AddConnection(&good, 80);
  v1::CheckConnectionRequest pinned_gone = good;
  pinned_gone.set_snapshot_version(42);
  ASSERT_TRUE(stream->Write(good));
  v1::CheckConnectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.decisions(0).verdict(), v1::ALLOW);

  ASSERT_TRUE(stream->Write(pinned_gone));
  EXPECT_FALSE(stream->Read(&response));
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("snapshot version 42"));
}

// The value of one series of `registry`: a counter's value or a histogram's
// sample count; -1 when the series does not exist.
double SeriesValue(prometheus::Registry& registry, const std::string& family,
                   const std::map<std::string, std::string>& labels) {
  for (const prometheus::MetricFamily& f : registry.Collect()) {
    if (f.name != family) continue;
    for (const prometheus::ClientMetric& metric : f.metric) {
      std::map<std::string, std::string> found;
      for (const auto& label : metric.label) found[label.name] = label.value;
      if (found != labels) continue;
      return f.type == prometheus::MetricType::Histogram
                 ? static_cast<double>(metric.histogram.sample_count)
                 : metric.counter.value;
    }
  }
  return -1;
}

TEST(DecisionServiceMetricsTest, RecordsRpcsAndBatches) {
  prometheus::Registry registry;
  ServerMetrics metrics(registry);
  TestServer server({}, &metrics);
  server.store().Publish(Compile(), "test");

  v1::CheckConnectionRequest request;
  AddConnection(&request, 80);
  AddConnection(&request, 80);
  AddConnection(&request, 0);
  v1::CheckConnectionResponse response;
  ASSERT_TRUE(server.Check(request, &response).ok());
  v1::CheckConnectionRequest pinned = request;
  pinned.set_snapshot_version(5);
  EXPECT_EQ(server.Check(pinned, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    auto stream = server.stub().CheckConnectionStream(&context);
    ASSERT_TRUE(stream->Write(request));
    ASSERT_TRUE(stream->Write(request));
    ASSERT_TRUE(stream->WritesDone());
    while (stream->Read(&response)) {
    }
    // The server finishes only after recording its last message.
    ASSERT_TRUE(stream->Finish().ok());
  }

  const std::string rpc = "netpol_rpc_duration_seconds";
  EXPECT_EQ(SeriesValue(registry, rpc,
                        {{"method", "CheckConnection"}, {"code", "OK"}}),
            1);
  EXPECT_EQ(SeriesValue(registry, rpc,
                        {{"method", "CheckConnection"}, {"code", "NOT_FOUND"}}),
            1);
  EXPECT_EQ(SeriesValue(registry, rpc,
                        {{"method", "CheckConnectionStream"}, {"code", "OK"}}),
            2);
  // Three successful batches of three; the failed one is not counted.
  const std::string decisions = "netpol_decisions_total";
  EXPECT_EQ(
      SeriesValue(registry, decisions,
                  {{"verdict", "ALLOW"}, {"reason", "ALLOWED_BY_POLICY"}}),
      6);
  EXPECT_EQ(
      SeriesValue(registry, decisions,
                  {{"verdict", "DENY"}, {"reason", "INVALID_CONNECTION"}}),
      3);
  EXPECT_EQ(SeriesValue(registry, "netpol_batch_size", {}), 3);
}

TEST_F(DecisionServiceTest, LargeBatchOnTheArena) {
  v1::CheckConnectionRequest request;
  for (int i = 0; i < 10000; ++i) AddConnection(&request, i % 2 ? 80 : 81);
  v1::CheckConnectionResponse response;
  const grpc::Status status = server_.Check(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.decisions_size(), 10000);
  for (int i = 0; i < 10000; ++i) {
    ASSERT_EQ(response.decisions(i).verdict(), Expected(i % 2 ? 80 : 81)) << i;
  }
}

// 10,000 compact connections arrive in several slices.
TEST_F(DecisionServiceTest, LargeCompactBatch) {
  v1::CheckConnectionRequest request;
  AddCompactBlock(&request, 10000);
  v1::CheckConnectionResponse response;
  const grpc::Status status = server_.Check(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.compact_verdicts(), ExpectedVerdicts(10000));
  EXPECT_EQ(response.snapshot_version(), 1u);
  EXPECT_EQ(response.decisions_size(), 0);
}

// The handlers read requests as bytes: a gzip-compressed request must reach
// them decompressed.
TEST_F(DecisionServiceTest, CompressedRequests) {
  for (int form = 0; form < 2; ++form) {
    v1::CheckConnectionRequest request;
    if (form == 0) {
      AddCompactBlock(&request, 5000);
    } else {
      for (int i = 0; i < 100; ++i) AddConnection(&request, 80);
    }
    grpc::ClientContext context;
    SetDeadline(&context);
    context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    v1::CheckConnectionResponse response;
    const grpc::Status status =
        server_.stub().CheckConnection(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (form == 0) {
      EXPECT_EQ(response.compact_verdicts(), ExpectedVerdicts(5000));
    } else {
      EXPECT_EQ(response.decisions_size(), 100);
    }
  }
}

// One stream's buffers serve compact and friendly messages in turn.
TEST_F(DecisionServiceTest, StreamAlternatesForms) {
  grpc::ClientContext context;
  SetDeadline(&context);
  auto stream = server_.stub().CheckConnectionStream(&context);
  const std::vector<int> sizes = {10000, 1, 3, 5000, 0, 7};
  for (size_t i = 0; i < sizes.size(); ++i) {
    v1::CheckConnectionRequest request;
    if (i % 2 == 0) {
      AddCompactBlock(&request, sizes[i]);
    } else {
      for (int j = 0; j < sizes[i]; ++j) AddConnection(&request, 80);
    }
    ASSERT_TRUE(stream->Write(request));
  }
  ASSERT_TRUE(stream->WritesDone());
  v1::CheckConnectionResponse response;
  for (size_t i = 0; i < sizes.size(); ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(stream->Read(&response));
    if (i % 2 == 0) {
      EXPECT_EQ(response.compact_verdicts(), ExpectedVerdicts(sizes[i]));
      EXPECT_EQ(response.decisions_size(), 0);
    } else {
      EXPECT_EQ(response.decisions_size(), sizes[i]);
      EXPECT_TRUE(response.compact_verdicts().empty());
    }
  }
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_TRUE(stream->Finish().ok());
}

// Bytes that are not a CheckConnectionRequest, sent with the generic
// stub: a precise error, and the server goes on answering.
TEST_F(DecisionServiceTest, MalformedRequestIsInvalidArgument) {
  grpc::GenericStub generic(server_.channel());
  for (const std::string& bytes :
       {std::string("\x22\x05\x08", 3), std::string("\x0a\x05\x08", 3)}) {
    const grpc::Slice slice(bytes.data(), bytes.size());
    const grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::ClientContext context;
    SetDeadline(&context);
    std::promise<grpc::Status> done;
    generic.UnaryCall(&context,
                      "/netpol.v1.PolicyDecisionPoint/CheckConnection",
                      grpc::StubOptions(), &request, &response,
                      [&done](grpc::Status status) { done.set_value(status); });
    const grpc::Status status = done.get_future().get();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(status.error_message(),
              "the request is not a serialized "
              "netpol.v1.CheckConnectionRequest");
  }
  v1::CheckConnectionRequest request;
  AddCompactBlock(&request, 3);
  v1::CheckConnectionResponse response;
  ASSERT_TRUE(server_.Check(request, &response).ok());
  EXPECT_EQ(response.compact_verdicts(), ExpectedVerdicts(3));
}

TEST_F(DecisionServiceTest, GetSnapshotListsRetainedVersions) {
  server_.store().Publish(snapshot_, "second");
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::GetSnapshotResponse response;
  ASSERT_TRUE(server_.stub()
                  .GetSnapshot(&context, v1::GetSnapshotRequest(), &response)
                  .ok());
  EXPECT_EQ(response.current_version(), 2u);
  ASSERT_EQ(response.retained_size(), 2);
  EXPECT_EQ(response.retained(0).version(), 1u);
  EXPECT_EQ(response.retained(0).source(), "test");
  EXPECT_EQ(response.retained(1).version(), 2u);
  EXPECT_EQ(response.retained(1).source(), "second");
  EXPECT_EQ(response.retained(1).pods(), 2u);
  EXPECT_EQ(response.retained(1).network_policies(), 1u);
  EXPECT_EQ(response.retained(1).namespaces(), 1u);
  EXPECT_FALSE(response.retained(1).content_hash().empty());
  EXPECT_GT(response.retained(1).created().seconds(), 0);
}

}  // namespace
}  // namespace netpol::server
