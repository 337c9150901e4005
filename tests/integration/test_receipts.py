"""Receipts: a ballot that asks for one (MQTT 5 Response Topic, or the
"reply" field in MQTT 3.1.1) gets the tallier's answer on a topic under
vote/<poll>/receipt/ once it is committed -- counted, duplicate or
rejected -- and `voter --confirm` waits for it: exit 0 counted, 3 rejected,
4 accepted by the broker but confirmed by no tallier in time (the ballot
is then counted once when the tallier comes back, however many times it
was published), 5 not counted because another ballot of the voter counts
(a duplicate with a reason; `voter --tcp` the same).

Each test runs its own tallier (own -i, own -t vote/<poll>) on the shared
broker, except the one that watches every topic (a private broker)."""

import json
import re
import time
import unittest

import harness
from harness import IntegrationCase, ballot_json

ID_A = "0123456789abcdef0123456789abcdef"
ID_B = "fedcba9876543210fedcba9876543210"
COUNTED_RE = (r"^voter: '(?P<choice>[^']*)' on (?P<poll>\S+) (?P<how>counted|already counted) "
              r"by the tallier \((?P<counts>.*); ballot (?P<id>[0-9a-f]{32})\)\n$")


def now_ms():
    return time.time_ns() // 1000000


class Receipts(IntegrationCase):

    def setUp(self):
        self.broker = self.shared_broker()
        self.port = self.broker.port
        self.poll = self.poll_name()
        self.topic = "vote/" + self.poll

    def tallier(self, *extra, broker=None):
        return self.start_tallier(broker or self.broker, topics=[self.topic], extra=list(extra))

    def confirm(self, choice, voter, extra=(), timeout=10, port=None):
        return harness.vote(port or self.port, self.poll, choice, voter=voter,
                            extra=["--confirm", "--timeout", str(timeout)] + list(extra),
                            timeout=timeout + 20)

    def assertCounted(self, rc, out, err, choice, counts, how="counted"):
        self.assertEqual(rc, 0, "stdout=%r stderr=%r" % (out, err))
        m = re.match(COUNTED_RE, out)
        self.assertIsNotNone(m, "stdout=%r stderr=%r" % (out, err))
        self.assertEqual((m.group("choice"), m.group("poll"), m.group("how"), m.group("counts")),
                         (choice, self.poll, how, counts), out)
        return m.group("id")

    def pub5(self, payload, response_topic, corr=None, port=None):
        extra = ["-V", "5", "-D", "publish", "response-topic", response_topic]
        if corr is not None:
            extra += ["-D", "publish", "correlation-data", corr]
        harness.pub(port or self.port, self.topic, payload, extra=extra)

    def export(self, t):
        rc, out, err = harness.run_tallier(["--export", self.poll, "--format", "json",
                                            "--db", harness.tallier_db(t)])
        self.assertEqual(rc, 0, err)
        return {b["voter"]: b for b in json.loads(out)}

    # -- voter --confirm

    def test_confirm_counted(self):
        t = self.tallier("--choices", "yes,no")
        rc, out, err = self.confirm("yes", "ann")
        ann = self.assertCounted(rc, out, err, "yes", "yes 1, no 0")
        rc, out, err = self.confirm("no", "bob")
        bob = self.assertCounted(rc, out, err, "no", "yes 1, no 1")
        rc, out, err = self.confirm("no", "ann")  # a revote is counted too
        ann2 = self.assertCounted(rc, out, err, "no", "yes 0, no 2")
        self.assertEqual(err, "")
        self.assertResult(self.port, self.poll, {"yes": 0, "no": 2}, tallier=t)
        # the ballot ids it printed are the ones the tallier holds
        held = self.export(t)
        self.assertEqual({v: b["id"] for v, b in held.items()}, {"ann": ann2, "bob": bob})
        self.assertNotEqual(ann, ann2)

    def test_confirm_rejected(self):
        t = self.tallier("--choices", "yes,no")
        rc, out, err = self.confirm("maybe", "ann")
        self.assertEqual(rc, 3, "stdout=%r stderr=%r" % (out, err))
        self.assertEqual(out, "")
        self.assertEqual(err, "voter: 'maybe' on %s rejected by the tallier: unknown choice "
                         "'maybe'\n" % self.poll)
        # a refusal creates no poll: it is not in the result of the poll
        # that the first counted ballot creates
        self.assertCounted(*self.confirm("yes", "bob"), "yes", "yes 1, no 0")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 0}, rejected=0, tallier=t)

    def test_confirm_rejected_already_voted(self):
        t = self.tallier("--revote", "no")
        self.assertCounted(*self.confirm("yes", "ann"), "yes", "yes 1")
        rc, out, err = self.confirm("no", "ann")
        self.assertEqual(rc, 3, "stdout=%r stderr=%r" % (out, err))
        self.assertEqual(err, "voter: 'no' on %s rejected by the tallier: already voted\n"
                         % self.poll)
        self.assertResult(self.port, self.poll, {"yes": 1}, rejected=1, tallier=t)

    def test_confirm_mqtt311(self):
        # the voter in MQTT 3.1.1 asks with the ballot's "reply" field
        t = self.tallier()
        cap = harness.Capture(self.port, self.topic)
        self.addCleanup(cap.close)
        rc, out, err = self.confirm("yes", "ann", extra=["-V", "mqttv311"])
        self.assertCounted(rc, out, err, "yes", "yes 1")
        sent = cap.fetch(count=1, wait=5)
        self.assertEqual(len(sent), 1, "the ballot was not seen on %s" % self.topic)
        self.assertRegex(json.loads(sent[0]).get("reply", ""),
                         r"^%s/receipt/." % re.escape(self.topic), sent[0])
        # and a tallier that speaks 3.1.1 itself answers a 3.1.1 voter too
        other = self.poll_name("311")
        t311 = self.start_tallier(self.broker, topics=["vote/" + other],
                                  extra=["-V", "mqttv311"], client_id=self.client_id("311"))
        rc, out, err = harness.vote(self.port, other, "no", voter="bob",
                                    extra=["--confirm", "--timeout", "10", "-V", "311"],
                                    timeout=30)
        self.assertEqual(rc, 0, "stdout=%r stderr=%r" % (out, err))
        self.assertRegex(out, r"^voter: 'no' on %s counted by the tallier \(no 1; ballot "
                         r"[0-9a-f]{32}\)\n$" % re.escape(other))
        self.assertResult(self.port, other, {"no": 1}, tallier=t311)
        self.assertResult(self.port, self.poll, {"yes": 1}, tallier=t)

    def test_reply_field_mqtt311_receipt(self):
        # a plain 3.1.1 client (mosquitto_pub) asks with "reply"
        t = self.tallier()
        cap = harness.Capture(self.port, self.topic + "/receipt/#")
        self.addCleanup(cap.close)
        reply = self.topic + "/receipt/plain311"
        harness.pub(self.port, self.topic, ballot_json("ann", "yes", id=ID_A, ts=now_ms(),
                                                       reply=reply))
        lines = cap.fetch(count=1, wait=5, fmt="%t %q %p")
        self.assertEqual(len(lines), 1, t.log())
        topic, qos, payload = lines[0].split(" ", 2)
        self.assertEqual((topic, qos), (reply, "1"))
        self.assertEqual(json.loads(payload), {"id": ID_A, "poll": self.poll, "status": "counted",
                                               "counts": {"yes": 1}, "total": 1})

    def test_confirm_older_than_the_ballot_held_exits_5(self):
        # ann's ballot from a clock a minute ahead (within --max-skew 120)
        # is later than the one her voter casts now: that one does not count
        t = self.tallier("--max-skew", "120")
        harness.pub(self.port, self.topic, ballot_json("ann", "yes", id=ID_A, ts=now_ms() + 60000))
        self.assertResult(self.port, self.poll, {"yes": 1}, tallier=t)
        for extra in ((), ("--quiet",)):
            with self.subTest(extra=extra):
                rc, out, err = self.confirm("no", "ann", extra=extra)
                self.assertEqual((rc, out), (5, ""), err)
                self.assertRegex(err, r"^voter: 'no' on %s not counted: a later ballot of this voter "
                                      r"counts \(yes 1; ballot [0-9a-f]{32}\)\n$" % re.escape(self.poll))
        self.assertResult(self.port, self.poll, {"yes": 1}, tallier=t)
        self.assertEqual(self.export(t)["ann"]["id"], ID_A)

    def test_tcp_older_than_the_ballot_held_exits_5(self):
        t = harness.TcpTallier(client_id=self.client_id(), extra=["--max-skew", "120"])
        self.addCleanup(t.cleanup)
        port = t.wait_listening()
        held = {"poll": self.poll, "voter": "ann", "choice": "yes", "id": ID_A, "ts": now_ms() + 60000}
        self.assertEqual(harness.tcp_request(port, held)["status"], "counted")
        rc, out, err = harness.run_voter(["--tcp", "-h", harness.HOST, "-p", str(port), "-t", self.topic,
                                          "-m", "no", "--voter", "ann"])
        self.assertEqual((rc, out), (5, ""), err)
        self.assertRegex(err, r"^voter: 'no' on %s not counted: a later ballot of this voter counts "
                              r"\(yes 1; ballot [0-9a-f]{32}\)\n$" % re.escape(self.poll))
        # the next ballot after ann's clock catches up counts again: here, one later still
        later = dict(held, choice="no", id=ID_B, ts=held["ts"] + 1)
        self.assertEqual(harness.tcp_request(port, later)["status"], "counted")

    def test_confirm_same_choice_again_with_revote_off_exits_3(self):
        # revote off: ann's first ballot stands; another one, even with
        # the same choice, is "already voted", as one with another choice
        # is: an answer that depended on the choice would tell anyone
        # voting in ann's name how she voted (issue 19; it was exit 0,
        # "already counted")
        t = self.tallier("--revote", "no")
        first = self.assertCounted(*self.confirm("yes", "ann"), "yes", "yes 1")
        rc, out, err = self.confirm("yes", "ann")
        self.assertEqual((rc, out), (3, ""), err)
        self.assertEqual(err, "voter: 'yes' on %s rejected by the tallier: already voted\n" % self.poll)
        self.assertEqual(self.export(t)["ann"]["id"], first)
        self.assertResult(self.port, self.poll, {"yes": 1}, rejected=1, tallier=t)

    # -- receipts as the tallier sends them

    def test_receipts_counted_duplicate_stale_rejected(self):
        t = self.tallier()
        cap = harness.Capture5(self.port, self.topic + "/receipt/#")
        self.addCleanup(cap.close)
        rt = self.topic + "/receipt/x"
        ts = now_ms()
        ballot = ballot_json("gus", "yes", poll=self.poll, id=ID_A, ts=ts)
        self.pub5(ballot, rt, "corr-1")
        self.pub5(ballot, rt, "corr-2")  # the very same ballot again: a duplicate
        self.pub5(ballot_json("gus", "no", poll=self.poll, id=ID_B, ts=ts - 1000), rt,
                  "corr-3")              # older than gus's ballot: not counted
        self.pub5('{"voter":"hal"}', rt, "corr-4")  # refused
        lines = cap.fetch(count=4, wait=8, fmt="%t\t%D\t%q\t%p")
        self.assertEqual(len(lines), 4, "%r\n%s" % (lines, t.log()))
        got = []
        for line in lines:
            topic, corr, qos, payload = line.split("\t", 3)
            self.assertEqual((topic, qos), (rt, "1"), line)
            got.append((corr, json.loads(payload)))
        counts = {"yes": 1}
        self.assertEqual(got, [
            ("corr-1", {"id": ID_A, "poll": self.poll, "status": "counted", "counts": counts,
                        "total": 1}),
            ("corr-2", {"id": ID_A, "poll": self.poll, "status": "duplicate", "counts": counts,
                        "total": 1}),
            ("corr-3", {"id": ID_B, "poll": self.poll, "status": "duplicate",
                        "reason": "a later ballot of this voter counts", "counts": counts,
                        "total": 1}),
            ("corr-4", {"poll": self.poll, "status": "rejected",
                        "reason": "missing field 'choice'", "counts": counts, "total": 1}),
        ])
        self.assertResult(self.port, self.poll, counts, rejected=1, tallier=t)
        # receipts are not retained
        rc, out, err = harness.sub(self.port, rt, count=1, wait=1)
        self.assertEqual(out, "", "a receipt was retained")

    def test_receipt_topic_outside_the_poll_gets_none(self):
        # A private broker, so that one subscription to '#' sees everything
        # that is published. The tallier handles the ballots in order and
        # publishes its receipts in that order: once the receipt of the last
        # ballot is seen, any receipt to an earlier bad topic would have been.
        broker = self.private_broker()
        port = broker.port
        t = self.tallier(broker=broker)
        cap = harness.Capture(port, "#")
        self.addCleanup(cap.close)
        other = self.poll_name("other")
        bad = ["elsewhere/receipt/x", "vote/%s/receipt/x" % other, self.topic + "/receipt/",
               self.topic + "/result", self.topic + "/receipts/x"]
        for i, topic in enumerate(bad):
            self.pub5(ballot_json("v%d" % i, "yes", poll=self.poll, id=harness.new_ballot_id(),
                                  ts=now_ms()), topic, port=port)
        # MQTT 3.1.1: a "reply" outside the poll's receipts gets none either
        # (whether that ballot counts is not checked here)
        harness.pub(port, self.topic, ballot_json("w311", "other", reply="elsewhere/receipt/y"))
        good = self.topic + "/receipt/ok"
        self.pub5(ballot_json("last", "no", poll=self.poll, id=ID_A, ts=now_ms()), good, port=port)

        seen = []
        deadline = time.monotonic() + 15
        while good not in [topic for topic, _ in seen] and time.monotonic() < deadline:
            for line in cap.fetch(count=1000, wait=1, fmt="%t %p"):
                topic, _, payload = line.partition(" ")
                seen.append((topic, payload))
        topics = [topic for topic, _ in seen]
        self.assertIn(good, topics, "no receipt for the last ballot:\n%s" % t.log())
        allowed = {self.topic, self.topic + "/result", good}
        self.assertEqual([x for x in seen if x[0] not in allowed], [],
                         "messages on topics the tallier should not publish to")
        self.assertEqual(topics.count(good), 1)
        # the ballots that asked for a receipt elsewhere are still counted
        want = {"yes": len(bad), "no": 1}
        r = harness.wait_result(port, self.poll,
                                lambda r: {k: r["counts"].get(k) for k in want} == want)
        self.assertEqual({k: (r or {}).get("counts", {}).get(k) for k in want}, want,
                         "result %r\n%s" % (r, t.log()))
        for topic in bad:
            self.assertEqual(t.count_log(r"^tallier: no receipt sent to %s: not a topic under "
                                         r"vote/%s/receipt/$"
                                         % (re.escape(topic), re.escape(self.poll))), 1, t.log())

    # -- no tallier

    def test_confirm_without_any_tallier_exits_4(self):
        start = time.monotonic()
        rc, out, err = self.confirm("yes", "ann", timeout=3)
        took = time.monotonic() - start
        self.assertEqual(rc, 4, "stdout=%r stderr=%r" % (out, err))
        self.assertEqual(out, "")
        self.assertEqual(err, "voter: the broker accepted the ballot, but no tallier confirmed it "
                         "within 3 s: it is not known to be counted (no tallier running, a broker queue "
                         "that was full and dropped it, or, with MQTT 3.1.1, a broker that refused it "
                         "without a word); vote again to know\n")
        self.assertLess(took, 6, "exit 4 after %.1f s with --timeout 3" % took)
        self.assertGreater(took, 2.5, "exit 4 after %.1f s with --timeout 3" % took)

    def test_confirm_while_tallier_stopped_counted_once_later(self):
        # the tallier's session exists (started once, then stopped): the
        # broker queues each copy the voter publishes; all carry one id
        t = self.tallier("-v")
        self.assertEqual(t.stop(), 0, t.log())
        cap = harness.Capture(self.port, self.topic)
        self.addCleanup(cap.close)
        start = time.monotonic()
        rc, out, err = self.confirm("yes", "ann", timeout=3)
        took = time.monotonic() - start
        self.assertEqual(rc, 4, "stdout=%r stderr=%r" % (out, err))
        self.assertEqual(err, "voter: the broker accepted the ballot, but no tallier confirmed it "
                         "within 3 s: it is not known to be counted (no tallier running, a broker queue "
                         "that was full and dropped it, or, with MQTT 3.1.1, a broker that refused it "
                         "without a word); vote again to know\n")
        self.assertLess(took, 6, "exit 4 after %.1f s with --timeout 3" % took)
        copies = cap.fetch(count=20, wait=2)
        self.assertGreaterEqual(len(copies), 2, "the voter did not publish its ballot again: %r"
                                % copies)
        self.assertEqual(len(set(copies)), 1, "copies differ: %r" % copies)
        ballot = json.loads(copies[0])

        t.start()
        t.wait_subscribed(count=2)
        harness.pub(self.port, self.topic, ballot_json("sentinel", "s"))  # queued after them
        self.assertResult(self.port, self.poll, {"yes": 1, "s": 1}, rejected=0, tallier=t)
        self.assertEqual(t.count_log(r"^tallier: vote/%s: ann -> yes: counted$"
                                     % re.escape(self.poll)), 1, t.log())
        self.assertEqual(t.count_log(r"^tallier: vote/%s: ann -> yes: duplicate, ignored$"
                                     % re.escape(self.poll)), len(copies) - 1, t.log())
        self.assertEqual(self.export(t)["ann"]["id"], ballot["id"])


if __name__ == "__main__":
    unittest.main()
