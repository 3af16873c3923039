#include "core/compiled_snapshot.h"

#include <algorithm>
#include <array>
#include <bit>
#include <optional>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/byte_order.h"
#include "core/internal/decision_kernel.h"
#include "core/string_view_compat.h"

namespace netpol {

using internal::EndpointEntry;
using internal::kNoPod;

const EndpointEntry& internal::ExternalRanges::Find(const IpAddress& ip) const {
  // starts[0] is the family's lowest address, so the index is never -1.
  const size_t i =
      std::upper_bound(starts.begin(), starts.end(), ip) - starts.begin();
  return entries[i - 1];
}

void internal::PortMatcher::Build(const std::vector<PortSet>& sets) {
  std::array<std::vector<uint32_t>, kProtocolCount> edges;  // class starts
  size_t most_classes = 1;
  classes_.assign(4 << 16, 0);
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
    const size_t row = CodePort(0, static_cast<Protocol>(proto));
    for (size_t c = 0; c < starts.size(); ++c) {
      const uint32_t end = c + 1 < starts.size() ? starts[c + 1] : 65536;
      std::fill(classes_.begin() + row + starts[c],
                classes_.begin() + row + end, static_cast<uint16_t>(c));
    }
  }
  // Code 0 (protocol unspecified) is TCP.
  std::copy_n(classes_.begin() + CodePort(0, Protocol::kTcp), 1 << 16,
              classes_.begin());
  words_ = (most_classes + 31) / 32;
  not_isolated_set_ = static_cast<uint32_t>(sets.size());
  // Every set's isolated bits are set, those of not_isolated_set_ clear.
  bits_.assign(sets.size() * 4 * words_, 0xaaaaaaaaaaaaaaaaull);
  bits_.resize((sets.size() + 1) * 4 * words_, 0);
  for (size_t s = 0; s < sets.size(); ++s) {
    for (int proto = 0; proto < kProtocolCount; ++proto) {
      const std::vector<uint32_t>& starts = edges[proto];
      const size_t code = CodePort(0, static_cast<Protocol>(proto)) >> 16;
      for (size_t c = 0; c < starts.size(); ++c) {
        // Classes never straddle a range edge: testing the first port of
        // a class answers for the whole class.
        if (!sets[s].Contains(static_cast<uint16_t>(starts[c]),
                              static_cast<Protocol>(proto))) {
          continue;
        }
        const uint64_t bit = uint64_t{kAllowedBit} << (2 * (c % 32));
        bits_[((s << 2) | code) * words_ + c / 32] |= bit;
        if (proto == static_cast<int>(Protocol::kTcp)) {
          bits_[(s << 2) * words_ + c / 32] |= bit;  // code 0
        }
      }
    }
  }
}

size_t internal::PortMatcher::memory_bytes() const {
  return bits_.capacity() * sizeof(uint64_t) +
         classes_.capacity() * sizeof(uint16_t);
}

void internal::V4PodIndex::Build(
    const std::vector<std::pair<uint32_t, EndpointEntry>>& pods) {
  size_t size = 2;
  while (size < 2 * pods.size()) size *= 2;
  slots_.assign(size, Slot{});
  slot_pods_.assign(size, kNoPod);
  coordinates_.clear();
  mask_ = size - 1;
  shift_ = 64 - std::countr_zero(size);
  absl::flat_hash_map<TableCoordinates, uint32_t> ids;
  for (const auto& [ip, entry] : pods) {
    const TableCoordinates& coordinates = entry;
    auto [it, inserted] = ids.try_emplace(coordinates, coordinates_.size());
    if (inserted) coordinates_.push_back(coordinates);
    size_t i = (uint64_t{ip} * 0x9E3779B97F4A7C15ull) >> shift_;
    while (slots_[i].coordinates != kEmpty) i = (i + 1) & mask_;
    slots_[i] = {ip, it->second};
    slot_pods_[i] = entry.pod;
  }
  coordinates_.shrink_to_fit();
}

std::optional<EndpointEntry> internal::V4PodIndex::FindEntry(
    uint32_t ip) const {
  const Slot* slot = view().FindSlot(ip);
  if (slot == nullptr) return std::nullopt;
  EndpointEntry entry;
  static_cast<TableCoordinates&>(entry) = coordinates_[slot->coordinates];
  entry.pod = slot_pods_[slot - slots_.data()];
  return entry;
}

internal::DecisionKernel CompiledSnapshot::Kernel() const {
  return {v4_map_.empty() ? internal::V4AddressMap::View{} : v4_map_.view(),
          v4_pods_.view(),
          {v4_external_starts_.data(), v4_external_starts_.size(),
           v4_external_coordinates_.data()},
          egress_.view(),
          ingress_.view(),
          port_matcher_.view()};
}

EndpointEntry CompiledSnapshot::LookUp(const IpAddress& ip) const {
  if (ip.is_v4()) {
    if (std::optional<EndpointEntry> pod = v4_pods_.FindEntry(ip.v4())) {
      return *pod;
    }
    EndpointEntry external;
    static_cast<internal::TableCoordinates&>(external) =
        Kernel().v4_external.Find(ip.v4());
    return external;
  }
  if (auto it = v6_pods_.find({ip.hi, ip.lo}); it != v6_pods_.end()) {
    return it->second;
  }
  return external_[1].Find(ip);
}

namespace {

// The cells of one IPv4 connection. A pod has one IPv4 address (the
// compiler checks), so such a connection is loopback exactly when both
// addresses are one pod's. Always inlined: the batch loop must keep the
// kernel in registers.
//
// With a V4AddressMap, from the addresses in its wire order (see
// V4AddressMap::View), as compact blocks carry them.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline internal::DecisionKernel::CellIndices
LocateMappedV4(const internal::DecisionKernel& kernel, uint32_t source_wire,
               uint32_t destination_wire) {
  const internal::V4AddressMap::View& map = kernel.v4_map;
  const uint32_t source = map.ClassOfWire(source_wire);
  const uint32_t destination = map.ClassOfWire(destination_wire);
  // A branch, not arithmetic: equal addresses are rare and predicted so.
  bool loopback = false;
  if (ABSL_PREDICT_FALSE(source_wire == destination_wire)) {
    loopback = map.IsPod(source);
  }
  return kernel.Locate(loopback, map.classes[source], map.classes[destination]);
}

// From addresses in host order. kMapped: the snapshot has a V4AddressMap.
template <bool kMapped>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline internal::DecisionKernel::CellIndices
LocateV4(const internal::DecisionKernel& kernel, uint32_t source_ip,
         uint32_t destination_ip) {
  if constexpr (kMapped) {
    return LocateMappedV4(kernel,
                          internal::V4AddressMap::View::ToWire(source_ip),
                          internal::V4AddressMap::View::ToWire(destination_ip));
  } else {
    const internal::TableCoordinates* source = kernel.v4_pods.Find(source_ip);
    const bool loopback = (source != nullptr) & (source_ip == destination_ip);
    if (source == nullptr) source = &kernel.v4_external.Find(source_ip);
    return kernel.Locate(loopback, *source, kernel.LookUpV4(destination_ip));
  }
}

// Calls `f.operator()<kOneWord, kMapped, Cell>()` with the values that fit
// `kernel`, so that each loop is compiled for one shape of tables.
template <typename F>
decltype(auto) WithKernelShape(const internal::DecisionKernel& kernel, F&& f) {
  const auto with_cell = [&]<bool kOneWord, bool kMapped>() -> decltype(auto) {
    return kernel.ingress.narrow != nullptr
               ? f.template operator()<kOneWord, kMapped, uint8_t>()
               : f.template
                 operator()<kOneWord, kMapped, internal::PortSetId>();
  };
  const bool mapped = kernel.v4_map.top != nullptr;
  if (kernel.ports.words == 1) {
    return mapped ? with_cell.template operator()<true, true>()
                  : with_cell.template operator()<true, false>();
  }
  return mapped ? with_cell.template operator()<false, true>()
                : with_cell.template operator()<false, false>();
}

// The batch loop on raw pointers: the kernel lives in registers and the
// results' stores cannot alias it. Runs in stages: locating the cells of
// kStage connections, which prefetches the ingress cells (the largest
// table, read at random), and then deciding them, so that the cache misses
// of a stage overlap instead of each stalling its own connection.
template <bool kOneWord, bool kMapped, typename Cell>
void DecideV4Loop(const internal::DecisionKernel kernel,
                  const V4Connection* connections, size_t n,
                  Decision* decisions) {
  constexpr size_t kStage = 64;
  std::array<internal::DecisionKernel::CellIndices, kStage> cells;
  const Cell* ingress_cells = kernel.ingress.cells<Cell>();
  for (size_t start = 0; start < n; start += kStage) {
    const size_t m = std::min(kStage, n - start);
    for (size_t j = 0; j < m; ++j) {
      const V4Connection& c = connections[start + j];
      cells[j] = LocateV4<kMapped>(kernel, c.source, c.destination);
      __builtin_prefetch(&ingress_cells[cells[j].ingress]);
    }
    for (size_t j = 0; j < m; ++j) {
      const V4Connection& c = connections[start + j];
      decisions[start + j] =
          kernel.Finish<kOneWord, Cell>(cells[j], c.port, c.protocol);
    }
  }
}

// DecideV4Loop for the compact layout, fused with the verdict bytes and
// the counts so that each connection is read and written once. Invalid
// connections are decided like any other (code_port masked into range)
// and then given kInvalidOutcome. With a V4AddressMap, addresses are read
// in its wire order (no byte swap). The stage keeps a mask of its loopback
// connections, and its decisions look at the mask only when a bit is set.
template <bool kOneWord, bool kMapped, typename Cell>
void DecideCompactV4Loop(const internal::DecisionKernel kernel,
                         const CompactV4Connections& block, char allow_byte,
                         char deny_byte, char* verdicts, ReasonCounts* counts) {
  constexpr uint32_t kInvalidOutcome = 32;
  // Per outcome: its verdict byte, and one in its reason's byte of a
  // packed counter.
  std::array<char, kInvalidOutcome + 1> verdict_of;
  std::array<uint64_t, kInvalidOutcome + 1> count_of;
  for (uint32_t i = 0; i <= kInvalidOutcome; ++i) {
    const Decision d = i == kInvalidOutcome ? Decision{false, Reason::kInvalid}
                                            : internal::kDecisionTable[i];
    verdict_of[i] = d.allowed ? allow_byte : deny_byte;
    count_of[i] = uint64_t{1} << (8 * static_cast<int>(d.reason));
  }

  constexpr size_t kStage = 64;  // the loopback mask's bits; fits the
                                 // packed counters' 8-bit lanes
  // Cell indices of the stage, in two arrays: adjacent pairs tempt the
  // compiler into vector shuffles that cost more than the two adds.
  std::array<uint32_t, kStage> egress_at, ingress_at;
  const Cell* ingress_cells = kernel.ingress.cells<Cell>();
  const size_t n = block.count;
  for (size_t start = 0; start < n; start += kStage) {
    const size_t m = std::min(kStage, n - start);
    const char* sources = block.sources + 4 * start;
    const char* destinations = block.destinations + 4 * start;
    uint64_t loopback = 0;  // bit j: connection j is loopback
    for (size_t j = 0; j < m; ++j) {
      internal::DecisionKernel::CellIndices cells;
      if constexpr (kMapped) {
        cells = LocateMappedV4(kernel, LoadLittleEndian32(sources + 4 * j),
                               LoadLittleEndian32(destinations + 4 * j));
      } else {
        cells = LocateV4<false>(kernel, LoadBigEndian32(sources + 4 * j),
                                LoadBigEndian32(destinations + 4 * j));
      }
      egress_at[j] = cells.egress;
      ingress_at[j] = cells.ingress;
      loopback |= uint64_t{cells.facts != 0} << j;
      __builtin_prefetch(&ingress_cells[ingress_at[j]]);
    }
    const uint32_t* port_protocols = block.port_protocols + start;
    char* out = verdicts + start;
    // One byte per reason, two counters to halve the dependency chain.
    uint64_t packed[2] = {0, 0};
    const auto decide = [&](size_t j, uint32_t facts) {
      const uint32_t port_protocol = port_protocols[j];
      const bool valid = ValidCompactPortProtocol(port_protocol);
      const uint32_t outcome =
          facts | kernel.Outcome<kOneWord, Cell>(egress_at[j], ingress_at[j],
                                                 port_protocol & 0x3ffff);
      const uint32_t effect = valid ? outcome : kInvalidOutcome;
      out[j] = verdict_of[effect];
      return count_of[effect];
    };
    if (ABSL_PREDICT_TRUE(loopback == 0)) {
      size_t j = 0;
      for (; j + 1 < m; j += 2) {
        packed[0] += decide(j, 0);
        packed[1] += decide(j + 1, 0);
      }
      if (j < m) packed[0] += decide(j, 0);
    } else {
      for (size_t j = 0; j < m; ++j) {
        packed[j & 1] += decide(j, static_cast<uint32_t>((loopback >> j) & 1) *
                                       internal::kLoopbackBit);
      }
    }
    for (size_t r = 0; r < kReasonCount; ++r) {
      (*counts)[r] +=
          ((packed[0] >> (8 * r)) & 0xff) + ((packed[1] >> (8 * r)) & 0xff);
    }
  }
}

}  // namespace

Decision CompiledSnapshot::DecideEntries(const EndpointEntry& source,
                                         const EndpointEntry& destination,
                                         uint16_t port,
                                         Protocol protocol) const {
  const bool loopback =
      (source.pod == destination.pod) & (source.pod != kNoPod);
  const internal::DecisionKernel kernel = Kernel();
  return WithKernelShape(kernel,
                         [&]<bool kOneWord, bool kMapped, typename Cell>() {
                           return kernel.Decide<kOneWord, Cell>(
                               loopback, source, destination, port, protocol);
                         });
}

Decision CompiledSnapshot::Decide(const IpAddress& source,
                                  const IpAddress& destination, uint16_t port,
                                  Protocol protocol) const {
  if (source.is_v4() && destination.is_v4()) {
    const internal::DecisionKernel kernel = Kernel();
    const V4Connection c{source.v4(), destination.v4(), port, protocol};
    return WithKernelShape(
        kernel, [&]<bool kOneWord, bool kMapped, typename Cell>() {
          return kernel.Finish<kOneWord, Cell>(
              LocateV4<kMapped>(kernel, c.source, c.destination), c.port,
              c.protocol);
        });
  }
  return DecideEntries(LookUp(source), LookUp(destination), port, protocol);
}

void CompiledSnapshot::DecideV4(absl::Span<const V4Connection> connections,
                                absl::Span<Decision> decisions) const {
  const internal::DecisionKernel kernel = Kernel();
  const size_t n = std::min(connections.size(), decisions.size());
  WithKernelShape(kernel, [&]<bool kOneWord, bool kMapped, typename Cell>() {
    DecideV4Loop<kOneWord, kMapped, Cell>(kernel, connections.data(), n,
                                          decisions.data());
  });
}

void CompiledSnapshot::DecideCompactV4(const CompactV4Connections& block,
                                       char allow_byte, char deny_byte,
                                       char* verdicts,
                                       ReasonCounts* counts) const {
  const internal::DecisionKernel kernel = Kernel();
  WithKernelShape(kernel, [&]<bool kOneWord, bool kMapped, typename Cell>() {
    DecideCompactV4Loop<kOneWord, kMapped, Cell>(kernel, block, allow_byte,
                                                 deny_byte, verdicts, counts);
  });
}

const CompiledSnapshot::PodEntries* CompiledSnapshot::FindPod(
    const PodRef& ref) const {
  auto ns = pods_by_name_.find(AsAbsl(ref.namespace_name));
  if (ns == pods_by_name_.end()) return nullptr;
  auto it = ns->second.find(AsAbsl(ref.name));
  return it == ns->second.end() ? nullptr : &it->second;
}

std::pair<int, int> CompiledSnapshot::PodPairFamilies(
    const PodEntries& source, const PodEntries& destination) {
  const int source_primary = source.primary,
            destination_primary = destination.primary;
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
        return absl::NotFoundError(
            absl::StrCat("unknown pod ", ref->ToString()));
      }
    }
  }
  // The family the connection uses, as far as named pods allow: the other
  // side's when it is an IP; between two pods, the source's primary if the
  // destination has it, else the destination's primary if the source has
  // it. Without a common family each pod keeps its primary.
  int family[2] = {pods[0] ? pods[0]->primary : 0,
                   pods[1] ? pods[1]->primary : 0};
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

absl::StatusOr<Decision> CompiledSnapshot::Decide(
    const Connection& connection) const {
  if (absl::Status status = CheckPort(connection.port); !status.ok())
    return status;
  absl::StatusOr<ResolvedPair> resolved = Resolve(connection);
  if (!resolved.ok()) return resolved.status();
  return DecideEntries(resolved->source.entry, resolved->destination.entry,
                       static_cast<uint16_t>(connection.port),
                       connection.protocol);
}

}  // namespace netpol
