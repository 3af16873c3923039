// ManifestWatcher on real files: the Kubernetes ConfigMap symlink swap,
// in-place rewrites and atomic renames of a watched file, new
// subdirectories, debouncing, and a clean Stop(). The last test wires it to
// a SnapshotPublisher as netpol-pdp --watch does.

#include "server/manifest_watcher.h"

#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/snapshot_publisher.h"

namespace netpol::server {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::Duration kDebounce = absl::Milliseconds(200);
// Long enough for inotify delivery plus the debounce on a loaded machine.
constexpr absl::Duration kWait = absl::Seconds(5);
// How long to keep watching for reloads that should not happen.
constexpr absl::Duration kQuiet = absl::Milliseconds(600);

constexpr char kNamespace[] = R"(apiVersion: v1
kind: Namespace
metadata: {name: x}
)";
constexpr char kTwoNamespaces[] = R"(apiVersion: v1
kind: Namespace
metadata: {name: x}
---
apiVersion: v1
kind: Namespace
metadata: {name: y}
)";
constexpr char kInvalid[] = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]
)";

void WriteFile(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
}

// Written beside `path`, then renamed over it, as editors and kubectl do.
void ReplaceFile(const fs::path& path, const std::string& content) {
  const fs::path temporary = path.parent_path() / ".tmp-replace";
  WriteFile(temporary, content);
  fs::rename(temporary, path);
}

// Counts reloads, remembering when each happened.
class ReloadCounter {
 public:
  void operator()() {
    std::lock_guard<std::mutex> lock(mutex_);
    times_.push_back(absl::Now());
    changed_.notify_all();
  }

  // Waits until at least `count` reloads happened; false on timeout.
  bool WaitFor(size_t count, absl::Duration timeout = kWait) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                             [&] { return times_.size() >= count; });
  }

  size_t count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return times_.size();
  }

  absl::Time last() {
    std::lock_guard<std::mutex> lock(mutex_);
    return times_.back();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<absl::Time> times_;
};

class ManifestWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           absl::StrCat(
               "watch_", getpid(), "_",
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    watcher_.reset();
    fs::remove_all(dir_);
  }

  void Watch(const std::vector<std::string>& paths) {
    ManifestWatcher::Options options;
    options.debounce = kDebounce;
    absl::StatusOr<std::unique_ptr<ManifestWatcher>> watcher =
        ManifestWatcher::Start(
            paths, [this] { reloads_(); }, options);
    ASSERT_TRUE(watcher.ok()) << watcher.status();
    watcher_ = *std::move(watcher);
  }

  // A ConfigMap volume as the kubelet lays it out: the data in a
  // timestamped directory, `..data` pointing to it, and one symlink per key
  // through `..data`.
  void MakeConfigMap(const fs::path& root, const std::string& content) {
    fs::create_directories(root / DataDir());
    WriteFile(root / DataDir() / "cluster.yaml", content);
    fs::create_directory_symlink(DataDir(), root / "..data");
    fs::create_symlink("..data/cluster.yaml", root / "cluster.yaml");
  }

  // The kubelet's atomic update: a new timestamped directory, a new symlink
  // renamed over `..data`, the old directory removed.
  void UpdateConfigMap(const fs::path& root, const std::string& content) {
    const std::string old_dir = DataDir();
    ++generation_;
    fs::create_directories(root / DataDir());
    WriteFile(root / DataDir() / "cluster.yaml", content);
    fs::create_directory_symlink(DataDir(), root / "..data_tmp");
    fs::rename(root / "..data_tmp", root / "..data");
    fs::remove_all(root / old_dir);
  }

  std::string DataDir() const {
    return absl::StrCat("..2026_01_01_00_00_0", generation_);
  }

  fs::path dir_;
  ReloadCounter reloads_;
  std::unique_ptr<ManifestWatcher> watcher_;
  int generation_ = 1;
};

TEST_F(ManifestWatcherTest,
       ConfigMapSwapTriggersExactlyOneReloadAfterDebounce) {
  const fs::path config_map = dir_ / "netpol";
  MakeConfigMap(config_map, kNamespace);
  Watch({config_map.string()});

  // Taken before the events: the watcher may read the last one before
  // UpdateConfigMap() returns.
  const absl::Time before_update = absl::Now();
  UpdateConfigMap(config_map, kTwoNamespaces);
  ASSERT_TRUE(reloads_.WaitFor(1));
  EXPECT_GE(reloads_.last() - before_update, kDebounce);
  absl::SleepFor(kQuiet);
  EXPECT_EQ(reloads_.count(), 1u);
}

// --manifests=/etc/netpol/cluster.yaml: the key's symlink never changes,
// only `..data` is renamed beside it.
TEST_F(ManifestWatcherTest, ConfigMapKeyFileFollowsTheDataSwap) {
  const fs::path config_map = dir_ / "netpol";
  MakeConfigMap(config_map, kNamespace);
  Watch({(config_map / "cluster.yaml").string()});

  UpdateConfigMap(config_map, kTwoNamespaces);
  ASSERT_TRUE(reloads_.WaitFor(1));
  UpdateConfigMap(config_map, kNamespace);
  ASSERT_TRUE(reloads_.WaitFor(2));
}

TEST_F(ManifestWatcherTest, BurstOfWritesIsOneReload) {
  Watch({dir_.string()});
  for (int i = 0; i < 5; ++i) {
    WriteFile(dir_ / absl::StrCat("f", i, ".yaml"), kNamespace);
    absl::SleepFor(kDebounce / 4);
  }
  ASSERT_TRUE(reloads_.WaitFor(1));
  absl::SleepFor(kQuiet);
  EXPECT_EQ(reloads_.count(), 1u);
}

TEST_F(ManifestWatcherTest, WatchedFileRewriteAndAtomicReplaceTrigger) {
  const fs::path file = dir_ / "cluster.yaml";
  WriteFile(file, kNamespace);
  Watch({file.string()});

  WriteFile(file, kTwoNamespaces);  // in place
  ASSERT_TRUE(reloads_.WaitFor(1));
  absl::SleepFor(kQuiet);
  EXPECT_EQ(reloads_.count(), 1u);

  ReplaceFile(file, kNamespace);  // new inode under the same name
  ASSERT_TRUE(reloads_.WaitFor(2));

  ReplaceFile(file, kTwoNamespaces);  // and again: the watch follows the name
  ASSERT_TRUE(reloads_.WaitFor(3));
}

TEST_F(ManifestWatcherTest, SiblingsOfAWatchedFileAreIgnored) {
  const fs::path file = dir_ / "cluster.yaml";
  WriteFile(file, kNamespace);
  Watch({file.string()});

  WriteFile(dir_ / "other.yaml", kNamespace);
  fs::create_directory(dir_ / "other-dir");
  absl::SleepFor(kDebounce + kQuiet);
  EXPECT_EQ(reloads_.count(), 0u);
}

TEST_F(ManifestWatcherTest, NewSubdirectoriesAreWatched) {
  Watch({dir_.string()});
  fs::create_directories(dir_ / "team-a");
  ASSERT_TRUE(reloads_.WaitFor(1));

  WriteFile(dir_ / "team-a" / "cluster.yaml", kNamespace);
  ASSERT_TRUE(reloads_.WaitFor(2));
}

TEST_F(ManifestWatcherTest, PathCreatedAfterStartIsPickedUp) {
  const fs::path later = dir_ / "later";
  Watch({later.string()});
  fs::create_directory(later);
  ASSERT_TRUE(reloads_.WaitFor(1));

  WriteFile(later / "cluster.yaml", kNamespace);
  ASSERT_TRUE(reloads_.WaitFor(2));
}

TEST_F(ManifestWatcherTest, UnwatchableParentIsAnError) {
  absl::StatusOr<std::unique_ptr<ManifestWatcher>> watcher =
      ManifestWatcher::Start({(dir_ / "no" / "such" / "file").string()}, [] {},
                             {});
  EXPECT_EQ(watcher.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(watcher.status().message(), HasSubstr("no/such"));
}

TEST_F(ManifestWatcherTest, StopIsPromptIdempotentAndFinal) {
  Watch({dir_.string()});
  WriteFile(dir_ / "cluster.yaml", kNamespace);  // pending, not yet due
  const absl::Time start = absl::Now();
  watcher_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  watcher_->Stop();
  absl::SleepFor(kDebounce + kQuiet);
  EXPECT_EQ(reloads_.count(), 0u);
}

// As netpol-pdp --watch wires it: an invalid edit is rejected and the live
// version keeps serving; fixing the file publishes the next version.
TEST_F(ManifestWatcherTest, InvalidContentIsRejectedAndOldVersionStaysLive) {
  const fs::path config_map = dir_ / "netpol";
  MakeConfigMap(config_map, kNamespace);

  SnapshotStore store;
  std::vector<std::string> log;
  std::mutex log_mutex;
  SnapshotPublisher::Options options;
  options.log = [&](std::string_view line) {
    std::lock_guard<std::mutex> lock(log_mutex);
    log.emplace_back(line);
  };
  SnapshotPublisher publisher(store, nullptr, std::move(options));
  const std::vector<std::string> paths = {config_map.string()};
  ASSERT_TRUE(publisher.PublishFiles(paths).ok());

  ManifestWatcher::Options watch_options;
  watch_options.debounce = kDebounce;
  absl::StatusOr<std::unique_ptr<ManifestWatcher>> watcher =
      ManifestWatcher::Start(
          paths,
          [&] {
            (void)publisher.PublishFiles(paths);
            reloads_();
          },
          watch_options);
  ASSERT_TRUE(watcher.ok()) << watcher.status();

  const auto live = [&store] {
    SnapshotStore::Reader reader(store);
    return reader.Current()->info;
  };
  // The summary line of the last load (a rejection is followed by every
  // error, indented).
  const auto last_summary = [&] {
    std::lock_guard<std::mutex> lock(log_mutex);
    for (auto it = log.rbegin(); it != log.rend(); ++it) {
      if (it->rfind("  ", 0) != 0) return *it;
    }
    return std::string();
  };

  UpdateConfigMap(config_map, kInvalid);
  ASSERT_TRUE(reloads_.WaitFor(1));
  EXPECT_THAT(last_summary(), HasSubstr("snapshot rejected (files: "));
  {
    std::lock_guard<std::mutex> lock(log_mutex);
    EXPECT_THAT(log.back(), StartsWith("  "));
    EXPECT_THAT(log.back(), HasSubstr("10.0.0.0/33"));
  }
  EXPECT_EQ(live().version, 1u);
  EXPECT_EQ(live().namespaces, 1u);

  UpdateConfigMap(config_map, kTwoNamespaces);
  ASSERT_TRUE(reloads_.WaitFor(2));
  EXPECT_THAT(last_summary(), HasSubstr("snapshot 2 published: "));
  EXPECT_EQ(live().namespaces, 2u);
  (*watcher)->Stop();
}

}  // namespace
}  // namespace netpol::server
