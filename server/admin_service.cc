#include "server/admin_service.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/error_reply.h"
#include "server/proto_convert.h"

namespace netpol::server {

AdminService::AdminService(SnapshotPublisher& publisher, ServerMetrics* metrics)
    : publisher_(publisher), metrics_(metrics), worker_([this] { Work(); }) {}

AdminService::~AdminService() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  worker_.join();
}

grpc::ServerUnaryReactor* AdminService::ApplySnapshot(
    grpc::CallbackServerContext* context,
    const v1::ApplySnapshotRequest* request,
    v1::ApplySnapshotResponse* response) {
  return Enqueue(Job{RpcMethod::kApplySnapshot, context,
                     context->DefaultReactor(), absl::Now(),
                     [this, request, response] {
                       return DoApplySnapshot(*request, response);
                     }});
}

grpc::ServerUnaryReactor* AdminService::Rollback(
    grpc::CallbackServerContext* context, const v1::RollbackRequest* request,
    v1::RollbackResponse* response) {
  return Enqueue(Job{
      RpcMethod::kRollback, context, context->DefaultReactor(), absl::Now(),
      [this, request, response] { return DoRollback(*request, response); }});
}

grpc::ServerUnaryReactor* AdminService::Enqueue(Job job) {
  grpc::ServerUnaryReactor* const reactor = job.reactor;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(job));
      wake_.notify_one();
      return reactor;
    }
  }
  // Only when the service is destroyed before its server is shut down: the
  // worker may be gone, so nobody else would finish the call.
  const grpc::Status status(grpc::StatusCode::UNAVAILABLE,
                            "the admin service is shutting down");
  Record(job.method, status, job.start);
  reactor->Finish(status);
  return reactor;
}

void AdminService::Work() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left to answer
    const Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    job.reactor->Finish(Run(job));
    lock.lock();
  }
}

grpc::Status AdminService::Run(const Job& job) {
  std::optional<grpc::Status> abandoned =
      Abandoned(*job.context, "an earlier push or rollback");
  grpc::Status status =
      abandoned.has_value() ? *std::move(abandoned) : job.run();
  Record(job.method, status, job.start);
  return status;
}

void AdminService::Record(RpcMethod method, const grpc::Status& status,
                          absl::Time start) const {
  if (metrics_ != nullptr) {
    metrics_->RecordRpc(method, status.error_code(),
                        absl::ToDoubleSeconds(absl::Now() - start));
  }
}

grpc::Status AdminService::DoApplySnapshot(
    const v1::ApplySnapshotRequest& request,
    v1::ApplySnapshotResponse* response) {
  if (request.manifests().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "no manifests: an ApplySnapshotRequest holds "
                        "the whole cluster state");
  }
  std::vector<ManifestText> texts;
  texts.reserve(request.manifests_size());
  for (int i = 0; i < request.manifests_size(); ++i) {
    const v1::ManifestFile& file = request.manifests(i);
    texts.push_back(
        {file.name().empty() ? absl::StrCat("manifests[", i, "]") : file.name(),
         file.content()});
  }
  std::string source = "admin push";
  if (!request.description().empty()) {
    absl::StrAppend(&source, ": ", request.description());
  }
  absl::StatusOr<SnapshotInfo> info =
      publisher_.PublishTexts(texts, std::move(source), request.dry_run());
  if (!info.ok()) return ToGrpcStatus(info.status());
  ToProto(*info, response->mutable_snapshot());
  return grpc::Status::OK;
}

grpc::Status AdminService::DoRollback(const v1::RollbackRequest& request,
                                      v1::RollbackResponse* response) {
  absl::StatusOr<SnapshotInfo> info = publisher_.Rollback(request.version());
  if (!info.ok()) return ToGrpcStatus(info.status());
  ToProto(*info, response->mutable_snapshot());
  return grpc::Status::OK;
}

}  // namespace netpol::server
