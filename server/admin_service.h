#ifndef NETPOL_SERVER_ADMIN_SERVICE_H_
#define NETPOL_SERVER_ADMIN_SERVICE_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"
#include "netpol/v1/admin.grpc.pb.h"
#include "server/server_metrics.h"
#include "server/snapshot_publisher.h"

namespace netpol::server {

// netpol.v1.SnapshotAdmin: publish pushed manifests, roll back.
//
// A callback service, so the process runs no sync-server poller threads
// that would compete with the data plane for its I/O. A push compiles a
// whole cluster, which may take seconds, so the handlers only queue the
// call: the service's own worker thread runs the calls one at a time, in
// arrival order, and gRPC's callback threads that serve CheckConnection
// never compile. Pushes are serialized by the SnapshotPublisher anyway.
class AdminService final : public v1::SnapshotAdmin::CallbackService {
 public:
  // `metrics` may be null. Both must outlive the service.
  AdminService(SnapshotPublisher& publisher, ServerMetrics* metrics);
  // Answers every queued call, then stops the worker. The server must be
  // shut down first, so no call arrives any more.
  ~AdminService() override;

  AdminService(const AdminService&) = delete;
  AdminService& operator=(const AdminService&) = delete;

  // INVALID_ARGUMENT for an empty request or invalid manifests (every
  // error, one per line); the live snapshot is untouched then.
  grpc::ServerUnaryReactor* ApplySnapshot(
      grpc::CallbackServerContext* context,
      const v1::ApplySnapshotRequest* request,
      v1::ApplySnapshotResponse* response) override;

  // NOT_FOUND naming the retained range when `version` is not retained.
  grpc::ServerUnaryReactor* Rollback(grpc::CallbackServerContext* context,
                                     const v1::RollbackRequest* request,
                                     v1::RollbackResponse* response) override;

 private:
  struct Job {
    RpcMethod method;
    grpc::CallbackServerContext* context;
    grpc::ServerUnaryReactor* reactor;
    absl::Time start;  // when the handler was called
    // Does the work and fills the response; runs on the worker.
    std::function<grpc::Status()> run;
  };

  // Queues `job`, or finishes it at once when the service is stopping.
  grpc::ServerUnaryReactor* Enqueue(Job job);
  void Work();
  // Runs (unless abandoned) and records one job; the caller finishes it.
  grpc::Status Run(const Job& job);
  void Record(RpcMethod method, const grpc::Status& status,
              absl::Time start) const;

  grpc::Status DoApplySnapshot(const v1::ApplySnapshotRequest& request,
                               v1::ApplySnapshotResponse* response);
  grpc::Status DoRollback(const v1::RollbackRequest& request,
                          v1::RollbackResponse* response);

  SnapshotPublisher& publisher_;
  ServerMetrics* const metrics_;

  std::mutex mutex_;
  std::condition_variable wake_;
  // Unbounded: admin calls are rare, come from operators or CI over the
  // loopback admin listener, and each holds only its request.
  std::deque<Job> queue_;  // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::thread worker_;     // last: starts once the rest is initialized
};

}  // namespace netpol::server

#endif  // NETPOL_SERVER_ADMIN_SERVICE_H_
