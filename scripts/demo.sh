#!/usr/bin/env bash
# demo.sh -- sets mqtt-vote up, then runs a short poll: a broker, a tallier, a few voters, the result
# Usage: scripts/demo.sh
# The broker uses the repository's mosquitto.conf, moved to a free loopback port
# and a scratch directory so that it never clashes with a broker already running.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"

voter=$build/voter/voter
tallier=$build/tallier/tallier
work=$(mktemp -d /tmp/mqtt-vote-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# wait_for DESCRIPTION COMMAND...: polls COMMAND (every 50 ms, 10 s at most).
wait_for() {
  local what=$1; shift
  for _ in $(seq 200); do "$@" && return 0; sleep 0.05; done
  echo "demo: timed out waiting for $what" >&2; exit 1
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s/^listener 1883$/listener $port 127.0.0.1/" "$root/mosquitto.conf" > "$work/mosquitto.conf"
[ "$(id -u)" -ne 0 ] || echo "user root" >> "$work/mosquitto.conf" # else it drops to 'mosquitto', who cannot write $work

echo "== broker: mosquitto -c mosquitto.conf (port $port)"
(cd "$work" && exec mosquitto -c "$work/mosquitto.conf" >"$work/broker.log" 2>&1) &
pids+=($!)
wait_for "the broker" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null

echo "== tallier -p $port --choices yes,no,abstain --db $work/tally.db"
"$tallier" -p "$port" --choices yes,no,abstain --db "$work/tally.db" -v 2>"$work/tallier.log" &
pids+=($!)
wait_for "the tallier" grep -q "subscribed to" "$work/tallier.log"

echo "== voters"
"$voter" -p "$port" -t vote/demo -m yes --voter alice
"$voter" -p "$port" -t vote/demo -m no --voter bob
"$voter" -p "$port" -t vote/demo -m yes --voter carol
"$voter" -p "$port" -t vote/demo -m abstain --voter dave
echo "   bob changes his mind:"
"$voter" -p "$port" -t vote/demo -m yes --voter bob
echo "   a ballot for a choice that is not on offer, waiting for the tallier's receipt (--confirm):"
"$voter" -p "$port" -t vote/demo -m maybe --voter erin --confirm || echo "   (voter exit code $?: rejected by the tallier)"

echo "== tallier log"
sed 's/^/   /' "$work/tallier.log"

result() { mosquitto_sub -p "$port" -t vote/demo/result -C 1 -W 2 2>/dev/null; }
settled() { result | grep -q '"total":4,"rejected":1'; }
wait_for "the result" settled
echo "== mosquitto_sub -t 'vote/+/result' -v"
mosquitto_sub -p "$port" -t 'vote/+/result' -v -C 1 -W 2
