#ifndef NETPOL_SERVER_MANIFEST_WATCHER_H_
#define NETPOL_SERVER_MANIFEST_WATCHER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace netpol::server {

// Watches manifest files and directories with inotify and calls a callback
// once changes have settled, so the whole set can be re-read.
//
// What is watched, for each path:
//  - its parent directory, filtered to the path's own name: catches a file
//    or directory replaced by an atomic rename (editors, kubectl cp), or
//    created after start; when the path is a relative symlink, also the
//    entry it links through (a ConfigMap key file links via `..data`);
//  - if it is a directory, the directory and its subdirectories (new ones
//    included), skipping names that start with "." as ManifestLoader does.
//    A Kubernetes ConfigMap volume swaps its `..data` symlink by rename,
//    which shows up as IN_MOVED_TO in the watched directory itself.
//
// Events are debounced: `on_change` runs once, `debounce` after the last
// event of a burst, on the watcher's own thread; it never runs twice at
// once. It must not call Stop().
class ManifestWatcher {
 public:
  struct Options {
    absl::Duration debounce = absl::Milliseconds(200);
  };

  // Sets up every watch before returning, so any change made after Start()
  // returns is seen. Fails when inotify is unavailable or a path's parent
  // directory cannot be watched.
  static absl::StatusOr<std::unique_ptr<ManifestWatcher>> Start(
      const std::vector<std::string>& paths, std::function<void()> on_change,
      Options options);

  ~ManifestWatcher();  // Stop()s
  ManifestWatcher(const ManifestWatcher&) = delete;
  ManifestWatcher& operator=(const ManifestWatcher&) = delete;

  // Stops the thread, waiting for a running `on_change` to return.
  // Idempotent.
  void Stop();

 private:
  struct Root {
    std::string path;    // absolute
    std::string parent;  // its directory
    std::string name;    // its last component
  };
  // One inotify watch. The kernel gives one watch descriptor per inode, so
  // a directory watched whole and as some root's parent shares one entry.
  struct WatchedDir {
    std::string path;
    bool whole = false;  // every entry counts; else only these:
    absl::flat_hash_set<std::string> names;  // roots in this directory
    absl::flat_hash_set<std::string> links;  // entries roots link through
  };

  ManifestWatcher(int inotify_fd, int wake_fd, std::function<void()> on_change,
                  Options options);

  absl::Status WatchRoot(const Root& root);
  // Watches `dir` and the directories below it. `seen` holds the watches
  // made by this walk: a directory reached twice (a symlink loop) is
  // walked once.
  void WatchTree(const std::string& dir, int depth, absl::flat_hash_set<int>* seen);
  void WatchTree(const std::string& dir, int depth) {
    absl::flat_hash_set<int> seen;
    WatchTree(dir, depth, &seen);
  }
  // Reads the pending events; true if any concerns the manifests.
  bool DrainEvents();
  void Run();

  const int inotify_fd_;
  const int wake_fd_;  // eventfd written by Stop()
  const std::function<void()> on_change_;
  const Options options_;
  std::vector<Root> roots_;
  // Owned by the watcher thread once it runs.
  absl::flat_hash_map<int, WatchedDir> watches_;
  std::thread thread_;
};

}  // namespace netpol::server

#endif  // NETPOL_SERVER_MANIFEST_WATCHER_H_
