#!/usr/bin/env bash
# test.sh -- sets up mqtt-vote and what its tests need (packages, build, Chromium for the browser
# tests), then runs the whole test suite with ctest: every test runs, none is skipped
# Usage: scripts/test.sh [ctest options...]   (BUILD_DIR=dir to test another build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

MQTTVOTE_TEST_PACKAGES=1 "$root/scripts/setup.sh" >/dev/null
cd "$build"
ctest --output-on-failure -j"$(nproc)" "$@"
