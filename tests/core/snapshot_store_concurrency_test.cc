// Readers deciding connections while a publisher publishes and rolls back:
// every answer must come from exactly the version the reader saw. Run it
// under ThreadSanitizer too (ctest -L concurrency in the tsan build).

#include <array>
#include <atomic>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/snapshot_store.h"
#include "gtest/gtest.h"
#include "tests/core/test_util.h"

namespace netpol {
namespace {

using testing_util::CompileYaml;
using testing_util::NamespaceYaml;
using testing_util::PodYaml;

constexpr absl::Duration kRunFor = absl::Milliseconds(1500);
constexpr int kReaders = 4;
constexpr int kMaxReadsPerReader = 5000000;
constexpr uint64_t kMaxPublishes = 10000;
// Spreads the publishes over the run instead of exhausting them at once.
constexpr absl::Duration kPublishPause = absl::Microseconds(100);
constexpr size_t kHistory = 4;

// Which cluster a version holds; kUnknown until the publisher records it.
enum Kind : int { kUnknown = 0, kAllowing = 1, kDenying = 2 };

// x/a (10.0.0.1) and x/b (10.0.0.2); x/b admits x/a on TCP 80 in the
// allowing cluster and nothing in the denying one.
std::string ClusterYaml(Kind kind) {
  const std::string ingress =
      kind == kAllowing
          ? "  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: "
            "a}}\n    ports: [{port: 80}]\n"
          : "  ingress: []\n";
  return absl::StrCat(
      NamespaceYaml("x"), PodYaml("x", "a", "{app: a}", "10.0.0.1"),
      PodYaml("x", "b", "{app: b}", "10.0.0.2"),
      "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
      "metadata:\n  name: guard-b\n  namespace: x\nspec:\n"
      "  podSelector: {matchLabels: {app: b}}\n  policyTypes: [Ingress]\n",
      ingress);
}

struct Probe {
  IpAddress source;
  IpAddress destination;
  uint16_t port;
  Decision allowing;  // expected verdict in the allowing cluster
  Decision denying;   // and in the denying one
};

std::vector<Probe> Probes() {
  const IpAddress a = *IpAddress::Parse("10.0.0.1");
  const IpAddress b = *IpAddress::Parse("10.0.0.2");
  const Decision by_policy{true, Reason::kAllowedByPolicy};
  const Decision denied{false, Reason::kDeniedIngress};
  const Decision open{true, Reason::kNotIsolated};
  return {
      {a, b, 80, by_policy, denied},  // the verdict that flips
      {a, b, 81, denied, denied},
      {b, a, 80, open, open},
  };
}

class SnapshotStoreConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshots_[kAllowing] = CompileYaml(ClusterYaml(kAllowing));
    snapshots_[kDenying] = CompileYaml(ClusterYaml(kDenying));
    ASSERT_NE(snapshots_[kAllowing], nullptr);
    ASSERT_NE(snapshots_[kDenying], nullptr);
    for (auto& kind : kinds_) kind.store(kUnknown);
  }

  // Records what version `version` will hold before it is visible.
  void Expect(uint64_t version, Kind kind) {
    ASSERT_LT(version, kinds_.size());
    kinds_[version].store(kind, std::memory_order_release);
  }

  Kind KindOf(uint64_t version) const {
    if (version >= kinds_.size()) return kUnknown;
    return static_cast<Kind>(kinds_[version].load(std::memory_order_acquire));
  }

  // Checks every probe against `published`, which must hold the cluster
  // recorded for its version. Returns false (after a failure) otherwise.
  bool Check(const PublishedSnapshot& published) const {
    const Kind kind = KindOf(published.info.version);
    if (kind == kUnknown) {
      ADD_FAILURE() << "version " << published.info.version
                    << " was never published";
      return false;
    }
    if (published.snapshot != snapshots_[kind]) {
      ADD_FAILURE() << "version " << published.info.version
                    << " holds the wrong snapshot";
      return false;
    }
    for (const Probe& probe : probes_) {
      const Decision got = published.snapshot->Decide(
          probe.source, probe.destination, probe.port, Protocol::kTcp);
      const Decision& want = kind == kAllowing ? probe.allowing : probe.denying;
      if (got != want) {
        ADD_FAILURE() << "version " << published.info.version << ": "
                      << probe.source.ToString() << " -> "
                      << probe.destination.ToString() << ":" << probe.port
                      << " allowed=" << got.allowed;
        return false;
      }
    }
    return true;
  }

  // Publishes alternately, and every third round rolls back to the oldest
  // retained version, until `deadline` or kMaxPublishes.
  void RunPublisher(absl::Time deadline) {
    uint64_t version = 0;
    while (absl::Now() < deadline && version + 1 < kMaxPublishes) {
      const uint64_t next = version + 1;
      if (next % 3 == 0) {
        const uint64_t target = next > kHistory ? next - kHistory : 1;
        Expect(next, KindOf(target));
        absl::StatusOr<SnapshotInfo> info = store_.Rollback(target);
        ASSERT_TRUE(info.ok()) << info.status();
        ASSERT_EQ(info->version, next);
      } else {
        const Kind kind = next % 2 == 0 ? kAllowing : kDenying;
        Expect(next, kind);
        ASSERT_EQ(store_.Publish(snapshots_[kind], "test").version, next);
      }
      version = next;
      publishes_.store(version, std::memory_order_relaxed);
      absl::SleepFor(kPublishPause);
    }
  }

  // Reads the live version and, pinned, one seen earlier; checks both.
  void RunReader(absl::Time deadline, int* reads) {
    uint64_t pinned = 0;
    for (*reads = 0; *reads < kMaxReadsPerReader && absl::Now() < deadline;
         ++*reads) {
      {
        SnapshotStore::Reader reader(store_);
        const PublishedSnapshot* live = reader.Current();
        if (live == nullptr) continue;
        if (!Check(*live)) return;
        absl::Span<const PublishedSnapshot> retained = reader.Retained();
        if (&retained.back() != live ||
            retained.back().info.version - retained.front().info.version + 1 !=
                retained.size()) {
          ADD_FAILURE() << "inconsistent retained list";
          return;
        }
        if (pinned == 0) pinned = live->info.version;
      }
      if (pinned == 0) continue;
      SnapshotStore::Reader reader(store_);
      const PublishedSnapshot* found = reader.Find(pinned);
      if (found != nullptr) {
        if (found->info.version != pinned || !Check(*found)) return;
        pinned_hits_.fetch_add(1, std::memory_order_relaxed);
      } else if (reader.Retained().front().info.version <= pinned) {
        ADD_FAILURE() << "version " << pinned << " should be retained";
        return;
      } else {
        pinned = 0;  // evicted: pin a newer one next round
      }
    }
  }

  SnapshotStore store_{kHistory};
  std::shared_ptr<const CompiledSnapshot> snapshots_[3];
  std::array<std::atomic<int>, kMaxPublishes> kinds_;
  std::vector<Probe> probes_ = Probes();
  std::atomic<uint64_t> publishes_{0};
  std::atomic<uint64_t> pinned_hits_{0};
};

TEST_F(SnapshotStoreConcurrencyTest, ReadersSeeExactlyThePublishedVersion) {
  const absl::Time deadline = absl::Now() + kRunFor;
  std::vector<int> reads(kReaders, 0);
  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.emplace_back(
        [this, deadline, &reads, i] { RunReader(deadline, &reads[i]); });
  }
  RunPublisher(deadline);
  for (std::thread& reader : readers) reader.join();

  // The run must have exercised something: several versions, both
  // clusters, rollbacks, and reads on every thread.
  EXPECT_GE(publishes_.load(), 6u);
  for (int i = 0; i < kReaders; ++i) EXPECT_GT(reads[i], 0) << "reader " << i;
  EXPECT_GT(pinned_hits_.load(), 0u);
  int total_reads = 0;
  for (int count : reads) total_reads += count;
  std::cout << "publishes: " << publishes_.load() << ", reads: " << total_reads
            << ", pinned reads: " << pinned_hits_.load() << "\n";
}

}  // namespace
}  // namespace netpol
