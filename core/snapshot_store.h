#ifndef NETPOL_CORE_SNAPSHOT_STORE_H_
#define NETPOL_CORE_SNAPSHOT_STORE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/compiled_snapshot.h"

namespace netpol {

// What a published snapshot was built from.
struct SnapshotInfo {
  uint64_t version = 0;      // 1, 2, ... strictly increasing per store
  std::string content_hash;  // ContentHash() of the snapshot's cluster
  absl::Time created;
  std::string source;  // "files: ...", "admin push: ...", "rollback to 3"
  size_t namespaces = 0;
  size_t pods = 0;
  size_t policies = 0;
  std::map<std::string, int> skipped_kinds;
};

struct PublishedSnapshot {
  SnapshotInfo info;
  std::shared_ptr<const CompiledSnapshot> snapshot;
};

// Versioned, immutable snapshots with lock-free reads.
//
// Readers enter a read-side section (Reader), get raw pointers, and never
// take a lock, wait for a publisher, or write memory shared with other
// readers: publishing swaps one pointer, and a retired state is freed only
// once every reader that could see it has left (epoch-based reclamation,
// see core/internal/epoch.h). Publishers are serialized among themselves and
// may wait for readers to leave; keep read-side sections short (one batch).
//
// Invariant: every pointer a Reader returns stays valid until that Reader
// is destroyed, and always refers to one consistent published state.
// A Reader must not outlive its store, and a thread holding a Reader (of
// any store) must not Publish or Rollback: the publisher would wait for
// itself.
class SnapshotStore {
 public:
  // Keeps the last `history` versions (at least 1) for pinning/rollback.
  explicit SnapshotStore(size_t history = 16);
  ~SnapshotStore();
  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;

  class State;  // one immutable published state; defined in the .cc

  // A read-side section. Cheap to create (a few atomic operations on the
  // calling thread's own slot); nests; must stay on the creating thread.
  class Reader {
   public:
    explicit Reader(const SnapshotStore& store);
    ~Reader();
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    // The live snapshot; nullptr before the first publish.
    const PublishedSnapshot* Current() const;
    // A retained version (0 = live), or nullptr.
    const PublishedSnapshot* Find(uint64_t version) const;
    // Retained versions, oldest first (the live one last).
    absl::Span<const PublishedSnapshot> Retained() const;

   private:
    const State* state_;
  };

  // Publishes `snapshot` (not null) as the next version and returns its
  // info. Returns once the state it replaced is freed.
  SnapshotInfo Publish(std::shared_ptr<const CompiledSnapshot> snapshot,
                       std::string source);

  // Republishes retained `version` as a new version. NotFound naming the
  // retained range otherwise.
  absl::StatusOr<SnapshotInfo> Rollback(uint64_t version);

  size_t history() const { return history_; }

 private:
  // Swaps in a state retaining `published` as the new live version.
  SnapshotInfo PublishLocked(PublishedSnapshot published);

  const size_t history_;
  std::mutex publish_mutex_;  // serializes publishers only
  uint64_t last_version_ = 0;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A stable hex digest of a cluster's content (namespaces, pods, policies in
// a canonical order, independent of file order). Equal content, equal hash.
std::string ContentHash(const Cluster& cluster);

}  // namespace netpol

#endif  // NETPOL_CORE_SNAPSHOT_STORE_H_
