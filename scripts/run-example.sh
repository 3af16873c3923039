#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs the netpol-pdp
# server on the bundled example cluster (deploy/examples/shop), watching it
# for changes, on loopback. Prints ready-to-paste queries once it is up;
# Ctrl-C stops it (graceful drain).
#
# Ports: DATA_PORT (50051), ADMIN_PORT (50052), METRICS_PORT (9090).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --target netpol-pdp netpolctl

EXAMPLE=deploy/examples/shop
DATA="127.0.0.1:${DATA_PORT:-50051}"
ADMIN="127.0.0.1:${ADMIN_PORT:-50052}"
METRICS="127.0.0.1:${METRICS_PORT:-9090}"

build/default/client/netpolctl/netpolctl validate --manifests "$EXAMPLE"

ready_fifo=$(mktemp -u)
mkfifo "$ready_fifo"
build/default/server/netpol-pdp --manifests "$EXAMPLE" --watch \
  --listen "$DATA" --admin-listen "$ADMIN" --metrics-listen "$METRICS" \
  >"$ready_fifo" &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true' INT TERM
if ! read -r -t 30 ready <"$ready_fifo"; then
  echo "netpol-pdp did not start; see the messages above" >&2
  kill "$server" 2>/dev/null || true
  exit 1
fi
rm -f "$ready_fifo"

cat <<MSG

netpol-pdp is serving $EXAMPLE ($ready).
Edit files under $EXAMPLE and it reloads. Ctrl-C stops it.

May the API pods reach the database? (grpcurl; the server has reflection)
  grpcurl -plaintext -d '{"connections": [{"source": {"pod": {"namespace": "prod", "name": "api-0"}}, "destination": {"pod": {"namespace": "prod", "name": "db-0"}}, "port": 3306}], "explain": true}' $DATA netpol.v1.PolicyDecisionPoint/CheckConnection

By IP, web to db (denied: only the API may reach it):
  grpcurl -plaintext -d '{"connections": [{"source": {"ip": "10.1.0.10"}, "destination": {"ip": "10.1.0.30"}, "port": 3306}]}' $DATA netpol.v1.PolicyDecisionPoint/CheckConnection

Snapshot versions, health, metrics:
  grpcurl -plaintext $DATA netpol.v1.PolicyDecisionPoint/GetSnapshot
  grpcurl -plaintext $DATA grpc.health.v1.Health/Check
  curl -s http://$METRICS/metrics | grep ^netpol_

What would relabelling the API pods cut? (impact analysis, against the live snapshot)
  build/default/client/netpolctl/netpolctl impact --server $DATA --proposed deploy/examples/shop-changes/relabel-api.yaml

The same questions offline:
  build/default/client/netpolctl/netpolctl eval --manifests $EXAMPLE --queries $EXAMPLE/queries.jsonl
  build/default/client/netpolctl/netpolctl matrix --manifests $EXAMPLE --port 3306

MSG
wait "$server"
