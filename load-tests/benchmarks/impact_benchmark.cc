// Impact analysis benchmarks (issue 5): one change to the generated cluster
// of 10,000 pods, 100 namespaces and 2,000 policies, analysed as the server
// does it against its live snapshot (already compiled):
//   BM_ImpactEndToEnd:  ApplyProposedChange + Compile + DiffSnapshots;
//   BM_DiffSnapshots:   DiffSnapshots alone, both snapshots compiled;
//   BM_CompileSnapshot: Compile of the cluster, in the same run, so each
//                       impact benchmark reports its time as a multiple of
//                       compiling one snapshot (counter ratio_to_compile).
// Changes: "policy_rules" replaces the ingress rules of one policy,
// "namespace_relabel" changes the env label of one prod namespace.
// Counters: the report's size (flips, pods affected, flows) and the
// process's peak RSS (getrusage ru_maxrss, MiB). Targets: <= 1 s, <= 2 GiB.
//
//   netpol_impact_benchmark --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one command line)

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/compiled_snapshot.h"
#include "core/impact.h"
#include "core/model.h"
#include "core/proposed_change.h"
#include "load-tests/generator/cluster_generator.h"

namespace netpol {
namespace {

enum ChangeKind { kPolicyRules = 0, kNamespaceRelabel = 1 };

GeneratorOptions Options() {
  GeneratorOptions options;
  options.namespaces = 100;
  options.pods = 10000;
  options.policies = 2000;
  options.seed = 1;
  return options;
}

// The middle policy with ingress rules gets one rule instead: same-namespace
// pods on TCP 8080 (someone tightening a policy).
ProposedChange PolicyRulesChange(const Cluster& cluster) {
  ProposedChange change;
  const size_t n = cluster.policies.size();
  for (size_t k = 0; k < n; ++k) {
    const NetworkPolicy& p = cluster.policies[(n / 2 + k) % n];
    if (!p.affects_ingress || p.ingress.empty()) continue;
    NetworkPolicy changed = p;
    PolicyRule rule;
    rule.peers.push_back(Peer{LabelSelector{}, std::nullopt, std::nullopt});
    rule.ports.push_back(PolicyPort{Protocol::kTcp, 8080, "", std::nullopt});
    changed.ingress = {rule};
    change.operations.push_back(std::move(changed));
    change.sources.push_back(SourceLocation{"benchmark", 1, ""});
    break;
  }
  return change;
}

// The first prod namespace (in model order) becomes staging.
ProposedChange NamespaceRelabelChange(const Cluster& cluster) {
  ProposedChange change;
  for (const Namespace& ns : cluster.namespaces) {
    auto env = ns.labels.find("env");
    if (env == ns.labels.end() || env->second != "prod") continue;
    LabelNamespace relabel;
    relabel.name = ns.name;
    relabel.edit.set["env"] = "staging";
    change.operations.push_back(std::move(relabel));
    change.sources.push_back(SourceLocation{"benchmark", 1, ""});
    break;
  }
  return change;
}

struct Fixture {
  std::string error;  // set when building failed
  Cluster cluster;
  std::unique_ptr<const CompiledSnapshot> live;
  ProposedChange changes[2];
  std::unique_ptr<const CompiledSnapshot> after[2];  // for BM_DiffSnapshots
};

absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> ApplyAndCompile(
    const Cluster& cluster, const ProposedChange& change) {
  absl::StatusOr<Cluster> after = ApplyProposedChange(cluster, change);
  if (!after.ok()) return after.status();
  return CompiledSnapshot::Compile(*std::move(after));
}

// Built on first use and kept for the process (benchmarks run serially).
const Fixture& GetFixture() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture();
    f->cluster = GenerateCluster(Options());
    absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> live =
        CompiledSnapshot::Compile(f->cluster);
    if (!live.ok()) {
      f->error = "Compile failed: " + std::string(live.status().message());
      return f;
    }
    f->live = *std::move(live);
    f->changes[kPolicyRules] = PolicyRulesChange(f->cluster);
    f->changes[kNamespaceRelabel] = NamespaceRelabelChange(f->cluster);
    for (int kind : {kPolicyRules, kNamespaceRelabel}) {
      absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> after =
          ApplyAndCompile(f->cluster, f->changes[kind]);
      if (f->changes[kind].operations.empty() || !after.ok()) {
        f->error = "building the change failed: " +
                   std::string(after.ok() ? "no target in the cluster"
                                          : after.status().message());
        return f;
      }
      f->after[kind] = *std::move(after);
    }
    return f;
  }();
  return *fixture;
}

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Per-iteration compile times measured in this process, for the ratios.
std::vector<double>& CompileSeconds() {
  static auto* samples = new std::vector<double>();
  return *samples;
}

// Median compile time of this process; measured here when
// BM_CompileSnapshot was filtered out.
double MedianCompileSeconds(const Fixture& f) {
  std::vector<double>& samples = CompileSeconds();
  while (samples.size() < 3) {
    Cluster copy = f.cluster;
    const Clock::time_point start = Clock::now();
    absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snapshot =
        CompiledSnapshot::Compile(std::move(copy));
    samples.push_back(Seconds(Clock::now() - start));
    benchmark::DoNotOptimize(snapshot);
  }
  std::vector<double> sorted = samples;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2,
                   sorted.end());
  return sorted[sorted.size() / 2];
}

double PeakRssMib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

void ReportCounters(benchmark::State& state, const Fixture& f,
                    const ImpactReport& report, double seconds_per_iteration) {
  const double compile = MedianCompileSeconds(f);
  state.counters["ratio_to_compile"] = seconds_per_iteration / compile;
  state.counters["compile_ms"] = compile * 1e3;
  state.counters["flips"] = static_cast<double>(report.totals.flips);
  state.counters["groups"] = static_cast<double>(report.groups.size());
  state.counters["pods_affected"] =
      static_cast<double>(report.totals.pods_affected);
  state.counters["newly_denied_flows"] =
      static_cast<double>(report.totals.newly_denied_flows);
  state.counters["newly_allowed_flows"] =
      static_cast<double>(report.totals.newly_allowed_flows);
  state.counters["peak_rss_mib"] = PeakRssMib();
}

// Registered first so its samples are there for the ratios. Copying the
// model in and freeing the snapshot are not timed.
void BM_CompileSnapshot(benchmark::State& state) {
  const Fixture& f = GetFixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  for (auto _ : state) {
    state.PauseTiming();
    Cluster copy = f.cluster;
    state.ResumeTiming();
    const Clock::time_point start = Clock::now();
    absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snapshot =
        CompiledSnapshot::Compile(std::move(copy));
    CompileSeconds().push_back(Seconds(Clock::now() - start));
    state.PauseTiming();
    if (!snapshot.ok()) {
      state.SkipWithError(std::string(snapshot.status().message()).c_str());
      break;
    }
    snapshot->reset();
    state.ResumeTiming();
  }
  state.counters["peak_rss_mib"] = PeakRssMib();
}
BENCHMARK(BM_CompileSnapshot)->Unit(benchmark::kMillisecond);

// What a server does for AnalyzeImpact: the live snapshot is compiled, the
// proposed one is built and compared. Freeing it is not timed.
void BM_ImpactEndToEnd(benchmark::State& state, ChangeKind kind) {
  const Fixture& f = GetFixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  ImpactReport report;
  Clock::duration timed{};
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> after =
        ApplyAndCompile(f.cluster, f.changes[kind]);
    if (!after.ok()) {
      state.SkipWithError(std::string(after.status().message()).c_str());
      break;
    }
    report = DiffSnapshots(*f.live, **after);
    timed += Clock::now() - start;
    state.PauseTiming();
    after->reset();
    state.ResumeTiming();
  }
  if (state.iterations() == 0) return;
  ReportCounters(state, f, report,
                 Seconds(timed) / static_cast<double>(state.iterations()));
}
BENCHMARK_CAPTURE(BM_ImpactEndToEnd, policy_rules, kPolicyRules)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ImpactEndToEnd, namespace_relabel, kNamespaceRelabel)
    ->Unit(benchmark::kMillisecond);

void BM_DiffSnapshots(benchmark::State& state, ChangeKind kind) {
  const Fixture& f = GetFixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  ImpactReport report;
  Clock::duration timed{};
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    report = DiffSnapshots(*f.live, *f.after[kind]);
    timed += Clock::now() - start;
    benchmark::DoNotOptimize(report);
  }
  if (state.iterations() == 0) return;
  ReportCounters(state, f, report,
                 Seconds(timed) / static_cast<double>(state.iterations()));
}
BENCHMARK_CAPTURE(BM_DiffSnapshots, policy_rules, kPolicyRules)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DiffSnapshots, namespace_relabel, kNamespaceRelabel)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace netpol

BENCHMARK_MAIN();
