#ifndef NETPOL_SERVER_ADMIN_SERVICE_H_
#define NETPOL_SERVER_ADMIN_SERVICE_H_

#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "netpol/v1/admin.grpc.pb.h"
#include "server/server_metrics.h"
#include "server/snapshot_publisher.h"

namespace netpol::server {

// netpol.v1.SnapshotAdmin: publish pushed manifests, roll back.
//
// A synchronous service on purpose: a push compiles a whole cluster, which
// may take seconds, and the sync server runs it on the admin server's own
// threads instead of the process-wide callback executor that serves the
// data plane. Pushes are serialized by the SnapshotPublisher.
class AdminService final : public v1::SnapshotAdmin::Service {
 public:
  // `metrics` may be null. Both must outlive the service.
  AdminService(SnapshotPublisher& publisher, ServerMetrics* metrics);

  // INVALID_ARGUMENT for an empty request or invalid manifests (every
  // error, one per line); the live snapshot is untouched then.
  grpc::Status ApplySnapshot(grpc::ServerContext* context,
                             const v1::ApplySnapshotRequest* request,
                             v1::ApplySnapshotResponse* response) override;

  // NOT_FOUND naming the retained range when `version` is not retained.
  grpc::Status Rollback(grpc::ServerContext* context,
                        const v1::RollbackRequest* request,
                        v1::RollbackResponse* response) override;

 private:
  grpc::Status Record(RpcMethod method, grpc::Status status,
                      double seconds) const;

  SnapshotPublisher& publisher_;
  ServerMetrics* const metrics_;
};

}  // namespace netpol::server

#endif  // NETPOL_SERVER_ADMIN_SERVICE_H_
