// Decision and compile benchmarks for the evaluation core.
//
// Clusters: 10,000 pods in 100 namespaces with 100 and with 2,000 policies
// (same pods and namespaces, see GenerateCluster), each built and compiled
// once, lazily. Queries: 64K realistic connections (GenerateQueries),
// identical for both policy counts, cycled in order.
//
// Run with repetitions and read the median:
//   netpol_decision_benchmark --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one command line)

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "core/compiled_snapshot.h"
#include "core/decision.h"
#include "core/model.h"
#include "load-tests/generator/cluster_generator.h"
#include "load-tests/generator/query_generator.h"

namespace netpol {
namespace {

constexpr int kNamespaces = 100;
constexpr int kPods = 10000;
constexpr uint64_t kClusterSeed = 1;
constexpr uint64_t kQuerySeed = 42;
constexpr size_t kQueryCount = size_t{1} << 16;  // power of two: cheap wrap
constexpr size_t kQueryMask = kQueryCount - 1;

GeneratorOptions Options(int policies) {
  GeneratorOptions options;
  options.namespaces = kNamespaces;
  options.pods = kPods;
  options.policies = policies;
  options.seed = kClusterSeed;
  return options;
}

struct Fixture {
  std::string error;  // set when compiling failed
  std::unique_ptr<const CompiledSnapshot> snapshot;
  std::vector<DecisionQuery> queries;
  // The same queries with pod endpoints named (PodRef), externals as IPs.
  std::vector<Connection> connections;
  double ipv6_fraction = 0;
  double external_fraction = 0;     // at least one side not a pod
  double mix_allowed_fraction = 0;  // over the whole query array
};

std::unique_ptr<Fixture> BuildFixture(int policies) {
  auto f = std::make_unique<Fixture>();
  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snapshot =
      CompiledSnapshot::Compile(GenerateCluster(Options(policies)));
  if (!snapshot.ok()) {
    f->error = "Compile failed: " + std::string(snapshot.status().message());
    return f;
  }
  f->snapshot = *std::move(snapshot);
  const Cluster& cluster = f->snapshot->cluster();
  f->queries = GenerateQueries(cluster, kQueryCount, kQuerySeed);

  size_t v6 = 0, external = 0, allowed = 0;
  f->connections.reserve(f->queries.size());
  auto endpoint = [&](int32_t pod, const IpAddress& ip) -> Endpoint {
    if (pod < 0) return ip;
    const Pod& p = cluster.pods[pod];
    return PodRef{p.namespace_name, p.name};
  };
  for (const DecisionQuery& q : f->queries) {
    v6 += !q.source.is_v4();
    external += q.source_pod < 0 || q.destination_pod < 0;
    allowed += f->snapshot->Decide(q.source, q.destination, q.port, q.protocol)
                   .allowed;
    f->connections.push_back(Connection{
        endpoint(q.source_pod, q.source),
        endpoint(q.destination_pod, q.destination), q.port, q.protocol});
  }
  const double n = static_cast<double>(f->queries.size());
  f->ipv6_fraction = v6 / n;
  f->external_fraction = external / n;
  f->mix_allowed_fraction = allowed / n;
  return f;
}

// Built on first use and kept for the process (benchmarks run serially).
const Fixture& GetFixture(int policies) {
  static auto* fixtures = new std::map<int, std::unique_ptr<Fixture>>();
  std::unique_ptr<Fixture>& slot = (*fixtures)[policies];
  if (slot == nullptr) slot = BuildFixture(policies);
  return *slot;
}

void ReportMix(benchmark::State& state, const Fixture& f, int64_t allowed) {
  state.SetItemsProcessed(state.iterations());
  state.counters["allowed_fraction"] =
      state.iterations() > 0 ? static_cast<double>(allowed) /
                                   static_cast<double>(state.iterations())
                             : 0.0;
  state.counters["mix_allowed"] = f.mix_allowed_fraction;
  state.counters["mix_ipv6"] = f.ipv6_fraction;
  state.counters["mix_external"] = f.external_fraction;
}

// The hot path: CompiledSnapshot::Decide(IpAddress, IpAddress, port, proto).
void BM_DecideByIp(benchmark::State& state) {
  const Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  const CompiledSnapshot& snapshot = *f.snapshot;
  const DecisionQuery* queries = f.queries.data();
  size_t i = 0;
  int64_t allowed = 0;
  for (auto _ : state) {
    const DecisionQuery& q = queries[i];
    i = (i + 1) & kQueryMask;
    const Decision d =
        snapshot.Decide(q.source, q.destination, q.port, q.protocol);
    allowed += d.allowed;
    benchmark::DoNotOptimize(d);
  }
  ReportMix(state, f, allowed);
}
BENCHMARK(BM_DecideByIp)->ArgName("policies")->Arg(100)->Arg(2000);

// The batch hot path: CompiledSnapshot::DecideV4 over the IPv4 queries,
// 256 per call (the chunk size the server uses). Items are decisions.
void BM_DecideV4Batch(benchmark::State& state) {
  const Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  std::vector<V4Connection> batch;
  for (const DecisionQuery& q : f.queries) {
    if (q.source.is_v4() && q.destination.is_v4()) {
      batch.push_back({q.source.v4(), q.destination.v4(), q.port, q.protocol});
    }
  }
  constexpr size_t kChunk = 256;
  batch.resize(batch.size() / kChunk * kChunk);
  std::vector<Decision> decisions(kChunk);
  size_t at = 0;
  int64_t allowed = 0;
  for (auto _ : state) {
    f.snapshot->DecideV4(absl::MakeConstSpan(batch.data() + at, kChunk),
                         absl::MakeSpan(decisions));
    allowed += decisions[0].allowed;
    benchmark::DoNotOptimize(decisions.data());
    at = at + kChunk == batch.size() ? 0 : at + kChunk;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kChunk));
  benchmark::DoNotOptimize(allowed);
}
BENCHMARK(BM_DecideV4Batch)->ArgName("policies")->Arg(100)->Arg(2000);

// Endpoints given as PodRef ("ns/name") through the StatusOr overload: the
// API path for named pods, for information.
void BM_DecideByPodRef(benchmark::State& state) {
  const Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  const CompiledSnapshot& snapshot = *f.snapshot;
  const Connection* connections = f.connections.data();
  size_t i = 0;
  int64_t allowed = 0, errors = 0;
  for (auto _ : state) {
    const Connection& c = connections[i];
    i = (i + 1) & kQueryMask;
    const absl::StatusOr<Decision> d = snapshot.Decide(c);
    if (d.ok()) {
      allowed += d->allowed;
    } else {
      ++errors;
    }
    benchmark::DoNotOptimize(d);
  }
  ReportMix(state, f, allowed);
  state.counters["errors"] = static_cast<double>(errors);
}
BENCHMARK(BM_DecideByPodRef)->ArgName("policies")->Arg(100)->Arg(2000);

// The floor: one absl::flat_hash_map<uint32_t, T> lookup per query, keys
// the IPv4 destinations of the same query stream (IPv6 and external ones
// miss), 10,000 entries (every pod's IPv4), T the size of an endpoint entry.
struct FloorEntry {
  uint32_t pod, egress_row, ingress_row, ingress_col, egress_col;
};

struct FloorFixture {
  absl::flat_hash_map<uint32_t, FloorEntry> map;
  std::vector<uint32_t> destinations;
  std::vector<uint32_t> sources;
};

const FloorFixture& GetFloorFixture() {
  static const FloorFixture* fixture = [] {
    auto* f = new FloorFixture();
    const Cluster cluster = GenerateCluster(Options(100));
    uint32_t n = 0;
    for (const Pod& pod : cluster.pods) {
      for (const IpAddress& ip : pod.ips) {
        if (ip.is_v4()) f->map[ip.v4()] = FloorEntry{n, n, n, n, n};
      }
      ++n;
    }
    for (const DecisionQuery& q :
         GenerateQueries(cluster, kQueryCount, kQuerySeed)) {
      f->destinations.push_back(static_cast<uint32_t>(q.destination.lo));
      f->sources.push_back(static_cast<uint32_t>(q.source.lo));
    }
    return f;
  }();
  return *fixture;
}

void BM_FlatHashMapIpv4Lookup(benchmark::State& state) {
  const FloorFixture& f = GetFloorFixture();
  const uint32_t* keys = f.destinations.data();
  size_t i = 0;
  int64_t hits = 0;
  for (auto _ : state) {
    const uint32_t key = keys[i];
    i = (i + 1) & kQueryMask;
    auto it = f.map.find(key);
    const uint32_t row = it != f.map.end() ? it->second.ingress_row : 0;
    hits += it != f.map.end();
    benchmark::DoNotOptimize(row);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["entries"] = static_cast<double>(f.map.size());
  state.counters["hit_fraction"] =
      state.iterations() > 0
          ? static_cast<double>(hits) / static_cast<double>(state.iterations())
          : 0.0;
}
BENCHMARK(BM_FlatHashMapIpv4Lookup);

// Two look-ups (source and destination), as a decision needs: for
// information, a tighter floor for Decide.
void BM_FlatHashMapIpv4LookupPair(benchmark::State& state) {
  const FloorFixture& f = GetFloorFixture();
  const uint32_t* sources = f.sources.data();
  const uint32_t* destinations = f.destinations.data();
  size_t i = 0;
  for (auto _ : state) {
    auto s = f.map.find(sources[i]);
    auto d = f.map.find(destinations[i]);
    i = (i + 1) & kQueryMask;
    const uint32_t v = (s != f.map.end() ? s->second.egress_row : 0) +
                       (d != f.map.end() ? d->second.ingress_row : 0);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FlatHashMapIpv4LookupPair);

// CompiledSnapshot::Compile of the whole cluster. Copying the model in and
// destroying the snapshot are excluded from the timing.
void BM_Compile(benchmark::State& state) {
  static auto* clusters = new std::map<int, Cluster>();
  const int policies = static_cast<int>(state.range(0));
  auto it = clusters->find(policies);
  if (it == clusters->end()) {
    it = clusters->emplace(policies, GenerateCluster(Options(policies))).first;
  }
  const Cluster& cluster = it->second;
  SnapshotStats stats;
  for (auto _ : state) {
    state.PauseTiming();
    Cluster copy = cluster;
    state.ResumeTiming();
    absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snapshot =
        CompiledSnapshot::Compile(std::move(copy));
    state.PauseTiming();
    if (!snapshot.ok()) {
      state.SkipWithError(std::string(snapshot.status().message()).c_str());
      break;
    }
    stats = (*snapshot)->stats();
    snapshot->reset();
    state.ResumeTiming();
  }
  state.counters["memory_bytes"] = static_cast<double>(stats.memory_bytes);
  state.counters["ingress_rows"] = static_cast<double>(stats.ingress_rows);
  state.counters["ingress_cols"] = static_cast<double>(stats.ingress_cols);
  state.counters["egress_rows"] = static_cast<double>(stats.egress_rows);
  state.counters["egress_cols"] = static_cast<double>(stats.egress_cols);
  state.counters["port_sets"] = static_cast<double>(stats.port_sets);
}
BENCHMARK(BM_Compile)
    ->ArgName("policies")
    ->Arg(100)
    ->Arg(2000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace netpol

BENCHMARK_MAIN();
