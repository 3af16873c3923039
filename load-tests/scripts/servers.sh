# Sourced by the load-test scripts: starts netpol-pdp and the floor server
# on loopback ephemeral ports and stops them on exit.
#
# After `start_pdp MANIFESTS` and `start_floor`: PDP_DATA, PDP_ADMIN and
# FLOOR_DATA hold HOST:PORT. Needs BUILD_DIR and WORK set by the caller.

SERVER_PIDS=()

# glibc serves allocations above its mmap threshold (128 KiB at start)
# with mmap/munmap and moves the threshold as such blocks are freed, so a
# server's speed with 110 KB requests depends on what it allocated before.
# A fresh floor server gave 75-110 M/s on compact 10k, 150-185 M/s after a
# burst of small RPCs or with this fixed threshold; netpol-pdp (which frees
# large blocks while loading its cluster) gave the same with or without.
# Both servers start with the same fixed settings, so neither depends on
# its history.
SERVER_MALLOC=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=134217728

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
  GLIBC_TUNABLES=$SERVER_MALLOC "$BUILD_DIR/server/netpol-pdp" --manifests "$1" \
    --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    --metrics-listen 127.0.0.1:0 >"$WORK/pdp.out" 2>"$WORK/pdp.err" &
  SERVER_PIDS+=($!)
  wait_ready pdp $! "$WORK/pdp.out"
  PDP_DATA=$(sed -n 's/^ready .*data=\([^ ]*\).*/\1/p' "$WORK/pdp.out")
  PDP_ADMIN=$(sed -n 's/^ready .*admin=\([^ ]*\).*/\1/p' "$WORK/pdp.out")
}

start_floor() {
  GLIBC_TUNABLES=$SERVER_MALLOC "$BUILD_DIR/load-tests/netpol-floor-server" \
    --listen 127.0.0.1:0 \
    >"$WORK/floor.out" 2>"$WORK/floor.err" &
  SERVER_PIDS+=($!)
  wait_ready floor $! "$WORK/floor.out"
  FLOOR_DATA=$(sed -n 's/^ready data=\([^ ]*\).*/\1/p' "$WORK/floor.out")
}
