"""Retained ballots (issue 10): a message published with the retain flag on
vote/<poll> is delivered again at every subscription; the tallier takes a
delivery that carries the retain flag as a replay, not a ballot: not
counted, not in "rejected", at every start. With MQTT 5 it subscribes with
Retain Handling 2, so the broker sends none at all; with MQTT 3.1.1 it
gets them and logs "ignored a retained message on ...".

Before 0d40e6c the retained ballot (voter ann, no ts) was counted again at
every subscription, replacing ann's newer live ballot, and the retained
garbage added 1 to "rejected" at every start: the first assertResult
after a restart failed ({"no": 2} or {"yes": 1, "no": 1}, rejected 2).

A private broker: retained messages on vote/... must not reach the
talliers of other tests."""

import unittest

import harness
from harness import IntegrationCase, ballot_json

IGNORED = r"ignored a retained message on %s: a ballot is never retained"


class RetainedBallots(IntegrationCase):

    def run_case(self, version):
        broker = self.private_broker()
        port = broker.port
        held = self.poll_name("held")      # holds a retained valid ballot
        junk = self.poll_name("junk")      # holds a retained garbage payload
        topics = ["vote/" + held, "vote/" + junk]
        # retained before any tallier: ann's old ballot (no ts: by arrival
        # it would replace whatever ann has) and garbage
        harness.pub(port, "vote/" + held, ballot_json("ann", "no"), retain=True)
        harness.pub(port, "vote/" + junk, "this is not a ballot", retain=True)
        t = self.start_tallier(broker, topics=topics, extra=["-V", version])
        # ann's live ballot, and one on the other poll
        self.vote_ok(port, held, "yes", "ann", extra=["-V", version])
        self.vote_ok(port, junk, "yes", "bob", extra=["-V", version])
        self.assertResult(port, held, {"yes": 1}, rejected=0, tallier=t)
        self.assertResult(port, junk, {"yes": 1}, rejected=0, tallier=t)
        for start in (2, 3):  # two restarts, the same session (-i)
            self.assertEqual(t.stop(), 0, t.log())
            t.start()
            t.wait_subscribed(count=start)
            if version == "mqttv311":
                # the replays came and were ignored, each with its line
                t.wait_for_log(IGNORED % ("vote/" + held), count=start)
                t.wait_for_log(IGNORED % ("vote/" + junk), count=start)
            # a live ballot after the replays: counted, and it comes after
            # them, so the results below include whatever they did
            voter = "new%d" % start
            self.vote_ok(port, held, "yes", voter, extra=["-V", version])
            self.vote_ok(port, junk, "yes", voter, extra=["-V", version])
            self.assertResult(port, held, {"yes": start}, rejected=0, tallier=t)
            self.assertResult(port, junk, {"yes": start}, rejected=0, tallier=t)
        if version == "mqttv5":
            # Retain Handling 2: the broker sent no replay at all
            self.assertEqual(t.count_log(r"ignored a retained message"), 0, t.log())
        else:
            self.assertEqual(t.count_log(IGNORED % ("vote/" + held)), 3, t.log())
        self.assertEqual(t.count_log(r"rejected ballot"), 0, t.log())
        # what the database holds: ann's live ballot, not the retained one
        rc, out, err = harness.run_tallier(["--export", held, "--db", harness.tallier_db(t)])
        self.assertEqual(rc, 0, err)
        self.assertIn("\nann,yes,", out)
        self.assertNotIn("ann,no", out)

    def test_retained_ballots_are_never_counted_mqtt5(self):
        self.run_case("mqttv5")

    def test_retained_ballots_are_never_counted_mqtt311(self):
        self.run_case("mqttv311")


if __name__ == "__main__":
    unittest.main()
