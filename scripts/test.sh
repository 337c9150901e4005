#!/usr/bin/env bash
# test.sh -- sets up mqtt-vote and what its tests need (packages, build, Chromium for the browser
# tests), then runs the whole test suite with ctest: every test runs, none is skipped
# Usage: scripts/test.sh [ctest options...]   (BUILD_DIR=dir to test another build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

# Test-only packages, which the demo never uses: Debian's chromium for the browser tests
# (driven by playwright-core, which scripts/setup.sh installs with npm ci).
test_packages=(chromium)
missing=()
for p in "${test_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test: installing ${missing[*]} (for the browser tests)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

"$root/scripts/setup.sh" >/dev/null
cd "$build"
ctest --output-on-failure -j"$(nproc)" "$@"
