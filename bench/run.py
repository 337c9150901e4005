#!/usr/bin/env python3
"""run.py -- the mqtt-vote benchmark: the project's figures next to a
reference that does no work, measured in one run on the same machine.

    python3 bench/run.py [--quick] [--json FILE] [--build DIR] [--strict]

(scripts/bench.sh builds first, then runs this.) It starts its own
Mosquitto brokers on free 127.0.0.1 ports (max_queued_messages 0: no
ballot is ever dropped; a fresh broker for every measurement, so no
session or queue of one run weighs on the next), drives them with
bench/loadgen (Paho MQTTAsync, N connections, QoS 1) and measures:

 1. throughput, live (publishers running) and draining a backlog queued
    while the consumer was offline: the tallier (default durable
    settings: SQLite, synchronous=NORMAL) against mosquitto_sub -q 1
    -t 'vote/+' > /dev/null; with the tallier's CPU time (/proc/<pid>/stat
    utime+stime) and peak RSS (VmHWM), read just before it is stopped;
 2. ballot-to-receipt latency at a light load (1,000 ballots/s) and at
    saturation (closed loop: each connection keeps 8 ballots awaiting a
    receipt), against `loadgen --respond`, a responder that answers every
    ballot with a fixed receipt without reading it;
 3. memory per voter (a store of 1,000,000 voters written directly with
    sqlite3, schema of tallier/store.c) and the restart time with it,
    against the sqlite3 shell reading the same rows to /dev/null;
 4. voter CLI wall time per ballot against mosquitto_pub -q 1, MQTT 5 and
    3.1.1 (--only cli);
 5. voter --confirm wall time, ballot to receipt, against mosquitto_rr
    -q 1 doing the same request and reply, a tallier answering both
    (--only confirm);
 7. the web page (--only page): the time from a ballot (mosquitto_pub -l,
    QoS 1) to the results page (web/index.html in headless Chromium, MQTT.js
    over the broker's WebSockets listener) showing its total, against the
    time from the same ballot to mosquitto_sub receiving the result; skipped,
    saying why, without Chromium or what scripts/setup.sh installs;
 8. receipts with 1,000 polls alive (--only manypolls): the light-load
    receipt p99 of a tallier that 1,000 ballots on 1,000 poll names have
    just given 1,000 results to publish, with 200 ballots/s more spread
    over those polls while it is measured, against the light-load p99 of a
    fresh tallier in the same run (issue 19: receipts must not wait behind
    the results of many polls);
 6. signed ballots (--only signed): live throughput of a signed poll
    (tallier --roll, every ballot signed by loadgen --sign before the
    clock starts) against the same tallier on an unsigned poll, in the
    same run; and bench/signcost: the signature check's cost per ballot
    (parse, roll lookup, Ed25519 verify) against parsing an unsigned one.

It prints a table (figure, project, reference, ratio, target) and writes
the same as JSON. --quick (seconds) is the CI smoke test of the harness:
its numbers are too small to mean anything. Exit status: 0 when every
measurement ran (targets missed or not; --strict: 3 when one is missed),
1 when a measurement failed, 2 on a usage error.

Rules kept: only 127.0.0.1, free ports found by binding port 0, Paho
tracing variables removed from every child's environment, and only the
processes started here are ever signalled, by PID (children also get
PR_SET_PDEATHSIG, so none outlives this script).
"""

import argparse
import ctypes
import datetime
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

GROUPS = ("throughput", "latency", "memory", "cli", "confirm", "signed", "page", "manypolls")  # what --only selects

FULL = {
    "throughput_ballots": 200000,
    "throughput_repeats": 3,
    "connections": 4,
    "light_rate": 1000,
    "light_ballots": 10000,
    "saturation_ballots": 10000,
    "receipt_window": 8,
    "store_voters": 1000000,
    "restart_repeats": 3,
    "cli_runs": 40,
    "timeout": 300,
    "signcost_rounds": 20000,
    "page_ballots": 30,
    "many_polls": 1000,
    "many_rate": 200,
}
QUICK = {
    "throughput_ballots": 2000,
    "throughput_repeats": 1,
    "connections": 4,
    "light_rate": 1000,
    "light_ballots": 300,
    "saturation_ballots": 400,
    "receipt_window": 8,
    "store_voters": 10000,
    "restart_repeats": 1,
    "cli_runs": 5,
    "timeout": 60,
    "signcost_rounds": 200,
    "page_ballots": 3,
    "many_polls": 1000,
    "many_rate": 200,
}

# --------------------------------------------------------------------------
# Children: started here, signalled only by PID, dead with us.

_PR_SET_PDEATHSIG = 1
try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover
    _libc = None


def _pdeathsig():
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def child_env():
    """Our environment without Paho's tracing (40 times slower)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MQTT_C_CLIENT_TRACE")}
    env["LC_ALL"] = "C"
    return env


_children = []


class Proc:
    """A child process, reaped by a thread with os.wait4 (exit time and
    rusage), with its stdout or stderr read line by line, time-stamped."""

    def __init__(self, argv, name, capture=None, on_line=None, cwd=None, sample_hwm=False):
        self.name = name
        self.hwm_kb = None  # with sample_hwm: the last VmHWM read while it ran
        self.argv = argv
        self.lines = []  # (time, line)
        self.cond = threading.Condition()
        self.on_line = on_line
        self.t_start = time.time()
        self.t_exit = None
        self.rusage = None
        self.status = None
        self.done = threading.Event()
        out = subprocess.PIPE if capture == "stdout" else subprocess.DEVNULL
        err = subprocess.PIPE if capture == "stderr" else subprocess.DEVNULL
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=child_env(),
                                  cwd=cwd, preexec_fn=_pdeathsig, text=True, errors="replace")
        self.pid = self.p.pid
        _children.append(self)
        self._reader = None
        stream = self.p.stdout if capture == "stdout" else self.p.stderr if capture == "stderr" else None
        if stream is not None:
            self._reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
            self._reader.start()
        threading.Thread(target=self._wait, daemon=True).start()
        if sample_hwm:
            threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self):
        # rusage's ru_maxrss would count the forked Python before exec;
        # samples are taken only once the program itself runs
        comm = os.path.basename(self.argv[0])[:15]
        while True:
            try:
                with open("/proc/%d/comm" % self.pid) as f:
                    ours = f.read().strip() == comm
                if ours:
                    _, hwm, _ = proc_stats(self.pid)
                    if hwm:
                        self.hwm_kb = hwm
            except (OSError, ValueError, IndexError):
                pass
            if self.done.wait(0.005):
                return

    def _read(self, stream):
        for line in stream:
            now = time.time()
            with self.cond:
                self.lines.append((now, line.rstrip("\n")))
                self.cond.notify_all()
            if self.on_line:
                self.on_line(now, line.rstrip("\n"))
        stream.close()

    def _wait(self):
        _, status, ru = os.wait4(self.pid, 0)
        self.t_exit = time.time()
        self.rusage = ru
        self.status = os.waitstatus_to_exitcode(status)
        self.p.returncode = self.status  # Popen must never wait for it again
        self.done.set()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, pattern, timeout):
        """The (time, match) of the first line matching pattern, waiting up to timeout."""
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        seen = 0
        with self.cond:
            while True:
                for t, line in self.lines[seen:]:
                    m = rx.search(line)
                    if m:
                        return t, m
                seen = len(self.lines)
                left = deadline - time.time()
                if self.done.is_set() and (self._reader is None or not self._reader.is_alive()):
                    raise BenchError("%s exited (status %s) without a line matching %r%s" % (
                        self.name, self.status, pattern, self.tail()))
                if left <= 0:
                    raise BenchError("%s: no line matching %r in %.0f s%s" % (
                        self.name, pattern, timeout, self.tail()))
                self.cond.wait(min(left, 0.2))

    def tail(self):
        with self.cond:
            last = [line for _, line in self.lines[-5:]]
        return ("; last output: " + " | ".join(last)) if last else ""

    def wait(self, timeout):
        if not self.done.wait(timeout):
            raise BenchError("%s did not finish within %.0f s" % (self.name, timeout))
        if self._reader is not None:
            self._reader.join(5)
        return self.status

    def stop(self, timeout=10):
        """SIGTERM (then SIGKILL after timeout), and wait."""
        if not self.done.is_set():
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            if not self.done.wait(timeout):
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.done.wait(5)
        if self._reader is not None:
            self._reader.join(5)
        return self.status

    def cpu_seconds(self):
        """User + system CPU of the exited process (rusage)."""
        return self.rusage.ru_utime + self.rusage.ru_stime if self.rusage else None



def kill_all_children():
    for c in _children:
        if not c.done.is_set():
            try:
                os.kill(c.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for c in _children:
        c.done.wait(5)


class BenchError(Exception):
    pass


def proc_stats(pid):
    """CPU seconds (utime + stime), VmHWM and VmRSS (kB) of a live process."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime: fields 14 and 15
    hwm = rss = None
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return cpu, hwm, rss


def free_port():
    s = socket.socket()
    try:
        s.bind((HOST, 0))
        return s.getsockname()[1]
    finally:
        s.close()


# --------------------------------------------------------------------------
# Tools

def _sanitized(path):
    """True when the binary was built with ASan or UBSan (its figures mean little)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return False
    return b"__asan_init" in data or b"__ubsan_handle" in data


class Tools:
    def __init__(self, args):
        build = os.path.abspath(args.build)
        self.voter = args.voter or os.environ.get("MQTTVOTE_VOTER") or os.path.join(build, "voter", "voter")
        self.tallier = args.tallier or os.environ.get("MQTTVOTE_TALLIER") or os.path.join(build, "tallier", "tallier")
        self.loadgen = args.loadgen or os.environ.get("MQTTVOTE_LOADGEN") or os.path.join(build, "bench", "loadgen")
        self.signcost = os.path.join(os.path.dirname(self.loadgen), "signcost")
        self.mosquitto = self._find("MQTTVOTE_MOSQUITTO", "mosquitto")
        self.mosquitto_sub = self._find("MQTTVOTE_MOSQUITTO_SUB", "mosquitto_sub")
        self.mosquitto_pub = self._find("MQTTVOTE_MOSQUITTO_PUB", "mosquitto_pub")
        self.mosquitto_rr = self._find("MQTTVOTE_MOSQUITTO_RR", "mosquitto_rr")
        self.sqlite3 = shutil.which("sqlite3")
        for path in (self.voter, self.tallier, self.loadgen):
            if not os.access(path, os.X_OK):
                raise BenchError("%s is missing: build first (scripts/bench.sh does), or give --build DIR" % path)
        self.sanitized = [os.path.basename(p) for p in (self.voter, self.tallier, self.loadgen) if _sanitized(p)]

    @staticmethod
    def _find(var, name):
        path = os.environ.get(var) or shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
        if not path:
            raise BenchError("%s not found: install mosquitto and mosquitto-clients" % name)
        return path


# --------------------------------------------------------------------------
# Brokers

class Broker:
    """A private mosquitto on a free loopback port: max_queued_messages 0
    (never drops a queued ballot), no persistence, set_tcp_nodelay as in the
    repository's mosquitto.conf (nodelay=False: Mosquitto's default, Nagle
    on), log to a file (it tells when a client has subscribed)."""

    def __init__(self, tools, workdir, name, nodelay=True, websockets=False):
        self.dir = tempfile.mkdtemp(prefix="broker-%s-" % name, dir=workdir)
        self.log = os.path.join(self.dir, "broker.log")
        for _ in range(5):
            self.port = free_port()
            conf = os.path.join(self.dir, "mosquitto.conf")
            with open(conf, "w") as f:
                f.write("listener %d %s\n" % (self.port, HOST))
                if websockets:  # as mosquitto.conf's listener 9001: MQTT over WebSockets and web/
                    self.ws_port = free_port()
                    # on lo: libwebsockets (Mosquitto 2.0.11) binds an interface
                    # name, and every interface when given an address
                    f.write("listener %d lo\nprotocol websockets\nhttp_dir %s\n"
                            % (self.ws_port, os.path.join(ROOT, "web")))
                f.write("allow_anonymous true\n")
                f.write("max_queued_messages 0\n")
                f.write("persistence false\n")
                if nodelay:
                    f.write("set_tcp_nodelay true\n")
                f.write("log_dest file %s\n" % self.log)
                for t in ("error", "warning", "notice", "information", "subscribe"):
                    f.write("log_type %s\n" % t)
                if os.geteuid() == 0:
                    f.write("user root\n")
            self.proc = Proc([tools.mosquitto, "-c", conf], "mosquitto", cwd=self.dir)
            if self._up(5):
                return
            self.proc.stop()
        raise BenchError("mosquitto did not start (see %s)" % self.log)

    def _up(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.done.is_set():
                return False
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.02)
        return False

    def wait_log(self, pattern, timeout):
        rx = re.compile(pattern, re.M)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with open(self.log, errors="replace") as f:
                    if rx.search(f.read()):
                        return
            except FileNotFoundError:
                pass
            time.sleep(0.01)
        raise BenchError("broker log: no line matching %r in %.0f s" % (pattern, timeout))

    def wait_subscribed(self, client_id, topic, timeout=10):
        self.wait_log(r"^\d+: %s [012] %s$" % (re.escape(client_id), re.escape(topic)), timeout)

    def cpu_seconds(self):
        return proc_stats(self.proc.pid)[0] if not self.proc.done.is_set() else None

    def stop(self):
        self.proc.stop()


# --------------------------------------------------------------------------
# Workload pieces

def run_loadgen(tools, broker, n, cfg, extra=(), timeout=None):
    """Runs the load generator to completion; returns its JSON (plus its CPU)."""
    timeout = timeout or cfg["timeout"]
    argv = [tools.loadgen, "-h", HOST, "-p", str(broker.port), "-c", str(cfg["connections"]), "-n", str(n),
            "--timeout", str(timeout)] + list(extra)
    lg = Proc(argv, "loadgen", capture="stdout")
    lg.wait(timeout + 30)
    text = "\n".join(line for _, line in lg.lines)
    try:
        out = json.loads(text)
    except ValueError:
        out = None
    if lg.status != 0 or not out or not out.get("ok"):
        raise BenchError("loadgen %s failed (exit %s): %s" % (" ".join(argv[1:]), lg.status, text[-400:]))
    out["cpu_seconds"] = lg.cpu_seconds()
    return out


def iso_to_epoch(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


class ResultWatcher:
    """mosquitto_sub on vote/+/result: the latest result of each poll; done
    when the totals add up to the expected number."""

    def __init__(self, tools, broker, expected):
        self.expected = expected
        self.results = {}
        self.event = threading.Event()
        self.lock = threading.Lock()
        self.proc = Proc([tools.mosquitto_sub, "-h", HOST, "-p", str(broker.port), "-q", "1", "-v",
                          "-t", "vote/+/result"], "mosquitto_sub (results)", capture="stdout",
                         on_line=self._line)

    def _line(self, now, line):
        topic, _, payload = line.partition(" ")
        try:
            r = json.loads(payload)
        except ValueError:
            return
        with self.lock:
            self.results[topic] = r
            if sum(x.get("total", 0) for x in self.results.values()) >= self.expected:
                self.event.set()

    def wait(self, timeout):
        if not self.event.wait(timeout):
            with self.lock:
                got = sum(x.get("total", 0) for x in self.results.values())
            raise BenchError("the tallier counted %d of %d ballots within %.0f s" % (got, self.expected, timeout))
        with self.lock:
            return max(iso_to_epoch(r["updated"]) for r in self.results.values())

    def stop(self):
        self.proc.stop()


def store_count(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return db.execute("SELECT count(*) FROM ballots").fetchone()[0]
    finally:
        db.close()


def start_tallier(tools, broker, workdir, client_id, db, extra=()):
    argv = [tools.tallier, "-h", HOST, "-p", str(broker.port), "-i", client_id, "--db", db] + list(extra)
    t = Proc(argv, "tallier", capture="stderr", cwd=workdir)
    return t


def stream_args(n, tag):
    """The ballot stream of the throughput workloads: n distinct voters, one poll."""
    return ["--voters", str(n), "--polls", "1", "--poll-prefix", tag, "--window", "20"]


# --------------------------------------------------------------------------
# 1. Throughput

def throughput_reference(tools, workdir, cfg, mode):
    n = cfg["throughput_ballots"]
    broker = Broker(tools, workdir, "ref-" + mode)
    try:
        cid = "refsub-" + secrets.token_hex(4)
        base = [tools.mosquitto_sub, "-h", HOST, "-p", str(broker.port), "-q", "1", "-t", "vote/+", "-i", cid]
        if mode == "live":
            sub = Proc(base + ["-C", str(n)], "mosquitto_sub", sample_hwm=True)
            broker.wait_subscribed(cid, "vote/+")
            b0 = broker.cpu_seconds()
            lg = run_loadgen(tools, broker, n, cfg, stream_args(n, "live"))
            sub.wait(cfg["timeout"])
            start = lg["t_first_publish"]
        else:
            Proc(base + ["-c", "-E"], "mosquitto_sub (session)").wait(30)  # the session, then offline
            lg = run_loadgen(tools, broker, n, cfg, stream_args(n, "drain"))
            b0 = broker.cpu_seconds()
            sub = Proc(base + ["-c", "-C", str(n)], "mosquitto_sub", sample_hwm=True)
            start = sub.t_start
            sub.wait(cfg["timeout"])
        if sub.status != 0:
            raise BenchError("mosquitto_sub exited %s" % sub.status)
        secs = sub.t_exit - start
        return {"consumer": "mosquitto_sub", "ballots": n, "seconds": secs, "rate": n / secs,
                "cpu_seconds": sub.cpu_seconds(), "peak_rss_kb": sub.hwm_kb,
                "broker_cpu_seconds": broker.cpu_seconds() - b0, "offered_rate": lg["publish_rate"],
                "loadgen_cpu_seconds": lg["cpu_seconds"]}
    finally:
        broker.stop()


def throughput_paho_noop(tools, workdir, cfg, mode, commit=False):
    """The library's floor for draining: a Paho MQTTAsync subscriber that does
    no work (loadgen --respond, TCP_NODELAY like the tallier) resuming a
    persistent session that holds the same backlog. commit: it also commits
    each ballot, unread, to SQLite before acknowledging it (loadgen
    --commit): the floor of any durable consumer on Paho and SQLite."""
    if mode != "drain":
        raise BenchError("the Paho no-op reference is for draining only")
    n = cfg["throughput_ballots"]
    broker = Broker(tools, workdir, ("pahodb-" if commit else "paho-") + mode)
    extra = ["--commit", os.path.join(broker.dir, "floor.db")] if commit else []
    try:
        cid = "pahosub-" + secrets.token_hex(4)
        Proc([tools.mosquitto_sub, "-h", HOST, "-p", str(broker.port), "-q", "1", "-t", "vote/+", "-i", cid,
              "-c", "-E"], "mosquitto_sub (session)").wait(30)  # the session, then offline
        lg = run_loadgen(tools, broker, n, cfg, stream_args(n, "drain"))
        b0 = broker.cpu_seconds()
        sub = Proc([tools.loadgen, "--respond", "-h", HOST, "-p", str(broker.port), "--session", cid, "--expect",
                    str(n), "--tcp-nodelay", "yes", "--timeout", str(cfg["timeout"])] + extra,
                   "loadgen --respond --session", capture="stdout", sample_hwm=True)
        sub.wait(cfg["timeout"] + 30)
        text = "\n".join(line for _, line in sub.lines)
        try:
            out = json.loads(text)
        except ValueError:
            out = None
        if sub.status != 0 or not out or not out.get("ok") or out.get("received") != n:
            raise BenchError("loadgen --respond --session failed (exit %s): %s" % (sub.status, text[-400:]))
        secs = out["t_last_message"] - sub.t_start
        return {"consumer": "paho + sqlite commit" if commit else "paho no-op", "ballots": n, "seconds": secs,
                "rate": n / secs,
                "cpu_seconds": sub.cpu_seconds(), "peak_rss_kb": sub.hwm_kb,
                "broker_cpu_seconds": broker.cpu_seconds() - b0, "offered_rate": lg["publish_rate"],
                "loadgen_cpu_seconds": lg["cpu_seconds"]}
    finally:
        broker.stop()


def stream_poll(tag):
    """The one poll of stream_args(n, tag)."""
    return tag + "0"


def open_poll(tools, broker, poll, cfg):
    """Opens poll (the organiser's command, by mosquitto_rr) with loadgen's
    choices; returns its instance, which signed ballots sign."""
    cmd = {"cmd": "open", "poll": poll, "question": "bench", "choices": ["yes", "no", "abstain"]}
    rr = Proc([tools.mosquitto_rr, "-h", HOST, "-p", str(broker.port), "-q", "1", "-t", "votectl",
               "-e", "votectl/reply/bench-" + secrets.token_hex(4), "-W", "10", "-m", json.dumps(cmd)],
              "mosquitto_rr (open)", capture="stdout")
    rr.wait(cfg["timeout"])
    text = "\n".join(line for _, line in rr.lines)
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if rr.status != 0 or not answer or not answer.get("ok") or not answer["info"].get("instance"):
        raise BenchError("cannot open poll %s (exit %s): %s" % (poll, rr.status, text[-400:]))
    return answer["info"]["instance"]


def throughput_tallier(tools, workdir, cfg, mode, signed=False):
    """signed: the tallier counts with --roll (the benchmark keys of
    loadgen --make-roll) and every ballot is signed (loadgen --sign)."""
    n = cfg["throughput_ballots"]
    broker = Broker(tools, workdir, "tal-" + mode + ("-signed" if signed else ""))
    tal = watcher = None
    try:
        cid = "tallier-" + secrets.token_hex(4)
        db = os.path.join(broker.dir, "tally.db")
        extra, sign = [], []
        if signed:
            roll = os.path.join(broker.dir, "roll.txt")
            if Proc([tools.loadgen, "--make-roll", roll, "--voters", str(n)], "loadgen --make-roll").wait(
                    cfg["timeout"]) != 0:
                raise BenchError("loadgen --make-roll failed")
            extra, sign = ["--roll", roll], ["--sign"]
        tal = start_tallier(tools, broker, broker.dir, cid, db, extra)
        tal.wait_line(r"subscribed to", 60)
        if signed:
            # signed ballots count on a poll that exists: opened, its instance is what they sign
            sign += ["--instance", open_poll(tools, broker, stream_poll("live"), cfg)]
        if mode == "live":
            watcher = ResultWatcher(tools, broker, n)
            b0 = broker.cpu_seconds()
            lg = run_loadgen(tools, broker, n, cfg, stream_args(n, "live") + sign)
            start = lg["t_first_publish"]
        else:
            if tal.stop() != 0:
                raise BenchError("tallier exited %s on SIGTERM%s" % (tal.status, tal.tail()))
            lg = run_loadgen(tools, broker, n, cfg, stream_args(n, "drain"))
            watcher = ResultWatcher(tools, broker, n)
            b0 = broker.cpu_seconds()
            tal = start_tallier(tools, broker, broker.dir, cid, db)
            start = tal.t_start
        end = watcher.wait(cfg["timeout"])
        cpu, hwm, _ = proc_stats(tal.pid)
        bcpu = broker.cpu_seconds() - b0
        if tal.stop() != 0:
            raise BenchError("tallier exited %s on SIGTERM%s" % (tal.status, tal.tail()))
        stored = store_count(db)
        if stored != n:
            raise BenchError("the store holds %d ballots, not %d" % (stored, n))
        secs = end - start
        return {"consumer": "tallier", "ballots": n, "seconds": secs, "rate": n / secs, "cpu_seconds": cpu,
                "peak_rss_kb": hwm, "broker_cpu_seconds": bcpu, "offered_rate": lg["publish_rate"],
                "loadgen_cpu_seconds": lg["cpu_seconds"], "stored": stored}
    finally:
        for p in (watcher, tal):
            if p:
                p.stop()
        broker.stop()


def signature_cost(tools, cfg):
    """bench/signcost: microseconds per ballot of parsing an unsigned
    ballot, and of parsing, looking up and verifying a signed one."""
    p = Proc([tools.signcost, str(cfg["signcost_rounds"])], "signcost", capture="stdout")
    p.wait(cfg["timeout"])
    text = "\n".join(line for _, line in p.lines)
    try:
        out = json.loads(text)
    except ValueError:
        out = None
    if p.status != 0 or not out:
        raise BenchError("signcost failed (exit %s): %s" % (p.status, text[-400:]))
    return out


# --------------------------------------------------------------------------
# 2. Latency

def latency_run(tools, workdir, cfg, consumer, load, nodelay=True):
    """Ballot-to-receipt latency: load 'light' (cfg light_rate) or
    'saturation' (closed loop); consumer 'tallier' or 'responder'."""
    broker = Broker(tools, workdir, "lat-%s-%s" % (consumer, load), nodelay=nodelay)
    proc = None
    try:
        if consumer == "tallier":
            proc = start_tallier(tools, broker, broker.dir, "tallier-" + secrets.token_hex(4),
                                 os.path.join(broker.dir, "tally.db"))
            proc.wait_line(r"subscribed to", 30)
        else:
            prefix = "resp" + secrets.token_hex(4)
            proc = Proc([tools.loadgen, "--respond", "-h", HOST, "-p", str(broker.port), "--id-prefix", prefix,
                         "--timeout", str(cfg["timeout"] * 2)], "loadgen --respond", capture="stdout")
            broker.wait_subscribed(prefix + "-0", "vote/+")
        if load == "light":
            n = cfg["light_ballots"]
            extra = ["-r", str(cfg["light_rate"])]
        else:
            n = cfg["saturation_ballots"]
            extra = ["--receipt-window", str(cfg["receipt_window"])]
        extra += ["--confirm", "--voters", str(n), "--poll-prefix", "lat"]
        lg = run_loadgen(tools, broker, n, cfg, extra)
        cpu = proc_stats(proc.pid)[0]
        status = proc.stop()
        if status != 0:
            raise BenchError("%s exited %s%s" % (proc.name, status, proc.tail()))
        r = lg["receipts"]
        return {"consumer": consumer, "load": load, "ballots": n, "rate": r["rate"], "p50_ms": r["p50_us"] / 1e3,
                "p90_ms": r["p90_us"] / 1e3, "p99_ms": r["p99_us"] / 1e3, "max_ms": r["max_us"] / 1e3,
                "mean_ms": r["mean_us"] / 1e3, "counted": r["counted"], "cpu_seconds": cpu,
                "broker_nodelay": nodelay}
    finally:
        if proc:
            proc.stop()
        broker.stop()


def manypolls_latency(tools, workdir, cfg):
    """Receipt latency at the light load, with 1,000 polls alive: first a
    fresh tallier (the reference, in the same run), then one that has just
    taken 1,000 ballots on 1,000 poll names (1,000 results to publish) and
    takes 200 ballots/s more over them while the light load is measured."""
    light = latency_run(tools, workdir, cfg, "tallier", "light")
    broker = Broker(tools, workdir, "manypolls")
    proc = bg = None
    try:
        proc = start_tallier(tools, broker, broker.dir, "tallier-" + secrets.token_hex(4),
                             os.path.join(broker.dir, "tally.db"))
        proc.wait_line(r"subscribed to", 30)
        polls = cfg["many_polls"]
        run_loadgen(tools, broker, polls, cfg, ["--polls", str(polls), "--poll-prefix", "junk",
                                                "--voter-prefix", "j", "--id-prefix", "flood"])
        seconds = cfg["light_ballots"] / cfg["light_rate"] + 5
        bg = Proc([tools.loadgen, "-h", HOST, "-p", str(broker.port), "-c", "1", "-n",
                   str(int(seconds * cfg["many_rate"])), "-r", str(cfg["many_rate"]), "--polls", str(polls),
                   "--poll-prefix", "junk", "--voter-prefix", "k", "--id-prefix", "bg",
                   "--timeout", str(cfg["timeout"])], "loadgen (background)", capture="stdout")
        n = cfg["light_ballots"]
        lg = run_loadgen(tools, broker, n, cfg, ["-r", str(cfg["light_rate"]), "--confirm", "--voters", str(n),
                                                 "--poll-prefix", "lat", "--id-prefix", "hon"])
        bg.stop()
        status = proc.stop()
        if status != 0:
            raise BenchError("tallier exited %s%s" % (status, proc.tail()))
        r = lg["receipts"]
        return {"light_p99_ms": light["p99_ms"], "many_p99_ms": r["p99_us"] / 1e3, "many_p50_ms": r["p50_us"] / 1e3,
                "many_max_ms": r["max_us"] / 1e3, "polls": polls, "background_rate": cfg["many_rate"],
                "ballots": n, "counted": r["counted"]}
    finally:
        if bg:
            bg.stop()
        if proc:
            proc.stop()
        broker.stop()


# --------------------------------------------------------------------------
# 3. Memory per voter, restart time

# Exactly tallier/store.c's schema (and PRAGMA user_version = 3).
STORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS polls ( poll TEXT PRIMARY KEY, rejected INTEGER NOT NULL DEFAULT 0,
 updated_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ballots ( poll TEXT NOT NULL, voter TEXT NOT NULL, choice TEXT NOT NULL,
 id TEXT, ts INTEGER, at_ms INTEGER, PRIMARY KEY (poll, voter)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS polldefs ( poll TEXT PRIMARY KEY, defined INTEGER NOT NULL, question TEXT NOT NULL,
 choices TEXT NOT NULL, opens_ms INTEGER NOT NULL, closes_ms INTEGER NOT NULL, results TEXT NOT NULL,
 revote INTEGER NOT NULL, roll TEXT NOT NULL, status TEXT NOT NULL, closed_ms INTEGER NOT NULL) WITHOUT ROWID;
PRAGMA user_version = 3;
"""


def voter_name(i):
    return "user%07d@host%02d" % (i, i % 100)  # 18 bytes, like <login>@<hostname>


def build_store(path, voters):
    """A tally of `voters` distinct voters in one poll, written directly."""
    t0 = time.time()
    db = sqlite3.connect(path)
    try:
        db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + STORE_SCHEMA)
        now = int(time.time() * 1000)
        choices = ("yes", "no", "abstain")
        ids = os.urandom(16 * voters).hex()
        db.execute("BEGIN")
        db.executemany("INSERT INTO ballots (poll, voter, choice, id, ts, at_ms) VALUES (?, ?, ?, ?, ?, ?)",
                       (("big", voter_name(i), choices[i % 3], ids[32 * i:32 * i + 32], now - voters + i,
                         now - voters + i) for i in range(voters)))
        db.execute("INSERT INTO polls (poll, rejected, updated_ms) VALUES ('big', 0, ?)", (now,))
        db.commit()
    finally:
        db.close()
    return time.time() - t0


def tallier_load(tools, workdir, db, voters):
    """Starts the tallier on db without a broker; returns (seconds until
    'loaded N ballots', VmHWM kB, VmRSS kB)."""
    t = Proc([tools.tallier, "--no-mqtt", "--listen", HOST + ":0", "--db", db], "tallier (restart)",
             capture="stderr", cwd=workdir)
    try:
        when, m = t.wait_line(r"loaded (\d+) ballots", 120)
        if int(m.group(1)) != voters:
            raise BenchError("the tallier loaded %s ballots, not %d" % (m.group(1), voters))
        _, hwm, rss = proc_stats(t.pid)
        secs = when - t.t_start
    finally:
        status = t.stop()
    if status != 0:
        raise BenchError("tallier exited %s on SIGTERM%s" % (status, t.tail()))
    return secs, hwm, rss


def sqlite_scan(tools, db):
    """The reference reader: the same rows, in the same order, to /dev/null."""
    sql = "SELECT poll, voter, choice, id, ts, at_ms FROM ballots ORDER BY poll, voter"
    if tools.sqlite3:
        argv = [tools.sqlite3, "-readonly", db, sql]
    else:
        argv = [sys.executable, "-c", "import sqlite3,sys\nfor _ in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]):"
                " pass", db, sql]
    p = Proc(argv, "sqlite3", sample_hwm=True)
    if p.wait(120) != 0:
        raise BenchError("%s exited %s" % (argv[0], p.status))
    return p.t_exit - p.t_start, p.hwm_kb


def memory_restart(tools, workdir, cfg):
    voters = cfg["store_voters"]
    d = tempfile.mkdtemp(prefix="store-", dir=workdir)
    empty_db, big_db = os.path.join(d, "empty.db"), os.path.join(d, "big.db")
    build_s = build_store(big_db, voters)
    _, empty_hwm, _ = tallier_load(tools, d, empty_db, 0)
    sqlite_scan(tools, big_db)  # warm the page cache for both
    loads = [tallier_load(tools, d, big_db, voters) for _ in range(cfg["restart_repeats"])]
    scans = [sqlite_scan(tools, big_db) for _ in range(cfg["restart_repeats"])]
    restart = statistics.median(x[0] for x in loads)
    hwm = max(x[1] for x in loads)
    names = sum(len(voter_name(i)) + 1 for i in range(0, voters, max(1, voters // 1000))) / len(
        range(0, voters, max(1, voters // 1000)))
    packed = names + 16 + 8 + 1  # voter text and NUL, 128-bit id, ts, choice index
    return {"voters": voters, "build_seconds": build_s, "store_bytes": os.path.getsize(big_db),
            "restart_seconds": restart, "restart_runs": [x[0] for x in loads],
            "hwm_empty_kb": empty_hwm, "hwm_full_kb": hwm,
            "bytes_per_voter": (hwm - empty_hwm) * 1024 / voters, "packed_bytes_per_voter": packed,
            "scan_seconds": statistics.median(x[0] for x in scans),
            "scan_hwm_kb": max((x[1] for x in scans if x[1]), default=None)}


# --------------------------------------------------------------------------
# 4. Voter CLI

def timed_runs(cfg, commands):
    """Wall time of each command, alternated round by round: 3 warm-up
    rounds, then cfg["cli_runs"] measured ones. commands: (name, make)
    pairs, make(i) giving the argv of round i. Each must exit 0."""
    times = {name: [] for name, _ in commands}
    env = child_env()
    for i in range(cfg["cli_runs"] + 3):
        for name, make in commands:
            argv = make(i)
            # a blocking wait, its limit kept by a timer: subprocess.run(timeout=)
            # polls with sleeps of 0.5, 1, 2, 4, 8 ms, which rounds every
            # time up to 7.5, 15.5... ms and hides the difference measured
            t0 = time.perf_counter()
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, env=env)  # no preexec_fn: it forbids vfork
            limit = threading.Timer(30, p.kill)
            limit.start()
            rc = p.wait()
            dt = time.perf_counter() - t0
            limit.cancel()
            if rc != 0:
                raise BenchError("%s exited %d: %s" % (name, rc, " ".join(argv)))
            if i >= 3:
                times[name].append(dt * 1000)
    out = {}
    for name, v in times.items():
        v.sort()
        out[name] = {"runs": len(v), "p50_ms": statistics.median(v), "p90_ms": v[int(0.9 * (len(v) - 1))],
                     "min_ms": v[0]}
    return out


def ballot_text(voter, reply=None):
    b = {"poll": "cli", "voter": voter, "choice": "yes", "id": secrets.token_hex(16),
         "ts": int(time.time() * 1000)}
    if reply:
        b["reply"] = reply
    return json.dumps(b, separators=(",", ":"))


def cli_times(tools, workdir, cfg):
    """voter -q 1 --quiet against mosquitto_pub -q 1 with the same ballot
    JSON, MQTT 5 and 3.1.1, a subscriber on vote/+ (so MQTT 5's PUBACK
    carries no "no matching subscribers")."""
    broker = Broker(tools, workdir, "cli")
    sub = None
    try:
        cid = "clisub-" + secrets.token_hex(4)
        sub = Proc([tools.mosquitto_sub, "-h", HOST, "-p", str(broker.port), "-q", "1", "-t", "vote/+",
                    "-i", cid], "mosquitto_sub")
        broker.wait_subscribed(cid, "vote/+")
        port = str(broker.port)

        def voter(version):
            return lambda i: [tools.voter, "-h", HOST, "-p", port, "-t", "vote/cli", "-m", "yes", "--voter",
                              "alice%d-%s@pc12" % (i, version), "-q", "1", "-V", version, "--quiet"]

        def pub(version):
            return lambda i: [tools.mosquitto_pub, "-h", HOST, "-p", port, "-t", "vote/cli", "-q", "1",
                              "-V", version, "-m", ballot_text("alice%d-%s@pc12" % (i, version))]

        return timed_runs(cfg, [("voter", voter("mqttv5")), ("mosquitto_pub", pub("mqttv5")),
                                ("voter_311", voter("mqttv311")), ("mosquitto_pub_311", pub("mqttv311"))])
    finally:
        if sub:
            sub.stop()
        broker.stop()


def confirm_times(tools, workdir, cfg):
    """voter --confirm against mosquitto_rr doing the same request and
    reply (MQTT 5, QoS 1: subscribe to a receipt topic of its own, publish
    the ballot with it as Response Topic, wait for the answer), a tallier
    (default settings, a fresh store) answering both."""
    broker = Broker(tools, workdir, "confirm")
    tallier = None
    try:
        cid = "tallier-" + secrets.token_hex(4)
        tallier = start_tallier(tools, broker, workdir, cid, os.path.join(workdir, "confirm.db"))
        broker.wait_subscribed(cid, "vote/+")
        port = str(broker.port)

        def voter(i):
            return [tools.voter, "-h", HOST, "-p", port, "-t", "vote/cli", "-m", "yes", "--voter",
                    "carol%d@pc12" % i, "-q", "1", "--confirm", "--quiet"]

        def rr(i):
            topic = "vote/cli/receipt/" + secrets.token_hex(8)
            ballot = ballot_text("dave%d@pc12" % i, reply=topic)
            return [tools.mosquitto_rr, "-h", HOST, "-p", port, "-t", "vote/cli", "-e", topic, "-q", "1",
                    "-W", "10", "-m", ballot, "-D", "publish", "correlation-data", json.loads(ballot)["id"]]

        return timed_runs(cfg, [("voter_confirm", voter), ("mosquitto_rr", rr)])
    finally:
        if tallier:
            tallier.stop()
        broker.stop()


def page_latency(tools, workdir, cfg):
    """Ballot to the results page showing it: one ballot at a time, each from
    a running mosquitto_pub -l (QoS 1), timed from the write of its line to
    (project) the page's total showing it -- web/index.html#benchpage in
    headless Chromium; the page stamps the moment it wrote the new total
    (Date.now(), data-shown-at), so Playwright's polling adds nothing to the
    figure -- and to (reference) mosquitto_sub -v
    receiving the tallier's result, in the same run. Returns {"skipped": why}
    without Chromium, node or what scripts/setup.sh installs."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    os.environ.setdefault("MQTTVOTE_SOURCE_DIR", ROOT)
    import test_live_page as live  # the browser test's driver (browser.js, playwright-core)
    why = live.missing()
    if why:
        return {"skipped": why}
    broker = Broker(tools, workdir, "page", websockets=True)
    tallier = sub = browser = pub = None
    seen, cond = {}, threading.Condition()

    def on_line(now, line):
        try:
            total = json.loads(line.partition(" ")[2]).get("total")
        except (ValueError, AttributeError):
            return
        with cond:
            seen.setdefault(total, now)
            cond.notify_all()
    try:
        cid = "tallier-" + secrets.token_hex(4)
        tallier = start_tallier(tools, broker, workdir, cid, os.path.join(workdir, "page.db"))
        broker.wait_subscribed(cid, "vote/+")
        scid = "pagesub-" + secrets.token_hex(4)
        sub = Proc([tools.mosquitto_sub, "-h", HOST, "-p", str(broker.port), "-q", "1", "-v", "-i", scid,
                    "-t", "vote/benchpage/result"], "mosquitto_sub (result)", capture="stdout", on_line=on_line)
        broker.wait_subscribed(scid, "vote/benchpage/result")
        browser = live.Browser()
        browser.cmd("page", name="proj", url="http://%s:%d/#benchpage" % (HOST, broker.ws_port),
                    width=1920, height=1080)
        browser.wait("proj", live.CONNECTED, "the page connects")
        pub = subprocess.Popen([tools.mosquitto_pub, "-h", HOST, "-p", str(broker.port), "-q", "1",
                                "-t", "vote/benchpage", "-l"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=child_env(), preexec_fn=_pdeathsig, text=True)
        page_ms, sub_ms = [], []
        for i in range(1, cfg["page_ballots"] + 1):
            line = json.dumps({"poll": "benchpage", "voter": "page%d" % i, "choice": "yes",
                               "id": secrets.token_hex(16), "ts": int(time.time() * 1000)}) + "\n"
            t0 = time.time()
            pub.stdin.write(line)
            pub.stdin.flush()
            shown = browser.cmd("wait", name="proj", ms=10000, timeout=20,
                                expr="document.getElementById('total').getAttribute('data-total') === '%d' "
                                     "&& +document.getElementById('total').getAttribute('data-shown-at')" % i)
            with cond:
                if not cond.wait_for(lambda: i in seen, 10):
                    raise BenchError("mosquitto_sub got no result with total %d" % i)
                got = seen[i]
            page_ms.append(shown - t0 * 1000)
            sub_ms.append((got - t0) * 1000)
        out = {"ballots": len(page_ms),
               "page_minus_sub_p50_ms": statistics.median(p - s for p, s in zip(page_ms, sub_ms))}
        for name, v in (("page", page_ms), ("mosquitto_sub", sub_ms)):
            v = sorted(v)
            out[name] = {"p50_ms": statistics.median(v), "max_ms": v[-1], "min_ms": v[0]}
        return out
    except AssertionError as e:  # the driver's failures
        raise BenchError(str(e))
    finally:
        if pub:
            pub.stdin.close()
            pub.wait(10)
        if browser:
            browser.close()
        for p in (sub, tallier):
            if p:
                p.stop()
        broker.stop()


# --------------------------------------------------------------------------
# Report

def figure(key, name, unit, project, reference, ref_name, better, target=None, check=None, note=None):
    ratio = project / reference if project is not None and reference else None
    met = check(project, ratio) if check and project is not None else None
    return {"key": key, "figure": name, "unit": unit, "project": project, "reference": reference,
            "reference_name": ref_name, "ratio": ratio, "better": better, "target": target, "met": met,
            "note": note}


def fmt(v, unit):
    if v is None:
        return "-"
    if unit in ("ballots/s", "receipts/s", "bytes", "B/voter"):
        return "{:,.0f}".format(v)
    if abs(v) >= 100:
        return "{:,.0f}".format(v)
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.2f" % v if abs(v) >= 1 else "%.3f" % v


def print_table(figs, header, out=sys.stdout):
    rows = [("figure", "project", "reference", "ratio", "target", "")]
    for f in figs:
        verdict = "" if f["met"] is None else ("met" if f["met"] else "MISSED")
        rows.append(("%s (%s)" % (f["figure"], f["unit"]), fmt(f["project"], f["unit"]),
                     fmt(f["reference"], f["unit"]), "-" if f["ratio"] is None else "%.2fx" % f["ratio"],
                     f["target"] or "", verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print(header, file=out)
    for k, r in enumerate(rows):
        print("  ".join(c.ljust(widths[i]) if i == 0 or i >= 4 else c.rjust(widths[i])
                        for i, c in enumerate(r)).rstrip(), file=out)
        if k == 0:
            print("  ".join("-" * w for w in widths), file=out)


def median_run(runs):
    return sorted(runs, key=lambda r: r["rate"])[len(runs) // 2]


def build_figures(res):
    figs = []
    tp = res.get("throughput", {})
    for mode, label in (("live", "live"), ("drain", "draining a backlog")):
        t, r = tp.get(mode, {}).get("tallier"), tp.get(mode, {}).get("reference")
        if t and r:
            tm, rm = median_run(t), median_run(r)
            figs.append(figure("throughput_" + mode, "throughput, %s" % label, "ballots/s", tm["rate"], rm["rate"],
                               "mosquitto_sub -q 1", "higher", ">= 0.90x ref", lambda p, q: q >= 0.9))
            p = tp.get(mode, {}).get("paho")
            if p:
                pm = median_run(p)
                figs.append(figure("throughput_%s_paho" % mode, "throughput, %s, against Paho" % label, "ballots/s",
                                   tm["rate"], pm["rate"], "Paho no-op subscriber", "higher", ">= 0.60x ref",
                                   lambda v, q: q >= 0.6))
                figs.append(figure("cpu_per_ballot_%s_paho" % mode, "CPU per ballot, %s, against Paho" % mode, "us",
                                   tm["cpu_seconds"] / tm["ballots"] * 1e6, pm["cpu_seconds"] / pm["ballots"] * 1e6,
                                   "Paho no-op subscriber", "lower"))
            pc = tp.get(mode, {}).get("paho_commit")
            if pc:
                pcm = median_run(pc)
                figs.append(figure("throughput_%s_paho_commit" % mode,
                                   "throughput, %s, against Paho + SQLite commit" % label, "ballots/s",
                                   tm["rate"], pcm["rate"], "Paho subscriber committing each ballot", "higher"))
                figs.append(figure("cpu_per_ballot_%s_paho_commit" % mode,
                                   "CPU per ballot, %s, against Paho + SQLite commit" % mode, "us",
                                   tm["cpu_seconds"] / tm["ballots"] * 1e6, pcm["cpu_seconds"] / pcm["ballots"] * 1e6,
                                   "Paho subscriber committing each ballot", "lower"))
            figs.append(figure("cpu_per_ballot_" + mode, "CPU per ballot, %s" % mode, "us",
                               tm["cpu_seconds"] / tm["ballots"] * 1e6, rm["cpu_seconds"] / rm["ballots"] * 1e6,
                               "mosquitto_sub -q 1", "lower"))
            figs.append(figure("peak_rss_" + mode, "peak RSS, %s" % mode, "MB", tm["peak_rss_kb"] / 1024,
                               rm["peak_rss_kb"] / 1024, "mosquitto_sub -q 1", "lower"))
    lat = res.get("latency", {})
    for key, label in (("light", "light load"), ("saturation", "saturation"),
                       ("light_nagle", "light, broker without set_tcp_nodelay")):
        t, r = lat.get(key, {}).get("tallier"), lat.get(key, {}).get("responder")
        if not (t and r):
            continue
        if key == "saturation":
            figs.append(figure("receipt_rate_saturation", "receipts/s at saturation", "receipts/s", t["rate"],
                               r["rate"], "loadgen --respond", "higher"))
        for p in ("p50", "p99", "max") if key != "light_nagle" else ("p50", "p99"):
            target = check = None
            if key == "light" and p == "p50":
                target, check = "< 1 ms", (lambda v, q: v < 1.0)
            elif key == "light" and p == "p99":
                target, check = "< 5 ms", (lambda v, q: v < 5.0)
            figs.append(figure("latency_%s_%s" % (key, p), "receipt latency %s, %s" % (p, label), "ms",
                               t[p + "_ms"], r[p + "_ms"], "loadgen --respond", "lower", target, check))
    sg = res.get("signed", {})
    if sg.get("signed") and sg.get("unsigned"):
        sm, um = median_run(sg["signed"]), median_run(sg["unsigned"])
        figs.append(figure("throughput_live_signed", "throughput, live, signed poll", "ballots/s", sm["rate"],
                           um["rate"], "the tallier, unsigned poll", "higher", ">= 0.80x ref", lambda p, q: q >= 0.8))
        figs.append(figure("cpu_per_ballot_live_signed", "CPU per ballot, live, signed poll", "us",
                           sm["cpu_seconds"] / sm["ballots"] * 1e6, um["cpu_seconds"] / um["ballots"] * 1e6,
                           "the tallier, unsigned poll", "lower"))
        figs.append(figure("peak_rss_live_signed", "peak RSS, live, signed poll (roll of every voter)", "MB",
                           sm["peak_rss_kb"] / 1024, um["peak_rss_kb"] / 1024, "the tallier, unsigned poll", "lower"))
    c = sg.get("cost")
    if c:
        figs.append(figure("signature_check", "signature check per ballot (parse, roll, verify)", "us",
                           c["verify_us"], c["parse_us"], "parse of an unsigned ballot", "lower"))
        figs.append(figure("signature_check_distinct", "signature check per ballot, each voter once", "us",
                           c["distinct_voters_verify_us"], c["parse_us"], "parse of an unsigned ballot", "lower"))
        figs.append(figure("signature_check_key_parsed", "signature check, public key parsed per ballot", "us",
                           c["reparse_key_verify_us"], c["verify_us"], "key built once, at roll load", "lower"))
    m = res.get("memory")
    if m:
        figs.append(figure("bytes_per_voter", "memory per voter, %s voters" % "{:,}".format(m["voters"]),
                           "B/voter", m["bytes_per_voter"], m["packed_bytes_per_voter"],
                           "packed record (voter, id, ts, choice)", "lower", "< 200 B",
                           lambda v, q: v < 200))
        figs.append(figure("hwm_empty", "peak RSS, empty store", "MB", m["hwm_empty_kb"] / 1024, None, None,
                           "lower"))
        figs.append(figure("hwm_full", "peak RSS, %s voters" % "{:,}".format(m["voters"]), "MB",
                           m["hwm_full_kb"] / 1024, m["scan_hwm_kb"] / 1024 if m["scan_hwm_kb"] else None,
                           "sqlite3 scan", "lower"))
        figs.append(figure("restart", "restart, %s voters" % "{:,}".format(m["voters"]), "s",
                           m["restart_seconds"], m["scan_seconds"], "sqlite3 scan", "lower", "< 1 s",
                           lambda v, q: v < 1.0))
    c = res.get("cli")
    if c:
        figs.append(figure("cli_wall", "voter CLI wall time p50, MQTT 5", "ms", c["voter"]["p50_ms"],
                           c["mosquitto_pub"]["p50_ms"], "mosquitto_pub -q 1", "lower", "<= 1.20x ref",
                           lambda v, q: q <= 1.2))
        figs.append(figure("cli_wall_311", "voter CLI wall time p50, MQTT 3.1.1", "ms", c["voter_311"]["p50_ms"],
                           c["mosquitto_pub_311"]["p50_ms"], "mosquitto_pub -q 1 -V mqttv311", "lower",
                           "<= 1.20x ref", lambda v, q: q <= 1.2))
    c = res.get("confirm")
    if c:
        figs.append(figure("confirm_wall", "voter --confirm wall time p50, ballot to receipt", "ms",
                           c["voter_confirm"]["p50_ms"], c["mosquitto_rr"]["p50_ms"], "mosquitto_rr -q 1",
                           "lower", "<= 1.20x ref", lambda v, q: q <= 1.2))
    c = res.get("manypolls")
    if c:
        figs.append(figure("latency_manypolls_p99", "receipt latency p99, light load, %s polls alive"
                           % "{:,}".format(c["polls"]), "ms", c["many_p99_ms"], c["light_p99_ms"],
                           "the tallier, light load, one poll", "lower", "<= 2x ref", lambda v, q: q <= 2.0))
    c = res.get("page")
    if c and "page" in c:
        figs.append(figure("page_latency", "ballot to the results page p50 (Chromium, WebSockets)", "ms",
                           c["page"]["p50_ms"], c["mosquitto_sub"]["p50_ms"], "mosquitto_sub (the result)",
                           "lower", "< 1000 ms", lambda v, q: v < 1000))
        figs.append(figure("page_latency_max", "ballot to the results page max", "ms", c["page"]["max_ms"],
                           c["mosquitto_sub"]["max_ms"], "mosquitto_sub (the result)", "lower"))
    return figs


def machine_info(tools):
    info = {"cpus": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version(),
            "machine": platform.machine()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        out = subprocess.run([tools.mosquitto, "-h"], capture_output=True, text=True, timeout=10).stdout
        info["mosquitto"] = out.splitlines()[0] if out else None
    except (OSError, subprocess.SubprocessError):
        pass
    info["sqlite"] = sqlite3.sqlite_version
    try:
        info["commit"] = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                        text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    return info


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="mqtt-vote benchmark: the project against a no-work reference")
    ap.add_argument("--quick", action="store_true", help="seconds, tiny numbers: a smoke test of the harness")
    ap.add_argument("--json", default="bench-results.json", help="where to write the results (default %(default)s)")
    ap.add_argument("--build", default=os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")),
                    help="the CMake build directory (default $BUILD_DIR or <repo>/build)")
    ap.add_argument("--voter"), ap.add_argument("--tallier"), ap.add_argument("--loadgen")
    ap.add_argument("--only", default=",".join(GROUPS),
                    help="comma-separated subset of %s" % ",".join(GROUPS))
    ap.add_argument("--strict", action="store_true", help="exit 3 when a target is missed")
    args = ap.parse_args()
    only = set(args.only.split(","))
    if not only <= set(GROUPS):
        ap.error("--only: %s" % ", ".join(GROUPS))
    cfg = dict(QUICK if args.quick else FULL)
    mode = "quick" if args.quick else "full"
    try:
        tools = Tools(args)
    except BenchError as e:
        print("bench: %s" % e, file=sys.stderr)
        return 1
    started = time.time()
    workdir = tempfile.mkdtemp(prefix="mqtt-vote-bench-")
    res, errors = {}, []

    def step(name, fn):
        print("bench: %s..." % name, file=sys.stderr, flush=True)
        t0 = time.time()
        try:
            out = fn()
            print("bench:   done in %.1f s" % (time.time() - t0), file=sys.stderr, flush=True)
            return out
        except (BenchError, OSError, subprocess.SubprocessError, sqlite3.Error) as e:
            errors.append("%s: %s" % (name, e))
            print("bench:   FAILED after %.1f s: %s" % (time.time() - t0, e), file=sys.stderr, flush=True)
            return None

    try:
        if "throughput" in only:
            tp = res["throughput"] = {}
            for wl in ("live", "drain"):
                tp[wl] = {"tallier": [], "reference": []}
                runs = [("reference", throughput_reference), ("tallier", throughput_tallier)]
                if wl == "drain":
                    tp[wl]["paho"], tp[wl]["paho_commit"] = [], []
                    runs[1:1] = [("paho", throughput_paho_noop),
                                 ("paho_commit", lambda *a: throughput_paho_noop(*a, commit=True))]
                for rep in range(cfg["throughput_repeats"]):
                    for who, fn in runs:
                        r = step("throughput %s, %s, run %d" % (wl, who, rep + 1),
                                 lambda fn=fn, wl=wl: fn(tools, workdir, cfg, wl))
                        if r:
                            tp[wl][who].append(r)
        if "latency" in only:
            lat = res["latency"] = {}
            for key, load, nodelay in (("light", "light", True), ("saturation", "saturation", True),
                                       ("light_nagle", "light", False)):
                lat[key] = {}
                for who in ("responder", "tallier"):
                    lat[key][who] = step("latency %s, %s" % (key, who),
                                         lambda who=who, load=load, nodelay=nodelay:
                                         latency_run(tools, workdir, cfg, who, load, nodelay))
        if "memory" in only:
            res["memory"] = step("memory and restart, %d voters" % cfg["store_voters"],
                                 lambda: memory_restart(tools, workdir, cfg))
        if "cli" in only:
            res["cli"] = step("voter CLI against mosquitto_pub", lambda: cli_times(tools, workdir, cfg))
        if "signed" in only:
            sg = res["signed"] = {"unsigned": [], "signed": []}
            for rep in range(cfg["throughput_repeats"]):
                for who in ("unsigned", "signed"):
                    r = step("throughput live, %s poll, run %d" % (who, rep + 1),
                             lambda who=who: throughput_tallier(tools, workdir, cfg, "live", who == "signed"))
                    if r:
                        sg[who].append(r)
            sg["cost"] = step("signature check cost, %d rounds" % cfg["signcost_rounds"],
                              lambda: signature_cost(tools, cfg))
        if "confirm" in only:
            res["confirm"] = step("voter --confirm against mosquitto_rr", lambda: confirm_times(tools, workdir, cfg))
        if "manypolls" in only:
            res["manypolls"] = step("receipt latency with %d polls alive" % cfg["many_polls"],
                                    lambda: manypolls_latency(tools, workdir, cfg))
        if "page" in only:
            res["page"] = step("ballot to the results page against mosquitto_sub",
                               lambda: page_latency(tools, workdir, cfg))
    except KeyboardInterrupt:
        errors.append("interrupted")
    finally:
        kill_all_children()
        shutil.rmtree(workdir, ignore_errors=True)

    figs = build_figures(res)
    info = machine_info(tools)
    header = "mqtt-vote benchmark (%s) -- %s CPUs, %s, Linux %s, %s, SQLite %s" % (
        mode, info.get("cpus"), info.get("cpu", "?"), info.get("kernel"), info.get("mosquitto", "mosquitto ?"),
        info.get("sqlite"))
    print_table(figs, header)
    tp = res.get("throughput", {})
    if tp.get("live", {}).get("reference"):
        print("live stream offered by loadgen (%d connections, QoS 1): %s ballots/s" % (
            cfg["connections"], fmt(median_run(tp["live"]["reference"])["offered_rate"], "ballots/s")))
    print("ratio = project / reference; references do no work: mosquitto_sub -q 1 > /dev/null (throughput),")
    print("a Paho MQTTAsync subscriber that does nothing, acknowledging as the tallier must (draining, against Paho),")
    print("the same committing each ballot, unread, to SQLite before acknowledging it (against Paho + SQLite commit),")
    print("loadgen --respond (latency), the sqlite3 shell reading the store (restart), mosquitto_pub -q 1 (CLI),")
    print("mosquitto_rr -q 1 answered by the same tallier (--confirm).")
    if (res.get("page") or {}).get("skipped"):
        print("page: skipped: %s" % res["page"]["skipped"])
    if args.quick:
        print("--quick: a smoke test of the harness; these numbers are too small to mean anything.")
    if tools.sanitized:
        print("warning: %s built with sanitizers: these figures are not the project's" % ", ".join(tools.sanitized))
    for e in errors:
        print("error: %s" % e)
    doc = {"benchmark": "mqtt-vote", "format": 1, "mode": mode,
           "started": datetime.datetime.fromtimestamp(started, datetime.timezone.utc).isoformat(),
           "seconds": time.time() - started, "machine": info, "parameters": cfg, "figures": figs,
           "sanitized": tools.sanitized,
           "measurements": res, "errors": errors}
    with open(args.json, "w") as f:
        json.dump(doc, f, indent=1, default=float)
        f.write("\n")
    print("results: %s" % os.path.abspath(args.json))
    if errors:
        return 1
    if args.strict and any(f["met"] is False for f in figs):
        return 3
    return 0


def _interrupt(sig, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        sys.exit(main())
    finally:
        kill_all_children()
