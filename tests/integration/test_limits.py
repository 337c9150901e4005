"""The tallier's limits and receipt rules of issue 10, end to end (real
broker, real tallier, real voter, mosquitto_pub and mosquitto_sub):

- a receipt topic longer than 128 bytes after vote/<poll>/receipt/, as a
  "reply" field or as an MQTT 5 Response Topic, costs no vote: the ballot
  counts, the log says why no receipt; 128 bytes still gets one;
- a ts more than --max-skew ahead of the tallier's clock is rejected with
  its reason, and the voter's later honest ballot counts;
- --max-polls and --max-choices: the ballot past the limit is rejected
  (log, receipt, voter --confirm exit 3) and makes no result;
- a poll with only refused ballots has no result; its first valid ballot
  makes one;
- a poll of 20 choices: receipts carry the total, not the counts, and
  voter --confirm still says what happened.

Each test names what the code before 0d40e6c did instead."""

import json
import re
import time
import unittest

import harness
from harness import IntegrationCase, ballot_json

R16 = "abcdefghijklmnop"
R128 = R16 * 8
ID_A = "0123456789abcdef0123456789abcdef"
ID_B = "fedcba9876543210fedcba9876543210"
TS_ADVICE = ": the voter's clock is fast or the tallier's slow; set the wrong one right and vote again"


def now_ms():
    return time.time_ns() // 1000000


class Limits(IntegrationCase):

    def setUp(self):
        self.broker = self.shared_broker()
        self.port = self.broker.port
        self.poll = self.poll_name()
        self.topic = "vote/" + self.poll

    def tallier(self, *extra, topics=None):
        return self.start_tallier(self.broker, topics=topics or [self.topic], extra=list(extra))

    def confirm(self, poll, choice, voter, extra=()):
        return harness.vote(self.port, poll, choice, voter=voter,
                            extra=["--confirm", "--timeout", "10"] + list(extra), timeout=30)

    def assertNoResult(self, poll):
        # Absence cannot be polled for: a bounded wait of 1 s (mosquitto_sub
        # -W 1) for a retained result that the tallier would have published
        # within about 100 ms of the ballot, after a condition that shows the
        # ballot was handled (its log line, or its receipt).
        self.assertIsNone(harness.get_result(self.port, poll, timeout=1),
                          "poll %s has a retained result" % poll)

    # -- receipt topics too long: the vote counts, no receipt, a log line

    def test_reply_field_longer_than_128_bytes_counts_without_receipt(self):
        # Before: rejected, "invalid field 'reply': must be a topic under
        # vote/<poll>/receipt/" (result rejected=1, no count).
        t = self.tallier()
        cap = harness.Capture(self.port, self.topic + "/receipt/#")
        self.addCleanup(cap.close)
        long_reply = self.topic + "/receipt/" + R128 + "x"
        ok_reply = self.topic + "/receipt/" + R128
        harness.pub(self.port, self.topic, ballot_json("ann", "yes", id=ID_A, reply=long_reply))
        t.wait_for_log(r"^tallier: no receipt for a ballot on %s: its field 'reply' is longer than "
                       r"128 bytes after %s/receipt/$" % (re.escape(self.topic), re.escape(self.topic)))
        self.assertResult(self.port, self.poll, {"yes": 1}, rejected=0, tallier=t)
        # 128 bytes: its receipt comes; it is the first one on the capture,
        # so none went out for the ballot before it (receipts go in order)
        harness.pub(self.port, self.topic, ballot_json("bob", "no", id=ID_B, reply=ok_reply))
        lines = cap.fetch(count=1, wait=5, fmt="%t %p")
        self.assertEqual(len(lines), 1, t.log())
        topic, payload = lines[0].split(" ", 1)
        self.assertEqual(topic, ok_reply)
        self.assertEqual(json.loads(payload), {"id": ID_B, "poll": self.poll, "status": "counted",
                                               "counts": {"yes": 1, "no": 1}, "total": 2})
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 1}, rejected=0, tallier=t)

    def test_response_topic_longer_than_128_bytes_counts_and_says_why_no_receipt(self):
        # Before: counted, but the log said "not a topic under
        # vote/<poll>/receipt/", which it is.
        t = self.tallier()
        cap = harness.Capture(self.port, self.topic + "/receipt/#")
        self.addCleanup(cap.close)
        long_rt = self.topic + "/receipt/" + R128 + "x"
        ok_rt = self.topic + "/receipt/" + R128
        harness.pub(self.port, self.topic, ballot_json("ann", "yes", id=ID_A),
                    extra=["-V", "5", "-D", "publish", "response-topic", long_rt])
        t.wait_for_log(r"^tallier: no receipt sent to %s: longer than 128 bytes after %s/receipt/$"
                       % (re.escape(long_rt), re.escape(self.topic)))
        self.assertResult(self.port, self.poll, {"yes": 1}, rejected=0, tallier=t)
        harness.pub(self.port, self.topic, ballot_json("bob", "no", id=ID_B),
                    extra=["-V", "5", "-D", "publish", "response-topic", ok_rt])
        lines = cap.fetch(count=1, wait=5, fmt="%t %p")
        self.assertEqual(len(lines), 1, t.log())
        topic, payload = lines[0].split(" ", 1)
        self.assertEqual(topic, ok_rt)
        self.assertEqual(json.loads(payload)["status"], "counted")

    # -- a ts too far ahead

    def test_ts_an_hour_ahead_is_rejected_and_the_voters_next_ballot_counts(self):
        # Before: counted, and it pinned eve's vote: her honest ballot
        # after it was older than the one held (result yes=1, no=0).
        t = self.tallier("--choices", "yes,no")
        # 999 ms over the hour: the whole seconds in the reason (rounded
        # up) are 3601 when the ballot takes less than a second to arrive
        harness.pub(self.port, self.topic, ballot_json("eve", "yes", id=ID_A,
                                                       ts=now_ms() + 3600 * 1000 + 999))
        t.wait_for_log(r"^tallier: rejected ballot on %s: ts is 3601 s ahead of the tallier's "
                       r"clock \(at most 5 s\)%s$" % (re.escape(self.topic), re.escape(TS_ADVICE)))
        rc, out, err = self.confirm(self.poll, "no", "eve")
        self.assertEqual(rc, 0, "stdout=%r stderr=%r" % (out, err))
        self.assertRegex(out, r"^voter: 'no' on %s counted by the tallier \(yes 0, no 1; ballot "
                         r"[0-9a-f]{32}\)\n$" % re.escape(self.poll))
        # rejected 0: the refusal came before the poll existed (no poll for it)
        self.assertResult(self.port, self.poll, {"yes": 0, "no": 1}, rejected=0, tallier=t)

    def test_max_skew_sets_the_bound(self):
        # Before: --max-skew was parsed but not enforced: the ballot two
        # minutes ahead was counted under --max-skew 60.
        wide, narrow = self.poll_name("wide"), self.poll_name("narrow")
        t_wide = self.start_tallier(self.broker, topics=["vote/" + wide], extra=["--max-skew", "7200"],
                                    client_id=self.client_id("wide"))
        t_narrow = self.start_tallier(self.broker, topics=["vote/" + narrow],
                                      extra=["--max-skew", "60"], client_id=self.client_id("narrow"))
        harness.pub(self.port, "vote/" + wide, ballot_json("eve", "yes", ts=now_ms() + 3600 * 1000))
        self.assertResult(self.port, wide, {"yes": 1}, rejected=0, tallier=t_wide)
        harness.pub(self.port, "vote/" + narrow, ballot_json("eve", "yes", ts=now_ms() + 120 * 1000 + 999))
        t_narrow.wait_for_log(r"^tallier: rejected ballot on vote/%s: ts is 121 s ahead of the "
                              r"tallier's clock \(at most 60 s\)%s$" % (re.escape(narrow), re.escape(TS_ADVICE)))
        harness.pub(self.port, "vote/" + narrow, ballot_json("eve", "no", ts=now_ms() + 30 * 1000))
        self.assertResult(self.port, narrow, {"no": 1}, rejected=0, tallier=t_narrow)

    # -- --max-polls, --max-choices

    def test_max_polls_rejects_the_ballot_of_one_poll_more(self):
        # Before: no limit: the 4th poll's ballot was counted (exit 0, a
        # result for it).
        polls = [self.poll_name("p%d" % k) for k in range(1, 5)]
        t = self.tallier("--max-polls", "3", topics=["vote/" + p for p in polls])
        for p in polls[:3]:
            self.vote_ok(self.port, p, "yes", "ann")
            self.assertResult(self.port, p, {"yes": 1}, rejected=0, tallier=t)
        rc, out, err = self.confirm(polls[3], "yes", "ann")
        self.assertEqual(rc, 3, "stdout=%r stderr=%r" % (out, err))
        self.assertEqual(err, "voter: 'yes' on %s rejected by the tallier: too many polls nobody defined: "
                         "this tallier keeps at most 3 (--max-polls); the organiser can define the poll "
                         "with pollctl open\n" % polls[3])
        t.wait_for_log(r"^tallier: rejected ballot on vote/%s: too many polls nobody defined: this tallier "
                       r"keeps at most 3 \(--max-polls\); the organiser can define the poll with pollctl open$"
                       % re.escape(polls[3]))
        self.assertNoResult(polls[3])
        # the polls that exist still count
        self.vote_ok(self.port, polls[1], "no", "bob")
        self.assertResult(self.port, polls[1], {"yes": 1, "no": 1}, rejected=0, tallier=t)

    def test_max_choices_rejects_a_new_choice_past_the_limit(self):
        # Before: no limit: "maybe" was counted as a third choice.
        t = self.tallier("--max-choices", "2")
        self.vote_ok(self.port, self.poll, "yes", "ann")
        self.vote_ok(self.port, self.poll, "no", "bob")
        rc, out, err = self.confirm(self.poll, "maybe", "cat")
        self.assertEqual(rc, 3, "stdout=%r stderr=%r" % (out, err))
        self.assertEqual(err, "voter: 'maybe' on %s rejected by the tallier: too many choices on "
                         "this poll: at most 2 (--max-choices); the organiser can define the poll's choices "
                         "with pollctl open\n" % self.poll)
        t.wait_for_log(r"^tallier: rejected ballot on %s: too many choices on this poll: at most 2 "
                       r"\(--max-choices\); the organiser can define the poll's choices with pollctl open$"
                       % re.escape(self.topic))
        # an existing choice still counts
        rc, out, err = self.confirm(self.poll, "yes", "cat")
        self.assertEqual(rc, 0, "stdout=%r stderr=%r" % (out, err))
        self.assertResult(self.port, self.poll, {"yes": 2, "no": 1}, rejected=1, tallier=t)

    # -- no result for a poll with only refused ballots

    def test_a_poll_with_only_garbage_has_no_result_until_a_valid_ballot(self):
        # Before: the garbage made the poll, and a retained result
        # {"counts": {}, "total": 0, "rejected": 1}.
        t = self.tallier()
        harness.pub(self.port, self.topic, "garbage")
        harness.pub(self.port, self.topic, '{"voter":"ann"}')
        t.wait_for_log(r"^tallier: rejected ballot on %s: missing field 'choice'$"
                       % re.escape(self.topic))
        self.assertNoResult(self.poll)
        self.vote_ok(self.port, self.poll, "yes", "ann")
        # refusals before the poll existed are not in its rejected
        self.assertResult(self.port, self.poll, {"yes": 1}, rejected=0, tallier=t)
        harness.pub(self.port, self.topic, "garbage")
        self.assertResult(self.port, self.poll, {"yes": 1}, rejected=1, tallier=t)

    def test_a_refused_receipt_on_a_poll_without_result_has_no_counts(self):
        # Before: the refusal made the poll and its receipt carried its
        # counts ({} here).
        t = self.tallier()
        cap = harness.Capture5(self.port, self.topic + "/receipt/#")
        self.addCleanup(cap.close)
        harness.pub(self.port, self.topic, '{"voter":"ann"}',
                    extra=["-V", "5", "-D", "publish", "response-topic", self.topic + "/receipt/r"])
        lines = cap.fetch(count=1, wait=5, fmt="%p")
        self.assertEqual(len(lines), 1, t.log())
        self.assertEqual(json.loads(lines[0]), {"poll": self.poll, "status": "rejected",
                                                "reason": "missing field 'choice'"})
        self.assertNoResult(self.poll)

    # -- small receipts

    def test_a_receipt_of_a_poll_of_20_choices_has_the_total_not_the_counts(self):
        # Before: the receipt carried all 20 counts and no total.
        choices = ["c%02d" % k for k in range(1, 21)]
        t = self.tallier("--choices", ",".join(choices))
        cap = harness.Capture5(self.port, self.topic + "/receipt/#")
        self.addCleanup(cap.close)
        harness.pub(self.port, self.topic, ballot_json("ann", "c01", id=ID_A),
                    extra=["-V", "5", "-D", "publish", "response-topic", self.topic + "/receipt/r"])
        lines = cap.fetch(count=1, wait=5, fmt="%p")
        self.assertEqual(len(lines), 1, t.log())
        self.assertEqual(json.loads(lines[0]), {"id": ID_A, "poll": self.poll, "status": "counted",
                                                "total": 1})
        rc, out, err = self.confirm(self.poll, "c07", "bob")
        self.assertEqual(rc, 0, "stdout=%r stderr=%r" % (out, err))
        self.assertEqual(err, "")
        self.assertRegex(out, r"^voter: 'c07' on %s counted by the tallier \(total 2; ballot [0-9a-f]{32}\)\n$"
                         % re.escape(self.poll))
        want = {c: 0 for c in choices}
        want.update({"c01": 1, "c07": 1})
        self.assertResult(self.port, self.poll, want, rejected=0, tallier=t)


if __name__ == "__main__":
    unittest.main()
