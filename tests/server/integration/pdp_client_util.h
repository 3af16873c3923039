#ifndef NETPOL_TESTS_SERVER_INTEGRATION_PDP_CLIENT_UTIL_H_
#define NETPOL_TESTS_SERVER_INTEGRATION_PDP_CLIENT_UTIL_H_

// Small helpers for talking to netpol-pdp from tests: deadlines, building
// connections, polling for an eventual state.

#include <chrono>
#include <functional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "netpol/v1/admin.grpc.pb.h"
#include "netpol/v1/decision.grpc.pb.h"

namespace netpol::integration {

// Every RPC a test makes carries a deadline, so no test can hang on it.
inline void SetDeadline(grpc::ClientContext* context,
                        absl::Duration timeout = absl::Seconds(5)) {
  context->set_deadline(std::chrono::system_clock::now() +
                        absl::ToChronoMilliseconds(timeout));
}

inline void SetPod(netpol::v1::Endpoint* endpoint, const std::string& ns,
                   const std::string& name) {
  endpoint->mutable_pod()->set_namespace_(ns);
  endpoint->mutable_pod()->set_name(name);
}

// A connection between two pods of namespace x of the test cluster.
inline netpol::v1::Connection PodConnection(
    const std::string& src, const std::string& dst, uint32_t port,
    netpol::v1::Protocol protocol = netpol::v1::TCP) {
  netpol::v1::Connection c;
  SetPod(c.mutable_source(), "x", src);
  SetPod(c.mutable_destination(), "x", dst);
  c.set_port(port);
  c.set_protocol(protocol);
  return c;
}

inline netpol::v1::Connection IpConnection(
    const std::string& src, const std::string& dst, uint32_t port,
    netpol::v1::Protocol protocol = netpol::v1::TCP) {
  netpol::v1::Connection c;
  c.mutable_source()->set_ip(src);
  c.mutable_destination()->set_ip(dst);
  c.set_port(port);
  c.set_protocol(protocol);
  return c;
}

// One friendly-form connection at `snapshot_version` (0 = live).
inline grpc::Status CheckOne(netpol::v1::PolicyDecisionPoint::Stub& stub,
                             const netpol::v1::Connection& connection,
                             netpol::v1::CheckConnectionResponse* response,
                             uint64_t snapshot_version = 0) {
  netpol::v1::CheckConnectionRequest request;
  *request.add_connections() = connection;
  request.set_snapshot_version(snapshot_version);
  grpc::ClientContext context;
  SetDeadline(&context);
  return stub.CheckConnection(&context, request, response);
}

inline grpc::Status GetSnapshot(netpol::v1::PolicyDecisionPoint::Stub& stub,
                                netpol::v1::GetSnapshotResponse* response) {
  grpc::ClientContext context;
  SetDeadline(&context);
  return stub.GetSnapshot(&context, netpol::v1::GetSnapshotRequest(), response);
}

// The live version, or 0 when GetSnapshot fails.
inline uint64_t LiveVersion(netpol::v1::PolicyDecisionPoint::Stub& stub) {
  netpol::v1::GetSnapshotResponse response;
  if (!GetSnapshot(stub, &response).ok()) return 0;
  return response.current_version();
}

inline grpc::Status Apply(netpol::v1::SnapshotAdmin::Stub& stub,
                          const std::string& content, bool dry_run,
                          netpol::v1::ApplySnapshotResponse* response,
                          const std::string& description = "") {
  netpol::v1::ApplySnapshotRequest request;
  netpol::v1::ManifestFile* file = request.add_manifests();
  file->set_name("pushed.yaml");
  file->set_content(content);
  request.set_dry_run(dry_run);
  request.set_description(description);
  grpc::ClientContext context;
  SetDeadline(&context);
  return stub.ApplySnapshot(&context, request, response);
}

// Polls `done` every 20 ms until it holds or `timeout` passes; returns
// its last value. For state the server reaches asynchronously (file watch,
// metrics recorded after the reply).
inline bool WaitUntil(const std::function<bool()>& done,
                      absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

}  // namespace netpol::integration

#endif  // NETPOL_TESTS_SERVER_INTEGRATION_PDP_CLIENT_UTIL_H_
