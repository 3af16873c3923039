#ifndef NETPOL_SERVER_PROTO_CONVERT_H_
#define NETPOL_SERVER_PROTO_CONVERT_H_

// Conversions between core types and the netpol.v1 messages. The core
// enums are dense table indices and differ from the wire numbering, so every
// crossing goes through here. Part of netpol::impact_convert (core + proto
// only), so netpolctl builds and renders the same messages the server
// does.

#include <optional>

#include "absl/status/status.h"
#include "core/decision.h"
#include "core/protocol.h"
#include "core/snapshot_store.h"
#include "grpcpp/support/status.h"
#include "netpol/v1/decision.pb.h"

namespace netpol::server {

void ToProto(const SnapshotInfo& info, v1::SnapshotInfo* out);
void ToProto(const Explanation& explanation, v1::Explanation* out);
void ToProto(const PodRef& pod, v1::PodRef* out);
void ToProto(const Endpoint& endpoint, v1::Endpoint* out);
void ToProto(const Connection& connection, v1::Connection* out);

v1::Reason ToProto(Reason reason);
v1::Verdict ToProtoVerdict(bool allowed);
v1::Protocol ToProto(Protocol protocol);

// PROTOCOL_UNSPECIFIED and TCP are TCP; nullopt for values outside the
// enum (proto3 enums are open: a client may send 7).
std::optional<Protocol> FromProto(int protocol);

// Same numbering on both sides; the message is kept.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace netpol::server

#endif  // NETPOL_SERVER_PROTO_CONVERT_H_
