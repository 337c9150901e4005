"""Answers over MQTT 3.1.1 (issue 19, items 1 and 2): a client of MQTT
3.1.1 has no Response Topic and names where its answer goes in the
payload's "reply" field. The tallier reads that field as soon as the
payload is a JSON object, so an organiser's command or a ballot refused
for any other field is answered there exactly as MQTT 5's Response Topic
is answered (same JSON, same reason; a ballot's receipt names its id
when that field is valid, the only way a 3.1.1 client, which has no
Correlation Data, can tell which ballot was refused). A payload that is
no JSON object names nothing: it gets no answer, and the tallier's log
says why.

Before the fix (main at fabe389) every refusal below that comes from the
form of the command or the ballot got nothing over 3.1.1: the tallier
logged "no answer to the organiser's command: it names no topic under
votectl/reply/" for the commands, and sent no receipt for the ballots."""

import json
import re
import shutil
import time
import unittest

import harness
from harness import HOST, IntegrationCase, ballot_json

ID_A = "0123456789abcdef0123456789abcdef"
ID_B = "fedcba9876543210fedcba9876543210"
QUESTION_RULE = "'question' must be 1 to 500 bytes of UTF-8 without control characters"
CMD_RULE = "'cmd' must be \"open\", \"close\", \"show\" or \"list\""
POLL_RULE = "'poll': poll name must be 1 to 64 characters from A-Z a-z 0-9 _ - ."
SIG_RULE = ("invalid field 'sig': must be a string of 88 characters of base64 "
            "(a 64-byte Ed25519 signature)")


def now_ms():
    return time.time_ns() // 1000000


def with_reply(text, reply):
    """text, a JSON object, with "reply":reply added (text kept as it is,
    whatever else is wrong with it)."""
    assert text.startswith("{"), text
    return '{"reply":%s,%s' % (json.dumps(reply), text[1:])


def rr5(port, topic, text, response_topic, wait=5):
    """One request through mosquitto_rr (MQTT 5, Response Topic): the
    answer's text, "" when none came within wait s."""
    rc, out, err = harness.run([shutil.which("mosquitto_rr") or "/usr/bin/mosquitto_rr", "-h", HOST,
                                "-p", str(port), "-q", "1", "-t", topic, "-e", response_topic,
                                "-m", text, "-W", str(wait)], timeout=wait + 10)
    return out.strip()


class Commands311(IntegrationCase):
    """An organiser's commands on votectl, answered on votectl/reply/..."""

    def setUp(self):
        # a broker of its own: every tallier of a broker answers a command
        # it cannot read a poll from
        self.broker = self.private_broker()
        self.port = self.broker.port
        self.poll = self.poll_name()
        self.kept = self.poll_name("kept")  # a poll with a ballot, which nothing here may lose
        self.t = self.start_tallier(self.broker, topics=["vote/" + self.poll, "vote/" + self.kept],
                                    extra=["-v"])

    def cases(self):
        p, t = self.poll, now_ms()
        q = {"cmd": "open", "poll": p, "question": "Lunch?", "choices": ["yes", "no"]}
        return [
            # (name, command JSON without "reply", the error answered)
            ("duplicate choices", json.dumps(dict(q, choices=["a", "b", "a"])), "choices: 'a' given twice"),
            ("closes before opens", json.dumps(dict(q, opens=t + 7200000, closes=t + 3600000)),
             "'closes' must come after 'opens'"),
            ("empty question", json.dumps(dict(q, question="")), QUESTION_RULE),
            ("an unknown cmd", '{"cmd":"reopen","poll":"%s"}' % p, CMD_RULE),
            ("a poll name with +", '{"cmd":"show","poll":"a+b"}', POLL_RULE),
            ("choices not a list", '{"cmd":"open","poll":"%s","question":"q","choices":"a,b"}' % p, None),
            ("close of an unknown poll", '{"cmd":"close","poll":"%s"}' % p, "no poll '%s'" % p),
            ("show of an unknown poll", '{"cmd":"show","poll":"%s"}' % p, "no poll '%s'" % p),
        ]

    def test_every_refusal_is_answered_through_reply_as_through_the_response_topic(self):
        self.vote_ok(self.port, self.kept, "yes", "ann")
        self.assertResult(self.port, self.kept, {"yes": 1}, tallier=self.t)
        cases = self.cases()
        cap = harness.Capture(self.port, "votectl/reply/#")  # MQTT 3.1.1
        self.addCleanup(cap.close)
        for n, (name, text, _) in enumerate(cases):
            harness.pub(self.port, "votectl", with_reply(text, "votectl/reply/o311-%d" % n))
        lines = cap.fetch(count=len(cases), wait=8, fmt="%t\t%p")
        got = dict(line.split("\t", 1) for line in lines)
        for n, (name, text, error) in enumerate(cases):
            with self.subTest(case=name):
                answer = got.get("votectl/reply/o311-%d" % n)
                self.assertIsNotNone(answer, "no answer over 3.1.1 to %s\n%s" % (text, self.t.log()))
                answer = json.loads(answer)
                self.assertEqual(answer["ok"], False, answer)
                if error is not None:
                    self.assertEqual(answer, {"ok": False, "error": error})
                # MQTT 5 (Response Topic, no "reply" field): the same answer
                five = rr5(self.port, "votectl", text, "votectl/reply/o5-%d" % n)
                self.assertEqual(json.loads(five) if five else None, answer)
        self.assertEqual(self.t.count_log(r"^tallier: no answer"), 0, self.t.log())
        # nothing was defined, nothing counted was lost
        self.assertResult(self.port, self.kept, {"yes": 1}, tallier=self.t)
        rc, out, err = harness.sub(self.port, "vote/%s/info" % self.poll, wait=1)
        self.assertEqual(out, "")

    def test_a_command_that_is_no_json_object_gets_no_answer_and_the_log_says_why(self):
        cap = harness.Capture(self.port, "votectl/reply/#")
        self.addCleanup(cap.close)
        bad = [('{"cmd":"list","reply":"votectl/reply/o311-bad"', "malformed JSON"),
               ('["votectl/reply/o311-bad"]', "not a JSON object")]
        for text, _ in bad:
            harness.pub(self.port, "votectl", text)
        # answered in order: once this one is, the bad ones would have been
        harness.pub(self.port, "votectl", '{"cmd":"list","reply":"votectl/reply/o311-ok"}')
        lines = cap.fetch(count=3, wait=5, fmt="%t\t%p")
        self.assertEqual([line.split("\t")[0] for line in lines], ["votectl/reply/o311-ok"],
                         "%r\n%s" % (lines, self.t.log()))
        self.assertEqual(json.loads(lines[0].split("\t", 1)[1]), {"ok": True, "polls": []})
        for _, why in bad:
            self.assertEqual(self.t.count_log(r"^tallier: no answer to the organiser's command: it is no JSON "
                                              r"object \(%s\), so it names no topic to answer to$" % why),
                             1, self.t.log())
        # a JSON object that names no reply topic: the log says that
        harness.pub(self.port, "votectl", '{"cmd":"list"}')
        self.t.wait_for_log(r"^tallier: no answer to the organiser's command: it names no topic under "
                            r"votectl/reply/$")

    def test_pollctl_311_exits_3_with_the_reason(self):
        # the refusals pollctl can send (it checks the command's form itself)
        for args, error in ((["close", self.poll], "no poll '%s'" % self.poll),
                            (["show", self.poll], "no poll '%s'" % self.poll)):
            rc, out, err = harness.run([harness.pollctl_path(), "-h", HOST, "-p", str(self.port),
                                        "-V", "mqttv311", "--timeout", "5"] + args)
            self.assertEqual((rc, out, err), (3, "", "pollctl: refused by the tallier: %s\n" % error))
        rc, out, err = harness.run([harness.pollctl_path(), "-h", HOST, "-p", str(self.port), "-V", "mqttv311",
                                    "--timeout", "5", "open", self.poll, "--question", "q", "--choices", "a,b"])
        self.assertEqual((rc, err), (0, ""), out)


class Ballots311(IntegrationCase):
    """Ballots refused for the form of a field: their receipt through
    "reply"."""

    def setUp(self):
        self.broker = self.shared_broker()
        self.port = self.broker.port
        self.poll = self.poll_name()
        self.topic = "vote/" + self.poll

    def test_a_ballot_refused_for_a_field_gets_its_receipt_through_reply(self):
        t = self.start_tallier(self.broker, topics=[self.topic], extra=["--choices", "yes,no"])
        self.vote_ok(self.port, self.poll, "yes", "ann")  # the poll exists: receipts carry its counts
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 0}, tallier=t)
        ts = now_ms()
        cases = [
            # (name, ballot JSON without "reply", the reason)
            ("an 87-character sig", ballot_json("bob", "no", id=ID_A, ts=ts, sig="A" * 85 + "=="), SIG_RULE),
            ("a poll field that does not match", ballot_json("bob", "no", poll="other", id=ID_A, ts=ts),
             "field 'poll' does not match the topic"),
            ("no choice", json.dumps({"voter": "bob", "id": ID_A}), "missing field 'choice'"),
            ("an id of 31 digits", ballot_json("bob", "no", id=ID_A[:31]),
             "invalid field 'id': must be a string of 32 hex digits"),
            ("an invisible character in voter", ballot_json("bo\u200bb", "no", id=ID_B),
             "invalid field 'voter': contains an invisible or format character U+200B"),
            ("a ts below 0", ballot_json("bob", "no", ts=-1),
             "invalid field 'ts': must be an integer from 0 to 2^53-1"),
        ]
        cap = harness.Capture(self.port, self.topic + "/receipt/#")   # MQTT 3.1.1
        cap5 = harness.Capture5(self.port, self.topic + "/receipt/#")
        self.addCleanup(cap.close)
        self.addCleanup(cap5.close)
        for n, (name, text, _) in enumerate(cases):
            harness.pub(self.port, self.topic, with_reply(text, "%s/receipt/r311-%d" % (self.topic, n)))
        got = dict(line.split("\t", 1) for line in cap.fetch(count=len(cases), wait=8, fmt="%t\t%p"))
        for n, (name, text, _) in enumerate(cases):
            harness.pub(self.port, self.topic, text,
                        extra=["-V", "5", "-D", "publish", "response-topic", "%s/receipt/r5-%d" % (self.topic, n)])
        got5 = dict(line.split("\t", 1) for line in cap5.fetch(count=2 * len(cases), wait=8, fmt="%t\t%p"))
        for n, (name, text, reason) in enumerate(cases):
            with self.subTest(case=name):
                receipt = got.get("%s/receipt/r311-%d" % (self.topic, n))
                self.assertIsNotNone(receipt, "no receipt over 3.1.1 for %s\n%s" % (text, t.log()))
                want = {"poll": self.poll, "status": "rejected", "reason": reason,
                        "counts": {"yes": 1, "no": 0}, "total": 1}
                sent = json.loads(text).get("id")
                if sent in (ID_A, ID_B):  # a valid id is named, refused or not
                    want = dict(want, id=sent)
                self.assertEqual(json.loads(receipt), want)
                self.assertEqual(json.loads(got5.get("%s/receipt/r5-%d" % (self.topic, n), "null")), want)
        # each refusal counted once per copy, the vote counted before kept
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 0}, rejected=2 * len(cases), tallier=t)

    def test_voter_311_exits_3_on_a_refusal(self):
        t = self.start_tallier(self.broker, topics=[self.topic], extra=["--choices", "yes,no"])
        rc, out, err = harness.vote(self.port, self.poll, "maybe", voter="ann",
                                    extra=["--confirm", "--timeout", "10", "-V", "mqttv311"], timeout=30)
        self.assertEqual((rc, out, err), (3, "", "voter: 'maybe' on %s rejected by the tallier: unknown choice "
                                          "'maybe'\n" % self.poll), t.log())


if __name__ == "__main__":
    unittest.main()
