#!/usr/bin/env bash
# setup.sh -- installs the Debian packages mqtt-vote needs (only those missing) and builds it into build/
# Usage: scripts/setup.sh [cmake options...]   (BUILD_DIR=dir to build elsewhere)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

packages=(build-essential cmake pkg-config libssl-dev libpaho-mqtt-dev libcjson-dev libsqlite3-dev
          libcmocka-dev mosquitto mosquitto-clients python3 netcat-openbsd
          python3-cryptography) # the signed-ballot test signs with it, independently of OpenSSL's C API
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S "$root" -B "$build" "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
echo "setup: built $build/voter/voter, $build/tallier/tallier and $build/pollctl/pollctl"
