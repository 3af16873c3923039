// SnapshotAdmin on the admin listener: pushes publish new versions, dry runs
// publish nothing, invalid pushes list every error and keep the live
// version, rollbacks republish old content as a new version; and the data
// plane answers at a pinned, retained version; concurrent admin calls are
// each answered with their own version.

#include <cstdint>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/integration/pdp_client_util.h"
#include "tests/server/integration/server_process.h"
#include "tests/server/integration/test_cluster.h"

namespace netpol::integration {
namespace {

namespace pb = ::netpol::v1;
using ::testing::HasSubstr;

// True when `text` holds `number` as a whole number, not inside another.
bool MentionsNumber(const std::string& text, uint64_t number) {
  return std::regex_search(
      text, std::regex(absl::StrCat("(^|[^0-9])", number, "($|[^0-9])")));
}

class AdminTest : public ::testing::Test {
 protected:
  // Starts on TestCluster({80}) as version 1.
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
    admin_ = server_->AdminStub();
    ASSERT_EQ(LiveVersion(*data_), 1u);
  }

  // The verdict of b -> a:81, which the pushed versions change.
  pb::Decision Check81(uint64_t version = 0) {
    pb::CheckConnectionResponse response;
    grpc::Status status =
        CheckOne(*data_, PodConnection("b", "a", 81), &response, version);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.snapshot_version(),
              version == 0 ? LiveVersion(*data_) : version);
    return response.decisions_size() == 1 ? response.decisions(0)
                                          : pb::Decision();
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<pb::PolicyDecisionPoint::Stub> data_;
  std::unique_ptr<pb::SnapshotAdmin::Stub> admin_;
};

TEST_F(AdminTest, PushPublishesNextVersion) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  EXPECT_EQ(Check81().verdict(), pb::DENY);

  pb::ApplySnapshotResponse applied;
  grpc::Status status =
      Apply(*admin_, TestCluster({80, 81}), false, &applied, "ci-run-42");
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(applied.snapshot().version(), 2u);
  EXPECT_EQ(applied.snapshot().namespaces(), 1u);
  EXPECT_EQ(applied.snapshot().pods(), 3u);
  EXPECT_EQ(applied.snapshot().network_policies(), 1u);
  EXPECT_THAT(applied.snapshot().source(), HasSubstr("ci-run-42"));
  EXPECT_FALSE(applied.snapshot().content_hash().empty());

  EXPECT_EQ(LiveVersion(*data_), 2u);
  pb::Decision decision = Check81();
  EXPECT_EQ(decision.verdict(), pb::ALLOW);
  EXPECT_EQ(decision.reason(), pb::ALLOWED_BY_POLICY);

  pb::GetSnapshotResponse snapshots;
  ASSERT_TRUE(GetSnapshot(*data_, &snapshots).ok());
  ASSERT_EQ(snapshots.retained_size(), 2);
  EXPECT_EQ(snapshots.retained(0).version(), 1u);
  EXPECT_EQ(snapshots.retained(1).version(), 2u);
  EXPECT_EQ(snapshots.retained(1).content_hash(),
            applied.snapshot().content_hash());
  EXPECT_NE(snapshots.retained(0).content_hash(),
            snapshots.retained(1).content_hash());
}

TEST_F(AdminTest, DryRunValidatesWithoutPublishing) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::ApplySnapshotResponse applied;
  grpc::Status status = Apply(*admin_, TestCluster({80, 81}), true, &applied);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(applied.snapshot().version(), 0u);
  EXPECT_EQ(applied.snapshot().pods(), 3u);
  EXPECT_EQ(LiveVersion(*data_), 1u);
  EXPECT_EQ(Check81().verdict(), pb::DENY);

  pb::ApplySnapshotResponse rejected;
  status = Apply(*admin_, kPolicyWithTwoErrors, true, &rejected);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(LiveVersion(*data_), 1u);
}

TEST_F(AdminTest, InvalidPushListsEveryErrorAndKeepsLiveVersion) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::ApplySnapshotResponse applied;
  grpc::Status status =
      Apply(*admin_,
            absl::StrCat(TestCluster({80, 81}), "---\n", kPolicyWithTwoErrors),
            false, &applied);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("pushed.yaml"));
  EXPECT_THAT(status.error_message(), HasSubstr("10.0.0.0/33"));
  EXPECT_THAT(status.error_message(), HasSubstr("endPort"));
  EXPECT_EQ(LiveVersion(*data_), 1u);
  EXPECT_EQ(Check81().verdict(), pb::DENY);
}

TEST_F(AdminTest, RollbackRepublishesOldContentAsNewVersion) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::GetSnapshotResponse before;
  ASSERT_TRUE(GetSnapshot(*data_, &before).ok());
  ASSERT_EQ(before.retained_size(), 1);
  const std::string v1_hash = before.retained(0).content_hash();

  pb::ApplySnapshotResponse applied;
  ASSERT_TRUE(Apply(*admin_, TestCluster({80, 81}), false, &applied).ok());
  ASSERT_EQ(Check81().verdict(), pb::ALLOW);

  pb::RollbackRequest request;
  request.set_version(1);
  pb::RollbackResponse rolled_back;
  grpc::ClientContext context;
  SetDeadline(&context);
  grpc::Status status = admin_->Rollback(&context, request, &rolled_back);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(rolled_back.snapshot().version(), 3u);
  EXPECT_EQ(rolled_back.snapshot().content_hash(), v1_hash);
  EXPECT_EQ(LiveVersion(*data_), 3u);
  EXPECT_EQ(Check81().verdict(), pb::DENY);

  request.set_version(999);
  grpc::ClientContext missing_context;
  SetDeadline(&missing_context);
  status = admin_->Rollback(&missing_context, request, &rolled_back);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(LiveVersion(*data_), 3u);
}

TEST_F(AdminTest, PinnedVersionsAnswerWithTheirOwnContent) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::ApplySnapshotResponse applied;
  ASSERT_TRUE(Apply(*admin_, TestCluster({80, 81}), false, &applied).ok());
  ASSERT_EQ(applied.snapshot().version(), 2u);

  pb::Decision v1 = Check81(1);
  EXPECT_EQ(v1.verdict(), pb::DENY);
  EXPECT_EQ(v1.reason(), pb::DENIED_INGRESS);
  pb::Decision v2 = Check81(2);
  EXPECT_EQ(v2.verdict(), pb::ALLOW);
  EXPECT_EQ(v2.reason(), pb::ALLOWED_BY_POLICY);
  EXPECT_EQ(Check81(0).verdict(), pb::ALLOW);

  pb::CheckConnectionResponse response;
  grpc::Status status =
      CheckOne(*data_, PodConnection("b", "a", 81), &response, 999);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(MentionsNumber(status.error_message(), 1) &&
              MentionsNumber(status.error_message(), 2))
      << "NOT_FOUND should name the retained range 1..2: "
      << status.error_message();
}

TEST_F(AdminTest, ExpiredVersionIsNotFound) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--history=2"}));
  pb::ApplySnapshotResponse applied;
  ASSERT_TRUE(Apply(*admin_, TestCluster({80, 81}), false, &applied).ok());
  ASSERT_TRUE(Apply(*admin_, TestCluster({81}), false, &applied).ok());
  ASSERT_EQ(applied.snapshot().version(), 3u);

  pb::GetSnapshotResponse snapshots;
  ASSERT_TRUE(GetSnapshot(*data_, &snapshots).ok());
  ASSERT_EQ(snapshots.retained_size(), 2);
  EXPECT_EQ(snapshots.retained(0).version(), 2u);

  pb::CheckConnectionResponse response;
  grpc::Status status =
      CheckOne(*data_, PodConnection("b", "a", 81), &response, 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(MentionsNumber(status.error_message(), 2) &&
              MentionsNumber(status.error_message(), 3))
      << "NOT_FOUND should name the retained range 2..3: "
      << status.error_message();
  EXPECT_EQ(Check81(2).verdict(), pb::ALLOW);

  pb::RollbackRequest request;
  request.set_version(1);
  pb::RollbackResponse rolled_back;
  grpc::ClientContext context;
  SetDeadline(&context);
  status = admin_->Rollback(&context, request, &rolled_back);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

// The service runs calls one at a time on its own thread: calls from
// several clients at once all complete, each with a version of its own,
// and each client sees its calls published in the order it made them.
TEST_F(AdminTest, ConcurrentPushesAndRollbacksEachGetTheirOwnVersion) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::GetSnapshotResponse before;
  ASSERT_TRUE(GetSnapshot(*data_, &before).ok());
  ASSERT_EQ(before.retained_size(), 1);
  const std::string v1_hash = before.retained(0).content_hash();

  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 3;  // 13 versions in all: under --history
  struct Outcome {
    bool rollback = false;
    grpc::Status status;
    pb::SnapshotInfo snapshot;
  };
  std::vector<std::vector<Outcome>> outcomes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &outcomes] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        Outcome outcome;
        outcome.rollback = (t + i) % 2 == 1;
        if (outcome.rollback) {
          pb::RollbackRequest request;
          request.set_version(1);
          pb::RollbackResponse response;
          grpc::ClientContext context;
          SetDeadline(&context, absl::Seconds(20));
          outcome.status = admin_->Rollback(&context, request, &response);
          outcome.snapshot = response.snapshot();
        } else {
          pb::ApplySnapshotResponse response;
          outcome.status = Apply(*admin_, TestCluster({80, 81}), false,
                                 &response, absl::StrCat("t", t, "-", i));
          outcome.snapshot = response.snapshot();
        }
        outcomes[t].push_back(std::move(outcome));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::set<uint64_t> versions;
  for (int t = 0; t < kThreads; ++t) {
    uint64_t previous = 1;
    for (int i = 0; i < kCallsPerThread; ++i) {
      const Outcome& outcome = outcomes[t][i];
      SCOPED_TRACE(absl::StrCat("thread ", t, " call ", i));
      ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
      EXPECT_GT(outcome.snapshot.version(), previous);
      previous = outcome.snapshot.version();
      versions.insert(outcome.snapshot.version());
      if (outcome.rollback) {
        EXPECT_EQ(outcome.snapshot.content_hash(), v1_hash);
      } else {
        EXPECT_NE(outcome.snapshot.content_hash(), v1_hash);
        EXPECT_THAT(outcome.snapshot.source(),
                    HasSubstr(absl::StrCat("t", t, "-", i)));
      }
    }
  }
  constexpr uint64_t kLast = 1 + kThreads * kCallsPerThread;
  ASSERT_EQ(versions.size(), static_cast<size_t>(kThreads * kCallsPerThread));
  EXPECT_EQ(*versions.begin(), 2u);
  EXPECT_EQ(*versions.rbegin(), kLast);
  EXPECT_EQ(LiveVersion(*data_), kLast);
}

}  // namespace
}  // namespace netpol::integration
