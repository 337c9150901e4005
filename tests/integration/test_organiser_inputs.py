"""The organiser's inputs (issue 19, items 13, 14 and 15a), against a real
mosquitto and the real tallier and pollctl: a poll's times are 1970-01-01
to 9999-12-31 UTC (pollctl's --opens/--closes, the command's ms from any
client, a row already in the store at start: said, and the tallier goes
on), 0 is a time (--opens 1970-01-01T00:00:00Z), and a roll is a regular
file of bounded size, read without holding up the counting (a FIFO and
/dev/zero are refused at once, and ballots and TCP requests are answered
meanwhile)."""

import json
import os
import resource
import secrets
import shutil
import sqlite3
import tempfile
import unittest

import harness
from harness import HOST, IntegrationCase

os.environ["TZ"] = "UTC"  # pollctl prints local times: these tests read UTC
RANGE = "the time must be from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z"
MS_RULE = ("'%s' must be a time in ms since the epoch, 0 to 253402300799999 "
           "(1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)")
YEAR_10000 = 253402351199000  # 9999-12-31T23:59:59-14:00, i.e. 10000-01-01T13:59:59Z
USE_HELP = "Use 'pollctl --help' to see usage."


def ctl(port, cmd, timeout=5):
    """One command through mosquitto_rr (MQTT 5 request/response): (rc,
    answer dict or None, stderr). A tallier that never answers is rc != 0
    after timeout seconds."""
    reply = "votectl/reply/test-" + secrets.token_hex(4)
    rc, out, err = harness.run([shutil.which("mosquitto_rr") or "/usr/bin/mosquitto_rr", "-h", HOST,
                                "-p", str(port), "-q", "1", "-t", "votectl", "-e", reply, "-m",
                                json.dumps(cmd), "-W", str(timeout)], timeout=timeout + 10)
    return rc, (json.loads(out) if out.strip() else None), err


def sanitized(path):
    """Whether the binary at path is built with ASan or TSan (which map a
    huge shadow: no RLIMIT_AS then)."""
    with open(path, "rb") as f:
        data = f.read()
    return b"__asan_init" in data or b"__tsan_init" in data


class BoundedTallier(harness.TcpTallier):
    """A tallier with MQTT and --listen, its address space bounded to 2 GiB
    (unless sanitized): the tallier before the fix read /dev/zero without
    end; bounded, it stops there instead of taking the machine's memory."""

    def _preexec(self):
        harness.TcpTallier._preexec(self)
        if not sanitized(harness.tallier_path()):
            resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


class OrganiserInputs(IntegrationCase):

    def setUp(self):
        # a broker of its own: every tallier on a broker answers "list"
        self.broker = self.private_broker()
        self.port = self.broker.port
        self.poll = self.poll_name()
        self.dir = tempfile.mkdtemp(prefix="mqttvote-orginput-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.db = os.path.join(self.dir, "tally.db")

    def tallier(self):
        return self.start_tallier(self.broker, extra=["--db", self.db])

    def pollctl(self, *args):
        return harness.run([harness.pollctl_path(), "-h", HOST, "-p", str(self.port), "--timeout", "5"]
                           + list(args), timeout=30)

    def assertDone(self, t, *args):
        rc, out, err = self.pollctl(*args)
        self.assertEqual((rc, err), (0, ""), "pollctl %r: %s\ntallier:\n%s" % (args, out, t.log()))
        return out.splitlines()

    def assertCountsGoOn(self, t, poll, voter, choice, counts):
        """A ballot sent now is counted (its receipt says so), and the
        result shows it."""
        rc, out, err = harness.vote(self.port, poll, choice, voter=voter, extra=["--confirm", "--timeout", "5"])
        self.assertEqual(rc, 0, "%s\ntallier:\n%s" % (err, t.log()))
        self.assertResult(self.port, poll, counts, tallier=t)

    # ---- item 13: times out of range ----

    def test_pollctl_refuses_a_closing_time_past_9999(self):
        t = self.tallier()
        rc, out, err = self.pollctl("open", "y1", "--question", "Q?", "--choices", "yes,no",
                                    "--closes", "9999-12-31T23:59:59-14:00")
        self.assertEqual((rc, out, err.splitlines()),
                         (2, "", ["pollctl: invalid --closes '9999-12-31T23:59:59-14:00': " + RANGE, USE_HELP]))
        rc, out, err = self.pollctl("open", "y1", "--question", "Q?", "--choices", "yes,no",
                                    "--opens", "1970-01-01T00:59:59+01:00")
        self.assertEqual((rc, out, err.splitlines()),
                         (2, "", ["pollctl: invalid --opens '1970-01-01T00:59:59+01:00': " + RANGE, USE_HELP]))
        # the last time of the range is one a poll can have
        lines = self.assertDone(t, "open", "y1", "--question", "Q?", "--choices", "yes,no",
                                "--closes", "9999-12-31T23:59:59Z")
        # (whole days and no hours from 23:00 to 23:59 UTC: "in 2912102d")
        self.assertRegex(lines[4], r"^  closes:  9999-12-31 23:59:59 UTC \(in \d+d( \d+h)?\)$")
        self.assertRegex(self.assertDone(t, "list")[0], r"^y1 +open +Q\? -- closes 9999-12-31 23:59:59 UTC ")

    def test_a_command_with_a_time_past_9999_is_refused(self):
        # what a hostile organiser's client could send in place of pollctl
        t = self.tallier()
        for field in ("opens", "closes"):
            rc, answer, err = ctl(self.port, {"cmd": "open", "poll": "y1", "question": "Q?",
                                              "choices": ["yes", "no"], field: YEAR_10000})
            self.assertEqual(answer, {"ok": False, "error": MS_RULE % field}, t.log())
        rc, answer, err = ctl(self.port, {"cmd": "open", "poll": "y1", "question": "Q?",
                                          "choices": ["yes", "no"], "closes": 0})
        self.assertEqual(answer, {"ok": False, "error": "'closes' must come after 'opens'"}, t.log())
        rc, answer, err = ctl(self.port, {"cmd": "list"})
        self.assertEqual(answer, {"ok": True, "polls": []}, t.log())

    # ---- issue 21: a poll's kind never changes ----

    def test_a_poll_of_another_kind_is_refused_and_so_is_its_ballot(self):
        t = self.tallier()
        # an explicit single is today's poll, and its information says nothing new
        rc, answer, err = ctl(self.port, {"cmd": "open", "poll": "k1", "question": "Q?", "choices": ["a", "b"],
                                          "kind": "single"})
        self.assertTrue(answer["ok"], answer)
        self.assertNotIn("kind", answer["info"])
        # its kind is fixed at its first open
        for kind, params in (("multiple", {"choices": ["a", "b"], "max_picks": 2}),
                             ("ranked", {"choices": ["a", "b"], "full": True}),
                             ("scale", {"low": 1, "high": 5, "low_label": "bad"})):
            cmd = dict({"cmd": "open", "poll": "k1", "question": "Q?", "kind": kind}, **params)
            rc, answer, err = ctl(self.port, cmd)
            self.assertEqual(answer, {"ok": False, "error": "poll k1 is a single poll"}, t.log())
        # a ballot of another kind on it: refused with the reason, in the receipt too
        for field, value in (("picks", ["a"]), ("ranking", ["b", "a"]), ("value", 3)):
            ballot = {"voter": "v-" + field, field: value, "id": harness.new_ballot_id()}
            reply = "vote/k1/receipt/test-" + secrets.token_hex(4)
            rc, out, err = harness.run([shutil.which("mosquitto_rr") or "/usr/bin/mosquitto_rr", "-h", HOST,
                                        "-p", str(self.port), "-q", "1", "-t", "vote/k1", "-e", reply, "-m",
                                        json.dumps(ballot), "-W", "5"], timeout=15)
            self.assertEqual(rc, 0, err)
            receipt = json.loads(out)
            self.assertEqual((receipt["status"], receipt["reason"]),
                             ("rejected", "this poll takes one choice ('choice')"), receipt)
        harness.pub(self.port, "vote/k1", json.dumps({"voter": "w", "choice": "a", "picks": ["a"]}))
        rc, out, err = harness.vote(self.port, "k1", "b", voter="x", extra=["--confirm", "--timeout", "5"])
        self.assertEqual(rc, 0, "%s\ntallier:\n%s" % (err, t.log()))
        self.assertResult(self.port, "k1", {"a": 0, "b": 1}, rejected=4, tallier=t)
        prefix = "tallier: rejected ballot on vote/k1: "
        self.assertEqual([line[len(prefix):] for line in t.log_lines() if line.startswith(prefix)],
                         ["this poll takes one choice ('choice')"] * 3
                         + ["fields 'choice' and 'picks' both given: a ballot carries one answer"])

    def test_a_stored_time_out_of_range_is_said_and_the_tallier_goes_on(self):
        # y1 as an older tallier stored it (pollctl open y1 --closes
        # 9999-12-31T23:59:59-14:00), with a ballot
        t = self.tallier()
        self.assertDone(t, "open", "y1", "--question", "Q?", "--choices", "yes,no", "--closes", "+1d")
        self.assertCountsGoOn(t, "y1", "ann", "yes", {"yes": 1, "no": 0})
        self.assertEqual(t.stop(), 0, t.log())
        con = sqlite3.connect(self.db)
        with con:
            con.execute("UPDATE polldefs SET closes_ms = ? WHERE poll = 'y1'", (YEAR_10000,))
        con.close()
        t.start()
        t.wait_subscribed(count=2)
        lines = self.assertDone(t, "list")
        self.assertRegex(lines[0], r"^y1 +open +Q\? -- closes 9999-12-31 23:59:59 UTC ")
        t.wait_for_log(r"^tallier: poll y1 in the store: 'closes' %d ms is out of range \(1970-01-01T00:00:00Z to "
                       r"9999-12-31T23:59:59\.999Z\): taken as 9999-12-31T23:59:59\.999Z$" % YEAR_10000)
        info = json.loads(harness.sub(self.port, "vote/y1/info", wait=2)[1])
        self.assertEqual((info["status"], info["closes"]), ("open", "9999-12-31T23:59:59.999Z"))
        # nothing counted was lost, and counting goes on
        self.assertCountsGoOn(t, "y1", "bob", "no", {"yes": 1, "no": 1})
        # the organiser can set a time in range again, which is stored
        self.assertDone(t, "open", "y1", "--question", "Q?", "--choices", "yes,no", "--closes", "+1d")
        con = sqlite3.connect(self.db)
        closes = con.execute("SELECT closes_ms FROM polldefs WHERE poll = 'y1'").fetchone()[0]
        con.close()
        self.assertLess(closes, YEAR_10000)

    # ---- item 15a: 1970-01-01T00:00:00Z is a time ----

    def test_opens_at_1970_is_taken(self):
        t = self.tallier()
        lines = self.assertDone(t, "open", self.poll, "--question", "Q?", "--choices", "yes,no",
                                "--opens", "1970-01-01T00:00:00Z")
        self.assertEqual(lines[2:4], ["  status:  open", "  opens:   1970-01-01 00:00:00 UTC"])
        info = json.loads(harness.sub(self.port, "vote/%s/info" % self.poll, wait=2)[1])
        self.assertEqual((info["status"], info["opens"], info["defined"]),
                         ("open", "1970-01-01T00:00:00.000Z", True))
        self.assertCountsGoOn(t, self.poll, "ann", "yes", {"yes": 1, "no": 0})
        # a closing time of 0 is long past: never "by hand only"
        rc, out, err = self.pollctl("open", self.poll, "--question", "Q?", "--choices", "yes,no",
                                    "--closes", "1970-01-01T00:00:00Z")
        self.assertEqual((rc, out, err.splitlines()), (2, "", ["pollctl: --closes must be in the future", USE_HELP]))

    # ---- item 14: a roll is a regular file of bounded size ----

    def roll_refused_while_counting_goes_on(self, roll):
        t = BoundedTallier(self.port, self.client_id(), extra=["--db", self.db])
        self.addCleanup(t.cleanup)
        t.wait_listening()
        t.wait_subscribed()
        self.assertCountsGoOn(t, self.poll, "ann", "yes", {"yes": 1})
        # sent as a client would, without pollctl (which refuses the file itself)
        rc, answer, err = ctl(self.port, {"cmd": "open", "poll": "q1", "question": "Q?", "choices": ["a", "b"],
                                          "roll": roll})
        self.assertEqual(answer, {"ok": False, "error": "cannot read the roll of q1: roll '%s' is not a regular "
                                  "file" % roll}, "rc %d %s\ntallier:\n%s" % (rc, err, t.log()))
        # the tallier answers on TCP, and counts
        r = harness.tcp_request(t.tcp_port, {"get": "result", "poll": self.poll}, timeout=5)
        self.assertEqual(r.get("counts"), {"yes": 1}, r)
        self.assertCountsGoOn(t, self.poll, "bob", "no", {"yes": 1, "no": 1})
        self.assertTrue(t.running(), t.log())
        # pollctl refuses it on its own
        rc, out, err = self.pollctl("open", "q1", "--question", "Q?", "--choices", "a,b", "--roll", roll)
        self.assertEqual((rc, out, err), (1, "", "pollctl: roll '%s' is not a regular file\n" % roll))

    def test_a_fifo_roll_is_refused_at_once(self):
        fifo = os.path.join(self.dir, "roll.fifo")
        os.mkfifo(fifo)
        self.roll_refused_while_counting_goes_on(fifo)

    def test_dev_zero_as_a_roll_is_refused_at_once(self):
        self.roll_refused_while_counting_goes_on("/dev/zero")


if __name__ == "__main__":
    unittest.main()
