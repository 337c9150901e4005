"""pollctl, the organiser's program (issue 12): usage errors (exit 2, each
message), and each exit code against a real mosquitto and the real
tallier: 0 (open, show, list, close), 1 (closed port; the shipped
mosquitto.conf's public listener, whose ACL denies votectl), 3 (refused by
the tallier, with its reason), 4 (no tallier: --timeout 1). A command is
published once, never again while waiting."""

import os
import re
import time
import unittest

import harness
from harness import HOST, IntegrationCase, run

os.environ["TZ"] = "UTC"  # pollctl prints local times: these tests read UTC
USE_HELP = "Use 'pollctl --help' to see usage."
POLL_RULE = "poll name must be 1 to 64 characters from A-Z a-z 0-9 _ - ."
TIME_FORMS = ("want a duration from now (+90s, +5m, +1h30m, +2d) or an ISO 8601 time "
              "(2026-11-30T10:05:00Z, 2026-11-30T10:05:00+01:00, or 2026-11-30T10:05 in local time)")
ISO_LOCAL = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"


def pollctl(args, timeout=30):
    return run([harness.pollctl_path()] + list(args), timeout=timeout)


class PollctlUsage(IntegrationCase):
    """exit 2, 'pollctl: <message>' then the --help hint, on stderr. The
    port is a closed one: a usage error that slipped through would be
    exit 1."""

    @classmethod
    def setUpClass(cls):
        cls.closed = harness.ClosedPort()
        cls.base = ["-h", HOST, "-p", str(cls.closed.port)]

    @classmethod
    def tearDownClass(cls):
        cls.closed.close()

    def assertUsage(self, args, message):
        rc, out, err = pollctl(self.base + list(args))
        self.assertEqual((rc, out, err.splitlines()), (2, "", ["pollctl: " + message, USE_HELP]),
                         "pollctl %r" % (args,))

    def open_args(self, *extra, question="Lunch?", choices="yes,no"):
        a = ["open", "p1"]
        if question is not None:
            a += ["--question", question]
        if choices is not None:
            a += ["--choices", choices]
        return a + list(extra)

    def test_commands(self):
        self.assertUsage([], "missing a command: open, close, list or show")
        self.assertUsage(["vote"], "unknown command 'vote' (want open, close, list or show)")
        self.assertUsage(["close"], "missing the poll's name after 'close'")
        self.assertUsage(["show"], "missing the poll's name after 'show'")
        self.assertUsage(["list", "p1"], "unexpected argument 'p1'")
        self.assertUsage(["close", "p1", "p2"], "unexpected argument 'p2'")
        self.assertUsage(["show", "a+b"], "invalid poll name 'a+b': " + POLL_RULE)
        self.assertUsage(["close", "x" * 65], "invalid poll name '%s': %s" % ("x" * 65, POLL_RULE))

    def test_open_needs_its_options(self):
        self.assertUsage(self.open_args(question=None), "open needs --question")
        self.assertUsage(self.open_args(choices=None), "open needs --choices")
        self.assertUsage(["open"], "missing the poll's name after 'open'")

    def test_open_options_only_with_open(self):
        for extra in (["--question", "q"], ["--choices", "a"], ["--closes", "+5m"], ["--opens", "+5m"],
                      ["--results", "live"], ["--revote", "no"]):
            self.assertUsage(["close", "p1"] + extra,
                             "--question, --choices, --opens, --closes, --results, --revote and --roll go with open")
        self.assertUsage(["list", "--question", "q"],
                         "--question, --choices, --opens, --closes, --results, --revote and --roll go with open")

    def test_question(self):
        rule = "invalid --question: must be 1 to 500 bytes of UTF-8 without control characters"
        self.assertUsage(self.open_args(question=""), rule)
        self.assertUsage(self.open_args(question="x" * 501), rule)
        self.assertUsage(self.open_args(question="two\nlines"), rule)

    def test_choices(self):
        self.assertUsage(self.open_args(choices="yes,yes"), "invalid --choices 'yes,yes': choice 'yes' given twice")
        self.assertUsage(self.open_args(choices="yes,,no"),
                         "invalid --choices 'yes,,no': each choice must be 1 to 64 bytes of UTF-8 "
                         "without control characters")
        many = ",".join("c%d" % i for i in range(33))
        self.assertUsage(self.open_args(choices=many), "invalid --choices: at most 32 choices")

    def test_times(self):
        self.assertUsage(self.open_args("--closes", "+5x"), "invalid --closes '+5x': " + TIME_FORMS)
        self.assertUsage(self.open_args("--closes", "5m"), "invalid --closes '5m': " + TIME_FORMS)
        self.assertUsage(self.open_args("--opens", "2026-02-30T10:00Z"),
                         "invalid --opens '2026-02-30T10:00Z': no such date: 2026-02-30")
        self.assertUsage(self.open_args("--closes", "+30m1h"),
                         "invalid --closes '+30m1h': a duration takes d, h, m and s in that order, "
                         "each at most once (+1h30m)")
        self.assertUsage(self.open_args("--closes", "+0s"), "invalid --closes '+0s': a duration must be more than 0")
        self.assertUsage(self.open_args("--opens", "+1h", "--closes", "+30m"), "--closes must be after --opens")
        self.assertUsage(self.open_args("--opens", "+1h", "--closes", "+1h"), "--closes must be after --opens")
        self.assertUsage(self.open_args("--closes", "2020-01-01T00:00Z"), "--closes must be in the future")

    def test_words(self):
        self.assertUsage(self.open_args("--results", "sometimes"),
                         "invalid --results 'sometimes' (want live or after-close)")
        self.assertUsage(self.open_args("--revote", "maybe"), "invalid --revote 'maybe' (want yes or no)")

    def test_options_of_the_others(self):
        self.assertUsage(["-t", "vote/p1", "list"], "unknown option '-t'")
        self.assertUsage(["-m", "yes", "list"], "unknown option '-m'")
        self.assertUsage(["--confirm", "list"], "unknown option '--confirm'")
        self.assertUsage(["--db", "x", "list"], "unknown option '--db'")
        self.assertUsage(["-p", "0", "list"], "invalid port '0' (want 1-65535)")
        self.assertUsage(["--timeout", "0", "list"], "invalid timeout '0' (want a positive number of seconds)")
        self.assertUsage(["-i", "a/b", "list"], "client id 'a/b' cannot name the reply topic: no '/', '+' or '#'")

    def test_help_and_version(self):
        rc, out, err = pollctl(["--help"])
        self.assertEqual((rc, err), (0, ""))
        self.assertTrue(out.startswith("pollctl "), out)
        self.assertIn("  4  no answer from a tallier within --timeout\n", out)
        rc, out, err = pollctl(["--version"])
        self.assertEqual((rc, err), (0, ""))
        self.assertRegex(out, r"^pollctl \d+\.\d+\.\d+\n$")


class PollctlNotDelivered(IntegrationCase):
    """exit 1: nothing reached a tallier."""

    def test_closed_port(self):
        port = self.closed_port()
        rc, out, err = pollctl(["-h", HOST, "-p", str(port), "list"])
        self.assertEqual((rc, out, err), (1, "", "pollctl: cannot connect to 127.0.0.1:%d: connection refused\n"
                                          % port))

    def test_the_public_listener_denies_votectl(self):
        """The shipped mosquitto.conf: its public listener's ACL denies
        votectl, which MQTT 5 says in the PUBACK."""
        broker = self.private_broker(repo_conf=True)
        self.start_tallier(broker)
        for cmd in (["list"], ["close", "p1"], ["open", "p1", "--question", "q", "--choices", "a,b"]):
            rc, out, err = pollctl(["-h", HOST, "-p", str(broker.port)] + cmd)
            self.assertEqual((rc, out, err), (1, "", "pollctl: command refused by the broker: not authorized\n"),
                             cmd)


class PollctlNoAnswer(IntegrationCase):

    def test_no_tallier_is_exit_4(self):
        broker = self.private_broker()
        start = time.monotonic()
        rc, out, err = pollctl(["-h", HOST, "-p", str(broker.port), "--timeout", "1", "list"])
        self.assertEqual((rc, out, err), (4, "", "pollctl: no answer from a tallier within 1 s (no tallier running "
                                          "on this broker, or, with MQTT 3.1.1, a broker that refused the "
                                          "command without a word)\n"))
        self.assertGreaterEqual(time.monotonic() - start, 0.9)

    def test_a_command_is_published_once(self):
        """A voter publishes its ballot again while no receipt comes;
        pollctl never publishes a command twice."""
        broker = self.private_broker()
        cap = harness.Capture(broker.port, "votectl")
        self.addCleanup(cap.close)
        rc, out, err = pollctl(["-h", HOST, "-p", str(broker.port), "--timeout", "2.5", "open", "p1",
                                "--question", "q", "--choices", "a,b"])
        self.assertEqual(rc, 4, err)
        got = cap.fetch(count=2, wait=2)
        self.assertEqual(len(got), 1, got)


class PollctlWithTallier(IntegrationCase):
    """exit 0 and 3 against the real tallier, on the shipped
    mosquitto.conf's loopback listener (the organiser's)."""

    def setUp(self):
        self.broker = self.private_broker(repo_conf=True)
        self.tallier = self.start_tallier(self.broker)
        self.poll = self.poll_name()

    def ctl(self, *args, version="5"):
        return pollctl(["-h", HOST, "-p", str(self.broker.tallier_port), "-V", version, "--timeout", "5"]
                       + list(args))

    def assertDone(self, *args, version="5"):
        rc, out, err = self.ctl(*args, version=version)
        self.assertEqual((rc, err), (0, ""), "pollctl %r: %s\ntallier:\n%s" % (args, out, self.tallier.log()))
        return out.splitlines()

    def test_open_show_list_close(self):
        lines = self.assertDone("open", self.poll, "--question", "Lunch at noon?", "--choices", "yes,no,abstain",
                                "--closes", "+5m", "--results", "after-close", "--revote", "no")
        self.assertEqual(lines[:3], ["%s: Lunch at noon?" % self.poll, "  choices: yes, no, abstain",
                                     "  status:  open"])
        self.assertRegex(lines[3], r"^  opens:   %s$" % ISO_LOCAL)
        self.assertRegex(lines[4], r"^  closes:  %s \(in 4m 5\ds\)$" % ISO_LOCAL)
        self.assertEqual(lines[5:], ["  results: after-close, revote no"])

        lines = self.assertDone("show", self.poll)
        self.assertEqual(lines[:3], ["%s: Lunch at noon?" % self.poll, "  choices: yes, no, abstain",
                                     "  status:  open"])
        self.assertRegex(lines[-1], r"^  result:  ")

        lines = self.assertDone("list")
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], r"^%s +open +Lunch at noon\? -- closes %s \(in 4m 5\ds\)$"
                         % (re.escape(self.poll), ISO_LOCAL))

        lines = self.assertDone("close", self.poll)
        self.assertEqual(lines[2], "  status:  closed")
        self.assertRegex(lines[4], r"^  closes:  %s \(closed %s\)$" % (ISO_LOCAL, ISO_LOCAL))

        # the voter now knows, from the information, before sending (once
        # the tallier has published it: just after its answer)
        info = "vote/%s/info" % self.poll
        self.assertTrue(harness.wait_for(
            lambda: '"status":"closed"' in harness.sub(self.broker.port, info, wait=1)[1], 10))
        rc, out, err = harness.vote(self.broker.port, self.poll, "yes", voter="ann")
        self.assertEqual(rc, 3, err)
        self.assertRegex(err, r"^voter: %s is closed \(since %s\): ballot not sent\n$" % (self.poll, ISO_LOCAL))

    def test_open_with_mqtt_311(self):
        lines = self.assertDone("open", self.poll, "--question", "q", "--choices", "a,b", version="311")
        self.assertEqual(lines[:3], ["%s: q" % self.poll, "  choices: a, b", "  status:  open"])
        self.assertEqual(self.assertDone("show", self.poll, version="311")[0], "%s: q" % self.poll)

    def test_scheduled(self):
        lines = self.assertDone("open", self.poll, "--question", "q", "--choices", "a,b", "--opens", "+1h",
                                "--closes", "+2h")
        self.assertEqual(lines[2], "  status:  scheduled")
        self.assertRegex(lines[4], r"^  closes:  %s \(in 1h 59m\)$" % ISO_LOCAL)

    def test_voter_reads_what_pollctl_defined(self):
        self.assertDone("open", self.poll, "--question", "Lunch at noon?", "--choices", "yes,no")
        rc, out, err = harness.run_voter(["-h", HOST, "-p", str(self.broker.port), "-t", "vote/" + self.poll,
                                          "--info"])
        self.assertEqual((rc, err, out.splitlines()[:3]),
                         (0, "", ["%s: Lunch at noon?" % self.poll, "  choices: yes, no", "  status:  open"]))
        rc, out, err = harness.vote(self.broker.port, self.poll, "maybe", voter="ann")
        self.assertEqual((rc, err), (3, "voter: 'maybe' on %s not sent: %s offers yes, no\n"
                                     % (self.poll, self.poll)))

    def test_close_an_unknown_poll_is_refused(self):
        rc, out, err = self.ctl("close", self.poll)
        self.assertEqual((rc, out, err), (3, "", "pollctl: refused by the tallier: no poll '%s'\n" % self.poll))
        rc, out, err = self.ctl("show", self.poll)
        self.assertEqual((rc, out, err), (3, "", "pollctl: refused by the tallier: no poll '%s'\n" % self.poll))

    def test_choices_of_a_poll_with_ballots_cannot_change(self):
        self.assertDone("open", self.poll, "--question", "q", "--choices", "yes,no")
        rc, out, err = harness.vote(self.broker.port, self.poll, "yes", voter="ann", extra=["--confirm"])
        self.assertEqual(rc, 0, err)
        rc, out, err = self.ctl("open", self.poll, "--question", "q", "--choices", "yes,no,maybe")
        self.assertEqual((rc, out, err), (3, "", "pollctl: refused by the tallier: %s already has ballots: its "
                                          "choices cannot change\n" % self.poll))

    def test_quiet(self):
        rc, out, err = self.ctl("--quiet", "open", self.poll, "--question", "q", "--choices", "a,b")
        self.assertEqual((rc, out, err), (0, "", ""))


if __name__ == "__main__":
    unittest.main()
