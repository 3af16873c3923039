#ifndef NETPOL_LOAD_TESTS_FLOOR_SERVER_FLOOR_SERVICE_H_
#define NETPOL_LOAD_TESTS_FLOOR_SERVER_FLOOR_SERVICE_H_

// The floor of the load tests: netpol.v1.PolicyDecisionPoint answering
// every connection ALLOW without evaluating anything, on the same gRPC
// set-up as netpol-pdp's DecisionService (callback API, a protobuf Arena
// per unary call, one reused request/response pair per stream). What
// netpol-pdp costs beyond this is the cost of deciding.

#include <memory>

#include "grpcpp/grpcpp.h"
#include "netpol/v1/decision.grpc.pb.h"

namespace netpol::loadtests {

class FloorService final
    : public netpol::v1::PolicyDecisionPoint::CallbackService {
 public:
  FloorService();
  ~FloorService() override;

  grpc::ServerUnaryReactor* CheckConnection(
      grpc::CallbackServerContext* context,
      const v1::CheckConnectionRequest* request,
      v1::CheckConnectionResponse* response) override;

  grpc::ServerBidiReactor<v1::CheckConnectionRequest,
                          v1::CheckConnectionResponse>*
  CheckConnectionStream(grpc::CallbackServerContext* context) override;

  grpc::ServerUnaryReactor* GetSnapshot(
      grpc::CallbackServerContext* context,
      const v1::GetSnapshotRequest* request,
      v1::GetSnapshotResponse* response) override;

 private:
  class StreamReactor;
  class ArenaAllocator;

  std::unique_ptr<ArenaAllocator> allocator_;
};

}  // namespace netpol::loadtests

#endif  // NETPOL_LOAD_TESTS_FLOOR_SERVER_FLOOR_SERVICE_H_
