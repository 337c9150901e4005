"""The direct TCP mode: tallier --listen (with or without --no-mqtt) and
voter --tcp, driven with the real binaries and raw sockets.

The protocol, as the "Direct TCP mode" section of docs/contract.md states it:
newline-delimited JSON over one connection, "\\r\\n" accepted, empty lines
ignored. A ballot line (a ballot JSON with "poll") gets one
receipt {"id","poll","status","reason","counts"}; {"get":"result","poll":P}
gets the result JSON or {"error":"no poll 'P'"}; anything else gets
{"error":"<why>"}. Pipelined requests get replies in order. Limits: a line
over 4096 bytes (newline not counted) gets an error and the connection is
closed; so does a client idle for --idle-timeout; past --max-clients a new
connection gets {"error":"too many connections"} and is closed.

Every tallier here listens on 127.0.0.1 (or ::1) port 0 and runs in its own
temp dir (its own tally.db); its port is parsed from its log. Only the
TCP+MQTT test needs a broker, a private one."""

import concurrent.futures
import json
import os
import re
import resource
import select
import shutil
import socket
import subprocess
import threading
import time
import unittest

import harness
from harness import HOST, IntegrationCase, TcpClient, ballot_json

RESULT_KEYS = {"poll", "counts", "total", "rejected", "updated", "status"}
RECEIPT_KEYS = {"id", "poll", "status", "reason", "counts", "total"}
ID_A = "0123456789abcdef0123456789abcdef"
ID_B = "fedcba9876543210fedcba9876543210"
LINE_TOO_LONG = {"error": "line too long (at most 4096 bytes)"}


def bid(n):
    """A ballot id (32 hex digits) made from n."""
    return "%032x" % (n + 1)


def padded_ballot(poll, voter, choice, size):
    """A valid ballot JSON of exactly size bytes (spaces before the '}')."""
    base = ballot_json(voter, choice, poll=poll)
    assert len(base) < size
    return base[:-1] + " " * (size - len(base)) + "}"


def ipv6_loopback():
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class TcpCase(IntegrationCase):

    def setUp(self):
        self.poll = self.poll_name()

    def tcp_tallier(self, *extra, broker=None, listen=HOST + ":0", topics=()):
        t = harness.TcpTallier(broker.port if broker else None, self.client_id(),
                               listen=listen, topics=topics, extra=list(extra))
        self.addCleanup(t.cleanup)
        t.wait_listening()
        if broker is not None:
            t.wait_subscribed()
        return t

    def client(self, port, **kw):
        c = TcpClient(port, **kw)
        self.addCleanup(c.close)
        return c

    def result(self, tallier, poll=None, host=HOST):
        r = harness.tcp_request(tallier.tcp_port, {"get": "result", "poll": poll or self.poll},
                                host=host)
        if "error" not in r:
            self.assertEqual(set(r), RESULT_KEYS, r)
        return r

    def assertCounted(self, receipt, id=None, poll=None, status="counted"):
        self.assertLessEqual(set(receipt), RECEIPT_KEYS, receipt)
        self.assertEqual(receipt.get("status"), status, receipt)
        self.assertEqual(receipt.get("poll"), poll or self.poll, receipt)
        # counts and total: only when the poll has a result, and counts only
        # for a poll of a few choices (receipts stay small)
        if status != "rejected":
            self.assertIsInstance(receipt.get("total"), int, receipt)
        if "counts" in receipt:
            self.assertIsInstance(receipt["counts"], dict, receipt)
        if id is not None:
            self.assertEqual(receipt.get("id"), id, receipt)

    def assertRejected(self, receipt, reason, poll=None):
        self.assertCounted(receipt, poll=poll, status="rejected")
        self.assertEqual(receipt.get("reason"), reason, receipt)

    def replies_until_eof(self, c, timeout=10):
        """Every reply (parsed) until the tallier closes the connection."""
        out = []
        for line in c.read_until_eof(timeout):
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append(line)  # shown as is by the assertion
        return out

    def assertLog(self, tallier, regex, timeout=10):
        return tallier.wait_for_log(regex, timeout=timeout)


# --------------------------------------------------------------------------
# 1. Counting over TCP alone


class TcpCounting(TcpCase):

    def test_200_concurrent_clients_without_broker(self):
        # tallier --no-mqtt and no broker anywhere: 200 raw clients, all
        # connected at once (a barrier), plus 32 voter --tcp processes 16
        # at a time, running meanwhile. Every receipt says counted; the
        # result, asked over TCP, is exact.
        # (all from 127.0.0.1: --max-per-address raised for them)
        t = self.tcp_tallier("--max-per-address", "1000")
        port = t.tcp_port
        choices = ["yes", "no", "abstain", "yes"]
        n_raw, n_voters = 200, 32
        barrier = threading.Barrier(n_raw, timeout=60)
        receipts = [None] * n_raw
        errors = []

        def raw(i):
            try:
                c = TcpClient(port, timeout=60)
                try:
                    barrier.wait()
                    c.send(ballot_json("raw%03d" % i, choices[i % 4], poll=self.poll,
                                       id=bid(i)) + "\n")
                    receipts[i] = c.read_json(timeout=60)
                finally:
                    c.close()
            except Exception as e:  # reported below, with the others
                errors.append((i, repr(e)))
                barrier.abort()

        def voter(i):
            return harness.run_voter(["--tcp", "-h", HOST, "-p", str(port), "-t",
                                      "vote/" + self.poll, "-m", choices[i % 4],
                                      "--voter", "cli%02d" % i, "--timeout", "30"], timeout=60)

        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            voters = [pool.submit(voter, i) for i in range(n_voters)]
            threads = [threading.Thread(target=raw, args=(i,)) for i in range(n_raw)]
            for th in threads:
                th.start()
            for th in threads:
                th.join(90)
            self.assertFalse(any(th.is_alive() for th in threads), "raw clients still running")
            voter_results = [f.result() for f in voters]
        self.assertEqual(errors, [], "raw clients that failed")
        for i, r in enumerate(receipts):
            self.assertCounted(r, id=bid(i))
        counted_re = re.compile(r"^voter: '(yes|no|abstain)' on %s counted by the tallier "
                                r"\(.+; ballot [0-9a-f]{32}\)$" % re.escape(self.poll))
        for i, (rc, out, err) in enumerate(voter_results):
            self.assertEqual(rc, 0, "voter cli%02d: stdout=%r stderr=%r" % (i, out, err))
            self.assertRegex(out.strip(), counted_re)
        want = {}
        for i in list(range(n_raw)) + list(range(n_voters)):
            want[choices[i % 4]] = want.get(choices[i % 4], 0) + 1
        r = self.result(t)
        self.assertEqual((r["counts"], r["total"], r["rejected"], r["poll"]),
                         (want, n_raw + n_voters, 0, self.poll), r)
        self.assertTrue(t.running(), t.log())


# --------------------------------------------------------------------------
# 2. Framing and limits


class TcpFraming(TcpCase):

    def test_byte_at_a_time(self):
        # One byte per segment, a short pause between (time is what is
        # under test: the tallier must put the line back together).
        t = self.tcp_tallier()
        c = self.client(t.tcp_port)
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data = (ballot_json("slow", "yes", poll=self.poll, id=ID_A) + "\r\n"
                + json.dumps({"get": "result", "poll": self.poll}) + "\n").encode()
        for i in range(len(data)):
            c.send(data[i:i + 1])
            time.sleep(0.002)
        self.assertCounted(c.read_json(), id=ID_A)
        r = c.read_json()
        self.assertEqual((r["counts"], r["total"]), ({"yes": 1}, 1), r)

    def test_pipelined_replies_in_order(self):
        # 400 ballots, a duplicate, a rejected ballot and two queries in a
        # single write: one reply per line, in order. The query in the
        # middle sees exactly the ballots before it.
        t = self.tcp_tallier()
        c = self.client(t.tcp_port)
        lines, expect = [], []
        for i in range(400):
            lines.append(ballot_json("p%03d" % i, "yes" if i % 3 else "no", poll=self.poll,
                                     id=bid(i)))
            expect.append(("counted", bid(i)))
            if i == 199:
                lines.append(json.dumps({"get": "result", "poll": self.poll}))
                expect.append(("result", 200))
            if i == 299:  # the same ballot again (same id and choice)
                lines.append(ballot_json("p005", "yes", poll=self.poll, id=bid(5)))
                expect.append(("duplicate", bid(5)))
            if i == 349:
                lines.append(json.dumps({"poll": self.poll, "choice": "yes"}))
                expect.append(("rejected", None))
        lines.append(json.dumps({"get": "result", "poll": self.poll}))
        expect.append(("result", 400))
        c.send("".join(line + "\n" for line in lines))
        for n, (kind, arg) in enumerate(expect):
            r = c.read_json()
            if kind == "result":
                self.assertEqual((r.get("poll"), r.get("total")), (self.poll, arg),
                                 "reply %d: %r" % (n, r))
            elif kind == "rejected":
                self.assertRejected(r, "missing field 'voter'")
            else:
                self.assertCounted(r, id=arg, status=kind)
        self.assertEqual(r["rejected"], 1, r)
        self.assertEqual(r["counts"], {"yes": 266, "no": 134}, r)
        c.shutdown_write()
        self.assertEqual(c.read_until_eof(), [], "replies beyond one per line")

    def test_half_close_gets_all_replies(self):
        t = self.tcp_tallier()
        c = self.client(t.tcp_port)
        c.send("".join(ballot_json("h%02d" % i, "yes", poll=self.poll, id=bid(i)) + "\n"
                       for i in range(50))
               + json.dumps({"get": "result", "poll": self.poll}) + "\n")
        c.shutdown_write()
        lines = c.read_until_eof(timeout=10)
        self.assertTrue(c.eof and not c.reset, "the tallier did not close cleanly")
        self.assertEqual(len(lines), 51, lines[-3:])
        for i in range(50):
            self.assertCounted(json.loads(lines[i]), id=bid(i))
        r = json.loads(lines[50])
        self.assertEqual((r["counts"], r["total"]), ({"yes": 50}, 50), r)

    def test_vanished_clients_mid_line(self):
        # Three clients vanish in the middle of a line: a complete ballot
        # without its newline then close(), the same then a reset, and half
        # a line; a fourth resets with its receipts unread. Nothing of the
        # partial lines is counted; the tallier keeps serving.
        # (-v: its "tcp PEER: closed" lines say when it has seen them go.)
        t = self.tcp_tallier("-v")
        self.assertCounted(harness.tcp_request(t.tcp_port, json.loads(
            ballot_json("anchor", "yes", poll=self.poll, id=ID_A))), id=ID_A)
        gone = []
        for how, data in (("close", ballot_json("ghost1", "no", poll=self.poll)),
                          ("abort", ballot_json("ghost2", "no", poll=self.poll)),
                          ("close", '{"poll":"%s","voter":"ghost3","cho' % self.poll)):
            c = self.client(t.tcp_port)
            c.send(data)
            gone.append(c.local_port)
            c.abort() if how == "abort" else c.close()
        # and one that sends 300 ballots (another poll) and resets the
        # connection without reading a receipt: the tallier's writes fail
        c = self.client(t.tcp_port)
        other = self.poll_name("o")
        c.send("".join(ballot_json("r%03d" % i, "no", poll=other) + "\n" for i in range(300)))
        gone.append(c.local_port)
        c.abort()
        for p in gone:
            self.assertLog(t, r"^tallier: tcp 127\.0\.0\.1:%d: closed$" % p)
        r = self.result(t)
        self.assertEqual((r["counts"], r["total"], r["rejected"]), ({"yes": 1}, 1, 0), r)
        self.assertCounted(harness.tcp_request(t.tcp_port, json.loads(
            ballot_json("after", "no", poll=self.poll))))
        self.assertTrue(t.running())


    def test_over_long_line(self):
        t = self.tcp_tallier()
        # 5000 bytes and no newline, then nothing: the error, then EOF
        c = self.client(t.tcp_port)
        c.send(b"x" * 5000)
        self.assertEqual(self.replies_until_eof(c), [LINE_TOO_LONG])
        self.assertLog(t, r"^tallier: tcp 127\.0\.0\.1:%d: line too long \(at most 4096 "
                          r"bytes\): closing$" % c.local_port)
        # a valid ballot of 4097 bytes, then a good one in the same write:
        # the error only (the connection is closed at the long line)
        c = self.client(t.tcp_port)
        c.send(padded_ballot(self.poll, "long", "no", 4097) + "\n"
               + ballot_json("next", "no", poll=self.poll) + "\n")
        self.assertEqual(self.replies_until_eof(c), [LINE_TOO_LONG])
        # exactly 4096 bytes: a ballot like any other, the connection stays
        c = self.client(t.tcp_port)
        c.send(padded_ballot(self.poll, "edge", "yes", 4096) + "\n")
        self.assertCounted(c.read_json())
        r = c.request({"get": "result", "poll": self.poll})
        self.assertEqual((r["counts"], r["total"], r["rejected"]), ({"yes": 1}, 1, 0), r)
        self.assertEqual(t.count_log(r"line too long"), 2, t.log())

    def test_crlf_line_of_4096_bytes(self):
        # The limit is on the line without its newline, and "\r\n" is a
        # newline: 4096 bytes then "\r\n" is within it.
        t = self.tcp_tallier()
        c = self.client(t.tcp_port)
        c.send(padded_ballot(self.poll, "edge", "yes", 4096) + "\r\n")
        r = c.read_json()
        self.assertNotEqual(r, LINE_TOO_LONG, "a 4096-byte line ended by \\r\\n was refused")
        self.assertCounted(r)

    def test_garbage_lines(self):
        # Each bad line gets its one error reply, the connection stays
        # open, empty lines get none; a ballot with "poll" but otherwise
        # bad gets a receipt that says rejected.
        t = self.tcp_tallier()
        c = self.client(t.tcp_port)
        cases = [
            (b"not json", {"error": "malformed JSON"}),
            (b"{", {"error": "malformed JSON"}),
            (b"", None),
            (b"\r", None),  # i.e. an empty line ended by \r\n
            (b"[1,2]", "error"),
            (b'"text"', "error"),
            (b"\xff\xfe", "error"),
            (b'{"voter":"x","choice":"yes"}', {"error": "missing field 'poll'"}),
            (b'{"poll":"bad/name","voter":"x","choice":"yes"}', "error"),
            (b'{"get":"result","poll":"nosuchpoll"}', {"error": "no poll 'nosuchpoll'"}),
            (b'{"get":"result"}', "error"),
            (json.dumps({"poll": self.poll, "choice": "yes"}).encode(),
             ("rejected", "missing field 'voter'")),
        ]
        c.send(b"".join(line + b"\n" for line, _ in cases))
        for line, want in cases:
            if want is None:
                continue
            r = c.read_json()
            if isinstance(want, tuple):
                self.assertRejected(r, want[1])
            elif want == "error":
                self.assertEqual(set(r), {"error"}, "%r -> %r" % (line, r))
                self.assertIsInstance(r["error"], str)
                self.assertTrue(r["error"], "%r -> %r" % (line, r))
            else:
                self.assertEqual(r, want, "reply to %r" % line)
        # still open, still counting (the rejected ballot above came before
        # the poll had a counted ballot: a refusal creates no poll, so it
        # is in no poll's "rejected")
        self.assertCounted(c.request(json.loads(ballot_json("ok", "yes", poll=self.poll,
                                                            id=ID_A))), id=ID_A)
        r = c.request({"get": "result", "poll": self.poll})
        self.assertEqual((r["counts"], r["total"], r["rejected"]), ({"yes": 1}, 1, 0), r)
        c.shutdown_write()
        self.assertEqual(c.read_until_eof(), [], "replies beyond one per non-empty line")

    def test_trailing_garbage_is_malformed_json(self):
        # A line that is a JSON object followed by more text is not JSON:
        # an error reply, not a receipt, and no poll's "rejected" moves.
        t = self.tcp_tallier()
        c = self.client(t.tcp_port)
        r = c.request(json.loads(ballot_json("ok", "yes", poll=self.poll)))
        self.assertCounted(r)
        c.send(ballot_json("x", "yes", poll=self.poll) + " trailing\n")
        self.assertEqual(c.read_json(), {"error": "malformed JSON"})
        r = c.request({"get": "result", "poll": self.poll})
        self.assertEqual((r["total"], r["rejected"]), (1, 0), r)

    def test_client_that_never_reads(self):
        # A client sends ballot after ballot and never reads a receipt.
        # The tallier stops reading from it once its replies pile up (the
        # client's writes stall, and lines it sent stay unread), others
        # are served promptly meanwhile, and the idle timeout closes it.
        # (The poll has 200 choices: it made receipts large when they
        # carried every count; they no longer do past 16 choices.)
        t = self.tcp_tallier("--idle-timeout", "2", "--max-choices", "200")
        prep = self.client(t.tcp_port)
        prep.send("".join(ballot_json("pre%03d" % i, "choice-%03d" % i, poll=self.poll) + "\n"
                          for i in range(200)))
        for _ in range(200):
            self.assertCounted(prep.read_json())
        prep.close()

        hog = self.client(t.tcp_port, rcvbuf=4096)
        hog.sock.setblocking(False)
        # each ballot followed by a query of the result (about 3 KB: 200
        # choices), so that the kernel's buffers fill quickly
        query = json.dumps({"get": "result", "poll": self.poll}) + "\n"
        data = "".join(ballot_json("h%05d" % i, "choice-000", poll=self.poll) + "\n" + query
                       for i in range(50000)).encode()
        sent = 0
        deadline = time.monotonic() + 60
        counted = None
        while sent < len(data):
            # stalled: not writable for half a second (time under test),
            # and the tallier counted none of its ballots since the last
            # such check (a slow tallier that still reads is not a stall)
            _, w, _ = select.select([], [hog.sock], [], 0.5)
            if not w:
                now_counted = self.result(t)["total"]
                if now_counted == counted:
                    break
                counted = now_counted
                continue
            try:
                sent += hog.sock.send(data[sent:sent + 65536])
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                # the kernel's buffers took the hog's writes for more than
                # the idle timeout while the tallier read nothing of it
                # (a loaded machine): it was closed as idle, checked below
                break
            self.assertLess(time.monotonic(), deadline, "the hog never stalled nor finished")
        sent_lines = data[:sent].count(b"\n") // 2  # ballots

        # others are served promptly
        for i in range(5):
            start = time.monotonic()
            other = self.client(t.tcp_port, timeout=5)
            self.assertCounted(other.request(json.loads(ballot_json(
                "other%d" % i, "yes", poll=self.poll_name("o")))), poll=self.poll_name("o"))
            r = other.request({"get": "result", "poll": self.poll})
            other.close()
            self.assertLess(time.monotonic() - start, 1.5, "another client waited")
        held = r["total"] - 200
        self.assertGreater(held, 0, r)
        self.assertLess(held, sent_lines,
                        "the tallier read all %d lines of a client that reads nothing" % sent_lines)

        # the idle timeout closes it; what it sent and was not read is never counted
        self.assertLog(t, r"^tallier: tcp 127\.0\.0\.1:%d: idle for 2 s: closing$"
                       % hog.local_port, timeout=20)
        hog.close()
        r = self.result(t)
        self.assertEqual(r["total"] - 200, held,
                         "the tallier went on reading from a client that reads nothing: %d of "
                         "its ballots counted when it stalled, %d later" % (held, r["total"] - 200))
        self.assertCounted(harness.tcp_request(t.tcp_port, json.loads(
            ballot_json("last", "choice-001", poll=self.poll))))
        self.assertTrue(t.running())

    def test_idle_timeout(self):
        t = self.tcp_tallier("--idle-timeout", "1")
        # silent from the start
        c = self.client(t.tcp_port)
        start = time.monotonic()
        self.assertEqual(self.replies_until_eof(c, timeout=10), [{"error": "idle for 1 s"}])
        took = time.monotonic() - start
        self.assertGreaterEqual(took, 0.9)
        self.assertLess(took, 5)
        self.assertLog(t, r"^tallier: tcp 127\.0\.0\.1:%d: idle for 1 s: closing$"
                       % c.local_port)
        # a line sent in pieces 0.3 s apart (2.4 s in all) keeps it alive
        # (time under test); silent after its receipt, it is closed too
        c = self.client(t.tcp_port)
        line = (ballot_json("trickle", "yes", poll=self.poll, id=ID_A) + "\n").encode()
        step = len(line) // 8 + 1
        for k in range(0, len(line), step):
            time.sleep(0.3)
            c.send(line[k:k + step])
        self.assertCounted(c.read_json(), id=ID_A)
        start = time.monotonic()
        self.assertEqual(self.replies_until_eof(c, timeout=10), [{"error": "idle for 1 s"}])
        self.assertGreaterEqual(time.monotonic() - start, 0.8)

    def test_max_clients(self):
        t = self.tcp_tallier("--max-clients", "2")
        a, b = self.client(t.tcp_port), self.client(t.tcp_port)
        q = {"get": "result", "poll": self.poll}
        # both accepted: each gets its reply
        self.assertEqual(a.request(q), {"error": "no poll '%s'" % self.poll})
        self.assertEqual(b.request(q), {"error": "no poll '%s'" % self.poll})
        c = self.client(t.tcp_port)
        self.assertEqual(self.replies_until_eof(c), [{"error": "too many connections"}])
        self.assertLog(t, r"^tallier: tcp 127\.0\.0\.1:%d: too many connections \(at most 2\): "
                          r"refused$" % c.local_port)
        # a slot freed is a slot for the next one (once the tallier has
        # seen the close: retried until a deadline)
        a.close()

        def try_one():
            d = TcpClient(t.tcp_port)
            try:
                return d.request(json.loads(ballot_json("d", "yes", poll=self.poll)))
            except AssertionError:  # refused (closed without a receipt)
                return None
            finally:
                d.close()
        r = harness.wait_for(try_one, timeout=10)
        self.assertIsNotNone(r, "no slot after a client left:\n" + t.log())
        self.assertCounted(r)
        self.assertEqual(b.request(q)["total"], 1)


# --------------------------------------------------------------------------
# 3. TCP and MQTT into one tally


class TcpAndMqtt(TcpCase):

    def test_both_paths_one_tally(self):
        broker = self.private_broker()
        topic = "vote/" + self.poll
        t = self.tcp_tallier(broker=broker, topics=[topic])
        port = t.tcp_port

        def tcp_vote(choice, voter):
            rc, out, err = harness.run_voter(["--tcp", "-h", HOST, "-p", str(port), "-t", topic,
                                              "-m", choice, "--voter", voter])
            self.assertEqual(rc, 0, "voter --tcp %s: %r %r" % (voter, out, err))

        self.vote_ok(broker.port, self.poll, "yes", "alice")
        self.vote_ok(broker.port, self.poll, "no", "bob")
        tcp_vote("yes", "carol")
        tcp_vote("maybe", "dave")
        self.assertCounted(harness.tcp_request(port, json.loads(
            ballot_json("erin", "no", poll=self.poll))))
        self.assertResult(broker.port, self.poll, {"yes": 2, "no": 2, "maybe": 1},
                          tallier=t, timeout=20)
        # a voter's TCP ballot replaces the same voter's MQTT one, and
        # the other way round: one tally
        tcp_vote("no", "alice")
        self.vote_ok(broker.port, self.poll, "yes", "dave")
        want = {"yes": 2, "no": 3}
        self.assertResult(broker.port, self.poll, want, total=5, tallier=t, timeout=20)
        r = self.result(t)
        self.assertEqual((r["counts"], r["total"], r["rejected"]), (want, 5, 0), r)


# --------------------------------------------------------------------------
# 4. Clients that know nothing of this project


class IndependentClients(TcpCase):

    def conversation(self, poll):
        lines = [
            json.dumps({"poll": poll, "voter": "alice", "choice": "yes", "id": ID_A,
                        "ts": 1795323303110}),
            json.dumps({"poll": poll, "voter": "alice", "choice": "yes", "id": ID_A,
                        "ts": 1795323303110}),
            json.dumps({"poll": poll, "voter": "bob", "choice": "no"}) + "\r",
            "",
            json.dumps({"get": "result", "poll": poll}),
            "hello",
        ]
        return "".join(line + "\n" for line in lines).encode()

    def check_replies(self, poll, text):
        replies = [json.loads(line) for line in text.splitlines()]
        self.assertEqual(len(replies), 5, text)
        self.assertCounted(replies[0], id=ID_A, poll=poll)
        self.assertEqual(replies[0]["counts"], {"yes": 1})
        self.assertCounted(replies[1], id=ID_A, poll=poll, status="duplicate")
        self.assertCounted(replies[2], poll=poll)
        self.assertIn(replies[2].get("id"), (None, ""), replies[2])
        self.assertEqual(replies[2]["counts"], {"no": 1, "yes": 1})
        self.assertEqual(set(replies[3]), RESULT_KEYS, replies[3])
        self.assertEqual((replies[3]["poll"], replies[3]["counts"], replies[3]["total"],
                          replies[3]["rejected"]), (poll, {"no": 1, "yes": 1}, 2, 0))
        self.assertEqual(replies[4], {"error": "malformed JSON"})

    def test_netcat(self):
        nc = shutil.which("nc")
        if nc is None:
            self.skipTest("nc is not installed (netcat-openbsd): the netcat client is skipped")
        p = subprocess.run([nc, "-h"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=10)
        if not re.search(rb"(?m)^\s*-N\s", p.stdout):
            self.skipTest("this nc has no -N (close after stdin's EOF): not netcat-openbsd; "
                          "the netcat client is skipped")
        t = self.tcp_tallier()
        p = subprocess.run([nc, "-N", "-w", "10", HOST, str(t.tcp_port)],
                           input=self.conversation(self.poll), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.check_replies(self.poll, p.stdout.decode())

    def test_plain_python_socket(self):
        t = self.tcp_tallier()
        with socket.create_connection((HOST, t.tcp_port), timeout=10) as s:
            s.sendall(self.conversation(self.poll))
            s.shutdown(socket.SHUT_WR)
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        self.check_replies(self.poll, data.decode())


# --------------------------------------------------------------------------
# 5. voter --tcp


class VoterTcp(TcpCase):

    def voter(self, port, choice, *extra, voter="vera", timeout=30):
        return harness.run_voter(["--tcp", "-h", HOST, "-p", str(port), "-t", "vote/" + self.poll,
                                  "-m", choice, "--voter", voter] + list(extra), timeout=timeout)

    def test_exit_codes(self):
        t = self.tcp_tallier("--choices", "yes,no")
        # 0: counted
        rc, out, err = self.voter(t.tcp_port, "yes")
        self.assertEqual(rc, 0, (out, err))
        m = re.match(r"^voter: 'yes' on %s counted by the tallier \((.+); ballot ([0-9a-f]{32})\)$"
                     % re.escape(self.poll), out.strip())
        self.assertIsNotNone(m, (out, err))
        self.assertIn("yes 1", m.group(1))
        # 3: rejected, with the reason
        rc, out, err = self.voter(t.tcp_port, "maybe", voter="walt")
        self.assertEqual(rc, 3, (out, err))
        self.assertIn("voter: 'maybe' on %s rejected by the tallier: unknown choice 'maybe'"
                      % self.poll, (out + err).splitlines())
        r = self.result(t)
        self.assertEqual((r["counts"], r["total"], r["rejected"]), ({"yes": 1, "no": 0}, 1, 1), r)
        # 1: nothing listens there, and it says so at once
        closed = self.closed_port()
        start = time.monotonic()
        rc, out, err = self.voter(closed, "yes")
        self.assertEqual(rc, 1, (out, err))
        self.assertIn("voter: cannot connect to %s:%d: connection refused" % (HOST, closed),
                      err.splitlines())
        self.assertLess(time.monotonic() - start, 2)
        # --revote no: another ballot of the voter is "already voted" (3),
        # with the same choice as with another (issue 19)
        t2 = self.tcp_tallier("--revote", "no")
        self.assertEqual(self.voter(t2.tcp_port, "yes", voter="rita")[0], 0)
        for choice in ("yes", "no"):
            rc, out, err = self.voter(t2.tcp_port, choice, voter="rita")
            self.assertEqual(rc, 3, (out, err))
            self.assertIn("voter: '%s' on %s rejected by the tallier: already voted" % (choice, self.poll),
                          (out + err).splitlines())
        # 2: usage (no -m)
        rc, out, err = harness.run_voter(["--tcp", "-h", HOST, "-p", str(t.tcp_port),
                                          "-t", "vote/" + self.poll])
        self.assertEqual(rc, 2, (out, err))

    def test_no_receipt_times_out(self):
        # Something that accepts and never answers: exit 1 after --timeout.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as srv:
            srv.bind((HOST, 0))
            srv.listen(4)
            start = time.monotonic()
            rc, out, err = self.voter(srv.getsockname()[1], "yes", "--timeout", "1")
            took = time.monotonic() - start
        self.assertEqual(rc, 1, (out, err))
        self.assertIn("timed out", err)
        self.assertGreaterEqual(took, 0.9)
        self.assertLess(took, 5)


# --------------------------------------------------------------------------
# 6. IPv6


class TcpIpv6(TcpCase):

    def test_ipv6_loopback(self):
        if not ipv6_loopback():
            self.skipTest("no IPv6 loopback (::1) on this machine")
        t = self.tcp_tallier("-v", listen="[::1]:0")
        self.assertEqual(t.tcp_host, "::1")
        c = self.client(t.tcp_port, host="::1")
        self.assertCounted(c.request(json.loads(ballot_json("six", "yes", poll=self.poll,
                                                            id=ID_A))), id=ID_A)
        self.assertLog(t, r"^tallier: tcp \[::1\]:%d: connected$" % c.local_port)
        rc, out, err = harness.run_voter(["--tcp", "-h", "::1", "-p", str(t.tcp_port),
                                          "-t", "vote/" + self.poll, "-m", "no",
                                          "--voter", "seven"])
        self.assertEqual(rc, 0, (out, err))
        r = self.result(t, host="::1")
        self.assertEqual((r["counts"], r["total"]), ({"yes": 1, "no": 1}, 2), r)


# --------------------------------------------------------------------------
# 7. What an attacker (or an accident) reaches: a line that never ends,
# many connections from one address, the descriptor limit, replies never
# read. Each test also checks that nothing counted before and during the
# attack is lost.


def proc_cpu_seconds(pid):
    """utime + stime of pid, in seconds (/proc/<pid>/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_kb(pid):
    """VmRSS of pid in kB (/proc/<pid>/status)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/%d/status" % pid)


def lowest_free_fd(pid):
    """The descriptor number the next open() of pid would get."""
    used = {int(n) for n in os.listdir("/proc/%d/fd" % pid)}
    n = 0
    while n in used:
        n += 1
    return n


class NofileTallier(harness.TcpTallier):
    """A TcpTallier started with RLIMIT_NOFILE at nofile (soft and hard)."""

    def __init__(self, *args, nofile, **kw):
        self.nofile = nofile
        harness.TcpTallier.__init__(self, *args, **kw)

    def _preexec(self):
        harness.TcpTallier._preexec(self)
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))


class TcpAttacks(TcpCase):

    def vote(self, port, voter, choice="yes", host=HOST, poll=None):
        r = harness.tcp_request(port, json.loads(ballot_json(voter, choice, poll=poll or self.poll)),
                                host=host)
        self.assertCounted(r, poll=poll)
        return r

    def test_slowloris_line_timeout(self):
        # A client that sends a byte of a line every 0.1 s and never its
        # newline: activity, so the idle timeout (30 s) never closes it;
        # the line timeout (1 s) does, while it keeps sending. An honest
        # client on another connection votes before and during it.
        t = self.tcp_tallier("--line-timeout", "1")
        self.vote(t.tcp_port, "before")
        slow = self.client(t.tcp_port)
        slow.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        stop = threading.Event()
        sent = []

        def dribble():
            line = ballot_json("slow", "no", poll=self.poll).encode()
            while not stop.is_set():
                try:
                    slow.sock.send(line[len(sent) % len(line):][:1])
                except OSError:
                    return
                sent.append(time.monotonic())
                stop.wait(0.1)  # the attack's pace (time is what is under test)
        start = time.monotonic()
        th = threading.Thread(target=dribble)
        th.start()
        try:
            harness.wait_for(lambda: len(sent) >= 3, timeout=10)
            self.vote(t.tcp_port, "during", "no")
            replies = self.replies_until_eof(slow, timeout=10)
            took = time.monotonic() - start
        finally:
            stop.set()
            th.join(10)
        self.assertEqual(replies, [{"error": "line not complete within 1 s"}])
        self.assertGreaterEqual(took, 0.9)
        self.assertLess(took, 5)
        self.assertGreaterEqual(sum(1 for s in sent if s - start > 0.5), 3,
                                "the client did not keep sending until it was closed")
        self.assertLog(t, r"^tallier: tcp 127\.0\.0\.1:%d: line not complete within 1 s: "
                          r"closing$" % slow.local_port)
        self.vote(t.tcp_port, "after")
        r = self.result(t)
        self.assertEqual((r["counts"], r["total"], r["rejected"]), ({"yes": 2, "no": 1}, 3, 0), r)
        # a line may take its time in pieces, within the deadline; the
        # clock starts again at each line (pipelined lines are not late)
        c = self.client(t.tcp_port)
        for i in range(3):
            line = (ballot_json("piece%d" % i, "yes", poll=self.poll) + "\n").encode()
            c.send(line[:10])
            time.sleep(0.4)  # within the 1 s deadline (time under test)
            c.send(line[10:])
            self.assertCounted(c.read_json())
        self.assertEqual(self.result(t)["total"], 6)

    def test_max_per_address(self):
        # --max-per-address 3: the 4th connection from 127.0.0.1 gets the
        # error and is closed, while the 3 are served; one from 127.0.0.2
        # (all of 127/8 is the loopback: another address) is served; a
        # slot freed is a slot for the next one from 127.0.0.1.
        t = self.tcp_tallier("--max-per-address", "3", "-v")
        q = {"get": "result", "poll": self.poll}
        self.vote(t.tcp_port, "before")
        three = [self.client(t.tcp_port) for _ in range(3)]
        for c in three:
            self.assertEqual(c.request(q)["total"], 1)
        fourth = self.client(t.tcp_port)
        self.assertEqual(self.replies_until_eof(fourth),
                         [{"error": "too many connections from this address"}])
        self.assertLog(t, r"^tallier: tcp 127\.0\.0\.1:%d: too many connections from this "
                          r"address \(at most 3\): refused$" % fourth.local_port)
        with socket.create_connection((HOST, t.tcp_port), timeout=10,
                                      source_address=("127.0.0.2", 0)) as other:
            other.sendall((ballot_json("other", "no", poll=self.poll) + "\n").encode())
            f = other.makefile("rb")
            self.assertCounted(json.loads(f.readline()))
            f.close()
        self.assertLog(t, r"^tallier: tcp 127\.0\.0\.2:\d+: connected$")
        for c in three:  # still served
            self.assertEqual(c.request(q)["total"], 2)
        gone = three.pop()
        port = gone.local_port
        gone.close()
        self.assertLog(t, r"^tallier: tcp 127\.0\.0\.1:%d: closed$" % port)
        self.vote(t.tcp_port, "after")
        r = self.result(t)
        self.assertEqual((r["counts"], r["total"], r["rejected"]), ({"yes": 2, "no": 1}, 3, 0), r)
        self.assertEqual(t.count_log(r"too many connections from this address"), 1, t.log())

    def test_max_per_address_ipv6(self):
        # IPv6 addresses are counted as themselves ([::1] here).
        if not ipv6_loopback():
            self.skipTest("no IPv6 loopback (::1) on this machine")
        t = self.tcp_tallier("--max-per-address", "1", listen="[::1]:0")
        a = self.client(t.tcp_port, host="::1")
        self.assertCounted(a.request(json.loads(ballot_json("six", "yes", poll=self.poll))))
        b = self.client(t.tcp_port, host="::1")
        self.assertEqual(self.replies_until_eof(b),
                         [{"error": "too many connections from this address"}])
        self.assertLog(t, r"^tallier: tcp \[::1\]:%d: too many connections from this address "
                          r"\(at most 1\): refused$" % b.local_port)
        self.assertEqual(a.request({"get": "result", "poll": self.poll})["total"], 1)

    def cpu_over(self, pid, seconds):
        """CPU time pid uses in the next `seconds` of wall time."""
        before = proc_cpu_seconds(pid)
        time.sleep(seconds)  # the span CPU is measured over (not a wait for a condition)
        return proc_cpu_seconds(pid) - before

    def test_descriptor_limit(self):
        # RLIMIT_NOFILE 64 and --max-clients 5000: the tallier lowers
        # --max-clients to what the limit leaves room for (64 - 32) and
        # says so; clients past it are refused with the usual error.
        t = NofileTallier(None, self.client_id(), nofile=64,
                          extra=["--max-clients", "5000", "-v"])
        self.addCleanup(t.cleanup)
        t.wait_listening()
        self.assertLog(t, r"^tallier: tcp: --max-clients 5000 lowered to 32: the descriptor "
                          r"limit \(ulimit -n\) is 64, 32 of them kept for the database, the "
                          r"broker and the log$")
        pid, port = t.proc.pid, t.tcp_port
        keeper = self.client(port)
        self.assertCounted(keeper.request(json.loads(ballot_json("keeper", "yes",
                                                                 poll=self.poll))))
        q = {"get": "result", "poll": self.poll}
        extra = []
        for i in range(40):  # more than the limit allows
            extra.append(self.client(port))
            extra[-1].send_json(q)
        refused = 0
        for c in extra:
            line = c.read_line()
            self.assertIsNotNone(line, "closed without a reply")
            r = json.loads(line)
            if r == {"error": "too many connections"}:
                refused += 1
                self.assertEqual(c.read_until_eof(), [])
            else:
                self.assertEqual(r["total"], 1, r)
        self.assertEqual(refused, 40 - 31, "keeper + 31 = 32 clients served, the rest refused")
        self.assertEqual(t.count_log(r"too many connections \(at most 32\): refused$"), 9)
        for c in extra:
            c.close()
        # (-v: "closed" for each of the 31 served, which then gave their
        # descriptors back)
        harness.wait_for(lambda: t.count_log(r": closed$") >= 31, timeout=10)
        self.assertEqual(t.count_log(r": closed$"), 31, t.log())

        # Out of descriptors for real: the limit lowered under the running
        # tallier to its lowest free descriptor, so that accept fails with
        # EMFILE. New clients wait in the backlog; the tallier logs it
        # once, goes on serving the client it has, and does not spin: its
        # CPU time over 2 s stays far below what a loop polling a readable
        # listening socket burns (about 2 s of the 2 s; the bound of 0.5 s
        # does not measure speed, it detects a spin).
        limit = lowest_free_fd(pid)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (limit, 64))
        waiting = []
        for i in range(5):
            waiting.append(self.client(port))
            waiting[-1].send(ballot_json("waiting%d" % i, "no", poll=self.poll) + "\n")
        self.assertLog(t, r"^tallier: tcp: cannot accept new connections: Too many open files "
                          r"\(clients connected: 1\); retrying every 100 ms$")
        cpu = self.cpu_over(pid, 2.0)
        self.assertLess(cpu, 0.5, "the tallier spins while out of descriptors (%.2f s of CPU "
                                  "in 2 s)" % cpu)
        self.assertEqual(keeper.request(q)["total"], 1)
        self.assertEqual(t.count_log(r"cannot accept new connections"), 1, t.log())
        # room again: the waiting clients are accepted, counted, answered
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (64, 64))
        for c in waiting:
            self.assertCounted(c.read_json(timeout=10))
        self.assertLog(t, r"^tallier: tcp: accepting new connections again$")
        r = keeper.request(q)
        self.assertEqual((r["counts"], r["total"], r["rejected"]), ({"yes": 1, "no": 5}, 6, 0), r)
        self.assertTrue(t.running())

    def test_replies_never_read(self):
        # A poll whose result is large (5000 choices of 64 bytes: about
        # 350 KB), and two clients that pipeline thousands of queries of it
        # and never read. The tallier answers a client's lines only while
        # fewer than 64 KiB of its replies wait: its memory stays bounded
        # (VmRSS grows by less than 32 MB; answering every line of a 4 KB
        # input buffer at once would queue about 80 results, 28 MB, per
        # client), and another client is answered meanwhile.
        n = 5000
        t = self.tcp_tallier("--max-choices", str(n), "--idle-timeout", "60")
        pid = t.proc.pid
        prep = self.client(t.tcp_port)
        names = ["%05d" % i + "c" * 59 for i in range(n)]
        prep.send("".join(ballot_json("v%05d" % i, names[i], poll=self.poll) + "\n"
                          for i in range(n)))
        for _ in range(n):
            self.assertCounted(prep.read_json(timeout=60))
        big = prep.request({"get": "result", "poll": self.poll})
        self.assertEqual(big["total"], n)
        size = len(json.dumps(big, separators=(",", ":")))
        self.assertGreater(size, 300000)
        prep.close()
        rss0 = proc_rss_kb(pid)

        query = (json.dumps({"get": "result", "poll": self.poll}) + "\n").encode()
        data = query * 20000
        hogs = []
        for _ in range(2):
            h = self.client(t.tcp_port, rcvbuf=4096)
            h.sock.setblocking(False)
            hogs.append([h, 0])
        deadline = time.monotonic() + 60
        stalled = False
        while not stalled:
            stalled = True
            for hog in hogs:
                # stalled: not writable for half a second (time under test)
                _, w, _ = select.select([], [hog[0].sock], [], 0.5)
                if w and hog[1] < len(data):
                    try:
                        hog[1] += hog[0].sock.send(data[hog[1]:hog[1] + 65536])
                        stalled = False
                    except BlockingIOError:
                        pass
            self.assertLess(time.monotonic(), deadline, "the hogs never stalled")
        # a stalled hog may not have been answered yet (a busy tallier, its
        # input still in the kernel): wait until each has a reply waiting,
        # so that its first one is surely from before the other client votes
        for hog in hogs:
            readable, _, _ = select.select([hog[0].sock], [], [], 20)
            self.assertTrue(readable, "the tallier never answered a client that does not read")
        peak = proc_rss_kb(pid)
        # another client: a ballot counted and the large result answered
        other = self.client(t.tcp_port, timeout=20)
        self.assertCounted(other.request(json.loads(ballot_json(
            "other", names[0], poll=self.poll)), timeout=20))
        self.assertEqual(other.request({"get": "result", "poll": self.poll}, timeout=20)["total"],
                         n + 1)
        peak = max(peak, proc_rss_kb(pid))
        growth_mb = (peak - rss0) / 1024
        self.assertLess(growth_mb, 32, "VmRSS grew from %d to %d kB under 2 clients that do not "
                                       "read (%d and %d bytes of queries sent)"
                        % (rss0, peak, hogs[0][1], hogs[1][1]))
        # a hog that reads at last gets its replies, each whole: first
        # those answered before the other client voted, then, as they
        # drain, the lines held since are answered (they see its ballot)
        h = hogs[0][0]
        h.sock.setblocking(True)
        totals = [h.read_json(timeout=20)["total"]]
        while totals[-1] == n and len(totals) < 200:
            totals.append(h.read_json(timeout=20)["total"])
        self.assertEqual((totals[0], totals[-1]), (n, n + 1), totals)
        for hog in hogs:
            hog[0].abort()
        self.assertTrue(t.running())
        self.assertEqual(self.result(t)["total"], n + 1)


if __name__ == "__main__":
    unittest.main()
