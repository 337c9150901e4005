"""The repository's mosquitto.conf, run as it is (moved only to a free
loopback port and a scratch persistence directory): it starts, the app
works through it, and it queues more than Mosquitto's default 1000 ballots
for a tallier that is offline."""

import unittest

import harness
from harness import IntegrationCase, ballot_json


class RepoConf(IntegrationCase):

    def test_queues_1500_ballots_for_an_offline_tallier(self):
        broker = self.private_broker(repo_conf=True)
        poll = self.poll_name()
        topic = "vote/" + poll
        client_id = self.client_id()
        # a first run creates the persistent session, then the tallier stops
        first = self.start_tallier(broker, topics=[topic], client_id=client_id)
        self.assertEqual(first.stop(), 0)
        # 1500 ballots while it is away: past Mosquitto's default limit of 1000
        lines = "".join(ballot_json("offline%04d" % i, "yes" if i % 3 else "no") + "\n"
                        for i in range(1500))
        rc, out, err = harness.run([harness.mosquitto_pub_path(), "-h", harness.HOST,
                                    "-p", str(broker.port), "-q", "1", "-t", topic, "-l"],
                                   input=lines.encode(), timeout=60)
        self.assertEqual(rc, 0, err)
        second = self.start_tallier(broker, topics=[topic], client_id=client_id)
        self.assertResult(broker.port, poll, {"yes": 1000, "no": 500}, total=1500, rejected=0,
                          timeout=30, tallier=second)

    def test_retained_results_survive_a_broker_restart(self):
        broker = self.private_broker(repo_conf=True)
        poll = self.poll_name()
        tallier = self.start_tallier(broker, topics=["vote/" + poll])
        self.vote_ok(broker.port, poll, "yes", voter="ann")
        self.assertResult(broker.port, poll, {"yes": 1}, tallier=tallier)
        self.assertEqual(tallier.stop(), 0)
        broker.restart()  # SIGTERM: mosquitto saves its database, persistence is on
        result = harness.get_result(broker.port, poll, timeout=5)
        self.assertIsNotNone(result, "no retained result after the restart")
        self.assertEqual((result["counts"], result["total"]), ({"yes": 1}, 1))


if __name__ == "__main__":
    unittest.main()
