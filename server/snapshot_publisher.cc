#include "server/snapshot_publisher.h"

#include <cstdio>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/manifest_loader.h"
#include "core/string_view_compat.h"
#include "server/error_reply.h"

namespace netpol::server {
namespace {

// Errors quoted in the one-line log.
constexpr size_t kErrorsInLog = 3;

void WriteToStderr(std::string_view line) {
  std::string text = absl::StrCat(AsAbsl(line), "\n");
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

std::string Summary(const SnapshotInfo& info) {
  return absl::StrFormat("hash %s, %d namespaces, %d pods, %d policies",
                         info.content_hash.substr(0, 12), info.namespaces,
                         info.pods, info.policies);
}

// What Publish() would record, for a snapshot that is not published.
SnapshotInfo DryRunInfo(const CompiledSnapshot& snapshot, std::string source) {
  const Cluster& cluster = snapshot.cluster();
  SnapshotInfo info;
  info.content_hash = ContentHash(cluster);
  info.created = absl::Now();
  info.source = std::move(source);
  info.namespaces = cluster.namespaces.size();
  info.pods = cluster.pods.size();
  info.policies = cluster.policies.size();
  info.skipped_kinds = cluster.skipped_kinds;
  return info;
}

std::vector<std::string> ErrorLines(const absl::Status& status) {
  return absl::StrSplit(status.message(), '\n', absl::SkipEmpty());
}

}  // namespace

SnapshotPublisher::SnapshotPublisher(SnapshotStore& store,
                                     ServerMetrics* metrics, Options options)
    : store_(store), metrics_(metrics), options_(std::move(options)) {}

absl::StatusOr<SnapshotInfo> SnapshotPublisher::PublishFiles(
    const std::vector<std::string>& paths) {
  return LoadAndPublish(
      [&paths](ManifestLoader& loader) {
        for (const std::string& path : paths) loader.AddPath(path);
      },
      absl::StrCat("files: ", absl::StrJoin(paths, ", ")), /*dry_run=*/false,
      /*log_every_error=*/true);
}

absl::StatusOr<SnapshotInfo> SnapshotPublisher::PublishTexts(
    const std::vector<ManifestText>& texts, std::string source, bool dry_run) {
  return LoadAndPublish(
      [&texts](ManifestLoader& loader) {
        for (const ManifestText& text : texts) {
          loader.AddText(text.content, text.name);
        }
      },
      source, dry_run, /*log_every_error=*/false);
}

absl::StatusOr<SnapshotInfo> SnapshotPublisher::Rollback(uint64_t version) {
  std::lock_guard<std::mutex> lock(mutex_);
  absl::StatusOr<SnapshotInfo> info = store_.Rollback(version);
  if (!info.ok()) {
    Log(absl::StrCat("rollback to ", version,
                     " rejected: ", info.status().message()));
    return info.status();
  }
  Published(*info, "");
  return info;
}

absl::StatusOr<SnapshotInfo> SnapshotPublisher::LoadAndPublish(
    const std::function<void(ManifestLoader&)>& add_manifests,
    const std::string& source, bool dry_run, bool log_every_error) {
  std::lock_guard<std::mutex> lock(mutex_);
  ManifestLoader loader;
  add_manifests(loader);
  absl::StatusOr<Cluster> cluster = std::move(loader).Finish();
  if (!cluster.ok()) {
    std::vector<std::string> errors = loader.errors();
    if (errors.empty()) errors = ErrorLines(cluster.status());
    return Reject(source, errors, dry_run, log_every_error);
  }

  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> compiled =
      CompiledSnapshot::Compile(*std::move(cluster), options_.compile);
  const absl::Duration compile_time = absl::Now() - start;
  if (!compiled.ok()) {
    return Reject(source, ErrorLines(compiled.status()), dry_run,
                  log_every_error);
  }
  const std::string timing =
      absl::StrFormat("compiled in %.1f ms (%s)",
                      absl::ToDoubleMilliseconds(compile_time), source);

  if (dry_run) {
    SnapshotInfo info = DryRunInfo(**compiled, source);
    Log(absl::StrCat("snapshot validated (dry run): ", Summary(info), ", ",
                     timing));
    return info;
  }
  SnapshotInfo info = store_.Publish(
      std::shared_ptr<const CompiledSnapshot>(*std::move(compiled)), source);
  if (metrics_ != nullptr) {
    metrics_->RecordReload(true, absl::ToDoubleSeconds(compile_time));
  }
  Published(info, timing);
  return info;
}

absl::StatusOr<SnapshotInfo> SnapshotPublisher::Reject(
    const std::string& source, const std::vector<std::string>& errors,
    bool dry_run, bool log_every_error) {
  if (!dry_run && metrics_ != nullptr) metrics_->RecordReload(false, 0);
  std::string line = absl::StrCat(
      "snapshot rejected (", dry_run ? "dry run, " : "", source,
      "): ", errors.size(), errors.size() == 1 ? " error: " : " errors: ");
  for (size_t i = 0; i < errors.size() && i < kErrorsInLog; ++i) {
    absl::StrAppend(&line, i == 0 ? "" : "; ", errors[i]);
  }
  if (errors.size() > kErrorsInLog) {
    absl::StrAppend(&line, "; ... and ", errors.size() - kErrorsInLog, " more");
  }
  const ErrorReply reply =
      CapErrorReply(errors, " (the server log lists all of them)");
  Log(line);
  if (log_every_error || reply.listed < errors.size()) {
    for (const std::string& error : errors) Log(absl::StrCat("  ", error));
  }
  return absl::InvalidArgumentError(reply.text);
}

void SnapshotPublisher::Published(const SnapshotInfo& info,
                                  std::string_view how) {
  if (metrics_ != nullptr) {
    SnapshotStore::Reader reader(store_);
    metrics_->SetLiveSnapshot(info, reader.Retained().size());
  }
  Log(absl::StrCat("snapshot ", info.version, " published: ", Summary(info),
                   how.empty() ? absl::StrCat(" (", info.source, ")")
                               : absl::StrCat(", ", AsAbsl(how))));
  if (options_.on_publish) options_.on_publish(info);
}

void SnapshotPublisher::Log(std::string_view line) {
  if (options_.log) {
    options_.log(line);
  } else {
    WriteToStderr(line);
  }
}

}  // namespace netpol::server
