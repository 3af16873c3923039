#!/usr/bin/env bash
# Installs the Debian 12 packages netpol-pdp builds and tests with.
# Idempotent: does nothing when every package is already installed.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ pkg-config git
  libabsl-dev libyaml-cpp-dev nlohmann-json3-dev libxxhash-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  prometheus-cpp-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  python3
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
