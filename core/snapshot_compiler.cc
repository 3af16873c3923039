// Builds the decision tables of a CompiledSnapshot from a Cluster. See
// core/internal/snapshot_tables.h for the layout this produces.

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/compiled_snapshot.h"
#include "core/internal/interner.h"

namespace netpol {

using internal::DirectionTable;
using internal::EndpointEntry;
using internal::ExternalRanges;
using internal::Interner;
using internal::kNoPod;
using internal::PortRange;
using internal::PortSet;

namespace {

constexpr int kIngress = 0;
constexpr int kEgress = 1;
using IdList = std::vector<uint32_t>;  // sorted, unique
// Ends each protocol's ranges in a port set's canonical key.
constexpr uint32_t kProtocolSeparator = 0xFFFFFFFFu;

// A distinct peer clause of some rule. Selector peers are canonicalised so
// `{podSelector: S}` in namespace N and `{namespaceSelector: {name: N},
// podSelector: S}` stay distinct (they are, for namespaces relabelled).
struct PeerDef {
  const IpBlock* ip_block = nullptr;
  const LabelSelector* namespace_selector = nullptr;  // null: scope_namespace
  uint32_t scope_namespace = 0;
  const LabelSelector* pod_selector = nullptr;  // null: every pod
  bool used[2] = {false, false};                // by ingress / egress
};

struct CompiledRule {
  const PolicyRule* rule;
  IdList peers;  // empty with all_peers
  bool all_peers = false;
};

bool AllPorts(const PolicyRule& rule) { return rule.ports.empty(); }

}  // namespace

class SnapshotCompiler {
 public:
  explicit SnapshotCompiler(CompiledSnapshot& out) : out_(out) {
    // Port set 0 is the empty set: the value of every cell no rule reaches.
    port_sets_.emplace_back();
    port_set_ids_.Intern(
        std::vector<uint32_t>(kProtocolCount, kProtocolSeparator));
  }

  absl::Status Run() {
    if (absl::Status status = IndexNamespaces(); !status.ok()) return status;
    if (absl::Status status = CheckPodAddresses(); !status.ok()) return status;
    CollectRules();
    ClassifyPods();
    MatchSelectorPeers();
    BuildExternalIntervals();
    BuildEndpoints();
    FillTable(kIngress, out_.ingress_);
    FillTable(kEgress, out_.egress_);
    // The matcher adds one set: the ids must fit the cells with it.
    constexpr size_t kMaxPortSets =
        std::numeric_limits<internal::PortSetId>::max();
    if (port_sets_.size() > kMaxPortSets) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the policies produce ", port_sets_.size(),
          " distinct port sets; at most ", kMaxPortSets, " are supported"));
    }
    StoreCells();
    MergeIdenticalRowsAndColumns();
    if (absl::Status status = CheckTableSizes(); !status.ok()) return status;
    out_.port_matcher_.Build(port_sets_);
    MarkNotIsolatedRows(out_.port_matcher_.not_isolated_set());
    if (out_.port_matcher_.not_isolated_set() <= 255) {
      out_.ingress_.Narrow();
      out_.egress_.Narrow();
    }
    BuildV4Indexes();
    out_.port_sets_ = std::move(port_sets_);
    RecordSelections();
    FinishStats();
    return absl::OkStatus();
  }

 private:
  const Cluster& cluster() const { return out_.cluster_; }

  // The loader adds every namespace a pod or policy uses; a Cluster built
  // by hand might not have, and every later step relies on it.
  absl::Status IndexNamespaces() {
    for (uint32_t i = 0; i < cluster().namespaces.size(); ++i) {
      out_.namespace_index_[cluster().namespaces[i].name] = i;
    }
    auto check = [&](const std::string& ns, absl::string_view kind,
                     const std::string& name) -> absl::Status {
      if (out_.namespace_index_.contains(ns)) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat(kind, " ", ns, "/", name,
                                                     ": namespace ", ns,
                                                     " is not in the cluster"));
    };
    for (const Pod& pod : cluster().pods) {
      if (absl::Status s = check(pod.namespace_name, "pod", pod.name); !s.ok())
        return s;
    }
    for (const NetworkPolicy& policy : cluster().policies) {
      if (absl::Status s =
              check(policy.namespace_name, "NetworkPolicy", policy.name);
          !s.ok())
        return s;
    }
    return absl::OkStatus();
  }

  // As the API server does: the batch path relies on a pod having one
  // address per family (same IPv4 address <=> same pod).
  absl::Status CheckPodAddresses() const {
    for (const Pod& pod : cluster().pods) {
      for (size_t i = 0; i < pod.ips.size(); ++i) {
        for (size_t j = i + 1; j < pod.ips.size(); ++j) {
          if (pod.ips[i].family != pod.ips[j].family) continue;
          return absl::InvalidArgumentError(absl::StrCat(
              "pod ", pod.namespace_name, "/", pod.name, " has two IPv",
              pod.ips[i].is_v4() ? 4 : 6, " addresses, ", pod.ips[i].ToString(),
              " and ", pod.ips[j].ToString(),
              "; a pod has at most one of "
              "each family"));
        }
      }
    }
    return absl::OkStatus();
  }

  uint32_t NamespaceId(const std::string& name) const {
    return out_.namespace_index_.at(name);
  }

  // Gives every distinct peer clause an id and every rule its peer ids.
  void CollectRules() {
    Interner<std::string> peer_keys;
    for (uint32_t p = 0; p < cluster().policies.size(); ++p) {
      const NetworkPolicy& policy = cluster().policies[p];
      for (int dir : {kIngress, kEgress}) {
        const auto& rules = dir == kIngress ? policy.ingress : policy.egress;
        auto& compiled = policy_rules_[dir].emplace_back();
        for (const PolicyRule& rule : rules) {
          CompiledRule cr{&rule, {}, rule.peers.empty()};
          for (const Peer& peer : rule.peers) {
            std::string key = PeerKey(peer, policy);
            const uint32_t id = peer_keys.Intern(key);
            if (id == peers_.size())
              peers_.push_back(MakePeerDef(peer, policy));
            peers_[id].used[dir] = true;
            cr.peers.push_back(id);
          }
          std::sort(cr.peers.begin(), cr.peers.end());
          cr.peers.erase(std::unique(cr.peers.begin(), cr.peers.end()),
                         cr.peers.end());
          compiled.push_back(std::move(cr));
        }
      }
    }
  }

  static std::string PeerKey(const Peer& peer, const NetworkPolicy& policy) {
    if (peer.ip_block) {
      std::string key = absl::StrCat("ip:", peer.ip_block->cidr.ToString());
      for (const Cidr& hole : peer.ip_block->except)
        absl::StrAppend(&key, "-", hole.ToString());
      return key;
    }
    return absl::StrCat(
        peer.namespace_selector ? "nss:" + peer.namespace_selector->ToString()
                                : "ns:" + policy.namespace_name,
        "|pod:", peer.pod_selector ? peer.pod_selector->ToString() : "{}");
  }

  PeerDef MakePeerDef(const Peer& peer, const NetworkPolicy& policy) const {
    PeerDef def;
    if (peer.ip_block) {
      def.ip_block = &*peer.ip_block;
      return def;
    }
    if (peer.namespace_selector) {
      def.namespace_selector = &*peer.namespace_selector;
    } else {
      def.scope_namespace = NamespaceId(policy.namespace_name);
    }
    if (peer.pod_selector && !peer.pod_selector->empty())
      def.pod_selector = &*peer.pod_selector;
    return def;
  }

  // Groups pod-network pods by (namespace, labels): the label classes.
  void ClassifyPods() {
    absl::flat_hash_map<std::pair<uint32_t, std::string>, uint32_t> class_ids;
    pod_class_.assign(cluster().pods.size(), kNoPod);
    for (uint32_t i = 0; i < cluster().pods.size(); ++i) {
      const Pod& pod = cluster().pods[i];
      if (pod.host_network) continue;
      const uint32_t ns = NamespaceId(pod.namespace_name);
      std::string label_key;
      for (const auto& [k, v] : pod.labels)
        absl::StrAppend(&label_key, k, "=", v, "\n");
      auto [it, inserted] =
          class_ids.try_emplace({ns, std::move(label_key)}, classes_.size());
      if (inserted) classes_.push_back({ns, &pod.labels});
      pod_class_[i] = it->second;
    }
    // Which policies select each class, per direction.
    class_policies_[kIngress].resize(classes_.size());
    class_policies_[kEgress].resize(classes_.size());
    std::vector<std::vector<uint32_t>> classes_by_ns(
        cluster().namespaces.size());
    for (uint32_t c = 0; c < classes_.size(); ++c)
      classes_by_ns[classes_[c].ns].push_back(c);
    classes_by_ns_ = std::move(classes_by_ns);
    for (uint32_t p = 0; p < cluster().policies.size(); ++p) {
      const NetworkPolicy& policy = cluster().policies[p];
      for (uint32_t c : classes_by_ns_[NamespaceId(policy.namespace_name)]) {
        if (!policy.pod_selector.Matches(*classes_[c].labels)) continue;
        if (policy.affects_ingress) class_policies_[kIngress][c].push_back(p);
        if (policy.affects_egress) class_policies_[kEgress][c].push_back(p);
      }
    }
  }

  // For every label class, the selector peers it matches.
  void MatchSelectorPeers() {
    class_peers_.resize(classes_.size());
    for (uint32_t id = 0; id < peers_.size(); ++id) {
      const PeerDef& peer = peers_[id];
      if (peer.ip_block) {
        ip_block_peers_.push_back(id);
        continue;
      }
      auto match_namespace = [&](uint32_t ns) {
        for (uint32_t c : classes_by_ns_[ns]) {
          if (!peer.pod_selector ||
              peer.pod_selector->Matches(*classes_[c].labels)) {
            class_peers_[c].push_back(id);
          }
        }
      };
      if (!peer.namespace_selector) {
        match_namespace(peer.scope_namespace);
        continue;
      }
      for (uint32_t ns = 0; ns < cluster().namespaces.size(); ++ns) {
        if (peer.namespace_selector->Matches(cluster().namespaces[ns].labels))
          match_namespace(ns);
      }
    }
  }

  // Splits each address family at every ipBlock edge; within an interval
  // every ipBlock either matches all addresses or none.
  void BuildExternalIntervals() {
    for (int fam = 0; fam < 2; ++fam) {
      const IpFamily family = fam == 0 ? IpFamily::kV4 : IpFamily::kV6;
      std::vector<IpAddress> edges = {IpAddress{family, 0, 0}};
      auto add_block = [&](const Cidr& cidr) {
        edges.push_back(cidr.First());
        if (!IsMaxAddress(cidr.Last()))
          edges.push_back(NextAddress(cidr.Last()));
      };
      for (uint32_t id : ip_block_peers_) {
        const IpBlock& block = *peers_[id].ip_block;
        if (block.cidr.base.family != family) continue;
        add_block(block.cidr);
        for (const Cidr& hole : block.except) add_block(hole);
      }
      std::sort(edges.begin(), edges.end());
      edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
      interval_starts_[fam] = edges;
      auto& signatures = interval_signature_[fam];
      signatures.reserve(edges.size());
      for (const IpAddress& start : edges) {
        IdList matched;
        for (uint32_t id : ip_block_peers_) {
          if (peers_[id].ip_block->Matches(start)) matched.push_back(id);
        }
        signatures.push_back(signature_ids_.Intern(matched));
      }
    }
  }

  uint32_t SignatureOf(const IpAddress& ip) const {
    const int fam = ip.is_v4() ? 0 : 1;
    const auto& starts = interval_starts_[fam];
    const size_t i =
        std::upper_bound(starts.begin(), starts.end(), ip) - starts.begin() - 1;
    return interval_signature_[fam][i];
  }

  // Named ports a pod exposes, as an id; 0 is "none" (external peers too).
  uint32_t NamedPortClass(const Pod& pod) {
    std::vector<std::tuple<std::string, int, uint16_t>> named;
    for (const ContainerPort& port : pod.ports) {
      if (!port.name.empty()) {
        named.emplace_back(port.name, static_cast<int>(port.protocol),
                           port.port);
      }
    }
    std::sort(named.begin(), named.end());
    named.erase(std::unique(named.begin(), named.end()), named.end());
    return named_port_classes_.Intern(named);
  }

  // Table coordinates of a pod (kNoPod for external) seen with `signature`.
  EndpointEntry MakeEntry(uint32_t pod, uint32_t signature) {
    EndpointEntry entry;
    entry.pod = pod;
    const IdList& ip_peers = signature_ids_.keys()[signature];
    IdList matched;
    uint32_t named_ports = 0;
    if (pod != kNoPod) {
      const uint32_t cls = pod_class_[pod];
      matched = class_peers_[cls];
      if (out_.options_.ipblock_matches_pods) {
        matched.insert(matched.end(), ip_peers.begin(), ip_peers.end());
        std::sort(matched.begin(), matched.end());
      }
      named_ports = pod_named_ports_[pod];
      // Row numbers until MergeIdenticalRowsAndColumns makes them starts.
      entry.ingress_row_start = RowFor(kIngress, cls, named_ports);
      entry.egress_row_start = RowFor(kEgress, cls, 0);
    } else {
      matched = ip_peers;
    }
    for (int dir : {kIngress, kEgress}) {
      IdList used;
      for (uint32_t id : matched) {
        if (peers_[id].used[dir]) used.push_back(id);
      }
      // Egress rules resolve named ports on the peer (the destination).
      const uint32_t col = col_ids_[dir].Intern(
          {std::move(used), dir == kEgress ? named_ports : 0});
      (dir == kIngress ? entry.ingress_col : entry.egress_col) = col;
    }
    return entry;
  }

  // Ingress rows resolve named ports on the row's pods (the destination).
  uint32_t RowFor(int dir, uint32_t cls, uint32_t named_ports) {
    const IdList& policies = class_policies_[dir][cls];
    if (policies.empty()) return internal::kNotIsolatedRow;
    return row_ids_[dir].Intern({policies, named_ports});
  }

  void BuildEndpoints() {
    pod_named_ports_.resize(cluster().pods.size());
    named_port_classes_.Intern({});  // id 0: no named ports
    const uint32_t no_signature = signature_ids_.Intern({});
    for (uint32_t i = 0; i < cluster().pods.size(); ++i) {
      pod_named_ports_[i] = NamedPortClass(cluster().pods[i]);
    }
    for (uint32_t i = 0; i < cluster().pods.size(); ++i) {
      const Pod& pod = cluster().pods[i];
      // hostNetwork pods are outside policy: they are their node's IPs.
      const uint32_t subject = pod.host_network ? kNoPod : i;
      CompiledSnapshot::PodEntries named;
      named.by_family[0] = named.by_family[1] =
          MakeEntry(subject, no_signature);
      for (const IpAddress& ip : pod.ips) {
        const int fam = ip.is_v4() ? 0 : 1;
        named.by_family[fam] = MakeEntry(subject, SignatureOf(ip));
        named.ip[fam] = ip;
        if (pod.host_network) continue;
        if (ip.is_v4()) {
          v4_pods_.emplace_back(ip.v4(), named.by_family[fam]);
        } else {
          out_.v6_pods_[{ip.hi, ip.lo}] = named.by_family[fam];
        }
      }
      if (!pod.ips.empty()) named.primary = pod.ips.front().is_v4() ? 0 : 1;
      out_.pods_by_name_[pod.namespace_name][pod.name] = named;
    }
    for (int fam = 0; fam < 2; ++fam) {
      ExternalRanges& ranges = out_.external_[fam];
      ranges.starts = interval_starts_[fam];
      for (uint32_t signature : interval_signature_[fam]) {
        ranges.entries.push_back(MakeEntry(kNoPod, signature));
      }
    }
  }

  // Computes every cell of one direction's table into wide_cells_[dir]
  // (port-set ids before the range check), rows x cols with row 0 empty.
  void FillTable(int dir, DirectionTable& table) {
    const auto& cols = col_ids_[dir].keys();
    const auto& rows = row_ids_[dir].keys();
    table.rows = static_cast<uint32_t>(rows.size()) + 1;
    table.cols = std::max<uint32_t>(1, static_cast<uint32_t>(cols.size()));
    std::vector<uint32_t>& cells = wide_cells_[dir];
    cells.assign(static_cast<size_t>(table.rows) * table.cols,
                 internal::kNoPorts);
    // Columns holding each peer.
    std::vector<IdList> peer_cols(peers_.size());
    for (uint32_t c = 0; c < cols.size(); ++c) {
      for (uint32_t id : cols[c].first) peer_cols[id].push_back(c);
    }
    std::vector<IdList> col_rules(cols.size());
    for (uint32_t r = 0; r < rows.size(); ++r) {
      const auto& [policies, row_named_ports] = rows[r];
      for (IdList& list : col_rules) list.clear();
      uint32_t rule_serial = 0;  // rules of this row, numbered in order
      std::vector<const PolicyRule*> row_rules;
      for (uint32_t p : policies) {
        for (const CompiledRule& rule : policy_rules_[dir][p]) {
          row_rules.push_back(rule.rule);
          if (rule.all_peers) {
            for (IdList& list : col_rules) list.push_back(rule_serial);
          } else {
            for (uint32_t id : rule.peers) {
              for (uint32_t c : peer_cols[id]) {
                if (col_rules[c].empty() ||
                    col_rules[c].back() != rule_serial) {
                  col_rules[c].push_back(rule_serial);
                }
              }
            }
          }
          ++rule_serial;
        }
      }
      absl::flat_hash_map<std::pair<IdList, uint32_t>, uint32_t> memo;
      for (uint32_t c = 0; c < cols.size(); ++c) {
        if (col_rules[c].empty()) continue;
        const uint32_t named_ports =
            dir == kIngress ? row_named_ports : cols[c].second;
        auto [it, inserted] = memo.try_emplace({col_rules[c], named_ports}, 0);
        if (inserted)
          it->second = PortSetFor(row_rules, col_rules[c], named_ports);
        cells[static_cast<size_t>(r + 1) * table.cols + c] = it->second;
      }
    }
  }

  void StoreCells() {
    for (int dir : {kIngress, kEgress}) {
      DirectionTable& table = Table(dir);
      table.cells.assign(wide_cells_[dir].begin(), wide_cells_[dir].end());
      wide_cells_[dir] = {};
    }
  }

  // Row 0 of each table: see PortMatcher.
  void MarkNotIsolatedRows(uint32_t not_isolated_set) {
    for (int dir : {kIngress, kEgress}) {
      DirectionTable& table = Table(dir);
      std::fill_n(table.cells.begin(), table.cols,
                  static_cast<internal::PortSetId>(not_isolated_set));
    }
  }

  // The IPv4 forms the batch path reads, from the final entries.
  void BuildV4Indexes() {
    out_.v4_pods_.Build(v4_pods_);
    const ExternalRanges& ranges = out_.external_[0];
    for (size_t i = 0; i < ranges.starts.size(); ++i) {
      out_.v4_external_starts_.push_back(ranges.starts[i].v4());
      out_.v4_external_coordinates_.push_back(ranges.entries[i]);
    }
    out_.v4_map_.Build(v4_pods_, out_.v4_external_starts_,
                       out_.v4_external_coordinates_,
                       out_.options_.max_v4_address_map_bytes);
    v4_pods_ = {};
  }

  // Entries hold cell indices as 32 bits.
  absl::Status CheckTableSizes() {
    for (int dir : {kIngress, kEgress}) {
      if (Table(dir).cells.size() > std::numeric_limits<uint32_t>::max()) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "the policies produce a ", Table(dir).rows, " x ", Table(dir).cols,
            " decision table; at most 2^32 cells are "
            "supported"));
      }
    }
    return absl::OkStatus();
  }

  DirectionTable& Table(int dir) {
    return dir == kIngress ? out_.ingress_ : out_.egress_;
  }

  // Rows (other than row 0, whose meaning is "not isolated") with equal
  // cells, then columns with equal cells, become one; endpoint entries are
  // renumbered. Typical clusters shrink several-fold, which keeps the
  // tables in cache.
  void MergeIdenticalRowsAndColumns() {
    std::vector<uint32_t> row_map[2], col_map[2];
    for (int dir : {kIngress, kEgress}) {
      DirectionTable& table = Table(dir);
      using Line = std::vector<internal::PortSetId>;
      auto row_begin = [&](uint32_t r) {
        return table.cells.begin() + size_t{r} * table.cols;
      };
      std::vector<Line> kept = {Line(row_begin(0), row_begin(1))};
      absl::flat_hash_map<Line, uint32_t> row_ids;
      row_map[dir].assign(table.rows, 0);
      for (uint32_t r = 1; r < table.rows; ++r) {
        Line row(row_begin(r), row_begin(r + 1));
        auto [it, inserted] = row_ids.try_emplace(row, kept.size());
        if (inserted) kept.push_back(std::move(row));
        row_map[dir][r] = it->second;
      }
      absl::flat_hash_map<Line, uint32_t> col_ids;
      std::vector<uint32_t> kept_cols;
      col_map[dir].assign(table.cols, 0);
      for (uint32_t c = 0; c < table.cols; ++c) {
        Line column;
        for (const Line& row : kept) column.push_back(row[c]);
        auto [it, inserted] =
            col_ids.try_emplace(std::move(column), kept_cols.size());
        if (inserted) kept_cols.push_back(c);
        col_map[dir][c] = it->second;
      }
      table.rows = static_cast<uint32_t>(kept.size());
      table.cols = static_cast<uint32_t>(kept_cols.size());
      table.cells.clear();
      for (const Line& row : kept) {
        for (uint32_t c : kept_cols) table.cells.push_back(row[c]);
      }
      table.cells.shrink_to_fit();
      // Entries address a row by the index of its first cell.
      for (uint32_t& row : row_map[dir]) row *= table.cols;
    }
    auto renumber = [&](EndpointEntry& e) {
      e.ingress_row_start = row_map[kIngress][e.ingress_row_start];
      e.egress_row_start = row_map[kEgress][e.egress_row_start];
      e.ingress_col = col_map[kIngress][e.ingress_col];
      e.egress_col = col_map[kEgress][e.egress_col];
    };
    for (auto& [ip, entry] : v4_pods_) renumber(entry);
    for (auto& [ip, entry] : out_.v6_pods_) renumber(entry);
    for (auto& [ns, pods] : out_.pods_by_name_) {
      for (auto& [name, pod] : pods) {
        renumber(pod.by_family[0]);
        renumber(pod.by_family[1]);
      }
    }
    for (ExternalRanges& ranges : out_.external_) {
      for (EndpointEntry& entry : ranges.entries) renumber(entry);
    }
  }

  // Keeps, per pod, the policies selecting it, for explanations.
  void RecordSelections() {
    Interner<IdList> selections;
    selections.Intern({});
    for (int dir : {kIngress, kEgress}) {
      out_.pod_selection_[dir].assign(cluster().pods.size(), 0);
      for (uint32_t i = 0; i < cluster().pods.size(); ++i) {
        if (pod_class_[i] == kNoPod) continue;
        out_.pod_selection_[dir][i] =
            selections.Intern(class_policies_[dir][pod_class_[i]]);
      }
    }
    out_.selections_ = selections.keys();
  }

  // The union of the ports of `rules` (indices into row_rules), with
  // named ports resolved against `named_ports`.
  uint32_t PortSetFor(const std::vector<const PolicyRule*>& row_rules,
                      const IdList& rules, uint32_t named_ports) {
    std::array<std::vector<PortRange>, kProtocolCount> ranges;
    const auto& exposed = named_port_classes_.keys()[named_ports];
    for (uint32_t index : rules) {
      const PolicyRule& rule = *row_rules[index];
      if (AllPorts(rule)) {
        for (auto& list : ranges) list.push_back({1, 65535});
        continue;
      }
      for (const PolicyPort& port : rule.ports) {
        auto& list = ranges[static_cast<int>(port.protocol)];
        if (port.port) {
          list.push_back({*port.port, port.end_port.value_or(*port.port)});
        } else if (!port.named_port.empty()) {
          for (const auto& [name, protocol, number] : exposed) {
            if (name == port.named_port &&
                protocol == static_cast<int>(port.protocol)) {
              list.push_back({number, number});
            }
          }
        } else {
          list.push_back({1, 65535});
        }
      }
    }
    std::vector<uint32_t> key;  // canonical: per protocol, merged ranges
    PortSet set;
    for (int proto = 0; proto < kProtocolCount; ++proto) {
      auto& list = ranges[proto];
      std::sort(list.begin(), list.end(),
                [](const PortRange& a, const PortRange& b) {
                  return a.first < b.first;
                });
      for (const PortRange& range : list) {
        auto& merged = set.ranges[proto];
        if (!merged.empty() && range.first <= merged.back().last + 1u) {
          merged.back().last = std::max(merged.back().last, range.last);
        } else {
          merged.push_back(range);
        }
      }
      key.push_back(kProtocolSeparator);
      for (const PortRange& range : set.ranges[proto]) {
        key.push_back((static_cast<uint32_t>(range.first) << 16) | range.last);
      }
    }
    const uint32_t id = port_set_ids_.Intern(key);
    if (id == port_sets_.size()) port_sets_.push_back(std::move(set));
    return id;
  }

  void FinishStats() {
    SnapshotStats& s = out_.stats_;
    s.namespaces = cluster().namespaces.size();
    s.pods = cluster().pods.size();
    s.policies = cluster().policies.size();
    s.ingress_rows = out_.ingress_.rows;
    s.ingress_cols = out_.ingress_.cols;
    s.egress_rows = out_.egress_.rows;
    s.egress_cols = out_.egress_.cols;
    s.port_sets = out_.port_sets_.size();
    s.external_ranges =
        out_.external_[0].starts.size() + out_.external_[1].starts.size();
    size_t bytes = out_.ingress_.memory_bytes() + out_.egress_.memory_bytes() +
                   out_.port_matcher_.memory_bytes();
    bytes += out_.v4_pods_.memory_bytes() + out_.v4_map_.memory_bytes();
    bytes +=
        out_.v6_pods_.capacity() *
        (sizeof(std::pair<std::pair<uint64_t, uint64_t>, EndpointEntry>) + 1);
    for (const auto& [ns, pods] : out_.pods_by_name_) {
      bytes +=
          pods.capacity() *
          (sizeof(std::pair<std::string, CompiledSnapshot::PodEntries>) + 1);
    }
    bytes += out_.v4_external_starts_.capacity() * sizeof(uint32_t) +
             out_.v4_external_coordinates_.capacity() *
                 sizeof(internal::TableCoordinates);
    for (const auto& ranges : out_.external_) {
      bytes += ranges.starts.capacity() * sizeof(IpAddress) +
               ranges.entries.capacity() * sizeof(EndpointEntry);
    }
    s.memory_bytes = bytes;
  }

  struct LabelClass {
    uint32_t ns;
    const Labels* labels;
  };

  CompiledSnapshot& out_;
  std::vector<PeerDef> peers_;
  IdList ip_block_peers_;
  std::vector<std::vector<CompiledRule>> policy_rules_[2];  // [dir][policy]
  std::vector<LabelClass> classes_;
  std::vector<std::vector<uint32_t>> classes_by_ns_;
  std::vector<uint32_t> pod_class_;        // per pod; kNoPod for hostNetwork
  std::vector<uint32_t> pod_named_ports_;  // per pod
  std::vector<IdList> class_policies_[2];  // [dir][class] selecting policies
  std::vector<IdList> class_peers_;        // [class] matched selector peers
  std::vector<IpAddress> interval_starts_[2];
  std::vector<uint32_t> interval_signature_[2];
  Interner<IdList> signature_ids_;
  Interner<std::vector<std::tuple<std::string, int, uint16_t>>>
      named_port_classes_;
  Interner<std::pair<IdList, uint32_t>> col_ids_[2];
  Interner<std::pair<IdList, uint32_t>> row_ids_[2]{
      Interner<std::pair<IdList, uint32_t>>(1),
      Interner<std::pair<IdList, uint32_t>>(1)};
  Interner<std::vector<uint32_t>> port_set_ids_;
  std::vector<uint32_t> wide_cells_[2];  // FillTable's output, [dir]
  std::vector<PortSet> port_sets_;       // by id; the matcher is built from it
  // IPv4 pod addresses and entries, indexed once the entries are final.
  std::vector<std::pair<uint32_t, EndpointEntry>> v4_pods_;
};

absl::StatusOr<std::unique_ptr<const CompiledSnapshot>>
CompiledSnapshot::Compile(Cluster cluster, const CompileOptions& options) {
  std::unique_ptr<CompiledSnapshot> snapshot(new CompiledSnapshot());
  snapshot->cluster_ = std::move(cluster);
  snapshot->options_ = options;
  SnapshotCompiler compiler(*snapshot);
  if (absl::Status status = compiler.Run(); !status.ok()) return status;
  return std::unique_ptr<const CompiledSnapshot>(std::move(snapshot));
}

}  // namespace netpol
