// netpol-gen-cluster: writes a generated cluster as Kubernetes YAML, or
// measures how long it takes to compile.
//
//   netpol-gen-cluster --namespaces 100 --pods 10000 --policies 2000
//       --seed 1 --out cluster.yaml   (one command line)
//   netpol-gen-cluster --namespaces 100 --pods 10000 --policies 2000 --stats
//
// Options:
//   --namespaces N --pods N --policies N --seed S   cluster shape (defaults
//                                  100 / 10000 / 2000 / 1)
//   --dual-stack F                 fraction of pods with an IPv6 (0.1)
//   --out FILE|-                   write the YAML there ("-": stdout)
//   --stats                        generate, compile with
//                                  CompiledSnapshot::Compile and print
//                                  timings, peak RSS and SnapshotStats
//                                  instead of requiring --out
//   --verify-roundtrip             after writing --out FILE, load it back
//                                  with netpol::LoadManifests and check the
//                                  cluster is unchanged

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/compiled_snapshot.h"
#include "core/manifest_loader.h"
#include "load-tests/generator/cluster_generator.h"

namespace netpol {
namespace {

struct Flags {
  GeneratorOptions generator;
  std::string out;
  bool stats = false;
  bool verify_roundtrip = false;
};

[[noreturn]] void Usage(const std::string& error) {
  if (!error.empty()) std::cerr << "netpol-gen-cluster: " << error << "\n";
  std::cerr << "usage: netpol-gen-cluster [--namespaces N] [--pods N] "
               "[--policies N] [--seed S]\n"
               "                          [--dual-stack F] (--out FILE|- "
               "[--verify-roundtrip] | --stats)\n";
  std::exit(2);
}

int64_t ParseInt(const std::string& flag, const char* text, int64_t max) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < 0 || v > max) {
    Usage(flag + ": expected an integer in 0.." + std::to_string(max) +
          ", got '" + text + "'");
  }
  return v;
}

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::optional<std::string> inline_value;
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg.resize(eq);
    }
    auto value = [&]() -> std::string {
      if (inline_value) return *inline_value;
      if (i + 1 >= argc) Usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--namespaces") {
      flags.generator.namespaces =
          static_cast<int>(ParseInt(arg, value().c_str(), 1'000'000));
    } else if (arg == "--pods") {
      flags.generator.pods =
          static_cast<int>(ParseInt(arg, value().c_str(), 5'000'000));
    } else if (arg == "--policies") {
      flags.generator.policies =
          static_cast<int>(ParseInt(arg, value().c_str(), 5'000'000));
    } else if (arg == "--seed") {
      const std::string v = value();
      char* end = nullptr;
      errno = 0;
      flags.generator.seed = std::strtoull(v.c_str(), &end, 10);
      if (errno != 0 || end == v.c_str() || *end != '\0' || v[0] == '-') {
        Usage("--seed: expected an unsigned integer, got '" + v + "'");
      }
    } else if (arg == "--dual-stack") {
      const std::string v = value();
      char* end = nullptr;
      const double f = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || !(f >= 0.0 && f <= 1.0)) {
        Usage("--dual-stack: expected a fraction in [0, 1], got '" + v + "'");
      }
      flags.generator.dual_stack_fraction = f;
    } else if (arg == "--out") {
      flags.out = value();
    } else if (arg == "--stats" && !inline_value) {
      flags.stats = true;
    } else if (arg == "--verify-roundtrip" && !inline_value) {
      flags.verify_roundtrip = true;
    } else if (arg == "--help" || arg == "-h") {
      Usage("");
    } else {
      Usage("unknown argument '" + std::string(argv[i]) + "'");
    }
  }
  if (flags.out.empty() && !flags.stats) {
    Usage("give --out FILE|- or --stats");
  }
  if (flags.verify_roundtrip && (flags.out.empty() || flags.out == "-")) {
    Usage("--verify-roundtrip needs --out FILE");
  }
  return flags;
}

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

long PeakRssKib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // KiB on Linux
}

bool WriteYaml(const std::string& yaml, const std::string& path) {
  if (path == "-") {
    std::fwrite(yaml.data(), 1, yaml.size(), stdout);
    return std::fflush(stdout) == 0;
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(yaml.data(), static_cast<std::streamsize>(yaml.size()));
  file.close();
  if (!file) {
    std::cerr << "netpol-gen-cluster: cannot write " << path << "\n";
    return false;
  }
  return true;
}

// Loads the written file back and compares it, through the YAML form
// (which covers every modelled field), with what was generated.
bool VerifyRoundTrip(const Cluster& generated, const std::string& yaml,
                     const std::string& path) {
  const Clock::time_point start = Clock::now();
  absl::StatusOr<Cluster> loaded = LoadManifests({path});
  const double load_ms = MillisSince(start);
  if (!loaded.ok()) {
    std::cerr << "roundtrip: LoadManifests failed: " << loaded.status() << "\n";
    return false;
  }
  std::fprintf(stderr,
               "roundtrip: loaded %zu namespaces, %zu pods, %zu policies "
               "(generated %zu, %zu, %zu) in %.1f ms\n",
               loaded->namespaces.size(), loaded->pods.size(),
               loaded->policies.size(), generated.namespaces.size(),
               generated.pods.size(), generated.policies.size(), load_ms);
  const std::string again = ClusterToYaml(*loaded);
  if (again == yaml) {
    std::fprintf(stderr, "roundtrip: OK (re-serialised YAML identical)\n");
    return true;
  }
  size_t pos = 0;
  while (pos < yaml.size() && pos < again.size() && yaml[pos] == again[pos]) {
    ++pos;
  }
  const size_t line_start = yaml.rfind('\n', pos) == std::string::npos
                                ? 0
                                : yaml.rfind('\n', pos) + 1;
  auto excerpt = [&](const std::string& text) {
    return text.substr(
        line_start,
        std::min<size_t>(200, text.size() - std::min(line_start, text.size())));
  };
  std::fprintf(stderr,
               "roundtrip: MISMATCH at byte %zu\n--- generated:\n%s\n--- "
               "loaded:\n%s\n",
               pos, excerpt(yaml).c_str(), excerpt(again).c_str());
  return false;
}

void PrintStats(const SnapshotStats& s) {
  std::printf("snapshot_namespaces: %zu\n", s.namespaces);
  std::printf("snapshot_pods: %zu\n", s.pods);
  std::printf("snapshot_policies: %zu\n", s.policies);
  std::printf("ingress_rows: %zu\n", s.ingress_rows);
  std::printf("ingress_cols: %zu\n", s.ingress_cols);
  std::printf("egress_rows: %zu\n", s.egress_rows);
  std::printf("egress_cols: %zu\n", s.egress_cols);
  std::printf("port_sets: %zu\n", s.port_sets);
  std::printf("external_ranges: %zu\n", s.external_ranges);
  std::printf("memory_bytes: %zu (%.2f MiB)\n", s.memory_bytes,
              static_cast<double>(s.memory_bytes) / (1024.0 * 1024.0));
}

int Run(const Flags& flags) {
  const GeneratorOptions& g = flags.generator;
  const Clock::time_point gen_start = Clock::now();
  Cluster cluster = GenerateCluster(g);
  const double gen_ms = MillisSince(gen_start);

  bool ok = true;
  if (!flags.out.empty()) {
    const std::string yaml = ClusterToYaml(cluster);
    if (!WriteYaml(yaml, flags.out)) return 1;
    if (flags.verify_roundtrip) ok &= VerifyRoundTrip(cluster, yaml, flags.out);
  }
  if (!flags.stats) return ok ? 0 : 1;

  const long rss_before = PeakRssKib();
  const size_t pods = cluster.pods.size();
  const size_t policies = cluster.policies.size();
  const size_t namespaces = cluster.namespaces.size();
  const Clock::time_point compile_start = Clock::now();
  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snapshot =
      CompiledSnapshot::Compile(std::move(cluster));
  const double compile_ms = MillisSince(compile_start);
  const long rss_after = PeakRssKib();
  if (!snapshot.ok()) {
    std::cerr << "netpol-gen-cluster: Compile failed: " << snapshot.status()
              << "\n";
    return 1;
  }
  if (flags.stats) {
    std::printf(
        "cluster: namespaces=%zu pods=%zu policies=%zu seed=%llu "
        "dual_stack_fraction=%g\n",
        namespaces, pods, policies, static_cast<unsigned long long>(g.seed),
        g.dual_stack_fraction);
    std::printf("generation_ms: %.1f\n", gen_ms);
    std::printf("compile_ms: %.1f\n", compile_ms);
    std::printf("peak_rss_before_compile_kib: %ld (%.1f MiB)\n", rss_before,
                rss_before / 1024.0);
    std::printf("peak_rss_after_compile_kib: %ld (%.1f MiB)\n", rss_after,
                rss_after / 1024.0);
    PrintStats((*snapshot)->stats());
  }
  std::fflush(stdout);
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace netpol

int main(int argc, char** argv) {
  return netpol::Run(netpol::ParseFlags(argc, argv));
}
