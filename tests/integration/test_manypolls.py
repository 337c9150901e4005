"""Many polls made up by strangers (issue 19, items 5 and 6), end to end:
a real mosquitto from the shipped mosquitto.conf (ports changed), the real
tallier, voter and pollctl, and a flood of 1,000 anonymous ballots on
1,000 poll names from a plain MQTT 3.1.1 client written here (a few raw
packets over a socket: no Python MQTT library is installed).

- item 5: with 1,000 polls alive, just after the flood and just after a
  restart of the tallier, 8 honest `voter --confirm` runs at once all get
  their receipt. Before: the tallier put the 1,000 results in Paho's queue
  ahead of every receipt, and Paho sent them about 20 a second (Mosquitto
  lets 20 be unacknowledged; Paho wakes its sender only for a new command
  or after 1 s): the voters exited 4 ("no receipt") after their 10 s.
  10 s is a deadline far above what a receipt takes (milliseconds), not a
  measurement: the figure is bench/run.py's (--only manypolls);
- item 6: past --max-polls polls nobody defined, `pollctl open` still
  defines a poll and its ballots count; a stranger's poll more is refused
  saying that the organiser can define it. Before: pollctl exited 3, "too
  many polls: this tallier keeps at most 1000 (--max-polls)"."""

import concurrent.futures
import secrets
import socket
import struct
import unittest

import harness
from harness import HOST, IntegrationCase, ballot_json, run

POLLS = 1000


def _varint(n):
    out = bytearray()
    while True:
        n, byte = n >> 7, n & 0x7F
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _packet(kind, body):
    return bytes([kind]) + _varint(len(body)) + body


def _string(s):
    b = s.encode("utf-8")
    return struct.pack("!H", len(b)) + b


def _read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise AssertionError("the broker closed the connection")
        data += chunk
    return data


def flood(port, messages, timeout=60):
    """Publishes each (topic, payload) at QoS 1 over one MQTT 3.1.1
    connection (clean session, all sent before reading the PUBACKs), and
    returns once the broker has acknowledged every one."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        connect = _string("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 60) + _string("flood-%d" % port)
        sock.sendall(_packet(0x10, connect))
        connack = _read_exactly(sock, 4)
        if connack[0] != 0x20 or connack[3] != 0:
            raise AssertionError("CONNACK %r" % connack)
        out = bytearray()
        for k, (topic, payload) in enumerate(messages):
            out += _packet(0x32, _string(topic) + struct.pack("!H", k + 1) + payload.encode("utf-8"))
        sock.sendall(out)
        for _ in messages:
            ack = _read_exactly(sock, 4)
            if ack[0] != 0x40:
                raise AssertionError("expected a PUBACK, got %r" % ack)
        sock.sendall(_packet(0xE0, b""))


def junk(prefix, n=POLLS):
    return [("vote/%s%d" % (prefix, k), ballot_json("x", "a")) for k in range(n)]


class ManyPolls(IntegrationCase):

    def setUp(self):
        self.broker = self.private_broker(repo_conf=True)
        self.tallier = self.start_tallier(self.broker)
        self.prefix = "j%s-" % secrets.token_hex(4)

    def ctl(self, *args):
        return run([harness.pollctl_path(), "-h", HOST, "-p", str(self.broker.tallier_port), "--timeout", "10"]
                   + list(args), timeout=30)

    def honest_voters(self, first=0, n=8):
        """n voter --confirm runs at once, each on a poll of its own (new)
        and on the poll the flood made first; returns their (rc, out, err)."""
        def one(k):
            return harness.vote(self.broker.port, self.prefix + "0", "yes", voter="honest%d" % (first + k),
                                extra=["--confirm", "--timeout", "10"], timeout=40)
        with concurrent.futures.ThreadPoolExecutor(n) as pool:
            return list(pool.map(one, range(n)))

    def assertAllReceipted(self, runs):
        for k, (rc, out, err) in enumerate(runs):
            self.assertEqual(rc, 0, "honest voter %d: rc=%d stdout=%r stderr=%r\ntallier:\n%s"
                             % (k, rc, out, err, harness._tail(self.tallier.log())))

    def test_honest_receipts_come_with_1000_polls_alive_and_after_a_restart(self):
        flood(self.broker.port, junk(self.prefix))
        self.assertAllReceipted(self.honest_voters())
        # nothing counted was lost: the flood's poll and one at the end
        self.assertResult(self.broker.port, self.prefix + "0", {"a": 1, "yes": 8}, tallier=self.tallier,
                          timeout=30)
        self.assertResult(self.broker.port, self.prefix + str(POLLS - 1), {"a": 1}, tallier=self.tallier,
                          timeout=30)
        # a restart: every result to publish again, unless the broker holds it
        self.tallier.stop()
        self.tallier.start()
        self.tallier.wait_subscribed(count=2)
        self.assertAllReceipted(self.honest_voters(first=8))
        self.assertResult(self.broker.port, self.prefix + "0", {"a": 1, "yes": 16}, tallier=self.tallier)

    def test_pollctl_opens_a_poll_past_max_polls_of_strangers(self):
        flood(self.broker.port, junk(self.prefix))
        # the 1,000 polls are there (the default --max-polls): one more is refused
        last = "%s%d" % (self.prefix, POLLS - 1)
        self.assertResult(self.broker.port, last, {"a": 1}, tallier=self.tallier, timeout=30)
        rc, out, err = harness.vote(self.broker.port, self.prefix + "x", "yes", voter="ann",
                                    extra=["--confirm", "--timeout", "20"], timeout=40)
        self.assertEqual((rc, out), (3, ""), err)
        self.assertEqual(err, "voter: 'yes' on %sx rejected by the tallier: too many polls nobody defined: "
                         "this tallier keeps at most 1000 (--max-polls); the organiser can define the poll "
                         "with pollctl open\n" % self.prefix)
        q1 = "q1-" + secrets.token_hex(4)
        rc, out, err = self.ctl("open", q1, "--question", "Lunch?", "--choices", "yes,no")
        self.assertEqual((rc, err), (0, ""), "%s\ntallier:\n%s" % (out, harness._tail(self.tallier.log())))
        rc, out, err = harness.vote(self.broker.port, q1, "no", voter="ann",
                                    extra=["--confirm", "--timeout", "20"], timeout=40)
        self.assertEqual(rc, 0, "stdout=%r stderr=%r" % (out, err))
        self.assertResult(self.broker.port, q1, {"yes": 0, "no": 1}, tallier=self.tallier, timeout=30)
        # a new choice on a stranger's poll, past --max-choices 64: the refusal says what to do
        flood(self.broker.port, [("vote/" + last, ballot_json("v%d" % k, "c%d" % k)) for k in range(64)])
        rc, out, err = harness.vote(self.broker.port, last, "yes", voter="bob",
                                    extra=["--confirm", "--timeout", "20"], timeout=40)
        self.assertEqual((rc, out), (3, ""), err)
        self.assertEqual(err, "voter: 'yes' on %s rejected by the tallier: too many choices on this poll: at "
                         "most 64 (--max-choices); the organiser can define the poll's choices with pollctl "
                         "open\n" % last)


if __name__ == "__main__":
    unittest.main()
