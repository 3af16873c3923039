#include "core/decision.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/string_view_compat.h"

namespace netpol {

std::optional<Endpoint> ParseEndpoint(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    std::string_view ns = text.substr(0, slash);
    std::string_view name = text.substr(slash + 1);
    if (ns.empty() || name.empty() || name.find('/') != std::string_view::npos)
      return std::nullopt;
    return PodRef{std::string(ns), std::string(name)};
  }
  std::optional<IpAddress> ip = IpAddress::Parse(text);
  if (!ip) return std::nullopt;
  return *ip;
}

std::string EndpointToString(const Endpoint& endpoint) {
  if (const auto* ip = std::get_if<IpAddress>(&endpoint)) return ip->ToString();
  return std::get<PodRef>(endpoint).ToString();
}

std::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kLoopback:
      return "LOOPBACK";
    case Reason::kNotIsolated:
      return "NOT_ISOLATED";
    case Reason::kAllowedByPolicy:
      return "ALLOWED_BY_POLICY";
    case Reason::kDeniedEgress:
      return "DENIED_EGRESS";
    case Reason::kDeniedIngress:
      return "DENIED_INGRESS";
    case Reason::kInvalid:
      return "INVALID_CONNECTION";
  }
  return "INVALID_CONNECTION";
}

namespace {

void AppendDirection(absl::string_view title, absl::string_view pod_role,
                     const DirectionExplanation& d, std::string* out) {
  absl::StrAppend(out, title, ": ");
  if (d.pod.empty()) {
    absl::StrAppend(out, pod_role, " is not a pod (external or hostNetwork); "
                                   "no policy applies: allowed\n");
    return;
  }
  if (!d.isolated) {
    absl::StrAppend(out, d.pod,
                    " is not isolated (no policy of this type selects it): "
                    "allowed\n");
    return;
  }
  absl::StrAppend(out, d.pod, " is isolated by ",
                  absl::StrJoin(d.selecting_policies, ", "), "\n");
  if (d.allowing_rules.empty()) {
    absl::StrAppend(out, "  no rule of those policies matches: denied\n");
    return;
  }
  for (const RuleRef& rule : d.allowing_rules) {
    absl::StrAppend(out, "  allowed by ", rule.policy, " rule ",
                    rule.rule_index, "\n");
  }
}

}  // namespace

std::string Explanation::ToText() const {
  std::string out = absl::StrCat(decision.allowed ? "ALLOW" : "DENY", " (",
                                 AsAbsl(ReasonName(decision.reason)), ") ", source,
                                 " -> ", destination, "\n");
  if (decision.reason == Reason::kLoopback) {
    absl::StrAppend(&out, "a pod may always talk to itself\n");
    return out;
  }
  AppendDirection("egress", "source", egress, &out);
  AppendDirection("ingress", "destination", ingress, &out);
  return out;
}

}  // namespace netpol
