"""What the tallier asks of the broker when it connects, read off the wire:
a recording TCP relay sits between the real tallier and the real broker
and keeps the bytes the tallier sends. The session must outlive any stop
of the tallier: Paho 1.3.11 sends a Session Expiry Interval of 0xFFFFFFFF
as 255 s, after which Mosquitto drops the session and the ballots queued
in it, so the tallier asks for 2^31-1 s, and this test checks the bytes."""

import socket
import threading
import time
import unittest

from harness import HOST, IntegrationCase, Tallier


class Relay:
    """Forwards one TCP port to the broker, recording what clients send."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.sent = bytearray()
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.bind((HOST, 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((HOST, self.target_port))
            self.socks += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src, dst, record):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            if record:
                with self.lock:
                    self.sent += data
            try:
                dst.sendall(data)
            except OSError:
                return

    def first_packet(self):
        with self.lock:
            return bytes(self.sent)

    def close(self):
        self.listener.close()
        for s in self.socks:
            s.close()


def varint(data, i):
    """An MQTT variable byte integer at data[i]: (value, next index)."""
    value, shift = 0, 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def parse_connect(data):
    """(protocol level, connect flags, {property id: raw bytes}) of a CONNECT."""
    if not data or data[0] != 0x10:
        raise AssertionError("first packet is not a CONNECT: %r" % data[:16])
    _, i = varint(data, 1)
    name_len = int.from_bytes(data[i:i + 2], "big")
    i += 2 + name_len
    level, flags = data[i], data[i + 1]
    i += 4  # level, flags, keep alive
    props = {}
    if level == 5:
        plen, i = varint(data, i)
        end = i + plen
        while i < end:
            pid = data[i]
            i += 1
            if pid in (0x11, 0x27):  # Session Expiry Interval, Maximum Packet Size: four bytes
                props[pid] = data[i:i + 4]
                i += 4
            elif pid in (0x21, 0x22):  # Receive Maximum, Topic Alias Maximum: two bytes
                props[pid] = data[i:i + 2]
                i += 2
            else:
                raise AssertionError("unexpected CONNECT property 0x%02x" % pid)
    return level, flags, props


class Session(IntegrationCase):

    def run_through_relay(self, extra):
        broker = self.shared_broker()
        relay = Relay(broker.port)
        self.addCleanup(relay.close)
        t = Tallier(relay.port, self.client_id(), topics=["vote/" + self.poll_name()], extra=extra)
        self.addCleanup(t.cleanup)
        t.wait_subscribed()
        self.assertEqual(t.stop(), 0)
        return parse_connect(relay.first_packet())

    def test_mqtt5_session_expiry_is_2_pow_31_minus_1_and_clean_start_off(self):
        level, flags, props = self.run_through_relay([])
        self.assertEqual(level, 5)
        self.assertEqual(flags & 0x02, 0, "clean start must be off")
        self.assertIn(0x11, props, "no Session Expiry Interval: the session would end at disconnect")
        self.assertEqual(int.from_bytes(props[0x11], "big"), 0x7FFFFFFF)

    def test_mqtt5_maximum_packet_size_is_64_kib(self):
        # Before: no Maximum Packet Size; the broker sent it a message of
        # any size (issue 19, item 9; test_exhaustion.py shows the effect).
        level, flags, props = self.run_through_relay([])
        self.assertIn(0x27, props, "no Maximum Packet Size: the broker may send a packet of any size")
        self.assertEqual(int.from_bytes(props[0x27], "big"), 65536)

    def test_mqtt311_clean_session_off(self):
        level, flags, props = self.run_through_relay(["-V", "mqttv311"])
        self.assertEqual(level, 4)
        self.assertEqual(flags & 0x02, 0, "clean session must be off")


class SharedClientId(IntegrationCase):

    def test_two_talliers_on_one_client_id_one_stops_with_the_reason(self):
        # Each (re)connection takes the session from the other: Mosquitto
        # closes the older connection without a word. One of them must see
        # it and stop, rather than both counting half of the ballots.
        broker = self.shared_broker()
        topics = ["vote/" + self.poll_name()]
        first = self.start_tallier(broker, topics=topics, client_id=self.client_id())
        second = self.start_tallier(broker, topics=topics, client_id=self.client_id(), wait=False)
        message = r"is another tallier using client id '%s'\?" % self.client_id()
        deadline = time.monotonic() + 40
        while first.running() and second.running() and time.monotonic() < deadline:
            time.sleep(0.1)  # polling the two processes, not waiting for a fixed time
        stopped = [t for t in (first, second) if not t.running()]
        self.assertGreaterEqual(len(stopped), 1, "neither stopped:\n%s\n---\n%s"
                                % (first.log(), second.log()))
        # usually the other one goes on alone; if both saw the fight at once,
        # both stop, which is safe too: what matters is that none counts on
        # beside the other, and that the operator is told why
        for t in stopped:
            t.proc.wait(10)
            self.assertEqual(t.proc.returncode, 1, t.log())
            self.assertRegex(t.log(), message)
            # once it said it stops, nothing misleading follows (a failed
            # reconnection read as "unknown error code 142 ...; retrying")
            after = t.log().split("stopping", 1)[1]
            self.assertNotRegex(after, r"retrying in the background|unknown error code", t.log())


if __name__ == "__main__":
    unittest.main()
