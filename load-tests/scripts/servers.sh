# Sourced by the load-test scripts: starts netpol-pdp and the floor server
# on loopback ephemeral ports and stops them on exit.
#
# After `start_pdp MANIFESTS` and `start_floor`: PDP_DATA, PDP_ADMIN and
# FLOOR_DATA hold HOST:PORT. Needs BUILD_DIR and WORK set by the caller.

SERVER_PIDS=()

stop_servers() {
  for pid in "${SERVER_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${SERVER_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  SERVER_PIDS=()
}
trap stop_servers EXIT

# wait_ready NAME PID OUTFILE: waits (at most 30 s) for the ready line.
wait_ready() {
  local name=$1 pid=$2 out=$3
  for _ in $(seq 300); do
    if grep -q '^ready ' "$out" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited before it was ready; its stderr:" >&2
      cat "$WORK/$name.err" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "$name not ready after 30 s" >&2
  return 1
}

start_pdp() {
  "$BUILD_DIR/server/netpol-pdp" --manifests "$1" \
    --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    --metrics-listen 127.0.0.1:0 >"$WORK/pdp.out" 2>"$WORK/pdp.err" &
  SERVER_PIDS+=($!)
  wait_ready pdp $! "$WORK/pdp.out"
  PDP_DATA=$(sed -n 's/^ready .*data=\([^ ]*\).*/\1/p' "$WORK/pdp.out")
  PDP_ADMIN=$(sed -n 's/^ready .*admin=\([^ ]*\).*/\1/p' "$WORK/pdp.out")
}

start_floor() {
  "$BUILD_DIR/load-tests/netpol-floor-server" --listen 127.0.0.1:0 \
    >"$WORK/floor.out" 2>"$WORK/floor.err" &
  SERVER_PIDS+=($!)
  wait_ready floor $! "$WORK/floor.out"
  FLOOR_DATA=$(sed -n 's/^ready data=\([^ ]*\).*/\1/p' "$WORK/floor.out")
}
