#include "core/compiled_snapshot.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace netpol {

using internal::EndpointEntry;
using internal::kNoPod;
using internal::kNotIsolatedRow;

const EndpointEntry& internal::ExternalRanges::Find(const IpAddress& ip) const {
  // starts[0] is the family's lowest address, so the index is never -1.
  const size_t i = std::upper_bound(starts.begin(), starts.end(), ip) - starts.begin();
  return entries[i - 1];
}

const EndpointEntry& CompiledSnapshot::LookUp(const IpAddress& ip) const {
  if (ip.is_v4()) {
    if (auto it = v4_pods_.find(ip.v4()); it != v4_pods_.end()) return it->second;
    return external_[0].Find(ip);
  }
  if (auto it = v6_pods_.find({ip.hi, ip.lo}); it != v6_pods_.end()) return it->second;
  return external_[1].Find(ip);
}

Decision CompiledSnapshot::DecideEntries(const EndpointEntry& source,
                                         const EndpointEntry& destination, uint16_t port,
                                         Protocol protocol) const {
  if (source.pod == destination.pod && source.pod != kNoPod) {
    return {true, Reason::kLoopback};
  }
  bool by_policy = false;
  if (source.egress_row != kNotIsolatedRow) {
    const uint32_t ports = egress_.Cell(source.egress_row, destination.egress_col);
    if (!port_sets_[ports].Contains(port, protocol)) return {false, Reason::kDeniedEgress};
    by_policy = true;
  }
  if (destination.ingress_row != kNotIsolatedRow) {
    const uint32_t ports = ingress_.Cell(destination.ingress_row, source.ingress_col);
    if (!port_sets_[ports].Contains(port, protocol)) return {false, Reason::kDeniedIngress};
    by_policy = true;
  }
  return {true, by_policy ? Reason::kAllowedByPolicy : Reason::kNotIsolated};
}

Decision CompiledSnapshot::Decide(const IpAddress& source, const IpAddress& destination,
                                  uint16_t port, Protocol protocol) const {
  return DecideEntries(LookUp(source), LookUp(destination), port, protocol);
}

absl::StatusOr<CompiledSnapshot::Resolved> CompiledSnapshot::Resolve(
    const Endpoint& endpoint, const Endpoint& other) const {
  if (const auto* ip = std::get_if<IpAddress>(&endpoint)) {
    return Resolved{LookUp(*ip), *ip};
  }
  const PodRef& ref = std::get<PodRef>(endpoint);
  auto it = pods_by_name_.find(absl::StrCat(ref.namespace_name, "/", ref.name));
  if (it == pods_by_name_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown pod ", ref.ToString()));
  }
  const PodEntries& pod = it->second;
  int family = pod.primary;
  if (const auto* other_ip = std::get_if<IpAddress>(&other)) {
    const int wanted = other_ip->is_v4() ? 0 : 1;
    if (pod.ip[wanted]) family = wanted;
  }
  return Resolved{pod.by_family[family], pod.ip[family]};
}

namespace {

absl::Status CheckPort(uint32_t port) {
  if (port >= 1 && port <= 65535) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("port ", port, " is out of range: must be 1-65535"));
}

}  // namespace

absl::StatusOr<Decision> CompiledSnapshot::Decide(const Connection& connection) const {
  if (absl::Status status = CheckPort(connection.port); !status.ok()) return status;
  absl::StatusOr<Resolved> source = Resolve(connection.source, connection.destination);
  if (!source.ok()) return source.status();
  absl::StatusOr<Resolved> destination = Resolve(connection.destination, connection.source);
  if (!destination.ok()) return destination.status();
  return DecideEntries(source->entry, destination->entry,
                       static_cast<uint16_t>(connection.port), connection.protocol);
}

}  // namespace netpol
