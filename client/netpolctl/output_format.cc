#include "client/netpolctl/output_format.h"

#include "absl/strings/str_cat.h"
#include "core/string_view_compat.h"
#include "core/protocol.h"

namespace netpol::netpolctl {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json DirectionToJson(const DirectionExplanation& direction) {
  ordered_json rules = ordered_json::array();
  for (const RuleRef& rule : direction.allowing_rules) {
    rules.push_back({{"policy", rule.policy}, {"rule", rule.rule_index}});
  }
  ordered_json json;
  json["pod"] = direction.pod;
  json["isolated"] = direction.isolated;
  json["selecting_policies"] = direction.selecting_policies;
  json["allowing_rules"] = std::move(rules);
  json["allowed"] = direction.allowed;
  return json;
}

}  // namespace

ordered_json DecisionToJson(const Decision& decision) {
  ordered_json json;
  json["allowed"] = decision.allowed;
  json["reason"] = std::string(ReasonName(decision.reason));
  return json;
}

ordered_json ExplanationToJson(const Explanation& explanation) {
  ordered_json json;
  json["source"] = explanation.source;
  json["destination"] = explanation.destination;
  json["egress"] = DirectionToJson(explanation.egress);
  json["ingress"] = DirectionToJson(explanation.ingress);
  json["text"] = explanation.ToText();
  return json;
}

ordered_json ExplainedDecisionToJson(const Explanation& explanation) {
  ordered_json json = DecisionToJson(explanation.decision);
  json["explanation"] = ExplanationToJson(explanation);
  return json;
}

std::string DumpJson(const ordered_json& json) {
  return json.dump(-1, ' ', /*ensure_ascii=*/false,
                   ordered_json::error_handler_t::replace);
}

std::string ErrorLineJson(int64_t line_number, absl::string_view message) {
  ordered_json json;
  json["error"] = absl::StrCat("line ", line_number, ": ", message);
  return DumpJson(json);
}

const std::string& DecisionJsonCache::Get(const Decision& decision) {
  std::string& line =
      lines_[decision.allowed ? 1 : 0][static_cast<int>(decision.reason)];
  if (line.empty()) line = DumpJson(DecisionToJson(decision));
  return line;
}

std::string VerdictLine(const Connection& connection,
                        const Decision& decision) {
  return absl::StrCat(decision.allowed ? "ALLOW " : "DENY ",
                      EndpointToString(connection.source), " -> ",
                      EndpointToString(connection.destination), " ",
                      AsAbsl(ProtocolName(connection.protocol)), "/",
                      connection.port, " (",
                      AsAbsl(ReasonName(decision.reason)), ")");
}

}  // namespace netpol::netpolctl
