#!/usr/bin/env python3
"""bench/tcp.py -- ballots per second into the tallier: over its direct TCP
mode (tallier --no-mqtt --listen 127.0.0.1:0) with 1, 10 and 100
connections, and over MQTT (a private mosquitto, mosquitto_pub -l -q 1) for
comparison. A measurement, not a test; python3 standard library only.

    python3 bench/tcp.py [--ballots 20000] [--window 64] [--connections 1,10,100] [--no-mqtt]

TCP: each run starts a fresh tallier (its own temp dir, so a fresh
tally.db) and sends --ballots ballots, each from its own voter, spread over
the connections; each connection keeps up to --window ballots in flight
(pipelined) and reads their receipts. Time: from the first byte sent to the
last receipt read. Every receipt must say "counted", and the result the
tallier gives afterwards ({"get":"result"}) must hold exactly that many.

MQTT: a private mosquitto on a free loopback port, a tallier subscribed to
the poll, one warm-up ballot (so the result watcher is known to be
subscribed), then the ballots published by one `mosquitto_pub -l -q 1`
process. Time: from starting mosquitto_pub until the retained result's
total reaches them all (the tallier publishes a result at most 10 times a
second, so this includes up to ~0.1 s of coalescing).

Binaries: $MQTTVOTE_TALLIER and $MQTTVOTE_VOTER, else ./build/tallier/tallier
and ./build/voter/voter (from the current directory, then from the
repository root); mosquitto, mosquitto_pub, mosquitto_sub from
$MQTTVOTE_MOSQUITTO* or PATH. Exits 1 when a check fails."""

import argparse
import json
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402 (the integration tests' tools)

harness.use_build_binaries(ROOT, "bench/tcp.py")

CHOICES = ("yes", "no", "abstain")


def ballot_line(poll, n, tag):
    return (json.dumps({"poll": poll, "voter": "%s-%06d" % (tag, n), "choice": CHOICES[n % 3],
                        "id": "%032x" % (n + 1), "ts": 1795323303110 + n},
                       separators=(",", ":")) + "\n").encode()


class Conn:
    def __init__(self, port, lines):
        self.sock = socket.create_connection((harness.HOST, port), timeout=10)
        self.sock.setblocking(False)
        self.lines = lines
        self.next = 0          # index of the next line to queue
        self.out = b""         # queued, not sent yet
        self.inflight = 0      # queued or sent, no receipt yet
        self.inbuf = b""
        self.done = 0          # receipts read
        self.bad = []          # receipts that did not say counted


def run_tcp(conns, ballots, window):
    t = harness.TcpTallier(None, "bench-tcp-%d" % conns)
    try:
        port = t.wait_listening()
        poll = "bench-tcp-%d" % conns
        # warm-up (and a check that voter --tcp reaches it): another poll
        rc, out, err = harness.run_voter(["--tcp", "-h", harness.HOST, "-p", str(port),
                                          "-t", "vote/warmup", "-m", "yes", "--voter", "w"])
        if rc != 0:
            raise RuntimeError("voter --tcp warm-up failed (%d): %s %s" % (rc, out, err))
        lines = [ballot_line(poll, n, "v") for n in range(ballots)]
        cs = [Conn(port, lines[k::conns]) for k in range(conns)]
        sel = selectors.DefaultSelector()
        for c in cs:
            sel.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
        left = ballots
        start = time.monotonic()
        deadline = start + 600
        while left > 0:
            if time.monotonic() > deadline:
                raise RuntimeError("TCP run with %d connections did not finish in 600 s" % conns)
            for key, ev in sel.select(timeout=5):
                c = key.data
                if ev & selectors.EVENT_READ:
                    data = c.sock.recv(262144)
                    if not data:
                        raise RuntimeError("the tallier closed a connection:\n" + t.log()[-2000:])
                    c.inbuf += data
                    *replies, c.inbuf = c.inbuf.split(b"\n")
                    for r in replies:
                        if b'"status":"counted"' not in r:
                            c.bad.append(r)
                    c.done += len(replies)
                    c.inflight -= len(replies)
                    left -= len(replies)
                if c.inflight < window and c.next < len(c.lines):
                    k = min(window - c.inflight, len(c.lines) - c.next)
                    c.out += b"".join(c.lines[c.next:c.next + k])
                    c.next += k
                    c.inflight += k
                if c.out and ev & selectors.EVENT_WRITE:
                    try:
                        n = c.sock.send(c.out)
                        c.out = c.out[n:]
                    except BlockingIOError:
                        pass
                want = selectors.EVENT_READ
                if c.out or (c.inflight < window and c.next < len(c.lines)):
                    want |= selectors.EVENT_WRITE
                if want != key.events:
                    sel.modify(c.sock, want, c)
        took = time.monotonic() - start
        for c in cs:
            sel.unregister(c.sock)
            c.sock.close()
        sel.close()
        bad = [r for c in cs for r in c.bad]
        if bad:
            raise RuntimeError("%d receipts did not say counted, e.g. %r" % (len(bad), bad[0]))
        r = harness.tcp_request(port, {"get": "result", "poll": poll})
        if r.get("total") != ballots or r.get("rejected") != 0:
            raise RuntimeError("result after the run: %r (want total %d)" % (r, ballots))
        rc = t.stop()
        if rc != 0:
            raise RuntimeError("tallier exited %s:\n%s" % (rc, t.log()[-2000:]))
        return took
    finally:
        t.cleanup()


def run_mqtt(ballots):
    broker = harness.Broker.private()
    t = sub = None
    lines_file = None
    try:
        poll = "bench-mqtt"
        topic = "vote/" + poll
        t = harness.Tallier(broker.port, "bench-mqtt", topics=[topic])
        t.wait_subscribed()
        sub = subprocess.Popen([harness.mosquitto_sub_path(), "-h", harness.HOST, "-p",
                                str(broker.port), "-q", "1", "-t", topic + "/result"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
        seen = {"total": None, "rejected": None, "at": None}
        target = ballots + 1  # the warm-up ballot too
        warm, done = threading.Event(), threading.Event()

        def watch():
            for line in sub.stdout:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                seen.update(total=r.get("total"), rejected=r.get("rejected"),
                            at=time.monotonic())
                if r.get("total", 0) >= 1:
                    warm.set()
                if r.get("total", 0) >= target:
                    done.set()
                    return
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        harness.pub(broker.port, topic, json.dumps({"voter": "warmup", "choice": "yes"}))
        if not warm.wait(30):
            raise RuntimeError("the warm-up ballot's result never came:\n" + t.log()[-2000:])
        fd, lines_file = tempfile.mkstemp(prefix="mqttvote-bench-")
        with os.fdopen(fd, "wb") as f:
            f.write(b"".join(ballot_line(poll, n, "m") for n in range(ballots)))
        with open(lines_file, "rb") as stdin:
            start = time.monotonic()
            pub = subprocess.Popen([harness.mosquitto_pub_path(), "-h", harness.HOST, "-p",
                                    str(broker.port), "-q", "1", "-t", topic, "-l"],
                                   stdin=stdin, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        if not done.wait(600):
            pub.kill()
            pub.wait()
            raise RuntimeError("the result reached %r of %d in 600 s" % (seen["total"], target))
        took = seen["at"] - start
        err = pub.communicate(timeout=60)[1]
        if pub.returncode != 0:
            raise RuntimeError("mosquitto_pub failed (%d): %s" % (pub.returncode, err))
        if seen["total"] != target or seen["rejected"] != 0:
            raise RuntimeError("final result: total %r, rejected %r (want %d, 0)"
                               % (seen["total"], seen["rejected"], target))
        rc = t.stop()
        if rc != 0:
            raise RuntimeError("tallier exited %s:\n%s" % (rc, t.log()[-2000:]))
        return took
    finally:
        if sub is not None:
            if sub.poll() is None:
                sub.terminate()
            sub.wait(10)
            sub.stdout.close()
        if t is not None:
            t.cleanup()
        broker.cleanup()
        if lines_file:
            os.unlink(lines_file)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ballots", type=int, default=20000)
    ap.add_argument("--window", type=int, default=64, help="ballots in flight per connection")
    ap.add_argument("--connections", default="1,10,100")
    ap.add_argument("--no-mqtt", action="store_true", help="skip the MQTT comparison")
    a = ap.parse_args()
    if not 0 < a.ballots <= 50000:
        ap.error("--ballots: 1 to 50000 (one mosquitto_pub process takes at most 50,000 lines)")
    rows = []
    failed = False
    runs = [("tcp", int(n)) for n in a.connections.split(",")]
    if not a.no_mqtt:
        runs.append(("mqtt", 1))
    print("tallier: %s\n%d ballots per run, distinct voters; TCP: up to %d in flight per "
          "connection" % (os.environ["MQTTVOTE_TALLIER"], a.ballots, a.window), flush=True)
    for path, conns in runs:
        try:
            took = run_tcp(conns, a.ballots, a.window) if path == "tcp" else run_mqtt(a.ballots)
            rows.append((path, conns, a.ballots, took))
        except Exception as e:
            failed = True
            print("%s with %d connection(s): FAILED: %s" % (path, conns, e), file=sys.stderr)
    print()
    print("%-5s %11s %8s %8s %10s" % ("path", "connections", "ballots", "seconds", "ballots/s"))
    for path, conns, n, took in rows:
        print("%-5s %11d %8d %8.3f %10.0f" % (path, conns, n, took, n / took))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
