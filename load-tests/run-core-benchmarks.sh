#!/usr/bin/env bash
# Builds the load tests (CMake preset "default") and measures the evaluation
# core: decision latency (Google Benchmark, repetitions, medians), compile
# time and peak RSS of the 10,000-pod / 100-namespace cluster, and impact
# analysis of one change to it (netpol_impact_benchmark). (Correctness on
# generated clusters is a test: tests/core/generated_cluster_test.cc.)
# Prints everything load-tests/RESULTS.md needs, ending with a summary table.
#
# Environment:
#   JOBS=2            build parallelism
#   REPETITIONS=5     benchmark repetitions (the median is reported)
#   BENCH_FILTER=.    --benchmark_filter regex (decision benchmarks)
#   IMPACT_FILTER=.   --benchmark_filter regex (impact benchmarks)
#   OUT_DIR=$BUILD_DIR/load-tests/results   where JSON and logs go
#   SKIP_BUILD=1      use the existing build
#   BUILD_DIR=build/default   binary dir (the preset's); another one keeps
#                     the measurement build apart from a shared tree
#   CMAKE_ARGS=""     extra configure arguments, e.g. -DNETPOL_BUILD_TESTS=OFF
#                     while the test suite does not configure
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
JOBS="${JOBS:-2}"
REPETITIONS="${REPETITIONS:-5}"
BENCH_FILTER="${BENCH_FILTER:-.}"
IMPACT_FILTER="${IMPACT_FILTER:-.}"
BUILD_DIR="${BUILD_DIR:-build/default}"
BIN="$BUILD_DIR/load-tests"
OUT_DIR="${OUT_DIR:-$BIN/results}"

section() { printf '\n== %s\n' "$*"; }

section "machine"
echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "kernel: $(uname -sr)"
echo "compiler: $(${CXX:-g++} --version | head -1)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if git rev-parse --short HEAD >/dev/null 2>&1; then
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- core load-tests 2>/dev/null || echo ' (+ local changes)')"
fi

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  section "build (preset default, RelWithDebInfo)"
  # shellcheck disable=SC2086  # CMAKE_ARGS is a list of words
  cmake --preset default -B "$BUILD_DIR" ${CMAKE_ARGS:-} >/dev/null
  cmake --build "$BUILD_DIR" -j"$JOBS" --target netpol_decision_benchmark \
    netpol_impact_benchmark netpol-gen-cluster
fi
mkdir -p "$OUT_DIR"

TIME=()
if [[ -x /usr/bin/time ]]; then TIME=(/usr/bin/time -v); fi

section "compile: netpol-gen-cluster --stats (10,000 pods / 100 namespaces)"
for policies in 100 2000; do
  cmd=("$BIN/netpol-gen-cluster" --namespaces 100 --pods 10000
       --policies "$policies" --seed 1 --stats)
  echo "\$ ${cmd[*]}"
  if [[ ${#TIME[@]} -gt 0 ]]; then
    "${TIME[@]}" -o "$OUT_DIR/time-$policies.txt" "${cmd[@]}" | tee "$OUT_DIR/stats-$policies.txt"
    grep -E 'Maximum resident set size|Elapsed \(wall' "$OUT_DIR/time-$policies.txt" | sed 's/^\s*/time -v: /'
  else
    "${cmd[@]}" | tee "$OUT_DIR/stats-$policies.txt"
  fi
done

section "benchmarks (repetitions=$REPETITIONS, aggregates only)"
bench=("$BIN/netpol_decision_benchmark" "--benchmark_filter=$BENCH_FILTER"
       "--benchmark_repetitions=$REPETITIONS" --benchmark_report_aggregates_only=true
       "--benchmark_out=$OUT_DIR/benchmark.json" --benchmark_out_format=json)
echo "\$ ${bench[*]}"
"${bench[@]}"

section "impact analysis: one change, 10k pods / 2k policies (repetitions=$REPETITIONS)"
impact=("$BIN/netpol_impact_benchmark" "--benchmark_filter=$IMPACT_FILTER"
        "--benchmark_repetitions=$REPETITIONS" --benchmark_report_aggregates_only=true
        "--benchmark_out=$OUT_DIR/impact.json" --benchmark_out_format=json)
echo "\$ ${impact[*]}"
"${impact[@]}"

section "summary (medians)"
python3 - "$OUT_DIR/benchmark.json" "$OUT_DIR/stats-2000.txt" "$OUT_DIR/time-2000.txt" \
    "$OUT_DIR/impact.json" <<'EOF'
import json, re, sys

med = {}
for path in (sys.argv[1], sys.argv[4]):
    try:
        runs = json.load(open(path))["benchmarks"]
    except (OSError, ValueError, KeyError):
        continue
    med.update({b["run_name"]: b for b in runs
                if b.get("aggregate_name") == "median"})

def ns(name):
    b = med.get(name)
    if not b:
        return None
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
    return b["real_time"] * scale

def stats(path):
    try:
        text = open(path).read()
    except OSError:
        return {}
    return dict(re.findall(r"^(\w+): (\S+)", text, re.M))

s = stats(sys.argv[2])
try:
    t = open(sys.argv[3]).read()
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", t)
    time_rss = int(m.group(1)) if m else None
except OSError:
    time_rss = None

d100, d2000 = ns("BM_DecideByIp/policies:100"), ns("BM_DecideByIp/policies:2000")
floor = ns("BM_FlatHashMapIpv4Lookup")
pair = ns("BM_FlatHashMapIpv4LookupPair")
rows = []
def row(k, v, target=""):
    rows.append((k, v, target))
if d100 is not None:
    row("Decide by IP, 100 policies (median)", f"{d100:.1f} ns")
if d2000 is not None:
    row("Decide by IP, 2,000 policies (median)", f"{d2000:.1f} ns",
        "<= 100 ns: " + ("met" if d2000 <= 100 else "MISSED"))
if d100 and d2000:
    r = d2000 / d100
    row("ratio 2,000 / 100 policies", f"{r:.2f}x",
        "<= 1.5x: " + ("met" if r <= 1.5 else "MISSED"))
if floor:
    row("flat_hash_map<uint32_t> IPv4 lookup (floor)", f"{floor:.2f} ns")
    if d2000:
        row("Decide(2,000) / floor", f"{d2000 / floor:.1f}x")
if pair:
    row("two lookups (src + dst), for information", f"{pair:.2f} ns")
for p in (100, 2000):
    v = ns(f"BM_DecideByPodRef/policies:{p}")
    if v is not None:
        row(f"Decide by PodRef, {p} policies (info)", f"{v:.1f} ns")
c = ns("BM_Compile/policies:2000")
if c is not None:
    row("BM_Compile/policies:2000 (median)", f"{c / 1e6:.1f} ms",
        "<= 2 s: " + ("met" if c <= 2e9 else "MISSED"))
if "compile_ms" in s:
    row("netpol-gen-cluster --stats compile_ms (single run)", s["compile_ms"] + " ms")
if "peak_rss_after_compile_kib" in s:
    kib = int(s["peak_rss_after_compile_kib"])
    row("peak RSS after compile (getrusage)", f"{kib / 1024:.1f} MiB",
        "<= 1 GiB: " + ("met" if kib <= 1 << 20 else "MISSED"))
if time_rss:
    row("peak RSS of the whole --stats process (time -v)", f"{time_rss / 1024:.1f} MiB")
if "memory_bytes" in s:
    row("compiled snapshot memory_bytes", f"{int(s['memory_bytes']) / 2**20:.2f} MiB")
if "ingress_rows" in s:
    row("rows x cols ingress / egress",
        f"{s['ingress_rows']} x {s['ingress_cols']} / {s['egress_rows']} x {s['egress_cols']}")
    row("port sets / external ranges", f"{s['port_sets']} / {s['external_ranges']}")
for p in (100, 2000):
    b = med.get(f"BM_DecideByIp/policies:{p}")
    if b and "allowed_fraction" in b:
        row(f"allowed fraction of the query mix, {p} policies",
            f"{b['allowed_fraction'] * 100:.1f} %")
b = med.get("BM_DecideByIp/policies:2000")
if b:
    row("IPv6 / external share of the query mix",
        f"{b.get('mix_ipv6', 0) * 100:.1f} % / {b.get('mix_external', 0) * 100:.1f} %")

for change in ("policy_rules", "namespace_relabel"):
    e2e = med.get(f"BM_ImpactEndToEnd/{change}")
    diff = ns(f"BM_DiffSnapshots/{change}")
    if e2e:
        t = ns(f"BM_ImpactEndToEnd/{change}")
        row(f"impact, {change}: apply + compile + diff (median)", f"{t / 1e6:.1f} ms",
            "<= 1 s: " + ("met" if t <= 1e9 else "MISSED"))
        row(f"impact, {change}: as a multiple of one compile",
            f"{e2e['ratio_to_compile']:.2f}x")
        row(f"impact, {change}: flips / pods affected / flows denied / allowed",
            f"{e2e['flips']:.0f} / {e2e['pods_affected']:.0f} / "
            f"{e2e['newly_denied_flows']:.0f} / {e2e['newly_allowed_flows']:.0f}")
    if diff is not None:
        row(f"impact, {change}: DiffSnapshots alone (median)", f"{diff / 1e6:.1f} ms")
c = ns("BM_CompileSnapshot")
if c is not None:
    row("impact run: BM_CompileSnapshot (median)", f"{c / 1e6:.1f} ms")
rss = max((b.get("peak_rss_mib", 0) for k, b in med.items()
           if k.startswith(("BM_Impact", "BM_Diff", "BM_CompileSnapshot"))), default=0)
if rss:
    row("impact run: peak RSS of the process (getrusage)", f"{rss:.1f} MiB",
        "<= 2 GiB: " + ("met" if rss <= 2048 else "MISSED"))

print("| measure | value | target |")
print("| --- | --- | --- |")
for k, v, tgt in rows:
    print(f"| {k} | {v} | {tgt} |")
EOF
