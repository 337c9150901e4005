"""Ballots published while the tallier is stopped are kept by the broker in
the tallier's persistent session and counted when it starts again with the
same client id. Each test starts a private broker (a stopped tallier)."""

import re
import unittest

import harness
from harness import IntegrationCase, ballot_json


class Offline(IntegrationCase):

    def setUp(self):
        self.broker = self.private_broker()
        self.port = self.broker.port
        self.poll = self.poll_name()
        self.topic = "vote/" + self.poll

    def test_ballots_while_stopped_sigterm(self):
        t = self.start_tallier(self.broker, topics=[self.topic])
        self.assertEqual(t.stop(), 0, t.log())
        self.vote_ok(self.port, self.poll, "yes", "a")
        self.vote_ok(self.port, self.poll, "no", "b")
        self.vote_ok(self.port, self.poll, "yes", "c", extra=["-q", "2"])
        harness.pub(self.port, self.topic, ballot_json("d", "yes"))
        self.assertIsNone(harness.get_result(self.port, self.poll, timeout=1),
                          "a result before the tallier ran again")
        t.start()
        t.wait_subscribed(count=2)
        self.assertResult(self.port, self.poll, {"yes": 3, "no": 1}, tallier=t)
        self.assertEqual(t.stop(), 0, t.log())

    def test_ballots_while_killed(self):
        t = self.start_tallier(self.broker, topics=[self.topic])
        t.kill()
        for i in range(10):
            self.vote_ok(self.port, self.poll, "yes" if i % 2 else "no", "v%d" % i)
        t.start()
        self.assertResult(self.port, self.poll, {"yes": 5, "no": 5}, tallier=t)

    def test_revotes_and_bad_ballots_while_stopped(self):
        t = self.start_tallier(self.broker, topics=[self.topic])
        self.assertEqual(t.stop(), 0, t.log())
        self.vote_ok(self.port, self.poll, "yes", "bob")
        self.vote_ok(self.port, self.poll, "no", "bob")
        harness.pub(self.port, self.topic, "{oops")
        self.vote_ok(self.port, self.poll, "yes", "cat")
        t.start()
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 1}, rejected=1, tallier=t)
        self.assertEqual(
            t.count_log("^tallier: rejected ballot on %s: malformed JSON$"
                        % re.escape(self.topic)), 1,
            t.log())

    def test_many_ballots_while_stopped(self):
        t = self.start_tallier(self.broker, topics=[self.topic])
        self.assertEqual(t.stop(), 0, t.log())
        lines = "\n".join(ballot_json("m%03d" % i, ("a", "b", "c")[i % 3]) for i in range(300))
        rc, out, err = harness.run([harness.mosquitto_pub_path(), "-h", harness.HOST,
                                    "-p", str(self.port), "-q", "1", "-t", self.topic, "-l"],
                                   input=(lines + "\n").encode())
        self.assertEqual(rc, 0, err)
        t.start()
        self.assertResult(self.port, self.poll, {"a": 100, "b": 100, "c": 100}, timeout=20,
                          tallier=t)


if __name__ == "__main__":
    unittest.main()
