"""voter and a poll's information (issue 12): voter --info prints the
retained vote/<poll>/info (exit 0; exit 4 when none comes within
--timeout), and a ballot over MQTT is not sent (exit 3, with the reason)
when the information says the poll is closed or does not offer the choice.
The information is published retained by the test itself with
mosquitto_pub on a private broker, so no tallier is needed."""

import json
import os
import re
import time
import unittest

import harness
from harness import HOST, IntegrationCase, run_voter

os.environ["TZ"] = "UTC"  # the voter prints local times: these tests read UTC
USE_HELP = "Use 'voter --help' to see usage."


def info_json(poll, status="open", choices=("yes", "no"), question="Lunch at noon?",
              opens="2025-11-30T10:00:00.000Z", closes=None, results="live", revote=True):
    return json.dumps({"poll": poll, "question": question,
                       "choices": list(choices) if choices is not None else None,
                       "status": status, "opens": opens, "closes": closes, "results": results,
                       "revote": revote, "defined": question is not None})


class VoterInfo(IntegrationCase):

    def setUp(self):
        self.broker = self.private_broker()
        self.poll = self.poll_name()

    def publish_info(self, payload):
        harness.pub(self.broker.port, "vote/%s/info" % self.poll, payload, retain=True)

    def voter(self, *args, timeout=30):
        return run_voter(["-h", HOST, "-p", str(self.broker.port), "-t", "vote/" + self.poll]
                         + list(args), timeout=timeout)

    def ballots(self):
        """A capture of vote/<poll>: what the voter published there."""
        c = harness.Capture(self.broker.port, "vote/" + self.poll)
        self.addCleanup(c.close)
        return c

    # -- voter --info

    def test_info_prints_the_poll(self):
        self.publish_info(info_json(self.poll))
        rc, out, err = self.voter("--info")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out.splitlines(), [
            "%s: Lunch at noon?" % self.poll,
            "  choices: yes, no",
            "  status:  open",
            "  opens:   2025-11-30 10:00:00 UTC",
            "  closes:  by hand",
            "  results: live, revote yes"])

    def test_info_of_a_closed_poll_with_its_closing_time(self):
        self.publish_info(info_json(self.poll, status="closed", closes="2025-11-30T10:05:00.000Z",
                                    results="after-close", revote=False))
        rc, out, err = self.voter("--info", "-V", "311")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out.splitlines()[2:], [
            "  status:  closed",
            "  opens:   2025-11-30 10:00:00 UTC",
            "  closes:  2025-11-30 10:05:00 UTC",
            "  results: after-close, revote no"])

    def test_info_of_a_poll_nobody_defined(self):
        self.publish_info(info_json(self.poll, question=None, choices=None))
        rc, out, err = self.voter("--info")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines()[:2], [
            "%s: (no question: opened by its first ballot)" % self.poll, "  choices: any"])

    def test_info_without_information_is_exit_4(self):
        start = time.monotonic()
        rc, out, err = self.voter("--info", "--timeout", "1")
        self.assertEqual((rc, out, err), (4, "", "voter: no information on vote/%s/info within 1 s: "
                                          "no tallier knows %s yet\n" % (self.poll, self.poll)))
        self.assertGreaterEqual(time.monotonic() - start, 0.9)

    def test_info_published_while_waiting(self):
        """--info waits for the information, not only for a retained one."""
        import threading
        t = threading.Timer(0.5, self.publish_info, [info_json(self.poll)])
        t.start()
        self.addCleanup(t.cancel)
        rc, out, err = self.voter("--info", "--timeout", "5")
        self.assertEqual((rc, err, out.splitlines()[0]), (0, "", "%s: Lunch at noon?" % self.poll))

    def test_info_cannot_connect_is_exit_1(self):
        port = self.closed_port()
        rc, out, err = run_voter(["-h", HOST, "-p", str(port), "-t", "vote/x", "--info"])
        self.assertEqual((rc, err), (1, "voter: cannot connect to 127.0.0.1:%d: connection refused\n" % port))

    def test_info_usage_errors(self):
        for extra, what in ((["-m", "yes"], "-m/--message"), (["--confirm"], "--confirm"),
                            (["--tcp"], "--tcp")):
            rc, out, err = self.voter("--info", *extra)
            self.assertEqual((rc, err.splitlines()),
                             (2, ["voter: --info sends no ballot: %s does not go with it" % what, USE_HELP]))

    def test_help_names_info(self):
        rc, out, err = run_voter(["--help"])
        self.assertEqual(rc, 0)
        self.assertIn("     --info           print the poll's information", out)

    # -- a ballot the information refuses: not sent

    def test_choice_not_on_offer_is_not_sent(self):
        self.publish_info(info_json(self.poll))
        cap = self.ballots()
        for version in ("5", "311"):
            for extra in ([], ["--confirm"], ["-q", "0"]):
                rc, out, err = self.voter("-m", "maybe", "-V", version, *extra)
                self.assertEqual((rc, out, err), (3, "", "voter: 'maybe' on %s not sent: %s offers yes, no\n"
                                                  % (self.poll, self.poll)), (version, extra))
        self.assertEqual(cap.fetch(count=1, wait=1), [])

    def test_closed_poll_is_not_sent(self):
        self.publish_info(info_json(self.poll, status="closed", closes="2025-11-30T10:05:00.000Z"))
        cap = self.ballots()
        rc, out, err = self.voter("-m", "yes", "--confirm")
        self.assertEqual((rc, out, err), (3, "", "voter: %s is closed (since 2025-11-30 10:05:00 UTC): "
                                          "ballot not sent\n" % self.poll))
        self.assertEqual(cap.fetch(count=1, wait=1), [])

    def test_closed_poll_without_a_closing_time(self):
        self.publish_info(info_json(self.poll, status="closed"))
        rc, out, err = self.voter("-m", "yes")
        self.assertEqual((rc, err), (3, "voter: %s is closed: ballot not sent\n" % self.poll))

    def test_closed_by_hand_before_its_closing_time(self):
        self.publish_info(info_json(self.poll, status="closed", closes="2099-01-01T00:00:00.000Z"))
        rc, out, err = self.voter("-m", "yes")
        self.assertEqual((rc, err), (3, "voter: %s is closed: ballot not sent\n" % self.poll))

    def test_the_information_is_read_every_time(self):
        """The retained information comes right after the SUBACK: read
        every time, never missed (no timer decides)."""
        self.publish_info(info_json(self.poll))
        for i in range(20):
            rc, out, err = self.voter("-m", "maybe", "-q", "0")
            self.assertEqual(rc, 3, "run %d: %r" % (i, err))

    def test_offered_choice_is_sent(self):
        self.publish_info(info_json(self.poll))
        cap = self.ballots()
        rc, out, err = self.voter("-m", "yes", "--voter", "ann")
        self.assertEqual(rc, 0, err)
        got = cap.fetch(count=1, wait=5)
        self.assertEqual(len(got), 1)
        self.assertEqual(json.loads(got[0])["choice"], "yes")

    def test_without_information_the_ballot_goes_as_today(self):
        cap = self.ballots()
        rc, out, err = self.voter("-m", "maybe", "--voter", "ann", "-d")
        self.assertEqual(rc, 0, err)
        self.assertIn("voter: vote/%s/info: none: the ballot goes as it is" % self.poll, err.splitlines())
        self.assertEqual(len(cap.fetch(count=1, wait=5)), 1)

    def test_unreadable_information_is_no_information(self):
        self.publish_info("not json")
        rc, out, err = self.voter("-m", "maybe", "--voter", "ann")
        self.assertEqual(rc, 0, err)

    def test_one_subscribe_and_one_round_trip(self):
        """With --confirm one SUBSCRIBE carries both topics (and the
        ballot is still published again while no receipt comes); when the
        information has not come with the SUBACK, one UNSUBSCRIBE is the
        round trip after which none is coming: no timer."""
        def packets(err):
            return [m.group(1) for m in re.finditer(r"-> (SUBSCRIBE|UNSUBSCRIBE|PUBLISH)", err)]
        rc, out, err = self.voter("-m", "yes", "--confirm", "--timeout", "1.5", "-d")
        self.assertEqual((rc, packets(err)), (4, ["SUBSCRIBE", "UNSUBSCRIBE", "PUBLISH", "PUBLISH"]), err)
        self.assertEqual(len(re.findall(r"SUBSCRIBE msgid: \d+ \(0\)", err)), 2, err)  # SUB + UNSUB
        self.publish_info(info_json(self.poll))
        rc, out, err = self.voter("-m", "yes", "-d")
        self.assertEqual(rc, 0, err)
        self.assertIn(packets(err), (["SUBSCRIBE", "PUBLISH"], ["SUBSCRIBE", "UNSUBSCRIBE", "PUBLISH"]))
        self.assertIn("voter: vote/%s/info: open" % self.poll, err.splitlines())


if __name__ == "__main__":
    unittest.main()
