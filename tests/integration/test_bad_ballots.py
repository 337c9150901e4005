"""Bad ballots: each kind is rejected with its exact log line
("tallier: rejected ballot on <topic>: <reason>", one line per ballot),
counted in the poll's "rejected", and the tallier goes on counting: a valid
ballot before them stays counted, a valid ballot after them is counted.
Each test runs its own tallier on the shared broker (-t vote/<its poll>)."""

import json
import os
import re
import tempfile
import unittest

import harness
from harness import IntegrationCase

TEXT_RULE = "must be a string of 1 to 64 bytes of UTF-8 without control characters"
NUL_REASON = "a string holds \\u0000 (NUL), which is not accepted"
BAD_VOTER = "invalid field 'voter': " + TEXT_RULE
BAD_CHOICE = "invalid field 'choice': " + TEXT_RULE
BAD_ID = "invalid field 'id': must be a string of 32 hex digits"
BAD_TS = "invalid field 'ts': must be an integer from 0 to 2^53-1"
HEX32 = "0123456789abcdef0123456789abcdef"


class BadBallots(IntegrationCase):

    def setUp(self):
        self.broker = self.shared_broker()
        self.port = self.broker.port
        self.poll = self.poll_name()
        self.topic = "vote/" + self.poll

    def publish_file(self, data):
        """mosquitto_pub -f: the payload bytes exactly as given."""
        fd, path = tempfile.mkstemp(prefix="mqttvote-bad-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        self.addCleanup(os.unlink, path)
        harness.pub(self.port, self.topic, file=path)

    def check_rejected(self, cases, extra=()):
        """cases: [(payload str|bytes|None, reason)]. Publishes a valid
        ballot, then each bad one (waiting for its log line), then another
        valid one; asserts log lines, counts and rejected."""
        t = self.start_tallier(self.broker, topics=[self.topic], extra=list(extra))
        self.vote_ok(self.port, self.poll, "yes", "before")
        self.assertResult(self.port, self.poll, {"yes": 1}, tallier=t)
        prefix = "tallier: rejected ballot on %s: " % self.topic
        for n, (payload, reason) in enumerate(cases, 1):
            with self.subTest(payload=payload):
                if isinstance(payload, bytes):
                    self.publish_file(payload)
                else:
                    harness.pub(self.port, self.topic, payload)
                m = t.wait_for_log("^" + re.escape(prefix), count=n)
                self.assertEqual(m.string, prefix + reason)
        self.vote_ok(self.port, self.poll, "no", "after")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 1}, rejected=len(cases),
                          tallier=t)
        self.assertEqual(t.count_log("rejected ballot"), len(cases), t.log())
        return t

    def test_malformed_json(self):
        self.check_rejected([
            ('{"voter":"x",', "malformed JSON"),
            ("not json", "malformed JSON"),
            ('{"voter":"x","choice":"y"} trailing', "malformed JSON"),
            ("{'voter':'x','choice':'y'}", "malformed JSON"),
        ])

    def test_empty_payload(self):
        self.check_rejected([(None, "malformed JSON")])

    def test_not_an_object(self):
        self.check_rejected([
            ("[1,2]", "not a JSON object"),
            ('"yes"', "not a JSON object"),
            ("42", "not a JSON object"),
            ("null", "not a JSON object"),
        ])

    def test_missing_voter(self):
        self.check_rejected([('{"choice":"yes"}', "missing field 'voter'")])

    def test_missing_choice(self):
        self.check_rejected([('{"voter":"x"}', "missing field 'choice'")])

    def test_voter_not_a_string(self):
        self.check_rejected([
            ('{"voter":5,"choice":"yes"}', BAD_VOTER),
            ('{"voter":null,"choice":"yes"}', BAD_VOTER),
            ('{"voter":"","choice":"yes"}', BAD_VOTER),
            ('{"voter":"x","choice":["yes"]}', BAD_CHOICE),
        ])

    def test_bad_utf8(self):
        self.check_rejected([
            (b'{"voter":"\xff\xfe","choice":"yes"}', BAD_VOTER),
            (b'{"voter":"x","choice":"\xc0\xaf"}', BAD_CHOICE),        # overlong
            (b'{"voter":"\xed\xa0\x80","choice":"yes"}', BAD_VOTER),   # surrogate
            (b'{"voter":"x","choice":"ab\xe2\x82"}', BAD_CHOICE),      # cut short
        ])

    def test_control_characters(self):
        self.check_rejected([
            ('{"voter":"a\\u0001b","choice":"yes"}', BAD_VOTER),
            ('{"voter":"ab","choice":"y\\ne"}', BAD_CHOICE),
            ('{"voter":"a\\u007f","choice":"yes"}', BAD_VOTER),
            ('{"voter":"a\\u0085","choice":"yes"}', BAD_VOTER),
        ])

    def test_nul_character(self):
        # "\u0000" is valid JSON, but cJSON would cut the string at the NUL
        # ("a\u0000b" read as "a"): the tallier refuses it, wherever it is.
        self.check_rejected([
            ('{"voter":"a\\u0000b","choice":"yes"}', NUL_REASON),
            ('{"voter":"a","choice":"yes","note":"\\u0000"}', NUL_REASON),
        ])

    def test_too_long(self):
        self.check_rejected([
            (json.dumps({"voter": "v" * 65, "choice": "yes"}), BAD_VOTER),
            (json.dumps({"voter": "x", "choice": "c" * 65}), BAD_CHOICE),
            # 33 two-byte characters: 66 bytes
            (json.dumps({"voter": "é" * 33, "choice": "yes"}, ensure_ascii=False), BAD_VOTER),
        ])

    def test_longest_texts_count(self):
        t = self.start_tallier(self.broker, topics=[self.topic])
        harness.pub(self.port, self.topic,
                    json.dumps({"voter": "é" * 32, "choice": "c" * 64}, ensure_ascii=False))
        self.assertResult(self.port, self.poll, {"c" * 64: 1}, tallier=t)

    def test_bad_id(self):
        self.check_rejected([
            ('{"voter":"x","choice":"yes","id":"xyz"}', BAD_ID),
            ('{"voter":"x","choice":"yes","id":"%s"}' % HEX32[:31], BAD_ID),
            ('{"voter":"x","choice":"yes","id":"%s0"}' % HEX32, BAD_ID),
            ('{"voter":"x","choice":"yes","id":"%s"}' % ("g" * 32), BAD_ID),
            ('{"voter":"x","choice":"yes","id":12345}', BAD_ID),
        ])

    def test_bad_ts(self):
        self.check_rejected([
            ('{"voter":"x","choice":"yes","ts":-1}', BAD_TS),
            ('{"voter":"x","choice":"yes","ts":1.5}', BAD_TS),
            ('{"voter":"x","choice":"yes","ts":"1700000000000"}', BAD_TS),
            ('{"voter":"x","choice":"yes","ts":9007199254740992}', BAD_TS),
            ('{"voter":"x","choice":"yes","ts":true}', BAD_TS),
        ])

    def test_poll_mismatch(self):
        self.check_rejected([
            ('{"poll":"other","voter":"x","choice":"yes"}',
             "field 'poll' does not match the topic"),
            ('{"poll":5,"voter":"x","choice":"yes"}', "field 'poll' does not match the topic"),
        ])

    def test_payload_too_large(self):
        big = json.dumps({"voter": "x", "choice": "yes", "pad": ""})
        big = big[:-2] + "p" * (5000 - len(big)) + big[-2:]
        self.assertEqual(len(big), 5000)
        self.check_rejected([(big, "payload too large (5000 bytes, at most 4096)")])

    def test_payload_of_4096_bytes_counts(self):
        t = self.start_tallier(self.broker, topics=[self.topic])
        ok = json.dumps({"voter": "x", "choice": "yes", "pad": ""})
        ok = ok[:-2] + "p" * (4096 - len(ok)) + ok[-2:]
        self.assertEqual(len(ok), 4096)
        harness.pub(self.port, self.topic, ok)
        self.assertResult(self.port, self.poll, {"yes": 1}, tallier=t)

    def test_unknown_fields_ignored(self):
        t = self.start_tallier(self.broker, topics=[self.topic])
        harness.pub(self.port, self.topic,
                    '{"voter":"x","choice":"yes","note":{"a":[1,2,3]},"v":2}')
        self.assertResult(self.port, self.poll, {"yes": 1}, tallier=t)

    def test_mixed_bad_ballots_lose_nothing(self):
        # All kinds in a row, valid ballots in between: each valid one counts,
        # each bad one is rejected once. A valid ballot first: a refusal
        # never creates a poll, so one before the poll exists is not in its
        # rejected (0d40e6c).
        t = self.start_tallier(self.broker, topics=[self.topic])
        bad = [
            "{", "[]", '{"choice":"a"}', '{"voter":"a"}', '{"voter":"a\\u0001","choice":"a"}',
            '{"voter":"a","choice":"a","id":"1"}', '{"voter":"a","choice":"a","ts":-5}',
            '{"poll":"zz","voter":"a","choice":"a"}', "x" * 5000,
        ]
        want = {}
        for i, payload in enumerate(bad):
            choice = "c%d" % (i % 3)
            harness.pub(self.port, self.topic, json.dumps({"voter": "v%d" % i, "choice": choice}))
            want[choice] = want.get(choice, 0) + 1
            harness.pub(self.port, self.topic, payload)
        self.assertResult(self.port, self.poll, want, rejected=len(bad), tallier=t)
        self.assertEqual(t.count_log("rejected ballot on %s: " % re.escape(self.topic)),
                         len(bad), t.log())


if __name__ == "__main__":
    unittest.main()
