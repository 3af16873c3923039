#include "server/impact_handler.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "core/compiled_snapshot.h"
#include "core/impact.h"
#include "core/proposed_change.h"
#include "core/string_view_compat.h"
#include "server/error_reply.h"
#include "server/impact_convert.h"
#include "server/proto_convert.h"

namespace netpol::server {
namespace {

// Names the proposed change in errors and the log.
std::string_view SourceName(const v1::AnalyzeImpactRequest& request) {
  if (request.source_name().empty()) return "proposed change";
  return request.source_name();
}

// `status` with its message, one error per line, cut to what fits in a
// reply (the log line quotes the first error).
absl::Status CapErrors(const absl::Status& status) {
  const std::vector<std::string> errors =
      absl::StrSplit(status.message(), '\n', absl::SkipEmpty());
  return absl::Status(status.code(), CapErrorReply(errors).text);
}

std::string RetainedRange(absl::Span<const PublishedSnapshot> retained) {
  if (retained.empty()) return "none";
  return absl::StrCat(retained.front().info.version, "-",
                      retained.back().info.version);
}

struct PinnedSnapshot {
  uint64_t version = 0;
  std::shared_ptr<const CompiledSnapshot> snapshot;
};

// Retained `version` (0: live), held beyond the read section.
absl::StatusOr<PinnedSnapshot> Pin(const SnapshotStore::Reader& reader,
                                   uint64_t version, const char* field) {
  const PublishedSnapshot* published = reader.Find(version);
  if (published == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        field, " ", version,
        " is not retained (retained: ", RetainedRange(reader.Retained()), ")"));
  }
  return PinnedSnapshot{published->info.version, published->snapshot};
}

absl::StatusOr<std::shared_ptr<const CompiledSnapshot>> CompileProposed(
    const CompiledSnapshot& before, const v1::AnalyzeImpactRequest& request) {
  absl::StatusOr<ProposedChange> change =
      ParseProposedChange(request.proposed_change(), SourceName(request));
  if (!change.ok()) return CapErrors(change.status());
  absl::StatusOr<Cluster> cluster =
      ApplyProposedChange(before.cluster(), *change);
  if (!cluster.ok()) return CapErrors(cluster.status());
  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> compiled =
      CompiledSnapshot::Compile(*std::move(cluster), before.options());
  if (!compiled.ok()) return CapErrors(compiled.status());
  return std::shared_ptr<const CompiledSnapshot>(*std::move(compiled));
}

// 0 means `fallback`; anything above `max` is `max`.
uint32_t Clamp(uint32_t requested, uint32_t fallback, uint32_t max) {
  return std::min(requested == 0 ? fallback : requested, max);
}

// `version 4`, or `live version` for 0 (a request not yet resolved).
std::string VersionName(uint64_t version) {
  return version == 0 ? "live version" : absl::StrCat("version ", version);
}

// The "after" state: `proposed change "ci.yaml"`, `version 4`.
std::string AfterName(const v1::AnalyzeImpactRequest& request,
                      uint64_t other_version) {
  switch (request.after_case()) {
    case v1::AnalyzeImpactRequest::kProposedChange:
      return absl::StrCat("proposed change \"", AsAbsl(SourceName(request)),
                          "\"");
    case v1::AnalyzeImpactRequest::kOtherVersion:
      return VersionName(other_version);
    case v1::AnalyzeImpactRequest::AFTER_NOT_SET:
      break;
  }
  return "nothing";
}

std::string Summary(const v1::AnalyzeImpactResponse& response) {
  const v1::ImpactTotals& totals = response.totals();
  return absl::StrFormat(
      "%d flips (%d listed), %d pods affected, %d flows newly denied, %d "
      "newly allowed, %d pods added, %d removed",
      totals.flips(), response.flips_size(), totals.pods_affected(),
      totals.newly_denied_flows(), totals.newly_allowed_flows(),
      response.pods_added_size(), response.pods_removed_size());
}

}  // namespace

absl::Status AnalyzeImpact(const SnapshotStore& store,
                           const v1::AnalyzeImpactRequest& request,
                           const ImpactLimits& limits,
                           v1::AnalyzeImpactResponse* response) {
  if (request.after_case() == v1::AnalyzeImpactRequest::AFTER_NOT_SET) {
    return absl::InvalidArgumentError(
        "set proposed_change or other_version: the state compared with "
        "snapshot_version");
  }
  absl::StatusOr<PinnedSnapshot> before;
  absl::StatusOr<PinnedSnapshot> after;
  {
    SnapshotStore::Reader reader(store);
    if (reader.Current() == nullptr) {
      return absl::UnavailableError("no snapshot loaded yet");
    }
    before = Pin(reader, request.snapshot_version(), "snapshot_version");
    if (!before.ok()) return before.status();
    if (request.has_other_version()) {
      after = Pin(reader, request.other_version(), "other_version");
      if (!after.ok()) return after.status();
    }
  }
  if (request.has_proposed_change()) {
    absl::StatusOr<std::shared_ptr<const CompiledSnapshot>> compiled =
        CompileProposed(*before->snapshot, request);
    if (!compiled.ok()) return compiled.status();
    after = PinnedSnapshot{0, *std::move(compiled)};
  }

  ImpactOptions options;
  options.max_flips =
      Clamp(request.max_flips(), limits.default_max_flips, limits.max_flips);
  options.samples_per_flip =
      std::min(request.samples_per_flip(), limits.max_samples_per_flip);
  const ImpactReport report =
      DiffSnapshots(*before->snapshot, *after->snapshot, options);
  ImpactResponseLimits response_limits;
  response_limits.max_pods_per_group =
      Clamp(request.max_pods_per_group(), limits.default_max_pods_per_group,
            limits.max_pods_per_group);
  ImpactReportToProto(report, response_limits, response);
  response->set_before_version(before->version);
  response->set_after_version(after->version);
  TruncateToBytes(limits.max_response_bytes, response);
  return absl::OkStatus();
}

ImpactHandler::ImpactHandler(const SnapshotStore& store, ServerMetrics* metrics,
                             Options options)
    : store_(store),
      metrics_(metrics),
      options_(std::move(options)),
      worker_([this] { Work(); }) {}

ImpactHandler::~ImpactHandler() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  worker_.join();
}

void ImpactHandler::Start(grpc::CallbackServerContext* context,
                          const v1::AnalyzeImpactRequest* request,
                          v1::AnalyzeImpactResponse* response,
                          grpc::ServerUnaryReactor* reactor) {
  const absl::Time start = absl::Now();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pending_ < options_.max_pending) {
      ++pending_;
      queue_.push_back(Job{context, request, response, reactor, start});
      wake_.notify_one();
      return;
    }
  }
  if (metrics_ != nullptr) {
    metrics_->RecordRpc(RpcMethod::kAnalyzeImpact,
                        grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::ToDoubleSeconds(absl::Now() - start));
  }
  reactor->Finish(grpc::Status(
      grpc::StatusCode::RESOURCE_EXHAUSTED,
      absl::StrCat(options_.max_pending,
                   " impact analyses are already running or queued; retry "
                   "later")));
}

void ImpactHandler::Work() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left to answer
    const Job job = queue_.front();
    queue_.pop_front();
    lock.unlock();
    const grpc::Status status = Run(job);
    lock.lock();
    --pending_;  // before Finish: the client may send the next one at once
    lock.unlock();
    job.reactor->Finish(status);
    lock.lock();
  }
}

grpc::Status ImpactHandler::Run(const Job& job) {
  const v1::AnalyzeImpactRequest& request = *job.request;
  std::optional<grpc::Status> abandoned =
      Abandoned(*job.context, "an earlier analysis");
  const grpc::Status status =
      abandoned.has_value()
          ? *std::move(abandoned)
          : ToGrpcStatus(
                AnalyzeImpact(store_, request, options_.limits, job.response));
  const absl::Duration elapsed = absl::Now() - job.start;
  if (metrics_ != nullptr) {
    metrics_->RecordRpc(RpcMethod::kAnalyzeImpact, status.error_code(),
                        absl::ToDoubleSeconds(elapsed));
  }
  if (status.ok()) {
    Log(absl::StrFormat("impact analysis: version %d vs %s: %s, in %.1f ms",
                        job.response->before_version(),
                        AfterName(request, job.response->after_version()),
                        Summary(*job.response),
                        absl::ToDoubleMilliseconds(elapsed)));
  } else {
    // The client has every error; the log quotes the first (after the
    // count line the core puts first when there are several).
    const std::string message = status.error_message();  // a copy
    const std::vector<absl::string_view> lines =
        absl::StrSplit(message, absl::MaxSplits('\n', 2), absl::SkipEmpty());
    Log(absl::StrCat(
        "impact analysis failed (", VersionName(request.snapshot_version()),
        " vs ", AfterName(request, request.other_version()), "): ",
        absl::StatusCodeToString(
            static_cast<absl::StatusCode>(status.error_code())),
        ": ",
        absl::StrJoin(lines.begin(),
                      lines.begin() + std::min<size_t>(lines.size(), 2), " ")));
  }
  return status;
}

void ImpactHandler::Log(std::string_view line) const {
  if (options_.log) {
    options_.log(line);
    return;
  }
  const std::string text = absl::StrCat(AsAbsl(line), "\n");
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace netpol::server
