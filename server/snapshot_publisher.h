#ifndef NETPOL_SERVER_SNAPSHOT_PUBLISHER_H_
#define NETPOL_SERVER_SNAPSHOT_PUBLISHER_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/compiled_snapshot.h"
#include "core/snapshot_store.h"
#include "server/server_metrics.h"

namespace netpol {
class ManifestLoader;
}

namespace netpol::server {

// Manifest text pushed by a client rather than read from a file.
struct ManifestText {
  std::string name;  // stands for the file name in errors
  std::string content;
};

// The one way snapshots enter the store: loads manifests, validates and
// compiles them, publishes the result, and keeps metrics and the log in
// step. Every source (initial load, file watch, admin push, rollback) goes
// through here, serialized by one mutex, so loads never interleave.
//
// A rejected load leaves the live snapshot untouched and returns
// InvalidArgument whose message lists every error, one per line.
//
// Logs exactly one line per attempt to the log sink (stderr by default):
//   snapshot 3 published: hash 1a2b3c4d5e6f, 100 namespaces, 10000 pods,
//       2000 policies, compiled in 27.0 ms (files: /etc/netpol)
//   snapshot rejected (admin push: ci-42): 2 errors: <first>; <second>
//   snapshot validated (dry run): ... / rollback to 9 rejected: <why>
// (wrapped here; one line each). The rejection line quotes at most three
// errors. A rejected file load is followed by every error, one per line,
// indented by two spaces: unlike an admin push, no client receives them.
class SnapshotPublisher {
 public:
  using LogSink = std::function<void(std::string_view line)>;
  // Called, under the publisher's mutex, after each publish.
  using PublishListener = std::function<void(const SnapshotInfo& info)>;

  struct Options {
    CompileOptions compile;
    PublishListener on_publish;  // may be empty
    LogSink log;                 // empty: one line per call to stderr
  };

  // `metrics` may be null. `store` and `metrics` must outlive this object.
  SnapshotPublisher(SnapshotStore& store, ServerMetrics* metrics,
                    Options options);

  // Loads files and directories (read recursively) as one cluster.
  absl::StatusOr<SnapshotInfo> PublishFiles(
      const std::vector<std::string>& paths);

  // Loads pushed texts as one cluster; `source` ends up in
  // SnapshotInfo::source. With `dry_run`, validates and compiles only and
  // returns what would be published, with version 0.
  absl::StatusOr<SnapshotInfo> PublishTexts(
      const std::vector<ManifestText>& texts, std::string source, bool dry_run);

  // Republishes retained `version` as a new version; NotFound naming the
  // retained range otherwise.
  absl::StatusOr<SnapshotInfo> Rollback(uint64_t version);

 private:
  absl::StatusOr<SnapshotInfo> LoadAndPublish(
      const std::function<void(ManifestLoader&)>& add_manifests,
      const std::string& source, bool dry_run, bool log_every_error);
  absl::StatusOr<SnapshotInfo> Reject(const std::string& source,
                                      const std::vector<std::string>& errors,
                                      bool dry_run, bool log_every_error);
  void Published(const SnapshotInfo& info, std::string_view how);
  void Log(std::string_view line);

  SnapshotStore& store_;
  ServerMetrics* const metrics_;
  const Options options_;
  std::mutex mutex_;  // one load, compile and publish at a time
};

}  // namespace netpol::server

#endif  // NETPOL_SERVER_SNAPSHOT_PUBLISHER_H_
