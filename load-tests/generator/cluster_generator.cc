#include "load-tests/generator/cluster_generator.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "load-tests/generator/rng.h"

namespace netpol {
namespace {

using generator::Rng;

// Independent PRNG streams derived from the seed.
constexpr uint64_t kNamespaceStream = 1;
constexpr uint64_t kPodStream = 2;
constexpr uint64_t kPolicyPlanStream = 3;
constexpr uint64_t kPolicyStreamBase = 1000;  // + namespace index

constexpr char kKubeSystem[] = "kube-system";
constexpr char kMonitoring[] = "monitoring";
constexpr char kIngressNginx[] = "ingress-nginx";
constexpr int kPlatformNamespaces = 3;

// Pods per node on average; each node owns a /24 of pod addresses.
constexpr int kPodsPerNode = 110;
constexpr int kFirstHostOffset = 2;
constexpr int kLastHostOffset = 254;

// Characters of Kubernetes-generated name suffixes (no vowels, no 0/1/3).
constexpr char kNameAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";

std::string RandomSuffix(Rng& rng, int length) {
  std::string s(length, 'x');
  for (char& c : s) c = kNameAlphabet[rng.Below(sizeof(kNameAlphabet) - 1)];
  return s;
}

enum class Tier { kFrontend, kBackend, kData, kWorker, kPlatform };

const char* TierName(Tier tier) {
  switch (tier) {
    case Tier::kFrontend:
      return "frontend";
    case Tier::kBackend:
      return "backend";
    case Tier::kData:
      return "data";
    case Tier::kWorker:
      return "worker";
    case Tier::kPlatform:
      return "platform";
  }
  return "backend";
}

const std::vector<std::string>& Teams() {
  static const auto* teams = new std::vector<std::string>{
      "payments",  "checkout", "catalog", "identity",  "search",
      "growth",    "data",     "ml",      "logistics", "support",
      "marketing", "infra",    "mobile",  "analytics"};
  return *teams;
}

const std::vector<std::string>& Products() {
  static const auto* products = new std::vector<std::string>{
      "core", "web",   "api",      "platform", "batch", "edge",   "internal",
      "ops",  "tools", "realtime", "legacy",   "beta",  "public", "shared"};
  return *products;
}

const std::vector<std::string>& AppNames(Tier tier) {
  static const auto* frontend = new std::vector<std::string>{
      "web", "ui", "storefront", "portal", "admin-ui", "gateway", "bff"};
  static const auto* backend = new std::vector<std::string>{
      "api",      "orders",   "payments",        "users",    "catalog",
      "search",   "auth",     "notifications",   "billing",  "inventory",
      "cart",     "checkout", "recommendations", "shipping", "pricing",
      "accounts", "reviews",  "ledger",          "profile",  "sessions"};
  static const auto* data = new std::vector<std::string>{
      "postgres", "redis",         "mongodb",   "kafka",
      "mysql",    "elasticsearch", "memcached", "rabbitmq"};
  static const auto* worker = new std::vector<std::string>{
      "worker",   "scheduler", "indexer",   "mailer",         "etl",
      "reporter", "sync",      "dns-cache", "diameter-proxy", "cleanup"};
  switch (tier) {
    case Tier::kFrontend:
      return *frontend;
    case Tier::kBackend:
      return *backend;
    case Tier::kData:
      return *data;
    case Tier::kWorker:
    case Tier::kPlatform:
      return *worker;
  }
  return *backend;
}

ContainerPort Port(std::string name, uint16_t number,
                   Protocol protocol = Protocol::kTcp) {
  return ContainerPort{std::move(name), number, protocol};
}

struct Workload {
  int ns = 0;
  std::string app;
  Tier tier = Tier::kBackend;
  Labels labels;
  std::vector<ContainerPort> ports;
  int replicas = 1;
  bool host_network = false;
  bool daemon_set = false;
};

struct NamespaceInfo {
  std::string name;
  std::string team;  // empty for platform namespaces
  std::string env;
  bool platform = false;
  std::vector<int> workloads;  // indices into ClusterBuilder::workloads_
};

// Policy-adoption profile of a namespace, drawn independently of how many
// policies are generated.
struct NamespacePlan {
  uint32_t maturity = 0;  // relative appetite for policies
  bool egress_locked = false;
  bool allow_same_namespace = false;
  bool allow_egress_same_namespace = false;
  int budget = 0;
};

// --- Selector, peer and port helpers -------------------------------------

LabelSelector MatchLabels(
    std::initializer_list<std::pair<std::string, std::string>> labels) {
  LabelSelector s;
  for (const auto& [k, v] : labels) s.match_labels[k] = v;
  return s;
}

SelectorRequirement Requirement(std::string key, SelectorOperator op,
                                std::vector<std::string> values = {}) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return SelectorRequirement{std::move(key), op, std::move(values)};
}

LabelSelector NamespaceNamed(const std::string& name) {
  return MatchLabels({{kNamespaceNameLabel, name}});
}

Peer PodPeer(LabelSelector pods) {
  Peer p;
  p.pod_selector = std::move(pods);
  return p;
}

Peer NamespacePeer(LabelSelector namespaces) {
  Peer p;
  p.namespace_selector = std::move(namespaces);
  return p;
}

Peer AndPeer(LabelSelector namespaces, LabelSelector pods) {
  Peer p;
  p.namespace_selector = std::move(namespaces);
  p.pod_selector = std::move(pods);
  return p;
}

Cidr V4Cidr(uint32_t a, uint32_t b, uint32_t c, uint32_t d, int prefix) {
  const uint32_t ip = (a << 24) | (b << 16) | (c << 8) | d;
  const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return Cidr{IpAddress::V4(ip & mask), prefix};
}

// IPv6 CIDR from the top 64 bits (prefix <= 64).
Cidr V6Cidr(uint64_t hi, int prefix) {
  const uint64_t mask = prefix == 0 ? 0 : ~uint64_t{0} << (64 - prefix);
  return Cidr{IpAddress::V6(hi & mask, 0), prefix};
}

Peer BlockPeer(Cidr cidr, std::vector<Cidr> except = {}) {
  Peer p;
  p.ip_block = IpBlock{cidr, std::move(except)};
  return p;
}

PolicyPort NumericPort(uint16_t port, Protocol protocol = Protocol::kTcp) {
  PolicyPort p;
  p.protocol = protocol;
  p.port = port;
  return p;
}

PolicyPort RangePort(uint16_t first, uint16_t last,
                     Protocol protocol = Protocol::kTcp) {
  PolicyPort p = NumericPort(first, protocol);
  p.end_port = last;
  return p;
}

PolicyPort NamedPort(std::string name, Protocol protocol = Protocol::kTcp) {
  PolicyPort p;
  p.protocol = protocol;
  p.named_port = std::move(name);
  return p;
}

PolicyPort AllPortsOf(Protocol protocol) {
  PolicyPort p;
  p.protocol = protocol;
  return p;
}

Peer KubeDnsPeer() {
  return AndPeer(NamespaceNamed(kKubeSystem),
                 MatchLabels({{"k8s-app", "kube-dns"}}));
}

PolicyRule DnsEgressRule() {
  PolicyRule r;
  r.peers.push_back(KubeDnsPeer());
  r.ports.push_back(NumericPort(53, Protocol::kUdp));
  r.ports.push_back(NumericPort(53, Protocol::kTcp));
  return r;
}

std::vector<Cidr> PrivateV4Ranges() {
  return {V4Cidr(10, 0, 0, 0, 8), V4Cidr(172, 16, 0, 0, 12),
          V4Cidr(192, 168, 0, 0, 16)};
}

// Internet egress on 443: 0.0.0.0/0 minus private ranges, optionally IPv6.
PolicyRule InternetHttpsRule(bool with_v6) {
  PolicyRule r;
  r.peers.push_back(BlockPeer(V4Cidr(0, 0, 0, 0, 0), PrivateV4Ranges()));
  if (with_v6) {
    r.peers.push_back(
        BlockPeer(V6Cidr(0, 0), {V6Cidr(0xfd00000000000000ull, 8)}));
  }
  r.ports.push_back(NumericPort(443));
  return r;
}

// --- The builder -----------------------------------------------------------

class ClusterBuilder {
 public:
  explicit ClusterBuilder(const GeneratorOptions& options)
      : options_(options),
        namespace_count_(std::max(1, options.namespaces)),
        pod_count_(std::max(0, options.pods)),
        policy_count_(std::max(0, options.policies)) {}

  Cluster Build() {
    MakeNamespaces();
    MakeWorkloads();
    MakePods();
    MakePolicies();
    int document = 0;
    for (Namespace& ns : cluster_.namespaces) SetSource(&ns.source, ++document);
    for (Pod& pod : cluster_.pods) SetSource(&pod.source, ++document);
    for (NetworkPolicy& p : cluster_.policies) SetSource(&p.source, ++document);
    return std::move(cluster_);
  }

 private:
  static void SetSource(SourceLocation* source, int document) {
    source->file = "generated";
    source->document = document;
  }

  // Namespaces -------------------------------------------------------------

  void MakeNamespaces() {
    Rng rng(options_.seed, kNamespaceStream);
    absl::flat_hash_set<std::string> taken;
    const char* platform[kPlatformNamespaces] = {kKubeSystem, kMonitoring,
                                                 kIngressNginx};
    for (int i = 0; i < namespace_count_; ++i) {
      NamespaceInfo info;
      Namespace ns;
      if (i < kPlatformNamespaces) {
        info.name = platform[i];
        info.platform = true;
        ns.labels[kNamespaceNameLabel] = info.name;
        if (i == 1) {
          ns.labels["team"] = "sre";
          ns.labels["purpose"] = "observability";
        } else if (i == 2) {
          ns.labels["team"] = "sre";
          ns.labels["app.kubernetes.io/name"] = "ingress-nginx";
        }
      } else {
        info.team = rng.Pick(Teams());
        static const std::vector<std::string> kEnvs = {"prod", "staging",
                                                       "dev"};
        info.env = kEnvs[rng.Weighted({5, 3, 2})];
        std::string name = absl::StrCat(info.team, "-", info.env);
        for (int attempt = 0; taken.contains(name); ++attempt) {
          if (attempt < 8) {
            name = absl::StrCat(info.team, "-", rng.Pick(Products()), "-",
                                info.env);
          } else {
            name = absl::StrCat(info.team, "-", rng.Pick(Products()), "-",
                                info.env, "-", attempt - 6);
          }
        }
        info.name = name;
        ns.labels[kNamespaceNameLabel] = name;
        ns.labels["team"] = info.team;
        ns.labels["env"] = info.env;
        if (rng.Chance(0.3)) ns.labels["istio-injection"] = "enabled";
        if (rng.Chance(0.4)) {
          ns.labels["pod-security.kubernetes.io/enforce"] =
              rng.Chance(0.6) ? "restricted" : "baseline";
        }
        if ((info.team == "payments" || info.team == "checkout") &&
            info.env == "prod") {
          ns.labels["compliance"] = "pci";
        }
      }
      taken.insert(info.name);
      ns.name = info.name;
      cluster_.namespaces.push_back(std::move(ns));
      namespaces_.push_back(std::move(info));
    }
  }

  // Workloads ----------------------------------------------------------------

  int AddWorkload(Workload w) {
    const int index = static_cast<int>(workloads_.size());
    namespaces_[w.ns].workloads.push_back(index);
    workloads_.push_back(std::move(w));
    return index;
  }

  void MakePlatformWorkloads(Rng& rng, int* pods_left) {
    auto add = [&](int ns, std::string app, Labels labels,
                   std::vector<ContainerPort> ports, int replicas,
                   bool host_network = false) {
      if (ns >= namespace_count_ || *pods_left <= 0) return;
      Workload w;
      w.ns = ns;
      w.app = std::move(app);
      w.tier = Tier::kPlatform;
      w.labels = std::move(labels);
      w.daemon_set = host_network;
      if (w.daemon_set) {
        w.labels["controller-revision-hash"] = RandomSuffix(rng, 10);
        w.labels["pod-template-generation"] = "1";
      } else {
        w.labels["pod-template-hash"] = RandomSuffix(rng, 10);
      }
      w.ports = std::move(ports);
      w.replicas = std::min(replicas, *pods_left);
      w.host_network = host_network;
      *pods_left -= w.replicas;
      AddWorkload(std::move(w));
    };
    add(0, "coredns", {{"k8s-app", "kube-dns"}},
        {Port("dns", 53, Protocol::kUdp), Port("dns-tcp", 53),
         Port("metrics", 9153)},
        2);
    add(0, "metrics-server", {{"k8s-app", "metrics-server"}},
        {Port("https", 10250)}, 1);
    add(1, "prometheus",
        {{"app", "prometheus"}, {"app.kubernetes.io/name", "prometheus"}},
        {Port("web", 9090)}, 2);
    add(1, "grafana",
        {{"app", "grafana"}, {"app.kubernetes.io/name", "grafana"}},
        {Port("http", 3000)}, 1);
    // A DaemonSet on host network, on a few nodes only (the rest of the
    // fleet would be outside the generated scope).
    const int exporters =
        std::min(node_count(), std::max(1, pod_count_ / 2000));
    add(1, "node-exporter",
        {{"app", "node-exporter"}, {"app.kubernetes.io/name", "node-exporter"}},
        {Port("metrics", 9100)}, exporters, /*host_network=*/true);
    add(2, "ingress-nginx-controller",
        {{"app.kubernetes.io/name", "ingress-nginx"},
         {"app.kubernetes.io/component", "controller"}},
        {Port("http", 80), Port("https", 443), Port("metrics", 10254)}, 3);
  }

  static std::vector<ContainerPort> DataPorts(const std::string& kind,
                                              Rng& rng) {
    std::vector<ContainerPort> ports;
    uint16_t metrics = 9100;
    if (kind == "postgres") {
      ports = {Port("postgres", 5432)};
      metrics = 9187;
    } else if (kind == "redis") {
      ports = {Port("redis", 6379)};
      metrics = 9121;
    } else if (kind == "mongodb") {
      ports = {Port("mongodb", 27017)};
      metrics = 9216;
    } else if (kind == "kafka") {
      ports = {Port("kafka", 9092), Port("kafka-ctrl", 9093)};
      metrics = 9308;
    } else if (kind == "mysql") {
      ports = {Port("mysql", 3306)};
      metrics = 9104;
    } else if (kind == "elasticsearch") {
      ports = {Port("http", 9200), Port("transport", 9300)};
      metrics = 9114;
    } else if (kind == "memcached") {
      ports = {Port("memcache", 11211),
               Port("memcache-udp", 11211, Protocol::kUdp)};
      metrics = 9150;
    } else {  // rabbitmq
      ports = {Port("amqp", 5672), Port("management", 15672)};
      metrics = 15692;
    }
    if (rng.Chance(0.7)) ports.push_back(Port("metrics", metrics));
    return ports;
  }

  void MakeTeamWorkloads(Rng& rng, int ns, int pods) {
    absl::flat_hash_set<std::string> apps;
    const NamespaceInfo& info = namespaces_[ns];
    while (pods > 0) {
      Workload w;
      w.ns = ns;
      static const Tier kTiers[] = {Tier::kFrontend, Tier::kBackend,
                                    Tier::kData, Tier::kWorker};
      w.tier = kTiers[rng.Weighted({15, 45, 15, 25})];
      const std::string base = rng.Pick(AppNames(w.tier));
      std::string app = base;
      if (w.tier == Tier::kData && rng.Chance(0.4)) {
        app = absl::StrCat(rng.Pick(AppNames(Tier::kBackend)), "-", base);
      }
      for (int k = 2; apps.contains(app); ++k) {
        app = absl::StrCat(base, "-", k);
      }
      apps.insert(app);
      w.app = app;

      static const int kReplicas[] = {1, 2, 3, 4, 5, 6, 8};
      w.replicas =
          std::min(kReplicas[rng.Weighted({20, 30, 30, 10, 4, 3, 3})], pods);
      pods -= w.replicas;

      w.labels["app"] = app;
      w.labels["tier"] = TierName(w.tier);
      static const std::vector<std::string> kVersions = {"v1", "v2", "v3"};
      w.labels["version"] = kVersions[rng.Weighted({50, 35, 15})];
      w.labels["pod-template-hash"] = RandomSuffix(rng, 10);
      if (rng.Chance(0.5)) w.labels["app.kubernetes.io/name"] = app;
      if (rng.Chance(0.3)) w.labels["app.kubernetes.io/part-of"] = info.team;
      if (rng.Chance(0.35)) w.labels["team"] = info.team;
      if (rng.Chance(0.01)) w.labels["quarantine"] = "true";

      switch (w.tier) {
        case Tier::kFrontend: {
          static const uint16_t kHttp[] = {8080, 3000, 80};
          w.ports.push_back(Port("http", kHttp[rng.Weighted({70, 15, 15})]));
          if (rng.Chance(0.8)) w.ports.push_back(Port("metrics", 9090));
          break;
        }
        case Tier::kBackend: {
          const size_t kind = rng.Weighted({55, 30, 15});
          if (kind != 1) w.ports.push_back(Port("http", 8080));
          if (kind != 0) w.ports.push_back(Port("grpc", 50051));
          if (rng.Chance(0.1)) w.ports.push_back(Port("", 8081));
          if (rng.Chance(0.85)) w.ports.push_back(Port("metrics", 9090));
          break;
        }
        case Tier::kData:
          w.ports = DataPorts(base, rng);
          if (rng.Chance(0.5)) w.labels["security-tier"] = "restricted";
          break;
        case Tier::kWorker:
        case Tier::kPlatform:
          if (base == "dns-cache") {
            w.ports = {Port("dns", 53, Protocol::kUdp), Port("dns-tcp", 53)};
          } else if (base == "diameter-proxy") {
            w.ports = {Port("diameter", 3868, Protocol::kSctp)};
          } else if (rng.Chance(0.1)) {
            w.ports.push_back(Port("", 8086));
          }
          if (rng.Chance(0.9)) w.ports.push_back(Port("metrics", 9090));
          break;
      }
      AddWorkload(std::move(w));
    }
  }

  void MakeWorkloads() {
    Rng rng(options_.seed, kPodStream);
    int pods_left = pod_count_;
    MakePlatformWorkloads(rng, &pods_left);

    std::vector<int> team;
    for (int i = kPlatformNamespaces; i < namespace_count_; ++i) {
      team.push_back(i);
    }
    if (team.empty()) {
      for (int i = 0; i < namespace_count_; ++i) team.push_back(i);
    }
    // Uneven namespace sizes: a few large namespaces, many small ones.
    std::vector<uint64_t> weights;
    uint64_t total = 0;
    for (size_t i = 0; i < team.size(); ++i) {
      uint64_t w = 2 + rng.Below(7);
      if (rng.Chance(0.15)) w += 10 + rng.Below(15);
      weights.push_back(w);
      total += w;
    }
    const std::vector<int> sizes = Apportion(pods_left, weights, total);
    for (size_t i = 0; i < team.size(); ++i) {
      MakeTeamWorkloads(rng, team[i], sizes[i]);
    }
  }

  // Splits `amount` proportionally to integer weights, largest remainder
  // first (ties to the lower index). Exact integer arithmetic.
  static std::vector<int> Apportion(int amount,
                                    const std::vector<uint64_t>& weights,
                                    uint64_t total) {
    std::vector<int> shares(weights.size(), 0);
    if (weights.empty() || amount <= 0) return shares;
    if (total == 0) {
      for (size_t i = 0; i < shares.size(); ++i) {
        shares[i] = static_cast<int>(amount / shares.size() +
                                     (i < amount % shares.size() ? 1 : 0));
      }
      return shares;
    }
    std::vector<std::pair<uint64_t, size_t>> remainders;
    int given = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      const unsigned __int128 scaled =
          static_cast<unsigned __int128>(amount) * weights[i];
      shares[i] = static_cast<int>(scaled / total);
      given += shares[i];
      remainders.push_back({static_cast<uint64_t>(scaled % total), i});
    }
    std::stable_sort(
        remainders.begin(), remainders.end(),
        [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t k = 0; given < amount; ++k, ++given) {
      ++shares[remainders[k % remainders.size()].second];
    }
    return shares;
  }

  // Pods and addresses -------------------------------------------------------

  int node_count() const {
    return std::max(1, (pod_count_ + kPodsPerNode - 1) / kPodsPerNode);
  }

  // Next free pod address on `node` or a later one (wrapping, adding nodes
  // when every /24 is full).
  std::pair<int, int> AllocateSlot(Rng& rng, int node) {
    for (size_t tried = 0;; ++tried) {
      if (tried >= next_offset_.size()) {
        next_offset_.push_back(kFirstHostOffset);
        node = static_cast<int>(next_offset_.size()) - 1;
      }
      int& offset = next_offset_[node];
      if (offset <= kLastHostOffset) {
        const int slot = offset;
        offset += 1;
        // Gaps left by deleted pods.
        if (rng.Chance(0.1)) offset += 1 + static_cast<int>(rng.Below(3));
        return {node, slot};
      }
      node = (node + 1) % static_cast<int>(next_offset_.size());
    }
  }

  static IpAddress PodV4(int node, int offset) {
    // 10.64.0.0/10 and up: node n owns 10.(64 + n / 256).(n % 256).0/24.
    const uint32_t second = static_cast<uint32_t>(64 + node / 256) & 0xFF;
    const uint32_t third = static_cast<uint32_t>(node % 256);
    return IpAddress::V4((10u << 24) | (second << 16) | (third << 8) |
                         static_cast<uint32_t>(offset));
  }

  static IpAddress PodV6(int node, int offset) {
    // fd00:10:0:<node>::<offset>
    return IpAddress::V6(0xfd00001000000000ull | static_cast<uint64_t>(node),
                         static_cast<uint64_t>(offset));
  }

  static IpAddress NodeV4(int node) {
    // 172.20.0.0/16 and up.
    const uint32_t n = static_cast<uint32_t>(node) + 10;
    return IpAddress::V4((172u << 24) | ((20u + n / 65536) << 16) |
                         (n % 65536));
  }

  void MakePods() {
    Rng rng(options_.seed, kPodStream + 100);
    const int nodes = node_count();
    next_offset_.assign(nodes, kFirstHostOffset);
    for (int& offset : next_offset_) {
      offset += static_cast<int>(rng.Below(8));
    }
    absl::flat_hash_set<std::string> names;
    cluster_.pods.reserve(pod_count_);
    for (const Workload& w : workloads_) {
      const std::string& ns = namespaces_[w.ns].name;
      for (int r = 0; r < w.replicas; ++r) {
        Pod pod;
        pod.namespace_name = ns;
        pod.labels = w.labels;
        pod.ports = w.ports;
        do {
          pod.name =
              w.daemon_set
                  ? absl::StrCat(w.app, "-", RandomSuffix(rng, 5))
                  : absl::StrCat(w.app, "-", w.labels.at("pod-template-hash"),
                                 "-", RandomSuffix(rng, 5));
        } while (!names.insert(absl::StrCat(ns, "/", pod.name)).second);
        if (w.host_network) {
          // One exporter per node, spread over the fleet.
          const int node = static_cast<int>((static_cast<int64_t>(r) * nodes) /
                                            std::max(1, w.replicas));
          pod.host_network = true;
          pod.ips.push_back(NodeV4(node));
        } else {
          const auto [node, offset] =
              AllocateSlot(rng, static_cast<int>(rng.Below(nodes)));
          pod.ips.push_back(PodV4(node, offset));
          if (rng.Chance(options_.dual_stack_fraction)) {
            pod.ips.push_back(PodV6(node, offset));
          }
        }
        cluster_.pods.push_back(std::move(pod));
      }
    }
  }

  // Policies -----------------------------------------------------------------

  void MakePolicies() {
    Rng plan_rng(options_.seed, kPolicyPlanStream);
    std::vector<NamespacePlan> plans(namespace_count_);
    std::vector<uint64_t> weights;
    uint64_t total = 0;
    for (int i = 0; i < namespace_count_; ++i) {
      NamespacePlan& plan = plans[i];
      // Drawn for every namespace, so plans do not depend on the count.
      static const uint32_t kMaturity[] = {0, 1, 2, 3, 0};
      const size_t m = plan_rng.Weighted({25, 15, 15, 15, 30});
      plan.maturity =
          m == 4 ? 8 + static_cast<uint32_t>(plan_rng.Below(16)) : kMaturity[m];
      plan.egress_locked = plan_rng.Chance(0.4);
      plan.allow_same_namespace = plan_rng.Chance(0.35);
      plan.allow_egress_same_namespace = plan_rng.Chance(0.5);
      if (namespaces_[i].platform) plan.maturity = i == 0 ? 1 : 2;
      const uint64_t w = uint64_t{plan.maturity} *
                         std::max<uint64_t>(1, namespaces_[i].workloads.size());
      weights.push_back(w);
      total += w;
    }
    const std::vector<int> budgets = Apportion(policy_count_, weights, total);
    for (int i = 0; i < namespace_count_; ++i) {
      plans[i].budget = budgets[i];
      if (plans[i].budget > 0) MakeNamespacePolicies(i, plans[i]);
    }
  }

  // Selector for one workload's pods, in one of the styles people use.
  LabelSelector WorkloadSelector(const Workload& w, Rng& rng) const {
    auto app_it = w.labels.find("app");
    const std::string key =
        app_it != w.labels.end() ? "app" : w.labels.begin()->first;
    const std::string value = w.labels.at(key);
    const size_t style = rng.Weighted({70, 15, 15});
    LabelSelector s;
    s.match_labels[key] = value;
    if (style == 1 && w.labels.contains("tier")) {
      s.match_labels["tier"] = w.labels.at("tier");
    } else if (style == 2) {
      s.match_labels.clear();
      s.expressions.push_back(Requirement(key, SelectorOperator::kIn, {value}));
      s.expressions.push_back(
          Requirement("pod-template-hash", SelectorOperator::kExists));
    }
    return s;
  }

  // The port clients use to reach `w`, as a policy port: named or numeric.
  static std::vector<PolicyPort> ServingPorts(const Workload& w, Rng& rng,
                                              bool allow_range) {
    std::vector<PolicyPort> ports;
    for (const ContainerPort& p : w.ports) {
      if (p.name == "metrics") continue;
      if (allow_range && rng.Chance(0.12) && p.protocol == Protocol::kTcp) {
        const uint16_t first = static_cast<uint16_t>(p.port - p.port % 100);
        ports.push_back(RangePort(first, static_cast<uint16_t>(first + 99)));
      } else if (!p.name.empty() && rng.Chance(0.55)) {
        ports.push_back(NamedPort(p.name, p.protocol));
      } else {
        ports.push_back(NumericPort(p.port, p.protocol));
      }
    }
    return ports;
  }

  std::string RandomTeam(Rng& rng, const NamespaceInfo& info) const {
    if (!info.team.empty() && rng.Chance(0.6)) return info.team;
    return rng.Pick(Teams());
  }

  // First per-workload policy: who may connect to it.
  NetworkPolicy IngressPolicy(const NamespaceInfo& info, const Workload& w,
                              Rng& rng) const {
    NetworkPolicy p;
    p.name = absl::StrCat(w.app, "-ingress");
    p.pod_selector = WorkloadSelector(w, rng);
    p.affects_ingress = true;
    PolicyRule rule;
    switch (w.tier) {
      case Tier::kFrontend: {
        rule.peers.push_back(AndPeer(
            NamespaceNamed(kIngressNginx),
            MatchLabels({{"app.kubernetes.io/name", "ingress-nginx"}})));
        rule.ports = ServingPorts(w, rng, false);
        p.ingress.push_back(std::move(rule));
        if (rng.Chance(0.3)) {
          PolicyRule office;
          std::vector<Cidr> except;
          if (rng.Chance(0.5)) except.push_back(V4Cidr(192, 0, 2, 128, 28));
          office.peers.push_back(
              BlockPeer(V4Cidr(192, 0, 2, 0, 24), std::move(except)));
          office.ports = ServingPorts(w, rng, false);
          p.ingress.push_back(std::move(office));
        }
        break;
      }
      case Tier::kBackend: {
        const size_t style = rng.Weighted({50, 25, 25});
        if (style == 0) {
          rule.peers.push_back(PodPeer(MatchLabels({{"tier", "frontend"}})));
        } else {
          LabelSelector s;
          s.expressions.push_back(Requirement("tier", SelectorOperator::kIn,
                                              {"frontend", "backend"}));
          if (style == 2) {
            s.expressions.push_back(
                Requirement("quarantine", SelectorOperator::kDoesNotExist));
          }
          rule.peers.push_back(PodPeer(std::move(s)));
        }
        if (rng.Chance(0.4)) {
          LabelSelector ns = MatchLabels({{"team", RandomTeam(rng, info)}});
          if (!info.env.empty() && rng.Chance(0.5)) {
            ns.match_labels["env"] = info.env;
          }
          rule.peers.push_back(
              AndPeer(std::move(ns), MatchLabels({{"tier", "frontend"}})));
        }
        rule.ports = ServingPorts(w, rng, true);
        p.ingress.push_back(std::move(rule));
        break;
      }
      case Tier::kData: {
        LabelSelector s;
        s.expressions.push_back(
            Requirement("tier", SelectorOperator::kIn, {"backend", "worker"}));
        s.expressions.push_back(
            Requirement("quarantine", SelectorOperator::kDoesNotExist));
        rule.peers.push_back(PodPeer(std::move(s)));
        // Replicas talk to each other.
        rule.peers.push_back(PodPeer(MatchLabels({{"app", w.app}})));
        if (rng.Chance(0.3)) {
          rule.peers.push_back(
              AndPeer(MatchLabels({{"team", RandomTeam(rng, info)}}),
                      MatchLabels({{"tier", "backend"}})));
        }
        rule.ports = ServingPorts(w, rng, false);
        p.ingress.push_back(std::move(rule));
        break;
      }
      case Tier::kWorker:
        if (rng.Chance(0.5)) {
          p.name = absl::StrCat(w.app, "-deny-ingress");
        } else {
          rule.peers.push_back(
              AndPeer(NamespaceNamed(kMonitoring),
                      MatchLabels({{"app.kubernetes.io/name", "prometheus"}})));
          rule.ports.push_back(NamedPort("metrics"));
          p.ingress.push_back(std::move(rule));
        }
        break;
      case Tier::kPlatform:
        if (w.app == "coredns") {
          rule.peers.push_back(NamespacePeer(LabelSelector{}));
          rule.ports = {NumericPort(53, Protocol::kUdp), NumericPort(53)};
        } else if (w.app == "ingress-nginx-controller") {
          rule.peers.push_back(BlockPeer(V4Cidr(0, 0, 0, 0, 0)));
          rule.peers.push_back(BlockPeer(V6Cidr(0, 0)));
          rule.ports = {NumericPort(80), NumericPort(443)};
        } else {
          rule.peers.push_back(NamespacePeer(NamespaceNamed(kMonitoring)));
          rule.peers.push_back(NamespacePeer(NamespaceNamed(kIngressNginx)));
          rule.ports = ServingPorts(w, rng, false);
        }
        p.ingress.push_back(std::move(rule));
        break;
    }
    return p;
  }

  // Second per-workload policy: where it may connect to.
  NetworkPolicy EgressPolicy(const NamespaceInfo& info, const Workload& w,
                             Rng& rng) const {
    NetworkPolicy p;
    p.name = absl::StrCat(w.app, "-egress");
    p.pod_selector = WorkloadSelector(w, rng);
    p.affects_egress = true;
    if (rng.Chance(0.9)) p.egress.push_back(DnsEgressRule());
    PolicyRule rule;
    switch (w.tier) {
      case Tier::kFrontend:
        rule.peers.push_back(PodPeer(MatchLabels({{"tier", "backend"}})));
        rule.ports = {NamedPort("http"), NamedPort("grpc")};
        p.egress.push_back(std::move(rule));
        break;
      case Tier::kBackend:
      case Tier::kWorker: {
        if (rng.Chance(0.5)) {
          rule.peers.push_back(PodPeer(MatchLabels({{"tier", "data"}})));
        } else {
          LabelSelector s;
          s.expressions.push_back(
              Requirement("tier", SelectorOperator::kIn, {"data", "backend"}));
          rule.peers.push_back(PodPeer(std::move(s)));
          rule.ports = {NamedPort("http"),     NamedPort("grpc"),
                        NamedPort("postgres"), NamedPort("redis"),
                        NamedPort("kafka"),    NamedPort("mysql"),
                        NamedPort("mongodb"),  NamedPort("amqp")};
        }
        p.egress.push_back(std::move(rule));
        if (rng.Chance(0.4)) {
          p.egress.push_back(InternetHttpsRule(rng.Chance(0.35)));
        }
        if (rng.Chance(0.2)) {
          PolicyRule db;
          std::vector<Cidr> except;
          if (rng.Chance(0.5)) except.push_back(V4Cidr(203, 0, 113, 128, 25));
          db.peers.push_back(
              BlockPeer(V4Cidr(203, 0, 113, 0, 24), std::move(except)));
          db.ports = {NumericPort(5432), RangePort(6379, 6380)};
          p.egress.push_back(std::move(db));
        }
        break;
      }
      case Tier::kData:
        rule.peers.push_back(PodPeer(MatchLabels({{"app", w.app}})));
        p.egress.push_back(std::move(rule));
        break;
      case Tier::kPlatform:
        rule.peers.push_back(NamespacePeer(LabelSelector{}));
        p.egress.push_back(std::move(rule));
        break;
    }
    (void)info;
    return p;
  }

  // Later rounds: the long tail of real-world policy styles.
  NetworkPolicy ExtraPolicy(const NamespaceInfo& info, const Workload& w,
                            int round, Rng& rng) const {
    NetworkPolicy p;
    p.pod_selector = WorkloadSelector(w, rng);
    PolicyRule rule;
    const size_t kind = rng.Weighted({18, 10, 10, 6, 12, 8, 14, 10, 12});
    std::string what;
    switch (kind) {
      case 0: {  // cross-namespace, matchExpressions on both selectors
        what = "from-envs";
        LabelSelector ns;
        ns.expressions.push_back(
            Requirement("env", SelectorOperator::kIn, {"prod", "staging"}));
        ns.expressions.push_back(
            Requirement("team", SelectorOperator::kExists));
        LabelSelector pods;
        pods.expressions.push_back(
            Requirement("tier", SelectorOperator::kNotIn, {"data"}));
        pods.expressions.push_back(
            Requirement("quarantine", SelectorOperator::kDoesNotExist));
        rule.peers.push_back(AndPeer(std::move(ns), std::move(pods)));
        rule.ports = ServingPorts(w, rng, false);
        p.affects_ingress = true;
        p.ingress.push_back(std::move(rule));
        break;
      }
      case 1:  // numeric port ranges from the namespace
        what = "nodeports";
        rule.peers.push_back(PodPeer(LabelSelector{}));
        rule.ports = {RangePort(30000, 32767),
                      RangePort(5000, 5100, Protocol::kUdp)};
        p.affects_ingress = true;
        p.ingress.push_back(std::move(rule));
        break;
      case 2: {  // egress to partner ranges, IPv4 and IPv6, with except
        what = "partners";
        rule.peers.push_back(BlockPeer(V4Cidr(198, 51, 100, 0, 24),
                                       {V4Cidr(198, 51, 100, 0, 26)}));
        rule.peers.push_back(BlockPeer(V6Cidr(0x20010db800000000ull, 32),
                                       {V6Cidr(0x20010db8dead0000ull, 48)}));
        rule.ports = {NumericPort(443), RangePort(8443, 8449)};
        p.affects_egress = true;
        p.egress.push_back(std::move(rule));
        p.egress.push_back(DnsEgressRule());
        break;
      }
      case 3:  // canary open to everyone
        what = "canary-allow-all";
        p.pod_selector.match_labels["version"] = "v3";
        p.affects_ingress = true;
        p.ingress.push_back(PolicyRule{});
        break;
      case 4:  // kubelet / node health checks from the node network
        what = "from-nodes";
        rule.peers.push_back(BlockPeer(V4Cidr(172, 20, 0, 0, 16)));
        rule.ports = ServingPorts(w, rng, false);
        if (rule.ports.empty()) rule.ports.push_back(NamedPort("metrics"));
        p.affects_ingress = true;
        p.ingress.push_back(std::move(rule));
        break;
      case 5: {  // UDP and SCTP services
        what = "udp-sctp";
        LabelSelector s;
        s.expressions.push_back(
            Requirement("tier", SelectorOperator::kNotIn, {"frontend"}));
        rule.peers.push_back(PodPeer(std::move(s)));
        rule.ports = {NumericPort(3868, Protocol::kSctp),
                      NumericPort(5353, Protocol::kUdp),
                      AllPortsOf(Protocol::kSctp)};
        p.affects_ingress = true;
        p.ingress.push_back(std::move(rule));
        break;
      }
      case 6: {  // egress to another team's backends
        what = "to-team";
        rule.peers.push_back(
            AndPeer(MatchLabels({{"team", RandomTeam(rng, info)}}),
                    MatchLabels({{"tier", "backend"}})));
        rule.ports = {NamedPort("http"), NamedPort("grpc")};
        p.affects_egress = true;
        p.egress.push_back(std::move(rule));
        p.egress.push_back(DnsEgressRule());
        break;
      }
      case 7: {  // both directions in one policy
        what = "both";
        rule.peers.push_back(PodPeer(MatchLabels({{"tier", "frontend"}})));
        rule.ports = ServingPorts(w, rng, true);
        p.affects_ingress = true;
        p.ingress.push_back(std::move(rule));
        PolicyRule out;
        out.peers.push_back(PodPeer(LabelSelector{}));
        out.peers.push_back(NamespacePeer(
            MatchLabels({{"env", info.env.empty() ? "prod" : info.env}})));
        p.affects_egress = true;
        p.egress.push_back(std::move(out));
        p.egress.push_back(DnsEgressRule());
        break;
      }
      default: {  // ports only: any source, a few ports
        what = "public-ports";
        rule.ports = ServingPorts(w, rng, true);
        if (rule.ports.empty()) rule.ports.push_back(NumericPort(8080));
        p.affects_ingress = true;
        p.ingress.push_back(std::move(rule));
        break;
      }
    }
    p.name = absl::StrCat(w.app, "-", what, "-", round);
    return p;
  }

  // Policies for a namespace without workloads, or past every style.
  static NetworkPolicy GenericPolicy(int k, Rng& rng) {
    NetworkPolicy p;
    p.name = absl::StrCat("baseline-", k);
    if (rng.Chance(0.5)) {
      p.affects_ingress = true;
      PolicyRule r;
      r.peers.push_back(NamespacePeer(NamespaceNamed(kMonitoring)));
      r.ports.push_back(NamedPort("metrics"));
      p.ingress.push_back(std::move(r));
    } else {
      p.affects_egress = true;
      p.egress.push_back(DnsEgressRule());
      p.egress.push_back(InternetHttpsRule(rng.Chance(0.5)));
    }
    return p;
  }

  void MakeNamespacePolicies(int ns, const NamespacePlan& plan) {
    Rng rng(options_.seed, kPolicyStreamBase + static_cast<uint64_t>(ns));
    const NamespaceInfo& info = namespaces_[ns];
    std::vector<NetworkPolicy> out;
    absl::flat_hash_set<std::string> names;
    auto emit = [&](NetworkPolicy p) {
      if (static_cast<int>(out.size()) >= plan.budget) return;
      std::string base = p.name;
      for (int k = 2; names.contains(p.name); ++k) {
        p.name = absl::StrCat(base, "-", k);
      }
      names.insert(p.name);
      p.namespace_name = info.name;
      out.push_back(std::move(p));
    };

    bool has_frontend = false;
    for (int w : info.workloads) {
      has_frontend |= workloads_[w].tier == Tier::kFrontend;
    }

    // Namespace-wide baseline, when the team went for a full lockdown.
    if (plan.budget >= 2) {
      // Locking egress down takes more policies to get right.
      const bool egress_locked = plan.egress_locked && plan.budget >= 4;
      NetworkPolicy deny;
      deny.affects_ingress = true;
      deny.affects_egress = egress_locked;
      deny.name = egress_locked ? "default-deny-all" : "default-deny-ingress";
      emit(std::move(deny));
      if (egress_locked) {
        NetworkPolicy dns;
        dns.name = "allow-dns";
        dns.affects_egress = true;
        dns.egress.push_back(DnsEgressRule());
        emit(std::move(dns));
      }
      NetworkPolicy scrape;
      scrape.name = "allow-prometheus-scrape";
      scrape.affects_ingress = true;
      PolicyRule r;
      r.peers.push_back(
          AndPeer(NamespaceNamed(kMonitoring),
                  MatchLabels({{"app.kubernetes.io/name", "prometheus"}})));
      r.ports.push_back(NamedPort("metrics"));
      scrape.ingress.push_back(std::move(r));
      emit(std::move(scrape));
      if (plan.allow_same_namespace) {
        NetworkPolicy same;
        same.name = "allow-same-namespace";
        same.affects_ingress = true;
        PolicyRule rule;
        rule.peers.push_back(PodPeer(LabelSelector{}));
        same.ingress.push_back(std::move(rule));
        emit(std::move(same));
      }
      if (egress_locked && plan.allow_egress_same_namespace) {
        NetworkPolicy same;
        same.name = "allow-egress-same-namespace";
        same.affects_egress = true;
        PolicyRule rule;
        rule.peers.push_back(PodPeer(LabelSelector{}));
        same.egress.push_back(std::move(rule));
        emit(std::move(same));
      }
      if (has_frontend) {
        NetworkPolicy ing;
        ing.name = "allow-ingress-controller";
        ing.affects_ingress = true;
        if (rng.Chance(0.5)) {
          ing.pod_selector = MatchLabels({{"tier", "frontend"}});
        } else {
          ing.pod_selector.expressions.push_back(
              Requirement("tier", SelectorOperator::kIn, {"frontend"}));
        }
        PolicyRule rule;
        rule.peers.push_back(NamespacePeer(NamespaceNamed(kIngressNginx)));
        rule.ports.push_back(NamedPort("http"));
        ing.ingress.push_back(std::move(rule));
        emit(std::move(ing));
      }
    }

    // Per-workload policies, round after round.
    std::vector<int> order = info.workloads;
    rng.Shuffle(order);
    int generic = 0;
    for (int round = 0; static_cast<int>(out.size()) < plan.budget; ++round) {
      if (order.empty()) {
        emit(GenericPolicy(++generic, rng));
        continue;
      }
      for (int w : order) {
        if (static_cast<int>(out.size()) >= plan.budget) break;
        const Workload& workload = workloads_[w];
        if (round == 0) {
          emit(IngressPolicy(info, workload, rng));
        } else if (round == 1) {
          emit(EgressPolicy(info, workload, rng));
        } else {
          emit(ExtraPolicy(info, workload, round, rng));
        }
      }
    }
    for (NetworkPolicy& p : out) cluster_.policies.push_back(std::move(p));
  }

  const GeneratorOptions options_;
  const int namespace_count_;
  const int pod_count_;
  const int policy_count_;
  std::vector<NamespaceInfo> namespaces_;
  std::vector<Workload> workloads_;
  std::vector<int> next_offset_;  // per node: next free host offset
  Cluster cluster_;
};

}  // namespace

Cluster GenerateCluster(const GeneratorOptions& options) {
  return ClusterBuilder(options).Build();
}

}  // namespace netpol
