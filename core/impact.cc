// The diff engine. Both snapshots already reduce every endpoint to table
// coordinates (rows and columns, see core/internal/snapshot_tables.h), so
// endpoints with the same coordinates in both snapshots ("classes") behave
// identically in every flow. The engine therefore compares class pairs, not
// pod pairs: per pair it computes the allowed port set in each snapshot,
// and only pairs whose sets differ are expanded into readable groups.
//
// Port sets are interned across both snapshots (global ids), so "same
// verdict on every port" is an integer comparison.

#include "core/impact.h"

#include <algorithm>
#include <array>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/internal/interner.h"
#include "core/internal/port_ranges.h"
#include "core/string_view_compat.h"

namespace netpol {

std::string_view FlowChangeName(FlowChange change) {
  return change == FlowChange::kNewlyDenied ? "newly-denied" : "newly-allowed";
}

std::string LabelsText(const Labels& labels, const Labels* after) {
  if (after == nullptr) {
    if (labels.empty()) return "<no labels>";
    return absl::StrJoin(labels, ",", absl::PairFormatter("="));
  }
  if (labels.empty() && after->empty()) return "<no labels>";
  std::vector<std::string> parts;
  auto old_it = labels.begin();
  auto new_it = after->begin();
  while (old_it != labels.end() || new_it != after->end()) {
    if (new_it == after->end() ||
        (old_it != labels.end() && old_it->first < new_it->first)) {
      parts.push_back(absl::StrCat("-", old_it->first, "=", old_it->second));
      ++old_it;
    } else if (old_it == labels.end() || new_it->first < old_it->first) {
      parts.push_back(absl::StrCat("+", new_it->first, "=", new_it->second));
      ++new_it;
    } else {
      parts.push_back(old_it->second == new_it->second
                          ? absl::StrCat(old_it->first, "=", old_it->second)
                          : absl::StrCat(old_it->first, "=", old_it->second,
                                         "->", new_it->second));
      ++old_it, ++new_it;
    }
  }
  return absl::StrJoin(parts, ",");
}

std::string FlowGroup::Name() const {
  if (external) {
    constexpr size_t kShown = 3;
    std::vector<std::string> shown;
    for (size_t i = 0; i < cidrs.size() && i < kShown; ++i) {
      shown.push_back(cidrs[i].ToString());
    }
    std::string name = absl::StrCat("external ", absl::StrJoin(shown, ", "));
    if (cidrs.size() > kShown)
      absl::StrAppend(&name, " +", cidrs.size() - kShown, " more");
    return name;
  }
  return absl::StrCat(
      namespace_name, " [",
      LabelsText(labels, labels_after ? &*labels_after : nullptr), "]");
}

namespace internal {

class SnapshotDiffer {
 public:
  SnapshotDiffer(const CompiledSnapshot& before, const CompiledSnapshot& after,
                 const ImpactOptions& options)
      : snap_{&before, &after}, options_(options) {}

  ImpactReport Run();

 private:
  static constexpr int kBefore = 0, kAfter = 1;
  using PodEntries = CompiledSnapshot::PodEntries;
  // Class keys: table coordinates, at most 14 values (PairPods).
  using Key = absl::InlinedVector<uint32_t, 14>;

  // A pod present in both snapshots.
  struct CommonPod {
    const Pod* pod[2];             // per snapshot
    const PodEntries* entries[2];  // per snapshot
    uint32_t workload = 0;         // namespace + labels in both snapshots
  };

  // Endpoints of one role (source or destination) split into classes that
  // behave alike; each class is further split into raw groups (a
  // workload's members of that class, or one external range set).
  struct Side {
    std::vector<uint32_t> representative;       // per class
    std::vector<std::vector<uint32_t>> groups;  // per class: raw group ids
  };

  // A flip whose endpoints are raw groups.
  struct RawFlip {
    uint32_t source;
    uint32_t destination;
    FlowChange change;
    Protocol protocol;
    uint32_t ports;  // global port-set id holding `protocol`'s ranges only
    uint64_t pairs;  // endpoint pairs, before multiplying by ports
  };

  void MatchPods();
  void InternPortSets();
  uint32_t InternPortSet(PortRanges set);
  uint32_t Effective(int snap, const EndpointEntry& source,
                     const EndpointEntry& destination);
  uint32_t IntersectIds(uint32_t a, uint32_t b);
  std::pair<uint32_t, uint32_t> DiffIds(uint32_t before, uint32_t after);
  // The id of `ports` restricted to one protocol.
  uint32_t ProtocolPorts(uint32_t ports, Protocol protocol);

  template <typename KeyFn>
  Side ClassifyPods(const std::vector<uint32_t>& pods, KeyFn key);
  // `verdict(snap, source representative, destination representative)`
  // is the allowed port set's global id.
  template <typename VerdictFn>
  void Pair(const Side& sources, const Side& destinations, VerdictFn verdict);
  void PairPods();
  void PairExternal(int family);

  uint32_t PodGroup(std::vector<uint32_t> members);
  uint32_t ExternalGroup(std::vector<Cidr> cidrs);
  uint64_t PairCount(uint32_t source_group, uint32_t destination_group) const;
  void MergeExternalFlips();
  bool GroupLess(uint32_t a, uint32_t b) const;
  // True when every address of `cidr` is a pod's: no external flow.
  bool OnlyPodIps(const Cidr& cidr) const;
  IpAddress FirstExternalAddress(const Cidr& cidr) const;
  std::vector<Connection> Samples(const ImpactReport& report,
                                  const Flip& flip) const;
  FlowGroup MakeGroup(uint32_t raw) const;
  ImpactReport Finish();

  const CompiledSnapshot* snap_[2];
  ImpactOptions options_;

  std::vector<CommonPod> pods_;  // sorted by namespace/name
  std::vector<PodRef> added_, removed_;
  // Addresses that are a pod's (not on the host network) in either
  // snapshot, sorted: never external.
  std::vector<IpAddress> pod_ips_;

  std::vector<PortRanges> port_sets_;  // by global id
  Interner<std::vector<uint32_t>> port_set_ids_;
  std::vector<uint32_t> global_id_[2];  // per snapshot: local id -> global
  uint32_t all_ports_ = 0;
  absl::flat_hash_map<uint64_t, uint32_t> intersections_;
  absl::flat_hash_map<uint64_t, std::pair<uint32_t, uint32_t>> diffs_;
  absl::flat_hash_map<uint64_t, uint32_t> protocol_ports_;

  // Raw groups: pod members (indices into pods_, sorted) or, when empty,
  // external CIDRs.
  std::vector<std::vector<uint32_t>> raw_members_;
  std::vector<std::vector<Cidr>> raw_cidrs_;
  absl::flat_hash_map<std::vector<uint32_t>, uint32_t> pod_group_ids_;
  absl::flat_hash_map<std::string, uint32_t>
      merged_external_ids_;  // by CIDR text
  std::vector<RawFlip> flips_;
};

namespace {

uint64_t PairKey(uint32_t a, uint32_t b) { return (uint64_t{a} << 32) | b; }

// Flattens a normalised port set so equal sets intern to one id.
std::vector<uint32_t> PortSetKey(const PortRanges& set) {
  std::vector<uint32_t> key;
  for (int proto = 0; proto < kProtocolCount; ++proto) {
    for (const PortRange& r : set[proto])
      key.push_back((uint32_t{r.first} << 16) | r.last);
    key.push_back(0);  // separator: no normalised range is 0..0
  }
  return key;
}

// The coordinates that matter for an endpoint in one role: a source reads
// its egress row and is an ingress column; a destination the reverse.
template <typename Key>
void AppendRoleKey(const EndpointEntry& e, bool as_source, Key& key) {
  if (as_source) {
    key.insert(key.end(), {e.egress_row_start, e.ingress_col});
  } else {
    key.insert(key.end(), {e.ingress_row_start, e.egress_col});
  }
}

IpAddress LastOfFamily(const IpAddress& ip) {
  return ip.is_v4() ? IpAddress::V4(0xFFFFFFFFu) : IpAddress::V6(~0ull, ~0ull);
}

IpAddress PreviousAddress(IpAddress ip) {
  if (ip.lo-- == 0) --ip.hi;
  return ip;
}

}  // namespace

uint32_t SnapshotDiffer::InternPortSet(PortRanges set) {
  const uint32_t id = port_set_ids_.Intern(PortSetKey(set));
  if (id == port_sets_.size()) port_sets_.push_back(std::move(set));
  return id;
}

void SnapshotDiffer::InternPortSets() {
  all_ports_ = InternPortSet(AllPorts());
  for (int s = 0; s < 2; ++s) {
    for (const PortSet& set : snap_[s]->port_sets_) {
      global_id_[s].push_back(InternPortSet(Normalize(set)));
    }
  }
}

uint32_t SnapshotDiffer::IntersectIds(uint32_t a, uint32_t b) {
  if (a == b || b == all_ports_) return a;
  if (a == all_ports_) return b;
  if (a > b) std::swap(a, b);
  if (auto it = intersections_.find(PairKey(a, b));
      it != intersections_.end()) {
    return it->second;
  }
  const uint32_t id = InternPortSet(Intersect(port_sets_[a], port_sets_[b]));
  intersections_[PairKey(a, b)] = id;
  return id;
}

// Allowed ports of source -> destination in one snapshot: the egress cell
// (every port when the source is not isolated for egress) intersected with
// the ingress cell likewise.
uint32_t SnapshotDiffer::Effective(int snap, const EndpointEntry& source,
                                   const EndpointEntry& destination) {
  const CompiledSnapshot& s = *snap_[snap];
  const std::vector<uint32_t>& ids = global_id_[snap];
  const uint32_t egress =
      source.egress_row_start == kNotIsolatedRow
          ? all_ports_
          : ids[s.egress_.At(source.egress_row_start, destination.egress_col)];
  const uint32_t ingress =
      destination.ingress_row_start == kNotIsolatedRow
          ? all_ports_
          : ids[s.ingress_.At(destination.ingress_row_start,
                              source.ingress_col)];
  return IntersectIds(egress, ingress);
}

// (newly denied, newly allowed) ports as global ids.
std::pair<uint32_t, uint32_t> SnapshotDiffer::DiffIds(uint32_t before,
                                                      uint32_t after) {
  if (auto it = diffs_.find(PairKey(before, after)); it != diffs_.end())
    return it->second;
  const std::pair<uint32_t, uint32_t> diff = {
      InternPortSet(Subtract(port_sets_[before], port_sets_[after])),
      InternPortSet(Subtract(port_sets_[after], port_sets_[before]))};
  diffs_[PairKey(before, after)] = diff;
  return diff;
}

uint32_t SnapshotDiffer::ProtocolPorts(uint32_t ports, Protocol protocol) {
  const uint64_t key = (uint64_t{ports} << 2) | static_cast<uint64_t>(protocol);
  if (auto it = protocol_ports_.find(key); it != protocol_ports_.end())
    return it->second;
  PortRanges only;
  only[static_cast<int>(protocol)] =
      port_sets_[ports][static_cast<int>(protocol)];
  const uint32_t id = InternPortSet(std::move(only));
  protocol_ports_[key] = id;
  return id;
}

void SnapshotDiffer::MatchPods() {
  using Name = std::pair<std::string_view, std::string_view>;
  const std::vector<Pod>& after_pods = snap_[kAfter]->cluster().pods;
  absl::flat_hash_map<Name, uint32_t> after_index;
  for (uint32_t i = 0; i < after_pods.size(); ++i) {
    after_index[{after_pods[i].namespace_name, after_pods[i].name}] = i;
  }
  std::vector<bool> matched(after_pods.size(), false);
  for (const Pod& pod : snap_[kBefore]->cluster().pods) {
    auto it = after_index.find(Name{pod.namespace_name, pod.name});
    if (it == after_index.end()) {
      removed_.push_back({pod.namespace_name, pod.name});
      continue;
    }
    matched[it->second] = true;
    CommonPod common{{&pod, &after_pods[it->second]}, {nullptr, nullptr}, 0};
    for (int s = 0; s < 2; ++s)
      common.entries[s] = snap_[s]->FindPod({pod.namespace_name, pod.name});
    pods_.push_back(common);
  }
  for (uint32_t i = 0; i < after_pods.size(); ++i) {
    if (!matched[i])
      added_.push_back({after_pods[i].namespace_name, after_pods[i].name});
  }
  auto by_name = [](const PodRef& a, const PodRef& b) {
    return std::tie(a.namespace_name, a.name) <
           std::tie(b.namespace_name, b.name);
  };
  std::sort(added_.begin(), added_.end(), by_name);
  std::sort(removed_.begin(), removed_.end(), by_name);
  std::sort(pods_.begin(), pods_.end(),
            [](const CommonPod& a, const CommonPod& b) {
              return std::tie(a.pod[0]->namespace_name, a.pod[0]->name) <
                     std::tie(b.pod[0]->namespace_name, b.pod[0]->name);
            });

  for (const CompiledSnapshot* snap : snap_) {
    for (const Pod& pod : snap->cluster().pods) {
      if (!pod.host_network)
        pod_ips_.insert(pod_ips_.end(), pod.ips.begin(), pod.ips.end());
    }
  }
  std::sort(pod_ips_.begin(), pod_ips_.end());
  pod_ips_.erase(std::unique(pod_ips_.begin(), pod_ips_.end()), pod_ips_.end());

  // Workloads: equal namespace and labels in both snapshots. Bucketed by
  // hash so no label map is copied.
  auto same_workload = [](const CommonPod& a, const CommonPod& b) {
    return a.pod[0]->namespace_name == b.pod[0]->namespace_name &&
           a.pod[0]->labels == b.pod[0]->labels &&
           a.pod[1]->labels == b.pod[1]->labels;
  };
  absl::flat_hash_map<size_t, std::vector<uint32_t>> buckets;  // hash -> pods_
  uint32_t workloads = 0;
  for (uint32_t i = 0; i < pods_.size(); ++i) {
    CommonPod& common = pods_[i];
    std::vector<uint32_t>& bucket =
        buckets[absl::HashOf(common.pod[0]->namespace_name,
                             common.pod[0]->labels, common.pod[1]->labels)];
    auto match = std::find_if(bucket.begin(), bucket.end(), [&](uint32_t j) {
      return same_workload(pods_[j], common);
    });
    if (match != bucket.end()) {
      common.workload = pods_[*match].workload;
    } else {
      common.workload = workloads++;
      bucket.push_back(i);
    }
  }
}

template <typename KeyFn>
SnapshotDiffer::Side SnapshotDiffer::ClassifyPods(
    const std::vector<uint32_t>& pods, KeyFn key) {
  Side side;
  Interner<Key> classes;
  absl::flat_hash_map<std::pair<uint32_t, uint32_t>, std::vector<uint32_t>>
      members;
  std::vector<std::pair<uint32_t, uint32_t>>
      order;  // (class, workload), first seen
  for (uint32_t p : pods) {
    const uint32_t c = classes.Intern(key(p));
    if (c == side.representative.size()) side.representative.push_back(p);
    auto [it, inserted] = members.try_emplace({c, pods_[p].workload});
    if (inserted) order.push_back(it->first);
    it->second.push_back(p);
  }
  side.groups.resize(side.representative.size());
  for (const auto& cw : order)
    side.groups[cw.first].push_back(PodGroup(std::move(members[cw])));
  return side;
}

template <typename VerdictFn>
void SnapshotDiffer::Pair(const Side& sources, const Side& destinations,
                          VerdictFn verdict) {
  for (uint32_t s = 0; s < sources.representative.size(); ++s) {
    for (uint32_t d = 0; d < destinations.representative.size(); ++d) {
      const uint32_t before = verdict(kBefore, sources.representative[s],
                                      destinations.representative[d]);
      const uint32_t after = verdict(kAfter, sources.representative[s],
                                     destinations.representative[d]);
      if (before == after) continue;
      const auto [denied, allowed] = DiffIds(before, after);
      const std::pair<uint32_t, FlowChange> changes[2] = {
          {denied, FlowChange::kNewlyDenied},
          {allowed, FlowChange::kNewlyAllowed}};
      for (uint32_t sg : sources.groups[s]) {
        for (uint32_t dg : destinations.groups[d]) {
          const uint64_t pairs = PairCount(sg, dg);
          if (pairs == 0) continue;  // one pod, paired only with itself
          for (const auto& [ports, change] : changes) {
            for (int proto = 0; proto < kProtocolCount; ++proto) {
              if (port_sets_[ports][proto].empty()) continue;
              const Protocol protocol = static_cast<Protocol>(proto);
              flips_.push_back({sg, dg, change, protocol,
                                ProtocolPorts(ports, protocol), pairs});
            }
          }
        }
      }
    }
  }
}

void SnapshotDiffer::PairPods() {
  // Which family two pods use depends on both (PodPairFamilies), so a
  // pod's class covers both families' coordinates and which addresses it
  // has; the family is resolved per class pair.
  std::vector<uint32_t> all(pods_.size());
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  auto key = [&](bool as_source) {
    return [this, as_source](uint32_t p) {
      Key key;
      for (int s = 0; s < 2; ++s) {
        const PodEntries& e = *pods_[p].entries[s];
        key.insert(key.end(), {static_cast<uint32_t>(e.primary),
                               e.ip[0].has_value(), e.ip[1].has_value()});
        for (const EndpointEntry& f : e.by_family)
          AppendRoleKey(f, as_source, key);
      }
      return key;
    };
  };
  const Side sources = ClassifyPods(all, key(true));
  const Side destinations = ClassifyPods(all, key(false));
  Pair(sources, destinations, [&](int snap, uint32_t src, uint32_t dst) {
    const PodEntries& a = *pods_[src].entries[snap];
    const PodEntries& b = *pods_[dst].entries[snap];
    const auto [fa, fb] = CompiledSnapshot::PodPairFamilies(a, b);
    return Effective(snap, a.by_family[fa], b.by_family[fb]);
  });
}

void SnapshotDiffer::PairExternal(int family) {
  // Pods with an address of this family in both snapshots.
  std::vector<uint32_t> pods;
  for (uint32_t i = 0; i < pods_.size(); ++i) {
    if (pods_[i].entries[0]->ip[family] && pods_[i].entries[1]->ip[family])
      pods.push_back(i);
  }
  if (pods.empty()) return;
  auto pod_key = [&](bool as_source) {
    return [this, as_source, family](uint32_t p) {
      Key key;
      for (int s = 0; s < 2; ++s)
        AppendRoleKey(pods_[p].entries[s]->by_family[family], as_source, key);
      return key;
    };
  };
  const Side pod_sources = ClassifyPods(pods, pod_key(true));
  const Side pod_destinations = ClassifyPods(pods, pod_key(false));

  // Sweep the union of both snapshots' interval starts: within each
  // resulting interval both snapshots' entries are constant. Intervals
  // with equal coordinates form one external class per role.
  const ExternalRanges* ranges[2] = {&snap_[0]->external_[family],
                                     &snap_[1]->external_[family]};
  std::vector<IpAddress> starts = ranges[0]->starts;
  starts.insert(starts.end(), ranges[1]->starts.begin(),
                ranges[1]->starts.end());
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());

  std::vector<std::array<EndpointEntry, 2>>
      entries;  // external class -> entries
  struct Role {
    Interner<Key> ids;
    Side side;
    std::vector<std::vector<std::pair<IpAddress, IpAddress>>>
        intervals;  // per class
  };
  Role roles[2];  // [0] as source, [1] as destination
  size_t at[2] = {0, 0};
  for (size_t i = 0; i < starts.size(); ++i) {
    std::array<EndpointEntry, 2> here;
    for (int s = 0; s < 2; ++s) {
      while (at[s] + 1 < ranges[s]->starts.size() &&
             ranges[s]->starts[at[s] + 1] <= starts[i]) {
        ++at[s];
      }
      here[s] = ranges[s]->entries[at[s]];
    }
    const IpAddress first = starts[i];
    const IpAddress last = i + 1 < starts.size()
                               ? PreviousAddress(starts[i + 1])
                               : LastOfFamily(first);
    for (int r = 0; r < 2; ++r) {
      Key key;
      for (const EndpointEntry& e : here) AppendRoleKey(e, r == 0, key);
      Role& role = roles[r];
      const uint32_t c = role.ids.Intern(key);
      if (c == role.side.representative.size()) {
        role.side.representative.push_back(
            static_cast<uint32_t>(entries.size()));
        entries.push_back(here);
        role.intervals.emplace_back();
      }
      auto& list = role.intervals[c];
      if (!list.empty() && NextAddress(list.back().second) == first) {
        list.back().second = last;
      } else {
        list.push_back({first, last});
      }
    }
  }
  for (Role& role : roles) {
    role.side.groups.resize(role.intervals.size());
    for (size_t c = 0; c < role.intervals.size(); ++c) {
      std::vector<Cidr> cidrs;
      for (const auto& [first, last] : role.intervals[c]) {
        for (const Cidr& cidr : RangeToCidrs(first, last)) {
          if (!OnlyPodIps(cidr)) cidrs.push_back(cidr);
        }
      }
      // A class of pod IPs only (an ipBlock except naming pods) has no
      // external flow; it gets no group, so no flip.
      if (!cidrs.empty())
        role.side.groups[c].push_back(ExternalGroup(std::move(cidrs)));
    }
  }

  Pair(pod_sources, roles[1].side,
       [&](int snap, uint32_t pod, uint32_t external) {
         return Effective(snap, pods_[pod].entries[snap]->by_family[family],
                          entries[external][snap]);
       });
  Pair(roles[0].side, pod_destinations,
       [&](int snap, uint32_t external, uint32_t pod) {
         return Effective(snap, entries[external][snap],
                          pods_[pod].entries[snap]->by_family[family]);
       });
}

uint32_t SnapshotDiffer::PodGroup(std::vector<uint32_t> members) {
  auto [it, inserted] = pod_group_ids_.try_emplace(
      members, static_cast<uint32_t>(raw_members_.size()));
  if (inserted) {
    raw_members_.push_back(std::move(members));
    raw_cidrs_.emplace_back();
  }
  return it->second;
}

uint32_t SnapshotDiffer::ExternalGroup(std::vector<Cidr> cidrs) {
  raw_members_.emplace_back();
  raw_cidrs_.push_back(std::move(cidrs));
  return static_cast<uint32_t>(raw_cidrs_.size() - 1);
}

// Endpoint pairs between two raw groups, a pod never paired with itself.
uint64_t SnapshotDiffer::PairCount(uint32_t source_group,
                                   uint32_t destination_group) const {
  const auto& src = raw_members_[source_group];
  const auto& dst = raw_members_[destination_group];
  const uint64_t sources =
      src.empty() ? raw_cidrs_[source_group].size() : src.size();
  const uint64_t destinations =
      dst.empty() ? raw_cidrs_[destination_group].size() : dst.size();
  uint64_t self = 0;
  for (size_t i = 0, j = 0; i < src.size() && j < dst.size();) {
    if (src[i] < dst[j]) {
      ++i;
    } else if (dst[j] < src[i]) {
      ++j;
    } else {
      ++self, ++i, ++j;
    }
  }
  return sources * destinations - self;
}

bool SnapshotDiffer::OnlyPodIps(const Cidr& cidr) const {
  const auto first =
      std::lower_bound(pod_ips_.begin(), pod_ips_.end(), cidr.First());
  const auto end = std::upper_bound(first, pod_ips_.end(), cidr.Last());
  if (first == end) return false;
  // Every address is a pod's when the pods in the block are as many as
  // its addresses (compared as count - 1 against its size - 1, which
  // cannot overflow).
  const int host_bits = cidr.base.bits() - cidr.prefix;
  if (host_bits >= 64) return false;  // more addresses than any pod list
  return static_cast<uint64_t>(end - first - 1) >=
         (uint64_t{1} << host_bits) - 1;
}

IpAddress SnapshotDiffer::FirstExternalAddress(const Cidr& cidr) const {
  IpAddress ip = cidr.First();
  for (auto it = std::lower_bound(pod_ips_.begin(), pod_ips_.end(), ip);
       it != pod_ips_.end() && *it == ip; ++it) {
    ip = NextAddress(ip);  // OnlyPodIps(cidr) is false: stays inside
  }
  return ip;
}

std::vector<Connection> SnapshotDiffer::Samples(const ImpactReport& report,
                                                const Flip& flip) const {
  auto endpoints = [&](const FlowGroup& group) {
    std::vector<Endpoint> out;
    for (const Cidr& cidr : group.cidrs)
      out.push_back(FirstExternalAddress(cidr));
    for (const std::string& pod : group.pods)
      out.push_back(PodRef{group.namespace_name, pod});
    return out;
  };
  std::vector<Connection> samples;
  const std::vector<Endpoint> sources =
      endpoints(report.groups[flip.source_group]);
  const std::vector<Endpoint> destinations =
      endpoints(report.groups[flip.destination_group]);
  for (const Endpoint& source : sources) {
    for (const Endpoint& destination : destinations) {
      if (source == destination) continue;
      for (const PortRange& range : flip.ports) {
        if (samples.size() >= options_.samples_per_flip) return samples;
        samples.push_back({source, destination, range.first, flip.protocol});
      }
    }
  }
  return samples;
}

// Pod groups by namespace, labels before and after, first member; then
// external groups by family and first CIDR.
bool SnapshotDiffer::GroupLess(uint32_t a, uint32_t b) const {
  const auto& ma = raw_members_[a];
  const auto& mb = raw_members_[b];
  if (ma.empty() != mb.empty()) return mb.empty();
  if (ma.empty()) {
    const Cidr& x = raw_cidrs_[a].front();
    const Cidr& y = raw_cidrs_[b].front();
    return std::tie(x.base, x.prefix) < std::tie(y.base, y.prefix);
  }
  const CommonPod& x = pods_[ma.front()];
  const CommonPod& y = pods_[mb.front()];
  return std::tie(x.pod[0]->namespace_name, x.pod[0]->labels, x.pod[1]->labels,
                  ma.front()) < std::tie(y.pod[0]->namespace_name,
                                         y.pod[0]->labels, y.pod[1]->labels,
                                         mb.front());
}

FlowGroup SnapshotDiffer::MakeGroup(uint32_t raw) const {
  FlowGroup group;
  if (raw_members_[raw].empty()) {
    group.external = true;
    group.cidrs = raw_cidrs_[raw];
    return group;
  }
  const CommonPod& first = pods_[raw_members_[raw].front()];
  group.namespace_name = first.pod[0]->namespace_name;
  group.labels = first.pod[0]->labels;
  if (first.pod[1]->labels != first.pod[0]->labels)
    group.labels_after = first.pod[1]->labels;
  for (uint32_t p : raw_members_[raw])
    group.pods.push_back(pods_[p].pod[0]->name);
  return group;
}

// Flips that differ only in their external group (same pod group, role,
// change, protocol, ports and family) become one flip to the union of the
// ranges. External classes split the address space wherever any ipBlock of
// either snapshot has an edge; a reader wants "0.0.0.0/0 except
// 10.0.0.0/8" once, not once per edge some other pod cares about.
void SnapshotDiffer::MergeExternalFlips() {
  using MergeKey =
      std::tuple<uint32_t, bool, FlowChange, Protocol, uint32_t, IpFamily>;
  absl::flat_hash_map<MergeKey, size_t> kept;  // -> index into flips_
  std::vector<std::vector<uint32_t>> parts(flips_.size());  // external groups
  std::vector<bool> dropped(flips_.size(), false);
  for (size_t i = 0; i < flips_.size(); ++i) {
    const RawFlip& f = flips_[i];
    const bool source_external = raw_members_[f.source].empty();
    const uint32_t external = source_external ? f.source : f.destination;
    if (!source_external && !raw_members_[f.destination].empty()) continue;
    const MergeKey key{source_external ? f.destination : f.source,
                       source_external,
                       f.change,
                       f.protocol,
                       f.ports,
                       raw_cidrs_[external].front().base.family};
    auto [it, inserted] = kept.try_emplace(key, i);
    parts[it->second].push_back(external);
    dropped[i] = !inserted;
  }
  for (size_t i = 0; i < flips_.size(); ++i) {
    if (parts[i].size() < 2) continue;
    // Classes partition the space, so the union is a concatenation; sort
    // and join touching ranges.
    std::vector<std::pair<IpAddress, IpAddress>> ranges;
    for (uint32_t g : parts[i]) {
      for (const Cidr& cidr : raw_cidrs_[g])
        ranges.push_back({cidr.First(), cidr.Last()});
    }
    std::sort(ranges.begin(), ranges.end());
    std::vector<Cidr> cidrs;
    std::string text;
    for (size_t r = 0; r < ranges.size();) {
      IpAddress last = ranges[r].second;
      size_t next = r + 1;
      while (next < ranges.size() && NextAddress(last) == ranges[next].first) {
        last = ranges[next++].second;
      }
      // Blocks of a union of aligned blocks are unions of those blocks, so
      // none is made only of pod IPs; checked anyway, it is cheap.
      for (const Cidr& cidr : RangeToCidrs(ranges[r].first, last)) {
        if (OnlyPodIps(cidr)) continue;
        absl::StrAppend(&text, cidr.ToString(), " ");
        cidrs.push_back(cidr);
      }
      r = next;
    }
    auto [it, inserted] = merged_external_ids_.try_emplace(
        text, static_cast<uint32_t>(raw_members_.size()));
    if (inserted) ExternalGroup(std::move(cidrs));
    RawFlip& f = flips_[i];
    (raw_members_[f.source].empty() ? f.source : f.destination) = it->second;
    f.pairs = PairCount(f.source, f.destination);
  }
  size_t out = 0;
  for (size_t i = 0; i < flips_.size(); ++i) {
    if (!dropped[i]) flips_[out++] = flips_[i];
  }
  flips_.resize(out);
}

ImpactReport SnapshotDiffer::Finish() {
  MergeExternalFlips();
  ImpactReport report;
  report.pods_added = std::move(added_);
  report.pods_removed = std::move(removed_);

  // Totals over every flip, before truncation.
  std::vector<bool> affected(pods_.size(), false);
  std::vector<bool> seen_group(raw_members_.size(), false);
  for (const RawFlip& flip : flips_) {
    const uint64_t flows =
        flip.pairs *
        CountPorts(port_sets_[flip.ports][static_cast<int>(flip.protocol)]);
    (flip.change == FlowChange::kNewlyDenied
         ? report.totals.newly_denied_flows
         : report.totals.newly_allowed_flows) += flows;
    for (uint32_t g : {flip.source, flip.destination}) {
      if (seen_group[g]) continue;
      seen_group[g] = true;
      for (uint32_t p : raw_members_[g]) affected[p] = true;
    }
  }
  report.totals.pods_affected =
      std::count(affected.begin(), affected.end(), true);
  report.totals.flips = flips_.size();

  // Rank groups, order flips by rank, keep the first max_flips, then number
  // the groups those flips use.
  std::vector<uint32_t> order;
  for (uint32_t g = 0; g < seen_group.size(); ++g) {
    if (seen_group[g]) order.push_back(g);
  }
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return GroupLess(a, b); });
  std::vector<uint32_t> rank(raw_members_.size(), 0);
  for (uint32_t i = 0; i < order.size(); ++i) rank[order[i]] = i;
  auto flip_key = [&](const RawFlip& f) {
    return std::make_tuple(
        f.change, rank[f.source], rank[f.destination], f.protocol,
        port_sets_[f.ports][static_cast<int>(f.protocol)].front().first);
  };
  std::sort(flips_.begin(), flips_.end(),
            [&](const RawFlip& a, const RawFlip& b) {
              return flip_key(a) < flip_key(b);
            });
  if (flips_.size() > options_.max_flips) {
    flips_.resize(options_.max_flips);
    report.truncated = true;
  }

  constexpr uint32_t kUnused = UINT32_MAX;
  std::vector<uint32_t> index(order.size(), kUnused);  // by rank
  for (const RawFlip& f : flips_) {
    index[rank[f.source]] = index[rank[f.destination]] = 0;
  }
  for (uint32_t r = 0; r < order.size(); ++r) {
    if (index[r] == kUnused) continue;
    index[r] = static_cast<uint32_t>(report.groups.size());
    report.groups.push_back(MakeGroup(order[r]));
  }
  report.flips.reserve(flips_.size());
  for (const RawFlip& f : flips_) {
    const auto& ports = port_sets_[f.ports][static_cast<int>(f.protocol)];
    report.flips.push_back({index[rank[f.source]],
                            index[rank[f.destination]],
                            f.change,
                            f.protocol,
                            ports,
                            f.pairs * CountPorts(ports),
                            {}});
  }
  if (options_.samples_per_flip > 0) {
    for (Flip& flip : report.flips) flip.samples = Samples(report, flip);
  }
  return report;
}

ImpactReport SnapshotDiffer::Run() {
  MatchPods();
  InternPortSets();
  PairPods();
  PairExternal(0);
  PairExternal(1);
  return Finish();
}

}  // namespace internal

ImpactReport DiffSnapshots(const CompiledSnapshot& before,
                           const CompiledSnapshot& after,
                           const ImpactOptions& options) {
  return internal::SnapshotDiffer(before, after, options).Run();
}

}  // namespace netpol
