#include "core/compiled_snapshot.h"

#include <algorithm>
#include <array>
#include <bit>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/string_view_compat.h"

namespace netpol {

using internal::EndpointEntry;
using internal::kNoPod;
using internal::kNotIsolatedRow;

const EndpointEntry& internal::ExternalRanges::Find(const IpAddress& ip) const {
  // starts[0] is the family's lowest address, so the index is never -1.
  const size_t i = std::upper_bound(starts.begin(), starts.end(), ip) - starts.begin();
  return entries[i - 1];
}

void internal::PortMatcher::Build(const std::vector<PortSet>& sets) {
  std::array<std::vector<uint32_t>, kProtocolCount> edges;  // class starts
  size_t most_classes = 1;
  for (int proto = 0; proto < kProtocolCount; ++proto) {
    std::vector<uint32_t>& starts = edges[proto];
    starts = {0};
    for (const PortSet& set : sets) {
      for (const PortRange& range : set.ranges[proto]) {
        starts.push_back(range.first);
        starts.push_back(uint32_t{range.last} + 1);
      }
    }
    std::sort(starts.begin(), starts.end());
    starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
    if (starts.back() == 65536) starts.pop_back();
    most_classes = std::max(most_classes, starts.size());
    classes_[proto].assign(65536, 0);
    for (size_t c = 0; c < starts.size(); ++c) {
      const uint32_t end = c + 1 < starts.size() ? starts[c + 1] : 65536;
      for (uint32_t port = starts[c]; port < end; ++port) {
        classes_[proto][port] = static_cast<uint16_t>(c);
      }
    }
  }
  words_ = (most_classes + 63) / 64;
  bits_.assign(sets.size() * kProtocolCount * words_, 0);
  for (size_t s = 0; s < sets.size(); ++s) {
    for (int proto = 0; proto < kProtocolCount; ++proto) {
      const std::vector<uint32_t>& starts = edges[proto];
      for (size_t c = 0; c < starts.size(); ++c) {
        // Classes never straddle a range edge: testing the first port of
        // a class answers for the whole class.
        if (sets[s].Contains(static_cast<uint16_t>(starts[c]), static_cast<Protocol>(proto))) {
          bits_[(s * kProtocolCount + proto) * words_ + c / 64] |= uint64_t{1} << (c % 64);
        }
      }
    }
  }
}

size_t internal::PortMatcher::memory_bytes() const {
  size_t bytes = bits_.capacity() * sizeof(uint64_t);
  for (const auto& table : classes_) bytes += table.capacity() * sizeof(uint16_t);
  return bytes;
}

void internal::V4PodIndex::Build(std::vector<std::pair<uint32_t, EndpointEntry>> pods) {
  size_t size = 2;
  while (size < 2 * pods.size()) size *= 2;
  slots_.assign(size, 0);
  mask_ = size - 1;
  shift_ = 64 - std::countr_zero(size);
  entries_.clear();
  for (const auto& [ip, entry] : pods) {
    entries_.push_back(entry);
    size_t slot = (uint64_t{ip} * 0x9E3779B97F4A7C15ull) >> shift_;
    while (slots_[slot] != 0) slot = (slot + 1) & mask_;
    slots_[slot] = (uint64_t{ip} << 32) | entries_.size();
  }
}

const EndpointEntry& CompiledSnapshot::LookUp(const IpAddress& ip) const {
  if (ip.is_v4()) {
    if (const EndpointEntry* pod = v4_pods_.Find(ip.v4())) return *pod;
    return external_[0].Find(ip);
  }
  if (auto it = v6_pods_.find({ip.hi, ip.lo}); it != v6_pods_.end()) return it->second;
  return external_[1].Find(ip);
}

namespace {

// Every decision outcome, indexed by five facts (see DecideEntries), so the
// hot path ends in one table load instead of data-dependent branches.
constexpr int kLoopbackBit = 16, kEgressIsolatedBit = 8, kEgressAllowedBit = 4,
              kIngressIsolatedBit = 2, kIngressAllowedBit = 1;

constexpr std::array<Decision, 32> MakeDecisionTable() {
  std::array<Decision, 32> table{};
  for (int i = 0; i < 32; ++i) {
    const bool egress_isolated = i & kEgressIsolatedBit;
    const bool ingress_isolated = i & kIngressIsolatedBit;
    if (i & kLoopbackBit) {
      table[i] = {true, Reason::kLoopback};
    } else if (egress_isolated && !(i & kEgressAllowedBit)) {
      table[i] = {false, Reason::kDeniedEgress};
    } else if (ingress_isolated && !(i & kIngressAllowedBit)) {
      table[i] = {false, Reason::kDeniedIngress};
    } else if (egress_isolated || ingress_isolated) {
      table[i] = {true, Reason::kAllowedByPolicy};
    } else {
      table[i] = {true, Reason::kNotIsolated};
    }
  }
  return table;
}

constexpr std::array<Decision, 32> kDecisionTable = MakeDecisionTable();

}  // namespace

// Reads both cells unconditionally (row 0 exists and allows nothing): with
// a realistic mix of isolated and open pods, branching on isolation
// mispredicts often enough to cost more than the extra load.
Decision CompiledSnapshot::DecideEntries(const EndpointEntry& source,
                                         const EndpointEntry& destination, uint16_t port,
                                         Protocol protocol) const {
  const bool loopback = (source.pod == destination.pod) & (source.pod != kNoPod);
  const bool egress_isolated = source.egress_row != kNotIsolatedRow;
  const bool ingress_isolated = destination.ingress_row != kNotIsolatedRow;
  const bool egress_allowed = port_matcher_.Allows(
      egress_.At(source.egress_row, destination.egress_col), protocol, port);
  const bool ingress_allowed = port_matcher_.Allows(
      ingress_.At(destination.ingress_row, source.ingress_col), protocol, port);
  return kDecisionTable[(loopback ? kLoopbackBit : 0) |
                        (egress_isolated ? kEgressIsolatedBit : 0) |
                        (egress_allowed ? kEgressAllowedBit : 0) |
                        (ingress_isolated ? kIngressIsolatedBit : 0) |
                        (ingress_allowed ? kIngressAllowedBit : 0)];
}

Decision CompiledSnapshot::Decide(const IpAddress& source, const IpAddress& destination,
                                  uint16_t port, Protocol protocol) const {
  return DecideEntries(LookUp(source), LookUp(destination), port, protocol);
}

const CompiledSnapshot::PodEntries* CompiledSnapshot::FindPod(const PodRef& ref) const {
  auto ns = pods_by_name_.find(AsAbsl(ref.namespace_name));
  if (ns == pods_by_name_.end()) return nullptr;
  auto it = ns->second.find(AsAbsl(ref.name));
  return it == ns->second.end() ? nullptr : &it->second;
}

std::pair<int, int> CompiledSnapshot::PodPairFamilies(const PodEntries& source,
                                                     const PodEntries& destination) {
  const int source_primary = source.primary, destination_primary = destination.primary;
  if (source.ip[source_primary] && destination.ip[source_primary]) {
    return {source_primary, source_primary};
  }
  if (source.ip[destination_primary] && destination.ip[destination_primary]) {
    return {destination_primary, destination_primary};
  }
  return {source_primary, destination_primary};
}

absl::StatusOr<CompiledSnapshot::ResolvedPair> CompiledSnapshot::Resolve(
    const Connection& connection) const {
  const PodEntries* pods[2] = {nullptr, nullptr};
  const Endpoint* ends[2] = {&connection.source, &connection.destination};
  for (int i = 0; i < 2; ++i) {
    if (const auto* ref = std::get_if<PodRef>(ends[i])) {
      pods[i] = FindPod(*ref);
      if (pods[i] == nullptr) {
        return absl::NotFoundError(absl::StrCat("unknown pod ", ref->ToString()));
      }
    }
  }
  // The family the connection uses, as far as named pods allow: the other
  // side's when it is an IP; between two pods, the source's primary if the
  // destination has it, else the destination's primary if the source has
  // it. Without a common family each pod keeps its primary.
  int family[2] = {pods[0] ? pods[0]->primary : 0, pods[1] ? pods[1]->primary : 0};
  for (int i = 0; i < 2; ++i) {
    const PodEntries* pod = pods[i];
    if (pod == nullptr) continue;
    if (const auto* other_ip = std::get_if<IpAddress>(ends[1 - i])) {
      const int wanted = other_ip->is_v4() ? 0 : 1;
      if (pod->ip[wanted]) family[i] = wanted;
    }
  }
  if (pods[0] && pods[1]) {
    const std::pair<int, int> families = PodPairFamilies(*pods[0], *pods[1]);
    family[0] = families.first;
    family[1] = families.second;
  }
  ResolvedPair resolved;
  Resolved* out[2] = {&resolved.source, &resolved.destination};
  for (int i = 0; i < 2; ++i) {
    if (pods[i] != nullptr) {
      *out[i] = Resolved{pods[i]->by_family[family[i]], pods[i]->ip[family[i]]};
    } else {
      const IpAddress& ip = std::get<IpAddress>(*ends[i]);
      *out[i] = Resolved{LookUp(ip), ip};
    }
  }
  return resolved;
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
  absl::StatusOr<ResolvedPair> resolved = Resolve(connection);
  if (!resolved.ok()) return resolved.status();
  return DecideEntries(resolved->source.entry, resolved->destination.entry,
                       static_cast<uint16_t>(connection.port), connection.protocol);
}

}  // namespace netpol
