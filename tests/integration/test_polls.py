"""Polls an organiser runs (issue 12), the tallier's side: commands on
votectl answered on votectl/reply/<id> (sent here with mosquitto_rr, the
reference MQTT 5 request/response client), each poll's information
retained on vote/<poll>/info, opening and closing by hand and on the
tallier's clock, results after the close, a final result that never
changes, definitions that survive a SIGKILL and a stop across the closing
time, and a database of schema 1 upgraded in place."""

import json
import os
import secrets
import shutil
import sqlite3
import time
import unittest

import harness
from harness import HOST, IntegrationCase, ballot_json


def now_ms():
    return int(time.time() * 1000)


def ctl(port, cmd, timeout=5):
    """One command through mosquitto_rr: (rc, answer dict or None, stderr)."""
    reply = "votectl/reply/test-" + secrets.token_hex(4)
    rc, out, err = harness.run([shutil.which("mosquitto_rr") or "/usr/bin/mosquitto_rr", "-h", HOST,
                                "-p", str(port), "-q", "1", "-t", "votectl", "-e", reply, "-m",
                                json.dumps(cmd), "-W", str(timeout)], timeout=timeout + 10)
    return rc, (json.loads(out) if out.strip() else None), err


def info(port, poll, timeout=2):
    rc, out, err = harness.sub(port, "vote/%s/info" % poll, wait=timeout)
    return json.loads(out) if out.strip() else None


def wait_info(port, poll, predicate, timeout=10):
    return harness.wait_for(lambda: (lambda i: i if i and predicate(i) else None)(info(port, poll)), timeout)


class Polls(IntegrationCase):

    def setUp(self):
        self.broker = self.shared_broker()
        self.port = self.broker.port
        self.poll = self.poll_name()

    def tallier(self, *extra):
        return self.start_tallier(self.broker, topics=["vote/" + self.poll], extra=["-v"] + list(extra))

    def open(self, **fields):
        cmd = {"cmd": "open", "poll": self.poll, "question": "Lunch at noon?",
               "choices": ["yes", "no", "abstain"]}
        cmd.update(fields)
        rc, answer, err = ctl(self.port, cmd)
        self.assertEqual(rc, 0, err)
        return answer

    def confirm(self, voter, choice):
        return harness.vote(self.port, self.poll, choice, voter=voter, extra=["--confirm", "--timeout", "5"])

    def test_open_publishes_the_information_and_an_empty_result(self):
        t = self.tallier()
        answer = self.open()
        self.assertTrue(answer["ok"], answer)
        self.assertEqual(answer["info"]["status"], "open")
        got = wait_info(self.port, self.poll, lambda i: i["status"] == "open")
        self.assertEqual((got["question"], got["choices"], got["results"], got["revote"], got["defined"],
                          got["closes"]),
                         ("Lunch at noon?", ["yes", "no", "abstain"], "live", True, True, None))
        result = harness.wait_result(self.port, self.poll, lambda r: True)
        self.assertEqual((result["counts"], result["total"], result["status"]),
                         ({"yes": 0, "no": 0, "abstain": 0}, 0, "open"))
        # its choices, and only them: the voter knows from the information
        # and sends nothing; a ballot sent all the same is refused
        rc, out, err = self.confirm("ann", "maybe")
        self.assertEqual((rc, err), (3, "voter: 'maybe' on %s not sent: %s offers yes, no, abstain\n"
                                     % (self.poll, self.poll)))
        harness.pub(self.port, "vote/" + self.poll, ballot_json("ann", "maybe"))
        t.wait_for_log(r"^tallier: rejected ballot on vote/%s: unknown choice 'maybe'$" % self.poll)
        self.vote_ok(self.port, self.poll, "no", "bob")
        self.assertResult(self.port, self.poll, {"yes": 0, "no": 1, "abstain": 0}, rejected=1, tallier=t)

    def test_closing_by_hand_makes_the_result_final(self):
        t = self.tallier()
        self.open()
        self.vote_ok(self.port, self.poll, "yes", "ann")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 0, "abstain": 0}, tallier=t)
        rc, answer, err = ctl(self.port, {"cmd": "close", "poll": self.poll})
        self.assertTrue(answer["ok"], answer)
        self.assertEqual(answer["info"]["status"], "closed")
        final = harness.wait_result(self.port, self.poll, lambda r: r.get("status") == "closed")
        self.assertEqual((final["status"], final["counts"]), ("closed", {"yes": 1, "no": 0, "abstain": 0}))
        # a ballot after the close: rejected with the reason, and the final
        # result does not change (not even its rejected count)
        rc, out, err = self.confirm("bob", "no")
        self.assertEqual(rc, 3, err)
        self.assertRegex(err, r"^voter: %s is closed \(since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+\): ballot not "
                         r"sent\n$" % self.poll)
        harness.pub(self.port, "vote/" + self.poll, ballot_json("bob", "no"))
        t.wait_for_log(r"^tallier: rejected ballot on vote/%s: %s is closed \(since \d{4}-\d\d-\d\dT"
                       % (self.poll, self.poll))
        self.assertEqual(harness.get_result(self.port, self.poll), final)
        # closing again is the same answer; opening again is refused
        rc, answer, err = ctl(self.port, {"cmd": "close", "poll": self.poll})
        self.assertTrue(answer["ok"], answer)
        answer = self.open()
        self.assertEqual(answer, {"ok": False, "error": "%s is closed: a closed poll never opens again"
                                  % self.poll})

    def test_a_poll_closes_on_the_tallier_clock(self):
        t = self.tallier()
        closes = now_ms() + 2000
        answer = self.open(closes=closes)
        self.assertIsNotNone(answer["info"]["closes"])
        self.vote_ok(self.port, self.poll, "yes", "early")
        got = wait_info(self.port, self.poll, lambda i: i["status"] == "closed", timeout=15)
        self.assertIsNotNone(got, "the poll did not close on time")
        self.assertGreaterEqual(now_ms(), closes)
        t.wait_for_log(r"^tallier: poll %s closed at " % self.poll)
        rc, out, err = self.confirm("late", "no")
        self.assertEqual(rc, 3, err)
        final = harness.get_result(self.port, self.poll)
        self.assertEqual((final["status"], final["counts"], final["total"]),
                         ("closed", {"yes": 1, "no": 0, "abstain": 0}, 1))

    def test_a_scheduled_poll_refuses_ballots_until_it_opens(self):
        t = self.tallier()
        opens = now_ms() + 1500
        answer = self.open(opens=opens)
        self.assertEqual(answer["info"]["status"], "scheduled")
        rc, out, err = self.confirm("eager", "yes")
        self.assertEqual(rc, 3, err)
        self.assertIn("is not open yet: it opens at", err)
        self.assertIsNotNone(wait_info(self.port, self.poll, lambda i: i["status"] == "open"))
        self.assertGreaterEqual(now_ms(), opens)
        self.vote_ok(self.port, self.poll, "yes", "eager")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 0, "abstain": 0}, rejected=1, tallier=t)

    def test_results_after_close_show_only_the_total_while_open(self):
        t = self.tallier()
        self.open(results="after-close")
        self.vote_ok(self.port, self.poll, "yes", "ann")
        self.vote_ok(self.port, self.poll, "no", "bob")
        r = harness.wait_result(self.port, self.poll, lambda r: r["total"] == 2)
        self.assertNotIn("counts", r)
        self.assertEqual((r["total"], r["status"], r["results"]), (2, "open", "after-close"))
        # receipts do not tell the counts either
        rc, out, err = self.confirm("cid", "yes")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("yes 2", out)
        ctl(self.port, {"cmd": "close", "poll": self.poll})
        final = harness.wait_result(self.port, self.poll, lambda r: r.get("status") == "closed")
        self.assertEqual(final["counts"], {"yes": 2, "no": 1, "abstain": 0})
        self.assertNotIn("results", final)

    def test_refusals_and_answers(self):
        # a broker of its own: every tallier on a broker answers "list"
        self.broker = self.private_broker()
        self.port = self.broker.port
        t = self.tallier()
        rc, answer, err = ctl(self.port, {"cmd": "close", "poll": self.poll})
        self.assertEqual(answer, {"ok": False, "error": "no poll '%s'" % self.poll})
        rc, answer, err = ctl(self.port, {"cmd": "open", "poll": self.poll, "question": "Q",
                                          "choices": ["a", "a"]})
        self.assertEqual(answer, {"ok": False, "error": "choices: 'a' given twice"})
        self.open()
        self.vote_ok(self.port, self.poll, "yes", "ann")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 0, "abstain": 0}, tallier=t)
        answer = self.open(choices=["yes", "no"])
        self.assertEqual(answer, {"ok": False, "error": "%s already has ballots: its choices cannot change"
                                  % self.poll})
        # the question may change
        answer = self.open(question="Lunch at one?")
        self.assertEqual(answer["info"]["question"], "Lunch at one?")
        rc, answer, err = ctl(self.port, {"cmd": "show", "poll": self.poll})
        self.assertEqual((answer["info"]["question"], answer["result"]["counts"]),
                         ("Lunch at one?", {"yes": 1, "no": 0, "abstain": 0}))
        rc, answer, err = ctl(self.port, {"cmd": "list"})
        self.assertIn(self.poll, [p["poll"] for p in answer["polls"]])

    def test_defined_only_takes_ballots_only_for_defined_polls(self):
        t = self.tallier("--defined-only")
        rc, out, err = self.confirm("ann", "yes")
        self.assertEqual((rc, err), (3, "voter: 'yes' on %s rejected by the tallier: %s is not a poll an "
                                     "organiser opened (this tallier takes only those)\n"
                                     % (self.poll, self.poll)))
        self.open()
        self.vote_ok(self.port, self.poll, "yes", "ann")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 0, "abstain": 0}, tallier=t)

    def test_definitions_survive_a_sigkill(self):
        t = self.tallier()
        self.open(results="after-close")
        self.vote_ok(self.port, self.poll, "yes", "ann")
        self.assertIsNotNone(harness.wait_result(self.port, self.poll, lambda r: r["total"] == 1))
        t.kill()
        t.start()
        t.wait_subscribed(count=2)
        rc, answer, err = ctl(self.port, {"cmd": "show", "poll": self.poll})
        self.assertEqual((answer["info"]["question"], answer["info"]["results"], answer["result"]["total"]),
                         ("Lunch at noon?", "after-close", 1))
        ctl(self.port, {"cmd": "close", "poll": self.poll})
        t.kill()
        t.start()
        t.wait_subscribed(count=3)
        rc, out, err = self.confirm("bob", "no")
        self.assertEqual(rc, 3, err)
        self.assertIn("is closed", err)

    def test_a_poll_closing_while_the_tallier_is_stopped(self):
        # The rule: the tallier's clock decides when it takes a ballot. The
        # ballots the broker queued while the tallier was stopped across the
        # closing time come after it: rejected, each voter told by receipt,
        # and the final result holds the ballots counted before.
        t = self.tallier()
        closes = now_ms() + 2500
        self.open(closes=closes)
        self.vote_ok(self.port, self.poll, "yes", "before")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 0, "abstain": 0}, tallier=t)
        self.assertEqual(t.stop(), 0, t.log())
        cap = harness.Capture(self.port, "vote/%s/receipt/queued-voter" % self.poll)
        self.addCleanup(cap.close)
        harness.pub(self.port, "vote/" + self.poll,
                    ballot_json("queued", "no", id=secrets.token_hex(16), ts=now_ms(),
                                reply="vote/%s/receipt/queued-voter" % self.poll))
        harness.wait_for(lambda: now_ms() > closes, 10)  # the clock passes the closing time
        t.start()
        receipts = cap.fetch(count=1, wait=10)
        self.assertEqual(len(receipts), 1, t.log())
        receipt = json.loads(receipts[0])
        self.assertEqual(receipt["status"], "rejected")
        self.assertRegex(receipt["reason"], r"^%s is closed \(since " % self.poll)
        final = harness.wait_result(self.port, self.poll, lambda r: r.get("status") == "closed")
        self.assertEqual((final["counts"], final["total"]), ({"yes": 1, "no": 0, "abstain": 0}, 1))

    def test_a_database_of_schema_1_is_upgraded_with_its_ballots(self):
        d = self.enterContext(harness_tmpdir())
        db = os.path.join(d, "old.db")
        con = sqlite3.connect(db)
        con.executescript(
            "CREATE TABLE polls (poll TEXT PRIMARY KEY, rejected INTEGER NOT NULL DEFAULT 0,"
            " updated_ms INTEGER NOT NULL) WITHOUT ROWID;"
            "CREATE TABLE ballots (poll TEXT NOT NULL, voter TEXT NOT NULL, choice TEXT NOT NULL, id TEXT,"
            " ts INTEGER, PRIMARY KEY (poll, voter)) WITHOUT ROWID;"
            "PRAGMA user_version = 1;")
        con.execute("INSERT INTO polls VALUES (?, 2, ?)", (self.poll, now_ms()))
        for k in range(5):
            con.execute("INSERT INTO ballots VALUES (?, ?, ?, NULL, ?)",
                        (self.poll, "old%d" % k, "yes" if k % 2 else "no", 1000 + k))
        con.commit()
        con.close()
        t = self.start_tallier(self.broker, topics=["vote/" + self.poll], extra=["--db", db])
        self.assertResult(self.port, self.poll, {"yes": 2, "no": 3}, rejected=2, tallier=t)
        self.assertEqual(t.stop(), 0, t.log())
        con = sqlite3.connect(db)
        self.assertEqual(con.execute("PRAGMA user_version").fetchone()[0], 5)
        self.assertEqual(con.execute("SELECT count(*) FROM ballots").fetchone()[0], 5)
        con.close()

    def test_a_voter_is_refused_the_organisers_topic(self):
        broker = self.private_broker(repo_conf=True)
        t = self.start_tallier(broker, topics=["vote/" + self.poll])
        rc, out, err = harness.run([harness.mosquitto_pub_path(), "-h", HOST, "-p", str(broker.port),
                                    "-V", "mqttv5", "-q", "1", "-t", "votectl", "-m",
                                    json.dumps({"cmd": "close", "poll": self.poll})])
        self.assertEqual((rc, err), (0, "Warning: Publish 1 failed: Not authorized.\n"))
        # from the organiser's machine (the loopback listener) it works
        self.vote_ok(broker.port, self.poll, "yes", "ann")
        self.assertResult(broker.port, self.poll, {"yes": 1}, tallier=t)
        rc, answer, err = ctl(broker.tallier_port, {"cmd": "close", "poll": self.poll})
        self.assertTrue(answer["ok"], (answer, err))


class harness_tmpdir:
    def __enter__(self):
        import tempfile
        self.d = tempfile.mkdtemp(prefix="mqttvote-polls-")
        return self.d

    def __exit__(self, *exc):
        shutil.rmtree(self.d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
