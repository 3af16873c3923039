// SnapshotStore versions, history, rollback and reclamation; ContentHash.

#include "core/snapshot_store.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/internal/epoch.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/test_util.h"

namespace netpol {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing_util::LoadYaml;
using testing_util::NamespaceYaml;
using testing_util::PodYaml;

std::string PolicyYaml(const std::string& ns, const std::string& name,
                       const std::string& spec) {
  return absl::StrCat(
      "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
      "metadata:\n  name: ",
      name, "\n  namespace: ", ns, "\nspec:\n", spec);
}

const std::string kNamespaceX = NamespaceYaml("x", "{team: alpha}");
const std::string kPodA = PodYaml("x", "a", "{app: a}", "10.0.0.1");
const std::string kPodB = PodYaml("x", "b", "{app: b}", "10.0.0.2",
                                  "[{name: http, containerPort: 80}]");
const std::string kPolicy =
    PolicyYaml("x", "allow-a",
               "  podSelector: {matchLabels: {app: b}}\n"
               "  ingress:\n"
               "  - from:\n"
               "    - podSelector: {matchLabels: {app: a}}\n"
               "    ports: [{port: 80}]\n");

Cluster Load(const std::string& yaml) {
  std::optional<Cluster> cluster = LoadYaml(yaml);
  return cluster ? *std::move(cluster) : Cluster{};
}

// Compiles `yaml`; `freed` (when given) is set when the snapshot is deleted.
std::shared_ptr<const CompiledSnapshot> Snapshot(
    const std::string& yaml, std::atomic<bool>* freed = nullptr) {
  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> compiled =
      CompiledSnapshot::Compile(Load(yaml));
  if (!compiled.ok()) {
    ADD_FAILURE() << compiled.status();
    return nullptr;
  }
  return std::shared_ptr<const CompiledSnapshot>(
      compiled->release(), [freed](const CompiledSnapshot* snapshot) {
        delete snapshot;
        if (freed != nullptr) freed->store(true);
      });
}

std::shared_ptr<const CompiledSnapshot> Small() {
  return Snapshot(absl::StrCat(kNamespaceX, kPodA, kPodB, kPolicy));
}

std::vector<uint64_t> RetainedVersions(const SnapshotStore& store) {
  SnapshotStore::Reader reader(store);
  std::vector<uint64_t> versions;
  for (const PublishedSnapshot& published : reader.Retained()) {
    versions.push_back(published.info.version);
  }
  return versions;
}

TEST(SnapshotStoreTest, EmptyStoreHasNothing) {
  SnapshotStore store;
  SnapshotStore::Reader reader(store);
  EXPECT_EQ(reader.Current(), nullptr);
  EXPECT_EQ(reader.Find(0), nullptr);
  EXPECT_EQ(reader.Find(1), nullptr);
  EXPECT_TRUE(reader.Retained().empty());
}

TEST(SnapshotStoreTest, PublishNumbersVersionsFromOneAndDescribesThem) {
  SnapshotStore store;
  std::shared_ptr<const CompiledSnapshot> snapshot = Small();
  const absl::Time before = absl::Now();
  SnapshotInfo first = store.Publish(snapshot, "files: a");
  SnapshotInfo second = store.Publish(snapshot, "files: b");
  EXPECT_EQ(first.version, 1u);
  EXPECT_EQ(second.version, 2u);
  EXPECT_EQ(first.source, "files: a");
  EXPECT_GE(first.created, before);
  EXPECT_GE(second.created, first.created);
  EXPECT_EQ(first.namespaces, 1u);
  EXPECT_EQ(first.pods, 2u);
  EXPECT_EQ(first.policies, 1u);
  EXPECT_EQ(first.content_hash, ContentHash(snapshot->cluster()));

  SnapshotStore::Reader reader(store);
  ASSERT_NE(reader.Current(), nullptr);
  EXPECT_EQ(reader.Current()->info.version, 2u);
  EXPECT_EQ(reader.Current()->snapshot, snapshot);
  EXPECT_EQ(reader.Find(0), reader.Current());
  ASSERT_NE(reader.Find(1), nullptr);
  EXPECT_EQ(reader.Find(1)->info.source, "files: a");
  EXPECT_EQ(reader.Find(3), nullptr);
}

TEST(SnapshotStoreTest, SkippedKindsAreReported) {
  SnapshotStore store;
  SnapshotInfo info = store.Publish(
      Snapshot(absl::StrCat(kNamespaceX,
                            "---\napiVersion: v1\nkind: Service\nmetadata:\n"
                            "  name: s\n  namespace: x\n")),
      "test");
  EXPECT_THAT(info.skipped_kinds,
              ElementsAre(std::pair<const std::string, int>("Service", 1)));
}

TEST(SnapshotStoreTest, HistoryDropsOldestVersions) {
  SnapshotStore store(3);
  for (int i = 0; i < 5; ++i) store.Publish(Small(), "test");
  EXPECT_THAT(RetainedVersions(store), ElementsAre(3, 4, 5));
  SnapshotStore::Reader reader(store);
  EXPECT_EQ(reader.Find(2), nullptr);
  ASSERT_NE(reader.Find(3), nullptr);
  EXPECT_EQ(reader.Find(3)->info.version, 3u);
  EXPECT_EQ(reader.Current()->info.version, 5u);
}

TEST(SnapshotStoreTest, HistoryOfZeroKeepsTheLiveVersion) {
  SnapshotStore store(0);
  EXPECT_EQ(store.history(), 1u);
  store.Publish(Small(), "test");
  store.Publish(Small(), "test");
  EXPECT_THAT(RetainedVersions(store), ElementsAre(2));
}

TEST(SnapshotStoreTest, RollbackRepublishesTheSameSnapshot) {
  SnapshotStore store;
  std::shared_ptr<const CompiledSnapshot> old_snapshot = Small();
  SnapshotInfo first = store.Publish(old_snapshot, "files: old");
  store.Publish(Snapshot(absl::StrCat(kNamespaceX, kPodA, kPodB)), "new");

  absl::StatusOr<SnapshotInfo> rolled = store.Rollback(1);
  ASSERT_TRUE(rolled.ok()) << rolled.status();
  EXPECT_EQ(rolled->version, 3u);
  EXPECT_EQ(rolled->source, "rollback to 1");
  EXPECT_EQ(rolled->content_hash, first.content_hash);
  EXPECT_EQ(rolled->policies, 1u);

  SnapshotStore::Reader reader(store);
  EXPECT_EQ(reader.Current()->snapshot, old_snapshot);
  EXPECT_EQ(reader.Current()->info.version, 3u);
}

TEST(SnapshotStoreTest, RollbackToAVersionNotRetainedIsNotFound) {
  SnapshotStore store(2);
  absl::StatusOr<SnapshotInfo> empty = store.Rollback(1);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(empty.status().message(), HasSubstr("no snapshot published yet"));

  for (int i = 0; i < 4; ++i) store.Publish(Small(), "test");
  for (uint64_t version : {0, 1, 2, 5}) {
    absl::StatusOr<SnapshotInfo> rolled = store.Rollback(version);
    EXPECT_EQ(rolled.status().code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(rolled.status().message(),
              absl::StrCat("snapshot version ", version,
                           " is not retained (retained: 3-4)"));
  }
  EXPECT_THAT(RetainedVersions(store), ElementsAre(3, 4));
}

TEST(SnapshotStoreTest, DroppedSnapshotIsFreedByPublish) {
  SnapshotStore store(1);
  std::atomic<bool> freed{false};
  store.Publish(Snapshot(absl::StrCat(kNamespaceX, kPodA), &freed), "old");
  EXPECT_FALSE(freed.load());
  store.Publish(Small(), "new");
  EXPECT_TRUE(freed.load());
}

TEST(SnapshotStoreTest, RetainedSnapshotIsNotFreed) {
  SnapshotStore store(2);
  std::atomic<bool> freed{false};
  store.Publish(Snapshot(absl::StrCat(kNamespaceX, kPodA), &freed), "old");
  store.Publish(Small(), "new");
  EXPECT_FALSE(freed.load());
  store.Publish(Small(), "newer");
  EXPECT_TRUE(freed.load());
}

// Publishes a replacement on another thread while `hold` keeps a read
// section open on this one: the publish must not free the old snapshot, or
// return, before the section ends.
void ExpectPublishWaitsFor(SnapshotStore& store, std::atomic<bool>& freed,
                           std::optional<SnapshotStore::Reader>& hold) {
  std::atomic<bool> published{false};
  std::thread publisher([&] {
    store.Publish(Small(), "replacement");
    published.store(true);
  });
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(published.load());
  EXPECT_FALSE(freed.load());
  hold.reset();
  publisher.join();
  EXPECT_TRUE(freed.load());
}

TEST(SnapshotStoreTest, ReaderKeepsItsSnapshotAlive) {
  SnapshotStore store(1);
  std::atomic<bool> freed{false};
  store.Publish(Snapshot(absl::StrCat(kNamespaceX, kPodA), &freed), "old");
  std::optional<SnapshotStore::Reader> hold(std::in_place, store);
  const PublishedSnapshot* seen = hold->Current();
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(seen->info.source, "old");
  ExpectPublishWaitsFor(store, freed, hold);
}

TEST(SnapshotStoreTest, NestedReadersOfTwoStoresKeepTheOuterSectionOpen) {
  SnapshotStore store(1);
  SnapshotStore other(1);
  std::atomic<bool> freed{false};
  store.Publish(Snapshot(absl::StrCat(kNamespaceX, kPodA), &freed), "old");
  other.Publish(Small(), "other");

  std::optional<SnapshotStore::Reader> hold(std::in_place, store);
  {
    SnapshotStore::Reader inner(store);
    SnapshotStore::Reader inner_other(other);
    EXPECT_EQ(inner.Current(), hold->Current());
    EXPECT_EQ(inner_other.Current()->info.source, "other");
  }
  // Leaving the inner sections must not end the outer one.
  EXPECT_EQ(hold->Current()->info.source, "old");
  ExpectPublishWaitsFor(store, freed, hold);
}

TEST(SnapshotStoreTest, ReaderWithoutASlotIsStillWaitedFor) {
  SnapshotStore store(1);
  std::atomic<bool> freed{false};
  store.Publish(Snapshot(absl::StrCat(kNamespaceX, kPodA), &freed), "old");

  // Occupy every slot with idle threads, so the next reader overflows.
  absl::BlockingCounter parked(internal::kReaderSlots);
  absl::Notification release_parked;
  std::vector<std::thread> parkers;
  for (size_t i = 0; i < internal::kReaderSlots; ++i) {
    parkers.emplace_back([&] {
      { SnapshotStore::Reader claim(store); }
      parked.DecrementCount();
      release_parked.WaitForNotification();
    });
  }
  parked.Wait();

  absl::Notification entered;
  absl::Notification release_holder;
  std::thread holder([&] {
    std::optional<SnapshotStore::Reader> hold(std::in_place, store);
    entered.Notify();
    release_holder.WaitForNotification();
    EXPECT_EQ(hold->Current()->info.source, "old");
  });
  entered.WaitForNotification();

  std::atomic<bool> published{false};
  std::thread publisher([&] {
    store.Publish(Small(), "replacement");
    published.store(true);
  });
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(published.load());
  EXPECT_FALSE(freed.load());
  release_holder.Notify();
  holder.join();
  publisher.join();
  EXPECT_TRUE(freed.load());

  release_parked.Notify();
  for (std::thread& parker : parkers) parker.join();
}

// --- ContentHash ---

TEST(ContentHashTest, IsThirtyTwoLowercaseHexDigits) {
  EXPECT_THAT(ContentHash(Load(kNamespaceX)), MatchesRegex("[0-9a-f]{32}"));
  EXPECT_THAT(ContentHash(Cluster{}), MatchesRegex("[0-9a-f]{32}"));
}

TEST(ContentHashTest, IgnoresObjectAndFileOrder) {
  const std::string policy2 = PolicyYaml("x", "deny", "  podSelector: {}\n");
  Cluster one = Load(absl::StrCat(kNamespaceX, kPodA, kPodB, kPolicy, policy2));
  ManifestLoader loader;
  loader.AddText(absl::StrCat(policy2, kPodB), "second.yaml");
  loader.AddText(absl::StrCat(kPolicy, kPodA, kNamespaceX), "first.yaml");
  absl::StatusOr<Cluster> two = std::move(loader).Finish();
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(ContentHash(one), ContentHash(*two));
}

TEST(ContentHashTest, ChangesWithOneLabel) {
  const std::string base = ContentHash(Load(absl::StrCat(kNamespaceX, kPodA)));
  EXPECT_NE(base,
            ContentHash(Load(absl::StrCat(
                kNamespaceX, PodYaml("x", "a", "{app: b}", "10.0.0.1")))));
  EXPECT_NE(base, ContentHash(Load(absl::StrCat(
                      NamespaceYaml("x", "{team: beta}"), kPodA))));
}

TEST(ContentHashTest, FieldBoundariesDoNotCollide) {
  EXPECT_NE(ContentHash(Load(PodYaml("x", "a", "{ab: c}"))),
            ContentHash(Load(PodYaml("x", "a", "{a: bc}"))));
  EXPECT_NE(ContentHash(Load(PodYaml("x", "ab", "{}"))),
            ContentHash(Load(PodYaml("xa", "b", "{}"))));
}

TEST(ContentHashTest, ChangesWithPolicyRules) {
  const std::string with_port = ContentHash(Load(kPolicy));
  EXPECT_NE(
      with_port,
      ContentHash(Load(PolicyYaml("x", "allow-a",
                                  "  podSelector: {matchLabels: {app: b}}\n"
                                  "  ingress:\n"
                                  "  - from:\n"
                                  "    - podSelector: {matchLabels: {app: a}}\n"
                                  "    ports: [{port: 81}]\n"))));
  EXPECT_NE(with_port, ContentHash(Load(PolicyYaml(
                           "x", "allow-a",
                           "  podSelector: {matchLabels: {app: b}}\n"
                           "  ingress:\n"
                           "  - from:\n"
                           "    - namespaceSelector: {matchLabels: {app: a}}\n"
                           "    ports: [{port: 80}]\n"))));
}

}  // namespace
}  // namespace netpol
