#include "server/admin_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/proto_convert.h"

namespace netpol::server {

AdminService::AdminService(SnapshotPublisher& publisher, ServerMetrics* metrics)
    : publisher_(publisher), metrics_(metrics) {}

grpc::Status AdminService::ApplySnapshot(
    grpc::ServerContext* /*context*/, const v1::ApplySnapshotRequest* request,
    v1::ApplySnapshotResponse* response) {
  const absl::Time start = absl::Now();
  const auto elapsed = [start] {
    return absl::ToDoubleSeconds(absl::Now() - start);
  };
  if (request->manifests().empty()) {
    return Record(RpcMethod::kApplySnapshot,
                  grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "no manifests: an ApplySnapshotRequest holds "
                               "the whole cluster state"),
                  elapsed());
  }
  std::vector<ManifestText> texts;
  texts.reserve(request->manifests_size());
  for (int i = 0; i < request->manifests_size(); ++i) {
    const v1::ManifestFile& file = request->manifests(i);
    texts.push_back(
        {file.name().empty() ? absl::StrCat("manifests[", i, "]") : file.name(),
         file.content()});
  }
  std::string source = "admin push";
  if (!request->description().empty()) {
    absl::StrAppend(&source, ": ", request->description());
  }
  absl::StatusOr<SnapshotInfo> info =
      publisher_.PublishTexts(texts, std::move(source), request->dry_run());
  if (!info.ok()) {
    return Record(RpcMethod::kApplySnapshot, ToGrpcStatus(info.status()),
                  elapsed());
  }
  ToProto(*info, response->mutable_snapshot());
  return Record(RpcMethod::kApplySnapshot, grpc::Status::OK, elapsed());
}

grpc::Status AdminService::Rollback(grpc::ServerContext* /*context*/,
                                    const v1::RollbackRequest* request,
                                    v1::RollbackResponse* response) {
  const absl::Time start = absl::Now();
  absl::StatusOr<SnapshotInfo> info = publisher_.Rollback(request->version());
  grpc::Status status = grpc::Status::OK;
  if (info.ok()) {
    ToProto(*info, response->mutable_snapshot());
  } else {
    status = ToGrpcStatus(info.status());
  }
  return Record(RpcMethod::kRollback, std::move(status),
                absl::ToDoubleSeconds(absl::Now() - start));
}

grpc::Status AdminService::Record(RpcMethod method, grpc::Status status,
                                  double seconds) const {
  if (metrics_ != nullptr) {
    metrics_->RecordRpc(method, status.error_code(), seconds);
  }
  return status;
}

}  // namespace netpol::server
