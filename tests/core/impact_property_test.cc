// Property test: on many seeded random clusters (random_cluster.h) and
// random proposed changes, DiffSnapshots must agree exactly with brute
// force, CompiledSnapshot::Decide in both snapshots:
//  - on every ordered pair of distinct pods present in both snapshots,
//    by reference;
//  - between every pod and external addresses of its families, by IP;
// for every protocol, on ports and addresses that reach every interval in
// which a verdict is constant: the edges (±1) of every port, range,
// container port and ipBlock cidr/except of either cluster and of the
// report's own ranges and CIDRs, plus a few random ones.
// Every differing tuple must be covered by exactly one flip of the right
// change and no flip may cover an unchanged tuple. Also checked: added and
// removed pods, totals, flow counts, order, determinism, truncation and
// the samples of each flip.
//
// Reproduce one seed: NETPOL_PROPERTY_SEED=<n> ./core_impact_property_test
// (a failure prints the cluster and the change as YAML, for netpolctl
// impact). More or fewer seeds: NETPOL_PROPERTY_SEEDS=<count per shard>.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/compiled_snapshot.h"
#include "core/decision.h"
#include "core/impact.h"
#include "core/model.h"
#include "core/proposed_change.h"
#include "core/snapshot_store.h"
#include "gtest/gtest.h"
#include "tests/core/random_cluster.h"

namespace netpol {
namespace {

using random_cluster::GenCluster;
using random_cluster::GenerateChange;
using random_cluster::kProtocols;
using random_cluster::LabelsFlow;
using random_cluster::RandomChange;
using random_cluster::Rng;
using random_cluster::Sizes;

std::string PodKey(const std::string& ns, const std::string& name) {
  return absl::StrCat(ns, "/", name);
}

std::string DecisionText(const Decision& d) {
  return absl::StrCat(d.allowed ? "allowed" : "denied", "/",
                      std::string(ReasonName(d.reason)));
}

std::string ConnectionText(const Connection& c) {
  return absl::StrCat(EndpointToString(c.source), " -> ",
                      EndpointToString(c.destination), " ", c.port, "/",
                      std::string(ProtocolName(c.protocol)));
}

// ---------------------------------------------------------------------------
// Report text, for determinism checks and messages.

std::string RangesText(const std::vector<PortRange>& ranges) {
  std::vector<std::string> parts;
  for (const PortRange& r : ranges) {
    parts.push_back(r.first == r.last ? absl::StrCat(r.first)
                                      : absl::StrCat(r.first, "-", r.last));
  }
  return absl::StrJoin(parts, ",");
}

std::string GroupText(const FlowGroup& g) {
  std::vector<std::string> cidrs;
  for (const Cidr& c : g.cidrs) cidrs.push_back(c.ToString());
  return absl::StrCat(g.Name(), " pods=[", absl::StrJoin(g.pods, ","),
                      "] cidrs=[", absl::StrJoin(cidrs, ","), "]");
}

std::string FlipText(const ImpactReport& report, const Flip& f) {
  return absl::StrCat(std::string(FlowChangeName(f.change)), " ",
                      GroupText(report.groups[f.source_group]), " -> ",
                      GroupText(report.groups[f.destination_group]), " ",
                      std::string(ProtocolName(f.protocol)), " ",
                      RangesText(f.ports), " flows=", f.flows);
}

std::string PodRefsText(const std::vector<PodRef>& pods) {
  std::vector<std::string> parts;
  for (const PodRef& p : pods) parts.push_back(p.ToString());
  return absl::StrJoin(parts, ",");
}

std::string ReportText(const ImpactReport& r) {
  std::string out = absl::StrCat(
      "added=[", PodRefsText(r.pods_added), "] removed=[",
      PodRefsText(r.pods_removed), "] pods_affected=", r.totals.pods_affected,
      " denied=", r.totals.newly_denied_flows,
      " allowed=", r.totals.newly_allowed_flows, " flips=", r.totals.flips,
      " truncated=", r.truncated, "\n");
  for (const FlowGroup& g : r.groups) absl::StrAppend(&out, GroupText(g), "\n");
  for (const Flip& f : r.flips) {
    absl::StrAppend(&out, f.source_group, "->", f.destination_group, " ",
                    FlipText(r, f), "\n");
  }
  return out;
}

// ---------------------------------------------------------------------------
// Brute force.

bool InRanges(const std::vector<PortRange>& ranges, uint32_t port) {
  for (const PortRange& r : ranges) {
    if (port >= r.first && port <= r.last) return true;
  }
  return false;
}

bool InCidrs(const std::vector<Cidr>& cidrs, const IpAddress& ip) {
  for (const Cidr& c : cidrs) {
    if (c.Contains(ip)) return true;
  }
  return false;
}

// Ports reaching every interval in which verdicts are constant: each
// interval starts at 1, at a range's first port, or just after a range's
// last port, of a policy, a container port (named ports resolve to them)
// or a flip.
std::vector<uint32_t> SamplePorts(const Cluster& before, const Cluster& after,
                                  const ImpactReport& report, Rng& rng) {
  std::set<uint32_t> ports = {1, 65535};
  auto add = [&](uint32_t first, uint32_t last) {
    for (uint32_t p : {first - 1, first, last, last + 1}) {
      if (p >= 1 && p <= 65535) ports.insert(p);
    }
  };
  for (const Cluster* c : {&before, &after}) {
    for (const NetworkPolicy& p : c->policies) {
      for (const auto* rules : {&p.ingress, &p.egress}) {
        for (const PolicyRule& r : *rules) {
          for (const PolicyPort& port : r.ports) {
            if (port.port) add(*port.port, port.end_port.value_or(*port.port));
          }
        }
      }
    }
    for (const Pod& pod : c->pods) {
      for (const ContainerPort& cp : pod.ports) add(cp.port, cp.port);
    }
  }
  for (const Flip& f : report.flips) {
    for (const PortRange& r : f.ports) add(r.first, r.last);
  }
  for (int i = 0; i < 3; ++i)
    ports.insert(static_cast<uint32_t>(rng.Int(1, 65535)));
  return std::vector<uint32_t>(ports.begin(), ports.end());
}

// Addresses of pods in either cluster, except hostNetwork pods': theirs are
// their node's, external to policies (Decide by IP treats them so).
std::set<IpAddress> PodNetworkIps(const Cluster& before, const Cluster& after) {
  std::set<IpAddress> ips;
  for (const Cluster* c : {&before, &after}) {
    for (const Pod& pod : c->pods) {
      if (!pod.host_network) ips.insert(pod.ips.begin(), pod.ips.end());
    }
  }
  return ips;
}

// External addresses (not in PodNetworkIps) reaching every interval of external
// addresses in which verdicts are constant: the ends of each family, the edges
// of every ipBlock cidr and except and of the report's CIDRs, the
// neighbours of pod addresses, hostNetwork pods' addresses; plus the
// generator's externals and a few random addresses.
std::vector<IpAddress> SampleExternals(const Cluster& before,
                                       const Cluster& after,
                                       const ImpactReport& report,
                                       const GenCluster& gen, Rng& rng) {
  const std::set<IpAddress> pod_ips = PodNetworkIps(before, after);
  std::set<IpAddress> out(gen.externals.begin(), gen.externals.end());
  for (const char* text : {"0.0.0.0/0", "::/0"}) {
    const Cidr all = *Cidr::Parse(text);
    out.insert(all.First());
    out.insert(all.Last());
  }
  for (const Cluster* c : {&before, &after}) {
    for (const IpAddress& ip : random_cluster::IpBlockEdges(*c)) out.insert(ip);
  }
  for (const FlowGroup& g : report.groups) {
    for (const Cidr& c : g.cidrs) {
      out.insert({random_cluster::PreviousAddress(c.First()), c.First(),
                  c.Last(), NextAddress(c.Last())});
    }
  }
  for (const IpAddress& ip : pod_ips) {
    out.insert({random_cluster::PreviousAddress(ip), NextAddress(ip)});
  }
  for (const Cluster* c : {&before, &after}) {
    for (const Pod& pod : c->pods) {
      if (pod.host_network) out.insert(pod.ips.begin(), pod.ips.end());
    }
  }
  for (int i = 0; i < 2; ++i) {
    const auto r = static_cast<uint64_t>(rng.gen()());
    out.insert(IpAddress::V4(static_cast<uint32_t>(r)));
    out.insert(IpAddress::V4((10u << 24) | static_cast<uint32_t>(r >> 40)));
    out.insert(IpAddress::V6(r, static_cast<uint64_t>(rng.gen()())));
    out.insert(IpAddress::V6(0xfd00000000000000ull, r & 0x3ffff));
  }
  std::vector<IpAddress> list;
  for (const IpAddress& ip : out) {
    if (!pod_ips.count(ip)) list.push_back(ip);
  }
  return list;
}

// A pod present in both clusters.
struct CommonPod {
  PodRef ref;
  const Pod* before = nullptr;
  const Pod* after = nullptr;
  std::optional<IpAddress> ip[2];  // [0] IPv4, [1] IPv6; same in both
};

// Which flips cover which (source, destination, protocol), built from the
// report once so every tuple is checked with one look-up.
class ReportIndex {
 public:
  ReportIndex(const ImpactReport& report, const std::vector<CommonPod>& pods,
              std::vector<std::string>& errors)
      : pods_(pods.size()),
        pairs_(pods_ * pods_ * kProtocolCount),
        external_(pods_ * 2 * kProtocolCount) {
    absl::flat_hash_map<std::string, size_t> by_key;
    for (size_t i = 0; i < pods.size(); ++i) {
      by_key[pods[i].ref.ToString()] = i;
    }
    members_.resize(report.groups.size());
    for (size_t g = 0; g < report.groups.size(); ++g) {
      const FlowGroup& group = report.groups[g];
      for (const std::string& name : group.pods) {
        auto it = by_key.find(PodKey(group.namespace_name, name));
        if (it == by_key.end()) {
          errors.push_back(absl::StrCat("group ", GroupText(group), " names ",
                                        name, ", not a pod present in both"));
          continue;
        }
        const CommonPod& pod = pods[it->second];
        if (pod.before->labels != group.labels ||
            pod.after->labels != group.labels_after.value_or(group.labels) ||
            (group.labels_after && *group.labels_after == group.labels)) {
          errors.push_back(absl::StrCat("group ", GroupText(group), ": member ",
                                        name, " has labels ",
                                        LabelsFlow(pod.before->labels), " -> ",
                                        LabelsFlow(pod.after->labels)));
        }
        members_[g].push_back(it->second);
      }
    }
    for (uint32_t f = 0; f < report.flips.size(); ++f) {
      const Flip& flip = report.flips[f];
      const FlowGroup& src = report.groups[flip.source_group];
      const FlowGroup& dst = report.groups[flip.destination_group];
      const int proto = static_cast<int>(flip.protocol);
      if (!src.external && !dst.external) {
        for (size_t s : members_[flip.source_group]) {
          for (size_t d : members_[flip.destination_group]) {
            if (s != d) pairs_[PairSlot(s, d, proto)].push_back(f);
          }
        }
      } else if (src.external != dst.external) {
        const bool egress = dst.external;  // pod -> external
        const uint32_t pod_group =
            egress ? flip.source_group : flip.destination_group;
        for (size_t p : members_[pod_group]) {
          external_[ExternalSlot(p, egress, proto)].push_back(f);
        }
      }
    }
  }

  const std::vector<uint32_t>& PairFlips(size_t src, size_t dst,
                                         Protocol p) const {
    return pairs_[PairSlot(src, dst, static_cast<int>(p))];
  }
  const std::vector<uint32_t>& ExternalFlips(size_t pod, bool egress,
                                             Protocol p) const {
    return external_[ExternalSlot(pod, egress, static_cast<int>(p))];
  }
  const std::vector<size_t>& Members(uint32_t group) const {
    return members_[group];
  }

 private:
  size_t PairSlot(size_t s, size_t d, int proto) const {
    return (s * pods_ + d) * kProtocolCount + proto;
  }
  size_t ExternalSlot(size_t p, bool egress, int proto) const {
    return (p * 2 + (egress ? 1 : 0)) * kProtocolCount + proto;
  }

  size_t pods_;
  std::vector<std::vector<size_t>> members_;  // per group, into pods
  std::vector<std::vector<uint32_t>> pairs_;
  std::vector<std::vector<uint32_t>> external_;
};

// Mismatches of one seed: counted, the first few kept.
struct Errors {
  int count = 0;
  std::vector<std::string> messages;
  void Add(std::string message) {
    if (++count <= 8) messages.push_back(std::move(message));
  }
};

// The report's own invariants; false when indices are out of range (the
// rest of the checks would not be meaningful).
bool CheckStructure(const ImpactReport& report, Errors& errors) {
  const size_t groups = report.groups.size();
  std::vector<bool> referenced(groups, false);
  for (size_t i = 0; i < report.flips.size(); ++i) {
    const Flip& f = report.flips[i];
    if (f.source_group >= groups || f.destination_group >= groups) {
      errors.Add(absl::StrCat("flip ", i, " refers to a missing group"));
      return false;
    }
    referenced[f.source_group] = referenced[f.destination_group] = true;
    const std::string text = FlipText(report, f);
    if (report.groups[f.source_group].external &&
        report.groups[f.destination_group].external) {
      errors.Add(absl::StrCat("flip between two external groups: ", text));
    }
    bool ports_ok = !f.ports.empty();
    for (size_t r = 0; r < f.ports.size(); ++r) {
      ports_ok &= f.ports[r].first >= 1 && f.ports[r].first <= f.ports[r].last;
      if (r > 0) ports_ok &= f.ports[r].first > f.ports[r - 1].last + 1;
    }
    if (!ports_ok) {
      errors.Add(absl::StrCat("ports not sorted, disjoint, apart: ", text));
    }
    if (i > 0) {
      const Flip& p = report.flips[i - 1];
      auto key = [](const Flip& x) {
        return std::make_tuple(x.change != FlowChange::kNewlyDenied,
                               x.source_group, x.destination_group,
                               static_cast<int>(x.protocol),
                               x.ports.empty() ? 0 : x.ports[0].first);
      };
      if (!(key(p) < key(f))) {
        errors.Add(absl::StrCat("flips out of order: ", FlipText(report, p),
                                " before ", text));
      }
    }
  }
  for (size_t g = 0; g < groups; ++g) {
    const FlowGroup& group = report.groups[g];
    const std::string text = GroupText(group);
    if (!referenced[g]) errors.Add(absl::StrCat("unreferenced group ", text));
    if (group.Name().empty()) errors.Add(absl::StrCat("unnamed group ", text));
    if (group.external) {
      bool ok = !group.cidrs.empty() && group.pods.empty();
      for (size_t c = 0; ok && c < group.cidrs.size(); ++c) {
        ok &= group.cidrs[c].base.family == group.cidrs[0].base.family;
        if (c > 0) ok &= group.cidrs[c - 1].Last() < group.cidrs[c].First();
      }
      if (!ok) {
        errors.Add(
            absl::StrCat("external group not sorted, disjoint CIDRs of "
                         "one family: ",
                         text));
      }
    } else if (group.pods.empty() || !group.cidrs.empty() ||
               !std::is_sorted(group.pods.begin(), group.pods.end()) ||
               std::adjacent_find(group.pods.begin(), group.pods.end()) !=
                   group.pods.end()) {
      errors.Add(absl::StrCat("pod group without sorted members: ", text));
    }
    if (g > 0) {
      const FlowGroup& prev = report.groups[g - 1];
      bool ordered;
      if (prev.external != group.external) {
        ordered = !prev.external;
      } else if (!group.external) {
        const Labels& prev_after = prev.labels_after.value_or(prev.labels);
        const Labels& after = group.labels_after.value_or(group.labels);
        ordered =
            std::tie(prev.namespace_name, prev.labels, prev_after,
                     prev.pods[0]) <=
            std::tie(group.namespace_name, group.labels, after, group.pods[0]);
      } else {
        ordered =
            std::make_pair(!prev.cidrs[0].base.is_v4(), prev.cidrs[0].base) <=
            std::make_pair(!group.cidrs[0].base.is_v4(), group.cidrs[0].base);
      }
      if (!ordered) {
        errors.Add(absl::StrCat("groups out of order: ", GroupText(prev),
                                " before ", text));
      }
    }
  }
  return true;
}

// Tuples per flip: endpoints (an external group counts one per CIDR, a pod
// is never paired with itself) times ports.
uint64_t ExpectedFlows(const ImpactReport& report, const Flip& f) {
  const FlowGroup& src = report.groups[f.source_group];
  const FlowGroup& dst = report.groups[f.destination_group];
  uint64_t ports = 0;
  for (const PortRange& r : f.ports) ports += r.last - r.first + 1u;
  const uint64_t s = src.external ? src.cidrs.size() : src.pods.size();
  const uint64_t d = dst.external ? dst.cidrs.size() : dst.pods.size();
  uint64_t self = 0;
  if (!src.external && !dst.external &&
      src.namespace_name == dst.namespace_name) {
    for (const std::string& name : src.pods) {
      self += std::binary_search(dst.pods.begin(), dst.pods.end(), name);
    }
  }
  return (s * d - self) * ports;
}

std::vector<std::pair<std::string, std::string>> SortedRefs(
    std::vector<std::pair<std::string, std::string>> refs) {
  std::sort(refs.begin(), refs.end());
  return refs;
}

std::vector<std::pair<std::string, std::string>> Refs(
    const std::vector<PodRef>& pods) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const PodRef& p : pods) out.emplace_back(p.namespace_name, p.name);
  return out;
}

// Pods of both clusters (in `before`'s order); pods only in one go to
// `added` / `removed`.
std::vector<CommonPod> CommonPods(
    const Cluster& before, const Cluster& after,
    std::vector<std::pair<std::string, std::string>>& added,
    std::vector<std::pair<std::string, std::string>>& removed, Errors& errors) {
  std::map<std::pair<std::string, std::string>, const Pod*> in_after;
  for (const Pod& p : after.pods) in_after[{p.namespace_name, p.name}] = &p;
  std::vector<CommonPod> out;
  for (const Pod& p : before.pods) {
    auto it = in_after.find({p.namespace_name, p.name});
    if (it == in_after.end()) {
      removed.emplace_back(p.namespace_name, p.name);
      continue;
    }
    CommonPod common;
    common.ref = PodRef{p.namespace_name, p.name};
    common.before = &p;
    common.after = it->second;
    if (p.ips != it->second->ips ||
        p.host_network != it->second->host_network) {
      errors.Add(absl::StrCat("test bug: ", common.ref.ToString(),
                              " changed its addresses"));
    }
    for (const IpAddress& ip : p.ips) common.ip[ip.is_v4() ? 0 : 1] = ip;
    out.push_back(std::move(common));
    in_after.erase(it);
  }
  for (const auto& [ref, pod] : in_after) added.push_back(ref);
  added = SortedRefs(std::move(added));
  removed = SortedRefs(std::move(removed));
  return out;
}

struct SeedResult {
  int tuples = 0;
  int differing = 0;
  size_t flips = 0;
  Errors errors;
  std::string reproduction;     // cluster and change YAML
  bool not_applicable = false;  // the corruption did not apply
};

// Checks every sampled tuple against the report both ways; returns the
// pods of the tuples whose verdict changed.
class TupleChecker {
 public:
  TupleChecker(const ImpactReport& report, const CompiledSnapshot& before,
               const CompiledSnapshot& after, SeedResult& result)
      : report_(report),
        before_(before),
        after_(after),
        result_(result),
        exercised_(report.flips.size(), false) {}

  // Every ordered pair of distinct common pods, by reference.
  void CheckPodPairs(const std::vector<CommonPod>& pods,
                     const ReportIndex& index,
                     const std::vector<uint32_t>& ports) {
    for (size_t s = 0; s < pods.size(); ++s) {
      for (size_t d = 0; d < pods.size(); ++d) {
        if (s == d) continue;
        Connection conn{pods[s].ref, pods[d].ref, 0, Protocol::kTcp};
        for (Protocol proto : kProtocols) {
          conn.protocol = proto;
          const std::vector<uint32_t>& flips = index.PairFlips(s, d, proto);
          for (uint32_t port : ports) {
            conn.port = port;
            absl::StatusOr<Decision> b = before_.Decide(conn);
            absl::StatusOr<Decision> a = after_.Decide(conn);
            if (!b.ok() || !a.ok()) {
              result_.errors.Add(absl::StrCat(
                  "Decide failed on ", ConnectionText(conn), ": ",
                  b.status().ToString(), " / ", a.status().ToString()));
              continue;
            }
            if (Check(*b, *a, flips, port, conn) && b->allowed != a->allowed) {
              affected_.insert(s);
              affected_.insert(d);
            }
          }
        }
      }
    }
  }

  // Every common pod with every sampled address of its families, both
  // directions, by IP.
  void CheckExternal(const std::vector<CommonPod>& pods,
                     const ReportIndex& index,
                     const std::vector<IpAddress>& addresses,
                     const std::vector<uint32_t>& ports) {
    std::vector<uint32_t> flips;
    for (size_t p = 0; p < pods.size(); ++p) {
      for (const IpAddress& ext : addresses) {
        const std::optional<IpAddress>& ip = pods[p].ip[ext.is_v4() ? 0 : 1];
        if (!ip) continue;
        for (bool egress : {true, false}) {
          const IpAddress& src = egress ? *ip : ext;
          const IpAddress& dst = egress ? ext : *ip;
          Connection conn{src, dst, 0, Protocol::kTcp};
          for (Protocol proto : kProtocols) {
            flips.clear();
            for (uint32_t f : index.ExternalFlips(p, egress, proto)) {
              const Flip& flip = report_.flips[f];
              const FlowGroup& group =
                  report_.groups[egress ? flip.destination_group
                                        : flip.source_group];
              if (InCidrs(group.cidrs, ext)) flips.push_back(f);
            }
            conn.protocol = proto;
            for (uint32_t port : ports) {
              conn.port = port;
              const auto port16 = static_cast<uint16_t>(port);
              const Decision b = before_.Decide(src, dst, port16, proto);
              const Decision a = after_.Decide(src, dst, port16, proto);
              if (Check(b, a, flips, port, conn) && b.allowed != a.allowed) {
                affected_.insert(p);
              }
            }
          }
        }
      }
    }
  }

  void CheckEveryFlipExercised() {
    for (size_t f = 0; f < exercised_.size(); ++f) {
      if (!exercised_[f]) {
        result_.errors.Add(absl::StrCat("flip covers no sampled tuple: ",
                                        FlipText(report_, report_.flips[f])));
      }
    }
  }

  const std::set<size_t>& affected() const { return affected_; }

 private:
  // Whether the tuple agrees with the report: covered by exactly one flip
  // of the right change if its verdict changed, by none otherwise.
  bool Check(const Decision& b, const Decision& a,
             const std::vector<uint32_t>& flips, uint32_t port,
             const Connection& conn) {
    ++result_.tuples;
    int covering = 0;
    const Flip* cover = nullptr;
    for (uint32_t f : flips) {
      if (!InRanges(report_.flips[f].ports, port)) continue;
      ++covering;
      cover = &report_.flips[f];
      exercised_[f] = true;
    }
    const bool changed = b.allowed != a.allowed;
    result_.differing += changed;
    const FlowChange want =
        b.allowed ? FlowChange::kNewlyDenied : FlowChange::kNewlyAllowed;
    if (changed ? covering == 1 && cover->change == want : covering == 0) {
      return true;
    }
    result_.errors.Add(absl::StrCat(
        ConnectionText(conn), ": before ", DecisionText(b), ", after ",
        DecisionText(a), "; ",
        covering == 0 ? std::string("no flip covers it")
                      : absl::StrCat(covering, " flip(s) cover it, e.g. ",
                                     FlipText(report_, *cover))));
    return false;
  }

  const ImpactReport& report_;
  const CompiledSnapshot& before_;
  const CompiledSnapshot& after_;
  SeedResult& result_;
  std::vector<bool> exercised_;
  std::set<size_t> affected_;  // indices of common pods
};

bool InGroup(const FlowGroup& group, const Endpoint& endpoint) {
  if (group.external) {
    const auto* ip = std::get_if<IpAddress>(&endpoint);
    return ip != nullptr && InCidrs(group.cidrs, *ip);
  }
  const auto* ref = std::get_if<PodRef>(&endpoint);
  return ref != nullptr && ref->namespace_name == group.namespace_name &&
         std::binary_search(group.pods.begin(), group.pods.end(), ref->name);
}

// A run with samples_per_flip: the same report plus, per flip, samples
// inside the flip whose verdicts change as the flip says.
void CheckSamples(const ImpactReport& report, const CompiledSnapshot& before,
                  const CompiledSnapshot& after, Errors& errors) {
  constexpr size_t kSamples = 4;
  ImpactOptions options;
  options.samples_per_flip = kSamples;
  const ImpactReport sampled = DiffSnapshots(before, after, options);
  if (ReportText(sampled) != ReportText(report)) {
    errors.Add(absl::StrCat("samples_per_flip changes the report:\n",
                            ReportText(sampled), "without:\n",
                            ReportText(report)));
    return;
  }
  for (const Flip& flip : report.flips) {
    if (!flip.samples.empty()) {
      errors.Add(absl::StrCat("samples without samples_per_flip: ",
                              FlipText(report, flip)));
    }
  }
  for (const Flip& flip : sampled.flips) {
    const std::string text = FlipText(sampled, flip);
    if (flip.samples.empty() || flip.samples.size() > kSamples) {
      errors.Add(absl::StrCat(flip.samples.size(), " samples of ", text));
    }
    for (const Connection& c : flip.samples) {
      const std::string sample = ConnectionText(c);
      if (!InGroup(sampled.groups[flip.source_group], c.source) ||
          !InGroup(sampled.groups[flip.destination_group], c.destination) ||
          c.protocol != flip.protocol || !InRanges(flip.ports, c.port)) {
        errors.Add(absl::StrCat("sample ", sample, " outside ", text));
        continue;
      }
      absl::StatusOr<Decision> b = before.Decide(c);
      absl::StatusOr<Decision> a = after.Decide(c);
      if (!b.ok() || !a.ok()) {
        errors.Add(absl::StrCat("sample ", sample,
                                ": Decide failed: ", b.status().ToString(),
                                " / ", a.status().ToString()));
        continue;
      }
      const bool denied = flip.change == FlowChange::kNewlyDenied;
      if (b->allowed != denied || a->allowed == denied) {
        errors.Add(absl::StrCat("sample ", sample, " of ", text, ": before ",
                                DecisionText(*b), ", after ",
                                DecisionText(*a)));
      }
    }
  }
}

// A run limited to max_flips: same totals, the first flips of the full run.
void CheckTruncation(const ImpactReport& full, const CompiledSnapshot& before,
                     const CompiledSnapshot& after, size_t max_flips,
                     Errors& errors) {
  ImpactOptions options;
  options.max_flips = max_flips;
  const ImpactReport cut = DiffSnapshots(before, after, options);
  const bool want_truncated = full.flips.size() > max_flips;
  const size_t want_flips = std::min(full.flips.size(), max_flips);
  const auto totals = [](const ImpactReport& r) {
    return std::make_tuple(r.totals.pods_affected, r.totals.newly_denied_flows,
                           r.totals.newly_allowed_flows, r.totals.flips);
  };
  if (cut.truncated != want_truncated || cut.flips.size() != want_flips ||
      totals(cut) != totals(full) ||
      Refs(cut.pods_added) != Refs(full.pods_added) ||
      Refs(cut.pods_removed) != Refs(full.pods_removed)) {
    errors.Add(absl::StrCat("max_flips=", max_flips, " gives\n",
                            ReportText(cut), "unlimited:\n", ReportText(full)));
    return;
  }
  for (size_t i = 0; i < cut.flips.size(); ++i) {
    if (FlipText(cut, cut.flips[i]) != FlipText(full, full.flips[i])) {
      errors.Add(absl::StrCat("max_flips=", max_flips, ": flip ", i, " is ",
                              FlipText(cut, cut.flips[i]), ", unlimited ",
                              FlipText(full, full.flips[i])));
    }
  }
  if (!CheckStructure(cut, errors)) return;
}

std::unique_ptr<const CompiledSnapshot> CompileOrFail(
    const Cluster& cluster, const CompileOptions& options, Errors& errors) {
  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snapshot =
      CompiledSnapshot::Compile(cluster, options);
  if (!snapshot.ok()) {
    errors.Add(absl::StrCat("Compile failed: ", snapshot.status().ToString()));
    return nullptr;
  }
  return *std::move(snapshot);
}

// Alters a correct report, to show the checks catch it; false when it
// does not apply to the report.
using Corruption = std::function<bool(ImpactReport&)>;

// Every CIDR of an external group holds an address that is not a pod's
// (it may hold pod IPs too).
void CheckCidrsHoldExternalAddresses(const ImpactReport& report,
                                     const Cluster& before,
                                     const Cluster& after, Errors& errors) {
  const std::set<IpAddress> pod_ips = PodNetworkIps(before, after);
  for (const FlowGroup& group : report.groups) {
    for (const Cidr& cidr : group.cidrs) {
      if (cidr.base.bits() - cidr.prefix > 8) continue;  // > 256 addresses
      bool external = false;
      for (IpAddress ip = cidr.First(); !external; ip = NextAddress(ip)) {
        external = !pod_ips.count(ip);
        if (ip == cidr.Last()) break;
      }
      if (!external) {
        errors.Add(absl::StrCat("CIDR ", cidr.ToString(), " of ",
                                GroupText(group), " holds only pod IPs"));
      }
    }
  }
}

SeedResult CheckSeed(uint64_t seed, bool ipblock_matches_pods,
                     const Sizes& sizes = {},
                     const Corruption* corrupt = nullptr) {
  SeedResult result;
  Errors& errors = result.errors;
  const GenCluster gen = random_cluster::Generate(seed, sizes);
  const Cluster before_model = random_cluster::ToModel(gen);
  Rng rng(seed ^ 0x5EED1D);
  const RandomChange change = GenerateChange(gen, rng);
  result.reproduction = absl::StrCat(
      "--- cluster (seed ", seed, ") ---\n", random_cluster::ToYaml(gen),
      "--- change ---\n", change.Yaml(), "--- end ---");
  absl::StatusOr<Cluster> after_model =
      ApplyProposedChange(before_model, change.change);
  if (!after_model.ok()) {
    errors.Add(absl::StrCat("ApplyProposedChange failed: ",
                            after_model.status().ToString()));
    return result;
  }
  CompileOptions options;
  options.ipblock_matches_pods = ipblock_matches_pods;
  std::unique_ptr<const CompiledSnapshot> before =
      CompileOrFail(before_model, options, errors);
  std::unique_ptr<const CompiledSnapshot> after =
      CompileOrFail(*after_model, options, errors);
  if (before == nullptr || after == nullptr) return result;

  ImpactReport report = DiffSnapshots(*before, *after);
  if (corrupt != nullptr && !(*corrupt)(report)) {
    result.not_applicable = true;
    return result;
  }
  result.flips = report.flips.size();
  if (!CheckStructure(report, errors)) return result;
  {
    // Deterministic across runs and compilations.
    std::unique_ptr<const CompiledSnapshot> before2 =
        CompileOrFail(before_model, options, errors);
    std::unique_ptr<const CompiledSnapshot> after2 =
        CompileOrFail(*after_model, options, errors);
    if (before2 == nullptr || after2 == nullptr) return result;
    const std::string first = ReportText(report);
    const std::string second = ReportText(DiffSnapshots(*before2, *after2));
    if (first != second) {
      errors.Add(
          absl::StrCat("not deterministic:\n", first, "then:\n", second));
    }
  }

  std::vector<std::pair<std::string, std::string>> added, removed;
  const std::vector<CommonPod> pods =
      CommonPods(before_model, *after_model, added, removed, errors);
  if (Refs(report.pods_added) != added ||
      Refs(report.pods_removed) != removed) {
    errors.Add(absl::StrCat("pods added/removed: report [",
                            PodRefsText(report.pods_added), "] / [",
                            PodRefsText(report.pods_removed), "]"));
  }

  CheckCidrsHoldExternalAddresses(report, before_model, *after_model, errors);

  std::vector<std::string> index_errors;
  const ReportIndex index(report, pods, index_errors);
  for (std::string& e : index_errors) errors.Add(std::move(e));
  const std::vector<uint32_t> ports =
      SamplePorts(before_model, *after_model, report, rng);
  const std::vector<IpAddress> addresses =
      SampleExternals(before_model, *after_model, report, gen, rng);
  TupleChecker checker(report, *before, *after, result);
  checker.CheckPodPairs(pods, index, ports);
  checker.CheckExternal(pods, index, addresses, ports);
  checker.CheckEveryFlipExercised();

  // Totals and flow counts.
  std::set<size_t> in_flips;
  uint64_t flows[2] = {0, 0};
  for (const Flip& f : report.flips) {
    for (uint32_t g : {f.source_group, f.destination_group}) {
      in_flips.insert(index.Members(g).begin(), index.Members(g).end());
    }
    flows[f.change == FlowChange::kNewlyDenied ? 0 : 1] += f.flows;
    if (f.flows != ExpectedFlows(report, f)) {
      errors.Add(absl::StrCat("flows should be ", ExpectedFlows(report, f),
                              ": ", FlipText(report, f)));
    }
  }
  if (report.truncated || report.totals.flips != report.flips.size() ||
      report.totals.newly_denied_flows != flows[0] ||
      report.totals.newly_allowed_flows != flows[1] ||
      report.totals.pods_affected != checker.affected().size() ||
      in_flips != checker.affected()) {
    errors.Add(absl::StrCat(
        "totals: report pods_affected=", report.totals.pods_affected, " flips=",
        report.totals.flips, " denied=", report.totals.newly_denied_flows,
        " allowed=", report.totals.newly_allowed_flows,
        " truncated=", report.truncated,
        "; expected pods_affected=", checker.affected().size(),
        " (pods in "
        "flips: ",
        in_flips.size(), ") flips=", report.flips.size(), " denied=", flows[0],
        " allowed=", flows[1]));
  }

  if (!report.flips.empty()) {
    CheckTruncation(report, *before, *after,
                    static_cast<size_t>(
                        rng.Int(0, static_cast<int>(report.flips.size()) - 1)),
                    errors);
  }
  CheckTruncation(report, *before, *after, report.flips.size(), errors);
  CheckSamples(report, *before, *after, errors);
  return result;
}

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

constexpr int kShards = 4;
constexpr int kDefaultSeedsPerShard = 500;  // 2,000 seeds per option

class ImpactPropertyTest
    : public ::testing::TestWithParam<std::tuple<int, bool>> {};

TEST_P(ImpactPropertyTest, AgreesWithBruteForce) {
  const auto [shard, match_pods] = GetParam();
  std::vector<uint64_t> seeds;
  if (const char* one = std::getenv("NETPOL_PROPERTY_SEED"); one && *one) {
    if (shard == 0) seeds.push_back(std::strtoull(one, nullptr, 10));
  } else {
    const int per_shard =
        EnvInt("NETPOL_PROPERTY_SEEDS", kDefaultSeedsPerShard);
    for (int i = 0; i < per_shard; ++i) {
      seeds.push_back(static_cast<uint64_t>(shard * per_shard + i));
    }
  }
  int tuples = 0, differing = 0, failing = 0;
  size_t flips = 0;
  for (uint64_t seed : seeds) {
    const SeedResult r = CheckSeed(seed, match_pods);
    tuples += r.tuples;
    differing += r.differing;
    flips += r.flips;
    if (r.errors.count == 0) continue;
    ++failing;
    ADD_FAILURE() << "seed " << seed << " (ipblock_matches_pods=" << match_pods
                  << "): " << r.errors.count
                  << " mismatch(es); reproduce with NETPOL_PROPERTY_SEED="
                  << seed << "\n  " << absl::StrJoin(r.errors.messages, "\n  ")
                  << (failing <= 2 ? "\n" + r.reproduction : "");
    if (failing >= 10) {
      ADD_FAILURE() << "stopping after 10 failing seeds";
      break;
    }
  }
  std::cout << "[ INFO ] " << seeds.size() << " seeds, " << tuples
            << " tuples, " << differing << " changed, " << flips << " flips, "
            << failing << " failing seed(s)\n";
  EXPECT_GT(tuples, 0);
  if (seeds.size() >= 20) {
    EXPECT_GT(differing, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Seeds, ImpactPropertyTest,
    ::testing::Combine(::testing::Range(0, kShards), ::testing::Bool()),
    [](const ::testing::TestParamInfo<std::tuple<int, bool>>& info) {
      return absl::StrCat("shard", std::get<0>(info.param),
                          std::get<1>(info.param) ? "_IpBlockMatchesPods"
                                                  : "_IpBlockExternalOnly");
    });

// Fewer, larger clusters: workloads of several pods, so groups of several
// members.
TEST(ImpactPropertyLargeTest, AgreesWithBruteForce) {
  Sizes sizes;
  sizes.min_namespaces = 3;
  sizes.max_namespaces = 6;
  sizes.min_pods = 25;
  sizes.max_pods = 60;
  sizes.min_policies = 8;
  sizes.max_policies = 25;
  const int count = EnvInt("NETPOL_PROPERTY_LARGE_SEEDS", 12);
  int tuples = 0, differing = 0, failing = 0;
  for (int i = 0; i < count; ++i) {
    const uint64_t seed = 1000000 + static_cast<uint64_t>(i);
    const bool match_pods = i % 2 == 0;
    const SeedResult r = CheckSeed(seed, match_pods, sizes);
    tuples += r.tuples;
    differing += r.differing;
    if (r.errors.count == 0) continue;
    ADD_FAILURE() << "large seed " << seed
                  << " (ipblock_matches_pods=" << match_pods
                  << "): " << r.errors.count << " mismatch(es)\n  "
                  << absl::StrJoin(r.errors.messages, "\n  ")
                  << (++failing <= 1 ? "\n" + r.reproduction : "");
  }
  std::cout << "[ INFO ] " << count << " large clusters, " << tuples
            << " tuples, " << differing << " changed, " << failing
            << " failing\n";
}

// A snapshot against an identical one, compiled apart: nothing changes.
TEST(ImpactPropertyIdentityTest, EqualClustersHaveNoFlips) {
  for (uint64_t seed = 0; seed < 100; ++seed) {
    const Cluster model =
        random_cluster::ToModel(random_cluster::Generate(seed));
    Errors errors;
    auto a = CompileOrFail(model, {}, errors);
    auto b = CompileOrFail(model, {}, errors);
    ASSERT_TRUE(a != nullptr && b != nullptr) << errors.messages[0];
    const ImpactReport report = DiffSnapshots(*a, *b);
    EXPECT_TRUE(report.flips.empty() && report.groups.empty() &&
                report.pods_added.empty() && report.pods_removed.empty() &&
                report.totals.flips == 0 && report.totals.pods_affected == 0 &&
                !report.truncated)
        << "seed " << seed << "\n"
        << ReportText(report);
  }
}

// On tiny clusters, every port: the pod-to-pod flips' flows add up to the
// tuples whose verdict changed. NETPOL_PROPERTY_EXHAUSTIVE_CLUSTERS sets how
// many clusters (each costs ~2 M decisions; the sanitizer pass asks for
// fewer).
TEST(ImpactPropertyExhaustiveTest, PodFlowsCountEveryPort) {
  Sizes sizes;
  sizes.min_pods = 2;
  sizes.max_pods = 4;
  const int wanted = EnvInt("NETPOL_PROPERTY_EXHAUSTIVE_CLUSTERS", 6);
  int checked = 0;
  for (uint64_t seed = 5000000; checked < wanted && seed < 5000100; ++seed) {
    const GenCluster gen = random_cluster::Generate(seed, sizes);
    Rng rng(seed);
    const RandomChange change = GenerateChange(gen, rng);
    const Cluster before_model = random_cluster::ToModel(gen);
    absl::StatusOr<Cluster> after_model =
        ApplyProposedChange(before_model, change.change);
    ASSERT_TRUE(after_model.ok()) << after_model.status();
    Errors errors;
    auto before = CompileOrFail(before_model, {}, errors);
    auto after = CompileOrFail(*after_model, {}, errors);
    ASSERT_TRUE(before != nullptr && after != nullptr) << errors.messages[0];
    const ImpactReport report = DiffSnapshots(*before, *after);
    uint64_t reported[2] = {0, 0};
    for (const Flip& f : report.flips) {
      if (report.groups[f.source_group].external ||
          report.groups[f.destination_group].external) {
        continue;
      }
      reported[f.change == FlowChange::kNewlyDenied ? 0 : 1] += f.flows;
    }
    if (reported[0] + reported[1] == 0) continue;  // nothing to count
    ++checked;
    std::vector<std::pair<std::string, std::string>> added, removed;
    const std::vector<CommonPod> pods =
        CommonPods(before_model, *after_model, added, removed, errors);
    uint64_t counted[2] = {0, 0};
    for (const CommonPod& s : pods) {
      for (const CommonPod& d : pods) {
        if (&s == &d) continue;
        Connection conn{s.ref, d.ref, 0, Protocol::kTcp};
        for (Protocol proto : kProtocols) {
          conn.protocol = proto;
          for (uint32_t port = 1; port <= 65535; ++port) {
            conn.port = port;
            const bool b = before->Decide(conn)->allowed;
            const bool a = after->Decide(conn)->allowed;
            if (a != b) ++counted[b ? 0 : 1];
          }
        }
      }
    }
    EXPECT_EQ(reported[0], counted[0]) << "newly denied, seed " << seed << "\n"
                                       << ReportText(report);
    EXPECT_EQ(reported[1], counted[1]) << "newly allowed, seed " << seed << "\n"
                                       << ReportText(report);
  }
  EXPECT_GT(checked, 0);
}

// Rules of a type the policy does not list are not read from YAML.
Cluster WithoutUnusedRules(Cluster cluster) {
  for (NetworkPolicy& p : cluster.policies) {
    if (!p.affects_ingress) p.ingress.clear();
    if (!p.affects_egress) p.egress.clear();
  }
  return cluster;
}

// The change's YAML (printed to reproduce failures) reads back as the same
// change.
TEST(ImpactPropertyMachineryTest, ChangeYamlReadsBack) {
  for (uint64_t seed = 0; seed < 100; ++seed) {
    const GenCluster gen = random_cluster::Generate(seed);
    Rng rng(seed ^ 0x5EED1D);
    const RandomChange change = GenerateChange(gen, rng);
    const Cluster before = random_cluster::ToModel(gen);
    absl::StatusOr<ProposedChange> parsed =
        ParseProposedChange(change.Yaml(), "change.yaml");
    ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << change.Yaml();
    absl::StatusOr<Cluster> direct = ApplyProposedChange(before, change.change);
    absl::StatusOr<Cluster> read = ApplyProposedChange(before, *parsed);
    ASSERT_TRUE(direct.ok()) << direct.status();
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(ContentHash(WithoutUnusedRules(*direct)),
              ContentHash(WithoutUnusedRules(*read)))
        << "seed " << seed << "\n"
        << change.Yaml();
  }
}

// Over many seeds the change generator uses every kind of operation.
TEST(ImpactPropertyMachineryTest, ChangesUseEveryOperation) {
  std::set<size_t> kinds;
  bool by_selector = false, several = false;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed ^ 0x5EED1D);
    const RandomChange change =
        GenerateChange(random_cluster::Generate(seed), rng);
    several |= change.change.operations.size() > 1;
    for (const ChangeOperation& op : change.change.operations) {
      kinds.insert(op.index());
      if (const auto* label = std::get_if<LabelPods>(&op)) {
        by_selector |= label->selector.has_value();
      }
    }
  }
  EXPECT_EQ(kinds.size(), std::variant_size_v<ChangeOperation>);
  EXPECT_TRUE(by_selector);
  EXPECT_TRUE(several);
}

// The checks fail on reports with a flip missing, a range too wide, the
// wrong change, a member missing or a wrong count.
TEST(ImpactPropertyMachineryTest, CatchesCorruptedReports) {
  const std::vector<std::pair<std::string, Corruption>> corruptions = {
      {"no flip covers it",
       [](ImpactReport& r) {
         if (r.flips.empty()) return false;
         r.flips.pop_back();
         return true;
       }},
      {"cover it",
       [](ImpactReport& r) {
         for (Flip& f : r.flips) {
           if (f.ports.back().last < 65535) {
             ++f.ports.back().last;
             return true;
           }
         }
         return false;
       }},
      {"cover it",
       [](ImpactReport& r) {
         if (r.flips.empty()) return false;
         Flip& f = r.flips.front();
         f.change = f.change == FlowChange::kNewlyDenied
                        ? FlowChange::kNewlyAllowed
                        : FlowChange::kNewlyDenied;
         return true;
       }},
      {"no flip covers it",
       [](ImpactReport& r) {
         for (FlowGroup& g : r.groups) {
           if (g.pods.size() > 1) {
             g.pods.pop_back();
             return true;
           }
         }
         return false;
       }},
      {"flows should be",
       [](ImpactReport& r) {
         if (r.flips.empty()) return false;
         ++r.flips.back().flows;
         return true;
       }},
  };
  for (size_t i = 0; i < corruptions.size(); ++i) {
    const auto& [expected, corruption] = corruptions[i];
    int applied = 0;
    for (uint64_t seed = 0; seed < 200 && applied < 3; ++seed) {
      const SeedResult r = CheckSeed(seed, true, {}, &corruption);
      if (r.not_applicable) continue;
      ++applied;
      const bool caught =
          std::any_of(r.errors.messages.begin(), r.errors.messages.end(),
                      [&](const std::string& m) {
                        return m.find(expected) != std::string::npos;
                      });
      EXPECT_TRUE(caught) << "corruption " << i << ", seed " << seed
                          << ": expected \"" << expected << "\", got\n  "
                          << absl::StrJoin(r.errors.messages, "\n  ");
    }
    EXPECT_EQ(applied, 3) << "corruption " << i;
  }
}

}  // namespace
}  // namespace netpol
