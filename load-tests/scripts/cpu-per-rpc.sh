#!/usr/bin/env bash
# Server CPU per RPC of one or more server binaries, run one at a time and
# alternating, each against the same netpol-loadgen load: the figure to
# compare builds by, since decisions/s moves with whatever else shares the
# two cores.
#
#   load-tests/scripts/cpu-per-rpc.sh SERVER... 
#
# Each SERVER is a netpol-pdp binary (or a wrapper script that execs one);
# the floor is measured with FLOOR=1. Environment: BUILD_DIR
# (build/default), WORK (BUILD_DIR/cpu-per-rpc), ROUNDS (3), DURATION (5s),
# MODE (unary), FORM (compact), BATCH (10000), CONCURRENCY (4), EXTRA
# (more netpol-loadgen flags, e.g. "--rate 13000"),
# NAMESPACES/PODS/POLICIES (100/10000/2000). Prints one line per
# run: binary, decisions/s, server CPU µs per RPC (utime + stime from
# /proc), p99.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$root/build/default}
WORK=${WORK:-$BUILD_DIR/cpu-per-rpc}
ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-5s}
NAMESPACES=${NAMESPACES:-100} PODS=${PODS:-10000} POLICIES=${POLICIES:-2000}
cluster_flags=(--namespaces "$NAMESPACES" --pods "$PODS"
  --policies "$POLICIES" --seed 1)
servers=("$@")
[[ ${FLOOR:-0} == 1 ]] && servers+=("$BUILD_DIR/load-tests/netpol-floor-server")
((${#servers[@]})) || { echo "usage: $0 SERVER... (or FLOOR=1)" >&2; exit 2; }

mkdir -p "$WORK"
source "$here/servers.sh"
"$BUILD_DIR/load-tests/netpol-gen-cluster" "${cluster_flags[@]}" \
  --out "$WORK/cluster.yaml"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

for _ in $(seq "$ROUNDS"); do
  for server in "${servers[@]}"; do
    if [[ $(basename "$server") == netpol-floor-server ]]; then
      GLIBC_TUNABLES=$SERVER_MALLOC "$server" --listen 127.0.0.1:0 \
        >"$WORK/server.out" 2>"$WORK/server.err" &
    else
      GLIBC_TUNABLES=$SERVER_MALLOC "$server" --manifests "$WORK/cluster.yaml" \
        --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
        --metrics-listen 127.0.0.1:0 >"$WORK/server.out" 2>"$WORK/server.err" &
    fi
    pid=$!
    SERVER_PIDS+=("$pid")
    wait_ready server "$pid" "$WORK/server.out" || exit 2
    target=$(sed -n 's/^ready data=\([^ ]*\).*/\1/p' "$WORK/server.out")
    before=$(cpu_ticks "$pid")
    # shellcheck disable=SC2086  # EXTRA holds several flags
    "$BUILD_DIR/load-tests/netpol-loadgen" --target "$target" \
      --duration "$DURATION" --warmup 0s "${cluster_flags[@]}" \
      --mode "${MODE:-unary}" \
      --form "${FORM:-compact}" --batch "${BATCH:-10000}" \
      --concurrency "${CONCURRENCY:-4}" ${EXTRA:-} --json "$WORK/run.json" \
      >/dev/null
    after=$(cpu_ticks "$pid")
    stop_servers
    python3 - "$server" "$((after - before))" "$(getconf CLK_TCK)" \
      "$WORK/run.json" <<'PY'
import json, os, sys
server, ticks, hz, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
run = json.load(open(path))
print("%-28s %7.1f M/s  server %6.1f us/RPC  p99 %7.0f us" % (
    os.path.basename(server), run["decisions_per_second"] / 1e6,
    ticks / hz * 1e6 / max(run["count"], 1), run["latency_us"]["p99"]))
PY
  done
done
