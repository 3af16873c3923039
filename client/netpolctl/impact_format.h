#ifndef NETPOL_CLIENT_NETPOLCTL_IMPACT_FORMAT_H_
#define NETPOL_CLIENT_NETPOLCTL_IMPACT_FORMAT_H_

// Renderings of an impact report (`netpolctl impact` and `diff`). They read
// the AnalyzeImpactResponse the server sends, which offline runs build too
// (server/impact_convert.h), so offline and remote output are the same.

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "netpol/v1/decision.pb.h"
#include "nlohmann/json.hpp"

namespace netpol::netpolctl {

enum class ImpactFormat { kText, kJson, kCsv, kMarkdown };

// "text", "json", "csv", "md".
std::optional<ImpactFormat> ParseImpactFormat(absl::string_view text);

// The whole rendering, ending in a newline. Versions are left out: the
// output depends only on the two states compared.
//   text  a summary line, then "Newly denied" and "Newly allowed" sections,
//         one line per flip:
//           prod [role=db] (1 pod: db-0) -> external 192.168.5.10/32
//             TCP 3306  (1 flow)
//         (on one line; "[app=a -> app=b]" for relabelled pods), at most 5
//         member names and 4 CIDRs per group, the samples below each flip;
//         then pods added and removed, and a note when truncated
//   json  one object, see ImpactToJson
//   csv   a header, then one row per flip (flips only); labels_after
//         columns are set for relabelled groups
//   md    the summary, a Markdown table of flips, pods added and removed
std::string FormatImpact(const v1::AnalyzeImpactResponse& response,
                         ImpactFormat format);

// {"totals":{"pods_affected":N,"newly_denied_flows":N,
//   "newly_allowed_flows":N,"flips":N},"truncated":B,
//  "flips":[{"change":"newly-denied","source":GROUP,"destination":GROUP,
//            "protocol":"TCP","ports":[{"first":N,"last":N}],"flows":N,
//            "samples":[{"src":..,"dst":..,"port":N,"protocol":..}]}],
//  "pods_added":["ns/name"],"pods_removed":["ns/name"]}
// where GROUP is {"namespace":..,"labels":{..},"pod_count":N,"pods":[..]}
// (with "labels_after":{..} after "labels" when the change relabels the
// group's pods) or {"external":true,"cidrs":[..]}. Samples are eval query
// lines.
nlohmann::ordered_json ImpactToJson(const v1::AnalyzeImpactResponse& response);

}  // namespace netpol::netpolctl

#endif  // NETPOL_CLIENT_NETPOLCTL_IMPACT_FORMAT_H_
