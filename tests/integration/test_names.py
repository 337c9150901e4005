"""Voter and choice names and questions under the Unicode rules of
common/textrule.c (docs/contract.md, "Text rules"): no invisible or format
character outside an emoji sequence, NFC (a composed and a decomposed "é"
are one name), and no new choice confusable with one of the same poll.
The voter and pollctl refuse bad text as a usage error before they
connect, the tallier refuses it in --choices and rejects a ballot that
holds it, each time naming the code point or the look-alike."""

import os
import re
import subprocess
import unittest

import harness
from harness import HOST, IntegrationCase, ballot_json

USAGE = "Use 'voter --help' to see usage.\n"
TEACHER = "\U0001F469\u200d\U0001F3EB"  # woman teacher: an RGI emoji ZWJ sequence
CYRILLIC_A = "\u0430"
# "yes" and each invisible code point issue 19 names: eight results that all read "yes"
LOOK_ALIKES = [0x034F, 0xFE00, 0xFE0F, 0xE0100, 0x115F, 0x3164, 0x2800, 0x17B4]


def reason(cp):
    return "contains an invisible or format character U+%04X" % cp


def confusable(new, old):
    return "'%s' looks like '%s' (confusable, Unicode TR 39)" % (new, old)


class InvisibleCharacters(IntegrationCase):

    def test_voter_refuses_them_before_connecting(self):
        # a port that refuses connections: exit 2 (usage), never 1 (cannot connect)
        port = self.closed_port()
        cases = [
            (["-m", "yes\u200b"], "invalid choice: " + reason(0x200B)),
            (["-m", "\u00adno"], "invalid choice: " + reason(0xAD)),
            (["-m", "yes", "--voter", "\u202eann"], "invalid voter name: " + reason(0x202E)),
            (["-m", "yes", "--voter", "ann\U000e0001"], "invalid voter name: " + reason(0xE0001)),
            (["-m", "yes", "--voter", "\ufeffann"], "invalid voter name: " + reason(0xFEFF)),
            (["-m", "yes", "--voter", "\u3164"], "invalid voter name: " + reason(0x3164)),
            (["-m", "\u00a0 "], "invalid choice: has no visible character"),
            (["-m", "a\u200db"], "invalid choice: " + reason(0x200D)),
        ] + [(["-m", "yes" + chr(cp)], "invalid choice: " + reason(cp)) for cp in LOOK_ALIKES]
        for args, msg in cases:
            with self.subTest(args=args):
                rc, out, err = harness.run_voter(["-h", harness.HOST, "-p", str(port),
                                                  "-t", "vote/p1"] + args)
                self.assertEqual((rc, out, err), (2, "", "voter: " + msg + "\n" + USAGE))

    def test_tallier_refuses_them_and_confusable_ones_in_choices(self):
        for choices, why in [("yes,no\u2066", "choice 'no\u2066' " + reason(0x2066)),
                             ("yes,no\u2800", "choice 'no\u2800' " + reason(0x2800)),
                             ("a,b," + CYRILLIC_A, "choice " + confusable(CYRILLIC_A, "a")),
                             ("caf\u00e9,cafe\u0301", "choice 'caf\u00e9' given twice")]:
            with self.subTest(choices=choices):
                rc, out, err = harness.run_tallier(["--choices", choices])
                self.assertEqual((rc, out), (2, ""))
                self.assertEqual(err, "tallier: invalid --choices '%s': %s\nUse 'tallier --help' to see usage.\n"
                                 % (choices, why))

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
        ] + [(ballot_json("v%d" % n, "yes" + chr(cp)), "invalid field 'choice': " + reason(cp))
             for n, cp in enumerate(LOOK_ALIKES)]
        for n, (payload, why) in enumerate(bad, 1):
            with self.subTest(payload=payload):
                harness.pub(broker.port, topic, payload)
                m = t.wait_for_log("^" + re.escape(prefix), count=n)
                self.assertEqual(m.string, prefix + why)
        # one result that reads "yes", not nine
        self.assertResult(broker.port, poll, {"yes": 1}, rejected=len(bad), tallier=t)


class NormalForm(IntegrationCase):

    def test_composed_and_decomposed_e_are_one_choice_and_one_voter(self):
        broker = self.shared_broker()
        poll = self.poll_name()
        topic = "vote/" + poll
        t = self.start_tallier(broker, topics=[topic])
        harness.pub(broker.port, topic, ballot_json("ann", "caf\u00e9"))
        harness.pub(broker.port, topic, ballot_json("bob", "cafe\u0301"))
        self.assertResult(broker.port, poll, {"caf\u00e9": 2}, tallier=t)
        # the voter sends the NFC form; the same voter, composed, is the same voter
        rc, out, err = harness.vote(broker.port, poll, "cafe\u0301", voter="Rene\u0301", extra=["--confirm"])
        self.assertEqual((rc, err), (0, ""), out)
        rc, out, err = harness.vote(broker.port, poll, "th\u00e9", voter="Ren\u00e9", extra=["--confirm"])
        self.assertEqual((rc, err), (0, ""), out)
        self.assertResult(broker.port, poll, {"caf\u00e9": 2, "th\u00e9": 1}, tallier=t)


class ConfusableChoices(IntegrationCase):

    def test_a_confusable_new_choice_is_refused_with_its_reason_in_the_receipt(self):
        broker = self.shared_broker()
        poll = self.poll_name()
        t = self.start_tallier(broker, topics=["vote/" + poll])
        self.vote_ok(broker.port, poll, "a", "ann")
        rc, out, err = harness.vote(broker.port, poll, CYRILLIC_A, voter="bob", extra=["--confirm"])
        self.assertEqual((rc, out, err), (3, "", "voter: '%s' on %s rejected by the tallier: choice %s\n"
                                          % (CYRILLIC_A, poll, confusable(CYRILLIC_A, "a"))))
        # a choice that only looks different is counted; so is the same one again
        self.vote_ok(broker.port, poll, "b", "bob")
        self.vote_ok(broker.port, poll, "a", "cy")
        self.assertResult(broker.port, poll, {"a": 2, "b": 1}, rejected=1, tallier=t)


class PollctlText(IntegrationCase):

    def pollctl(self, port, *args):
        return harness.run([harness.pollctl_path(), "-h", HOST, "-p", str(port), "--timeout", "5"] + list(args))

    def test_question_and_choices_refused_as_usage_errors(self):
        port = self.closed_port()
        use = ["Use 'pollctl --help' to see usage."]
        for args, msg in [
                (["--question", "Lunch\u202e?", "--choices", "a,b"], "invalid --question: " + reason(0x202E)),
                (["--question", "Lunch\u200b?", "--choices", "a,b"], "invalid --question: " + reason(0x200B)),
                (["--question", "q", "--choices", "a," + CYRILLIC_A],
                 "invalid --choices 'a,%s': choice %s" % (CYRILLIC_A, confusable(CYRILLIC_A, "a"))),
        ]:
            with self.subTest(args=args):
                rc, out, err = self.pollctl(port, "open", "p1", *args)
                self.assertEqual((rc, out, err.splitlines()), (2, "", ["pollctl: " + msg] + use))

    def test_an_emoji_sequence_in_the_question_and_a_choice(self):
        broker = self.private_broker(repo_conf=True)
        self.start_tallier(broker)
        poll = self.poll_name()
        rc, out, err = self.pollctl(broker.tallier_port, "open", poll, "--question", "Best " + TEACHER + "?",
                                    "--choices", TEACHER + ",cafe\u0301")
        self.assertEqual((rc, err), (0, ""), out)
        self.assertEqual(out.splitlines()[:2], ["%s: Best %s?" % (poll, TEACHER),
                                                "  choices: %s, caf\u00e9" % TEACHER])
        self.vote_ok(broker.port, poll, TEACHER, "ann", extra=["--confirm"])
        self.vote_ok(broker.port, poll, "caf\u00e9", "bob", extra=["--confirm"])
        self.assertResult(broker.port, poll, {TEACHER: 1, "caf\u00e9": 1})



class OrganiserCommands(IntegrationCase):

    def test_the_tallier_applies_the_rules_to_commands_on_votectl(self):
        from test_polls import ctl  # mosquitto_rr, as test_polls sends commands
        broker = self.private_broker()
        poll = self.poll_name()
        t = self.start_tallier(broker, topics=["vote/" + poll])
        for fields, error in [
                ({"question": "Lunch\u202e?"}, "'question' " + reason(0x202E)),
                ({"question": "Lunch\u200b?"}, "'question' " + reason(0x200B)),
                ({"choices": ["a", "b", CYRILLIC_A]}, "choices: " + confusable(CYRILLIC_A, "a")),
                ({"choices": ["caf\u00e9", "cafe\u0301"]}, "choices: 'caf\u00e9' given twice"),
                ({"choices": ["yes\u3164", "no"]}, "choice 1: " + reason(0x3164)),
        ]:
            with self.subTest(fields=fields):
                cmd = dict({"cmd": "open", "poll": poll, "question": "Q", "choices": ["a", "b"]}, **fields)
                rc, answer, err = ctl(broker.port, cmd)
                self.assertEqual(answer, {"ok": False, "error": error})
        # NFC kept: the decomposed choice is offered composed
        rc, answer, err = ctl(broker.port, {"cmd": "open", "poll": poll, "question": "Caf\u0065\u0301 " + TEACHER,
                                            "choices": ["cafe\u0301", TEACHER]})
        self.assertEqual((answer["ok"], answer["info"]["question"], answer["info"]["choices"]),
                         (True, "Caf\u00e9 " + TEACHER, ["caf\u00e9", TEACHER]), answer)
        self.vote_ok(broker.port, poll, "cafe\u0301", "ann", extra=["--confirm"])
        harness.pub(broker.port, "vote/" + poll, ballot_json("bob", "cafe\u0301"))
        self.assertResult(broker.port, poll, {"caf\u00e9": 2, TEACHER: 0}, tallier=t)

if __name__ == "__main__":
    unittest.main()


class IcuOnDemand(IntegrationCase):
    """ICU is loaded when a text is not ASCII, not at every start (a
    program that links it pays about 4 ms at each start, which a voter in
    a script pays per ballot): the voter of an ASCII ballot never loads it,
    even when the poll's information holds a choice that is not ASCII (the
    tallier checked that list when it was made); the voter of a name that
    needs NFC loads it and sends the normal form."""

    def voter_loading(self, port, poll, choice, voter):
        """The voter's (rc, whether it loaded ICU's library), --confirm."""
        env = dict(os.environ, LD_DEBUG="files")
        p = subprocess.run([harness.voter_path(), "-h", HOST, "-p", str(port), "-t", "vote/" + poll,
                            "-m", choice, "--voter", voter, "--confirm"],
                           stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=30)
        return p.returncode, b"libicui18n.so" in p.stderr

    def test_ascii_ballots_never_load_it_and_others_do(self):
        broker = self.private_broker(repo_conf=True)
        t = self.start_tallier(broker)
        poll = self.poll_name()
        rc, out, err = harness.run([harness.pollctl_path(), "-h", HOST, "-p", str(broker.tallier_port),
                                    "open", poll, "--question", "Q?", "--choices", "yes,caf\u00e9"])
        self.assertEqual((rc, err), (0, ""), out)
        self.assertEqual(self.voter_loading(broker.port, poll, "yes", "ann"), (0, False))
        self.assertEqual(self.voter_loading(broker.port, poll, "cafe\u0301", "Rene\u0301"), (0, True))
        self.assertResult(broker.port, poll, {"yes": 1, "caf\u00e9": 1}, tallier=t)
