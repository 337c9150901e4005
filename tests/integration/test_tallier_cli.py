"""tallier's command line and lifecycle: --help, --version, usage errors,
the "subscribed to" log line, SIGTERM/SIGINT (final results, exit 0)."""

import re
import signal
import unittest

import harness
from harness import HOST, IntegrationCase


def run_tallier(args, timeout=20):
    return harness.run([harness.tallier_path()] + list(args), timeout=timeout)


class TallierCli(IntegrationCase):

    def test_help(self):
        rc, out, err = run_tallier(["--help"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "")
        for opt in ("-t", "--choices", "--revote"):
            self.assertIn(opt, out)

    def test_version(self):
        rc, out, err = run_tallier(["--version"])
        self.assertEqual(rc, 0, err)
        self.assertRegex(out.strip(), r"\d+\.\d+\.\d+")

    def test_usage_errors_exit_2(self):
        port = str(self.closed_port())  # a tallier that ran would not connect
        cases = [
            (["--bogus"], "unknown option '--bogus'"),
            (["-p"], "option '-p' needs a value"),
            (["-p", "abc"], "invalid port 'abc' (want 1-65535)"),
            (["-V", "x"], "invalid protocol version 'x' (want mqttv5 or mqttv311)"),
            (["-m", "yes"], "unknown option '-m'"),   # a voter option
            (["x"], "unexpected argument 'x'"),
            (["--revote", "maybe"], None),
            (["--choices", "yes,yes"], None),
            (["--choices", ""], None),
            (["-t", "vote/a+b"], None),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                rc, out, err = run_tallier(["-h", HOST, "-p", port] + args, timeout=10)
                self.assertEqual(rc, 2, "stderr=%r" % err)
                lines = err.splitlines()
                self.assertTrue(lines and lines[0].startswith("tallier: "), err)
                if message is not None:
                    self.assertEqual(lines[0], "tallier: " + message)


class TallierLifecycle(IntegrationCase):

    def setUp(self):
        self.broker = self.shared_broker()
        self.port = self.broker.port
        self.poll = self.poll_name()
        self.topic = "vote/" + self.poll

    def test_logs_subscribed(self):
        t = self.start_tallier(self.broker, topics=[self.topic], wait=False)
        line = t.wait_subscribed().string
        self.assertTrue(line.startswith("tallier: "), line)
        self.assertEqual(t.count_log(r"subscribed to"), 1, t.log())

    def test_sigterm_exits_0(self):
        t = self.start_tallier(self.broker, topics=[self.topic])
        self.assertEqual(t.stop(), 0, t.log())

    def test_sigint_exits_0(self):
        t = self.start_tallier(self.broker, topics=[self.topic])
        self.assertEqual(t.signal(signal.SIGINT), 0, t.log())

    def test_sigterm_publishes_final_results(self):
        # -v logs each counted ballot: SIGTERM right after the tallier counted
        # the last one; the retained result must include it.
        t = self.start_tallier(self.broker, topics=[self.topic], extra=["-v"])
        for i in range(5):
            self.vote_ok(self.port, self.poll, "yes", "w%d" % i)
        self.vote_ok(self.port, self.poll, "no", "last")
        t.wait_for_log(re.escape("%s: last -> no" % self.topic))
        self.assertEqual(t.stop(), 0, t.log())
        self.assertResult(self.port, self.poll, {"yes": 5, "no": 1}, timeout=5, tallier=t)

    def test_username_password(self):
        t = self.start_tallier(self.broker, topics=[self.topic],
                               extra=["-u", "counter", "-P", "secret"])
        self.vote_ok(self.port, self.poll, "yes", "a")
        self.assertResult(self.port, self.poll, {"yes": 1}, tallier=t)

    def test_quiet_still_counts(self):
        # --quiet may hide the "subscribed to" line, so the session is made
        # first by a tallier without it (same -i); the quiet one resumes it.
        t = self.start_tallier(self.broker, topics=[self.topic])
        self.assertEqual(t.stop(), 0, t.log())
        t.extra = ["--quiet"]
        t.start()
        # the valid ballot first: a refusal before the poll exists is not
        # counted in its rejected (a refusal never creates a poll, 0d40e6c)
        harness.pub(self.port, self.topic, '{"voter":"x","choice":"yes"}')
        harness.pub(self.port, self.topic, "not json")
        self.assertResult(self.port, self.poll, {"yes": 1}, rejected=1, tallier=t)
        self.assertEqual(t.stop(), 0, t.log())

if __name__ == "__main__":
    unittest.main()
