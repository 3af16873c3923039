#include "load-tests/loadgen/admin_churn.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "netpol/v1/admin.grpc.pb.h"
#include "netpol/v1/decision.grpc.pb.h"

namespace netpol::loadgen {
namespace {

constexpr std::chrono::seconds kAdminDeadline{5};

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + kAdminDeadline);
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdminChurn>> AdminChurn::Start(
    std::shared_ptr<grpc::Channel> data_channel,
    const std::string& admin_target, std::chrono::milliseconds interval) {
  grpc::ClientContext context;
  SetDeadline(context);
  v1::GetSnapshotResponse snapshot;
  const grpc::Status status =
      v1::PolicyDecisionPoint::NewStub(data_channel)
          ->GetSnapshot(&context, v1::GetSnapshotRequest(), &snapshot);
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("GetSnapshot: ", status.error_message()));
  }
  if (snapshot.current_version() == 0) {
    return absl::FailedPreconditionError("the server has no live snapshot");
  }
  // The newest other retained version, or the live one itself: rolling back
  // to it republishes the same content as a second version.
  uint64_t other = snapshot.current_version();
  for (const v1::SnapshotInfo& info : snapshot.retained()) {
    if (info.version() != snapshot.current_version() &&
        (other == snapshot.current_version() || info.version() > other)) {
      other = info.version();
    }
  }
  auto admin =
      grpc::CreateChannel(admin_target, grpc::InsecureChannelCredentials());
  return std::unique_ptr<AdminChurn>(new AdminChurn(
      std::move(admin), snapshot.current_version(), other, interval));
}

AdminChurn::AdminChurn(std::shared_ptr<grpc::Channel> admin_channel,
                       uint64_t live, uint64_t other,
                       std::chrono::milliseconds interval)
    : admin_channel_(std::move(admin_channel)),
      live_(live),
      other_(other),
      interval_(interval),
      thread_([this] { Run(); }) {}

AdminChurn::~AdminChurn() { Stop(); }

void AdminChurn::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void AdminChurn::Run() {
  auto stub = v1::SnapshotAdmin::NewStub(admin_channel_);
  auto next = std::chrono::steady_clock::now() + interval_;
  while (!stop_.load()) {
    std::this_thread::sleep_until(next);
    next += interval_;
    if (stop_.load()) break;
    grpc::ClientContext context;
    SetDeadline(context);
    v1::RollbackRequest request;
    request.set_version(other_);
    v1::RollbackResponse response;
    if (stub->Rollback(&context, request, &response).ok()) {
      other_ = live_;
      live_ = response.snapshot().version();
      publishes_.fetch_add(1);
    } else {
      errors_.fetch_add(1);
    }
  }
}

}  // namespace netpol::loadgen
