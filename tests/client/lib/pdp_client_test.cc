// PdpClient against the real DecisionService in-process (127.0.0.1, ephemeral
// ports): both request forms, ordering, coalescing, deadlines, retries,
// streams and round robin.

#include "netpol/client/pdp_client.h"

#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "netpol/v1/decision.grpc.pb.h"
#include "tests/client/lib/test_pdp_server.h"

namespace netpol::client {
namespace {

using client_testing::TestPdpServer;
using ::testing::HasSubstr;

// x/a -> x/b: ALLOW on TCP 80 only. The endpoint forms vary with `form`.
Connection AToB(uint16_t port, int form) {
  switch (form % 3) {
    case 0:
      return {Endpoint::Ip("10.0.1.10"), Endpoint::Ip("10.0.1.11"), port};
    case 1:
      return {Endpoint::Ipv4({10, 0, 1, 10}), Endpoint::Ipv4({10, 0, 1, 11}),
              port};
    default:
      return {Endpoint::Pod("x", "a"), Endpoint::Pod("x", "b"), port};
  }
}

Verdict Expected(uint16_t port) {
  return port == 80 ? Verdict::kAllow : Verdict::kDeny;
}

std::unique_ptr<PdpClient> MakeClient(PdpClientOptions options) {
  absl::StatusOr<std::unique_ptr<PdpClient>> client =
      PdpClient::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

PdpClientOptions Options(const std::string& target) {
  PdpClientOptions options;
  options.target = target;
  options.deadline = absl::Seconds(5);  // loaded CI machines
  return options;
}

TEST(PdpClientTest, CreateRejectsMissingOrBadAddresses) {
  EXPECT_EQ(PdpClient::Create({}).status().code(),
            absl::StatusCode::kInvalidArgument);
  PdpClientOptions options;
  options.addresses = {"pdp.example:50051"};
  EXPECT_THAT(PdpClient::Create(options).status().message(),
              HasSubstr("dns:///"));
  options.addresses = {"127.0.0.1:1", "[::1]:1"};
  EXPECT_EQ(PdpClient::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PdpClientTest, MixedFormsAnswerInInputOrder) {
  TestPdpServer server;
  std::unique_ptr<PdpClient> client = MakeClient(Options(server.address()));
  std::vector<Connection> batch;
  for (int i = 0; i < 30; ++i) batch.push_back(AToB(i % 2 ? 81 : 80, i));
  // IPv6 externals (compact, family 6), and an invalid text IP (friendly).
  batch.push_back(
      {Endpoint::Ip("2001:db8::1"), Endpoint::Ip("2001:db8::2"), 9});
  batch.push_back({Endpoint::Ip("not-an-ip"), Endpoint::Pod("x", "b"), 80});
  // Families differ: the friendly form.
  batch.push_back({Endpoint::Ip("10.0.1.10"), Endpoint::Ip("2001:db8::2"), 9});

  const std::vector<Decision> decisions = client->Check(batch);
  ASSERT_EQ(decisions.size(), batch.size());
  for (int i = 0; i < 30; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(decisions[i].verdict, Expected(batch[i].port));
    EXPECT_GT(decisions[i].snapshot_version, 0u);
    if (i % 3 == 2) {  // pod references: friendly, with reasons
      EXPECT_EQ(decisions[i].reason,
                i % 2 ? Reason::kDeniedIngress : Reason::kAllowedByPolicy);
    } else {  // IPs: compact, verdict only
      EXPECT_EQ(decisions[i].reason, Reason::kUnspecified);
    }
  }
  EXPECT_EQ(decisions[30].verdict, Verdict::kAllow);
  EXPECT_EQ(decisions[31].reason, Reason::kInvalidConnection);
  EXPECT_THAT(decisions[31].error, HasSubstr("not-an-ip"));
  EXPECT_EQ(decisions[32].reason, Reason::kNotIsolated);
  EXPECT_EQ(client->stats().rpcs, 1u);
}

TEST(PdpClientTest, AsyncCallbackAndFuture) {
  TestPdpServer server;
  std::unique_ptr<PdpClient> client = MakeClient(Options(server.address()));
  const std::vector<Connection> batch = {AToB(81, 2), AToB(80, 0)};
  std::promise<std::vector<Decision>> answered;
  client->CheckAsync(batch, [&](std::vector<Decision> d) {
    answered.set_value(std::move(d));
  });
  std::future<std::vector<Decision>> future = client->CheckFuture(batch);
  for (const std::vector<Decision>& d :
       {answered.get_future().get(), future.get()}) {
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d[0].verdict, Verdict::kDeny);
    EXPECT_EQ(d[1].verdict, Verdict::kAllow);
  }
  EXPECT_TRUE(client->Check({}).empty());
}

TEST(PdpClientTest, CheckOneFromEightThreadsIsCoalesced) {
  TestPdpServer server;
  PdpClientOptions options = Options(server.address());
  options.coalesce_max_batch = 6;  // 8 threads: some batches hit the cap
  std::unique_ptr<PdpClient> client = MakeClient(options);
  constexpr int kThreads = 8;
  constexpr int kCalls = 200;
  std::vector<std::thread> threads;
  std::vector<int> wrong(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const uint16_t port = (i + t) % 2 ? 81 : 80;
        const Decision d = client->CheckOne(AToB(port, i + t));
        if (d.verdict != Expected(port) || d.unavailable()) ++wrong[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;

  const PdpClientStats stats = client->stats();
  EXPECT_EQ(stats.coalesced_connections, uint64_t{kThreads * kCalls});
  // Batches formed (fewer RPCs than calls), none above the cap.
  EXPECT_LT(stats.coalesced_batches, stats.coalesced_connections);
  EXPECT_GE(stats.coalesced_batches * 6, stats.coalesced_connections);
  EXPECT_EQ(stats.rpcs, stats.coalesced_batches);
}

// Answers nothing until the client gives up.
class SlowService final : public v1::PolicyDecisionPoint::Service {
  grpc::Status CheckConnection(grpc::ServerContext* context,
                               const v1::CheckConnectionRequest*,
                               v1::CheckConnectionResponse*) override {
    while (!context->IsCancelled()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return grpc::Status::CANCELLED;
  }
};

TEST(PdpClientTest, DeadlineGivesTheConfiguredFailVerdict) {
  SlowService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(port, 0);

  for (bool fail_open : {false, true}) {
    SCOPED_TRACE(fail_open);
    PdpClientOptions options;
    options.target = absl::StrCat("127.0.0.1:", port);
    options.deadline = absl::Milliseconds(50);  // the default
    options.fail_open = fail_open;
    std::unique_ptr<PdpClient> client = MakeClient(options);
    const absl::Time start = absl::Now();
    const std::vector<Decision> d = client->Check({AToB(80, 0), AToB(81, 2)});
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
    ASSERT_EQ(d.size(), 2u);
    for (const Decision& decision : d) {
      EXPECT_TRUE(decision.unavailable());
      EXPECT_EQ(decision.verdict, fail_open ? Verdict::kAllow : Verdict::kDeny);
      EXPECT_THAT(decision.error, HasSubstr("DEADLINE_EXCEEDED"));
    }
    EXPECT_TRUE(client->CheckOne(AToB(80, 1)).unavailable());
    EXPECT_EQ(client->stats().retries, 0u);  // only UNAVAILABLE is retried
  }
  server->Shutdown();
}

TEST(PdpClientTest, RetriesUnavailableUntilASnapshotIsLive) {
  TestPdpServer server(/*versions=*/0);  // UNAVAILABLE until published
  PdpClientOptions options = Options(server.address());
  options.max_attempts = 1;
  EXPECT_TRUE(MakeClient(options)->Check({AToB(80, 0)})[0].unavailable());

  options.max_attempts = 50;
  options.initial_backoff = absl::Milliseconds(5);
  options.max_backoff = absl::Milliseconds(20);
  std::unique_ptr<PdpClient> client = MakeClient(options);
  std::thread publisher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    server.Publish();
  });
  const std::vector<Decision> d = client->Check({AToB(80, 0)});
  publisher.join();
  EXPECT_FALSE(d[0].unavailable()) << d[0].error;
  EXPECT_EQ(d[0].verdict, Verdict::kAllow);
  EXPECT_GE(client->stats().retries, 1u);
  EXPECT_EQ(client->stats().rpcs, client->stats().retries + 1);
}

TEST(PdpClientTest, StoppedServerIsRetriedThenFailsClosed) {
  TestPdpServer server;
  PdpClientOptions options = Options(server.address());
  server.Stop();
  options.max_attempts = 3;
  std::unique_ptr<PdpClient> client = MakeClient(options);
  const Decision d = client->Check({AToB(80, 0)})[0];
  EXPECT_TRUE(d.unavailable());
  EXPECT_EQ(d.verdict, Verdict::kDeny);
  EXPECT_THAT(d.error, HasSubstr("UNAVAILABLE"));
  EXPECT_EQ(client->stats().rpcs, 3u);
  EXPECT_EQ(client->stats().unavailable, 1u);
}

TEST(PdpClientTest, StreamSessionAnswersInOrder) {
  TestPdpServer server;
  std::unique_ptr<PdpClient> client = MakeClient(Options(server.address()));
  std::unique_ptr<CheckStream> stream = client->OpenStream();
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE(round);
    std::vector<Connection> batch;
    for (int i = 0; i <= round * 3; ++i) {
      batch.push_back(AToB((i + round) % 2 ? 81 : 80, i + round));
    }
    const std::vector<Decision> d = stream->Check(batch);
    ASSERT_EQ(d.size(), batch.size());
    for (size_t i = 0; i < d.size(); ++i) {
      EXPECT_FALSE(d[i].unavailable()) << d[i].error;
      EXPECT_EQ(d[i].verdict, Expected(batch[i].port)) << i;
    }
  }
  server.Stop();
  const Decision after_stop = stream->Check({AToB(80, 0)})[0];
  EXPECT_TRUE(after_stop.unavailable());
  EXPECT_EQ(after_stop.verdict, Verdict::kDeny);
}

TEST(PdpClientTest, RoundRobinReachesEveryServer) {
  // Distinct live versions tell the servers apart.
  TestPdpServer first(/*versions=*/1);
  TestPdpServer second(/*versions=*/2);
  PdpClientOptions options = Options("");
  options.addresses = {first.address(), second.address()};
  std::unique_ptr<PdpClient> client = MakeClient(options);
  // round_robin only uses connected subchannels: the second may join a
  // little later on a loaded machine, so allow a bounded number of calls.
  std::set<uint64_t> versions;
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  for (int i = 0; versions.size() < 2 && absl::Now() < give_up; ++i) {
    const Decision d = client->Check({AToB(80, i)})[0];
    EXPECT_FALSE(d.unavailable()) << d.error;
    versions.insert(d.snapshot_version);
    if (i >= 10) absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(versions, (std::set<uint64_t>{1, 2}));
}

}  // namespace
}  // namespace netpol::client
