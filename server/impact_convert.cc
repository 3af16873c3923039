#include "server/impact_convert.h"

#include <algorithm>
#include <string>
#include <vector>

#include "server/proto_convert.h"

namespace netpol::server {
namespace {

// Returns whether the member list was cut.
bool GroupToProto(const FlowGroup& group, size_t max_pods, v1::FlowGroup* out) {
  out->set_external(group.external);
  if (group.external) {
    for (const Cidr& cidr : group.cidrs) out->add_cidrs(cidr.ToString());
    return false;
  }
  out->set_namespace_(group.namespace_name);
  for (const auto& [key, value] : group.labels) {
    (*out->mutable_labels())[key] = value;
  }
  if (group.labels_after.has_value()) {
    out->set_relabeled(true);
    for (const auto& [key, value] : *group.labels_after) {
      (*out->mutable_labels_after())[key] = value;
    }
  }
  const size_t listed = std::min(group.pods.size(), max_pods);
  for (size_t i = 0; i < listed; ++i) out->add_pods(group.pods[i]);
  out->set_pod_count(static_cast<uint32_t>(group.pods.size()));
  return listed < group.pods.size();
}

v1::FlowChange ChangeToProto(FlowChange change) {
  switch (change) {
    case FlowChange::kNewlyDenied:
      return v1::NEWLY_DENIED;
    case FlowChange::kNewlyAllowed:
      return v1::NEWLY_ALLOWED;
  }
  return v1::FLOW_CHANGE_UNSPECIFIED;
}

void FlipToProto(const Flip& flip, v1::Flip* out) {
  out->set_source_group(flip.source_group);
  out->set_destination_group(flip.destination_group);
  out->set_change(ChangeToProto(flip.change));
  out->set_protocol(ToProto(flip.protocol));
  for (const PortRange& range : flip.ports) {
    v1::PortRange* ports = out->add_ports();
    ports->set_first(range.first);
    ports->set_last(range.last);
  }
  out->set_flows(flip.flows);
  for (const Connection& sample : flip.samples) {
    ToProto(sample, out->add_samples());
  }
}

}  // namespace

void ImpactReportToProto(const ImpactReport& report,
                         const ImpactResponseLimits& limits,
                         v1::AnalyzeImpactResponse* out) {
  bool members_cut = false;
  out->mutable_groups()->Reserve(static_cast<int>(report.groups.size()));
  for (const FlowGroup& group : report.groups) {
    members_cut |=
        GroupToProto(group, limits.max_pods_per_group, out->add_groups());
  }
  out->mutable_flips()->Reserve(static_cast<int>(report.flips.size()));
  for (const Flip& flip : report.flips) {
    FlipToProto(flip, out->add_flips());
  }
  for (const PodRef& pod : report.pods_added) {
    ToProto(pod, out->add_pods_added());
  }
  for (const PodRef& pod : report.pods_removed) {
    ToProto(pod, out->add_pods_removed());
  }
  v1::ImpactTotals* totals = out->mutable_totals();
  totals->set_pods_affected(report.totals.pods_affected);
  totals->set_newly_denied_flows(report.totals.newly_denied_flows);
  totals->set_newly_allowed_flows(report.totals.newly_allowed_flows);
  totals->set_flips(report.totals.flips);
  out->set_truncated(report.truncated || members_cut);
}

bool TruncateToBytes(size_t max_bytes, v1::AnalyzeImpactResponse* response) {
  if (response->ByteSizeLong() <= max_bytes) return false;
  // A repeated element costs its size plus a tag byte and a length varint.
  constexpr size_t kElementOverhead = 6;
  v1::AnalyzeImpactResponse rest = *response;
  rest.clear_flips();
  rest.clear_groups();
  rest.set_truncated(true);
  size_t used = rest.ByteSizeLong();

  constexpr int kUnlisted = -1;
  std::vector<int> index(response->groups_size(), kUnlisted);
  google::protobuf::RepeatedPtrField<v1::FlowGroup> groups;
  google::protobuf::RepeatedPtrField<v1::Flip> flips;
  for (v1::Flip& flip : *response->mutable_flips()) {
    const uint32_t ends[2] = {flip.source_group(), flip.destination_group()};
    size_t cost = flip.ByteSizeLong() + kElementOverhead;
    for (int e = 0; e < 2; ++e) {
      if (index[ends[e]] == kUnlisted && (e == 0 || ends[1] != ends[0])) {
        cost += response->groups(static_cast<int>(ends[e])).ByteSizeLong() +
                kElementOverhead;
      }
    }
    if (used + cost > max_bytes) break;
    used += cost;
    for (uint32_t end : ends) {
      if (index[end] != kUnlisted) continue;
      index[end] = groups.size();
      groups.Add()->Swap(response->mutable_groups(static_cast<int>(end)));
    }
    flip.set_source_group(static_cast<uint32_t>(index[ends[0]]));
    flip.set_destination_group(static_cast<uint32_t>(index[ends[1]]));
    flips.Add()->Swap(&flip);
  }
  response->mutable_groups()->Swap(&groups);
  response->mutable_flips()->Swap(&flips);
  response->set_truncated(true);
  return true;
}

}  // namespace netpol::server
