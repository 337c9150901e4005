"""The shipped mosquitto.conf enforces roles (issue 11, section 1): a
hostile client of the public listener, with any client id, cannot forge
or delete a result, forge a receipt, read ballots or others' receipts, or
take or wipe the tallier's session; a retained ballot counts once; and
ordinary voting, --confirm included, still works. The broker is the
repository's mosquitto.conf and mosquitto.acl, moved only to free ports;
the tallier connects to its loopback listener with no -i (its client id
is the one kept in its database), as `tallier` does by default.

And the tallier watches its own result topics: a result that is not its
own (forged through a listener that allows it, or deleted) is replaced at
once, and a result of a poll it has no ballot for is removed."""

import json
import os
import re
import sqlite3
import stat
import subprocess
import threading
import time
import unittest

import harness
from harness import HOST, IntegrationCase, ballot_json

FORGED = '{"poll":"%s","counts":{"no":99},"total":99,"rejected":0,"updated":"2026-01-01T00:00:00.000Z"}'


class DefaultIdTallier(harness.Tallier):
    """The tallier as `tallier` runs by default: no -i (harness.Tallier
    always gives one)."""

    def argv(self):
        a = super().argv()
        i = a.index("-i")
        return a[:i] + a[i + 2:]


def stored_client_id(t):
    db = sqlite3.connect("file:%s?mode=ro" % harness.tallier_db(t), uri=True)
    try:
        return db.execute("SELECT value FROM settings WHERE name = 'client_id'").fetchone()[0]
    finally:
        db.close()


def mqtt5(port, *args, timeout=15):
    """mosquitto_pub with MQTT 5 (so that a denial is reported): (rc, out, err)."""
    return harness.run([harness.mosquitto_pub_path(), "-h", HOST, "-p", str(port), "-V", "mqttv5",
                        "-q", "1"] + list(args), timeout=timeout)


class Attacker:
    """A client of the public listener that watches everything it may
    subscribe to (#, vote/+, vote/+/receipt/#, $SYS/#) and answers every
    ballot it sees with a forged "rejected" receipt, as the hostile
    classmate of the issue did."""

    def __init__(self, case, port):
        self.port = port
        self.seen = []
        self.forged = 0
        self.proc = subprocess.Popen(
            [harness.mosquitto_sub_path(), "-h", HOST, "-p", str(port), "-V", "mqttv5",
             "-i", "attacker-" + case.RUN_TOKEN, "-q", "1", "-v", "-t", "#", "-t", "vote/+",
             "-t", "vote/+/receipt/#", "-t", "$SYS/#"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            preexec_fn=harness._die_with_parent)
        case.addCleanup(self.stop)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.seen.append(line)
            topic, _, payload = line.partition(" ")
            if re.fullmatch(r"vote/[^/]+", topic):
                try:
                    ballot = json.loads(payload)
                except ValueError:
                    continue
                if ballot.get("reply"):
                    receipt = {"id": ballot.get("id"), "poll": topic[5:], "status": "rejected",
                               "reason": "forged"}
                    mqtt5(self.port, "-t", ballot["reply"], "-m", json.dumps(receipt))
                    self.forged += 1

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.thread.join(10)
        self.proc.stdout.close()

    def topics(self):
        return sorted({line.partition(" ")[0] for line in self.seen})


class Roles(IntegrationCase):

    def setUp(self):
        self.broker = self.private_broker(repo_conf=True)
        self.port = self.broker.port             # the public listener
        self.tport = self.broker.tallier_port    # the tallier's loopback listener

    def tallier(self, extra=()):
        t = DefaultIdTallier(self.tport, self.client_id(), extra=list(extra) + ["-v"])
        self.addCleanup(t.cleanup)
        t.wait_subscribed()
        return t

    def test_the_tallier_has_an_unguessable_client_id_kept_in_its_database(self):
        t = self.tallier()
        cid = stored_client_id(t)
        self.assertRegex(cid, r"^tallier-[0-9a-f]{32}$")
        mode = stat.S_IMODE(os.stat(harness.tallier_db(t)).st_mode)
        self.assertEqual(mode, 0o600, "the database (and the client id) are the tallier's alone")
        self.assertEqual(t.stop(), 0, t.log())
        t.start()
        t.wait_subscribed(count=2)
        self.assertEqual(stored_client_id(t), cid)

    def test_a_public_client_cannot_forge_or_delete_a_result(self):
        t = self.tallier()
        poll = self.poll_name()
        self.vote_ok(self.port, poll, "yes", "ann")
        self.assertResult(self.port, poll, {"yes": 1}, tallier=t)
        rc, out, err = mqtt5(self.port, "-r", "-t", "vote/%s/result" % poll, "-m", FORGED % poll)
        self.assertEqual((rc, err), (0, "Warning: Publish 1 failed: Not authorized.\n"))
        rc, out, err = mqtt5(self.port, "-r", "-n", "-t", "vote/%s/result" % poll)
        self.assertEqual((rc, err), (0, "Warning: Publish 1 failed: Not authorized.\n"))
        # MQTT 3.1.1: the denial is silent, and changes nothing either
        harness.pub(self.port, "vote/%s/result" % poll, FORGED % poll, retain=True)
        result = harness.get_result(self.port, poll)
        self.assertEqual((result["counts"], result["total"]), ({"yes": 1}, 1))
        self.assertEqual(t.count_log(r"not the tallier's result"), 0, t.log())

    def test_a_public_client_sees_no_ballot_and_no_receipt_and_cannot_forge_one(self):
        t = self.tallier()
        poll = self.poll_name()
        self.vote_ok(self.port, poll, "yes", "first")
        self.assertResult(self.port, poll, {"yes": 1}, tallier=t)
        attacker = Attacker(self, self.port)
        # subscribed once it has the retained result (results it may read)
        self.assertTrue(harness.wait_for(lambda: "vote/%s/result" % poll in attacker.topics(), 10))
        for k in range(5):
            rc, out, err = harness.vote(self.port, poll, "yes", voter="v%d" % k, extra=["--confirm"])
            self.assertEqual(rc, 0, err)
            self.assertIn("counted by the tallier", out)
        self.assertResult(self.port, poll, {"yes": 6}, tallier=t)
        # results, and nothing else: no ballot, no receipt, no $SYS
        self.assertEqual(attacker.topics(), ["vote/%s/result" % poll], attacker.seen)
        self.assertEqual(attacker.forged, 0)
        # and a receipt published straight to a voter's receipt topic is refused
        rc, out, err = mqtt5(self.port, "-r", "-t", "vote/%s/receipt/victim" % poll, "-m",
                             '{"poll":"%s","status":"rejected"}' % poll)
        self.assertEqual((rc, err), (0, "Warning: Publish 1 failed: Not authorized.\n"))
        rc, out, err = harness.sub(self.port, "vote/%s/receipt/victim" % poll, wait=1,
                                   extra=["-i", "victim"])
        self.assertEqual(out, "")

    def test_a_voter_reads_its_own_receipts_only(self):
        t = self.tallier()
        poll = self.poll_name()
        # the receipt topic names the client id, which only that client has:
        # another client subscribed to every receipt of the poll gets none
        snoop = harness.Capture(self.port, "vote/%s/receipt/#" % poll)
        self.addCleanup(snoop.close)
        for choice in ("yes", "no"):
            rc, out, err = harness.vote(self.port, poll, choice, voter="ann",
                                        extra=["--confirm", "-i", "ann-device"])
            self.assertEqual(rc, 0, err)
            self.assertIn("counted by the tallier", out)
        self.assertEqual(snoop.fetch(wait=1), [])
        self.assertEqual(t.stop(), 0, t.log())

    def test_a_client_id_that_cannot_name_a_receipt_topic_is_a_usage_error(self):
        rc, out, err = harness.vote(self.port, self.poll_name(), "yes", voter="ann",
                                    extra=["--confirm", "-i", "a/b"])
        self.assertEqual((rc, out, err), (2, "", "voter: client id 'a/b' cannot name a receipt topic: "
                                          "it must be 1 to 128 bytes without '/', '+', '#' or control "
                                          "characters (needed by --confirm)\n"))

    def test_a_retained_ballot_counts_once(self):
        t = self.tallier()
        poll = self.poll_name()
        harness.pub(self.port, "vote/" + poll, ballot_json("mallory", "no", id="a" * 32), retain=True)
        self.vote_ok(self.port, poll, "yes", "ann")
        self.assertResult(self.port, poll, {"yes": 1, "no": 1}, tallier=t)
        # nobody else reads it back
        rc, out, err = harness.sub(self.port, "vote/" + poll, wait=1)
        self.assertEqual(out, "")
        # and the tallier's next start does not count it again
        self.assertEqual(t.stop(), 0, t.log())
        t.start()
        t.wait_subscribed(count=2)
        self.vote_ok(self.port, poll, "yes", "bob")
        self.assertResult(self.port, poll, {"yes": 2, "no": 1}, total=3, tallier=t)

    def test_the_old_default_client_id_takes_nothing_from_a_running_tallier(self):
        t = self.tallier()
        poll = self.poll_name()
        for clean in (True, False):
            for cid in ("tallier", "tallier-" + "0" * 32):
                argv = [harness.mosquitto_sub_path(), "-h", HOST, "-p", str(self.port), "-i", cid,
                        "-q", "1", "-t", "vote/+", "-W", "1", "-C", "1"]
                harness.run(argv if clean else argv + ["-c"], timeout=15)
        lines = [ballot_json("v%03d" % i, "yes") for i in range(50)]
        rc, out, err = harness.pub_lines(self.port, "vote/" + poll, lines)
        self.assertEqual(rc, 0, err)
        self.assertResult(self.port, poll, {"yes": 50}, tallier=t, timeout=15)
        self.assertTrue(t.running(), t.log())
        self.assertEqual(t.count_log(r"took over the session|closed the connection"), 0, t.log())

    def test_a_clean_connection_with_guessed_ids_does_not_wipe_a_stopped_tallier_queue(self):
        t = self.tallier()
        poll = self.poll_name()
        self.assertEqual(t.stop(), 0, t.log())
        lines = [ballot_json("q%03d" % i, "no") for i in range(50)]
        rc, out, err = harness.pub_lines(self.port, "vote/" + poll, lines)
        self.assertEqual(rc, 0, err)
        for cid in ("tallier", "tallier-" + "f" * 32):
            harness.run([harness.mosquitto_sub_path(), "-h", HOST, "-p", str(self.port), "-i", cid,
                         "-t", "vote/+", "-W", "1", "-C", "1"], timeout=15)
        t.start()
        self.assertResult(self.port, poll, {"no": 50}, tallier=t, timeout=15)

    def test_voter_confirm_without_a_tallier_says_what_it_cannot_promise(self):
        rc, out, err = harness.vote(self.port, self.poll_name(), "yes", voter="ann",
                                    extra=["--confirm", "--timeout", "1"])
        self.assertEqual((rc, out), (4, ""))
        self.assertEqual(err, "voter: the broker accepted the ballot, but no tallier confirmed it "
                         "within 1 s: it is not known to be counted (no tallier running, a broker "
                         "queue that was full and dropped it, or, with MQTT 3.1.1, a broker that "
                         "refused it without a word); vote again to know\n")

    def test_a_public_client_cannot_publish_as_an_account(self):
        t = self.tallier()
        poll = self.poll_name()
        rc, out, err = harness.vote(self.port, poll, "yes", extra=["-u", "alice"])
        self.assertEqual((rc, out, err), (1, "", "voter: ballot refused by the broker: not authorized\n"))
        self.vote_ok(self.port, poll, "no", "ann")
        self.assertResult(self.port, poll, {"no": 1}, tallier=t)


class ResultWatch(IntegrationCase):
    """The tallier's result topics, written by someone else where a
    broker lets them (here a broker with no ACL): the tallier puts its
    own result back, and removes a result of a poll it never counted."""

    def setUp(self):
        self.broker = self.private_broker()
        self.port = self.broker.port

    def test_a_forged_result_is_replaced_at_once(self):
        for version in ("mqttv5", "mqttv311"):
            with self.subTest(version=version):
                t = self.start_tallier(self.broker, extra=["-V", version])
                poll = self.poll_name(version)
                self.vote_ok(self.port, poll, "yes", "ann")
                self.assertResult(self.port, poll, {"yes": 1}, tallier=t)
                harness.pub(self.port, "vote/%s/result" % poll, FORGED % poll, retain=True)
                self.assertResult(self.port, poll, {"yes": 1}, tallier=t)
                harness.pub(self.port, "vote/%s/result" % poll, None, retain=True)  # deleted
                self.assertResult(self.port, poll, {"yes": 1}, tallier=t)
                if version == "mqttv5":
                    self.assertEqual(t.count_log(r"^tallier: vote/%s/result held another result, not the "
                                                 r"tallier's result: publishing it again$" % poll), 1, t.log())
                    self.assertEqual(t.count_log(r"^tallier: vote/%s/result held nothing, not the "
                                                 r"tallier's result: publishing it again$" % poll), 1, t.log())
                self.assertEqual(t.stop(), 0, t.log())

    def test_a_result_of_a_poll_the_tallier_never_counted_is_removed(self):
        t = self.start_tallier(self.broker)
        poll = self.poll_name()
        harness.pub(self.port, "vote/%s/result" % poll, FORGED % poll, retain=True)
        t.wait_for_log(r"^tallier: removed vote/%s/result: no ballot of poll %s was counted here, so "
                       r"that result is not this tallier's$" % (poll, poll))
        self.assertIsNone(harness.wait_result(self.port, poll, lambda r: False, timeout=1))
        # one found at the start is removed too
        self.assertEqual(t.stop(), 0, t.log())
        harness.pub(self.port, "vote/%s/result" % poll, FORGED % poll, retain=True)
        t.start()
        t.wait_for_log(r"^tallier: removed vote/%s/result" % poll, count=2)
        self.assertIsNone(harness.get_result(self.port, poll, timeout=1))


class AccountTopics(IntegrationCase):
    """vote/<poll>/by/<account>: the voter with -u publishes there and
    votes as its account; the tallier refuses a ballot there whose voter
    is someone else (mosquitto-secure.acl lets only that account publish
    there: the account is who sent it)."""

    def test_a_voter_with_a_user_name_votes_as_its_account(self):
        broker = self.shared_broker()
        poll = self.poll_name()
        t = self.start_tallier(broker, topics=["vote/%s/by/+" % poll], extra=["-v"])
        rc, out, err = harness.vote(broker.port, poll, "yes", extra=["-u", "alice", "--confirm"])
        self.assertEqual(rc, 0, err)
        t.wait_for_log(r"^tallier: vote/%s: alice -> yes: counted$" % poll)
        rc, out, err = harness.vote(broker.port, poll, "no", voter="bob",
                                    extra=["-u", "alice", "--confirm"])
        self.assertEqual((rc, out), (3, ""), err)
        self.assertEqual(err, "voter: 'no' on %s rejected by the tallier: voter 'bob' is not the "
                         "account 'alice' that published the ballot\n" % poll)
        # the same, published by hand on the account's topic
        harness.pub(broker.port, "vote/%s/by/carol" % poll, ballot_json("dave", "no"))
        self.assertResult(broker.port, poll, {"yes": 1}, rejected=2, tallier=t)


if __name__ == "__main__":
    unittest.main()
