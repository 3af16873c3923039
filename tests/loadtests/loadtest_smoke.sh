#!/usr/bin/env bash
# A few seconds of every load-test path on a small generated cluster:
# measure.sh (netpol-pdp beside the floor, every verdict verified, admin
# churn included), ghz data generation, and a check that --verify catches
# wrong answers (the floor's constant ALLOW). Needs BUILD_DIR and WORK.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
export BUILD_DIR WORK
rm -rf "$WORK"
mkdir -p "$WORK"
export NAMESPACES=10 PODS=300 POLICIES=60 SEED=7

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# 1. The measurement script end to end, short runs, verdicts verified.
WORK=$WORK/measure DURATION=0.4s WARMUP=0.1s VERIFY=1 \
  "$root/load-tests/scripts/measure.sh" unary_1 friendly_1000 compact_10k \
  stream_10k half_peak_1000 churn_1000 || fail "measure.sh failed"
table=$WORK/measure/results.md
for figure in "unary_1 | RPS" "friendly_1000 | decisions/s" \
  "compact_10k | decisions/s" "stream_10k | decisions/s" \
  "half_peak_1000 | p99" "churn_1000 | RPS under churn"; do
  grep -q "| $figure" "$table" || fail "no '$figure' row in $table"
done
publishes=$(/usr/bin/python3 -c 'import json,sys
print(json.load(open(sys.argv[1]))["churn_publishes"])' \
  "$WORK/measure/churn_1000_pdp.r1.json")
((publishes >= 2)) || fail "only $publishes admin publishes during churn"

# 2. ghz data files: one JSON array of requests per configuration.
WORK=$WORK/ghz "$root/load-tests/ghz/run-ghz.sh" --data-only ||
  fail "run-ghz.sh --data-only failed"
/usr/bin/python3 - "$WORK/ghz/data" <<'PY' || fail "bad ghz data files"
import json, sys
expected = {"unary_one_connection": (256, "connections", 1),
            "batch_100": (64, "connections", 100),
            "batch_1000": (16, "connections", 1000),
            "stream_compact": (16, "compact", 1000)}
for name, (count, field, batch) in expected.items():
    requests = json.load(open(f"{sys.argv[1]}/{name}.json"))
    assert len(requests) == count, (name, len(requests))
    for request in requests:
        if field == "connections":
            n = len(request["connections"])
        else:
            n = sum(len(b["portProtocols"]) for b in request["compact"])
        assert n == batch, (name, n)
PY

# 3. Server CPU per RPC, the netpol-pdp binary beside the floor.
WORK=$WORK/cpu ROUNDS=1 DURATION=0.4s FLOOR=1 \
  "$root/load-tests/scripts/cpu-per-rpc.sh" "$BUILD_DIR/server/netpol-pdp" \
  >"$WORK/cpu.txt" || fail "cpu-per-rpc.sh failed"
for server in netpol-pdp netpol-floor-server; do
  grep -q "^$server .* us/RPC" "$WORK/cpu.txt" || fail "no $server line"
done

# 4. --verify must fail against a server that answers wrongly.
source "$root/load-tests/scripts/servers.sh"
start_floor
if "$BUILD_DIR/load-tests/netpol-loadgen" --target "$FLOOR_DATA" \
  --namespaces $NAMESPACES --pods $PODS --policies $POLICIES --seed $SEED \
  --allow-ratio 0.5 --total 50 --batch 10 --verify >"$WORK/verify.txt"; then
  fail "--verify accepted the floor's constant verdicts"
fi
grep -q "Wrong verdicts" "$WORK/verify.txt" || fail "no wrong verdicts shown"
echo "loadtest smoke: OK"
