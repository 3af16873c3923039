#include "client/netpolctl/remote_decision_source.h"

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client/netpolctl/remote_flags.h"
#include "server/proto_convert.h"

namespace netpol::netpolctl {
namespace {

// nullopt for INVALID_CONNECTION and values this client does not know.
std::optional<Reason> FromProto(v1::Reason reason) {
  switch (reason) {
    case v1::LOOPBACK:
      return Reason::kLoopback;
    case v1::NOT_ISOLATED:
      return Reason::kNotIsolated;
    case v1::ALLOWED_BY_POLICY:
      return Reason::kAllowedByPolicy;
    case v1::DENIED_EGRESS:
      return Reason::kDeniedEgress;
    case v1::DENIED_INGRESS:
      return Reason::kDeniedIngress;
    default:
      return std::nullopt;
  }
}

DirectionExplanation FromProto(const v1::DirectionExplanation& in) {
  DirectionExplanation out;
  out.pod = in.pod();
  out.isolated = in.isolated();
  out.selecting_policies.assign(in.selecting_policies().begin(),
                                in.selecting_policies().end());
  for (const v1::RuleRef& rule : in.allowing_rules()) {
    out.allowing_rules.push_back({rule.policy(), rule.rule_index()});
  }
  out.allowed = in.allowed();
  return out;
}

// The proto's text is not used: core renders it from the fields, exactly
// as the offline mode does.
void FromProto(const v1::Explanation& in, Explanation* out) {
  out->source = in.source();
  out->destination = in.destination();
  out->egress = FromProto(in.egress());
  out->ingress = FromProto(in.ingress());
}

void FromProto(const v1::Decision& in, bool explain, Answer* out) {
  out->explanation = Explanation();
  std::optional<Reason> reason = FromProto(in.reason());
  if (!reason.has_value()) {
    out->status = absl::InvalidArgumentError(
        in.error().empty() ? "the server could not evaluate this connection"
                           : in.error());
    return;
  }
  out->status = absl::OkStatus();
  out->explanation.decision = {in.verdict() == v1::ALLOW, *reason};
  if (explain) FromProto(in.explanation(), &out->explanation);
}

}  // namespace

RemoteDecisionSource::RemoteDecisionSource(std::string address,
                                           absl::Duration timeout)
    : address_(std::move(address)),
      timeout_(timeout),
      stub_(v1::PolicyDecisionPoint::NewStub(MakeChannel(address_))) {}

absl::Status RemoteDecisionSource::Decide(
    absl::Span<const Connection> connections, bool explain,
    std::vector<Answer>* answers) {
  v1::CheckConnectionRequest request;
  request.set_explain(explain);
  for (const Connection& connection : connections) {
    server::ToProto(connection, request.add_connections());
  }
  v1::CheckConnectionResponse response;
  std::unique_ptr<grpc::ClientContext> context = MakeContext(timeout_);
  grpc::Status status =
      stub_->CheckConnection(context.get(), request, &response);
  if (!status.ok()) {
    return absl::UnavailableError(RpcErrorMessage(address_, status));
  }
  if (static_cast<size_t>(response.decisions_size()) != connections.size()) {
    return absl::DataLossError(absl::StrCat(
        "netpol-pdp at ", address_, " answered ", response.decisions_size(),
        " of ", connections.size(), " connections"));
  }
  answers->resize(connections.size());
  for (size_t i = 0; i < connections.size(); ++i) {
    FromProto(response.decisions(static_cast<int>(i)), explain, &(*answers)[i]);
  }
  return absl::OkStatus();
}

}  // namespace netpol::netpolctl
