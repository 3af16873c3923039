#include "server/proto_convert.h"

#include <cstdint>
#include <string>
#include <variant>

#include "absl/time/time.h"

namespace netpol::server {
namespace {

void ToProto(const DirectionExplanation& direction,
             v1::DirectionExplanation* out) {
  out->set_pod(direction.pod);
  out->set_isolated(direction.isolated);
  for (const std::string& policy : direction.selecting_policies) {
    out->add_selecting_policies(policy);
  }
  for (const RuleRef& rule : direction.allowing_rules) {
    v1::RuleRef* ref = out->add_allowing_rules();
    ref->set_policy(rule.policy);
    ref->set_rule_index(rule.rule_index);
  }
  out->set_allowed(direction.allowed);
}

}  // namespace

void ToProto(const SnapshotInfo& info, v1::SnapshotInfo* out) {
  out->set_version(info.version);
  out->set_content_hash(info.content_hash);
  const int64_t seconds = absl::ToUnixSeconds(info.created);
  out->mutable_created()->set_seconds(seconds);
  out->mutable_created()->set_nanos(static_cast<int32_t>(
      (info.created - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  out->set_namespaces(static_cast<uint32_t>(info.namespaces));
  out->set_pods(static_cast<uint32_t>(info.pods));
  out->set_network_policies(static_cast<uint32_t>(info.policies));
  for (const auto& [kind, count] : info.skipped_kinds) {
    (*out->mutable_skipped_kinds())[kind] = static_cast<uint32_t>(count);
  }
  out->set_source(info.source);
}

void ToProto(const Explanation& explanation, v1::Explanation* out) {
  out->set_source(explanation.source);
  out->set_destination(explanation.destination);
  ToProto(explanation.egress, out->mutable_egress());
  ToProto(explanation.ingress, out->mutable_ingress());
  out->set_text(explanation.ToText());
}

void ToProto(const PodRef& pod, v1::PodRef* out) {
  out->set_namespace_(pod.namespace_name);
  out->set_name(pod.name);
}

void ToProto(const Endpoint& endpoint, v1::Endpoint* out) {
  if (const PodRef* pod = std::get_if<PodRef>(&endpoint)) {
    ToProto(*pod, out->mutable_pod());
  } else {
    out->set_ip(std::get<IpAddress>(endpoint).ToString());
  }
}

void ToProto(const Connection& connection, v1::Connection* out) {
  ToProto(connection.source, out->mutable_source());
  ToProto(connection.destination, out->mutable_destination());
  out->set_port(connection.port);
  out->set_protocol(ToProto(connection.protocol));
}

v1::Reason ToProto(Reason reason) {
  switch (reason) {
    case Reason::kLoopback:
      return v1::LOOPBACK;
    case Reason::kNotIsolated:
      return v1::NOT_ISOLATED;
    case Reason::kAllowedByPolicy:
      return v1::ALLOWED_BY_POLICY;
    case Reason::kDeniedEgress:
      return v1::DENIED_EGRESS;
    case Reason::kDeniedIngress:
      return v1::DENIED_INGRESS;
    case Reason::kInvalid:
      return v1::INVALID_CONNECTION;
  }
  return v1::INVALID_CONNECTION;
}

v1::Verdict ToProtoVerdict(bool allowed) {
  return allowed ? v1::ALLOW : v1::DENY;
}

v1::Protocol ToProto(Protocol protocol) {
  switch (protocol) {
    case Protocol::kTcp:
      return v1::TCP;
    case Protocol::kUdp:
      return v1::UDP;
    case Protocol::kSctp:
      return v1::SCTP;
  }
  return v1::TCP;
}

std::optional<Protocol> FromProto(int protocol) {
  switch (protocol) {
    case v1::PROTOCOL_UNSPECIFIED:
    case v1::TCP:
      return Protocol::kTcp;
    case v1::UDP:
      return Protocol::kUdp;
    case v1::SCTP:
      return Protocol::kSctp;
    default:
      return std::nullopt;
  }
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

}  // namespace netpol::server
