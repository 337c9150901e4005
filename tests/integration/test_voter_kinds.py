"""The voter and pollctl with the question kinds (issue 21): voter --pick,
--rank and --value cast a multiple, ranked or scale ballot; the poll's
information (published retained by the test with mosquitto_pub, as the
tallier would, on a private broker without the ACL) refuses a ballot the
poll cannot take before anything is sent (exit 3, each reason); a valid
ballot of each kind goes out as the exact JSON; a signed ranked ballot
verifies in Python's cryptography over the v3 bytes of docs/contract.md;
pollctl open --kind sends the exact command JSON and prints the answer
that refuses it. No tallier: the answer to pollctl is published by the
test on the command's reply topic (MQTT 3.1.1), with the text the tallier
gives a kind it does not count yet."""

import json
import os
import subprocess
import tempfile
import threading
import unittest

import harness
import test_signed
from harness import HOST, IntegrationCase, run, run_voter

os.environ["TZ"] = "UTC"
USE_HELP = "Use 'voter --help' to see usage."
INSTANCE = "00112233445566778899aabbccddeeff"


def info_json(poll, kind, **params):
    """The information of an open poll of kind, every parameter written out."""
    info = {"poll": poll, "question": "Which?", "choices": ["Tea, hot", "Coffee", "Juice"],
            "status": "open", "opens": "2025-11-30T10:00:00.000Z", "closes": None, "closed": None,
            "results": "live", "revote": True, "defined": True, "signed": False, "instance": INSTANCE,
            "kind": kind}
    if kind == "scale":
        info["choices"] = None
    info.update(params)
    return json.dumps(info)


class VoterKinds(IntegrationCase):

    def setUp(self):
        self.broker = self.private_broker()
        self.poll = self.poll_name()

    def publish_info(self, kind, **params):
        harness.pub(self.broker.port, "vote/%s/info" % self.poll, info_json(self.poll, kind, **params), retain=True)

    def voter(self, *args):
        return run_voter(["-h", HOST, "-p", str(self.broker.port), "-t", "vote/" + self.poll] + list(args))

    def ballots(self):
        """A capture of vote/#: every ballot the voter published."""
        c = harness.Capture(self.broker.port, "vote/%s" % self.poll)
        self.addCleanup(c.close)
        return c

    def assertNotSent(self, args, reason):
        cap = self.ballots()
        rc, out, err = self.voter(*args)
        self.assertEqual((rc, out, err), (3, "", "voter: ballot not sent: %s\n" % reason), args)
        self.assertEqual(cap.fetch(count=1, wait=1), [], args)

    def assertSent(self, args, answer, words):
        """The ballot of args goes out: its JSON, beside its id and ts, is
        exactly poll, voter and answer (a dict of one field)."""
        cap = self.ballots()
        rc, out, err = self.voter("--voter", "alice", *args)
        self.assertEqual((rc, err), (0, ""), args)
        got = cap.fetch(count=1, wait=5)
        self.assertEqual(len(got), 1, got)
        ballot = json.loads(got[0])
        self.assertEqual(out, "voter: %s on %s accepted by %s:%d (ballot %s)\n"
                         % (words, self.poll, HOST, self.broker.port, ballot["id"]))
        want = '{"poll":"%s","voter":"alice",%s,"id":"%s","ts":%d}' % (
            self.poll, json.dumps(answer, separators=(",", ":"), ensure_ascii=False)[1:-1], ballot["id"],
            ballot["ts"])
        self.assertEqual(got[0], want)
        return ballot

    # -- the ballot of each kind

    def test_picks_are_sent_as_given_a_comma_splitting_nothing(self):
        self.publish_info("multiple", min_picks=1, max_picks=2)
        self.assertSent(["--pick", "Tea, hot", "--pick", "Coffee"], {"picks": ["Tea, hot", "Coffee"]},
                        "picks 'Tea, hot', 'Coffee'")

    def test_ranking_is_sent_most_preferred_first(self):
        self.publish_info("ranked", full=False)
        self.assertSent(["--rank", "Juice", "--rank", "Tea, hot"], {"ranking": ["Juice", "Tea, hot"]},
                        "ranking 'Juice', 'Tea, hot'")

    def test_value_is_sent_as_an_integer(self):
        self.publish_info("scale", low=-2, high=2, low_label="bad", high_label="good")
        self.assertSent(["--value", "-2"], {"value": -2}, "value -2")

    def test_without_information_the_ballot_goes_as_it_is(self):
        self.assertSent(["--rank", "b", "--rank", "a", "-V", "311"], {"ranking": ["b", "a"]}, "ranking 'b', 'a'")

    def test_info_says_the_kind(self):
        self.publish_info("ranked", full=True)
        rc, out, err = self.voter("--info")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out.splitlines()[1:3], ["  choices: Tea, hot, Coffee, Juice", "  kind:    ranked (full)"])
        self.publish_info("scale", low=1, high=5, low_label="bad", high_label="good")
        rc, out, err = self.voter("--info")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out.splitlines()[1], "  scale:   1 (bad) to 5 (good)")

    # -- refused before sending (exit 3)

    def test_answer_of_another_kind(self):
        self.publish_info("ranked", full=False)
        self.assertNotSent(["--pick", "Coffee"], "%s is a ranked poll: give --rank" % self.poll)
        self.assertNotSent(["-m", "Coffee"], "%s is a ranked poll: give --rank" % self.poll)
        self.assertNotSent(["--value", "3"], "%s is a ranked poll: give --rank" % self.poll)

    def test_picks_on_a_single_poll(self):
        info = json.loads(info_json(self.poll, "single"))
        del info["kind"]
        harness.pub(self.broker.port, "vote/%s/info" % self.poll, json.dumps(info), retain=True)
        self.assertNotSent(["--pick", "Coffee"], "%s is a single poll: give -m" % self.poll)

    def test_choice_not_on_offer(self):
        self.publish_info("multiple", min_picks=1, max_picks=2)
        self.assertNotSent(["--pick", "Tea", "--pick", "Coffee"],
                           "%s does not offer 'Tea' (it offers Tea, hot, Coffee, Juice)" % self.poll)
        self.publish_info("ranked", full=False)
        self.assertNotSent(["--rank", "Coffee", "--rank", "Water"],
                           "%s does not offer 'Water' (it offers Tea, hot, Coffee, Juice)" % self.poll)

    def test_too_few_or_too_many_picks(self):
        self.publish_info("multiple", min_picks=2, max_picks=2)
        self.assertNotSent(["--pick", "Coffee"], "%s takes 2 picks" % self.poll)
        self.publish_info("multiple", min_picks=1, max_picks=1)
        self.assertNotSent(["--pick", "Coffee", "--pick", "Juice"], "%s takes 1 pick" % self.poll)
        self.publish_info("multiple", min_picks=1, max_picks=2)
        self.assertNotSent(["--pick", "Coffee", "--pick", "Juice", "--pick", "Tea, hot"],
                           "%s takes 1 to 2 picks" % self.poll)

    def test_a_name_twice(self):
        self.publish_info("ranked", full=False)
        self.assertNotSent(["--rank", "Coffee", "--rank", "Juice", "--rank", "Coffee"], "'Coffee' is ranked twice")
        self.publish_info("multiple", min_picks=1, max_picks=3)
        self.assertNotSent(["--pick", "Juice", "--pick", "Juice"], "'Juice' is picked twice")

    def test_a_name_twice_without_information(self):
        self.assertNotSent(["--rank", "a", "--rank", "a"], "'a' is ranked twice")

    def test_a_full_ranking_that_leaves_a_choice_out(self):
        self.publish_info("ranked", full=True)
        self.assertNotSent(["--rank", "Coffee", "--rank", "Juice"],
                           "%s takes a full ranking: every one of Tea, hot, Coffee, Juice, once" % self.poll)

    def test_value_out_of_range(self):
        self.publish_info("scale", low=1, high=5, low_label=None, high_label=None)
        for value in ("0", "6", "-1000000"):
            self.assertNotSent(["--value", value], "%s takes a value from 1 to 5" % self.poll)

    # -- usage errors (exit 2)

    def test_one_answer_only(self):
        for args, message in (
                (["--pick", "a", "--rank", "b"], "--pick and --rank do not go together: a ballot carries one answer"),
                (["-m", "a", "--value", "3"], "-m/--message and --value do not go together: a ballot carries one answer"),
                (["--rank", "a", "--value", "3"], "--rank and --value do not go together: a ballot carries one answer"),
                ([], "missing option -m/--message"),
                (["--value", "4.5"], "invalid --value '4.5' (want an integer from -1000000 to 1000000)"),
                (["--value", "1000001"], "invalid --value '1000001' (want an integer from -1000000 to 1000000)"),
                (["--pick", ""], "invalid --pick: must be 1 to 64 bytes of UTF-8 without control characters"),
                (["--info", "--rank", "a"], "--info sends no ballot: --rank does not go with it")):
            rc, out, err = self.voter(*args)
            self.assertEqual((rc, out, err.splitlines()), (2, "", ["voter: " + message, USE_HELP]), args)

    # -- signed (v3)

    def test_a_signed_ranked_ballot_verifies_in_python(self):
        if test_signed.python_with_cryptography() is None:
            self.fail("no Python with the cryptography package: install python3-cryptography (scripts/setup.sh does)")
        self.publish_info("ranked", full=False, choices=["Juice", "caf\u00e9", "Tea, hot"])
        keydir = tempfile.mkdtemp(prefix="mqttvote-kinds-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", keydir]))
        key = os.path.join(keydir, "alice.pem")
        rc, out, err = run_voter(["--keygen", key, "--voter", "alice"])
        self.assertEqual(rc, 0, err)
        public = out.split()[1]
        cap = self.ballots()
        # the second name decomposed: sent (and signed) in NFC, as the voter keeps every name
        rc, out, err = self.voter("--voter", "alice", "--sign-key", key, "--rank", "Juice", "--rank", "cafe\u0301",
                                  "--rank", "Tea, hot")
        self.assertEqual((rc, err), (0, ""))
        got = cap.fetch(count=1, wait=5)
        self.assertEqual(len(got), 1, got)
        ballot = json.loads(got[0])
        self.assertEqual(ballot["ranking"], ["Juice", "caf\u00e9", "Tea, hot"])
        self.assertEqual(ballot["instance"], INSTANCE)
        swapped = dict(ballot, ranking=["Tea, hot", "caf\u00e9", "Juice"])
        p = subprocess.run([test_signed.python_with_cryptography(), "-c", test_signed.PY_SIGNER],
                           input=json.dumps({"verify": [{"public": public, "ballot": b, "instance": INSTANCE}
                                                        for b in (ballot, swapped)]}).encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(json.loads(p.stdout), [True, False])


class VoterKindsWithTallier(IntegrationCase):
    """A ranked ballot on a poll nobody defined (always single) is refused
    by the real tallier, and the voter says so with the ranking (exit 3)."""

    def test_a_ranking_on_a_single_poll_is_rejected_with_the_tallier_s_reason(self):
        broker = self.private_broker()
        self.start_tallier(broker)
        poll = self.poll_name()
        rc, out, err = run_voter(["-h", HOST, "-p", str(broker.port), "-t", "vote/" + poll, "--voter", "alice",
                                  "--rank", "b", "--rank", "a", "--confirm"])
        self.assertEqual((rc, out, err), (3, "", "voter: ranking 'b', 'a' on %s rejected by the tallier: "
                                          "this poll takes one choice ('choice')\n" % poll))


class KindsEndToEnd(IntegrationCase):
    """pollctl opens a poll of each kind on the real tallier, voter casts
    each kind with --confirm, and the retained result counts them."""

    def test_each_kind_from_pollctl_to_the_result(self):
        broker = self.private_broker(repo_conf=True)
        t = self.start_tallier(broker)
        polls = {}
        for kind, args in (("multiple", ["--choices", "Tea,Coffee,Juice", "--max-picks", "2"]),
                           ("ranked", ["--choices", "a,b,c"]),
                           ("scale", ["--low", "1", "--high", "5"])):
            poll = self.poll_name(kind[:3])
            polls[kind] = poll
            rc, out, err = run([harness.pollctl_path(), "-h", HOST, "-p", str(broker.tallier_port),
                                "open", poll, "--question", "Which?", "--kind", kind] + args)
            self.assertEqual((rc, err), (0, ""), out)
        answers = {"multiple": [["--pick", "Tea"], ["--pick", "Coffee", "--pick", "Tea"]],
                   "ranked": [["--rank", "b", "--rank", "a"], ["--rank", "b", "--rank", "c", "--rank", "a"]],
                   "scale": [["--value", "4"], ["--value", "1"]]}
        for kind, lists in answers.items():
            for voter, extra in zip(("ann", "bob"), lists):
                rc, out, err = run_voter(["-h", HOST, "-p", str(broker.port), "-t", "vote/" + polls[kind],
                                          "--voter", voter, "--confirm"] + extra)
                self.assertEqual((rc, err), (0, ""), (kind, out, t.log()))
        def counted(kind):
            """The retained result of the kind's poll once both voters are in it."""
            def both():
                r = harness.get_result(broker.port, polls[kind], timeout=2)
                return r if r and r.get("voters") == 2 else None
            result = harness.wait_for(both, 15)
            self.assertIsNotNone(result, t.log())
            return result
        result = counted("multiple")
        self.assertEqual((result["kind"], result["counts"]), ("multiple", {"Tea": 2, "Coffee": 1, "Juice": 0}), result)
        result = counted("scale")
        self.assertEqual((result["kind"], result["mean"], result["median"]), ("scale", "2.500", 2.5), result)
        result = counted("ranked")
        self.assertEqual((result["kind"], result["irv"]["winner"]), ("ranked", "b"), result)


class PollctlKinds(IntegrationCase):
    """pollctl open --kind: the command JSON on votectl, and the answer
    printed as any refusal (published by the test, MQTT 3.1.1 reply topic)."""

    REFUSAL = "kind '%s' is not counted by this tallier yet"

    def setUp(self):
        self.broker = self.private_broker()
        self.poll = self.poll_name()

    def open(self, kind, *args):
        """pollctl open POLL --kind kind ARGS, answered with the refusal;
        returns (rc, out, err, the command JSON as published)."""
        cap = harness.Capture(self.broker.port, "votectl")
        self.addCleanup(cap.close)
        got = []

        def answer():
            lines = cap.fetch(count=1, wait=10)
            got.extend(lines)
            if lines:
                reply = json.loads(lines[0])["reply"]
                harness.pub(self.broker.port, reply, json.dumps({"ok": False, "error": self.REFUSAL % kind}))

        t = threading.Thread(target=answer)
        t.start()
        rc, out, err = run([harness.pollctl_path(), "-h", HOST, "-p", str(self.broker.port), "-V", "311",
                            "-i", "org1", "--timeout", "15", "open", self.poll, "--question", "Which?",
                            "--kind", kind] + list(args))
        t.join()
        self.assertEqual(len(got), 1, (rc, out, err))
        return rc, out, err, got[0]

    def check(self, kind, args, params):
        rc, out, err, cmd = self.open(kind, *args)
        self.assertEqual((rc, out, err), (3, "", "pollctl: refused by the tallier: %s\n" % (self.REFUSAL % kind)))
        self.assertEqual(cmd, '{"cmd":"open","poll":"%s","question":"Which?",%s,"results":"live","revote":true,'
                              '"reply":"votectl/reply/org1"}' % (self.poll, params))

    def test_multiple(self):
        self.check("multiple", ["--choices", "Tea,Coffee,Juice", "--max-picks", "2"],
                   '"choices":["Tea","Coffee","Juice"],"kind":"multiple","min_picks":1,"max_picks":2')

    def test_multiple_defaults(self):
        self.check("multiple", ["--choices", "a,b,c", "--min-picks", "0"],
                   '"choices":["a","b","c"],"kind":"multiple","min_picks":0')

    def test_ranked_full(self):
        self.check("ranked", ["--choices", "a,b,c", "--full"], '"choices":["a","b","c"],"kind":"ranked","full":true')

    def test_scale(self):
        self.check("scale", ["--low", "1", "--high", "5", "--low-label", "bad", "--high-label", "good"],
                   '"kind":"scale","low":1,"high":5,"low_label":"bad","high_label":"good"')


class PollctlKindUsage(IntegrationCase):
    """Refused combinations: exit 2, nothing sent (a closed port)."""

    def test_refused_combinations(self):
        closed = self.closed_port()
        base = [harness.pollctl_path(), "-h", HOST, "-p", str(closed), "open", "p1", "--question", "q"]
        for args, message in (
                (["--choices", "a,b", "--full"], "--full goes with --kind ranked"),
                (["--choices", "a,b", "--kind", "ranked", "--max-picks", "1"], "--max-picks goes with --kind multiple"),
                (["--choices", "a,b", "--kind", "multiple", "--low", "1"], "--low goes with --kind scale"),
                (["--choices", "a,b", "--kind", "poll"],
                 "invalid --kind 'poll' (want single, multiple, ranked or scale)"),
                (["--kind", "scale", "--low", "1", "--high", "5", "--choices", "a,b"],
                 "--kind scale takes no --choices (its voters give a value from --low to --high)"),
                (["--kind", "scale", "--low", "1"], "--kind scale needs --low and --high"),
                (["--kind", "scale", "--low", "1", "--high", "102"],
                 "--high must be 1 to 100 more than --low (a scale of 2 to 101 values)"),
                (["--kind", "scale", "--low", "1.5", "--high", "3"],
                 "invalid --low '1.5' (want an integer from -1000000 to 1000000)"),
                (["--kind", "ranked", "--choices", "a"], "--kind ranked needs 2 choices at least"),
                (["--kind", "multiple", "--choices", "a,b", "--max-picks", "3"], "--max-picks 3 is more than the 2 choices"),
                (["--kind", "multiple", "--choices", "a,b", "--min-picks", "2", "--max-picks", "1"],
                 "--min-picks 2 is more than --max-picks (1)"),
                (["--kind", "multiple"], "open needs --choices")):
            rc, out, err = run(base + args)
            self.assertEqual((rc, out, err.splitlines()),
                             (2, "", ["pollctl: " + message, "Use 'pollctl --help' to see usage."]), args)
        rc, out, err = run([harness.pollctl_path(), "-p", str(closed), "close", "p1", "--kind", "ranked"])
        self.assertEqual((rc, err.splitlines()[0]), (2, "pollctl: --kind, --min-picks, --max-picks, --full, --low, "
                                                        "--high, --low-label and --high-label go with open"))


if __name__ == "__main__":
    unittest.main()
