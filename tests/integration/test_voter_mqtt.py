"""voter's MQTT exchange on Eclipse Paho C: the connect wrapper
(mqtt/connwrap.c) engaged and disabled, the broker's refusals (a
publication denied by an ACL: MQTT 5 PUBACK 0x87; a connection refused),
the MQTT 5 "no matching subscribers" warning, the environment Paho
would read (http_proxy), and a ballot sent whose answer never comes (the
connection lost, the acknowledgement held back by a relay between the
voter and the broker): exit 1, "may not have been delivered", while the
broker has it. Real mosquitto brokers, the real voter and tallier."""

import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

import harness
from harness import HOST, IntegrationCase

ENGAGED = "voter: connect wrapper engaged: the TCP connection was up before Paho waited for it"
NOT_ENGAGED = "voter: connect wrapper not engaged: Paho waited for the TCP connection itself"
ACCEPTED_RE = r"^voter: 'yes' on %s accepted by 127\.0\.0\.1:%d \(ballot (?P<id>[0-9a-f]{32})\)$"


def run_voter_env(args, env=None, timeout=30):
    """voter ARGS with extra environment variables -> (rc, stdout, stderr)."""
    full = dict(os.environ)
    full.update(env or {})
    p = subprocess.run([harness.voter_path()] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       cwd=tempfile.gettempdir(), env=full)
    return (p.returncode, p.stdout.decode("utf-8", "backslashreplace"),
            p.stderr.decode("utf-8", "backslashreplace"))


PUBLISH, PUBACK = 3, 4


class CuttingRelay:
    """A TCP relay on a free loopback port between one voter and a real
    broker. It reads whole MQTT packets each way (the fixed header gives
    their length) and forwards them, until the packet of type TYPE going
    DIRECTION ("up": voter to broker; "down": broker to voter), where it
    does ACTION: "close-after" forwards that packet, then closes the
    voter's side (the broker's side stays open until close(), so the
    broker takes the packets it got as from any client); "hold" forwards
    nothing more to the voter from that packet on (the voter's side stays
    open). Every packet type it saw is in .seen ("up 3", "down 4")."""

    def __init__(self, broker_port, direction, ptype, action):
        self.rule = (direction, ptype)
        self.action = action
        self.seen = []
        self.cut = threading.Event()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind((HOST, 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.broker_port = broker_port
        self.voter = self.broker = None
        self.threads = [threading.Thread(target=self._run, daemon=True)]
        self.threads[0].start()

    def _run(self):
        self.voter, _ = self.listener.accept()
        self.broker = socket.create_connection((HOST, self.broker_port))
        down = threading.Thread(target=self._pump, args=(self.broker, self.voter, "down"), daemon=True)
        self.threads.append(down)
        down.start()
        self._pump(self.voter, self.broker, "up")

    @staticmethod
    def _packet(buf):
        """The length of the first whole packet in buf, or 0."""
        length, mult, i = 0, 1, 1
        while i < len(buf) and i <= 4:
            length += (buf[i] & 0x7F) * mult
            if buf[i] & 0x80 == 0:
                return 1 + i + length if len(buf) >= 1 + i + length else 0
            mult *= 128
            i += 1
        return 0

    def _pump(self, src, dst, direction):
        buf = b""
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                break
            if not data:
                break
            buf += data
            while True:
                n = self._packet(buf)
                if n == 0:
                    break
                packet, buf = buf[:n], buf[n:]
                ptype = packet[0] >> 4
                self.seen.append("%s %d" % (direction, ptype))
                hit = (direction, ptype) == self.rule and not self.cut.is_set()
                if hit:
                    self.cut.set()  # before it goes on: nothing it causes reaches the voter
                if direction == "up" or not self.cut.is_set() or (hit and self.action == "close-after"):
                    try:
                        dst.sendall(packet)
                    except OSError:
                        pass
                if hit and self.action == "close-after":
                    self.voter.shutdown(socket.SHUT_RDWR)
        if direction == "up" and not self.cut.is_set():
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self):
        for s in (self.voter, self.broker, self.listener):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
        for t in self.threads:
            t.join(5)


WRAPPER_OFF = {"MQTTVOTE_NO_CONNWRAP": "1"}


class ConfBroker(harness.Broker):
    """A private broker whose configuration gets EXTRA lines (and, when ACL
    is set, an acl_file with those lines) after the harness's own."""
    EXTRA = ()
    ACL = None

    def _write_conf(self):
        super()._write_conf()
        lines = list(self.EXTRA)
        if self.ACL is not None:
            acl = os.path.join(self.state_dir, "acl")
            with open(acl, "w") as f:
                f.write("".join(line + "\n" for line in self.ACL))
            lines.append("acl_file %s" % acl)
        with open(self.conf_path, "a") as f:
            f.write("".join(line + "\n" for line in lines))


class VoterMqttCase(IntegrationCase):

    def conf_broker(self, extra=(), acl=None):
        cls = type("Broker", (ConfBroker,), {"EXTRA": tuple(extra), "ACL": acl})
        b = cls.private()
        self.addCleanup(b.cleanup)
        return b

    def voter_args(self, port, poll, *extra, voter="v"):
        return ["-h", HOST, "-p", str(port), "-t", "vote/" + poll, "-m", "yes",
                "--voter", voter] + list(extra)


class ConnectWrapper(VoterMqttCase):
    """The wrapper engaged (the default) and disabled (MQTTVOTE_NO_CONNWRAP,
    the path Paho takes when it cannot engage): the same ballots delivered
    and the same answers, only the -d line that says which differs."""

    def test_delivers_both_ways(self):
        broker = self.shared_broker()
        poll = self.poll_name()
        cap = harness.Capture(broker.port, "vote/" + poll)
        self.addCleanup(cap.close)
        sent = []
        for version in ("mqttv5", "mqttv311"):
            for env, line in ((None, ENGAGED), (WRAPPER_OFF, NOT_ENGAGED)):
                with self.subTest(version=version, wrapper=line):
                    rc, out, err = run_voter_env(
                        self.voter_args(broker.port, poll, "-d", "-V", version), env)
                    self.assertEqual(rc, 0, "stdout=%r stderr=%r" % (out, err))
                    self.assertIn(line, err.splitlines())
                    self.assertTrue(all(l.startswith("voter: ") for l in err.splitlines()), err)
                    m = re.match(ACCEPTED_RE % (re.escape(poll), broker.port), out)
                    self.assertTrue(m, out)
                    sent.append(m.group("id"))
        got = [json.loads(m)["id"] for m in cap.fetch(len(sent), wait=5)]
        self.assertEqual(sorted(got), sorted(sent))

    def test_confirm_both_ways(self):
        broker = self.shared_broker()
        poll = self.poll_name()
        self.start_tallier(broker, topics=["vote/" + poll])
        for n, (version, env) in enumerate((("5", None), ("5", WRAPPER_OFF), ("311", None),
                                            ("311", WRAPPER_OFF))):
            with self.subTest(version=version, env=env):
                rc, out, err = run_voter_env(
                    self.voter_args(broker.port, poll, "--confirm", "-V", version, voter="c%d" % n), env)
                self.assertEqual(rc, 0, "stdout=%r stderr=%r" % (out, err))
                self.assertRegex(out, r"^voter: 'yes' on %s counted by the tallier \(yes %d; ballot "
                                      r"[0-9a-f]{32}\)\n$" % (re.escape(poll), n + 1))
                self.assertEqual(err, "")

    def test_connection_refused_both_ways(self):
        port = self.closed_port()
        for env in (None, WRAPPER_OFF):
            with self.subTest(env=env):
                rc, out, err = run_voter_env(self.voter_args(port, "refused"), env)
                self.assertEqual((rc, out, err),
                                 (1, "", "voter: cannot connect to 127.0.0.1:%d: connection refused\n" % port))

    def test_timeout_bounds_the_connect_both_ways(self):
        # A real broker stopped with SIGSTOP: TCP connects, no CONNACK comes.
        broker = self.private_broker()
        broker.proc.send_signal(signal.SIGSTOP)
        self.addCleanup(lambda: broker.proc and broker.proc.poll() is None
                        and broker.proc.send_signal(signal.SIGCONT))
        # engaged: the wrapper sees TCP up and ends Paho's wait at the
        # deadline; disabled: Paho's own connect timeout, whole seconds
        for env, message, bound in (
                (None, "voter: timed out after 1.5 s waiting for the broker's answer to CONNECT\n", 1.5),
                (WRAPPER_OFF, "voter: timed out after 1.5 s waiting for a connection to 127.0.0.1:%d\n"
                 % broker.port, 2.0)):
            with self.subTest(env=env):
                start = time.monotonic()
                rc, out, err = run_voter_env(self.voter_args(broker.port, "frozen", "--timeout", "1.5"), env)
                elapsed = time.monotonic() - start
                self.assertEqual((rc, out, err), (1, "", message))
                self.assertGreater(elapsed, 1.4, "gave up after %.2f s, before --timeout 1.5" % elapsed)
                self.assertLess(elapsed, bound + 2, "--timeout 1.5 took %.1f s" % elapsed)


class BrokerAnswers(VoterMqttCase):
    """What the broker says reaches the voter, in words."""

    ACL = ["topic read vote/#", "topic readwrite vote/+/receipt/#"]  # anonymous: no publishing ballots

    def test_publish_denied_mqtt5(self):
        # mosquitto answers a denied QoS 1 (2) publication with PUBACK
        # (PUBREC) reason 0x87 in MQTT 5
        broker = self.conf_broker(acl=self.ACL)
        for extra in ((), ("-q", "2"), ("--confirm", "--timeout", "5")):
            with self.subTest(extra=extra):
                rc, out, err = harness.run_voter(self.voter_args(broker.port, "denied", *extra))
                self.assertEqual((rc, out, err),
                                 (1, "", "voter: ballot refused by the broker: not authorized\n"))

    def test_publish_denied_mqtt311_is_not_known(self):
        # MQTT 3.1.1 has no way to say it: mosquitto acknowledges and drops
        broker = self.conf_broker(acl=self.ACL)
        rc, out, err = harness.run_voter(self.voter_args(broker.port, "denied311", "-V", "311"))
        self.assertEqual((rc, err), (0, ""), out)
        self.assertRegex(out, ACCEPTED_RE % ("denied311", broker.port))

    def test_connection_refused_by_the_broker(self):
        broker = self.conf_broker(extra=["allow_anonymous false"])
        for version in ("5", "311"):
            with self.subTest(version=version):
                rc, out, err = harness.run_voter(self.voter_args(broker.port, "closed", "-V", version))
                self.assertEqual((rc, out, err),
                                 (1, "", "voter: connection to 127.0.0.1:%d refused by the broker: "
                                         "not authorized\n" % broker.port))

    def test_no_matching_subscribers(self):
        broker = self.shared_broker()
        poll = self.poll_name()  # nobody subscribes to it
        rc, out, err = harness.run_voter(self.voter_args(broker.port, poll))
        self.assertEqual((rc, err), (0, "voter: warning: the broker has no subscribers for vote/%s "
                                        "(is a tallier running?)\n" % poll), out)
        self.assertRegex(out, ACCEPTED_RE % (re.escape(poll), broker.port))
        # MQTT 3.1.1 cannot tell: no warning
        rc, out, err = harness.run_voter(self.voter_args(broker.port, poll, "-V", "311"))
        self.assertEqual((rc, err), (0, ""), out)


class Environment(VoterMqttCase):

    def test_http_proxy_not_used(self):
        # Paho would send the connection through an HTTP proxy named in
        # http_proxy; the voter, like mosquitto_pub, connects directly
        broker = self.shared_broker()
        closed = self.closed_port()
        proxy = "http://127.0.0.1:%d" % closed
        rc, out, err = run_voter_env(self.voter_args(broker.port, self.poll_name(), "-V", "311"),
                                     {"http_proxy": proxy, "https_proxy": proxy})
        self.assertEqual((rc, err), (0, ""), out)


class SentThenNoAnswer(VoterMqttCase):
    """The ballot went out, then no answer came: the broker (and the
    tallier) may have it, so the voter says "may not have been delivered"
    (exit 1), never "not delivered". Here the broker does have it: the
    tallier counts it."""

    def relay(self, broker, direction, ptype, action):
        r = CuttingRelay(broker.port, direction, ptype, action)
        self.addCleanup(r.close)
        return r

    def setUp(self):
        self.broker = self.shared_broker()
        self.poll = self.poll_name()
        self.tallier = self.start_tallier(self.broker, topics=["vote/" + self.poll])

    def test_connection_lost_after_publish(self):
        r = self.relay(self.broker, "up", PUBLISH, "close-after")
        rc, out, err = harness.run_voter(self.voter_args(r.port, self.poll, voter="ann"))
        self.assertEqual((rc, out, err),
                         (1, "", "voter: ballot may not have been delivered: connection to 127.0.0.1:%d "
                                 "lost before the broker acknowledged the ballot\n" % r.port), r.seen)
        self.assertResult(self.broker.port, self.poll, {"yes": 1}, tallier=self.tallier)

    def test_acknowledgement_held_back_until_the_timeout(self):
        r = self.relay(self.broker, "down", PUBACK, "hold")
        start = time.monotonic()
        rc, out, err = harness.run_voter(self.voter_args(r.port, self.poll, "--timeout", "1.5", voter="ann"))
        elapsed = time.monotonic() - start
        self.assertEqual((rc, out, err),
                         (1, "", "voter: ballot may not have been delivered: timed out after 1.5 s "
                                 "waiting for the broker's acknowledgement\n"), r.seen)
        self.assertLess(elapsed, 1.5 + 2, "--timeout 1.5 took %.1f s" % elapsed)
        self.assertIn("down %d" % PUBACK, r.seen)
        self.assertResult(self.broker.port, self.poll, {"yes": 1}, tallier=self.tallier)

    def test_confirm_connection_lost_after_the_acknowledgement(self):
        r = self.relay(self.broker, "down", PUBACK, "close-after")
        rc, out, err = harness.run_voter(self.voter_args(r.port, self.poll, "--confirm", voter="ann"))
        self.assertEqual((rc, out, err),
                         (1, "", "voter: ballot may not have been delivered: connection to 127.0.0.1:%d "
                                 "lost while waiting for the tallier's receipt (the broker had accepted "
                                 "the ballot)\n" % r.port), r.seen)
        self.assertResult(self.broker.port, self.poll, {"yes": 1}, tallier=self.tallier)


if __name__ == "__main__":
    import unittest
    unittest.main()
