#!/usr/bin/env bash
# Measures netpol-pdp against the issue's throughput targets, each figure
# side by side with the floor server (same proto and gRPC set-up, constant
# verdicts) in the same run, on loopback, with netpol-loadgen.
#
#   load-tests/scripts/measure.sh [SCENARIO...]
#
# Scenarios (default: all, in this order):
#   unary_1        unary, one connection per RPC, concurrency 64: RPS >= 0.9x
#   friendly_1000  friendly form, batches of 1,000: decisions/s >= 0.8x
#   compact_10k    compact form, batches of 10,000: >= 0.5x and >= 10 M/s
#   stream_10k     the stream of compact batches of 10,000: likewise
#   half_peak_1000 p99 of compact batches of 1,000 sent at half the peak
#                  RPS netpol-pdp reached closed-loop: <= 1 ms
#   churn_1000     compact batches of 1,000 while SnapshotAdmin publishes a
#                  version every 100 ms: RPS and p99 within 10% of steady
#
# Environment: BUILD_DIR (build/default) with netpol-pdp, netpol-loadgen,
# netpol-floor-server and netpol-gen-cluster; WORK (BUILD_DIR/measure) for
# the cluster, one JSON per run, results.md; DURATION (5s) and WARMUP (1s)
# per run; REPEAT (1) runs of every pair, floor and netpol-pdp alternating,
# the table showing medians and the median of the pairs' ratios; NAMESPACES/PODS/POLICIES/SEED (100/10000/2000/1); ALLOW_RATIO
# (unset: the generated queries' natural mix); VERIFY=1 checks every verdict
# of netpol-pdp against the offline evaluation.
#
# Prints and writes a markdown table (figure, floor, ratio, target, load
# average, command). Exits 1 when a run had errors or wrong verdicts (not
# when a target is missed: the table says so), 2 on set-up failures.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$root/build/default}
WORK=${WORK:-$BUILD_DIR/measure}
DURATION=${DURATION:-5s} WARMUP=${WARMUP:-1s}
NAMESPACES=${NAMESPACES:-100} PODS=${PODS:-10000}
POLICIES=${POLICIES:-2000} SEED=${SEED:-1}
VERIFY=${VERIFY:-0} REPEAT=${REPEAT:-1}
scenarios=("$@")
((${#scenarios[@]})) || scenarios=(unary_1 friendly_1000 compact_10k
  stream_10k half_peak_1000 churn_1000)

mkdir -p "$WORK"
rm -f "$WORK"/*.json "$WORK/rows.tsv"
source "$here/servers.sh"
"$BUILD_DIR/load-tests/netpol-gen-cluster" --namespaces "$NAMESPACES" \
  --pods "$PODS" --policies "$POLICIES" --seed "$SEED" \
  --out "$WORK/cluster.yaml"
start_pdp "$WORK/cluster.yaml" || exit 2
start_floor || exit 2

cluster_flags=(--namespaces "$NAMESPACES" --pods "$PODS"
  --policies "$POLICIES" --seed "$SEED")
[[ -n ${ALLOW_RATIO:-} ]] && cluster_flags+=(--allow-ratio "$ALLOW_RATIO")
failed=0

# loadgen NAME TARGET [FLAGS...]: one bounded run, JSON to
# WORK/NAME.rREP.json (REP: the repetition, set by the caller's loop).
loadgen() {
  local name=$1 target=$2
  shift 2
  local cmd=("$BUILD_DIR/load-tests/netpol-loadgen" --target "$target"
    --duration "$DURATION" --warmup "$WARMUP" --max-runtime 60s
    "${cluster_flags[@]}" --json "$WORK/$name.r$REP.json" "$@")
  if [[ $target == "$PDP_DATA" && $VERIFY == 1 ]]; then cmd+=(--verify); fi
  echo "== $name: ${cmd[*]}" >"$WORK/$name.txt"
  if ! "${cmd[@]}" >>"$WORK/$name.txt" 2>&1; then
    echo "run $name failed:" >&2
    cat "$WORK/$name.txt" >&2
    failed=1
  fi
  # The command without the machine-specific paths and ports, for the table.
  printf '%s\n' "${cmd[*]}" | sed -e "s#$BUILD_DIR/load-tests/##" \
    -e "s#$target#TARGET#" -e "s#$PDP_ADMIN#ADMIN#" -e "s# --json [^ ]*##" \
    >"$WORK/$name.cmd"
  cut -d' ' -f1-3 /proc/loadavg >"$WORK/$name.load"
}

field() {  # field NAME EXPR: the median of EXPR over NAME's repetitions
  /usr/bin/python3 -c 'import glob,json,statistics,sys
values = [eval(sys.argv[2], {}, json.load(open(f)))
          for f in glob.glob(sys.argv[1] + ".r*.json")]
print(round(statistics.median(values), 2))' "$WORK/$1" "$2"
}

# paired_ratios OURS THEIRS EXPR: EXPR of OURS over EXPR of THEIRS for each
# repetition (run back to back, so both saw the same machine), then their
# median. Prints "MEDIAN<TAB>R1 R2 ...".
paired_ratios() {
  /usr/bin/python3 -c 'import json,statistics,sys
work, ours, theirs, expr, repeat = sys.argv[1:6]
ratios = []
for r in range(1, int(repeat) + 1):
    a = eval(expr, {}, json.load(open(f"{work}/{ours}.r{r}.json")))
    b = eval(expr, {}, json.load(open(f"{work}/{theirs}.r{r}.json")))
    ratios.append(a / b if b else 0)
print("%.2f\t%s" % (statistics.median(ratios),
                    " ".join("%.2f" % x for x in ratios)))' \
    "$WORK" "$1" "$2" "$3" "$REPEAT"
}

# row SCENARIO FIGURE PDP_RUN FLOOR_RUN EXPR TARGET: a table row comparing
# EXPR of both runs (FLOOR_RUN may be "-"): the medians of each, and the
# median of the ratios of the pairs run back to back, which moves less
# with the machine's load than the ratio of the medians.
row() {
  local scenario=$1 figure=$2 pdp=$3 floor=$4 expr=$5 target=$6
  local ours theirs=- ratio=- pairs=-
  ours=$(field "$pdp" "$expr")
  if [[ $floor != - ]]; then
    theirs=$(field "$floor" "$expr")
    IFS=$'\t' read -r ratio pairs < <(paired_ratios "$pdp" "$floor" "$expr")
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$figure" \
    "$ours" "$theirs" "$ratio" "$pairs" "$target" "$(cat "$WORK/$pdp.load")" \
    "$(cat "$WORK/$pdp.cmd")" >>"$WORK/rows.tsv"
}

# pair NAME FLAGS...: the same run against the floor, then netpol-pdp,
# REPEAT times.
pair() {
  local name=$1
  shift
  for ((REP = 1; REP <= REPEAT; ++REP)); do
    loadgen "${name}_floor" "$FLOOR_DATA" "$@"
    loadgen "${name}_pdp" "$PDP_DATA" "$@"
  done
}

for scenario in "${scenarios[@]}"; do
  case $scenario in
    unary_1)
      pair unary_1 --mode unary --form friendly --batch 1 --concurrency 64
      row unary_1 RPS unary_1_pdp unary_1_floor rps ">= 0.9x floor" ;;
    friendly_1000)
      pair friendly_1000 --mode unary --form friendly --batch 1000 \
        --concurrency 8
      row friendly_1000 decisions/s friendly_1000_pdp friendly_1000_floor \
        decisions_per_second ">= 0.8x floor" ;;
    compact_10k)
      pair compact_10k --mode unary --form compact --batch 10000 \
        --concurrency 4
      row compact_10k decisions/s compact_10k_pdp compact_10k_floor \
        decisions_per_second ">= 0.5x floor, >= 10 M/s" ;;
    stream_10k)
      pair stream_10k --mode stream --form compact --batch 10000 \
        --concurrency 4
      row stream_10k decisions/s stream_10k_pdp stream_10k_floor \
        decisions_per_second ">= 0.5x floor, >= 10 M/s" ;;
    half_peak_1000)
      REP=1 loadgen peak_1000_pdp "$PDP_DATA" --mode unary --form compact \
        --batch 1000 --concurrency 8
      rate=$(field peak_1000_pdp "round(rps / 2)")
      pair half_peak_1000 --mode unary --form compact --batch 1000 \
        --rate "$rate" --concurrency 256
      row half_peak_1000 "peak RPS" peak_1000_pdp - rps "(reference)"
      row half_peak_1000 "p99 us at $rate RPS" half_peak_1000_pdp \
        half_peak_1000_floor "latency_us['p99']" "<= 1000 us" ;;
    churn_1000)
      for ((REP = 1; REP <= REPEAT; ++REP)); do
        loadgen churn_1000_floor "$FLOOR_DATA" --mode unary --form compact \
          --batch 1000 --concurrency 4
        loadgen steady_1000_pdp "$PDP_DATA" --mode unary --form compact \
          --batch 1000 --concurrency 4
        loadgen churn_1000_pdp "$PDP_DATA" --mode unary --form compact \
          --batch 1000 --concurrency 4 --churn-admin "$PDP_ADMIN" \
          --churn-interval 100ms
      done
      row churn_1000 "steady RPS" steady_1000_pdp churn_1000_floor rps \
        "(reference)"
      row churn_1000 "RPS under churn / steady" churn_1000_pdp \
        steady_1000_pdp rps ">= 0.9"
      row churn_1000 "steady p99 us" steady_1000_pdp churn_1000_floor \
        "latency_us['p99']" "(reference)"
      row churn_1000 "p99 us under churn / steady" churn_1000_pdp \
        steady_1000_pdp "latency_us['p99']" "<= 1.1"
      row churn_1000 "publishes during churn" churn_1000_pdp - \
        churn_publishes "~10/s" ;;
    *)
      echo "unknown scenario $scenario" >&2
      exit 2 ;;
  esac
done

{
  echo "| scenario | figure | netpol-pdp | floor | ratio | ratio per pair | target | load avg | command |"
  echo "|---|---|---|---|---|---|---|---|---|"
  while IFS=$'\t' read -r -a f; do
    printf '| %s |' "${f[@]}"
    echo
  done <"$WORK/rows.tsv"
} | sed 's/||/|/g' >"$WORK/results.md"
cat "$WORK/results.md"
exit "$failed"
