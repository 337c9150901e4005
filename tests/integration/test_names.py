"""Voter and choice names with an invisible Unicode format character
(category Cf): the voter refuses them as a usage error before it connects,
the tallier refuses them in --choices and rejects a ballot that holds one,
each time naming the code point."""

import re
import unittest

import harness
from harness import IntegrationCase, ballot_json

USAGE = "Use 'voter --help' to see usage.\n"


def reason(cp):
    return "contains an invisible format character U+%04X" % cp


class FormatCharacters(IntegrationCase):

    def test_voter_refuses_them_before_connecting(self):
        # a port that refuses connections: exit 2 (usage), never 1 (cannot connect)
        port = self.closed_port()
        cases = [
            (["-m", "yes\u200b"], "invalid choice: " + reason(0x200B)),
            (["-m", "\u00adno"], "invalid choice: " + reason(0xAD)),
            (["-m", "yes", "--voter", "\u202eann"], "invalid voter name: " + reason(0x202E)),
            (["-m", "yes", "--voter", "ann\U000e0001"], "invalid voter name: " + reason(0xE0001)),
            (["-m", "yes", "--voter", "\ufeffann"], "invalid voter name: " + reason(0xFEFF)),
        ]
        for args, msg in cases:
            with self.subTest(args=args):
                rc, out, err = harness.run_voter(["-h", harness.HOST, "-p", str(port),
                                                  "-t", "vote/p1"] + args)
                self.assertEqual((rc, out, err), (2, "", "voter: " + msg + "\n" + USAGE))

    def test_tallier_refuses_them_in_choices(self):
        rc, out, err = harness.run_tallier(["--choices", "yes,no\u2066"])
        self.assertEqual((rc, out), (2, ""))
        self.assertEqual(err, "tallier: invalid --choices 'yes,no\u2066': choice 'no\u2066' "
                         + reason(0x2066) + "\nUse 'tallier --help' to see usage.\n")

    def test_tallier_rejects_ballots_that_hold_them(self):
        broker = self.shared_broker()
        poll = self.poll_name()
        topic = "vote/" + poll
        t = self.start_tallier(broker, topics=[topic])
        self.vote_ok(broker.port, poll, "yes", "ann")
        prefix = "tallier: rejected ballot on %s: " % topic
        bad = [
            (ballot_json("bob", "yes\u200b"), "invalid field 'choice': " + reason(0x200B)),
            (ballot_json("ann\u202e", "no"), "invalid field 'voter': " + reason(0x202E)),
            # a JSON escape is decoded first: the same character
            ('{"voter":"cy","choice":"y\\u00ades"}', "invalid field 'choice': " + reason(0xAD)),
        ]
        for n, (payload, why) in enumerate(bad, 1):
            with self.subTest(payload=payload):
                harness.pub(broker.port, topic, payload)
                m = t.wait_for_log("^" + re.escape(prefix), count=n)
                self.assertEqual(m.string, prefix + why)
        self.assertResult(broker.port, poll, {"yes": 1}, rejected=len(bad), tallier=t)


if __name__ == "__main__":
    unittest.main()
