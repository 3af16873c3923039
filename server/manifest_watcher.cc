#include "server/manifest_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace netpol::server {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kDirMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM |
                              IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB |
                              IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

// Directory nesting followed at most, as in ManifestLoader: guards against
// symlink loops.
constexpr int kMaxDepth = 16;

bool IsHidden(const std::string& name) {
  return !name.empty() && name[0] == '.';
}

std::string ErrnoText() { return std::strerror(errno); }

}  // namespace

absl::StatusOr<std::unique_ptr<ManifestWatcher>> ManifestWatcher::Start(
    const std::vector<std::string>& paths, std::function<void()> on_change,
    Options options) {
  const int inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd < 0) {
    return absl::InternalError(absl::StrCat("inotify_init1: ", ErrnoText()));
  }
  const int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    const std::string error = ErrnoText();
    close(inotify_fd);
    return absl::InternalError(absl::StrCat("eventfd: ", error));
  }
  // Private constructor: make_unique cannot reach it.
  std::unique_ptr<ManifestWatcher> watcher(new ManifestWatcher(
      inotify_fd, wake_fd, std::move(on_change), std::move(options)));
  for (const std::string& path : paths) {
    // lexically_normal() keeps a trailing "/" as an empty last component.
    fs::path absolute = fs::absolute(path).lexically_normal();
    if (absolute.filename().empty()) absolute = absolute.parent_path();
    Root root{absolute.string(), absolute.parent_path().string(),
              absolute.filename().string()};
    if (absl::Status status = watcher->WatchRoot(root); !status.ok()) {
      return status;
    }
    watcher->roots_.push_back(std::move(root));
  }
  watcher->thread_ = std::thread([w = watcher.get()] { w->Run(); });
  return watcher;
}

ManifestWatcher::ManifestWatcher(int inotify_fd, int wake_fd,
                                 std::function<void()> on_change,
                                 Options options)
    : inotify_fd_(inotify_fd),
      wake_fd_(wake_fd),
      on_change_(std::move(on_change)),
      options_(std::move(options)) {}

ManifestWatcher::~ManifestWatcher() {
  Stop();
  close(inotify_fd_);
  close(wake_fd_);
}

void ManifestWatcher::Stop() {
  if (!thread_.joinable()) return;
  const uint64_t one = 1;
  // An eventfd write of 8 bytes cannot be partial; it only fails if the
  // counter would overflow, which one write per Stop() cannot cause.
  (void)!write(wake_fd_, &one, sizeof(one));
  thread_.join();
}

absl::Status ManifestWatcher::WatchRoot(const Root& root) {
  if (root.name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot watch ", root.path, ": it has no parent"));
  }
  const int wd = inotify_add_watch(inotify_fd_, root.parent.c_str(), kDirMask);
  if (wd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot watch directory ", root.parent, " (for ",
                     root.path, "): ", ErrnoText()));
  }
  WatchedDir& dir = watches_[wd];
  dir.path = root.parent;
  dir.names.insert(root.name);
  std::error_code error;
  // A ConfigMap key is a symlink through `..data` (cluster.yaml ->
  // ..data/cluster.yaml); the kubelet updates it by renaming `..data`.
  if (fs::is_symlink(root.path, error)) {
    const fs::path target = fs::read_symlink(root.path, error);
    if (!error && target.is_relative() && !target.empty()) {
      dir.links.insert(target.begin()->string());
    }
  }
  if (fs::is_directory(root.path, error)) WatchTree(root.path, 0);
  return absl::OkStatus();
}

void ManifestWatcher::WatchTree(const std::string& path, int depth,
                                absl::flat_hash_set<int>* seen) {
  if (depth > kMaxDepth) return;
  // A directory that vanished meanwhile is simply not watched; the event
  // that removed it already counts as a change.
  const int wd = inotify_add_watch(inotify_fd_, path.c_str(), kDirMask);
  if (wd < 0) return;
  // inotify returns the existing watch for a directory seen before.
  if (!seen->insert(wd).second) return;
  WatchedDir& dir = watches_[wd];
  dir.path = path;
  dir.whole = true;
  std::error_code error;
  for (fs::directory_iterator it(path, error), end; !error && it != end;
       it.increment(error)) {
    const std::string name = it->path().filename().string();
    std::error_code type_error;
    if (!IsHidden(name) && it->is_directory(type_error)) {
      WatchTree(it->path().string(), depth + 1, seen);
    }
  }
}

bool ManifestWatcher::DrainEvents() {
  bool changed = false;
  alignas(inotify_event) char buffer[16 * 1024];
  while (true) {
    const ssize_t length = read(inotify_fd_, buffer, sizeof(buffer));
    if (length <= 0) break;  // EAGAIN: drained
    for (ssize_t offset = 0; offset < length;) {
      const auto* event =
          reinterpret_cast<const inotify_event*>(buffer + offset);
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if (event->mask & IN_Q_OVERFLOW) {
        // Events were lost: assume a change and re-watch everything.
        changed = true;
        for (const Root& root : roots_) (void)WatchRoot(root);
        continue;
      }
      auto it = watches_.find(event->wd);
      if (it == watches_.end()) continue;
      if (event->mask & IN_IGNORED) {  // the directory is gone
        changed |= it->second.whole;
        watches_.erase(it);
        continue;
      }
      if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
        changed = true;
        continue;
      }
      const std::string name = event->len > 0 ? event->name : "";
      const WatchedDir& dir = it->second;
      const bool is_root = dir.names.contains(name);
      if (!dir.whole && !is_root && !dir.links.contains(name)) continue;
      changed = true;
      const std::string path = absl::StrCat(dir.path, "/", name);
      if (is_root) {
        // The root itself appeared or was replaced: watch the new inode.
        std::error_code error;
        if (fs::is_directory(path, error)) WatchTree(path, 0);
      } else if ((event->mask & IN_ISDIR) &&
                 (event->mask & (IN_CREATE | IN_MOVED_TO)) && !IsHidden(name)) {
        WatchTree(path, 1);
      }
    }
  }
  return changed;
}

void ManifestWatcher::Run() {
  bool pending = false;
  absl::Time deadline;
  while (true) {
    int timeout_ms = -1;
    if (pending) {
      timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(
          absl::Ceil(std::max(deadline - absl::Now(), absl::ZeroDuration()),
                     absl::Milliseconds(1))));
    }
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
    const int ready = poll(fds, 2, timeout_ms);
    if (ready < 0 && errno != EINTR) {
      std::fprintf(stderr, "manifest watcher stopped: poll: %s\n",
                   ErrnoText().c_str());
      return;
    }
    if (fds[0].revents != 0) return;  // Stop()
    if (fds[1].revents != 0 && DrainEvents()) {
      pending = true;
      deadline = absl::Now() + options_.debounce;
    }
    if (pending && absl::Now() >= deadline) {
      pending = false;
      on_change_();
    }
  }
}

}  // namespace netpol::server
