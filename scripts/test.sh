#!/usr/bin/env bash
# test.sh -- sets up mqtt-vote if needed (packages, build) and runs the whole test suite with ctest
# Usage: scripts/test.sh [ctest options...]   (BUILD_DIR=dir to test another build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

"$root/scripts/setup.sh" >/dev/null
cd "$build"
ctest --output-on-failure -j"$(nproc)" "$@"
