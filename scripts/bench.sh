#!/usr/bin/env bash
# bench.sh -- builds mqtt-vote if needed (scripts/setup.sh), then runs the benchmark, bench/run.py
# Usage: scripts/bench.sh [--quick] [--json FILE] [--strict] [--only LIST]   (BUILD_DIR=dir to build elsewhere)
# The table goes to stdout, progress to stderr, the results to FILE (default bench-results.json).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/setup.sh" >&2
exec python3 "$root/bench/run.py" --build "$build" "$@"
