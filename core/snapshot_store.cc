#include "core/snapshot_store.h"

#include <algorithm>
#include <atomic>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/internal/epoch.h"

namespace netpol {

// One published state, immutable once built. Retained versions are
// consecutive (each publish appends the next version and drops the oldest),
// so a version is found by subtraction; the live version is the last.
class SnapshotStore::State {
 public:
  explicit State(std::vector<PublishedSnapshot> retained)
      : retained_(std::move(retained)) {}

  const std::vector<PublishedSnapshot>& retained() const { return retained_; }
  const PublishedSnapshot& live() const { return retained_.back(); }

  const PublishedSnapshot* Find(uint64_t version) const {
    if (version == 0) return &live();
    const uint64_t oldest = retained_.front().info.version;
    if (version < oldest || version - oldest >= retained_.size()) {
      return nullptr;
    }
    return &retained_[version - oldest];
  }

 private:
  std::vector<PublishedSnapshot> retained_;  // never empty
};

struct SnapshotStore::Impl {
  // Swapped by publishers (under publish_mutex_), read by Readers inside a
  // read section; see core/internal/epoch.cc for the ordering argument.
  std::atomic<const State*> state{nullptr};
};

SnapshotStore::SnapshotStore(size_t history)
    : history_(history == 0 ? 1 : history), impl_(std::make_unique<Impl>()) {}

// No Reader may outlive its store, so nothing can still see the state.
SnapshotStore::~SnapshotStore() {
  delete impl_->state.load(std::memory_order_relaxed);
}

SnapshotStore::Reader::Reader(const SnapshotStore& store) {
  internal::EnterReadSection();
  state_ = store.impl_->state.load(std::memory_order_seq_cst);
}

SnapshotStore::Reader::~Reader() { internal::LeaveReadSection(); }

const PublishedSnapshot* SnapshotStore::Reader::Current() const {
  return state_ == nullptr ? nullptr : &state_->live();
}

const PublishedSnapshot* SnapshotStore::Reader::Find(uint64_t version) const {
  return state_ == nullptr ? nullptr : state_->Find(version);
}

absl::Span<const PublishedSnapshot> SnapshotStore::Reader::Retained() const {
  if (state_ == nullptr) return {};
  return absl::MakeConstSpan(state_->retained());
}

namespace {

SnapshotInfo DescribeSnapshot(const CompiledSnapshot& snapshot) {
  const Cluster& cluster = snapshot.cluster();
  SnapshotInfo info;
  info.content_hash = ContentHash(cluster);
  info.namespaces = cluster.namespaces.size();
  info.pods = cluster.pods.size();
  info.policies = cluster.policies.size();
  info.skipped_kinds = cluster.skipped_kinds;
  return info;
}

}  // namespace

SnapshotInfo SnapshotStore::Publish(
    std::shared_ptr<const CompiledSnapshot> snapshot, std::string source) {
  // Hashing walks the whole cluster: do it before taking the lock.
  SnapshotInfo info = DescribeSnapshot(*snapshot);
  info.source = std::move(source);
  std::lock_guard<std::mutex> lock(publish_mutex_);
  return PublishLocked(PublishedSnapshot{std::move(info), std::move(snapshot)});
}

absl::StatusOr<SnapshotInfo> SnapshotStore::Rollback(uint64_t version) {
  std::lock_guard<std::mutex> lock(publish_mutex_);
  // Only publishers write the pointer, and they hold publish_mutex_.
  const State* state = impl_->state.load(std::memory_order_relaxed);
  if (state == nullptr) {
    return absl::NotFoundError(absl::StrCat("snapshot version ", version,
                                            " is not retained (no snapshot ",
                                            "published yet)"));
  }
  const PublishedSnapshot* target =
      version == 0 ? nullptr : state->Find(version);
  if (target == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "snapshot version ", version,
        " is not retained (retained: ", state->retained().front().info.version,
        "-", state->live().info.version, ")"));
  }
  PublishedSnapshot republished = *target;
  republished.info.source = absl::StrCat("rollback to ", version);
  return PublishLocked(std::move(republished));
}

SnapshotInfo SnapshotStore::PublishLocked(PublishedSnapshot published) {
  published.info.version = ++last_version_;
  published.info.created = absl::Now();

  const State* old = impl_->state.load(std::memory_order_relaxed);
  std::vector<PublishedSnapshot> retained;
  if (old != nullptr) {
    const std::vector<PublishedSnapshot>& previous = old->retained();
    const size_t keep = std::min(previous.size(), history_ - 1);
    retained.assign(previous.end() - keep, previous.end());
  }
  retained.push_back(std::move(published));
  const auto* next = new State(std::move(retained));

  impl_->state.exchange(next, std::memory_order_seq_cst);
  if (old != nullptr) {
    internal::WaitForReaders();
    delete old;
  }
  return next->live().info;
}

}  // namespace netpol
