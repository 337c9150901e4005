#!/usr/bin/env python3
"""harness.py -- the integration tests' tools: a real mosquitto, the real
voter and tallier, real mosquitto_pub/mosquitto_sub clients. No mocks.

As a module: Broker, Tallier, run_voter, pub, get_result, wait_result,
Capture and IntegrationCase (a unittest.TestCase with cleanup helpers).

As a program (the ctest fixture):
    python3 harness.py start-shared   start the broker the tests share; its
                                      port and pid go to files in
                                      $MQTTVOTE_SHARED_BROKER
    python3 harness.py stop-shared    SIGTERM that broker and wait for it

Environment (set by tests/CMakeLists.txt): MQTTVOTE_VOTER, MQTTVOTE_TALLIER,
MQTTVOTE_MOSQUITTO, MQTTVOTE_MOSQUITTO_PUB, MQTTVOTE_MOSQUITTO_SUB (absolute
paths), MQTTVOTE_SHARED_BROKER (the shared broker's state directory).
Without MQTTVOTE_SHARED_BROKER (a test run by hand) each test that asks for
the shared broker gets a private one instead.

Rules kept here: only 127.0.0.1, free ports found by binding port 0 (and a
new port tried when mosquitto cannot bind), polling with deadlines instead
of sleeps, and only processes we started are ever signalled, by PID.
"""

import ctypes
import json
import os
import pwd
import re
import secrets
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest

HOST = "127.0.0.1"


def _tool(var, name):
    path = os.environ.get(var)
    if path:
        return path
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found:
        return found
    raise RuntimeError("%s is not set and %s is not on PATH" % (var, name))


def use_build_binaries(root, who):
    """For scripts run by hand (bench/): point MQTTVOTE_TALLIER and
    MQTTVOTE_VOTER, when not set, at build/ under the current directory or
    root; exits with a message naming who when one is missing."""
    for var, rel in (("MQTTVOTE_TALLIER", "tallier/tallier"), ("MQTTVOTE_VOTER", "voter/voter")):
        if os.environ.get(var):
            continue
        for base in (os.getcwd(), root):
            path = os.path.join(base, "build", rel)
            if os.access(path, os.X_OK):
                os.environ[var] = path
                break
        else:
            sys.exit("%s: %s is not set and build/%s was not found (in %s or %s)"
                     % (who, var, rel, os.getcwd(), root))


def voter_path():
    return _tool("MQTTVOTE_VOTER", "voter")


def tallier_path():
    return _tool("MQTTVOTE_TALLIER", "tallier")


def pollctl_path():
    return _tool("MQTTVOTE_POLLCTL", "pollctl")


def mosquitto_path():
    return _tool("MQTTVOTE_MOSQUITTO", "mosquitto")


def mosquitto_pub_path():
    return _tool("MQTTVOTE_MOSQUITTO_PUB", "mosquitto_pub")


def mosquitto_sub_path():
    return _tool("MQTTVOTE_MOSQUITTO_SUB", "mosquitto_sub")


# --------------------------------------------------------------------------
# Children die with the test process (a test killed by ctest's timeout must
# not leave a broker or a tallier behind): PR_SET_PDEATHSIG in the child.

_PR_SET_PDEATHSIG = 1
try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover
    _libc = None


def _die_with_parent():
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def free_port():
    """A port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class ClosedPort:
    """A port on 127.0.0.1 that refuses connections and that no one else
    can take while this is open: bound, never listening."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((HOST, 0))
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


def port_accepts(port, timeout=0.2):
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def _read(path, errors="replace"):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", errors)
    except FileNotFoundError:
        return ""


def _tail(text, lines=40):
    return "\n".join(text.splitlines()[-lines:])


def _pid_alive(pid):
    """True when pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    state = stat[stat.rfind(")") + 2:].split()[0]
    return state not in ("Z", "X")


def _pid_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


# --------------------------------------------------------------------------
# Broker


class BrokerError(RuntimeError):
    pass


def broker_user():
    """The user mosquitto 2.0 switches to when started as root, right after
    reading its configuration: "mosquitto", or "nobody" when there is no
    such user (src/mosquitto.c, drop_privileges). A pwd entry."""
    try:
        return pwd.getpwnam("mosquitto")
    except KeyError:
        return pwd.getpwnam("nobody")


def _user_enters_parents(pw, path):
    """True when the user pw may enter every directory above path (by the
    mode bits; its secondary groups are not counted)."""
    d = os.path.dirname(os.path.abspath(path))
    while True:
        st = os.stat(d)
        if st.st_uid == pw.pw_uid:
            bit = stat.S_IXUSR
        elif st.st_gid == pw.pw_gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return False
        if d == "/":
            return True
        d = os.path.dirname(d)


def _data_dir_for(state_dir):
    """Where a broker whose files are in state_dir may write (its
    persistence, its log, mosquitto.conf's pid file): state_dir itself,
    unless we are root and the user mosquitto switches to cannot reach it
    (a build tree under /root): then a new directory under the temp dir. As
    root, the directory is given to that user, as scripts/broker.sh does."""
    if os.geteuid() != 0:
        return state_dir
    pw = broker_user()
    data_dir = state_dir
    if not _user_enters_parents(pw, state_dir):
        data_dir = tempfile.mkdtemp(prefix="mqttvote-broker-data-")
    for d, _, files in os.walk(data_dir):
        for path in [d] + [os.path.join(d, f) for f in files]:
            os.chown(path, pw.pw_uid, pw.pw_gid)
    return data_dir


class Broker:
    """A mosquitto on 127.0.0.1: private (Broker.private(), started and
    stopped by the test) or the shared one (Broker.shared(), attached to;
    .stop() and .restart() refuse on it)."""

    def __init__(self, port, state_dir, proc=None, shared=False, pid=None, repo_conf=False,
                 security=()):
        self.repo_conf = repo_conf
        self.security = list(security)
        self.port = port
        # where the tallier connects: the repository configuration's
        # loopback listener, else the one port
        self.tallier_port = None
        # repo_conf: the browsers' WebSockets listener (mosquitto.conf's
        # "listener 9001", moved; it serves the repository's web/)
        self.ws_port = None
        self.state_dir = state_dir
        self.data_dir = None  # set at the first start (_data_dir_for)
        self.proc = proc
        self.shared = shared
        self.pid = pid if pid is not None else (proc.pid if proc else None)
        self._owns_dir = False

    # -- construction

    @classmethod
    def private(cls, state_dir=None, repo_conf=False, security=()):
        """Start a private broker on a free port with its persistence in
        state_dir (a new temp dir by default). repo_conf: run the
        repository's mosquitto.conf, only moved to the port and state_dir.
        security: configuration lines that replace "allow_anonymous true"
        (password_file, acl_file, plugin...)."""
        owns = state_dir is None
        if owns:
            state_dir = tempfile.mkdtemp(prefix="mqttvote-broker-")
        b = cls(None, state_dir, repo_conf=repo_conf, security=security)
        b._owns_dir = owns
        b._start_on_free_port(detach=False)
        return b

    @classmethod
    def shared_or_private(cls):
        """The shared broker when the ctest fixture started one, else (a test
        run by hand) a private one."""
        d = os.environ.get("MQTTVOTE_SHARED_BROKER")
        if d and os.path.exists(os.path.join(d, "port")):
            return cls.attach_shared(d)
        return cls.private()

    @classmethod
    def attach_shared(cls, state_dir=None):
        state_dir = state_dir or os.environ["MQTTVOTE_SHARED_BROKER"]
        port = int(_read(os.path.join(state_dir, "port")).strip())
        pid = int(_read(os.path.join(state_dir, "pid")).strip())
        if not port_accepts(port, timeout=2):
            raise BrokerError("the shared broker (pid %d) does not accept connections on port %d"
                              % (pid, port))
        b = cls(port, state_dir, shared=True, pid=pid)
        b.data_dir = _read(os.path.join(state_dir, "data_dir")).strip() or None
        return b

    # -- paths

    @property
    def conf_path(self):
        return os.path.join(self.state_dir, "mosquitto.conf")

    @property
    def log_path(self):
        return os.path.join(self.data_dir or self.state_dir, "mosquitto.log")

    @property
    def stderr_path(self):
        return os.path.join(self.state_dir, "mosquitto.stderr")

    def log(self):
        return _read(self.log_path) + _read(self.stderr_path)

    # -- start / stop

    def _write_conf(self):
        if self.repo_conf:
            src = os.environ["MQTTVOTE_SOURCE_DIR"]
            path = os.path.join(src, "mosquitto.conf")
            text = _read(path)
            for line in ("listener 1883", "listener 1884 127.0.0.1", "listener 9001", "http_dir web"):
                if "\n%s\n" % line not in text:
                    raise BrokerError("%s has no line '%s'" % (path, line))
            if self.tallier_port is None:
                self.tallier_port = free_port()
            if self.ws_port is None:
                self.ws_port = free_port()
            # libwebsockets (under Mosquitto 2.0.11) binds to an interface
            # name, and to every interface when given an address
            text = text.replace("\nlistener 9001\n", "\nlistener %d lo\n" % self.ws_port)
            text = text.replace("\nhttp_dir web\n", "\nhttp_dir %s\n" % os.path.join(os.path.abspath(src), "web"))
            text = text.replace("\nlistener 1883\n", "\nlistener %d %s\n" % (self.port, HOST))
            text = text.replace("\nlistener 1884 127.0.0.1\n", "\nlistener %d 127.0.0.1\n" % self.tallier_port)
            lines = text.splitlines()
            lines += ["persistence_location %s/" % self.data_dir.rstrip("/"),
                      "log_dest file %s" % self.log_path]
            # its acl_file, read from the directory mosquitto runs in (as
            # scripts/broker.sh does)
            shutil.copy(os.path.join(src, "mosquitto.acl"), os.path.join(self.data_dir, "mosquitto.acl"))
            os.chmod(os.path.join(self.data_dir, "mosquitto.acl"), 0o644)
        else:
            lines = [
                "listener %d %s" % (self.port, HOST)] + (self.security or [
                "allow_anonymous true"]) + [
                "persistence true",
                "persistence_location %s/" % self.data_dir.rstrip("/"),
                "max_queued_messages 100000",
                "log_dest file %s" % self.log_path,
            ]
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def _launch(self, detach):
        """Start mosquitto on self.port; True once it listens, False when it
        exited (could not bind)."""
        if self.data_dir is None:
            self.data_dir = _data_dir_for(self.state_dir)
            if self.data_dir != self.state_dir:
                with open(os.path.join(self.state_dir, "data_dir"), "w") as f:
                    f.write(self.data_dir + "\n")
        self._write_conf()
        log_before = len(_read(self.log_path))
        stderr = open(self.stderr_path, "ab")
        try:
            if detach:
                self.proc = subprocess.Popen(
                    [mosquitto_path(), "-c", self.conf_path], cwd=self.data_dir,
                    stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                    start_new_session=True, close_fds=True)
            else:
                self.proc = subprocess.Popen(
                    [mosquitto_path(), "-c", self.conf_path], cwd=self.data_dir,
                    stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                    preexec_fn=_die_with_parent, close_fds=True)
        finally:
            stderr.close()
        self.pid = self.proc.pid
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            new_log = _read(self.log_path)[log_before:]
            if " running" in new_log and port_accepts(self.port):
                if self.proc.poll() is None:
                    return True
                return False
            time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        raise BrokerError("mosquitto did not start listening on port %d within 10 s:\n%s"
                          % (self.port, _tail(self.log())))

    def _start_on_free_port(self, detach):
        for _ in range(8):
            self.port = free_port()
            self.tallier_port = None
            self.ws_port = None
            if self._launch(detach):
                return
        raise BrokerError("mosquitto could not bind a free port in 8 tries:\n%s"
                          % _tail(self.log()))

    def stop(self, timeout=10):
        """SIGTERM the broker and wait for it (it saves its database).
        Returns its exit code."""
        if self.shared:
            raise BrokerError("refusing to stop the shared broker from a test")
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        return rc

    def restart(self, timeout=15):
        """Stop the broker, then start it again on the same port with the same
        persistence directory (retained messages and sessions survive)."""
        self.stop()
        deadline = time.monotonic() + timeout
        while True:
            if self._launch(detach=False):
                return
            if time.monotonic() > deadline:
                raise BrokerError("mosquitto could not bind port %d again:\n%s"
                                  % (self.port, _tail(self.log())))
            time.sleep(0.1)

    def cleanup(self):
        """Stop (private) and remove the temp dir we made."""
        if not self.shared:
            self.stop()
            if self.data_dir not in (None, self.state_dir):
                shutil.rmtree(self.data_dir, ignore_errors=True)
            if self._owns_dir:
                shutil.rmtree(self.state_dir, ignore_errors=True)


def start_shared():
    state_dir = os.environ["MQTTVOTE_SHARED_BROKER"]
    os.makedirs(state_dir, exist_ok=True)
    stop_shared(quiet=True)  # one left by an interrupted earlier run
    _forget_shared_data_dir(state_dir)
    # A fresh broker each run: no retained results, no sessions from before.
    for name in ("mosquitto.db", "mosquitto.log", "mosquitto.stderr", "port", "pid"):
        try:
            os.unlink(os.path.join(state_dir, name))
        except FileNotFoundError:
            pass
    b = Broker(None, state_dir)
    b._start_on_free_port(detach=True)
    with open(os.path.join(state_dir, "pid"), "w") as f:
        f.write("%d\n" % b.pid)
    with open(os.path.join(state_dir, "port"), "w") as f:
        f.write("%d\n" % b.port)
    print("shared broker: pid %d, port %d, state %s" % (b.pid, b.port, state_dir))
    # The broker outlives this process on purpose; stop-shared ends it.
    b.proc.returncode = 0  # keep Popen's destructor quiet


def _forget_shared_data_dir(state_dir):
    """Remove the shared broker's data directory when it is not state_dir
    (see _data_dir_for), and the file that names it."""
    path = os.path.join(state_dir, "data_dir")
    data_dir = _read(path).strip()
    if data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)
        os.unlink(path)


def stop_shared(quiet=False):
    state_dir = os.environ["MQTTVOTE_SHARED_BROKER"]
    pid_file = os.path.join(state_dir, "pid")
    text = _read(pid_file).strip()
    if not text:
        if not quiet:
            print("no shared broker to stop")
        return 0
    pid = int(text)
    conf = os.path.join(state_dir, "mosquitto.conf").encode()
    cmd = _pid_cmdline(pid)
    if not _pid_alive(pid) or conf not in cmd:
        # Gone already (or the pid was reused by something that is not ours).
        os.unlink(pid_file)
        if not quiet:
            print("shared broker (pid %d) is not running" % pid)
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
        while _pid_alive(pid):
            time.sleep(0.05)
    os.unlink(pid_file)
    _forget_shared_data_dir(state_dir)
    if not quiet:
        print("shared broker (pid %d) stopped" % pid)
    return 0


# --------------------------------------------------------------------------
# Tallier


class Tallier:
    """The real tallier, its stderr captured to a file."""

    def __init__(self, port, client_id, topics=(), extra=(), log_dir=None, host=HOST):
        self.port = port
        self.client_id = client_id
        self.topics = list(topics)
        self.extra = list(extra)
        self.host = host
        self._owns_dir = log_dir is None
        self.log_dir = log_dir or tempfile.mkdtemp(prefix="mqttvote-tallier-")
        self.stderr_path = os.path.join(self.log_dir, "tallier-%s.stderr" % client_id)
        self.stdout_path = os.path.join(self.log_dir, "tallier-%s.stdout" % client_id)
        self.proc = None
        self.starts = 0
        self.start()

    def argv(self):
        a = [tallier_path(), "-h", self.host, "-p", str(self.port), "-i", self.client_id]
        for t in self.topics:
            a += ["-t", t]
        return a + self.extra

    def _preexec(self):
        """Runs in the child before exec (subclasses add limits)."""
        _die_with_parent()

    def start(self):
        """Start (or start again, appending to the same log)."""
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("tallier already running")
        out = open(self.stdout_path, "ab")
        err = open(self.stderr_path, "ab")
        try:
            # cwd: a crash's core file (if any) lands in the temp dir
            self.proc = subprocess.Popen(self.argv(), cwd=self.log_dir,
                                         stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, preexec_fn=self._preexec,
                                         close_fds=True)
        finally:
            out.close()
            err.close()
        self.starts += 1

    def log(self):
        return _read(self.stderr_path)

    def stdout(self):
        return _read(self.stdout_path)

    def log_lines(self):
        return self.log().splitlines()

    def count_log(self, regex):
        r = re.compile(regex)
        return sum(1 for line in self.log_lines() if r.search(line))

    def wait_for_log(self, regex, timeout=10, count=1):
        """Wait until at least count stderr lines match regex; returns the
        count-th match. Raises AssertionError (with the log) on timeout or
        when the tallier exits first."""
        r = re.compile(regex)
        deadline = time.monotonic() + timeout
        while True:
            matches = [m for m in (r.search(line) for line in self.log_lines()) if m]
            if len(matches) >= count:
                return matches[count - 1]
            if self.proc.poll() is not None:
                raise AssertionError(
                    "tallier exited (code %s) before logging %r (%d of %d seen); its stderr:\n%s"
                    % (self.proc.returncode, regex, len(matches), count, _tail(self.log())))
            if time.monotonic() > deadline:
                raise AssertionError(
                    "tallier did not log %r %d time(s) within %.1f s (%d seen); its stderr:\n%s"
                    % (regex, count, timeout, len(matches), _tail(self.log())))
            time.sleep(0.02)

    def wait_subscribed(self, timeout=10, count=1):
        return self.wait_for_log(r"subscribed to", timeout, count)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10):
        """SIGTERM; returns the exit code (or raises if it does not exit in
        time, after killing it)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("tallier did not exit within %.1f s of SIGTERM; stderr:\n%s"
                                     % (timeout, _tail(self.log())))
        return self.proc.returncode

    def signal(self, sig, timeout=10):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("tallier did not exit within %.1f s of signal %d; stderr:\n%s"
                                 % (timeout, sig, _tail(self.log())))

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        self.kill()
        if self._owns_dir:
            shutil.rmtree(self.log_dir, ignore_errors=True)


# --------------------------------------------------------------------------
# Clients


class NodeDriver:
    """A node script of tests/integration that takes one JSON command a line
    on stdin ({"op": ..., ...}) and answers each with one JSON line
    ({"ok": true, "value": ..} or {"ok": false, "error": ..}), after a first
    "ready" line: browser.js (Chromium) and wsclient.js (MQTT.js). Its stderr
    goes to a file, read when it exits."""

    def __init__(self, script, args=(), cwd=None, ready_timeout=30):
        self.script = script
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([shutil.which("node") or "node",
                                      os.path.join(os.path.dirname(os.path.abspath(__file__)), script)] + list(args),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                     cwd=cwd, preexec_fn=_die_with_parent)
        self.buf = b""
        self._answer(ready_timeout)  # "ready"

    def _answer(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("%s did not answer within %.0f s" % (self.script, timeout))
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                data = os.read(self.proc.stdout.fileno(), 65536)
                if not data:
                    self.stderr.seek(0)
                    raise AssertionError("%s exited (%s): %s" % (self.script, self.proc.wait(),
                                                                 self.stderr.read().decode(errors="replace")))
                self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, op, timeout=30, **kw):
        """Sends the command op with kw; returns its value, or fails with its error."""
        kw["op"] = op
        self.proc.stdin.write((json.dumps(kw) + "\n").encode())
        self.proc.stdin.flush()
        a = self._answer(timeout)
        if not a["ok"]:
            raise AssertionError("%s %r: %s" % (op, kw, a["error"]))
        return a["value"]

    def close(self, timeout=15):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b'{"op":"quit"}\n')
                self.proc.stdin.close()
                self.proc.wait(timeout)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.stderr):
            f.close()


def run(argv, timeout=30, input=None):
    """Run argv (a list of str or bytes); returns (rc, stdout, stderr) as str
    (bytes that are not UTF-8 are escaped)."""
    p = subprocess.run(argv, stdin=subprocess.DEVNULL if input is None else None, input=input,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       cwd=tempfile.gettempdir())
    return (p.returncode, p.stdout.decode("utf-8", "backslashreplace"),
            p.stderr.decode("utf-8", "backslashreplace"))


def run_voter(args, timeout=30):
    """voter ARGS -> (rc, stdout, stderr)."""
    return run([voter_path()] + list(args), timeout=timeout)


def vote(port, poll, choice, voter=None, extra=(), timeout=30):
    """The voter publishing choice to vote/<poll> on the broker at port."""
    args = ["-h", HOST, "-p", str(port), "-t", "vote/" + poll, "-m", choice]
    if voter is not None:
        args += ["--voter", voter]
    return run_voter(args + list(extra), timeout=timeout)


def pub(port, topic, payload=None, file=None, qos=1, retain=False, extra=(), timeout=30):
    """mosquitto_pub one message (payload str/bytes, or file, or empty when
    both are None). Raises AssertionError when mosquitto_pub fails."""
    argv = [mosquitto_pub_path(), "-h", HOST, "-p", str(port), "-q", str(qos), "-t", topic]
    if retain:
        argv.append("-r")
    if file is not None:
        argv += ["-f", file]
    elif payload is None:
        argv.append("-n")
    else:
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        if len(payload) > 1000 or b"\0" in payload:
            # long or binary: through a file, not argv
            fd, path = tempfile.mkstemp(prefix="mqttvote-payload-")
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
            try:
                return pub(port, topic, file=path, qos=qos, retain=retain, extra=extra,
                           timeout=timeout)
            finally:
                os.unlink(path)
        argv += ["-m", payload]
    argv += list(extra)
    rc, out, err = run(argv, timeout=timeout)
    if rc != 0:
        raise AssertionError("mosquitto_pub to %s failed (%d): %s" % (topic, rc, err))
    return rc


def sub(port, topic, count=1, wait=5, extra=(), timeout=None):
    """mosquitto_sub -C count -W wait: (rc, stdout, stderr)."""
    argv = [mosquitto_sub_path(), "-h", HOST, "-p", str(port), "-t", topic,
            "-C", str(count), "-W", str(max(1, int(round(wait))))] + list(extra)
    return run(argv, timeout=timeout or wait + 10)


def get_result(port, poll, timeout=2):
    """The retained result of poll (parsed JSON), or None when none arrives
    within timeout seconds (rounded up to whole seconds for -W).
    Raises AssertionError when the result is not JSON."""
    rc, out, err = sub(port, "vote/%s/result" % poll, count=1, wait=timeout)
    text = out.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as e:
        raise AssertionError("result of %s is not JSON (%s): %r" % (poll, e, text))


def wait_result(port, poll, predicate, timeout=10):
    """Poll get_result until predicate(result) holds or timeout passes;
    returns the last result either way (None if none ever came), so that
    the caller's assertion shows what was there."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        left = deadline - time.monotonic()
        r = get_result(port, poll, timeout=max(1, min(2, left)))
        if r is not None:
            last = r
            try:
                if predicate(r):
                    return r
            except (KeyError, TypeError, AttributeError):
                pass
        if time.monotonic() >= deadline:
            return last
        time.sleep(0.05)  # between polls only; the condition is re-checked


class Capture:
    """Messages published on a topic, caught through a persistent
    mosquitto_sub session: subscribe now (returns once the broker has
    acknowledged the subscription), read later with fetch()."""

    def __init__(self, port, topic, qos=1):
        self.port = port
        self.topic = topic
        self.qos = qos
        self.client_id = "capture-" + secrets.token_hex(6)
        rc, out, err = run([mosquitto_sub_path(), "-h", HOST, "-p", str(port), "-c",
                            "-i", self.client_id, "-q", str(qos), "-t", topic, "-E"], timeout=15)
        if rc != 0:
            raise AssertionError("mosquitto_sub -E failed (%d): %s" % (rc, err))

    def fetch(self, count=1, wait=5, fmt=None):
        """Up to count messages (lines of output) received within wait s."""
        argv = [mosquitto_sub_path(), "-h", HOST, "-p", str(self.port), "-c",
                "-i", self.client_id, "-q", str(self.qos), "-t", self.topic,
                "-C", str(count), "-W", str(max(1, int(wait)))]
        if fmt:
            argv += ["-F", fmt]
        rc, out, err = run(argv, timeout=wait + 10)
        return out.splitlines()

    def close(self):
        # A clean-session connect discards the persistent session.
        run([mosquitto_sub_path(), "-h", HOST, "-p", str(self.port), "-i", self.client_id,
             "-t", self.topic, "-E"], timeout=15)


# --------------------------------------------------------------------------
# TestCase


def ballot_json(voter, choice, poll=None, id=None, ts=None, **extra):
    d = {}
    if poll is not None:
        d["poll"] = poll
    d["voter"] = voter
    d["choice"] = choice
    if id is not None:
        d["id"] = id
    if ts is not None:
        d["ts"] = ts
    d.update(extra)
    return json.dumps(d, ensure_ascii=False)


class IntegrationCase(unittest.TestCase):
    """A TestCase whose helpers register their own cleanup."""

    RUN_TOKEN = secrets.token_hex(3)

    def poll_name(self, suffix=""):
        """A poll name of this test (and this run): <test>-<token>[-suffix],
        at most 64 characters from the allowed set."""
        base = re.sub(r"[^A-Za-z0-9_.-]", "_", self._testMethodName)
        if base.startswith("test_"):
            base = base[5:]
        tail = "-" + self.RUN_TOKEN + ("-" + suffix if suffix else "")
        return base[:64 - len(tail)] + tail

    def client_id(self, suffix=""):
        return "t-" + self.poll_name(suffix)

    def shared_broker(self):
        b = Broker.shared_or_private()
        self.addCleanup(b.cleanup)
        return b

    def closed_port(self):
        c = ClosedPort()
        self.addCleanup(c.close)
        return c.port

    def private_broker(self, repo_conf=False, security=()):
        b = Broker.private(repo_conf=repo_conf, security=security)
        self.addCleanup(b.cleanup)
        return b

    def security_dir(self):
        """A directory (removed at cleanup) that the broker can read and
        write, whoever it runs as."""
        d = tempfile.mkdtemp(prefix="mqttvote-security-")
        self.addCleanup(shutil.rmtree, d, True)
        os.chmod(d, 0o755)
        if os.geteuid() == 0:
            pw = broker_user()
            os.chown(d, pw.pw_uid, pw.pw_gid)
        return d

    def password_acl_files(self, passwords, acl_text):
        """A mosquitto password file of passwords ((user, password) pairs,
        through mosquitto_passwd) and an ACL file of acl_text, readable by
        the broker, in a new security_dir: (password file, ACL file)."""
        d = self.security_dir()
        pwfile = os.path.join(d, "passwords")
        for n, (user, password) in enumerate(passwords):
            rc, out, err = run([shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"]
                               + (["-c"] if n == 0 else []) + ["-b", pwfile, user, password])
            self.assertEqual(rc, 0, err)
        aclfile = os.path.join(d, "acl")
        with open(aclfile, "w") as f:
            f.write(acl_text)
        for path in (pwfile, aclfile):
            os.chmod(path, 0o644)
        return pwfile, aclfile

    def start_tallier(self, broker, topics=(), extra=(), client_id=None, wait=True):
        t = Tallier(broker.tallier_port or broker.port, client_id or self.client_id(), topics=topics,
                    extra=extra)
        self.addCleanup(t.cleanup)
        if wait:
            t.wait_subscribed()
        return t

    def vote_ok(self, port, poll, choice, voter, extra=()):
        rc, out, err = vote(port, poll, choice, voter=voter, extra=extra)
        self.assertEqual(rc, 0, "voter %s/%s/%s failed: stdout=%r stderr=%r"
                         % (poll, voter, choice, out, err))
        return out, err

    def assertResult(self, port, poll, counts, total=None, rejected=0, timeout=10, tallier=None):
        """Wait for the retained result to show exactly counts, total
        (default: sum of counts) and rejected; assert it."""
        if total is None:
            total = sum(counts.values())
        want = {"counts": counts, "total": total}
        if rejected is not None:  # None: not checked
            want["rejected"] = rejected

        def pred(r):
            return all(r.get(k) == v for k, v in want.items())
        r = wait_result(port, poll, pred, timeout=timeout)
        got = None if r is None else {k: r.get(k) for k in want}
        msg = "result of poll %s: %r" % (poll, r)
        if tallier is not None:
            msg += "\ntallier stderr:\n" + _tail(tallier.log())
        self.assertEqual(got, want, msg)
        return r



# --------------------------------------------------------------------------
# Durable state, receipts, crashes (tests test_durable, test_receipts,
# test_crash, and bench/restart.py). Additions only: nothing above changes.

import resource  # noqa: E402 (here, not in a preexec_fn: no import between fork and exec)


def wait_for(predicate, timeout, interval=0.02):
    """Poll predicate() until it returns a true value or timeout seconds
    pass; returns its last value (so the caller asserts on it)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)  # between polls only; the condition is re-checked


def run_tallier(args, timeout=30):
    """tallier ARGS (a one-shot: --export, --recount, or a start that must
    fail) -> (rc, stdout, stderr)."""
    return run([tallier_path()] + list(args), timeout=timeout)


def tallier_db(t):
    """The database a Tallier object uses when no --db is given: tally.db in
    its own directory (its working directory)."""
    return os.path.join(t.log_dir, "tally.db")


def pub_lines(port, topic, lines, qos=1, extra=(), timeout=60):
    """mosquitto_pub -l: one message per line (a list of str). Returns
    (rc, stdout, stderr); does not raise."""
    argv = [mosquitto_pub_path(), "-h", HOST, "-p", str(port), "-q", str(qos), "-t", topic,
            "-l"] + list(extra)
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    return run(argv, timeout=timeout, input=data)


def new_ballot_id():
    return secrets.token_hex(16)


def run_child(argv, timeout=30, input=None):
    """run(), but the child gets SIGKILL if the thread that started it dies
    (a test killed by ctest's timeout leaves no mosquitto_pub reconnecting
    to a broker that is gone). For clients run from worker threads: the
    thread waits for the child, so it outlives it."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         cwd=tempfile.gettempdir(), preexec_fn=_die_with_parent, close_fds=True)
    try:
        out, err = p.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise
    return (p.returncode, out.decode("utf-8", "backslashreplace"),
            err.decode("utf-8", "backslashreplace"))


class LimitedTallier(Tallier):
    """A Tallier started with RLIMIT_FSIZE set to fsize bytes (None: no
    limit). fsize may be changed between stop() and start()."""

    def __init__(self, port, client_id, fsize=None, **kw):
        self.fsize = fsize
        Tallier.__init__(self, port, client_id, **kw)

    def _preexec(self):
        Tallier._preexec(self)
        if self.fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (self.fsize, self.fsize))


class Capture5(Capture):
    """A Capture whose session is MQTT 5 (so that fetch can show MQTT 5
    properties: -F with %D correlation data, %R response topic...). The
    session never expires until close()."""

    def __init__(self, port, topic, qos=1):
        self.port = port
        self.topic = topic
        self.qos = qos
        self.client_id = "capture5-" + secrets.token_hex(6)
        rc, out, err = run([mosquitto_sub_path(), "-h", HOST, "-p", str(port), "-V", "5", "-c",
                            "-x", "4294967295", "-i", self.client_id, "-q", str(qos),
                            "-t", topic, "-E"], timeout=15)
        if rc != 0:
            raise AssertionError("mosquitto_sub -V 5 -E failed (%d): %s" % (rc, err))

    def fetch(self, count=1, wait=5, fmt=None):
        argv = [mosquitto_sub_path(), "-h", HOST, "-p", str(self.port), "-V", "5", "-c",
                "-x", "4294967295", "-i", self.client_id, "-q", str(self.qos),
                "-t", self.topic, "-C", str(count), "-W", str(max(1, int(wait)))]
        if fmt:
            argv += ["-F", fmt]
        rc, out, err = run(argv, timeout=wait + 10)
        return out.splitlines()

    def close(self):
        run([mosquitto_sub_path(), "-h", HOST, "-p", str(self.port), "-V", "5",
             "-i", self.client_id, "-t", self.topic, "-E"], timeout=15)


# --------------------------------------------------------------------------
# Direct TCP mode (test_tcp and bench/tcp.py): a tallier with --listen and
# a raw client of its line protocol. Additions only: nothing above changes.

LISTENING_RE = r"^tallier: listening on tcp (\[[0-9A-Fa-f:.%]+\]|[0-9.]+):(\d+)$"


class TcpTallier(Tallier):
    """tallier --listen LISTEN (one address, port 0 by default). With
    broker_port None it runs --no-mqtt (no -h/-p/-i/-t at all); else it is
    also an MQTT tallier on that broker. wait_listening() parses the port
    from its log into .tcp_port (and the address into .tcp_host)."""

    def __init__(self, broker_port=None, client_id="tcp", listen=HOST + ":0", topics=(),
                 extra=(), log_dir=None):
        self.listen = listen
        self.tcp_host = None
        self.tcp_port = None
        Tallier.__init__(self, broker_port, client_id, topics=topics, extra=extra,
                         log_dir=log_dir)

    def argv(self):
        if self.port is None:
            return [tallier_path(), "--no-mqtt", "--listen", self.listen] + self.extra
        return Tallier.argv(self) + ["--listen", self.listen]

    def wait_listening(self, timeout=10):
        """Wait for this start's 'listening on tcp ADDR:PORT' line (one
        address per start); returns the port."""
        m = self.wait_for_log(LISTENING_RE, timeout, count=self.starts)
        self.tcp_host = m.group(1).strip("[]")
        self.tcp_port = int(m.group(2))
        return self.tcp_port


class TcpClient:
    """One connection to a tallier's TCP port, every read under a deadline.
    Lines come back as bytes without their newline."""

    def __init__(self, port, host=HOST, timeout=10, rcvbuf=None):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        if rcvbuf is not None:  # before connect, so the window stays small
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect((host, port))
        except OSError:
            self.sock.close()
            raise
        self.buf = b""
        self.eof = False
        self.reset = False

    @property
    def local_port(self):
        return self.sock.getsockname()[1]

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def send_json(self, obj):
        self.send(json.dumps(obj) + "\n")

    def _fill(self, deadline):
        """Read once more into buf; False at EOF (or a reset)."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no reply from the tallier in time (have %r)" % self.buf[:200])
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise AssertionError("no reply from the tallier in time (have %r)" % self.buf[:200])
        except ConnectionResetError:
            data = b""
            self.reset = True
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def read_line(self, timeout=10):
        """The next line, or None at EOF. AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            if self.eof or not self._fill(deadline):
                return None
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def read_json(self, timeout=10):
        line = self.read_line(timeout)
        if line is None:
            raise AssertionError("the tallier closed the connection instead of replying")
        try:
            return json.loads(line)
        except ValueError as e:
            raise AssertionError("reply is not JSON (%s): %r" % (e, line))

    def request(self, obj, timeout=10):
        self.send_json(obj)
        return self.read_json(timeout)

    def read_until_eof(self, timeout=10):
        """Every line until the tallier closes (a partial last line is
        returned as is). AssertionError when it does not close in time."""
        deadline = time.monotonic() + timeout
        while not self.eof and self._fill(deadline):
            pass
        lines = self.buf.split(b"\n")
        self.buf = b""
        if lines and lines[-1] == b"":
            lines.pop()
        return lines

    def shutdown_write(self):
        self.sock.shutdown(socket.SHUT_WR)

    def abort(self):
        """Close with a reset (SO_LINGER 0): the client vanishes."""
        import struct
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self):
        self.sock.close()


def tcp_request(port, obj, host=HOST, timeout=10):
    """One request on a new connection: the parsed reply."""
    c = TcpClient(port, host=host, timeout=timeout)
    try:
        return c.request(obj, timeout)
    finally:
        c.close()


def main(argv):
    if len(argv) != 2 or argv[1] not in ("start-shared", "stop-shared"):
        sys.stderr.write("usage: harness.py start-shared|stop-shared\n")
        return 2
    if argv[1] == "start-shared":
        start_shared()
        return 0
    return stop_shared()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
