#ifndef NETPOL_SERVER_REFLECTION_SERVICE_H_
#define NETPOL_SERVER_REFLECTION_SERVICE_H_

// gRPC server reflection (grpc.reflection.v1alpha.ServerReflection), so
// grpcurl, ghz and similar tools work without the proto files.
//
// gRPC 1.51's own reflection is a synchronous service, and a sync service
// makes gRPC start poller threads that join the process-wide epoll set and
// take the data plane's I/O: about 10% more server CPU per CheckConnection
// at moderate rates. This one is a callback service; it answers from the
// process's generated descriptor pool, on gRPC's threads (each answer is a
// look-up and a serialization of a few kilobytes).

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "google/protobuf/descriptor.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace netpol::server {

namespace reflection = ::grpc::reflection::v1alpha;

// Answers one reflection request from `pool`. `services` are the full
// names a list_services request reports. File answers hold the file asked
// for, then the transitive dependencies whose names are not yet in `sent`;
// every file answered is added to `sent` (one set per stream). Look-ups
// that find nothing answer an error_response with NOT_FOUND; a request
// with no message_request, INVALID_ARGUMENT.
void AnswerReflectionRequest(const google::protobuf::DescriptorPool& pool,
                             const std::vector<std::string>& services,
                             const reflection::ServerReflectionRequest& request,
                             absl::flat_hash_set<std::string>* sent,
                             reflection::ServerReflectionResponse* response);

class ReflectionService final
    : public reflection::ServerReflection::CallbackService {
 public:
  // `services`: the full names of the services on the same server, this
  // one included. `pool` must outlive the service.
  explicit ReflectionService(
      std::vector<std::string> services,
      const google::protobuf::DescriptorPool* pool =
          google::protobuf::DescriptorPool::generated_pool());

  // One response per request, in order; the stream ends OK when the
  // client half-closes.
  grpc::ServerBidiReactor<reflection::ServerReflectionRequest,
                          reflection::ServerReflectionResponse>*
  ServerReflectionInfo(grpc::CallbackServerContext* context) override;

 private:
  class Session;

  const std::vector<std::string> services_;
  const google::protobuf::DescriptorPool* const pool_;
};

}  // namespace netpol::server

#endif  // NETPOL_SERVER_REFLECTION_SERVICE_H_
