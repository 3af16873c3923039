// AnalyzeImpact in-process: limits are clamped, a proposed change compiles
// with the live snapshot's options, and analyses run on the handler's own
// thread: CheckConnection is answered while one is stuck, and requests
// beyond the bound are refused rather than queued.

#include "server/impact_handler.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/snapshot_store.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "netpol/v1/decision.grpc.pb.h"
#include "server/decision_service.h"
#include "tests/core/test_util.h"

namespace netpol::server {
namespace {

using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::CompileYaml;
using testing_util::NamespaceYaml;
using testing_util::PodYaml;

// x/a, x/b0, x/b1 (app=b); a admits nothing but 10.0.0.0/8. Whether that
// ipBlock admits b0 and b1 depends on CompileOptions::ipblock_matches_pods.
std::shared_ptr<const CompiledSnapshot> Compile(
    const CompileOptions& options = {}) {
  return CompileYaml(
      absl::StrCat(NamespaceYaml("x"),
                   PodYaml("x", "a", "{app: a}", "10.0.1.10"),
                   PodYaml("x", "b0", "{app: b}", "10.0.1.11"),
                   PodYaml("x", "b1", "{app: b}", "10.0.1.12"), R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-ingress, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/8}}]
)"),
      options);
}

constexpr char kDeletePolicy[] = R"(apiVersion: netpol-pdp.dev/v1
kind: ChangeList
changes:
- deleteNetworkPolicy: {namespace: x, name: a-ingress}
)";

// Touches nothing any policy selects on.
constexpr char kLabelNamespace[] = R"(apiVersion: netpol-pdp.dev/v1
kind: ChangeList
changes:
- labelNamespace: {name: x, set: {team: t}}
)";

v1::AnalyzeImpactRequest Proposed(const std::string& change) {
  v1::AnalyzeImpactRequest request;
  request.set_proposed_change(change);
  return request;
}

TEST(AnalyzeImpactTest, LimitsTakeDefaultsAndAreClamped) {
  // The ipBlock admits no pod: deleting the policy newly allows b0 and b1
  // (one group) and the addresses outside 10.0.0.0/8.
  CompileOptions options;
  options.ipblock_matches_pods = false;
  SnapshotStore store;
  store.Publish(Compile(options), "test");
  ImpactLimits limits;
  limits.default_max_flips = 1;
  limits.max_flips = 2;
  limits.max_samples_per_flip = 1;
  limits.default_max_pods_per_group = 1;
  limits.max_pods_per_group = 2;

  v1::AnalyzeImpactResponse defaults;
  ASSERT_TRUE(
      AnalyzeImpact(store, Proposed(kDeletePolicy), limits, &defaults).ok());
  ASSERT_GT(defaults.totals().flips(), 2u);
  EXPECT_EQ(defaults.flips_size(), 1);
  EXPECT_TRUE(defaults.truncated());
  EXPECT_THAT(defaults.flips(0).samples(), ::testing::IsEmpty());
  for (const v1::FlowGroup& group : defaults.groups()) {
    EXPECT_LE(group.pods_size(), 1) << group.ShortDebugString();
  }

  v1::AnalyzeImpactRequest request = Proposed(kDeletePolicy);
  request.set_max_flips(1000);
  request.set_samples_per_flip(50);
  request.set_max_pods_per_group(1000);
  v1::AnalyzeImpactResponse clamped;
  ASSERT_TRUE(AnalyzeImpact(store, request, limits, &clamped).ok());
  EXPECT_EQ(clamped.flips_size(), 2);
  EXPECT_EQ(clamped.totals().flips(), defaults.totals().flips());
  for (const v1::Flip& flip : clamped.flips()) {
    EXPECT_EQ(flip.samples_size(), 1);
  }
  const v1::FlowGroup& b = clamped.groups(clamped.flips(0).source_group());
  EXPECT_THAT(b.pods(), ElementsAre("b0", "b1"));
}

TEST(AnalyzeImpactTest, ProposedChangeCompilesWithTheSnapshotsOptions) {
  CompileOptions options;
  options.ipblock_matches_pods = false;
  SnapshotStore store;
  store.Publish(Compile(options), "test");
  // With the default options the ipBlock would start admitting b0 and b1.
  v1::AnalyzeImpactResponse response;
  ASSERT_TRUE(
      AnalyzeImpact(store, Proposed(kLabelNamespace), {}, &response).ok());
  EXPECT_EQ(response.totals().flips(), 0u) << response.ShortDebugString();
}

// Blocks the impact handler's worker in its log call until opened.
class Gate {
 public:
  void Log(std::string_view line) {
    std::unique_lock<std::mutex> lock(mutex_);
    lines_.emplace_back(line);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  // Waits until `count` log calls have started; false after 10 s.
  bool AwaitEntered(int count) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10),
                             [&] { return entered_ >= count; });
  }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  int entered_ = 0;
  std::vector<std::string> lines_;
};

class StuckWorkerTest : public ::testing::Test {
 protected:
  void StartServer(size_t max_pending) {
    store_.Publish(Compile(), "test");
    ImpactHandler::Options options;
    options.max_pending = max_pending;
    options.log = [this](std::string_view line) { gate_.Log(line); };
    service_ = std::make_unique<DecisionService>(store_, BatchLimits{}, nullptr,
                                                 std::move(options));
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    stub_ = v1::PolicyDecisionPoint::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    gate_.Open();
    if (background_.joinable()) background_.join();
    if (server_ != nullptr) server_->Shutdown();
  }

  grpc::Status Analyze(std::chrono::milliseconds timeout) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    v1::AnalyzeImpactResponse response;
    return stub_->AnalyzeImpact(&context, Proposed(kDeletePolicy), &response);
  }

  // One analysis on its own thread (the fixture owns its status, so an
  // early test exit leaves it nothing dangling).
  void StartBackgroundAnalysis() {
    background_ = std::thread(
        [this] { background_status_ = Analyze(std::chrono::seconds(30)); });
  }
  grpc::Status JoinBackgroundAnalysis() {
    background_.join();
    return background_status_;
  }

  Gate gate_;
  SnapshotStore store_;
  std::unique_ptr<DecisionService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::PolicyDecisionPoint::Stub> stub_;
  std::thread background_;
  grpc::Status background_status_;
};

TEST_F(StuckWorkerTest, CheckConnectionIsAnsweredAndExtraAnalysesRefused) {
  ASSERT_NO_FATAL_FAILURE(StartServer(/*max_pending=*/1));
  StartBackgroundAnalysis();
  ASSERT_TRUE(gate_.AwaitEntered(1));  // analysed, stuck before replying

  v1::CheckConnectionRequest check;
  v1::Connection* c = check.add_connections();
  c->mutable_source()->set_ip("10.0.1.11");
  c->mutable_destination()->set_ip("10.0.1.10");
  c->set_port(80);
  v1::CheckConnectionResponse decided;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  ASSERT_TRUE(stub_->CheckConnection(&context, check, &decided).ok());
  EXPECT_EQ(decided.decisions(0).verdict(), v1::ALLOW);

  const grpc::Status refused = Analyze(std::chrono::seconds(5));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("1 impact analyses"));

  gate_.Open();
  const grpc::Status first = JoinBackgroundAnalysis();
  EXPECT_TRUE(first.ok()) << first.error_message();
  EXPECT_THAT(gate_.lines(),
              ElementsAre(HasSubstr("impact analysis: version 1 vs proposed "
                                    "change \"proposed change\"")));
  // The slot is free again.
  EXPECT_TRUE(Analyze(std::chrono::seconds(10)).ok());
}

TEST_F(StuckWorkerTest, CallPastItsDeadlineWhileQueuedIsNotAnalysed) {
  ASSERT_NO_FATAL_FAILURE(StartServer(/*max_pending=*/2));
  StartBackgroundAnalysis();
  ASSERT_TRUE(gate_.AwaitEntered(1));

  const grpc::Status expired = Analyze(std::chrono::milliseconds(300));
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // The server's copy of the deadline started when the call arrived, a
  // moment after the client's.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  gate_.Open();
  ASSERT_TRUE(gate_.AwaitEntered(2));
  EXPECT_THAT(
      gate_.lines(),
      ElementsAre(HasSubstr("impact analysis: "),
                  AnyOf(HasSubstr("DEADLINE_EXCEEDED: the deadline passed "
                                  "while waiting"),
                        HasSubstr("CANCELLED: cancelled while waiting"))));
  EXPECT_TRUE(JoinBackgroundAnalysis().ok());
}

}  // namespace
}  // namespace netpol::server
