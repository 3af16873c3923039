// SnapshotPublisher: what reaches the store, the log and the listener for
// valid, invalid and dry-run loads, file loads and rollbacks.

#include "server/snapshot_publisher.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace netpol::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kTwoPods[] = R"(apiVersion: v1
kind: Namespace
metadata: {name: x}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
status: {podIP: 10.0.1.10}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: b}}
status: {podIP: 10.0.1.11}
---
apiVersion: v1
kind: Service
metadata: {name: s, namespace: x}
)";

constexpr char kOnePolicy[] = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-b, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
)";

// Two errors in two documents.
constexpr char kTwoBadPolicies[] = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad-1, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad-2, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: not-a-cidr}}]}]
)";

class SnapshotPublisherTest : public ::testing::Test {
 protected:
  SnapshotPublisherTest() {
    SnapshotPublisher::Options options;
    options.on_publish = [this](const SnapshotInfo& info) {
      published_.push_back(info.version);
    };
    options.log = [this](std::string_view line) { log_.emplace_back(line); };
    publisher_ = std::make_unique<SnapshotPublisher>(store_, &metrics_,
                                                     std::move(options));
  }

  uint64_t LiveVersion() {
    SnapshotStore::Reader reader(store_);
    return reader.Current() == nullptr ? 0 : reader.Current()->info.version;
  }

  std::string Metrics() {
    return prometheus::TextSerializer().Serialize(registry_.Collect());
  }

  prometheus::Registry registry_;
  ServerMetrics metrics_{registry_};
  SnapshotStore store_{3};
  std::vector<uint64_t> published_;
  std::vector<std::string> log_;
  std::unique_ptr<SnapshotPublisher> publisher_;
};

TEST_F(SnapshotPublisherTest, PublishesPushedTextsAndLogsOneLine) {
  absl::StatusOr<SnapshotInfo> info = publisher_->PublishTexts(
      {{"pods.yaml", kTwoPods}, {"policy.yaml", kOnePolicy}},
      "admin push: ci-42", /*dry_run=*/false);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->version, 1u);
  EXPECT_EQ(info->source, "admin push: ci-42");
  EXPECT_EQ(info->namespaces, 1u);
  EXPECT_EQ(info->pods, 2u);
  EXPECT_EQ(info->policies, 1u);
  EXPECT_EQ(info->skipped_kinds.at("Service"), 1);
  EXPECT_EQ(LiveVersion(), 1u);
  EXPECT_THAT(published_, ElementsAre(1u));
  ASSERT_THAT(log_, SizeIs(1));
  EXPECT_THAT(log_[0],
              MatchesRegex("snapshot 1 published: hash [0-9a-f]{12}, "
                           "1 namespaces, 2 pods, 1 policies, compiled in "
                           "[0-9.]+ ms \\(admin push: ci-42\\)"));
  EXPECT_THAT(Metrics(), HasSubstr("netpol_snapshot_version 1\n"));
  EXPECT_THAT(
      Metrics(),
      HasSubstr("netpol_snapshot_reloads_total{result=\"published\"} 1"));
}

TEST_F(SnapshotPublisherTest, RejectedLoadKeepsLiveSnapshotAndListsAllErrors) {
  ASSERT_TRUE(
      publisher_->PublishTexts({{"pods.yaml", kTwoPods}}, "first", false).ok());
  log_.clear();

  absl::StatusOr<SnapshotInfo> info = publisher_->PublishTexts(
      {{"pods.yaml", kTwoPods}, {"bad.yaml", kTwoBadPolicies}},
      "admin push: broken", false);
  ASSERT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
  const std::vector<std::string> errors =
      absl::StrSplit(info.status().message(), '\n');
  ASSERT_THAT(errors, SizeIs(2));
  EXPECT_THAT(errors[0], StartsWith("bad.yaml: document 1: "));
  EXPECT_THAT(errors[1], StartsWith("bad.yaml: document 2: "));

  EXPECT_EQ(LiveVersion(), 1u);
  EXPECT_THAT(published_, ElementsAre(1u));
  ASSERT_THAT(log_, SizeIs(1));
  EXPECT_EQ(log_[0], absl::StrCat("snapshot rejected (admin push: broken): "
                                  "2 errors: ",
                                  errors[0], "; ", errors[1]));
  EXPECT_THAT(
      Metrics(),
      HasSubstr("netpol_snapshot_reloads_total{result=\"rejected\"} 1"));
}

TEST_F(SnapshotPublisherTest, LogQuotesAtMostThreeErrors) {
  std::vector<ManifestText> texts;
  for (int i = 0; i < 3; ++i) {
    texts.push_back({absl::StrCat("bad", i, ".yaml"), kTwoBadPolicies});
  }
  ASSERT_FALSE(publisher_->PublishTexts(texts, "push", false).ok());
  ASSERT_THAT(log_, SizeIs(1));
  EXPECT_THAT(log_[0], StartsWith("snapshot rejected (push): 6 errors: "));
  EXPECT_THAT(log_[0], HasSubstr("; ... and 3 more"));
}

TEST_F(SnapshotPublisherTest, ReplyOfManyErrorsFitsInTrailers) {
  // 200 errors would not fit in gRPC's trailing metadata; the reply lists
  // what fits in 4 KiB and the log gets every error.
  std::vector<ManifestText> texts;
  for (int i = 0; i < 100; ++i) {
    texts.push_back({absl::StrCat("bad", i, ".yaml"), kTwoBadPolicies});
  }
  absl::StatusOr<SnapshotInfo> info = publisher_->PublishTexts(texts, "push", false);
  ASSERT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LE(info.status().message().size(), 4096u + 100u);
  const std::string reply(info.status().message());
  EXPECT_THAT(reply, StartsWith("bad0.yaml: document 1: "));
  EXPECT_THAT(reply, ::testing::EndsWith(" more errors (the server log lists all of them)"));
  EXPECT_THAT(log_, SizeIs(1 + 200));  // the summary, then every error
}

TEST_F(SnapshotPublisherTest, DryRunPublishesNothing) {
  absl::StatusOr<SnapshotInfo> dry = publisher_->PublishTexts(
      {{"pods.yaml", kTwoPods}}, "admin push: try", /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ(dry->version, 0u);
  EXPECT_EQ(dry->pods, 2u);
  EXPECT_EQ(LiveVersion(), 0u);
  EXPECT_THAT(published_, IsEmpty());
  ASSERT_THAT(log_, SizeIs(1));
  EXPECT_THAT(log_[0], StartsWith("snapshot validated (dry run): hash "));

  // The dry run's hash is the one the real publish gets.
  absl::StatusOr<SnapshotInfo> real =
      publisher_->PublishTexts({{"pods.yaml", kTwoPods}}, "real", false);
  ASSERT_TRUE(real.ok());
  EXPECT_EQ(real->content_hash, dry->content_hash);
  EXPECT_EQ(real->version, 1u);

  ASSERT_FALSE(publisher_
                   ->PublishTexts({{"bad.yaml", kTwoBadPolicies}}, "try",
                                  /*dry_run=*/true)
                   .ok());
  EXPECT_THAT(log_.back(), StartsWith("snapshot rejected (dry run, try): "));
  EXPECT_EQ(LiveVersion(), 1u);
}

TEST_F(SnapshotPublisherTest, PublishesFilesAndDirectories) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "publisher_files";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "sub" / "pods.yaml") << kTwoPods;
  const std::string policy = (dir.parent_path() / "publisher_policy.yaml");
  std::ofstream(policy) << kOnePolicy;

  absl::StatusOr<SnapshotInfo> info =
      publisher_->PublishFiles({dir.string(), policy});
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->pods, 2u);
  EXPECT_EQ(info->policies, 1u);
  EXPECT_EQ(info->source, absl::StrCat("files: ", dir.string(), ", ", policy));
  EXPECT_THAT(log_.back(), HasSubstr(absl::StrCat("(files: ", dir.string())));

  log_.clear();
  absl::StatusOr<SnapshotInfo> rejected =
      publisher_->PublishFiles({(dir / "missing").string()});
  ASSERT_FALSE(rejected.ok());
  // A file load logs every error after the summary, as no client sees them.
  ASSERT_THAT(log_, SizeIs(2));
  EXPECT_THAT(log_[0], StartsWith("snapshot rejected (files: "));
  EXPECT_EQ(log_[1], absl::StrCat("  ", rejected.status().message()));
  EXPECT_EQ(LiveVersion(), 1u);
}

TEST_F(SnapshotPublisherTest, RollsBackToRetainedVersionsOnly) {
  ASSERT_TRUE(publisher_->PublishTexts({{"a", kTwoPods}}, "one", false).ok());
  ASSERT_TRUE(
      publisher_
          ->PublishTexts({{"a", kTwoPods}, {"b", kOnePolicy}}, "two", false)
          .ok());
  log_.clear();

  absl::StatusOr<SnapshotInfo> rolled = publisher_->Rollback(1);
  ASSERT_TRUE(rolled.ok()) << rolled.status();
  EXPECT_EQ(rolled->version, 3u);
  EXPECT_EQ(rolled->policies, 0u);
  EXPECT_EQ(LiveVersion(), 3u);
  EXPECT_THAT(published_, ElementsAre(1u, 2u, 3u));
  ASSERT_THAT(log_, SizeIs(1));
  EXPECT_THAT(log_[0], StartsWith("snapshot 3 published: hash "));
  EXPECT_THAT(log_[0], HasSubstr(absl::StrCat("(", rolled->source, ")")));

  absl::StatusOr<SnapshotInfo> missing = publisher_->Rollback(99);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(log_.back(), StartsWith("rollback to 99 rejected: "));
  EXPECT_EQ(LiveVersion(), 3u);
}

// Watch reloads and admin pushes may race; each gets its own version.
TEST_F(SnapshotPublisherTest, ConcurrentPublishersGetDistinctVersions) {
  constexpr int kPerThread = 5;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([this] {
      for (int i = 0; i < kPerThread; ++i) {
        EXPECT_TRUE(
            publisher_->PublishTexts({{"a", kTwoPods}}, "race", false).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<uint64_t> expected;
  for (uint64_t v = 1; v <= 2 * kPerThread; ++v) expected.push_back(v);
  EXPECT_EQ(published_, expected);  // listener calls are serialized, in order
  EXPECT_EQ(LiveVersion(), 2u * kPerThread);
}

}  // namespace
}  // namespace netpol::server
