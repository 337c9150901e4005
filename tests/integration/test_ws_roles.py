"""The shipped mosquitto.conf enforces the roles on its WebSockets listener
too (issue 19, item 16): a browser's client there has the rights of
mosquitto.acl, as on the public MQTT listener (test_roles.py), nothing
more. The broker is the repository's mosquitto.conf and mosquitto.acl,
moved only to free ports; the clients are MQTT.js over WebSockets (the
library the pages use, from node_modules), driven by wsclient.js; the
tallier is the real one on the loopback listener.

One broker, one tallier and one node process for every test here. Each
check that something does NOT arrive waits first for a later message that
must arrive by the same path (the broker delivers a client's messages in
order), then looks: no sleep.

Needs node and node_modules/mqtt (scripts/setup.sh: npm ci): without them
the test fails, saying which is missing (it is never skipped)."""

import json
import os
import re
import secrets
import shutil
import time
import unittest

import harness
from harness import HOST, IntegrationCase

SRC = os.environ.get("MQTTVOTE_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
NODE = shutil.which("node")
FORGED = '{"poll":"%s","counts":{"no":99},"total":99,"rejected":0,"updated":"2026-01-01T00:00:00.000Z"}'
REFUSED = {"error": "Publish error: Not authorized", "code": 135}
READABLE = re.compile(r"^vote/[^/]+/(result|info)$")  # what a client may read, besides its receipts


def missing():
    """Why the test cannot run here, or None."""
    if not NODE:
        return "no node on PATH (scripts/setup.sh installs nodejs and npm)"
    if not os.path.exists(os.path.join(SRC, "node_modules", "mqtt", "package.json")):
        return "no node_modules/mqtt: run scripts/setup.sh (npm ci)"
    return None


class WsClients(harness.NodeDriver):
    """wsclient.js: MQTT.js clients over WebSockets, by name."""

    def __init__(self, url):
        self.url = url
        super().__init__("wsclient.js")

    def connect(self, name, client_id):
        return self.cmd("connect", name=name, url=self.url, clientId=client_id)

    def wait_for(self, name, topic, contains=None, timeout=10):
        return self.cmd("waitFor", timeout=timeout + 10, name=name, topic=topic, contains=contains,
                        ms=int(timeout * 1000))

    def topics(self, name):
        return sorted({m["topic"] for m in self.cmd("messages", name=name)})



class WebSocketsRoles(IntegrationCase):

    @classmethod
    def setUpClass(cls):
        why = missing()
        if why:
            raise RuntimeError(why)
        cls.broker = harness.Broker.private(repo_conf=True)
        cls.addClassCleanup(cls.broker.cleanup)
        cls.port = cls.broker.port  # the public MQTT listener, for the other clients
        cls.tallier = harness.Tallier(cls.broker.tallier_port, "t-ws-roles-" + cls.RUN_TOKEN, extra=["-v"])
        cls.addClassCleanup(cls.tallier.cleanup)
        cls.tallier.wait_subscribed()
        cls.ws = WsClients("ws://%s:%d/" % (HOST, cls.broker.ws_port))
        cls.addClassCleanup(cls.ws.close)

    def client(self, name):
        """A new WebSockets client: its name, its client id (random, as a page's)."""
        cid = "%s-%s-%s" % (name, self.RUN_TOKEN, secrets.token_hex(4))
        self.assertTrue(self.ws.connect(name, cid))
        return name, cid

    def ballot(self, name, cid, poll, voter, choice):
        """A ballot as vote.js sends it, with its receipt topic: the PUBACK."""
        bid = secrets.token_hex(16)
        b = {"poll": poll, "voter": voter, "choice": choice, "id": bid, "ts": int(time.time() * 1000)}
        return self.ws.cmd("publish", name=name, topic="vote/" + poll, payload=json.dumps(b),
                           responseTopic="vote/%s/receipt/%s" % (poll, cid), correlationData=bid), bid

    def pollctl(self, *args):
        return harness.run([harness.pollctl_path(), "-h", HOST, "-p", str(self.broker.tallier_port)] + list(args))

    def test_it_votes_and_reads_results_information_and_its_own_receipt(self):
        poll = self.poll_name()
        rc, out, err = self.pollctl("open", poll, "--question", "Tea or coffee?", "--choices", "tea,coffee")
        self.assertEqual(rc, 0, err)
        name, cid = self.client("voter")
        granted = self.ws.cmd("subscribe", name=name, topics=["vote/%s/info" % poll, "vote/%s/result" % poll,
                                                              "vote/%s/receipt/%s" % (poll, cid)])
        self.assertEqual(granted, [1, 1, 1])
        info = json.loads(self.ws.wait_for(name, "vote/%s/info" % poll)["payload"])
        self.assertEqual((info["question"], info["choices"]), ("Tea or coffee?", ["tea", "coffee"]))
        puback, bid = self.ballot(name, cid, poll, "ann", "tea")
        self.assertEqual(puback, {"error": None})
        receipt = json.loads(self.ws.wait_for(name, "vote/%s/receipt/%s" % (poll, cid), contains=bid)["payload"])
        self.assertEqual((receipt["id"], receipt["status"]), (bid, "counted"))
        self.assertResult(self.port, poll, {"tea": 1, "coffee": 0}, tallier=self.tallier)
        result = json.loads(self.ws.wait_for(name, "vote/%s/result" % poll, contains='"total":1')["payload"])
        self.assertEqual(result["counts"], {"tea": 1, "coffee": 0})

    def test_it_reads_no_ballot_and_no_other_clients_receipt(self):
        poll = self.poll_name()
        spy, _ = self.client("spy")
        self.ws.cmd("subscribe", name=spy, topics=["#", "vote/+", "vote/%s" % poll, "vote/+/receipt/#",
                                                   "vote/%s/receipt/+" % poll, "votectl/#", "$SYS/#"])
        # a voter of the public listener and one of the WebSockets listener, both
        # with receipts
        rc, out, err = harness.vote(self.port, poll, "yes", voter="bob", extra=["--confirm", "-i", "bob-device"])
        self.assertEqual(rc, 0, err)
        self.assertIn("counted by the tallier", out)
        name, cid = self.client("carol")
        self.ws.cmd("subscribe", name=name, topics=["vote/%s/receipt/%s" % (poll, cid)])
        puback, bid = self.ballot(name, cid, poll, "carol", "no")
        self.assertEqual(puback, {"error": None})
        self.ws.wait_for(name, "vote/%s/receipt/%s" % (poll, cid), contains='"counted"')
        # then a third ballot, whose result must reach the spy after all the rest
        self.vote_ok(self.port, poll, "yes", "dan")
        self.assertResult(self.port, poll, {"yes": 2, "no": 1}, tallier=self.tallier)
        self.ws.wait_for(spy, "vote/%s/result" % poll, contains='"total":3')
        seen = self.ws.cmd("messages", name=spy)
        self.assertEqual([m["topic"] for m in seen if not READABLE.match(m["topic"])], [], seen)
        self.assertEqual([m for m in seen if '"voter"' in m["payload"]], [], "no ballot")

    def test_it_cannot_write_a_result(self):
        poll = self.poll_name()
        self.vote_ok(self.port, poll, "yes", "ann")
        self.assertResult(self.port, poll, {"yes": 1}, tallier=self.tallier)
        watcher, _ = self.client("watcher")
        self.ws.cmd("subscribe", name=watcher, topics=["vote/%s/result" % poll])
        self.ws.wait_for(watcher, "vote/%s/result" % poll, contains='"total":1')
        mallory, _ = self.client("mallory")
        topic = "vote/%s/result" % poll
        self.assertEqual(self.ws.cmd("publish", name=mallory, topic=topic, payload=FORGED % poll, retain=True),
                         REFUSED)
        self.assertEqual(self.ws.cmd("publish", name=mallory, topic=topic, payload="", retain=True), REFUSED)
        self.assertEqual(self.ws.cmd("publish", name=mallory, topic=topic, payload=FORGED % poll), REFUSED)
        # the next real result reaches the watcher after anything published before it
        self.vote_ok(self.port, poll, "yes", "bob")
        self.ws.wait_for(watcher, topic, contains='"total":2')
        payloads = [m["payload"] for m in self.ws.cmd("messages", name=watcher)]
        self.assertEqual([p for p in payloads if '"total":99' in p or not p], [], payloads)
        self.assertEqual(len(payloads), 2, payloads)
        # the retained result is the tallier's, which never saw another
        self.assertResult(self.port, poll, {"yes": 2}, tallier=self.tallier)
        self.assertEqual(self.tallier.count_log(r"not the tallier's result"), 0, self.tallier.log())

    def test_it_cannot_reach_votectl(self):
        poll = self.poll_name()
        spy, _ = self.client("spy")
        self.ws.cmd("subscribe", name=spy, topics=["vote/%s/info" % poll, "votectl", "votectl/#", "#"])
        mallory, cid = self.client("mallory")
        command = {"cmd": "open", "poll": poll, "question": "Forged?", "choices": ["a", "b"]}
        self.assertEqual(self.ws.cmd("publish", name=mallory, topic="votectl", payload=json.dumps(command),
                                     responseTopic="votectl/reply/" + cid, correlationData="c1"), REFUSED)
        # an organiser's command after it: the tallier answers it, so it has
        # handled whatever came on votectl before
        later = self.poll_name("later")
        rc, out, err = self.pollctl("open", later, "--question", "Real?", "--choices", "a,b")
        self.assertEqual(rc, 0, err)
        self.ws.wait_for(spy, "vote/%s/info" % later)
        rc, out, err = self.pollctl("show", poll)
        self.assertEqual((rc, out, err), (3, "", "pollctl: refused by the tallier: no poll '%s'\n" % poll))
        # nor does it read the organiser's commands and answers
        seen = self.ws.cmd("messages", name=spy)
        self.assertEqual([m["topic"] for m in seen if not READABLE.match(m["topic"])], [], seen)
        self.assertNotIn("vote/%s/info" % poll, [m["topic"] for m in seen])


if __name__ == "__main__":
    unittest.main()
