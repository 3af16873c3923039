#ifndef NETPOL_SERVER_IMPACT_CONVERT_H_
#define NETPOL_SERVER_IMPACT_CONVERT_H_

// core ImpactReport -> netpol.v1.AnalyzeImpactResponse. Its own small
// library (netpol::impact_convert: core + proto, no gRPC server), because
// netpolctl formats offline reports from the same message the server sends,
// so offline and remote output cannot drift apart.

#include <cstddef>

#include "core/impact.h"
#include "netpol/v1/decision.pb.h"

namespace netpol::server {

struct ImpactResponseLimits {
  size_t max_pods_per_group = 100;  // member names listed per group
};

// Fills groups, flips (with the report's samples: ImpactOptions::
// samples_per_flip), added/removed pods, totals and
// `truncated` (the report's, or set when a member list was cut). Leaves
// before_version / after_version to the caller.
void ImpactReportToProto(const ImpactReport& report,
                         const ImpactResponseLimits& limits,
                         v1::AnalyzeImpactResponse* out);

// Keeps `response` within `max_bytes` of wire size by leaving out flips
// from the end (and the groups only they named), setting `truncated`.
// Totals stay. Returns whether anything was left out.
bool TruncateToBytes(size_t max_bytes, v1::AnalyzeImpactResponse* response);

}  // namespace netpol::server

#endif  // NETPOL_SERVER_IMPACT_CONVERT_H_
