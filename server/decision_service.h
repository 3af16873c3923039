#ifndef NETPOL_SERVER_DECISION_SERVICE_H_
#define NETPOL_SERVER_DECISION_SERVICE_H_

// netpol.v1.PolicyDecisionPoint on gRPC's callback API. Handlers run on
// gRPC's threads and never block: each batch reads the snapshot store
// inside one lock-free Reader section (see batch_evaluator.h), and impact
// analyses run on their own thread (see impact_handler.h). The two batch
// methods take their messages as bytes (see serialized_batch.h).

#include "core/snapshot_store.h"
#include "grpcpp/grpcpp.h"
#include "netpol/v1/decision.grpc.pb.h"
#include "server/batch_evaluator.h"
#include "server/impact_handler.h"
#include "server/serialized_batch.h"
#include "server/server_metrics.h"

namespace netpol::server {

using DecisionServiceBase =
    v1::PolicyDecisionPoint::WithRawCallbackMethod_CheckConnection<
        v1::PolicyDecisionPoint::WithRawCallbackMethod_CheckConnectionStream<
            v1::PolicyDecisionPoint::WithCallbackMethod_GetSnapshot<
                v1::PolicyDecisionPoint::WithCallbackMethod_AnalyzeImpact<
                    v1::PolicyDecisionPoint::Service>>>>;

class DecisionService final : public DecisionServiceBase {
 public:
  // `store` and `metrics` must outlive the service; `metrics` may be null.
  DecisionService(const SnapshotStore& store, BatchLimits limits,
                  ServerMetrics* metrics,
                  ImpactHandler::Options impact_options = {});
  ~DecisionService() override;

  DecisionService(const DecisionService&) = delete;
  DecisionService& operator=(const DecisionService&) = delete;

  // A CheckConnectionRequest in, a CheckConnectionResponse out.
  grpc::ServerUnaryReactor* CheckConnection(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

  // One response per request, in order: the next request is read only once
  // the previous response is written. A request-level error ends the stream
  // with that status.
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>*
  CheckConnectionStream(grpc::CallbackServerContext* context) override;

  grpc::ServerUnaryReactor* GetSnapshot(
      grpc::CallbackServerContext* context,
      const v1::GetSnapshotRequest* request,
      v1::GetSnapshotResponse* response) override;

  // Queued for the impact handler's thread; RESOURCE_EXHAUSTED when too
  // many analyses are pending.
  grpc::ServerUnaryReactor* AnalyzeImpact(
      grpc::CallbackServerContext* context,
      const v1::AnalyzeImpactRequest* request,
      v1::AnalyzeImpactResponse* response) override;

 private:
  class StreamReactor;

  const SnapshotStore& store_;
  const BatchLimits limits_;
  ServerMetrics* const metrics_;
  ImpactHandler impact_;
};

}  // namespace netpol::server

#endif  // NETPOL_SERVER_DECISION_SERVICE_H_
