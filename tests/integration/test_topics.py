"""The tallier's default filter vote/+ and a wide vote/#: ballots on
topics that are not vote/<valid poll> are rejected with a log line, the
tallier's own results are ignored, and counting goes on. These tests
subscribe to every poll, so each starts a private broker."""

import unittest

import harness
from harness import IntegrationCase

POLL_RULE = "poll name must be 1 to 64 characters from A-Z a-z 0-9 _ - ."
DEEP_RULE = "ballots go to vote/<poll>, one level below vote/, or vote/<poll>/by/<account>"


class DefaultFilter(IntegrationCase):

    def test_default_filter_counts_every_poll(self):
        broker = self.private_broker()
        t = self.start_tallier(broker)  # no -t: vote/+
        for poll, voter, choice in [("p1", "a", "yes"), ("p2", "a", "no"), ("p1", "b", "yes"),
                                    ("p3.x_y-Z", "c", "abstain")]:
            self.vote_ok(broker.port, poll, choice, voter)
        self.assertResult(broker.port, "p1", {"yes": 2}, tallier=t)
        self.assertResult(broker.port, "p2", {"no": 1}, tallier=t)
        self.assertResult(broker.port, "p3.x_y-Z", {"abstain": 1}, tallier=t)

    def test_invalid_poll_names_rejected(self):
        broker = self.private_broker()
        t = self.start_tallier(broker)
        self.vote_ok(broker.port, "good", "yes", "a")
        self.assertResult(broker.port, "good", {"yes": 1}, tallier=t)
        bad_topics = ["vote/a$b", "vote/a b", "vote/" + "p" * 65, "vote/é"]
        for n, topic in enumerate(bad_topics, 1):
            with self.subTest(topic=topic):
                harness.pub(broker.port, topic, '{"voter":"x","choice":"yes"}')
                m = t.wait_for_log(r"rejected ballot on ", count=n)
                self.assertEqual(m.string,
                                 "tallier: rejected ballot on %s: %s" % (topic, POLL_RULE))
        self.vote_ok(broker.port, "good", "no", "b")
        self.assertResult(broker.port, "good", {"yes": 1, "no": 1}, rejected=0, tallier=t)
        self.assertEqual(t.count_log("rejected ballot"), len(bad_topics), t.log())


class WideFilter(IntegrationCase):

    def test_deeper_topics_rejected_results_ignored(self):
        self.check_wide([])

    def test_deeper_topics_rejected_results_ignored_mqtt311(self):
        # MQTT 3.1.1 has no "no local": the tallier gets its own results back
        self.check_wide(["-V", "mqttv311"])

    def check_wide(self, extra):
        broker = self.private_broker()
        t = self.start_tallier(broker, topics=["vote/#"], extra=extra)
        self.vote_ok(broker.port, "deep", "yes", "a")
        self.assertResult(broker.port, "deep", {"yes": 1}, tallier=t)
        bad_topics = ["vote/deep/x", "vote/deep/x/y", "vote/deep/"]
        for n, topic in enumerate(bad_topics, 1):
            with self.subTest(topic=topic):
                harness.pub(broker.port, topic, '{"voter":"x","choice":"yes"}')
                m = t.wait_for_log(r"rejected ballot on ", count=n)
                self.assertEqual(m.string,
                                 "tallier: rejected ballot on %s: %s" % (topic, DEEP_RULE))
        self.vote_ok(broker.port, "deep", "no", "b")
        # the tallier's own vote/deep/result comes back through vote/#: not
        # a ballot, neither counted nor rejected
        self.assertResult(broker.port, "deep", {"yes": 1, "no": 1}, rejected=None, tallier=t)
        self.vote_ok(broker.port, "deep", "no", "c")
        self.assertResult(broker.port, "deep", {"yes": 1, "no": 2}, rejected=None, tallier=t)
        self.assertEqual(t.count_log("rejected ballot"), len(bad_topics), t.log())


if __name__ == "__main__":
    unittest.main()
