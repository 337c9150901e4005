"""The question kinds the tallier counts (issue 21): a multiple poll, a
scale poll and a ranked poll through a real broker. The organiser's command goes as JSON on
votectl (pollctl has no --kind yet), the ballots with mosquitto_pub: revote
on, the same ballot again and again (counted once), receipts over MQTT 5
(Response Topic) and 3.1.1 ("reply"), a kill -9 in the middle and a
restart that shows the same result, and --recount equal to the live one."""

import json
import os
import shutil
import sqlite3
import tempfile
import unittest

import harness
from harness import IntegrationCase
from test_polls import ctl  # the organiser's JSON command (pollctl has no --kind yet)

NOW = 1700000000000


def ballot(poll, voter, ts, **answer):
    """A ballot's JSON with its answer field (picks=[...] or value=N)."""
    return json.dumps(dict({"poll": poll, "voter": voter, "id": "%032x" % (ts * 7919 + len(voter)),
                            "ts": NOW + ts}, **answer))


class Kinds(IntegrationCase):

    def setUp(self):
        self.broker = self.private_broker()
        self.port = self.broker.port
        self.dir = tempfile.mkdtemp(prefix="mqttvote-kinds-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.db = os.path.join(self.dir, "tally.db")
        self.m = self.poll_name("m")
        self.s = self.poll_name("s")

    def tallier(self):
        return self.start_tallier(self.broker, topics=["vote/" + self.m, "vote/" + self.s],
                                  extra=["--db", self.db, "-v"])

    def opened(self, t, cmd):
        rc, answer, err = ctl(self.port, cmd)
        self.assertTrue(answer and answer.get("ok"), "%r: %r\n%s" % (cmd, answer, t.log()))
        return answer["info"]

    def result(self, poll, pred, t):
        r = harness.wait_result(self.port, poll, pred, timeout=10)
        self.assertIsNotNone(r, "no result of %s as expected\n%s" % (poll, t.log()))
        r.pop("updated")
        return r

    def recount(self):
        rc, out, err = harness.run([harness.tallier_path(), "--recount", "--db", self.db])
        self.assertEqual(rc, 0, out + err)
        return {line.split(" ", 2)[0]: json.loads(line.split(" ", 2)[2]) for line in out.splitlines()}

    def test_multiple_and_scale_polls_count_end_to_end(self):
        t = self.tallier()
        info = self.opened(t, {"cmd": "open", "poll": self.m, "question": "Lunch?", "kind": "multiple",
                               "choices": ["pizza", "sushi", "salad"], "max_picks": 2, "revote": True})
        self.assertEqual((info["kind"], info["min_picks"], info["max_picks"]), ("multiple", 1, 2))
        info = self.opened(t, {"cmd": "open", "poll": self.s, "question": "How was it?", "kind": "scale",
                               "low": 1, "high": 5, "low_label": "bad", "high_label": "good", "revote": True})
        self.assertEqual((info["kind"], info["low"], info["high"]), ("scale", 1, 5))
        # the kind is fixed: another open with another kind is refused
        rc, answer, err = ctl(self.port, {"cmd": "open", "poll": self.s, "question": "Q?", "kind": "multiple",
                                          "choices": ["a", "b"]})
        self.assertEqual(answer, {"ok": False, "error": "poll %s is a scale poll" % self.s})

        mt, st = "vote/" + self.m, "vote/" + self.s
        first = [
            (mt, ballot(self.m, "ann", 1, picks=["sushi", "pizza"])),
            (mt, ballot(self.m, "bob", 2, picks=["pizza"])),
            (mt, ballot(self.m, "cat", 3, picks=["salad", "sushi"])),
            (st, ballot(self.s, "ann", 1, value=4)),
            (st, ballot(self.s, "bob", 2, value=5)),
            (st, ballot(self.s, "cat", 3, value=1)),
        ]
        for topic, text in first:
            harness.pub(self.port, topic, text)
            harness.pub(self.port, topic, text)  # again: the same ballot, counted once
        m1 = self.result(self.m, lambda r: r.get("total") == 3, t)
        self.assertEqual(m1, {"poll": self.m, "kind": "multiple", "counts": {"pizza": 2, "sushi": 2, "salad": 1},
                              "voters": 3, "total": 3, "rejected": 0, "status": "open"})
        s1 = self.result(self.s, lambda r: r.get("total") == 3, t)
        self.assertEqual(s1, {"poll": self.s, "kind": "scale", "counts": {"1": 1, "2": 0, "3": 0, "4": 1, "5": 1},
                              "voters": 3, "mean": "3.333", "median": 4, "grade": 4, "total": 3, "rejected": 0,
                              "status": "open"})

        # with ballots, its parameters cannot change (its labels can)
        rc, answer, err = ctl(self.port, {"cmd": "open", "poll": self.s, "question": "How was it?", "kind": "scale",
                                          "low": 0, "high": 5, "revote": True})
        self.assertEqual(answer, {"ok": False, "error": "%s already has ballots: its range cannot change" % self.s})
        rc, answer, err = ctl(self.port, {"cmd": "open", "poll": self.m, "question": "Lunch?", "kind": "multiple",
                                          "choices": ["pizza", "sushi", "salad"], "max_picks": 3, "revote": True})
        self.assertEqual(answer, {"ok": False, "error": "%s already has ballots: its picks cannot change" % self.m})
        self.opened(t, {"cmd": "open", "poll": self.s, "question": "How was it?", "kind": "scale",
                        "low": 1, "high": 5, "low_label": "awful", "revote": True})

        # refusals, each with its reason in a receipt (MQTT 5: Response Topic)
        cap5 = harness.Capture5(self.port, "vote/+/receipt/#")
        self.addCleanup(cap5.close)
        refused = [
            (mt, ballot(self.m, "dan", 4, picks=["pizza", "sushi", "salad"]), "this poll takes 1 to 2 picks"),
            (mt, ballot(self.m, "dan", 5, picks=["pasta"]), "unknown choice 'pasta'"),
            (mt, ballot(self.m, "dan", 6, choice="pizza"), "this poll takes picks ('picks')"),
            (st, ballot(self.s, "dan", 4, value=6), "this poll takes a value from 1 to 5"),
        ]
        for n, (topic, text, _) in enumerate(refused):
            harness.pub(self.port, topic, text,
                        extra=["-V", "5", "-D", "publish", "response-topic", "%s/receipt/r5-%d" % (topic, n)])
        got = dict(line.split("\t", 1) for line in cap5.fetch(count=len(refused), wait=8, fmt="%t\t%p"))
        for n, (topic, text, reason) in enumerate(refused):
            receipt = json.loads(got.get("%s/receipt/r5-%d" % (topic, n), "null"))
            self.assertEqual((receipt["status"], receipt["reason"]), ("rejected", reason), receipt)

        # a revote replaces the whole set; over 3.1.1 ("reply") its receipt has the counts
        cap = harness.Capture(self.port, mt + "/receipt/#")
        self.addCleanup(cap.close)
        revote = json.loads(ballot(self.m, "ann", 10, picks=["salad"]))
        revote["reply"] = mt + "/receipt/r311"
        harness.pub(self.port, mt, json.dumps(revote))
        receipt = json.loads(cap.fetch(count=1, wait=8, fmt="%p")[0])
        self.assertEqual((receipt["status"], receipt["counts"], receipt["total"]),
                         ("counted", {"pizza": 1, "sushi": 1, "salad": 2}, 3), receipt)
        # an earlier ballot of ann's now: a later one counts
        harness.pub(self.port, mt, ballot(self.m, "ann", 0, picks=["pizza", "sushi"]))
        harness.pub(self.port, st, ballot(self.s, "ann", 10, value=2))

        want_m = {"poll": self.m, "kind": "multiple", "counts": {"pizza": 1, "sushi": 1, "salad": 2},
                  "voters": 3, "total": 3, "rejected": 3, "status": "open"}
        want_s = {"poll": self.s, "kind": "scale", "counts": {"1": 1, "2": 1, "3": 0, "4": 0, "5": 1},
                  "voters": 3, "mean": "2.667", "median": 2, "grade": 2, "total": 3, "rejected": 1,
                  "status": "open"}
        self.assertEqual(self.result(self.m, lambda r: r.get("rejected") == 3 and r["counts"]["salad"] == 2, t),
                         want_m)
        self.assertEqual(self.result(self.s, lambda r: r.get("counts", {}).get("2") == 1, t), want_s)

        # kill -9, then ballots while it is down and the same ones again: counted once after the restart
        t.kill()
        late = ballot(self.s, "eve", 20, value=3)
        for _ in range(2):
            harness.pub(self.port, st, late)
        harness.pub(self.port, mt, ballot(self.m, "eve", 20, picks=["sushi"]))
        t.start()
        t.wait_subscribed(count=2)
        want_m = dict(want_m, counts={"pizza": 1, "sushi": 2, "salad": 2}, voters=4, total=4)
        want_s = dict(want_s, counts={"1": 1, "2": 1, "3": 1, "4": 0, "5": 1}, voters=4, mean="2.750",
                      median=2.5, grade=2, total=4)
        self.assertEqual(self.result(self.m, lambda r: r.get("total") == 4, t), want_m)
        self.assertEqual(self.result(self.s, lambda r: r.get("total") == 4, t), want_s)
        self.assertEqual(t.count_log(r'eve -> picks \["sushi"\]: counted$'), 1, t.log())
        self.assertEqual(t.count_log(r"eve -> value 3: counted$"), 1, t.log())
        self.assertEqual(t.count_log(r"eve -> value 3: duplicate, ignored$"), 1, t.log())

        # --recount from the database gives the live result (less status and updated)
        self.assertEqual(t.stop(), 0, t.log())
        got = self.recount()
        for poll, want in ((self.m, want_m), (self.s, want_s)):
            got[poll].pop("updated")
            self.assertEqual(got[poll], {k: v for k, v in want.items() if k != "status"})
        # --export: the answers as JSON ballots, and in CSV the picks one per line
        rc, out, err = harness.run([harness.tallier_path(), "--export", self.m, "--format", "json", "--db", self.db])
        self.assertEqual(rc, 0, err)
        self.assertEqual({b["voter"]: b["picks"] for b in json.loads(out)},
                         {"ann": ["salad"], "bob": ["pizza"], "cat": ["salad", "sushi"], "eve": ["sushi"]})
        rc, out, err = harness.run([harness.tallier_path(), "--export", self.s, "--db", self.db])
        self.assertEqual(rc, 0, err)
        self.assertEqual([line.split(",")[:2] for line in out.splitlines()],
                         [["voter", "choice"], ["ann", "2"], ["bob", "5"], ["cat", "1"], ["eve", "3"]])
        con = sqlite3.connect(self.db)
        self.assertEqual(con.execute("SELECT kind, choice FROM ballots WHERE voter = 'cat' ORDER BY kind").fetchall(),
                         [("multiple", "salad\nsushi"), ("scale", "1")])
        con.close()

    def test_a_ranked_poll_counts_end_to_end(self):
        r = self.poll_name("r")
        t = self.start_tallier(self.broker, topics=["vote/" + r], extra=["--db", self.db, "-v"])
        info = self.opened(t, {"cmd": "open", "poll": r, "question": "Where?", "kind": "ranked",
                               "choices": ["a", "b", "c"], "full": True})
        self.assertEqual((info["kind"], info["full"]), ("ranked", True))
        topic = "vote/" + r
        cap = harness.Capture(self.port, topic + "/receipt/#")
        self.addCleanup(cap.close)
        partial = json.loads(ballot(r, "zed", 1, ranking=["a", "b"]))
        partial["reply"] = topic + "/receipt/partial"
        harness.pub(self.port, topic, json.dumps(partial))
        receipt = json.loads(cap.fetch(count=1, wait=8, fmt="%p")[0])
        self.assertEqual((receipt["status"], receipt["reason"]),
                         ("rejected", "this poll takes a ranking of all its 3 choices"), receipt)
        # 4 a>b>c, 3 b>c>a, 2 c>b>a (v0 first c>b>a, then its revote)
        n = 0
        for order, many in ((["a", "b", "c"], 4), (["b", "c", "a"], 3), (["c", "b", "a"], 2)):
            for _ in range(many):
                text = ballot(r, "v%d" % n, 1, ranking=(["c", "b", "a"] if n == 0 else order))
                harness.pub(self.port, topic, text)
                harness.pub(self.port, topic, text)
                n += 1
        self.result(r, lambda x: x.get("total") == 9, t)
        t.kill()
        harness.pub(self.port, topic, ballot(r, "v0", 5, ranking=["a", "b", "c"]))
        t.start()
        t.wait_subscribed(count=2)
        want = {"poll": r, "kind": "ranked", "counts": {"a": 4, "b": 3, "c": 2}, "voters": 9,
                "irv": {"rounds": [{"counts": {"a": 4, "b": 3, "c": 2}, "continuing": 9, "exhausted": 0,
                                    "eliminated": "c", "by_lot": False},
                                   {"counts": {"a": 4, "b": 5}, "continuing": 9, "exhausted": 0,
                                    "eliminated": None, "by_lot": False}], "winner": "b"},
                "schulze": {"pairwise": {"a": {"b": 4, "c": 4}, "b": {"a": 5, "c": 7}, "c": {"a": 5, "b": 2}},
                            "strongest": {"a": {"b": 0, "c": 0}, "b": {"a": 5, "c": 7}, "c": {"a": 5, "b": 0}},
                            "ranking": ["b", "c", "a"], "condorcet": "b"},
                "lot": None, "total": 9, "rejected": 1, "status": "open"}
        self.assertEqual(self.result(r, lambda x: x.get("counts", {}).get("a") == 4, t), want)
        self.assertEqual(t.stop(), 0, t.log())
        got = self.recount()[r]
        got.pop("updated")
        self.assertEqual(got, {k: v for k, v in want.items() if k != "status"})


if __name__ == "__main__":
    unittest.main()
