"""The broker started exactly as the README says, `scripts/broker.sh`
(the repository's mosquitto.conf), with only the port changed
(MQTTVOTE_PORT): as root from a root-owned directory (mosquitto then runs
as the user "mosquitto") and as an ordinary user (nobody, through
setpriv), the retained results and the ballots queued for a stopped
tallier survive a clean restart of the broker. mosquitto.conf alone, as
root in a directory that user cannot write, stops at start instead of
losing its state at every save. A port already taken (Debian's own
broker...) stops the start with a clear message and exit 1, in the way
scripts/demo.sh starts its broker."""

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import harness
from harness import HOST, IntegrationCase, ballot_json

BUSY = ("broker: mosquitto cannot listen on port %d: another program holds it (a broker "
        "already running, such as Debian's own: sudo systemctl stop mosquitto; or choose "
        "another port with MQTTVOTE_PORT)\n")


TALLIER_BUSY = ("broker: mosquitto cannot listen on port %d (the tallier's and the organiser's, on "
                "127.0.0.1): another program holds it (a broker already running, such as Debian's "
                "own: sudo systemctl stop mosquitto; or choose another port with "
                "MQTTVOTE_TALLIER_PORT)\n")


def broker_sh(root=None):
    return os.path.join(root or os.environ["MQTTVOTE_SOURCE_DIR"], "scripts", "broker.sh")


def repo_conf():
    return os.path.join(os.environ["MQTTVOTE_SOURCE_DIR"], "mosquitto.conf")


def as_nobody():
    """argv prefix that runs a command as the ordinary user nobody."""
    pw = pwd.getpwnam("nobody")
    return ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--clear-groups",
            "--"]


class StartedBroker:
    """scripts/broker.sh in the foreground, in cwd, as the README says
    (root: the repository that holds it, by default this one)."""

    def __init__(self, case, cwd, port, prefix=(), root=None, env=None):
        self.root = root
        self.env = dict(env or {})
        self.ws_port = harness.free_port()
        self.case = case
        self.cwd = cwd
        self.port = port
        self.tallier_port = harness.free_port()  # the loopback listener of the tallier
        self.prefix = list(prefix)
        self.out_path = os.path.join(case.logs, "broker-%d.out" % port)
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        out = open(self.out_path, "ab")
        env = dict(os.environ, MQTTVOTE_PORT=str(self.port),
                   MQTTVOTE_TALLIER_PORT=str(self.tallier_port),
                   MQTTVOTE_WS_PORT=str(self.ws_port), **self.env)
        try:
            self.proc = subprocess.Popen(self.prefix + [broker_sh(self.root)], cwd=self.cwd,
                                         env=env,
                                         stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, close_fds=True,
                                         preexec_fn=harness._die_with_parent)
        finally:
            out.close()
        want = (r"broker: mosquitto \(pid (\d+)\) listening on port %d \(voters\) and "
                r"127\.0\.0\.1:%d \(the tallier\), state in %s"
                % (self.port, self.tallier_port, re.escape(os.path.join(self.cwd, "broker-state"))))

        def ready():
            m = re.findall("^" + want + "$", harness._read(self.out_path), re.M)
            if self.proc.poll() is not None and len(m) < self.starts:
                raise AssertionError("broker.sh exited %s:\n%s"
                                     % (self.proc.returncode, harness._read(self.out_path)))
            return len(m) >= self.starts and m[-1]
        pid = harness.wait_for(ready, 15)
        self.case.assertTrue(pid, harness._read(self.out_path))
        self.mosquitto_pid = int(pid)
        self.case.assertTrue(harness.port_accepts(self.port, timeout=2))

    def stop(self):
        """SIGTERM to broker.sh: it stops mosquitto cleanly (saving its state)
        and exits with mosquitto's code."""
        if self.proc is None or self.proc.poll() is not None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(15)
        self.case.assertFalse(harness._pid_alive(self.mosquitto_pid), "mosquitto still runs")
        return rc

    def cleanup(self):
        """Stop what a failed test left: broker.sh (SIGTERM: it stops its
        mosquitto), then the mosquitto its state directory names, if it is
        still there and is ours."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        state = os.path.join(self.cwd, "broker-state")
        pid = harness._read(os.path.join(state, "mosquitto.pid")).strip()
        if pid.isdigit() and harness._pid_alive(int(pid)) and \
                state.encode() in b" ".join(harness._pid_cmdline(int(pid))):
            os.kill(int(pid), signal.SIGKILL)


def listening_addresses(port):
    """The local addresses of the TCP sockets listening on port, from
    /proc/net/tcp and tcp6, as (family, hex address) pairs."""
    found = []
    for name in ("tcp", "tcp6"):
        for line in harness._read("/proc/net/" + name).splitlines()[1:]:
            fields = line.split()
            addr, hexport = fields[1].split(":")
            if int(hexport, 16) == port and fields[3] == "0A":  # TCP_LISTEN
                found.append((name, addr))
    return found


LOOPBACK = {("tcp", "0100007F"),                             # 127.0.0.1
            ("tcp6", "0000000000000000FFFF00000100007F")}    # ::ffff:127.0.0.1


class BindOneAddress(IntegrationCase):
    """MQTTVOTE_BIND=127.0.0.1, as scripts/demo.sh starts its broker: every
    listener, the WebSockets one included (Mosquitto 2.0.11 hands its
    address to libwebsockets, which then listens on every interface), is
    on the loopback address only."""

    def test_every_listener_is_on_the_address_only(self):
        cwd = tempfile.mkdtemp(prefix="mqttvote-bind-")
        self.addCleanup(shutil.rmtree, cwd, True)
        os.chmod(cwd, 0o755)  # as root, mosquitto runs as the user "mosquitto"
        self.logs = cwd
        broker = StartedBroker(self, cwd, harness.free_port(), env={"MQTTVOTE_BIND": "127.0.0.1"})
        self.addCleanup(broker.cleanup)
        broker.start()
        self.assertTrue(harness.port_accepts(broker.ws_port, timeout=2))
        for port in (broker.port, broker.tallier_port, broker.ws_port):
            got = listening_addresses(port)
            self.assertTrue(got, "nothing listens on %d" % port)
            self.assertLessEqual(set(got), LOOPBACK, "port %d listens on %s" % (port, got))

    def test_an_address_of_no_interface_is_refused(self):
        cwd = tempfile.mkdtemp(prefix="mqttvote-bind-")
        self.addCleanup(shutil.rmtree, cwd, True)
        os.chmod(cwd, 0o755)
        env = dict(os.environ, MQTTVOTE_BIND="192.0.2.1", MQTTVOTE_PORT=str(harness.free_port()),
                   MQTTVOTE_TALLIER_PORT=str(harness.free_port()),
                   MQTTVOTE_WS_PORT=str(harness.free_port()))
        r = subprocess.run([broker_sh()], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30)
        self.assertEqual((r.returncode, r.stderr),
                         (1, "broker: MQTTVOTE_BIND '192.0.2.1' is no address of this machine "
                             "(ip addr shows its addresses)\n"))


@unittest.skipUnless(os.geteuid() == 0, "needs root: it runs the broker as root and as nobody")
class BrokerStart(IntegrationCase):

    def setUp(self):
        self.logs = tempfile.mkdtemp(prefix="mqttvote-start-logs-")
        self.addCleanup(shutil.rmtree, self.logs, True)

    def workdir(self, owner=None):
        """A working directory: root's (0755) or owner's (0700)."""
        d = tempfile.mkdtemp(prefix="mqttvote-start-")
        self.addCleanup(shutil.rmtree, d, True)
        if owner is None:
            os.chmod(d, 0o755)
        else:
            pw = pwd.getpwnam(owner)
            os.chown(d, pw.pw_uid, pw.pw_gid)
        return d

    def public_repo(self):
        """A copy of scripts/broker.sh, mosquitto.conf and web/ that any user can
        read (this checkout may be in a directory closed to nobody)."""
        d = tempfile.mkdtemp(prefix="mqttvote-start-repo-")
        self.addCleanup(shutil.rmtree, d, True)
        os.chmod(d, 0o755)
        os.mkdir(os.path.join(d, "scripts"), 0o755)
        shutil.copy(broker_sh(), broker_sh(d))
        shutil.copy(repo_conf(), os.path.join(d, "mosquitto.conf"))
        shutil.copy(os.path.join(os.path.dirname(repo_conf()), "mosquitto.acl"),
                    os.path.join(d, "mosquitto.acl"))
        # the pages its WebSockets listener serves (http_dir), readable by all
        shutil.copytree(os.path.join(os.path.dirname(repo_conf()), "web"), os.path.join(d, "web"))
        for top, dirs, files in os.walk(os.path.join(d, "web")):
            os.chmod(top, 0o755)
            for f in files:
                os.chmod(os.path.join(top, f), 0o644)
        os.chmod(broker_sh(d), 0o755)
        os.chmod(os.path.join(d, "mosquitto.conf"), 0o644)
        os.chmod(os.path.join(d, "mosquitto.acl"), 0o644)
        return d

    def survives_restart(self, cwd, prefix=(), root=None):
        port = harness.free_port()
        broker = StartedBroker(self, cwd, port, prefix, root)
        self.addCleanup(broker.cleanup)
        broker.start()
        poll = self.poll_name()
        topic = "vote/" + poll
        tallier = harness.Tallier(broker.tallier_port, self.client_id(), topics=[topic])
        self.addCleanup(tallier.cleanup)
        tallier.wait_subscribed()
        self.vote_ok(port, poll, "yes", "ann")
        self.assertResult(port, poll, {"yes": 1}, tallier=tallier)
        self.assertEqual(tallier.stop(), 0, tallier.log())
        # 100 ballots queued for the stopped tallier's session
        lines = [ballot_json("v%03d" % i, "yes" if i % 4 else "no") for i in range(100)]
        rc, out, err = harness.pub_lines(port, topic, lines)
        self.assertEqual(rc, 0, err)

        self.assertEqual(broker.stop(), 0, harness._read(broker.out_path))
        broker.start()
        result = harness.get_result(port, poll, timeout=5)
        self.assertIsNotNone(result, "no retained result after a clean restart:\n"
                             + harness._read(broker.out_path))
        self.assertEqual((result["counts"], result["total"]), ({"yes": 1}, 1))
        tallier.start()
        tallier.wait_subscribed(count=2)
        self.assertResult(port, poll, {"yes": 76, "no": 25}, tallier=tallier, timeout=15)
        self.assertEqual(tallier.stop(), 0, tallier.log())
        log = harness._read(broker.out_path)
        self.assertNotIn("Permission denied", log)
        self.assertNotIn("Error", log)
        return broker

    def test_as_root_from_a_root_owned_directory(self):
        cwd = self.workdir()
        self.survives_restart(cwd)
        state = os.stat(os.path.join(cwd, "broker-state", "mosquitto.db"))
        self.assertEqual(pwd.getpwuid(state.st_uid).pw_name,
                         harness.broker_user().pw_name)

    def test_as_an_ordinary_user(self):
        cwd = self.workdir(owner="nobody")
        self.survives_restart(cwd, prefix=as_nobody(), root=self.public_repo())
        state = os.stat(os.path.join(cwd, "broker-state", "mosquitto.db"))
        self.assertEqual(pwd.getpwuid(state.st_uid).pw_name, "nobody")

    def test_an_ordinary_user_in_a_directory_it_cannot_write_is_told(self):
        cwd = self.workdir()  # root's
        env = dict(os.environ, MQTTVOTE_PORT=str(harness.free_port()),
                   MQTTVOTE_TALLIER_PORT=str(harness.free_port()),
                   MQTTVOTE_WS_PORT=str(harness.free_port()))
        p = subprocess.run(as_nobody() + [broker_sh(self.public_repo())], cwd=cwd, env=env,
                           capture_output=True, text=True, timeout=15)
        self.assertEqual((p.returncode, p.stdout, p.stderr),
                         (1, "", "broker: cannot create %s/broker-state: start it from a "
                          "directory you can write, or set MQTTVOTE_BROKER_DIR\n" % cwd))

    def test_a_second_broker_on_the_same_state_is_refused(self):
        cwd = self.workdir()
        broker = StartedBroker(self, cwd, harness.free_port())
        self.addCleanup(broker.cleanup)
        broker.start()
        env = dict(os.environ, MQTTVOTE_PORT=str(harness.free_port()),
                   MQTTVOTE_TALLIER_PORT=str(harness.free_port()),
                   MQTTVOTE_WS_PORT=str(harness.free_port()))
        p = subprocess.run([broker_sh()], cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=15)
        self.assertEqual((p.returncode, p.stdout, p.stderr),
                         (1, "", "broker: a broker already runs with its state in "
                          "%s/broker-state (pid %d): stop it, or set MQTTVOTE_BROKER_DIR\n"
                          % (cwd, broker.mosquitto_pid)))
        self.assertEqual(broker.stop(), 0)

    def test_mosquitto_conf_alone_as_root_stops_when_it_cannot_write(self):
        # `mosquitto -c mosquitto.conf` (only the port changed), as root, in a
        # directory that the user "mosquitto" cannot write: it must stop at
        # start, not run and lose its state at every save.
        cwd = self.workdir()
        port = harness.free_port()
        conf = os.path.join(cwd, "mosquitto.conf")
        with open(repo_conf()) as f:
            text = f.read()
        self.assertIn("\nlistener 1883\n", text)
        self.assertIn("\nlistener 1884 127.0.0.1\n", text)
        with open(conf, "w") as f:
            f.write(text.replace("\nlistener 1883\n", "\nlistener %d\n" % port).replace(
                "\nlistener 1884 127.0.0.1\n", "\nlistener %d 127.0.0.1\n" % harness.free_port()).replace(
                "\nlistener 9001\n", "\nlistener %d\n" % harness.free_port()))
        p = subprocess.Popen([harness.mosquitto_path(), "-c", conf], cwd=cwd,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             preexec_fn=harness._die_with_parent)
        try:
            out, _ = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            self.fail("mosquitto -c mosquitto.conf ran as root in a directory it cannot write")
        self.assertEqual(p.returncode, 1)
        self.assertTrue(out.decode().endswith(": Error: Unable to write pid file.\n"), out)
        self.assertFalse(harness.port_accepts(port))


class PortTaken(IntegrationCase):
    """A broker already listening on the port: the start refuses, as the
    demo runs it (scripts/demo.sh) and as the README's quick start does."""

    def setUp(self):
        self.holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(self.holder.close)
        self.holder.bind((HOST, 0))
        self.holder.listen(1)
        self.port = self.holder.getsockname()[1]
        self.state = tempfile.mkdtemp(prefix="mqttvote-busy-")
        os.chmod(self.state, 0o755)
        self.addCleanup(shutil.rmtree, self.state, True)

    def run_broker_sh(self, args, **env):
        env = dict(os.environ, MQTTVOTE_PORT=str(self.port),
                   MQTTVOTE_TALLIER_PORT=str(harness.free_port()),
                   MQTTVOTE_WS_PORT=str(harness.free_port()), **env)
        t0 = time.monotonic()
        p = subprocess.run([broker_sh()] + args, cwd=self.state, env=env, capture_output=True,
                           text=True, timeout=20)
        return p, time.monotonic() - t0

    def assertRefused(self, p, elapsed, state_dir):
        self.assertEqual((p.returncode, p.stdout, p.stderr), (1, "", BUSY % self.port))
        self.assertLess(elapsed, 9, "detected by mosquitto's exit, not by a timeout")
        # no mosquitto left behind, and the holder still has its port
        self.assertFalse(os.path.exists(os.path.join(state_dir, "mosquitto.pid")))
        self.assertTrue(harness.port_accepts(self.port))

    def test_the_demo_broker_step_refuses(self):
        state_dir = os.path.join(self.state, "broker")
        p, elapsed = self.run_broker_sh(["--background"], MQTTVOTE_BIND=HOST,
                                        MQTTVOTE_BROKER_DIR=state_dir)
        self.assertRefused(p, elapsed, state_dir)

    def test_the_quick_start_refuses(self):
        p, elapsed = self.run_broker_sh([])
        self.assertRefused(p, elapsed, os.path.join(self.state, "broker-state"))

    def test_the_tallier_port_taken_is_the_one_named(self):
        # Before: "mosquitto cannot listen on port <the public port>: ...
        # choose another port with MQTTVOTE_PORT", a port that was free.
        public = harness.free_port()
        env = dict(os.environ, MQTTVOTE_PORT=str(public), MQTTVOTE_TALLIER_PORT=str(self.port),
                   MQTTVOTE_WS_PORT=str(harness.free_port()))
        p = subprocess.run([broker_sh()], cwd=self.state, env=env, capture_output=True, text=True,
                           timeout=20)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (1, "", TALLIER_BUSY % self.port))
        self.assertFalse(os.path.exists(os.path.join(self.state, "broker-state", "mosquitto.pid")))
        self.assertFalse(harness.port_accepts(public))


if __name__ == "__main__":
    unittest.main()
