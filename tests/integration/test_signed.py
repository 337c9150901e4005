"""Signed ballots (docs/security.md, "Signed ballots"): `voter --keygen` writes a
0600 key and prints the public line; `voter --sign-key` signs; a tallier
with `--roll` counts only ballots signed by a voter on its roll and refuses
the rest with their exact reasons (in the receipt, `voter --confirm` exit
3, and in its log); a replayed older ballot changes nothing; a ballot moved
to another poll is a bad signature; ballots signed by an independent
implementation (Python's `cryptography`) count. Each test runs its own
tallier on the shared broker."""

import base64
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import unittest

import harness
from harness import HOST, IntegrationCase

UNSIGNED = "unsigned ballot: this tallier counts only ballots signed by a voter on its roll"
TOO_OPEN = ("permissions 0644 for '%s' are too open: the key must be readable by its owner "
            "only (chmod 600)")
PUBLIC_LINE = re.compile(r"^(.+) ([A-Za-z0-9+/]{43}=)\n$")
NO_INSTANCE = "%s has no poll instance yet: signed ballots count once the organiser opens it (pollctl)"
WRONG_INSTANCE = "signature is not for this poll instance (this poll's is %s: sign again)"
NO_INSTANCE_VOTER = ("voter: cannot sign a ballot for %s: the tallier publishes no instance of %s (it does not "
                     "know %s yet: signed ballots count only on a poll that exists, the organiser opens it "
                     "with pollctl): ballot not sent\n")

# Signs ballots as docs/contract.md ("The signed bytes") specifies, with Python's cryptography: reads
# {"seed": hex, "ballots": [{poll, voter, choice, id, ts}], "instance": hex}
# on stdin, writes {"public": base64, "signed": [ballot with "sig"]} on
# stdout; or, given {"verify": [{public, ballot, instance}]}, writes the list
# of verdicts (true/false). The poll instance is signed, not sent: the
# ballot's "instance" field is only a hint (test_signed adds it or not).
PY_SIGNER = r'''
import base64, json, sys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

def field(raw):
    return str(len(raw)).encode() + b":" + raw + b","

def canonical(b, instance):
    if "choice" in b:  # a single choice: v2
        out = b"mqtt-vote ballot v2\0"
        for v in (b["poll"], instance, b["voter"], b["choice"], b["id"], str(b["ts"])):
            out += field(v.encode("utf-8"))
        return out
    # the other kinds: v3, the kind's word and its answer (names as sent, or the value)
    kind, answer = next((k, f) for k, f in (("multiple", "picks"), ("ranked", "ranking"), ("scale", "value"))
                        if f in b)
    if kind == "scale":
        answer = str(b["value"]).encode()
    else:
        answer = b"".join(field(name.encode("utf-8")) for name in b[answer])
    out = b"mqtt-vote ballot v3\0"
    for raw in (b["poll"].encode("utf-8"), instance.encode(), b["voter"].encode("utf-8"), kind.encode(), answer,
                b["id"].encode(), str(b["ts"]).encode()):
        out += field(raw)
    return out

req = json.load(sys.stdin)
if "verify" in req:
    verdicts = []
    for item in req["verify"]:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(item["public"]))
        try:
            key.verify(base64.b64decode(item["ballot"]["sig"]), canonical(item["ballot"], item["instance"]))
            verdicts.append(True)
        except InvalidSignature:
            verdicts.append(False)
    json.dump(verdicts, sys.stdout)
else:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(req["seed"]))
    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    signed = []
    for b in req["ballots"]:
        b = dict(b)
        b["sig"] = base64.b64encode(key.sign(canonical(b, req["instance"]))).decode()
        signed.append(b)
    json.dump({"public": base64.b64encode(pub).decode(), "signed": signed}, sys.stdout)
'''


def python_with_cryptography():
    """An interpreter that has Python's cryptography: this one, else
    Debian's /usr/bin/python3 (python3-cryptography). None when neither."""
    for exe in (sys.executable, "/usr/bin/python3"):
        if exe and os.access(exe, os.X_OK):
            p = subprocess.run([exe, "-c", "import cryptography.hazmat.primitives.asymmetric.ed25519"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if p.returncode == 0:
                return exe
    return None


class SignedCase(IntegrationCase):
    """A shared broker, keys made with voter --keygen, rolls."""

    def setUp(self):
        self.broker = self.shared_broker()
        self.port = self.broker.port
        self.poll = self.poll_name()
        self.topic = "vote/" + self.poll
        self.dir = tempfile.mkdtemp(prefix="mqttvote-signed-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.publics = {}

    # -- helpers

    def keygen(self, voter):
        """voter --keygen <dir>/<voter>.pem --voter voter, which must
        succeed; returns the key's path. Its public key goes to self.publics."""
        path = os.path.join(self.dir, voter + ".pem")
        rc, out, err = harness.run_voter(["--keygen", path, "--voter", voter])
        self.assertEqual((rc, err), (0, ""), out)
        m = PUBLIC_LINE.match(out)
        self.assertIsNotNone(m, "public line: %r" % out)
        self.assertEqual(m.group(1), voter)
        self.publics[voter] = m.group(2)
        return path

    def write_roll(self, voters, extra_lines=()):
        path = os.path.join(self.dir, "roll.txt")
        with open(path, "w") as f:
            f.write("# the roll of %s\n\n" % self.poll)
            for line in extra_lines:
                f.write(line + "\n")
            for v in voters:
                f.write("%s %s\n" % (v, self.publics[v]))
        return path

    def start_signed_tallier(self, voters, topics=None, extra=(), extra_lines=(), choices="yes,no",
                             open_poll=True):
        """A tallier with --roll; with open_poll, self.poll opened with
        pollctl (signed ballots count only on a poll that exists: it has
        its instance then)."""
        roll = self.write_roll(voters, extra_lines)
        t = self.start_tallier(self.broker, topics=topics or [self.topic], extra=["--roll", roll] + list(extra))
        if open_poll:
            self.open_poll(choices=choices)
        return t

    def pollctl(self, *args):
        return harness.run([harness.pollctl_path(), "-h", HOST, "-p", str(self.port), "--timeout", "5"]
                           + list(args))

    def open_poll(self, poll=None, choices="yes,no", extra=()):
        """pollctl open; returns the poll's information as published on
        vote/<poll>/info (its instance in it)."""
        poll = poll or self.poll
        rc, out, err = self.pollctl("open", poll, "--question", "Signed?", "--choices", choices, *extra)
        self.assertEqual((rc, err), (0, ""), out)
        return self.info(poll)

    def info(self, poll=None):
        rc, out, err = harness.sub(self.port, "vote/%s/info" % (poll or self.poll), wait=5)
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def confirm(self, choice, voter, key=None, poll=None):
        extra = ["--confirm", "--timeout", "10"] + (["--sign-key", key] if key else [])
        return harness.vote(self.port, poll or self.poll, choice, voter=voter, extra=extra)

    def assertCounted(self, choice, voter, key, poll=None):
        rc, out, err = self.confirm(choice, voter, key, poll)
        self.assertEqual(rc, 0, "stdout=%r stderr=%r" % (out, err))
        self.assertRegex(out, r"^voter: '%s' on %s counted by the tallier" % (re.escape(choice),
                                                                            re.escape(poll or self.poll)))

    def assertRefused(self, choice, voter, key, reason):
        """voter --confirm exits 3 with the tallier's reason."""
        rc, out, err = self.confirm(choice, voter, key)
        self.assertEqual((rc, out, err), (3, "", "voter: '%s' on %s rejected by the tallier: %s\n"
                                          % (choice, self.poll, reason)))

    def capture_ballots(self, poll=None):
        """What voters publish on vote/<poll>, caught with mosquitto_sub."""
        c = harness.Capture(self.port, "vote/" + (poll or self.poll))
        self.addCleanup(c.close)
        return c

    def rejected_lines(self, t, topic=None):
        prefix = "tallier: rejected ballot on %s: " % (topic or self.topic)
        return [line[len(prefix):] for line in t.log_lines() if line.startswith(prefix)]

    def python(self):
        exe = python_with_cryptography()
        if exe is None:
            self.fail("no Python with the cryptography package (tried %s and /usr/bin/python3): "
                      "install python3-cryptography (scripts/setup.sh does)" % sys.executable)
        return exe

    def run_python_signer(self, request):
        p = subprocess.run([self.python(), "-c", PY_SIGNER], input=json.dumps(request).encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return json.loads(p.stdout)

    # -- keys



class SignedBallots(SignedCase):

    def test_keygen_writes_a_0600_key_and_prints_the_public_line(self):
        path = self.keygen("alice@pc12")
        st = os.stat(path)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        with open(path) as f:
            pem = f.read()
        self.assertTrue(pem.startswith("-----BEGIN PRIVATE KEY-----\n"), pem)
        self.assertEqual(len(base64.b64decode(self.publics["alice@pc12"])), 32)

        # refused when the file exists, which is left as it was
        rc, out, err = harness.run_voter(["--keygen", path, "--voter", "alice@pc12"])
        self.assertEqual((rc, out, err), (1, "", "voter: '%s' already exists: not overwritten\n" % path))
        with open(path) as f:
            self.assertEqual(f.read(), pem)

        # the default voter name, as for a ballot: <login>@<host>
        other = os.path.join(self.dir, "default.pem")
        rc, out, err = harness.run_voter(["--keygen", other])
        self.assertEqual((rc, err), (0, ""))
        self.assertRegex(out, r"^[^@ ]+@[^@ ]+ [A-Za-z0-9+/]{43}=\n$")

    def test_key_problems_are_exit_1_before_anything_is_sent(self):
        key = self.keygen("alice")
        t = self.start_signed_tallier(["alice"])
        os.chmod(key, 0o644)
        rc, out, err = self.confirm("yes", "alice", key)
        self.assertEqual((rc, out, err), (1, "", "voter: " + TOO_OPEN % key + "\n"))
        missing = os.path.join(self.dir, "missing.pem")
        rc, out, err = self.confirm("yes", "alice", missing)
        self.assertEqual((rc, out, err),
                         (1, "", "voter: cannot open key '%s': no such file or directory\n" % missing))
        garbage = os.path.join(self.dir, "garbage.pem")
        with open(garbage, "w") as f:
            f.write("not a key\n")
        os.chmod(garbage, 0o600)
        rc, out, err = self.confirm("yes", "alice", garbage)
        self.assertEqual((rc, out, err), (1, "", "voter: key '%s' is not an Ed25519 private key in PEM "
                                          "(make one with voter --keygen)\n" % garbage))
        # nothing reached the tallier: the first ballot it sees is the good one
        os.chmod(key, 0o600)
        self.assertCounted("yes", "alice", key)
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 0}, rejected=0, tallier=t)
        self.assertEqual(self.rejected_lines(t), [])

    def test_an_invalid_roll_stops_the_tallier_at_start_with_the_line(self):
        self.keygen("alice")
        roll = self.write_roll(["alice", "alice"])
        t = harness.Tallier(self.port, self.client_id(), topics=[self.topic], extra=["--roll", roll])
        self.addCleanup(t.cleanup)
        self.assertTrue(harness.wait_for(lambda: not t.running(), 10))
        self.assertEqual(t.proc.returncode, 1)
        self.assertEqual(t.log(), "tallier: roll '%s' line 4: voter 'alice' is already on the roll "
                         "(line 3)\n" % roll)

    # -- counting and refusing

    def test_signed_ballots_count_and_every_other_is_refused_with_its_reason(self):
        alice, bob, mallory = self.keygen("alice"), self.keygen("bob"), self.keygen("mallory")
        t = self.start_signed_tallier(["alice", "bob"], extra=["--choices", "yes,no"])
        self.assertCounted("yes", "alice", alice)
        self.assertCounted("no", "bob", bob)

        self.assertRefused("yes", "carol", None, UNSIGNED)
        self.assertRefused("yes", "alice", None, UNSIGNED)
        self.assertRefused("no", "mallory", mallory, "voter 'mallory' is not on the roll")
        self.assertRefused("no", "alice", bob, "bad signature")  # bob's key, alice's name

        # made by hand: a signed ballot without id or ts, a forged sig
        sig = "A" * 86 + "=="
        harness.pub(self.port, self.topic, harness.ballot_json("alice", "no", ts=1, sig=sig))
        harness.pub(self.port, self.topic, harness.ballot_json("alice", "no", id=harness.new_ballot_id(),
                                                               sig=sig))
        harness.pub(self.port, self.topic, harness.ballot_json("alice", "no", id=harness.new_ballot_id(),
                                                               ts=1, sig=sig))
        t.wait_for_log("rejected ballot", count=7)
        self.assertEqual(self.rejected_lines(t), [
            UNSIGNED, UNSIGNED, "voter 'mallory' is not on the roll", "bad signature",
            "signed ballot without 'id'", "signed ballot without 'ts'", "bad signature"])
        # nothing counted was lost, nothing refused was counted
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 1}, rejected=7, tallier=t)
        self.assertCounted("no", "alice", alice)  # a later signed ballot still replaces
        self.assertResult(self.port, self.poll, {"yes": 0, "no": 2}, rejected=7, tallier=t)

    def test_signed_ballots_count_over_tcp_too(self):
        alice = self.keygen("alice")
        roll = self.write_roll(["alice"])
        t = harness.TcpTallier(self.port, self.client_id(), topics=[self.topic], extra=["--roll", roll])
        self.addCleanup(t.cleanup)
        port = t.wait_listening()
        t.wait_subscribed()
        # a poll nobody opened has no instance: nothing to sign for
        rc, out, err = harness.run_voter(["--tcp", "-h", harness.HOST, "-p", str(port), "-t", self.topic,
                                          "-m", "yes", "--voter", "alice", "--sign-key", alice])
        self.assertEqual((rc, out, err), (3, "", NO_INSTANCE_VOTER % ((self.poll,) * 3)))
        instance = self.open_poll()["instance"]
        # the voter asks the tallier for the information first
        self.assertEqual(harness.tcp_request(port, {"get": "info", "poll": self.poll})["instance"], instance)
        rc, out, err = harness.run_voter(["--tcp", "-h", harness.HOST, "-p", str(port), "-t", self.topic,
                                          "-m", "yes", "--voter", "alice", "--sign-key", alice])
        self.assertEqual(rc, 0, err)
        rc, out, err = harness.run_voter(["--tcp", "-h", harness.HOST, "-p", str(port), "-t", self.topic,
                                          "-m", "no", "--voter", "alice"])
        self.assertEqual((rc, err), (3, "voter: 'no' on %s rejected by the tallier: %s\n"
                                     % (self.poll, UNSIGNED)))
        r = harness.tcp_request(port, {"get": "result", "poll": self.poll})
        self.assertEqual((r["counts"], r["total"], r["rejected"]), ({"yes": 1, "no": 0}, 1, 1))

    # -- replays

    def test_a_replayed_older_ballot_changes_nothing(self):
        alice = self.keygen("alice")
        t = self.start_signed_tallier(["alice"], extra=["--revote", "yes", "-v"])
        cap = self.capture_ballots()
        self.assertCounted("yes", "alice", alice)
        self.assertCounted("no", "alice", alice)
        self.assertResult(self.port, self.poll, {"yes": 0, "no": 1}, tallier=t)
        old = [json.loads(m) for m in cap.fetch(count=2)]
        self.assertEqual([b["choice"] for b in old], ["yes", "no"])
        self.assertEqual(len(old[0]["sig"]), 88)

        # the old ballot again, byte for byte: older than the one held
        old[0].pop("reply")
        harness.pub(self.port, self.topic, json.dumps(old[0]))
        t.wait_for_log(r"vote/%s: alice -> yes: older than the ballot held, ignored" % re.escape(self.poll))
        self.assertResult(self.port, self.poll, {"yes": 0, "no": 1}, rejected=0, tallier=t)
        # and with a newer ts to pass it off as later: the signature breaks
        old[0]["ts"] += 10 ** 6
        harness.pub(self.port, self.topic, json.dumps(old[0]))
        t.wait_for_log("rejected ballot")
        self.assertEqual(self.rejected_lines(t), ["bad signature"])
        self.assertResult(self.port, self.poll, {"yes": 0, "no": 1}, rejected=1, tallier=t)

    def test_a_ballot_signed_for_one_poll_is_refused_on_another(self):
        alice = self.keygen("alice")
        other = self.poll_name("b")
        t = self.start_signed_tallier(["alice"], topics=[self.topic, "vote/" + other])
        cap = self.capture_ballots()
        self.assertCounted("yes", "alice", alice)
        ballot = json.loads(cap.fetch(count=1)[0])
        ballot.pop("reply")

        moved = dict(ballot, poll=other)
        harness.pub(self.port, "vote/" + other, json.dumps(moved))
        no_poll = dict(ballot)
        no_poll.pop("poll")
        harness.pub(self.port, "vote/" + other, json.dumps(no_poll))
        harness.pub(self.port, "vote/" + other, json.dumps(ballot))
        t.wait_for_log("rejected ballot on vote/" + re.escape(other), count=3)
        self.assertEqual(self.rejected_lines(t, "vote/" + other),
                         [NO_INSTANCE % other] * 2 + ["field 'poll' does not match the topic"])
        self.assertIsNone(harness.get_result(self.port, other))  # a refusal creates no poll
        # once the other poll exists, its instance is another
        other_instance = self.open_poll(other)["instance"]
        self.assertNotEqual(other_instance, ballot["instance"])
        harness.pub(self.port, "vote/" + other, json.dumps(moved))
        without = dict(moved)
        without.pop("instance")
        harness.pub(self.port, "vote/" + other, json.dumps(without))
        t.wait_for_log("rejected ballot on vote/" + re.escape(other), count=5)
        self.assertEqual(self.rejected_lines(t, "vote/" + other)[3:],
                         [WRONG_INSTANCE % other_instance, "bad signature"])
        self.assertResult(self.port, other, {"yes": 0, "no": 0}, rejected=2, tallier=t)
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 0}, rejected=0, tallier=t)

    # -- an independent implementation

    def test_ballots_signed_with_python_cryptography_count(self):
        seeds = {"py-ann": "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                 "py-bo \u00e9": os.urandom(32).hex()}
        for voter, seed in seeds.items():
            self.publics[voter] = self.run_python_signer({"seed": seed, "ballots": [], "instance": ""})["public"]
        self.assertEqual(self.publics["py-ann"], "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
        alice = self.keygen("alice")
        t = self.start_signed_tallier(["alice"] + list(seeds), choices="yes,caf\u00e9,no")
        instance = self.info()["instance"]
        self.assertRegex(instance, r"^[0-9a-f]{32}$")
        lines = []
        for n, (voter, seed) in enumerate(seeds.items()):
            ballot = {"poll": self.poll, "voter": voter, "choice": "yes" if n == 0 else "caf\u00e9",
                      "id": harness.new_ballot_id(), "ts": 1700000000000 + n}
            got = self.run_python_signer({"seed": seed, "ballots": [ballot], "instance": instance})
            signed = got["signed"][0]
            if n == 1:
                signed["instance"] = instance  # the hint, or not: the same
            lines.append(json.dumps(signed, ensure_ascii=False))
        for line in lines:
            harness.pub(self.port, self.topic, line)
        self.assertCounted("no", "alice", alice)
        self.assertResult(self.port, self.poll, {"yes": 1, "caf\u00e9": 1, "no": 1}, tallier=t)
        self.assertEqual(self.rejected_lines(t), [])

    def test_a_ballot_signed_over_decomposed_text_counts_in_nfc(self):
        # a client that signs and sends "Rene\u0301" and "cafe\u0301" (NFD): the
        # signature covers the bytes sent, the tallier counts the NFC forms,
        # and the roll's "Ren\u00e9" (NFC) is that voter (docs/contract.md, "The signed bytes")
        seed = os.urandom(32).hex()
        self.publics["Ren\u00e9"] = self.run_python_signer({"seed": seed, "ballots": [], "instance": ""})["public"]
        t = self.start_signed_tallier(["Ren\u00e9"], choices="caf\u00e9,th\u00e9")
        ballot = {"poll": self.poll, "voter": "Rene\u0301", "choice": "cafe\u0301",
                  "id": harness.new_ballot_id(), "ts": 1700000000000}
        got = self.run_python_signer({"seed": seed, "ballots": [ballot], "instance": self.info()["instance"]})
        harness.pub(self.port, self.topic, json.dumps(got["signed"][0], ensure_ascii=False))
        # and the same ballot with its text composed on the way: not what was signed
        composed = dict(got["signed"][0], voter="Ren\u00e9", choice="caf\u00e9", id=harness.new_ballot_id())
        harness.pub(self.port, self.topic, json.dumps(composed, ensure_ascii=False))
        self.assertResult(self.port, self.poll, {"caf\u00e9": 1, "th\u00e9": 0}, rejected=1, tallier=t)
        self.assertEqual(self.rejected_lines(t), ["bad signature"])

    def test_python_cryptography_verifies_what_voter_signs(self):
        alice = self.keygen("alice")
        t = self.start_signed_tallier(["alice"], choices="caf\u00e9 \u2713")
        instance = self.info()["instance"]
        cap = self.capture_ballots()
        self.assertCounted("caf\u00e9 \u2713", "alice", alice)
        ballot = json.loads(cap.fetch(count=1)[0])
        self.assertEqual(ballot["instance"], instance)
        tampered = dict(ballot, choice="no")
        verdicts = self.run_python_signer({"verify": [
            {"public": self.publics["alice"], "ballot": ballot, "instance": instance},
            {"public": self.publics["alice"], "ballot": tampered, "instance": instance},
            {"public": self.publics["alice"], "ballot": ballot, "instance": "0" * 32}]})
        self.assertEqual(verdicts, [True, False, False])
        self.assertResult(self.port, self.poll, {"caf\u00e9 \u2713": 1}, tallier=t)



class PollInstances(SignedCase):
    """Issue 19, item 8: a signature binds one poll instance, made by the
    tallier when the poll comes to exist in its database and published in
    its information; a signed ballot replayed into a later poll of the same
    name (a new database, the same roll) is refused, and the voter's own
    ballot there counts."""

    def test_a_ballot_signed_for_a_poll_is_refused_in_a_later_poll_of_the_same_name(self):
        alice = self.keygen("alice")
        roll = self.write_roll(["alice"])
        first = self.start_tallier(self.broker, topics=[self.topic], extra=["--roll", roll])
        old = self.open_poll(extra=["--revote", "no"]).get("instance")
        cap = self.capture_ballots()
        self.assertCounted("yes", "alice", alice)
        ballot = json.loads(cap.fetch(count=1)[0])
        ballot.pop("reply")
        self.assertEqual(first.stop(), 0)

        # a later poll of the same name: another tallier, a new database, the same roll
        later = self.start_tallier(self.broker, topics=[self.topic], extra=["--roll", roll, "-v"])
        new = self.open_poll(extra=["--revote", "no"]).get("instance")
        harness.pub(self.port, self.topic, json.dumps(ballot))  # replayed as it was
        stripped = dict(ballot)
        stripped.pop("instance", None)
        harness.pub(self.port, self.topic, json.dumps(stripped))  # without the hint
        # nothing counted, both refused
        self.assertResult(self.port, self.poll, {"yes": 0, "no": 0}, rejected=2, tallier=later)
        # alice's own ballot in the later poll counts (not "already voted")
        self.assertCounted("no", "alice", alice)
        self.assertResult(self.port, self.poll, {"yes": 0, "no": 1}, rejected=2, tallier=later)
        self.assertEqual(self.rejected_lines(later), [WRONG_INSTANCE % new, "bad signature"])
        self.assertEqual(ballot["instance"], old)
        self.assertNotEqual(new, old)

    def test_a_voter_refuses_to_sign_without_an_instance_and_sends_nothing(self):
        alice = self.keygen("alice")
        t = self.start_signed_tallier(["alice"], open_poll=False)
        cap = self.capture_ballots()
        rc, out, err = self.confirm("yes", "alice", alice)
        self.assertEqual((rc, out, err), (3, "", NO_INSTANCE_VOTER % ((self.poll,) * 3)))
        # a signed ballot made by hand for a poll that does not exist: refused, no poll made
        harness.pub(self.port, self.topic, harness.ballot_json("alice", "yes", id=harness.new_ballot_id(), ts=1,
                                                               sig="A" * 86 + "=="))
        t.wait_for_log("rejected ballot")
        self.assertEqual(self.rejected_lines(t), [NO_INSTANCE % self.poll])
        self.assertEqual(len(cap.fetch(count=1)), 1)  # the hand-made one only: voter sent nothing
        self.assertIsNone(harness.get_result(self.port, self.poll))
        self.open_poll()
        self.assertCounted("yes", "alice", alice)

    def test_an_upgraded_database_keeps_its_ballots_and_gives_each_poll_an_instance(self):
        alice, bob = self.keygen("alice"), self.keygen("bob")
        roll = self.write_roll(["alice", "bob"])
        t = self.start_tallier(self.broker, topics=[self.topic])  # no roll: unsigned ballots
        self.assertCounted("yes", "carol", None)
        self.assertEqual(t.stop(), 0)
        db = os.path.join(t.log_dir, "tally.db")
        # back to schema 3: no instances (nor the kinds of schema 5)
        with sqlite3.connect(db) as con:
            con.execute("ALTER TABLE ballots DROP COLUMN kind")
            for column in ("kind", "min_picks", "max_picks", "full", "low", "high", "low_label", "high_label"):
                con.execute("ALTER TABLE polldefs DROP COLUMN " + column)
            con.execute("DROP TABLE instances")
            con.execute("PRAGMA user_version = 3")
        con.close()
        # the same database with a roll: upgraded, the poll gets its instance and publishes it
        t.extra = ["--roll", roll]
        t.start()
        t.wait_subscribed(count=2)
        info = self.info()
        self.assertRegex(info["instance"], r"^[0-9a-f]{32}$")
        self.assertEqual((info["defined"], info["signed"]), (False, True))
        with sqlite3.connect(db) as con:
            self.assertEqual(con.execute("PRAGMA user_version").fetchone()[0], 5)
            self.assertEqual(con.execute("SELECT poll, instance FROM instances").fetchall(),
                             [(self.poll, info["instance"])])
        con.close()
        self.assertCounted("no", "alice", alice)
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 1}, tallier=t)
        # the instance stays across starts
        t.stop()
        t.start()
        t.wait_subscribed(count=3)
        self.assertEqual(self.info()["instance"], info["instance"])
        self.assertCounted("no", "bob", bob)
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 2}, tallier=t)


class SignedBytesV3(unittest.TestCase):
    """Issue 21: the v3 signed bytes of a ranked ballot (docs/contract.md,
    "Question kinds"), built in Python from the contract and signed with
    Python's cryptography, give the signature that the C code's unit test
    (tests/unit/test_sign.c, sign_verify_should_take_a_ranked_ballot_signed_in_python)
    verifies with sign_verify over the ballot as the tallier parses it. Ed25519
    signatures are deterministic: one key, one message, one signature; so
    equal signatures mean equal bytes. No tallier: it does not count ranked
    ballots yet."""

    RFC_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    BALLOT = {"poll": "p1", "voter": "alice", "ranking": ["Lyon", "cafe\u0301", "Nice"],
              "id": "0123456789abcdef0123456789abcdef", "ts": 1700000000000}
    INSTANCE = "00112233445566778899aabbccddeeff"

    def c_constant(self, name):
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unit", "test_sign.c")
        with open(path, encoding="utf-8") as f:
            m = re.search(r'^#define %s "([^"]*)"' % name, f.read(), re.M)
        self.assertIsNotNone(m, "no #define %s in %s" % (name, path))
        return m.group(1)

    def signer(self, request):
        exe = python_with_cryptography()
        if exe is None:
            self.fail("no Python with the cryptography package: install python3-cryptography (scripts/setup.sh does)")
        p = subprocess.run([exe, "-c", PY_SIGNER], input=json.dumps(request).encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return json.loads(p.stdout)

    def test_python_signs_a_ranked_ballot_as_the_c_code_verifies_it(self):
        got = self.signer({"seed": self.RFC_SEED, "ballots": [self.BALLOT], "instance": self.INSTANCE})
        signed = got["signed"][0]
        self.assertEqual(got["public"], "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
        self.assertEqual(signed["sig"], self.c_constant("SIG_RANKED"))
        # and Python's verifier: the ballot as signed, not another order, not composed text
        swapped = dict(signed, ranking=["Nice", "cafe\u0301", "Lyon"])
        composed = dict(signed, ranking=["Lyon", "caf\u00e9", "Nice"])
        verdicts = self.signer({"verify": [{"public": got["public"], "ballot": b, "instance": self.INSTANCE}
                                           for b in (signed, swapped, composed)]})
        self.assertEqual(verdicts, [True, False, False])

    def test_the_single_choice_is_still_signed_over_the_v2_bytes(self):
        single = dict(self.BALLOT, choice="yes")
        del single["ranking"]
        got = self.signer({"seed": self.RFC_SEED, "ballots": [single], "instance": self.INSTANCE})
        self.assertEqual(got["signed"][0]["sig"], self.c_constant("SIG_P1"))


if __name__ == "__main__":
    unittest.main()



class PollRoll(SignedCase):
    """A roll of a poll's own (pollctl open --roll, issue 12): its voters'
    signed ballots alone count there, while the tallier's other polls take
    unsigned ones; the roll is stored with the poll and read again at every
    start."""

    def test_a_poll_with_its_own_roll_counts_only_its_signed_voters(self):
        alice, bob = self.keygen("alice"), self.keygen("bob")
        roll = self.write_roll(["alice"])
        other = self.poll_name("open")
        t = self.start_tallier(self.broker, topics=[self.topic, "vote/" + other], extra=["-v"])
        rc, out, err = self.pollctl("open", self.poll, "--question", "Signed?", "--choices", "yes,no",
                                    "--roll", roll)
        self.assertEqual((rc, err), (0, ""), out)
        info = json.loads(harness.sub(self.port, "vote/%s/info" % self.poll, wait=5)[1])
        self.assertTrue(info["signed"])
        self.assertNotIn("roll", info)  # the path stays the organiser's
        self.assertRefused("yes", "alice", None,
                           "unsigned ballot: this tallier counts only ballots signed by a voter on its roll")
        self.assertRefused("yes", "bob", bob, "voter 'bob' is not on the roll")
        self.assertCounted("yes", "alice", alice)
        # the tallier's other polls: unsigned ballots, as before
        self.assertCounted("no", "carol", None, poll=other)
        # stored with the poll: after a SIGKILL, the same rule
        t.kill()
        t.start()
        t.wait_subscribed(count=2)
        self.assertRefused("no", "dave", None,
                           "unsigned ballot: this tallier counts only ballots signed by a voter on its roll")
        # once it has ballots, its roll stays
        roll2 = os.path.join(self.dir, "roll2.txt")
        with open(roll2, "w") as f:
            f.write("bob %s\n" % self.publics["bob"])
        rc, out, err = self.pollctl("open", self.poll, "--question", "Signed?", "--choices", "yes,no",
                                    "--roll", roll2)
        self.assertEqual((rc, err), (3, "pollctl: refused by the tallier: %s already has ballots: its roll "
                                     "cannot change\n" % self.poll))

    def test_a_roll_that_cannot_be_read_is_refused(self):
        self.start_tallier(self.broker, topics=[self.topic])
        missing = os.path.join(self.dir, "missing.txt")
        rc, out, err = self.pollctl("open", self.poll, "--question", "q", "--choices", "a,b", "--roll", missing)
        self.assertEqual(rc, 1, err)
        self.assertIn(missing, err)
        # the tallier itself refuses a path it cannot read (sent by hand)
        rc, out, err = harness.run([shutil.which("mosquitto_rr") or "/usr/bin/mosquitto_rr", "-h", HOST,
                                    "-p", str(self.port), "-q", "1", "-t", "votectl",
                                    "-e", "votectl/reply/roll-test", "-W", "5", "-m",
                                    json.dumps({"cmd": "open", "poll": self.poll, "question": "q",
                                                "choices": ["a", "b"], "roll": missing})])
        answer = json.loads(out)
        self.assertFalse(answer["ok"], answer)
        self.assertRegex(answer["error"], r"^cannot read the roll of %s: " % self.poll)
