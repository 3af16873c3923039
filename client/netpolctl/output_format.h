#ifndef NETPOL_CLIENT_NETPOLCTL_OUTPUT_FORMAT_H_
#define NETPOL_CLIENT_NETPOLCTL_OUTPUT_FORMAT_H_

// How netpolctl prints decisions and explanations. Depends only on the
// result types, not on where a decision was made, so a remote (RPC) mode can
// print exactly what the offline one does.

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "core/decision.h"
#include "nlohmann/json.hpp"

namespace netpol::netpolctl {

// {"allowed":true,"reason":"ALLOWED_BY_POLICY"}
nlohmann::ordered_json DecisionToJson(const Decision& decision);

// {"source":..,"destination":..,"egress":{..},"ingress":{..},"text":..},
// each direction being {"pod":..,"isolated":..,"selecting_policies":[..],
// "allowing_rules":[{"policy":"ns/name","rule":N}],"allowed":..}.
nlohmann::ordered_json ExplanationToJson(const Explanation& explanation);

// An eval output line with --explain: DecisionToJson plus "explanation".
nlohmann::ordered_json ExplainedDecisionToJson(const Explanation& explanation);

// Compact JSON text. Never throws: invalid UTF-8 (which may come from
// manifests or echoed input) is replaced, not rejected.
std::string DumpJson(const nlohmann::ordered_json& json);

// {"error":"line N: <message>"}
std::string ErrorLineJson(int64_t line_number, absl::string_view message);

// Decision lines of eval, rendered once per distinct decision: eval prints
// millions of them and there are only a dozen different ones.
class DecisionJsonCache {
 public:
  const std::string& Get(const Decision& decision);

 private:
  // kInvalid is the last Reason.
  static constexpr int kReasons = static_cast<int>(Reason::kInvalid) + 1;
  std::string lines_[2][kReasons];  // [allowed][reason]; empty until used
};

// "ALLOW x/a -> y/b TCP/80 (ALLOWED_BY_POLICY)" or "DENY ...".
std::string VerdictLine(const Connection& connection, const Decision& decision);

}  // namespace netpol::netpolctl

#endif  // NETPOL_CLIENT_NETPOLCTL_OUTPUT_FORMAT_H_
