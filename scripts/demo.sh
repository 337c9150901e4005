#!/usr/bin/env bash
# demo.sh -- sets mqtt-vote up, then runs a short poll: a broker, a tallier, a few voters, the result
# Usage: scripts/demo.sh          (MQTTVOTE_PORT=port to choose the broker's port, MQTTVOTE_WS_PORT
#                                  its web pages' port: MQTT over WebSockets)
# The broker is scripts/broker.sh (the repository's mosquitto.conf) on 127.0.0.1, on a
# free port unless MQTTVOTE_PORT says which, with a scratch state directory; the demo
# stops (exit 1) when that broker cannot listen, rather than talk to another one. Its
# WebSockets listener serves web/: the demo prints the results page's and the voting page's
# addresses, and, run from a terminal, keeps everything running until Enter is pressed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"

voter=$build/voter/voter
tallier=$build/tallier/tallier
pollctl=$build/pollctl/pollctl
work=$(mktemp -d /tmp/mqtt-vote-demo.XXXXXX)
chmod 711 "$work" # started as root, mosquitto runs as the user "mosquitto": it must reach $work/broker
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
    # the broker is not a child of this shell: poll until it has saved and gone
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  done
  rm -rf "$work"
}
trap cleanup EXIT

# wait_for DESCRIPTION COMMAND...: polls COMMAND (every 50 ms, 10 s at most).
wait_for() {
  local what=$1; shift
  for _ in $(seq 200); do "$@" && return 0; sleep 0.05; done
  echo "demo: timed out waiting for $what" >&2; exit 1
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=${MQTTVOTE_PORT:-$(free_port)}
tport=${MQTTVOTE_TALLIER_PORT:-$(free_port)}
wsport=${MQTTVOTE_WS_PORT:-$(free_port)}

echo "== broker: scripts/broker.sh (mosquitto -c mosquitto.conf: voters on port $port, the tallier on 127.0.0.1:$tport, web pages on $wsport)"
MQTTVOTE_PORT=$port MQTTVOTE_TALLIER_PORT=$tport MQTTVOTE_WS_PORT=$wsport MQTTVOTE_BIND=127.0.0.1 MQTTVOTE_BROKER_DIR=$work/broker "$root/scripts/broker.sh" --background ||
  { echo "demo: no broker of its own on port $port: stopping" >&2; exit 1; }
pids+=("$(cat "$work/broker/mosquitto.pid")")

echo "== tallier -p $tport --choices yes,no,abstain --db $work/tally.db -v"
"$tallier" -p "$tport" --choices yes,no,abstain --db "$work/tally.db" -v 2>"$work/tallier.log" &
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

echo "   a voter tries to forge the result (the broker's ACL refuses it):"
mosquitto_pub -p "$port" -V mqttv5 -q 1 -r -t vote/demo/result -m '{"poll":"demo","counts":{"no":99}}' ||
  echo "   (mosquitto_pub exit code $?)"

echo "== pollctl: the organiser opens a poll with its question and choices, results after it closes"
"$pollctl" -p "$tport" open lunch --question "Lunch at noon?" --choices yes,no --results after-close
"$voter" -p "$port" -t vote/lunch --info
"$voter" -p "$port" -t vote/lunch -m yes --voter alice --confirm
"$voter" -p "$port" -t vote/lunch -m pizza --voter bob || echo "   (voter exit code $?: not on offer, not sent)"
"$pollctl" -p "$tport" close lunch >/dev/null
"$pollctl" -p "$tport" show lunch
"$voter" -p "$port" -t vote/lunch -m no --voter carol --confirm || echo "   (voter exit code $?: the poll is closed)"

echo "== tallier log"
sed 's/^/   /' "$work/tallier.log"

result() { mosquitto_sub -p "$port" -t vote/demo/result -C 1 -W 2 2>/dev/null; }
settled() { result | grep -q '"total":4,"rejected":1'; }
wait_for "the result" settled
echo "== mosquitto_sub -t 'vote/+/result' -v"
mosquitto_sub -p "$port" -t 'vote/+/result' -v -C 1 -W 2

echo "== web pages (served by the broker's WebSockets listener, from web/)"
echo "   results:     http://127.0.0.1:$wsport/   (every poll; one, large: http://127.0.0.1:$wsport/#demo)"
echo "   voting page: http://127.0.0.1:$wsport/vote.html#demo"
if [ -t 0 ] && [ -t 1 ]; then
  read -r -p "   open them in a browser; press Enter to stop the demo " _ || true
fi
