#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs netpolctl on the
# bundled example cluster (deploy/examples/shop): a validation, the
# connectivity matrix on the API port, the example queries, and one
# explained decision.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --target netpolctl

NETPOLCTL=build/default/client/netpolctl/netpolctl
EXAMPLE=deploy/examples/shop

set -x
"$NETPOLCTL" validate --manifests "$EXAMPLE/cluster.yaml"
"$NETPOLCTL" matrix --manifests "$EXAMPLE/cluster.yaml" --port 8000
"$NETPOLCTL" eval --manifests "$EXAMPLE/cluster.yaml" --queries "$EXAMPLE/queries.jsonl"
"$NETPOLCTL" check --manifests "$EXAMPLE/cluster.yaml" \
  --src prod/web-0 --dst prod/db-0 --port 3306 --explain
