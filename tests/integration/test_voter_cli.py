"""voter's command line: usage errors (exit 2), --help/--version, failures to
deliver (exit 1: "not delivered", or "may not have been delivered" once the
ballot was sent), the ballot it publishes, and the options that change how
it publishes. Runs on the shared broker (or a private one where noted)."""

import getpass
import json
import re
import signal
import socket
import time
import unittest

import harness
from harness import HOST, IntegrationCase, run_voter

USE_HELP = "Use 'voter --help' to see usage."


class VoterUsageErrors(IntegrationCase):
    """Each usage error: exit 2, 'voter: <message>' then the --help hint,
    both on stderr. The port given is a closed one, so a usage error that
    slipped through would fail to connect (exit 1), not publish."""

    @classmethod
    def setUpClass(cls):
        cls.closed = harness.ClosedPort()
        cls.port = str(cls.closed.port)

    @classmethod
    def tearDownClass(cls):
        cls.closed.close()

    def assertUsageError(self, args, message):
        rc, out, err = run_voter(args, timeout=20)
        self.assertEqual(
            (rc, err.splitlines()), (2, ["voter: " + message, USE_HELP]),
            "voter %r: stdout=%r" % (args, out))

    def base(self, *extra, topic="vote/cli", message="yes"):
        a = ["-h", HOST, "-p", self.port]
        if topic is not None:
            a += ["-t", topic]
        if message is not None:
            a += ["-m", message]
        return a + list(extra)

    def test_missing_topic(self):
        self.assertUsageError(self.base(topic=None), "missing option -t/--topic")

    def test_missing_message(self):
        self.assertUsageError(self.base(message=None), "missing option -m/--message")

    def test_unknown_option(self):
        self.assertUsageError(self.base("--bogus"), "unknown option '--bogus'")

    def test_option_needs_value(self):
        self.assertUsageError(["-h", HOST, "-t", "vote/cli", "-m", "yes", "-p"],
                              "option '-p' needs a value")

    def test_invalid_port(self):
        for port in ("abc", "0", "65536", "-1", "12x"):
            with self.subTest(port=port):
                self.assertUsageError(["-h", HOST, "-p", port, "-t", "vote/cli", "-m", "yes"],
                                      "invalid port '%s' (want 1-65535)" % port)

    def test_invalid_qos(self):
        for qos in ("3", "x", "-1"):
            with self.subTest(qos=qos):
                self.assertUsageError(self.base("-q", qos),
                                      "invalid QoS '%s' (want 0, 1 or 2)" % qos)

    def test_invalid_protocol_version(self):
        for v in ("x", "mqttv31", "4"):
            with self.subTest(version=v):
                self.assertUsageError(
                    self.base("-V", v),
                    "invalid protocol version '%s' (want mqttv5 or mqttv311)" % v)

    def test_invalid_timeout(self):
        for t in ("x", "0", "-1"):
            with self.subTest(timeout=t):
                self.assertUsageError(
                    self.base("--timeout", t),
                    "invalid timeout '%s' (want a positive number of seconds)" % t)

    def test_topic_not_under_vote(self):
        self.assertUsageError(self.base(topic="foo"),
                              "invalid topic 'foo': ballots go to vote/<poll>")

    def test_topic_invalid_poll_name(self):
        rule = "poll name must be 1 to 64 characters from A-Z a-z 0-9 _ - ."
        for topic in ("vote/a+b", "vote/a$b", "vote/a b", "vote/" + "p" * 65, "vote/"):
            with self.subTest(topic=topic):
                self.assertUsageError(self.base(topic=topic),
                                      "invalid topic '%s': %s" % (topic, rule))

    def test_invalid_choice(self):
        msg = "invalid choice: must be 1 to 64 bytes of UTF-8 without control characters"
        for choice in ("", "c" * 65, "a\tb", "a\x01b", "\x7f", b"\xff\xfe", b"a\xc3"):
            with self.subTest(choice=choice):
                self.assertUsageError(self.base(message=choice), msg)

    def test_invalid_voter_name(self):
        msg = "invalid voter name: must be 1 to 64 bytes of UTF-8 without control characters"
        for name in ("", "v" * 65, "al\nice", b"\xc0\xaf"):
            with self.subTest(name=name):
                self.assertUsageError(self.base("--voter", name), msg)

    def test_unexpected_argument(self):
        self.assertUsageError(self.base("x"), "unexpected argument 'x'")

    def test_longest_texts_are_valid(self):
        # 64 bytes is within the limits: not a usage error (the port is closed: exit 1)
        rc, out, err = run_voter(self.base("--voter", "é" * 32, "--timeout", "5",
                                           message="c" * 64))
        self.assertEqual(rc, 1, "stderr=%r" % err)


class VoterHelpVersion(unittest.TestCase):

    def test_help(self):
        rc, out, err = run_voter(["--help"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "")
        self.assertIn("-t", out)
        self.assertIn("-m", out)
        self.assertIn("--voter", out)
        # it tells the exit codes
        self.assertRegex(out, re.compile(r"exit", re.I))
        for code in ("0", "1", "2", "3", "4", "5"):
            self.assertRegex(out, re.compile(r"^\s*%s\b" % code, re.M),
                             "exit code %s not described in --help" % code)
        self.assertIn('\n  5  not counted: another ballot of yours counts, this one is older', out)
        self.assertIn('"may not have been delivered"', out)

    def test_help_wins_over_other_options(self):
        rc, out, err = run_voter(["-t", "vote/x", "-m", "yes", "--help"])
        self.assertEqual(rc, 0, err)
        self.assertIn("--voter", out)

    def test_version(self):
        rc, out, err = run_voter(["--version"])
        self.assertEqual(rc, 0, err)
        self.assertRegex(out.strip(), r"\d+\.\d+\.\d+")


class VoterDelivery(IntegrationCase):

    def test_closed_port_fails_fast(self):
        port = self.closed_port()  # nothing listens there
        start = time.monotonic()
        rc, out, err = run_voter(["-h", HOST, "-p", str(port), "-t", "vote/closed",
                                  "-m", "yes", "--voter", "v", "--timeout", "20"], timeout=30)
        elapsed = time.monotonic() - start
        self.assertEqual(rc, 1, "stdout=%r stderr=%r" % (out, err))
        self.assertIn("voter: cannot connect to 127.0.0.1:%d: connection refused" % port,
                      err.splitlines())
        self.assertLess(elapsed, 5, "took %.1f s with --timeout 20" % elapsed)
        self.assertEqual(out, "")

    def test_timeout_when_broker_does_not_answer(self):
        # A real broker, stopped with SIGSTOP: TCP connects (the kernel
        # accepts), but no CONNACK ever comes.
        broker = self.private_broker()
        broker.proc.send_signal(signal.SIGSTOP)
        self.addCleanup(lambda: broker.proc and broker.proc.poll() is None
                        and broker.proc.send_signal(signal.SIGCONT))
        start = time.monotonic()
        rc, out, err = run_voter(["-h", HOST, "-p", str(broker.port), "-t", "vote/frozen",
                                  "-m", "yes", "--voter", "v", "--timeout", "1.5"], timeout=30)
        elapsed = time.monotonic() - start
        self.assertEqual(rc, 1, "stdout=%r stderr=%r" % (out, err))
        self.assertTrue(err.startswith("voter: "), err)
        self.assertLess(elapsed, 1.5 + 3, "--timeout 1.5 took %.1f s" % elapsed)
        self.assertGreater(elapsed, 1.0, "gave up after %.2f s, before --timeout 1.5" % elapsed)

    def test_tcp_sent_without_a_receipt_may_not_have_been_delivered(self):
        # A real tallier stopped with SIGSTOP: the kernel accepts the
        # connection and takes the line, no receipt comes. Continued, the
        # tallier counts it: "not delivered" would have been wrong.
        poll = self.poll_name()
        t = harness.TcpTallier(client_id=self.client_id())
        self.addCleanup(t.cleanup)
        port = t.wait_listening()
        t.proc.send_signal(signal.SIGSTOP)
        self.addCleanup(lambda: t.proc.poll() is None and t.proc.send_signal(signal.SIGCONT))
        rc, out, err = run_voter(["--tcp", "-h", HOST, "-p", str(port), "-t", "vote/" + poll, "-m", "yes",
                                  "--voter", "ann", "--timeout", "1.5"], timeout=30)
        self.assertEqual((rc, out, err), (1, "", "voter: ballot may not have been delivered: timed out "
                                                 "after 1.5 s waiting for the tallier's receipt\n"))
        t.proc.send_signal(signal.SIGCONT)
        want = {"yes": 1}
        harness.wait_for(lambda: harness.tcp_request(port, {"get": "result", "poll": poll}).get("counts") == want,
                         10)
        self.assertEqual(harness.tcp_request(port, {"get": "result", "poll": poll}).get("counts"), want,
                         t.log())

    def test_tcp_closed_port_not_delivered(self):
        port = self.closed_port()
        rc, out, err = run_voter(["--tcp", "-h", HOST, "-p", str(port), "-t", "vote/closed", "-m", "yes",
                                  "--voter", "v"], timeout=30)
        self.assertEqual((rc, out, err), (1, "", "voter: cannot connect to 127.0.0.1:%d: connection refused\n"
                                                 % port))

    def test_no_subscribers_warning_mqtt5(self):
        broker = self.shared_broker()
        poll = self.poll_name()  # nobody subscribes to it
        rc, out, err = harness.vote(broker.port, poll, "yes", voter="nobody")
        self.assertEqual(rc, 0, "stderr=%r" % err)
        self.assertIn("no subscribers", err)
        self.assertTrue(all(l.startswith("voter: ") for l in err.splitlines()), err)
        self.assertEqual(len(out.splitlines()), 1, out)

    def test_accepted_prints_one_line(self):
        broker = self.shared_broker()
        poll = self.poll_name()
        tallier = self.start_tallier(broker, topics=["vote/" + poll])
        rc, out, err = harness.vote(broker.port, poll, "maybe", voter="ann")
        self.assertEqual(rc, 0, "stderr=%r" % err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 1, out)
        self.assertIn("maybe", lines[0])
        self.assertIn(poll, lines[0])
        # a subscriber exists: no warning
        self.assertNotIn("no subscribers", err)
        self.assertResult(broker.port, poll, {"maybe": 1}, tallier=tallier)

    def test_quiet(self):
        broker = self.shared_broker()
        poll = self.poll_name()
        tallier = self.start_tallier(broker, topics=["vote/" + poll])
        rc, out, err = harness.vote(broker.port, poll, "yes", voter="q", extra=["--quiet"])
        self.assertEqual((rc, out), (0, ""), "stderr=%r" % err)
        self.assertResult(broker.port, poll, {"yes": 1}, tallier=tallier)

    def test_ballot_json(self):
        broker = self.shared_broker()
        poll = self.poll_name()
        cap = harness.Capture(broker.port, "vote/" + poll)
        self.addCleanup(cap.close)
        before = int(time.time() * 1000)
        self.vote_ok(broker.port, poll, "yes", "alice@pc12")
        after = int(time.time() * 1000)
        msgs = cap.fetch(1, wait=5)
        self.assertEqual(len(msgs), 1, msgs)
        b = json.loads(msgs[0])
        self.assertEqual(set(b), {"poll", "voter", "choice", "id", "ts"}, b)
        self.assertEqual((b["poll"], b["voter"], b["choice"]), (poll, "alice@pc12", "yes"))
        self.assertRegex(b["id"], r"^[0-9a-f]{32}$")
        self.assertIsInstance(b["ts"], int)
        self.assertTrue(before - 1000 <= b["ts"] <= after + 1000, (before, b["ts"], after))

    def test_ballot_ids_differ(self):
        broker = self.shared_broker()
        poll = self.poll_name()
        cap = harness.Capture(broker.port, "vote/" + poll)
        self.addCleanup(cap.close)
        self.vote_ok(broker.port, poll, "yes", "same")
        self.vote_ok(broker.port, poll, "yes", "same")
        msgs = [json.loads(m) for m in cap.fetch(2, wait=5)]
        self.assertEqual(len(msgs), 2, msgs)
        self.assertNotEqual(msgs[0]["id"], msgs[1]["id"])
        self.assertLessEqual(msgs[0]["ts"], msgs[1]["ts"])

    def test_default_voter_name(self):
        broker = self.shared_broker()
        poll = self.poll_name()
        cap = harness.Capture(broker.port, "vote/" + poll)
        self.addCleanup(cap.close)
        rc, out, err = harness.vote(broker.port, poll, "yes")  # no --voter
        self.assertEqual(rc, 0, err)
        msgs = cap.fetch(1, wait=5)
        self.assertEqual(len(msgs), 1, msgs)
        name = json.loads(msgs[0])["voter"]
        login = getpass.getuser()
        self.assertTrue(name.startswith(login + "@"), name)
        host = name[len(login) + 1:]
        self.assertTrue(host and socket.gethostname().startswith(host),
                        (name, socket.gethostname()))

    def test_utf8_choice_and_voter(self):
        broker = self.shared_broker()
        poll = self.poll_name()
        tallier = self.start_tallier(broker, topics=["vote/" + poll])
        self.vote_ok(broker.port, poll, "sí ✓", "José")
        self.assertResult(broker.port, poll, {"sí ✓": 1}, tallier=tallier)

    def check_variants(self, cases):
        broker = self.shared_broker()
        poll = self.poll_name()
        tallier = self.start_tallier(broker, topics=["vote/" + poll])
        for name, extra in cases:
            with self.subTest(voter=name):
                rc, out, err = harness.vote(broker.port, poll, "yes", voter=name, extra=extra)
                self.assertEqual(rc, 0, "stderr=%r" % err)
                self.assertNotIn("no subscribers", err)
        self.assertResult(broker.port, poll, {"yes": len(cases)}, tallier=tallier)

    def test_mqtt5_and_qos_levels(self):
        self.check_variants([
            ("v5", ["-V", "mqttv5"]),
            ("v5b", ["-V", "5"]),
            ("q0", ["-q", "0"]),
            ("q1", ["-q", "1"]),
            ("q2", ["-q", "2"]),
        ])

    def test_mqttv311(self):
        self.check_variants([
            ("v311", ["-V", "mqttv311"]),
            ("v311b", ["-V", "311"]),
            ("q0v311", ["-q", "0", "-V", "mqttv311"]),
            ("q2v311", ["-q", "2", "-V", "mqttv311"]),
        ])

    def test_client_id_credentials_debug(self):
        broker = self.shared_broker()
        poll = self.poll_name()
        tallier = self.start_tallier(broker, topics=["vote/" + poll, "vote/%s/by/+" % poll])
        self.vote_ok(broker.port, poll, "a", "with-id", extra=["-i", "my-voter-client"])
        # with -u, the ballot goes to vote/<poll>/by/alice, voter alice unless --voter
        self.vote_ok(broker.port, poll, "a", "alice", extra=["-u", "alice", "-P", "secret"])
        out, err = self.vote_ok(broker.port, poll, "a", "with-debug", extra=["-d"])
        self.assertTrue(err, "-d logged nothing")
        self.assertTrue(all(l.startswith("voter: ") for l in err.splitlines()), err)
        self.assertResult(broker.port, poll, {"a": 3}, tallier=tallier)


if __name__ == "__main__":
    unittest.main()
