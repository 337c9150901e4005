#!/usr/bin/env bash
# broker.sh -- starts the project's broker, `mosquitto -c mosquitto.conf`, so that it keeps its state whoever runs it, and refuses at once when it cannot listen
# Usage: scripts/broker.sh [--background] [--secure]
#   --secure                      run mosquitto-secure.conf instead (TLS on 8883, accounts,
#                                 ACL; one listener), with the files scripts/secure-setup.sh
#                                 made in MQTTVOTE_SECURE_DIR (default: secure/ at the root)
#   MQTTVOTE_PORT=1883            the public port (mosquitto.conf's "listener 1883" moved to it;
#                                 with --secure, 8883 and its "listener 8883")
#   MQTTVOTE_TALLIER_PORT=1884    the tallier's loopback port ("listener 1884 127.0.0.1" moved)
#   MQTTVOTE_WS_PORT=9001         the browsers' port: MQTT over WebSockets and the pages of
#                                 web/ ("listener 9001" moved; its "http_dir web" is made
#                                 absolute: mosquitto runs in the state directory)
#   MQTTVOTE_BIND=address         listen on that address only (default: every interface); the
#                                 WebSockets listener on the interface that carries it
#   MQTTVOTE_BROKER_DIR=dir       where mosquitto keeps mosquitto.db, mosquitto.pid and
#                                 mosquitto.log (default: ./broker-state)
# It waits until mosquitto says it is running, or exits 1 with the reason when mosquitto
# stops at start (the port is taken: Debian's own broker, another copy...). Then, in the
# foreground, it shows mosquitto's log until mosquitto exits (Ctrl-C or SIGTERM stop it
# cleanly: its state is saved); with --background it returns 0 and leaves it running.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tport=${MQTTVOTE_TALLIER_PORT:-1884}
wsport=${MQTTVOTE_WS_PORT:-9001}
bind=${MQTTVOTE_BIND:-}
state=${MQTTVOTE_BROKER_DIR:-$PWD/broker-state}
background=false
secure=false

usage() { echo "broker: $1" >&2; echo "usage: scripts/broker.sh [--background] [--secure]" >&2; exit 2; }
die() { echo "broker: $1" >&2; exit 1; }

for arg in "$@"; do
  case $arg in
    --background) background=true ;;
    --secure) secure=true ;;
    *) usage "unknown argument '$arg'" ;;
  esac
done
port=${MQTTVOTE_PORT:-1883}
if $secure; then
  port=${MQTTVOTE_PORT:-8883}
  tport=0 # no tallier listener: the tallier connects over TLS with its account
  secdir=${MQTTVOTE_SECURE_DIR:-$root/secure}
  for f in ca.crt server.crt server.key passwd; do
    [ -s "$secdir/$f" ] || die "no $secdir/$f: run scripts/secure-setup.sh VOTERS_FILE first (or set MQTTVOTE_SECURE_DIR)"
  done
  secdir=$(cd "$secdir" && pwd)
fi
[[ $port =~ ^[0-9]{1,5}$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] ||
  usage "invalid MQTTVOTE_PORT '$port' (want 1 to 65535)"
$secure || { [[ $tport =~ ^[0-9]{1,5}$ ]] && [ "$tport" -ge 1 ] && [ "$tport" -le 65535 ] && [ "$tport" != "$port" ]; } ||
  usage "invalid MQTTVOTE_TALLIER_PORT '$tport' (want 1 to 65535, not the public port)"
$secure || { [[ $wsport =~ ^[0-9]{1,5}$ ]] && [ "$wsport" -ge 1 ] && [ "$wsport" -le 65535 ] && [ "$wsport" != "$port" ] && [ "$wsport" != "$tport" ]; } ||
  usage "invalid MQTTVOTE_WS_PORT '$wsport' (want 1 to 65535, not the public or the tallier's port)"
[[ $bind =~ ^[0-9A-Za-z.:_-]*$ ]] || usage "invalid MQTTVOTE_BIND '$bind'"
# Mosquitto 2.0.11 (Debian 12's) hands a WebSockets listener's address to
# libwebsockets, which takes an interface name there and listens on every
# interface when given an address: the WebSockets listener gets the name
# of the interface that carries $bind (127.0.0.1: lo).
wsbind=
if [ -n "$bind" ] && ! $secure; then
  command -v ip >/dev/null || die "MQTTVOTE_BIND needs the command ip (package iproute2; scripts/setup.sh installs it)"
  wsbind=$(ip -o addr show to "$bind" 2>/dev/null | awk '{ print $2; exit }')
  [ -n "$wsbind" ] || die "MQTTVOTE_BIND '$bind' is no address of this machine (ip addr shows its addresses)"
fi
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$mosquitto" ] || die "mosquitto is not installed (scripts/setup.sh installs it)"

mkdir -p "$state" 2>/dev/null || die "cannot create $state: start it from a directory you can write, or set MQTTVOTE_BROKER_DIR"
state=$(cd "$state" && pwd)
if [ "$(id -u)" -eq 0 ]; then
  # Started as root, mosquitto 2.0 switches to the user "mosquitto" (or
  # "nobody" when there is none) right after reading its configuration,
  # before it opens anything: that user must own the directory.
  user=mosquitto
  getent passwd "$user" >/dev/null || user=nobody
  chown -R "$user:" "$state"
  chmod 700 "$state"
  ! command -v runuser >/dev/null || runuser -u "$user" -- test -w "$state" -a -x "$state" ||
    die "mosquitto, started as root, runs as the user '$user', who cannot reach $state (a directory above it is closed): set MQTTVOTE_BROKER_DIR to a directory that user can reach"
  # It serves web/ as that user too: a checkout that user cannot read gives 404s.
  if ! $secure && command -v runuser >/dev/null && [ -e "$root/web/index.html" ] &&
     ! runuser -u "$user" -- test -r "$root/web/index.html"; then
    echo "broker: warning: mosquitto, started as root, runs as the user '$user', who cannot read $root/web/index.html: the web pages will answer 404 (put the repository where that user can read it)" >&2
  fi
  # It reads the certificate, key, password file and ACL as that user too (Mosquitto 2.0.11).
  if $secure && command -v runuser >/dev/null; then
    for f in "$secdir/ca.crt" "$secdir/server.crt" "$secdir/server.key" "$secdir/passwd" "$root/mosquitto-secure.acl"; do
      runuser -u "$user" -- test -r "$f" ||
        die "mosquitto, started as root, runs as the user '$user', who cannot read $f: run scripts/secure-setup.sh as root (it lets that user's group read what the broker reads), or check the directories above it"
    done
  fi
else
  [ -w "$state" ] && [ -x "$state" ] || die "cannot write $state: set MQTTVOTE_BROKER_DIR to a directory you can write"
fi

if [ -s "$state/mosquitto.pid" ] && kill -0 "$(cat "$state/mosquitto.pid")" 2>/dev/null; then
  die "a broker already runs with its state in $state (pid $(cat "$state/mosquitto.pid")): stop it, or set MQTTVOTE_BROKER_DIR"
fi

conf=$root/mosquitto.conf
if $secure; then
  conf=$root/mosquitto-secure.conf
  grep -qx "listener 8883" "$conf" || die "$conf has no line 'listener 8883'"
  # its relative paths (secure/..., the ACL) made absolute: mosquitto runs in $state
  sed -e "s/^listener 8883\$/listener $port${bind:+ $bind}/" \
      -e "s#^\(certfile\|keyfile\|cafile\|password_file\) secure/#\1 $secdir/#" \
      -e "s#^acl_file mosquitto-secure.acl\$#acl_file $root/mosquitto-secure.acl#" "$conf" > "$state/mosquitto.conf"
  conf=$state/mosquitto.conf
else
  # Always a copy: its http_dir must be absolute (mosquitto runs in $state).
  grep -qx "listener 1883" "$conf" || die "$conf has no line 'listener 1883'"
  grep -qx "listener 1884 127.0.0.1" "$conf" || die "$conf has no line 'listener 1884 127.0.0.1'"
  grep -qx "listener 9001" "$conf" || die "$conf has no line 'listener 9001'"
  grep -qx "http_dir web" "$conf" || die "$conf has no line 'http_dir web'"
  [ -d "$root/web" ] || die "no $root/web: the pages the WebSockets listener serves"
  [ -s "$root/web/vendor/mqtt.min.js" ] ||
    echo "broker: warning: no $root/web/vendor/mqtt.min.js: the web pages cannot connect until scripts/setup.sh has copied it there" >&2
  sed -e "s/^listener 1883\$/listener $port${bind:+ $bind}/" \
      -e "s/^listener 1884 127.0.0.1\$/listener $tport 127.0.0.1/" \
      -e "s/^listener 9001\$/listener $wsport${wsbind:+ $wsbind}/" \
      -e "s#^http_dir web\$#http_dir $root/web#" "$conf" > "$state/mosquitto.conf"
  conf=$state/mosquitto.conf
fi
# mosquitto reads its acl_file from the directory it runs in, and (started
# as root) as the user it switched to: a copy of its own there.
if ! $secure; then
  cp "$root/mosquitto.acl" "$state/mosquitto.acl"
  chmod 644 "$state/mosquitto.acl"
  [ "$(id -u)" -ne 0 ] || chown "$user:" "$state/mosquitto.acl"
fi

# File descriptors: each connection takes one. The listeners' max_connections
# must run out before the descriptors do, or the public listeners' sockets
# (idle ones included) take the last descriptors and lock out the tallier's
# listener too. Mosquitto 2.0.11 counts a WebSockets client only once its
# HTTP upgrade is done: sockets that never send it are bounded by nothing
# but the descriptors (libwebsockets closes each after 10 s). So the soft
# limit is raised to 65536 (or the hard limit, if lower): more sockets than
# one address can open to one port (Linux's ephemeral ports, 28,232 by
# default), for about 12 bytes of memory a descriptor (measured). Then the sum
# of the maxima and 64 more (listening sockets, files) must fit. A listener
# without max_connections makes the sum unbounded.
read -r nlisteners maxsum <<<"$(awk '/^listener /{n++; m[n]=-1} /^max_connections /{m[n]=$2}
  END{s=0; for(i=1;i<=n;i++){ if(m[i]<0){s=-1; break} s+=m[i] } print n+0, s}' "$conf")"
fds=$(ulimit -Sn)
if [ "$fds" != unlimited ] && [ "$fds" -lt 65536 ]; then
  want=65536
  hard=$(ulimit -Hn)
  [ "$hard" = unlimited ] || [ "$want" -le "$hard" ] || want=$hard
  ulimit -Sn "$want" 2>/dev/null || true
  fds=$(ulimit -Sn)
fi
if [ "$maxsum" -lt 0 ]; then
  echo "broker: warning: a listener of $conf has no max_connections: strangers' idle sockets can take every file descriptor (ulimit -n $fds) and lock out every listener" >&2
elif [ "$fds" != unlimited ] && [ $((maxsum + 64)) -gt "$fds" ]; then
  die "the listeners take up to $maxsum connections (max_connections in $conf), which need $((maxsum + 64)) file descriptors, but ulimit -n is $fds (hard limit $(ulimit -Hn)): raise the hard limit (LimitNOFILE= of a systemd unit, nofile in /etc/security/limits.conf) or lower max_connections"
fi

log=$state/mosquitto.log
touch "$log"
offset=$(stat -c %s "$log")
(cd "$state" && exec "$mosquitto" -c "$conf") >>"$log" 2>&1 &
pid=$!
new_log() { tail -c +$((offset + 1)) "$log"; }

# Wait for mosquitto's "running" line, or for its exit (polled, 10 s at most).
for _ in $(seq 200); do
  if ! kill -0 "$pid" 2>/dev/null; then
    rc=0
    wait "$pid" || rc=$?
    if ! $secure && new_log | grep -q "Error: Unable to create websockets listener on port $wsport\.$"; then
      die "mosquitto cannot listen on port $wsport (the web pages, MQTT over WebSockets): another program holds it, or $root/web cannot be read (choose another port with MQTTVOTE_WS_PORT)"
    fi
    if new_log | grep -q "Error: Address already in use"; then
      # mosquitto names the port it was opening on the line before its error
      busy=$(new_log | sed -n 's/^.*Opening ipv[46] listen socket on port \([0-9]*\)\.$/\1/p' | tail -n 1)
      if ! $secure && [ "$busy" = "$tport" ]; then
        die "mosquitto cannot listen on port $tport (the tallier's and the organiser's, on 127.0.0.1): another program holds it (a broker already running, such as Debian's own: sudo systemctl stop mosquitto; or choose another port with MQTTVOTE_TALLIER_PORT)"
      fi
      die "mosquitto cannot listen on port $port: another program holds it (a broker already running, such as Debian's own: sudo systemctl stop mosquitto; or choose another port with MQTTVOTE_PORT)"
    fi
    new_log | sed 's/^/    /' >&2
    die "mosquitto stopped at start (exit $rc): $(new_log | grep -m1 'Error' || echo 'see its log above')"
  fi
  if new_log | grep -q "mosquitto version .* running"; then
    break
  fi
  sleep 0.05
done
if ! new_log | grep -q "mosquitto version .* running"; then
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  die "mosquitto did not start within 10 s; its log: $log"
fi
if [ "$maxsum" -ge 0 ]; then
  echo "broker: at most $maxsum connections on its $nlisteners listener(s) (max_connections), file descriptor limit $fds"
fi
if $secure; then
  echo "broker: mosquitto (pid $pid) listening on port $port (TLS, accounts: mosquitto-secure.conf), state in $state"
else
  echo "broker: mosquitto (pid $pid) listening on port $port (voters) and 127.0.0.1:$tport (the tallier), state in $state"
  # the pages' addresses: phones need this machine's address on the network, not 127.0.0.1
  host=${bind:-$(hostname -I 2>/dev/null | awk '{print $1}' || true)}
  echo "broker: results page http://${host:-127.0.0.1}:$wsport/ and voting page http://${host:-127.0.0.1}:$wsport/vote.html#POLL (MQTT over WebSockets on port $wsport, files of $root/web)"
fi

if $background; then
  exit 0
fi
tail -c +$((offset + 1)) -f -s 0.1 --pid="$pid" "$log" &
trap 'kill -TERM "$pid" 2>/dev/null || true' TERM INT HUP
rc=0
while kill -0 "$pid" 2>/dev/null; do
  if wait "$pid"; then rc=0; else rc=$?; fi
done
wait 2>/dev/null || true
exit "$rc"
