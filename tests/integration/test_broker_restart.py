"""The broker restarts (SIGTERM, then again on the same port with the same
persistence dir): the tallier reconnects by itself, subscribes again,
publishes its results again, and goes on counting. Private brokers."""

import os
import unittest

import harness
from harness import IntegrationCase, ballot_json


class BrokerRestart(IntegrationCase):

    def setUp(self):
        self.broker = self.private_broker()
        self.port = self.broker.port
        self.poll = self.poll_name()
        self.topic = "vote/" + self.poll

    def test_tallier_reconnects_and_counts(self):
        t = self.start_tallier(self.broker, topics=[self.topic])
        self.vote_ok(self.port, self.poll, "yes", "a")
        self.vote_ok(self.port, self.poll, "no", "b")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 1}, tallier=t)

        self.broker.restart()
        # published before or after the tallier is back: counted either way
        self.vote_ok(self.port, self.poll, "yes", "c")
        t.wait_subscribed(count=2, timeout=30)
        self.assertTrue(t.running(), t.log())
        self.vote_ok(self.port, self.poll, "yes", "d")
        self.vote_ok(self.port, self.poll, "yes", "b")  # a revote across the restart
        self.assertResult(self.port, self.poll, {"yes": 4}, tallier=t)
        self.assertEqual(t.stop(), 0, t.log())

    def test_results_republished_after_restart(self):
        t = self.start_tallier(self.broker, topics=[self.topic])
        self.vote_ok(self.port, self.poll, "yes", "a")
        self.vote_ok(self.port, self.poll, "yes", "b")
        self.assertResult(self.port, self.poll, {"yes": 2}, tallier=t)
        # A broker that comes back without its state (its database lost):
        # only a republication can bring the result back.
        self.broker.stop()
        os.unlink(os.path.join(self.broker.data_dir, "mosquitto.db"))
        self.broker.restart()
        self.assertIsNone(harness.get_result(self.port, "no-such-poll", timeout=1))
        t.wait_subscribed(count=2, timeout=30)
        self.assertResult(self.port, self.poll, {"yes": 2}, tallier=t)

    def test_two_restarts(self):
        t = self.start_tallier(self.broker, topics=[self.topic])
        for n in range(2, 4):
            self.vote_ok(self.port, self.poll, "x", "before-%d" % n)
            self.broker.restart()
            t.wait_subscribed(count=n, timeout=30)
        harness.pub(self.port, self.topic, ballot_json("after", "x"))
        self.assertResult(self.port, self.poll, {"x": 3}, tallier=t)
        self.assertEqual(t.stop(), 0, t.log())

    def test_sigterm_while_broker_down_exits_0(self):
        t = self.start_tallier(self.broker, topics=[self.topic])
        self.vote_ok(self.port, self.poll, "yes", "a")
        self.assertResult(self.port, self.poll, {"yes": 1}, tallier=t)
        self.broker.stop()
        self.assertEqual(t.stop(timeout=15), 0, t.log())


if __name__ == "__main__":
    unittest.main()
