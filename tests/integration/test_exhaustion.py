"""Exhausting the broker and the tallier (issue 19, items 9 and 10), with
the repository's mosquitto.conf (only the ports and the state directory
changed) and the real binaries:

- a message far larger than any ballot (20 MB) on vote/<poll>, queued or
  retained, is refused by the broker as soon as its length is read: the
  client is disconnected, nothing is kept (a later subscriber of the
  tallier's listener gets nothing), the broker's memory does not grow by
  it, and honest ballots around it count exactly;
- the tallier's MQTT 5 CONNECT carries a Maximum Packet Size, so that even a
  broker with no limit of its own never sends it such a message: it never
  reads it (its memory does not jump) and the broker says it dropped it;
  a 5,000-byte ballot still reaches it and is refused with its reason;
- 1,100 idle sockets on the public MQTT port and 1,100 on the WebSockets
  port (more than the usual soft ulimit -n of 1024, under which
  scripts/broker.sh is started) fill the public listener only: the
  organiser's pollctl on the loopback listener still works, a voter on the
  public port is refused while they are held, and votes again once they
  are closed; broker.sh refuses to start where the listeners' maxima do
  not fit in the file descriptors.

Each test says what the code before this change did instead."""

import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import harness
from harness import HOST, IntegrationCase, ballot_json

BIG = 20 * 1024 * 1024


def vm_kib(pid, field):
    """VmRSS or VmHWM of process pid, in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError("no %s for pid %d" % (field, pid))


def conf_value(name, after):
    """The value of the first `name` line after the line `after` in the
    repository's mosquitto.conf."""
    text = harness._read(os.path.join(os.environ["MQTTVOTE_SOURCE_DIR"], "mosquitto.conf"))
    rest = text.split("\n" + after + "\n", 1)[1]
    return int(re.search(r"^%s (\d+)$" % name, rest, re.M).group(1))


def remaining_length(n):
    out = bytearray()
    while True:
        b, n = n % 128, n // 128
        out.append(b | (128 if n else 0))
        if not n:
            return bytes(out)


def mqtt_string(b):
    return len(b).to_bytes(2, "big") + b


def raw_publish(port, topic, payload, version, retain):
    """A client that sends a QoS 1 PUBLISH of payload whatever the broker
    said in its CONNACK (mosquitto_pub, given a Maximum Packet Size there,
    refuses to send at all and still exits 0). Returns what the broker
    answered to it: "puback", "disconnect 0x.." (MQTT 5), or "closed"."""
    five = version == 5
    var = mqtt_string(b"MQTT") + bytes([5 if five else 4, 0x02]) + (60).to_bytes(2, "big")
    if five:
        var += b"\x00"  # no properties
    body = var + mqtt_string(b"raw-" + os.urandom(4).hex().encode())
    with socket.create_connection((HOST, port), timeout=30) as s:
        s.sendall(b"\x10" + remaining_length(len(body)) + body)
        connack = s.recv(64)
        if not connack.startswith(b"\x20"):
            raise AssertionError("no CONNACK: %r" % connack)
        var = mqtt_string(topic.encode()) + (1).to_bytes(2, "big") + (b"\x00" if five else b"")
        head = bytes([0x32 | (1 if retain else 0)]) + remaining_length(len(var) + len(payload)) + var
        try:
            s.sendall(head + payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            reply = s.recv(64)
        except ConnectionResetError:
            reply = b""
    if reply.startswith(b"\x40"):
        return "puback"
    if reply.startswith(b"\xe0") and len(reply) >= 3:
        return "disconnect 0x%02x" % reply[2]
    return "closed" if not reply else "other %r" % reply[:8]


def mqtt_connects(port):
    """True when the broker answers an MQTT 3.1.1 CONNECT with a CONNACK."""
    body = mqtt_string(b"MQTT") + bytes([4, 0x02]) + (60).to_bytes(2, "big") + mqtt_string(b"")
    try:
        with socket.create_connection((HOST, port), timeout=5) as s:
            s.sendall(b"\x10" + remaining_length(len(body)) + body)
            return s.recv(4).startswith(b"\x20")
    except OSError:
        return False


class BigMessages(IntegrationCase):

    def big_file(self, size=BIG):
        fd, path = tempfile.mkstemp(prefix="mqttvote-big-")
        self.addCleanup(os.unlink, path)
        with os.fdopen(fd, "wb") as f:
            f.write(self.big_file_text(size).encode())
        return path

    def test_the_shipped_broker_refuses_a_20_mb_ballot_queued_or_retained(self):
        # Before: both were accepted (mosquitto_pub exit 0), the retained one
        # was kept and delivered to every later subscriber of vote/<poll>,
        # and the broker's peak memory grew by tens of MB.
        broker = self.private_broker(repo_conf=True)
        poll = self.poll_name()
        topic = "vote/" + poll
        tallier = self.start_tallier(broker, topics=[topic])
        self.vote_ok(broker.port, poll, "yes", voter="ann")
        self.assertResult(broker.port, poll, {"yes": 1}, tallier=tallier)
        hwm = vm_kib(broker.pid, "VmHWM")
        payload = self.big_file_text(BIG).encode()
        for version, retain in ((5, False), (5, True), (4, True)):
            got = raw_publish(broker.port, topic, payload, version, retain)
            self.assertEqual(got, "disconnect 0x95" if version == 5 else "closed",
                             "MQTT %s, retain %s" % (version, retain))
        self.assertLess(vm_kib(broker.pid, "VmHWM") - hwm, 8 * 1024, "the broker's peak memory grew")
        # nothing retained: a subscriber of the tallier's listener (every
        # right, ballots included) gets nothing on vote/<poll>
        rc, out, err = harness.run([harness.mosquitto_sub_path(), "-h", HOST, "-p", str(broker.tallier_port),
                                    "-t", topic, "-C", "1", "-W", "2", "-F", "%l"], timeout=15)
        self.assertEqual(out, "", "a retained message is kept on %s" % topic)
        self.assertFalse(re.search(r"payload too large", tallier.log()), tallier.log())
        # honest ballots still count, exactly
        self.vote_ok(broker.port, poll, "no", voter="bob")
        self.assertResult(broker.port, poll, {"yes": 1, "no": 1}, rejected=0, tallier=tallier)
        self.assertEqual(tallier.stop(), 0)

    def test_the_tallier_is_never_sent_what_it_would_refuse_even_by_a_broker_without_a_limit(self):
        # Before: the broker (no max_packet_size here) delivered the 20 MB
        # ballot; the tallier read all of it (its peak memory grew by about
        # 48 MB) and then rejected it: "payload too large (20971520 bytes,
        # at most 4096)", rejected=1.
        broker = self.private_broker()
        poll = self.poll_name()
        topic = "vote/" + poll
        client_id = self.client_id()
        tallier = self.start_tallier(broker, topics=[topic], client_id=client_id)
        self.vote_ok(broker.port, poll, "yes", voter="ann")
        self.assertResult(broker.port, poll, {"yes": 1}, tallier=tallier)
        hwm = vm_kib(tallier.proc.pid, "VmHWM")
        harness.pub(broker.port, topic, file=self.big_file())
        self.assertTrue(harness.wait_for(
            lambda: re.search(r"Dropping too large outgoing PUBLISH for %s \(\d+ bytes\)" % re.escape(client_id),
                              broker.log()), 10), broker.log())
        # a ballot over 4096 bytes but far under the limit still reaches it,
        # refused with its reason, as before
        harness.pub(broker.port, topic, self.big_file_text(5000))
        tallier.wait_for_log(r"^tallier: rejected ballot on %s: payload too large \(5000 bytes, at most 4096\)$"
                             % re.escape(topic))
        self.vote_ok(broker.port, poll, "no", voter="bob")
        self.assertResult(broker.port, poll, {"yes": 1, "no": 1}, rejected=1, tallier=tallier)
        self.assertNotIn("20971520", tallier.log())
        self.assertLess(vm_kib(tallier.proc.pid, "VmHWM") - hwm, 8 * 1024, "the tallier's peak memory grew")
        self.assertEqual(tallier.stop(), 0)

    def test_a_list_too_large_for_the_broker_is_an_error(self):
        # Without the tallier's bound, the broker (max_packet_size 262144)
        # disconnected the tallier at its answer to `list`, and again at
        # each reconnection (Paho sends it again): pollctl got no answer.
        broker = self.private_broker(repo_conf=True)
        poll = "big-" + self.RUN_TOKEN
        tallier = self.start_tallier(broker, topics=["vote/+"])
        choices = ",".join(("%02d" % k) + "c" * 62 for k in range(32))
        base = ["-h", HOST, "-p", str(broker.tallier_port)]
        for k in range(100):  # about 2,835 bytes of information each: 283,500 in all
            rc, out, err = harness.run([harness.pollctl_path()] + base + [
                "open", "%s-%03d" % (poll, k), "--question", "q" * 500, "--choices", choices], timeout=30)
            self.assertEqual(rc, 0, err)
        rc, out, err = harness.run([harness.pollctl_path()] + base + ["list"], timeout=30)
        self.assertEqual((rc, out), (3, ""), err)
        self.assertRegex(err, r"^pollctl: refused by the tallier: the answer is \d{6} bytes, more than a broker takes "
                              r"\(at most 200000\): ask for each poll with show\n$")
        rc, out, err = harness.run([harness.pollctl_path()] + base + ["show", poll + "-099"], timeout=30)
        self.assertEqual(rc, 0, err)
        self.assertNotIn("lost", tallier.log())
        self.vote_ok(broker.port, poll + "-000", "00" + "c" * 62, voter="ann")
        self.assertResult(broker.port, poll + "-000", {"%02d" % k + "c" * 62: int(k == 0) for k in range(32)},
                          tallier=tallier)

    @staticmethod
    def big_file_text(size):
        return '{"voter":"mallory","choice":"' + "x" * (size - 31) + '"}'


class IdleSockets(IntegrationCase):
    """scripts/broker.sh as the README starts it, with the usual soft file
    descriptor limit of 1024 (and the hard limit of this machine, at most
    65536)."""

    def setUp(self):
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        self.hard = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
        if self.hard < 4096:
            self.skipTest("the hard limit of file descriptors is %d here: broker.sh cannot raise it" % hard)

    def start_broker(self, nofile=None, expect=0):
        self.cwd = cwd = tempfile.mkdtemp(prefix="mqttvote-idle-")
        os.chmod(cwd, 0o755)
        self.addCleanup(shutil.rmtree, cwd, True)
        self.port, self.tport, self.wsport = harness.free_port(), harness.free_port(), harness.free_port()
        env = dict(os.environ, MQTTVOTE_PORT=str(self.port), MQTTVOTE_TALLIER_PORT=str(self.tport),
                   MQTTVOTE_WS_PORT=str(self.wsport), MQTTVOTE_BIND=HOST)

        def limits():
            harness._die_with_parent()
            resource.setrlimit(resource.RLIMIT_NOFILE, nofile or (1024, self.hard))
        p = subprocess.run([os.path.join(os.environ["MQTTVOTE_SOURCE_DIR"], "scripts", "broker.sh"),
                            "--background"], cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=30, preexec_fn=limits)
        pidfile = os.path.join(cwd, "broker-state", "mosquitto.pid")
        pid = harness._read(pidfile).strip()
        if pid.isdigit():
            self.addCleanup(self.stop_broker, int(pid))
        if expect:
            self.assertEqual(p.returncode, expect, p.stdout)
            return p.stderr
        self.assertEqual(p.returncode, 0, p.stderr)
        self.pid = int(pid)
        return p.stdout

    def hold(self, port, count):
        """count sockets connected to port that send nothing; closed at the
        end of the test or by the caller (the list)."""
        held = []
        self.addCleanup(lambda: [s.close() for s in held])
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(s)
            s.settimeout(5)
            try:
                s.connect((HOST, port))
            except OSError:
                pass
        return held

    def stop_broker(self, pid):
        if harness._pid_alive(pid) and b"mosquitto" in b" ".join(harness._pid_cmdline(pid)):
            os.kill(pid, signal.SIGTERM)
            harness.wait_for(lambda: not harness._pid_alive(pid), 10)

    def pollctl(self, *args):
        return harness.run([harness.pollctl_path(), "-h", HOST, "-p", str(self.tport)] + list(args),
                           timeout=30)

    def test_idle_sockets_on_the_public_ports_leave_the_organisers_listener_reachable(self):
        # Before: no max_connections; the broker took the idle sockets until
        # it had no file descriptor left, and then the organiser's listener
        # accepted nothing either: pollctl exit 1.
        started = self.start_broker()
        poll = self.poll_name()
        tallier = harness.Tallier(self.tport, self.client_id(), topics=["vote/" + poll])
        self.addCleanup(tallier.cleanup)
        tallier.wait_subscribed()
        rc, out, err = self.pollctl("open", poll, "--question", "Lunch?", "--choices", "yes,no")
        self.assertEqual(rc, 0, err)
        self.vote_ok(self.port, poll, "yes", voter="ann")
        # 1,100 idle sockets on the public port, and as many on the
        # browsers' port (which no max_connections bounds before the HTTP
        # upgrade): 2,200, more than 1024
        held = self.hold(self.port, 1100) + self.hold(self.wsport, 1100)
        # the organiser's listener is reachable: its commands are answered
        rc, out, err = self.pollctl("show", poll)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"yes\s+1\b")
        # the public listener is full: the broker took its maximum and
        # closes the others at once, and a voter is refused (Paho gives no
        # reason for a connection closed before its CONNACK)
        self.assertEqual(conf_value("max_connections", "listener 1883"), 400)
        log = os.path.join(self.cwd, "broker-state", "mosquitto.log")
        self.assertTrue(harness.wait_for(lambda: "denied: max_connections exceeded." in harness._read(log), 15),
                        harness._tail(harness._read(log)))
        rc, out, err = harness.vote(self.port, poll, "no", voter="bob", extra=["--timeout", "3"])
        self.assertEqual((rc, out, err), (1, "", "voter: cannot connect to %s:%d: failure\n" % (HOST, self.port)))
        for s in held:
            s.close()
        held.clear()
        # once they are gone (and the broker has seen them go), voters are
        # served again, and nothing was lost
        self.assertTrue(harness.wait_for(lambda: mqtt_connects(self.port), 15))
        rc, out, err = harness.vote(self.port, poll, "no", voter="bob", extra=["--confirm", "--timeout", "10"])
        self.assertEqual(rc, 0, (out, err))
        rc, out, err = self.pollctl("show", poll)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"yes\s+1\b")
        self.assertRegex(out, r"no\s+1\b")
        self.assertEqual(tallier.stop(), 0)
        # broker.sh said what the listeners may take, within its descriptors
        self.assertIn("broker: at most 900 connections on its 3 listener(s) (max_connections), "
                      "file descriptor limit %d\n" % self.hard, started)

    def test_a_file_descriptor_limit_too_low_for_the_listeners_is_refused(self):
        # Before: started, and 1,100 idle sockets locked out every listener.
        err = self.start_broker(nofile=(800, 800), expect=1)
        self.assertEqual(err, "broker: the listeners take up to 900 connections (max_connections in %s), "
                              "which need 964 file descriptors, but ulimit -n is 800 (hard limit 800): raise "
                              "the hard limit (LimitNOFILE= of a systemd unit, nofile in "
                              "/etc/security/limits.conf) or lower max_connections\n"
                         % os.path.join(self.cwd, "broker-state", "mosquitto.conf"))
        self.assertFalse(harness.port_accepts(self.port))


if __name__ == "__main__":
    unittest.main()
