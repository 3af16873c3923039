#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors, and runs the
# whole test suite through ctest. Then, because bad input must never crash
# and readers must never race publishers:
#   - every suite again under ASan + UBSan (the property test with fewer
#     random clusters: the full set ran in the first pass);
#   - the snapshot store's tests under TSan (only those: Debian's gRPC is
#     not built with TSan, so the server cannot be checked that way).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

jobs=$(nproc)
cmake --preset ci
cmake --build --preset ci -j "$jobs"
ctest --preset ci -j "$jobs"

cmake --preset asan
cmake --build --preset asan -j "$jobs"
NETPOL_PROPERTY_SEEDS=40 NETPOL_PROPERTY_LARGE_SEEDS=4 \
  NETPOL_PROPERTY_EXHAUSTIVE_CLUSTERS=1 ctest --preset asan -j "$jobs"

cmake --preset tsan
cmake --build --preset tsan -j "$jobs" \
  --target core_snapshot_store_test core_snapshot_store_concurrency_test
TSAN_OPTIONS=halt_on_error=1 ctest --preset tsan -j "$jobs" -R 'snapshot_store|SnapshotStore|ContentHash'
