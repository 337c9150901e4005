"""voter's MQTT exchange on Eclipse Paho C: the connect wrapper
(voter/connwrap.c) engaged and disabled, the broker's refusals (a
publication denied by an ACL: MQTT 5 PUBACK 0x87; a connection refused),
the MQTT 5 "no matching subscribers" warning, and the environment Paho
would read (http_proxy). Real mosquitto brokers, the real voter."""

import json
import os
import re
import signal
import subprocess
import tempfile
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


if __name__ == "__main__":
    import unittest
    unittest.main()
