"""What a ballot sent in another voter's name can learn of her ballot, and
how long it can hold her vote (issue 19, items 4 and 11), end to end: the
shipped mosquitto.conf (only the ports moved), a real tallier, pollctl,
the real voter as the classmate would run it, mosquitto_pub and
mosquitto_sub reading the receipts as any client may (on its own
vote/<poll>/receipt/<client id>).

- On a poll without revote whose results wait for the close, ballots in
  alice's name get the same answers (voter's exit code and message,
  receipts, retained results) whether she voted "yes" or "no". Before:
  `voter --voter alice -m yes` exited 0 ("already counted") where she had
  voted yes and 3 ("already voted") where she had voted no.
- A ballot in alice's name with a ts 290 s ahead is refused under the
  default bound, with a reason that says what is wrong, and her own
  revote right after counts. Before (default --max-skew 300): it was
  counted, and her revote exited 5 for almost five minutes.
- A ballot queued long ago (ts an hour in the past) still counts."""

import json
import re
import time
import unittest

import harness
from harness import IntegrationCase, ballot_json

TS_ADVICE = ": the voter's clock is fast or the tallier's slow; set the wrong one right and vote again"


def now_ms():
    return time.time_ns() // 1000000


class HeldBallot(IntegrationCase):

    def pollctl(self, broker, *args):
        rc, out, err = harness.run([harness.pollctl_path(), "-h", harness.HOST, "-p",
                                    str(broker.tallier_port), "--timeout", "10"] + list(args))
        self.assertEqual(rc, 0, "pollctl %s: stdout=%r stderr=%r" % (args, out, err))
        return out

    def voter(self, broker, poll, choice, voter):
        return harness.vote(broker.port, poll, choice, voter=voter,
                            extra=["--confirm", "--timeout", "10"], timeout=30)

    def receipt(self, cap, broker, poll, payload):
        """Publishes payload on vote/<poll> (public listener, MQTT 5) with
        a Response Topic that only cap's client may read; returns the
        receipt cap reads there."""
        rt = "vote/%s/receipt/%s" % (poll, cap.client_id)
        harness.pub(broker.port, "vote/" + poll, payload,
                    extra=["-V", "5", "-D", "publish", "response-topic", rt])
        lines = cap.fetch(count=1, wait=8)
        self.assertEqual(len(lines), 1, "no receipt on %s" % rt)
        return json.loads(lines[0])

    def shown(self, broker, poll, predicate):
        """The retained result of poll once predicate holds, without the
        fields that name the poll or the time."""
        r = harness.wait_result(broker.port, poll, predicate, timeout=10)
        self.assertTrue(r is not None and predicate(r), "result of %s: %r" % (poll, r))
        return {k: v for k, v in r.items() if k not in ("poll", "updated")}

    def test_a_ballot_in_a_voters_name_tells_nothing_of_her_choice(self):
        broker = self.private_broker(repo_conf=True)
        polls = {"yes": self.poll_name("a"), "no": self.poll_name("b")}  # alice's choice on each
        t = self.start_tallier(broker, topics=["vote/" + p for p in polls.values()])
        for held, poll in polls.items():
            self.pollctl(broker, "open", poll, "--question", "Lunch?", "--choices", "yes,no",
                         "--revote", "no", "--results", "after-close")
            for voter, choice in (("alice", held), ("bob", "no")):
                rc, out, err = self.voter(broker, poll, choice, voter)
                self.assertEqual(rc, 0, "stdout=%r stderr=%r" % (out, err))
                self.assertRegex(out, r"^voter: '%s' on %s counted by the tallier \(total \d; ballot "
                                 r"[0-9a-f]{32}\)\n$" % (choice, re.escape(poll)))

        # the classmate runs voter in alice's name, with each choice
        for choice in ("yes", "no"):
            seen = {}
            for held, poll in polls.items():
                rc, out, err = self.voter(broker, poll, choice, "alice")
                seen[held] = (rc, out, err.replace(poll, "POLL"))
            self.assertEqual(seen["yes"], seen["no"], "'%s' in alice's name" % choice)
            self.assertEqual(seen["yes"], (3, "", "voter: '%s' on POLL rejected by the tallier: "
                                                  "already voted\n" % choice))

        # and with mosquitto_pub, reading the receipts with mosquitto_sub:
        # later ballots of either choice, then an earlier one (which takes
        # the place of hers: the first ballot counts)
        cap = harness.Capture5(broker.port, "vote/+/receipt/#")
        self.addCleanup(cap.close)
        probes = [("yes", "1" * 32, now_ms()), ("no", "2" * 32, now_ms()), ("no", "3" * 32, 1000)]
        for choice, bid, ts in probes:
            seen = {}
            for held, poll in polls.items():
                seen[held] = self.receipt(cap, broker, poll, ballot_json("alice", choice, id=bid, ts=ts))
                seen[held].pop("poll")
                self.assertNotIn("counts", seen[held])
            self.assertEqual(seen["yes"], seen["no"], "'%s' at ts %d in alice's name" % (choice, ts))
        self.assertEqual(seen["yes"], {"id": "3" * 32, "status": "counted", "total": 2})
        # the results while open show the same too (the time aside)
        shown = {held: self.shown(broker, poll, lambda r: r.get("rejected") == 5)
                 for held, poll in polls.items()}
        self.assertEqual(shown["yes"], shown["no"])
        self.assertEqual(shown["yes"], {"total": 2, "rejected": 5, "status": "open",
                                        "results": "after-close"})
        # the very same ballot again is the only duplicate (QoS 1, voter --confirm)
        again = self.receipt(cap, broker, polls["yes"], ballot_json("alice", "no", id="3" * 32, ts=1000))
        self.assertEqual((again["status"], again.get("reason")), ("duplicate", None))

        # closed: nothing counted was lost, and the earlier ballot counts on both
        for poll in polls.values():
            self.pollctl(broker, "close", poll)
            r = self.shown(broker, poll, lambda r: r.get("status") == "closed")
            self.assertEqual((r["counts"], r["total"], r["rejected"]), ({"yes": 0, "no": 2}, 2, 5), t.log())

    def test_a_forged_ts_ahead_holds_a_vote_for_seconds_at_most(self):
        broker = self.shared_broker()
        poll = self.poll_name()
        t = self.start_tallier(broker, topics=["vote/" + poll])  # the default bound
        rc, out, err = self.voter(broker, poll, "yes", "alice")
        self.assertEqual(rc, 0, "stdout=%r stderr=%r" % (out, err))
        cap = harness.Capture5(broker.port, "vote/%s/receipt/#" % poll)
        self.addCleanup(cap.close)
        # 290 s ahead (999 ms more: the whole seconds, rounded up, are 291
        # when it takes less than a second to arrive)
        r = self.receipt(cap, broker, poll,
                         ballot_json("alice", "no", id="9" * 32, ts=now_ms() + 290 * 1000 + 999))
        self.assertEqual((r["status"], r.get("reason")),
                         ("rejected", "ts is 291 s ahead of the tallier's clock (at most 5 s)" + TS_ADVICE))
        # alice changes her mind at once: counted (before: exit 5, "a later
        # ballot of this voter counts", until her clock passed the forged ts)
        rc, out, err = self.voter(broker, poll, "no", "alice")
        self.assertEqual(rc, 0, "stdout=%r stderr=%r" % (out, err))
        self.assertRegex(out, r"^voter: 'no' on %s counted by the tallier \(no 1; ballot [0-9a-f]{32}\)\n$"
                         % re.escape(poll))
        # a ballot queued an hour ago, delivered now: counted
        t.stop()
        harness.pub(broker.port, "vote/" + poll, ballot_json("carl", "yes", id="8" * 32, ts=now_ms() - 3600 * 1000))
        t.start()
        t.wait_subscribed(count=2)
        self.assertResult(broker.port, poll, {"no": 1, "yes": 1}, rejected=1, tallier=t)


if __name__ == "__main__":
    unittest.main()
