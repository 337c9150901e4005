#!/usr/bin/env python3
"""bench/restart.py -- how fast a tallier comes back with a full database.

Starts a private mosquitto on a free 127.0.0.1 port (the repository's
mosquitto.conf, moved to that port and a temp dir), fills a tallier's
database with N ballots (default 100,000: distinct voters, one poll,
published through the broker with `mosquitto_pub -l` in chunks of at most
50,000 lines, since QoS 1 with -l stops early past 65,535 messages), stops
the tallier, then restarts it several times and measures, for each run:

  load     from the process start to its line "tallier: loaded N ballots ..."
  result   from the process start to the retained result being published
           again (the retained result is cleared before each run, so only
           the new tallier can bring it back; the time is the one at which
           a mosquitto_sub subscribed beforehand received it)
  VmHWM    the tallier's peak resident memory (/proc/<pid>/status)

Prints a table and exits 0 (1 when something went wrong, with the reason).

    python3 bench/restart.py [--ballots N] [--runs R] [--sync normal|full]

Binaries: $MQTTVOTE_TALLIER and $MQTTVOTE_VOTER, else ./build/tallier/tallier
and ./build/voter/voter (from the current directory, then the repository
root); mosquitto, mosquitto_pub and mosquitto_sub from $MQTTVOTE_MOSQUITTO...
or the PATH. Python 3 standard library only. Everything it starts is
stopped, and its temp dirs removed, before it exits.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402 (the integration tests' tools: Broker, Capture, pub...)

CHUNK = 50000  # lines per mosquitto_pub -l


class Fail(Exception):
    pass


class TimedTallier:
    """A tallier whose stderr lines are timestamped (time.monotonic) as
    they arrive, by a reader thread."""

    def __init__(self, argv, cwd):
        self.lines = []
        self.cond = threading.Condition()
        self.t0 = time.monotonic()
        self.t0_wall = time.time()
        self.proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     preexec_fn=harness._die_with_parent, close_fds=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stderr:
            now = time.monotonic()
            with self.cond:
                self.lines.append((now, raw.decode("utf-8", "replace").rstrip("\n")))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, prefix, timeout):
        """(seconds after start, line) of the first line starting with prefix."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for when, line in self.lines:
                    if line.startswith(prefix):
                        return when - self.t0, line
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    raise Fail("the tallier did not log %r within %.0f s; its stderr:\n%s"
                               % (prefix, timeout, self.log()))
                self.cond.wait(min(left, 0.5))

    def log(self):
        return "\n".join(line for _, line in self.lines[-30:])

    def vm_hwm_kib(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    def stop(self, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise Fail("the tallier did not exit within %d s of SIGTERM" % timeout)
        self.reader.join(5)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def tallier_argv(port, poll, db, sync):
    return [harness.tallier_path(), "-h", harness.HOST, "-p", str(port), "-i", "bench-restart",
            "-t", "vote/" + poll, "--db", db, "--sync", sync]


def fill(port, poll, db, workdir, n, sync):
    """Runs a tallier on a new database while n ballots are published;
    returns once the retained result counts them all and it has stopped."""
    t = TimedTallier(tallier_argv(port, poll, db, sync), workdir)
    try:
        t.wait_line("tallier: subscribed to", 30)
        topic = "vote/" + poll
        ts0 = int(time.time() * 1000) - n
        started = time.monotonic()
        for first in range(0, n, CHUNK):
            last = min(n, first + CHUNK)
            data = "".join(
                '{"poll":"%s","voter":"v%07d","choice":"%s","id":"%s","ts":%d}\n'
                % (poll, i, ("yes", "no", "abstain")[i % 3], secrets.token_hex(16), ts0 + i)
                for i in range(first, last)).encode()
            p = subprocess.run([harness.mosquitto_pub_path(), "-h", harness.HOST, "-p", str(port),
                                "-q", "1", "-t", topic, "-l"], input=data,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
            if p.returncode != 0:
                raise Fail("mosquitto_pub -l failed (%d): %s" % (p.returncode, p.stderr.decode()))
        published = time.monotonic() - started
        deadline = time.monotonic() + 600
        while True:
            r = harness.get_result(port, poll, timeout=2)
            if r and r.get("total") == n:
                break
            if time.monotonic() > deadline or t.proc.poll() is not None:
                raise Fail("the tallier did not count %d ballots (last result %r); stderr:\n%s"
                           % (n, r, t.log()))
            time.sleep(0.5)  # between polls of the result only
        counted = time.monotonic() - started
        rc = t.stop()
        if rc != 0:
            raise Fail("the tallier exited %s on SIGTERM; stderr:\n%s" % (rc, t.log()))
        return published, counted
    finally:
        t.kill()


def measure(port, poll, db, workdir, n, sync):
    """One restart: returns (load_s, result_s, subscribed_s, vm_hwm_kib)."""
    topic = "vote/%s/result" % poll
    harness.pub(port, topic, None, retain=True)  # clear: only the new tallier brings it back
    if harness.get_result(port, poll, timeout=1) is not None:
        raise Fail("the retained result is still there after clearing it")
    capture = harness.Capture(port, topic)  # subscribed now, read after the start
    t = TimedTallier(tallier_argv(port, poll, db, sync), workdir)
    try:
        load_s, line = t.wait_line("tallier: loaded ", 120)
        expect = "tallier: loaded %d ballots in 1 polls from %s" % (n, db)
        if line != expect:
            raise Fail("unexpected line %r (expected %r)" % (line, expect))
        sub_s, _ = t.wait_line("tallier: subscribed to", 60)
        got = capture.fetch(count=1, wait=60, fmt="%U %p")
        if not got:
            raise Fail("no result came within 60 s; stderr:\n%s" % t.log())
        stamp, _, payload = got[0].partition(" ")
        result = json.loads(payload)
        if result.get("total") != n:
            raise Fail("the republished result does not count %d ballots: %s" % (n, payload))
        result_s = float(stamp) - t.t0_wall
        hwm = t.vm_hwm_kib()
        rc = t.stop()
        if rc != 0:
            raise Fail("the tallier exited %s on SIGTERM; stderr:\n%s" % (rc, t.log()))
        return load_s, result_s, sub_s, hwm
    finally:
        t.kill()
        capture.close()


def confirm_once(port, poll, db, workdir, sync):
    """A last sanity check: a restarted tallier confirms a new ballot."""
    t = TimedTallier(tallier_argv(port, poll, db, sync), workdir)
    try:
        t.wait_line("tallier: subscribed to", 60)
        p = subprocess.run([harness.voter_path(), "-h", harness.HOST, "-p", str(port),
                            "-t", "vote/" + poll, "-m", "yes", "--voter", "bench-check",
                            "--confirm", "--timeout", "30"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if p.returncode != 0:
            raise Fail("voter --confirm after the restarts: exit %d: %s%s"
                       % (p.returncode, p.stdout.decode(), p.stderr.decode()))
        t.stop()
        return p.stdout.decode().strip()
    finally:
        t.kill()


def size_of(db):
    return sum(os.path.getsize(db + ext) for ext in ("", "-wal") if os.path.exists(db + ext))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ballots", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sync", choices=("normal", "full"), default="normal")
    args = ap.parse_args()

    harness.use_build_binaries(ROOT, "restart.py")
    os.environ.setdefault("MQTTVOTE_SOURCE_DIR", ROOT)
    help_text = subprocess.run([harness.tallier_path(), "--help"], stdout=subprocess.PIPE,
                               timeout=10).stdout.decode()
    if "--db" not in help_text:
        sys.exit("restart.py: %s has no --db (an old build?)" % harness.tallier_path())

    workdir = tempfile.mkdtemp(prefix="mqttvote-bench-restart-")
    broker = None
    try:
        broker = harness.Broker.private(repo_conf=True)
        poll = "bench-restart"
        db = os.path.join(workdir, "tally.db")
        print("tallier %s, mosquitto on 127.0.0.1:%d, database %s, --sync %s"
              % (harness.tallier_path(), broker.port, db, args.sync))
        published, counted = fill(broker.port, poll, db, workdir, args.ballots, args.sync)
        print("filled: %d ballots published in %.1f s, all counted after %.1f s (%.0f ballots/s)"
              % (args.ballots, published, counted, args.ballots / counted))
        db_bytes = size_of(db)
        rows = []
        for _ in range(args.runs):
            rows.append(measure(broker.port, poll, db, workdir, args.ballots, args.sync))
        check = confirm_once(broker.port, poll, db, workdir, args.sync)

        print()
        print("ballots: %d in 1 poll; database: %.1f MiB (%d bytes)"
              % (args.ballots, db_bytes / 1048576, db_bytes))
        print()
        print("%-6s %12s %14s %16s %12s" % ("run", "load (ms)", "subscribed (ms)",
                                            "first result (ms)", "VmHWM (MiB)"))
        for i, (load_s, result_s, sub_s, hwm) in enumerate(rows, 1):
            print("%-6d %12.1f %14.1f %16.1f %12s" % (
                i, load_s * 1000, sub_s * 1000, result_s * 1000,
                "?" if hwm is None else "%.1f" % (hwm / 1024)))
        med = [statistics.median(col) for col in zip(*[(a, c, b) for a, b, c, _ in rows])]
        hwms = [h for *_, h in rows if h is not None]
        print("%-6s %12.1f %14.1f %16.1f %12s" % (
            "median", med[0] * 1000, med[1] * 1000, med[2] * 1000,
            "%.1f" % (statistics.median(hwms) / 1024) if hwms else "?"))
        print()
        print("load: process start to 'tallier: loaded'; subscribed: to 'tallier: subscribed';")
        print("first result: to the retained result received by a subscriber (cleared before).")
        print("after the runs: %s" % check)
        return 0
    except Fail as e:
        print("restart.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        if broker is not None:
            broker.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
