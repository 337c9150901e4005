"""Counting: many voters, revotes, duplicates, ballots from plain
mosquitto_pub, --choices, --revote no, and the result message itself.
Each test runs its own tallier (own -i, own -t vote/<poll>) on the shared
broker.

Where a test must know that earlier messages were all handled before it
reads the result, it publishes a "sentinel" ballot last and waits for it
to be counted: messages from publishers that ran one after the other reach
the single tallier in that order."""

import concurrent.futures
import datetime
import json
import re
import subprocess
import threading
import time
import unittest

import harness
from harness import IntegrationCase, ballot_json

RESULT_KEYS = {"poll", "counts", "total", "rejected", "updated", "status"}
ISO_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"
ID_A = "0123456789abcdef0123456789abcdef"
ID_B = "fedcba9876543210fedcba9876543210"


def rejected_line(topic, reason):
    return "tallier: rejected ballot on %s: %s" % (topic, reason)


class Counting(IntegrationCase):

    def setUp(self):
        self.broker = self.shared_broker()
        self.port = self.broker.port
        self.poll = self.poll_name()
        self.topic = "vote/" + self.poll

    def tallier(self, *extra):
        return self.start_tallier(self.broker, topics=[self.topic], extra=list(extra))

    def test_many_voters_in_parallel(self):
        tallier = self.tallier()
        choices = ["yes", "no", "abstain", "yes"]
        jobs = [("voter%03d" % i, choices[i % len(choices)]) for i in range(100)]

        def one(job):
            name, choice = job
            return name, harness.vote(self.port, self.poll, choice, voter=name, timeout=60)

        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(one, jobs))
        failed = [(name, rc, err) for name, (rc, out, err) in results if rc != 0]
        self.assertEqual(failed, [], "voters that failed")
        want = {}
        for _, c in jobs:
            want[c] = want.get(c, 0) + 1
        self.assertEqual(want, {"yes": 50, "no": 25, "abstain": 25})
        self.assertResult(self.port, self.poll, want, total=100, rejected=0, timeout=20,
                          tallier=tallier)

    def test_results_are_coalesced_under_load(self):
        # 3000 ballots in one burst: the tallier publishes a result at most
        # about 10 times a second per poll, so far fewer than 3000 results
        # go out, and the last one holds the final count. A live subscriber
        # stamps each result as it arrives (mosquitto_sub -F %U); a retained
        # probe on a topic of its own (the tallier removes any result it did
        # not make), which it receives first, says when it is subscribed.
        tallier = self.tallier()
        result_topic = self.topic + "/result"
        probe_topic = "probe/" + self.poll
        harness.pub(self.port, probe_topic, "probe", retain=True)
        self.addCleanup(harness.pub, self.port, probe_topic, None, retain=True)
        sub = subprocess.Popen(["stdbuf", "-oL", harness.mosquitto_sub_path(), "-h", harness.HOST,
                                "-p", str(self.port), "-q", "1", "-t", result_topic,
                                "-t", probe_topic, "-F", "%U %p"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(lambda: (sub.kill(), sub.wait()))
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(sub.stdout), daemon=True)
        reader.start()
        deadline = time.monotonic() + 10
        while not any(line.endswith(" probe\n") for line in list(lines)):
            self.assertLess(time.monotonic(), deadline, "the subscriber never got the probe")
            time.sleep(0.02)  # polling the subscriber's output
        ballots = "".join(ballot_json("burst%04d" % i, "yes" if i % 2 else "no") + "\n"
                          for i in range(3000))
        rc, out, err = harness.run([harness.mosquitto_pub_path(), "-h", harness.HOST,
                                    "-p", str(self.port), "-q", "1", "-t", self.topic, "-l"],
                                   input=ballots.encode(), timeout=60)
        self.assertEqual(rc, 0, err)
        self.assertResult(self.port, self.poll, {"yes": 1500, "no": 1500}, total=3000, rejected=0,
                          timeout=30, tallier=tallier)
        deadline = time.monotonic() + 10
        while not any('"total":3000' in line for line in list(lines)):
            self.assertLess(time.monotonic(), deadline, "the subscriber never got the final result")
            time.sleep(0.02)  # polling the subscriber's output
        results = [line.split(" ", 1) for line in list(lines) if not line.endswith(" probe\n")]
        stamps = [float(stamp) for stamp, _ in results]
        published = [json.loads(payload) for _, payload in results]
        self.assertEqual(published[-1]["total"], 3000)
        # at most one result per 100 ms, give or take one at each end
        span = stamps[-1] - stamps[0]
        self.assertLessEqual(len(published), span / 0.1 + 3,
                             "%d results in %.3f s: not coalesced" % (len(published), span))

    def test_revote_replaces(self):
        tallier = self.tallier()
        self.vote_ok(self.port, self.poll, "yes", "carol")
        self.vote_ok(self.port, self.poll, "maybe", "dan")
        self.assertResult(self.port, self.poll, {"yes": 1, "maybe": 1}, tallier=tallier)
        self.vote_ok(self.port, self.poll, "no", "carol")
        self.assertResult(self.port, self.poll, {"no": 1, "maybe": 1}, total=2, tallier=tallier)
        self.assertEqual(tallier.count_log(r"rejected ballot"), 0, tallier.log())

    def test_revote_back_and_forth(self):
        tallier = self.tallier()
        for choice in ("yes", "no", "yes", "abstain"):
            self.vote_ok(self.port, self.poll, choice, "erin")
        self.vote_ok(self.port, self.poll, "no", "sentinel")
        self.assertResult(self.port, self.poll, {"abstain": 1, "no": 1}, tallier=tallier)

    def test_older_ballot_does_not_replace_newer(self):
        # Ordered by ts, not by arrival: the ballot with the greater ts stands.
        tallier = self.tallier()
        harness.pub(self.port, self.topic, ballot_json("fred", "no", id=ID_A, ts=2000))
        harness.pub(self.port, self.topic, ballot_json("fred", "yes", id=ID_B, ts=1000))
        harness.pub(self.port, self.topic, ballot_json("sentinel", "s"))
        self.assertResult(self.port, self.poll, {"no": 1, "s": 1}, rejected=None,
                          tallier=tallier)

    def test_revote_without_ts_by_arrival(self):
        tallier = self.tallier()
        harness.pub(self.port, self.topic, ballot_json("bob", "no"))
        self.assertResult(self.port, self.poll, {"no": 1}, tallier=tallier)
        harness.pub(self.port, self.topic, ballot_json("bob", "yes"))
        harness.pub(self.port, self.topic, ballot_json("sentinel", "s"))
        self.assertResult(self.port, self.poll, {"yes": 1, "s": 1}, tallier=tallier)

    def test_duplicates_count_once(self):
        tallier = self.tallier()
        ballot = ballot_json("gina", "yes", poll=self.poll, id=ID_A,
                             ts=int(time.time() * 1000))
        for _ in range(5):
            harness.pub(self.port, self.topic, ballot, qos=1)
        harness.pub(self.port, self.topic, ballot_json("sentinel", "no"))
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 1}, total=2, rejected=0,
                          tallier=tallier)
        self.assertEqual(tallier.count_log(r"rejected ballot"), 0, tallier.log())

    def test_same_id_with_another_ts_or_choice_is_another_ballot(self):
        # Only the same ballot (ts, id and choice) is a duplicate: the same
        # id with another ts or choice is placed by (ts, id, choice), so
        # both arrival orders give the same count.
        tallier = self.tallier()
        for voter, order in (("ida", 1), ("ivy", -1)):  # another ts: the greater counts
            for choice, ts in [("yes", 1000), ("no", 2000)][::order]:
                harness.pub(self.port, self.topic, ballot_json(voter, choice, id=ID_A, ts=ts))
        for voter, order in (("jon", 1), ("kim", -1)):  # same ts, another choice: "yes" > "no"
            for choice in ["yes", "no"][::order]:
                harness.pub(self.port, self.topic, ballot_json(voter, choice, id=ID_A, ts=3000))
        harness.pub(self.port, self.topic, ballot_json("sentinel", "s"))
        self.assertResult(self.port, self.poll, {"no": 2, "yes": 2, "s": 1}, rejected=0, tallier=tallier)
        self.assertEqual(self.held(tallier), {"ida": "no", "ivy": "no", "jon": "yes", "kim": "yes",
                                              "sentinel": "s"})

    def test_revote_no_same_id_with_another_choice_is_another_ballot(self):
        # --revote no: the least of the two stands ("no" < "yes"), in both
        # orders; the other one is refused (already voted) or displaced,
        # and counted in rejected either way.
        tallier = self.tallier("--revote", "no")
        for voter, order in (("ida", 1), ("ivy", -1)):
            for choice in ["yes", "no"][::order]:
                harness.pub(self.port, self.topic, ballot_json(voter, choice, id=ID_A, ts=1000))
        harness.pub(self.port, self.topic, ballot_json("sentinel", "s"))
        self.assertResult(self.port, self.poll, {"no": 2, "s": 1}, rejected=2, tallier=tallier)
        self.assertEqual(self.held(tallier), {"ida": "no", "ivy": "no", "sentinel": "s"})

    def held(self, tallier):
        """{voter: choice} of the ballots the tallier holds (--export)."""
        rc, out, err = harness.run_tallier(["--export", self.poll, "--format", "json",
                                            "--db", harness.tallier_db(tallier)])
        self.assertEqual(rc, 0, err)
        return {b["voter"]: b["choice"] for b in json.loads(out)}

    def test_duplicate_of_older_ballot_after_revote(self):
        # A replayed (duplicate) copy of the first ballot, after the voter
        # revoted, does not bring the first choice back.
        tallier = self.tallier()
        first = ballot_json("hank", "yes", id=ID_A, ts=1000)
        harness.pub(self.port, self.topic, first)
        harness.pub(self.port, self.topic, ballot_json("hank", "no", id=ID_B, ts=2000))
        harness.pub(self.port, self.topic, first)
        harness.pub(self.port, self.topic, ballot_json("sentinel", "s"))
        self.assertResult(self.port, self.poll, {"no": 1, "s": 1}, rejected=None,
                          tallier=tallier)

    def test_plain_mosquitto_pub_ballot(self):
        tallier = self.tallier()
        harness.pub(self.port, self.topic, '{"voter":"bob","choice":"no"}')
        harness.pub(self.port, self.topic, '{"voter":"amy","choice":"yes","extra":[1,2]}',
                    qos=0)
        harness.pub(self.port, self.topic,
                    '  {"choice":"no", "voter":"cy", "poll":"%s"}\n' % self.poll, qos=2)
        self.assertResult(self.port, self.poll, {"no": 2, "yes": 1}, tallier=tallier)

    def test_polls_are_counted_apart(self):
        other = self.poll_name("b")
        tallier = self.start_tallier(self.broker, topics=[self.topic, "vote/" + other])
        self.vote_ok(self.port, self.poll, "yes", "ivy")
        self.vote_ok(self.port, other, "no", "ivy")
        self.vote_ok(self.port, other, "no", "jack")
        self.assertResult(self.port, self.poll, {"yes": 1}, tallier=tallier)
        self.assertResult(self.port, other, {"no": 2}, tallier=tallier)

    def test_choices_option(self):
        tallier = self.tallier("--choices", "yes,no,abstain")
        self.vote_ok(self.port, self.poll, "yes", "kim")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 0, "abstain": 0}, total=1,
                          tallier=tallier)
        # an unknown choice is rejected
        self.vote_ok(self.port, self.poll, "maybe", "lee")
        tallier.wait_for_log("^" + re.escape(rejected_line(self.topic, "unknown choice 'maybe'"))
                             + "$")
        self.vote_ok(self.port, self.poll, "abstain", "mo")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 0, "abstain": 1}, total=2,
                          rejected=1, tallier=tallier)
        # a voter whose ballot was rejected has not voted: a valid one counts
        self.vote_ok(self.port, self.poll, "no", "lee")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 1, "abstain": 1}, total=3,
                          rejected=1, tallier=tallier)
        self.assertEqual(tallier.count_log(r"rejected ballot"), 1, tallier.log())

    def test_choices_revote_to_unknown_keeps_vote(self):
        tallier = self.tallier("--choices", "yes,no")
        self.vote_ok(self.port, self.poll, "yes", "nat")
        self.vote_ok(self.port, self.poll, "later", "nat")
        tallier.wait_for_log("^" + re.escape(rejected_line(self.topic, "unknown choice 'later'"))
                             + "$")
        self.vote_ok(self.port, self.poll, "no", "sentinel")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 1}, rejected=1, tallier=tallier)

    def test_revote_no(self):
        tallier = self.tallier("--revote", "no")
        self.vote_ok(self.port, self.poll, "yes", "dave")
        self.assertResult(self.port, self.poll, {"yes": 1}, tallier=tallier)
        self.vote_ok(self.port, self.poll, "no", "dave")
        tallier.wait_for_log("^" + re.escape(rejected_line(self.topic, "already voted")) + "$")
        self.assertResult(self.port, self.poll, {"yes": 1}, rejected=1, tallier=tallier)
        # the same choice again (a new ballot) is refused alike: an answer
        # that depended on the choice would tell anyone voting in dave's
        # name how he voted (issue 19)
        self.vote_ok(self.port, self.poll, "yes", "dave")
        tallier.wait_for_log("^" + re.escape(rejected_line(self.topic, "already voted")) + "$", count=2)
        self.vote_ok(self.port, self.poll, "no", "sentinel")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 1}, rejected=2, tallier=tallier)
        self.assertEqual(tallier.count_log(r"rejected ballot"), 2, tallier.log())

    def test_revote_no_duplicate_not_rejected(self):
        tallier = self.tallier("--revote", "no")
        ballot = ballot_json("olga", "yes", id=ID_A, ts=1000)
        for _ in range(3):
            harness.pub(self.port, self.topic, ballot)
        harness.pub(self.port, self.topic, ballot_json("sentinel", "no"))
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 1}, rejected=0, tallier=tallier)

    def test_result_message(self):
        tallier = self.tallier()
        self.vote_ok(self.port, self.poll, "yes", "pat")
        self.vote_ok(self.port, self.poll, "no", "quinn")
        self.vote_ok(self.port, self.poll, "yes", "ray")
        r = self.assertResult(self.port, self.poll, {"yes": 2, "no": 1}, tallier=tallier)
        self.assertEqual(set(r), RESULT_KEYS, r)
        self.assertEqual(r["poll"], self.poll)
        self.assertRegex(r["updated"], ISO_RE)
        updated = datetime.datetime.strptime(r["updated"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc)
        age = abs((datetime.datetime.now(datetime.timezone.utc) - updated).total_seconds())
        self.assertLess(age, 120, r["updated"])
        # retained, QoS 1: a late subscriber gets it with the retain flag
        rc, out, err = harness.sub(self.port, self.topic + "/result", count=1, wait=5,
                                   extra=["-q", "1", "-F", "%r %q %p"])
        flags, qos, payload = out.rstrip("\n").split(" ", 2)
        self.assertEqual((flags, qos), ("1", "1"), out)
        self.assertEqual(json.loads(payload)["counts"], {"yes": 2, "no": 1})

    def test_result_updated_grows(self):
        tallier = self.tallier()
        self.vote_ok(self.port, self.poll, "yes", "sam")
        r1 = self.assertResult(self.port, self.poll, {"yes": 1}, tallier=tallier)
        self.vote_ok(self.port, self.poll, "yes", "tess")
        r2 = self.assertResult(self.port, self.poll, {"yes": 2}, tallier=tallier)
        self.assertGreaterEqual(r2["updated"], r1["updated"])

    def test_result_topic_is_not_a_ballot(self):
        # Our own result topic, even when a tallier's filter catches it, is
        # neither counted nor rejected.
        tallier = self.start_tallier(self.broker, topics=[self.topic, self.topic + "/result"])
        self.vote_ok(self.port, self.poll, "yes", "uma")
        self.vote_ok(self.port, self.poll, "no", "vic")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 1}, rejected=0, tallier=tallier)
        self.vote_ok(self.port, self.poll, "no", "sentinel")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 2}, rejected=0, tallier=tallier)
        self.assertEqual(tallier.count_log(r"rejected ballot"), 0, tallier.log())


if __name__ == "__main__":
    unittest.main()
