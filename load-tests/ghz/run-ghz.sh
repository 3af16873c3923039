#!/usr/bin/env bash
# Writes the data files of this directory's ghz configurations from a
# generated cluster, then runs each configuration against netpol-pdp serving
# that cluster (started here on loopback, or --target).
#
#   load-tests/ghz/run-ghz.sh [--data-only] [--target HOST:PORT]
#
# Environment: BUILD_DIR (build/default) holding netpol-gen-cluster,
# netpol-loadgen and netpol-pdp; WORK (BUILD_DIR/ghz) for the cluster, the
# data files, configs with absolute proto paths and ghz's reports;
# NAMESPACES/PODS/POLICIES/SEED (100/10000/2000/1); DURATION overrides the
# configs' 10 s.
#
# Configs: unary_one_connection (one connection per RPC, concurrency 64),
# batch_100 and batch_1000 (friendly form), stream_compact (compact blocks of
# 1,000 on CheckConnectionStream).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$root/build/default}
WORK=${WORK:-$BUILD_DIR/ghz}
NAMESPACES=${NAMESPACES:-100} PODS=${PODS:-10000}
POLICIES=${POLICIES:-2000} SEED=${SEED:-1}

data_only=0 target=
while (($#)); do
  case $1 in
    --data-only) data_only=1 ;;
    --target) target=$2; shift ;;
    *) echo "usage: $0 [--data-only] [--target HOST:PORT]" >&2; exit 2 ;;
  esac
  shift
done

mkdir -p "$WORK/data"
"$BUILD_DIR/load-tests/netpol-gen-cluster" --namespaces "$NAMESPACES" \
  --pods "$PODS" --policies "$POLICIES" --seed "$SEED" \
  --out "$WORK/cluster.yaml"

# config name, form, batch, distinct requests (ghz cycles through them)
while read -r name form batch variants; do
  "$BUILD_DIR/load-tests/netpol-loadgen" --manifests "$WORK/cluster.yaml" \
    --seed "$SEED" --form "$form" --batch "$batch" --variants "$variants" \
    --write-requests "$WORK/data/$name.json"
  # ghz resolves the proto path from its working directory, WORK.
  sed -e "s#\"\\.\\./\\.\\./proto#\"$root/proto#g" \
    ${DURATION:+-e "s#\"duration\": \"[^\"]*\"#\"duration\": \"$DURATION\"#"} \
    "$here/$name.json" >"$WORK/$name.json"
done <<'CONFIGS'
unary_one_connection friendly 1 256
batch_100 friendly 100 64
batch_1000 friendly 1000 16
stream_compact compact 1000 16
CONFIGS
echo "data files and configs in $WORK"
((data_only)) && exit 0

if ! command -v ghz >/dev/null; then
  cat >&2 <<'HOWTO'
ghz is not installed (Debian does not package it). Either
  go install github.com/bojand/ghz/cmd/ghz@latest    # Go 1.20+, into ~/go/bin
or download a release archive (ghz-linux-x86_64.tar.gz) from
  https://github.com/bojand/ghz/releases
and put the `ghz` binary on PATH; then run this script again.
netpol-loadgen (load-tests/scripts/measure.sh) measures the same scenarios.
HOWTO
  exit 1
fi

if [[ -z $target ]]; then
  source "$root/load-tests/scripts/servers.sh"
  start_pdp "$WORK/cluster.yaml"
  target=$PDP_DATA
fi
cd "$WORK"
for name in unary_one_connection batch_100 batch_1000 stream_compact; do
  echo "== $name"
  ghz --config "$name.json" "$target" | tee "ghz-$name.txt"
done
