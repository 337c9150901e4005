"""Durable state: the tallier keeps its tally in SQLite (--db, default
tally.db in its working directory), so a restart -- SIGTERM or SIGKILL --
loses no count and republishes every result; it refuses a database that
another tallier holds, a file that is not SQLite and a newer schema, each
left untouched; --export and --recount read the stored ballots; and when
the store cannot be written the tallier exits 1 without acknowledging the
ballot, which the broker then delivers again to the next run.

Each test runs its own tallier (own -i, own -t vote/<poll>, own database)
on the shared broker; the harness's Tallier runs in its own temp dir, so
each Tallier object has its own tally.db, kept across .stop()/.start()."""

import collections
import csv
import io
import json
import os
import re
import shutil
import sqlite3
import tempfile
import time
import unittest

import harness
from harness import HOST, IntegrationCase, ballot_json

LOADED_RE = r"^tallier: loaded (\d+) ballots in (\d+) polls from (.*)$"
CANNOT_STORE_RE = (r"^tallier: cannot store a ballot: .+; stopping without acknowledging it, "
                   r"so that the broker delivers it again$")


def now_ms():
    return time.time_ns() // 1000000


class Durable(IntegrationCase):

    def setUp(self):
        self.broker = self.shared_broker()
        self.port = self.broker.port
        self.poll = self.poll_name()
        self.topic = "vote/" + self.poll

    # -- helpers

    def tallier(self, *extra, client_id=None):
        return self.start_tallier(self.broker, topics=[self.topic], extra=list(extra),
                                  client_id=client_id)

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="mqttvote-durable-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def clear_result(self):
        """Remove the retained result: only a republication brings it back."""
        harness.pub(self.port, self.topic + "/result", None, retain=True)
        self.assertIsNone(harness.get_result(self.port, self.poll, timeout=1),
                          "the retained result is still there after clearing it")

    def loaded(self, t, count):
        """The count-th 'loaded' line of t: (ballots, polls, path)."""
        m = t.wait_for_log(LOADED_RE, count=count)
        return int(m.group(1)), int(m.group(2)), m.group(3)

    def export(self, db, fmt=None, poll=None):
        args = ["--export", poll or self.poll, "--db", db]
        if fmt:
            args += ["--format", fmt]
        return harness.run_tallier(args)

    def refused(self, args, timeout=15):
        """A tallier that must refuse to start: (rc, stderr). A tallier that
        does start (and so never exits) fails the test by the timeout."""
        argv = ["-h", HOST, "-p", str(self.port), "-i", self.client_id("refused"),
                "-t", self.topic] + list(args)
        rc, out, err = harness.run_tallier(argv, timeout=timeout)
        return rc, err

    # -- restarts

    def _restart_keeps_counts(self, stop, extra=()):
        other = self.poll_name("b")  # a second poll: every poll's result comes back
        t = self.start_tallier(self.broker, topics=[self.topic, "vote/" + other],
                               extra=list(extra))
        self.assertEqual(self.loaded(t, 1), (0, 0, "tally.db"), t.log())
        self.vote_ok(self.port, self.poll, "yes", "ann")
        self.vote_ok(self.port, self.poll, "no", "bob")
        self.vote_ok(self.port, self.poll, "no", "cat")
        self.vote_ok(self.port, self.poll, "yes", "cat")  # a revote: replaces cat's "no"
        harness.pub(self.port, self.topic, "{oops")       # refused: rejected 1
        self.vote_ok(self.port, other, "x", "zed")
        before = self.assertResult(self.port, self.poll, {"yes": 2, "no": 1}, rejected=1,
                                   tallier=t)
        before_other = self.assertResult(self.port, other, {"x": 1}, tallier=t)
        if stop == "term":
            self.assertEqual(t.stop(), 0, t.log())
        else:
            t.kill()  # SIGKILL: no chance to save anything more
        self.clear_result()
        harness.pub(self.port, "vote/%s/result" % other, None, retain=True)
        self.assertIsNone(harness.get_result(self.port, other, timeout=1))

        t.start()
        self.assertEqual(self.loaded(t, 2), (4, 2, "tally.db"), t.log())
        after = self.assertResult(self.port, self.poll, {"yes": 2, "no": 1}, rejected=1,
                                  tallier=t)
        after_other = self.assertResult(self.port, other, {"x": 1}, tallier=t)
        self.assertEqual((after["updated"], after_other["updated"]),
                         (before["updated"], before_other["updated"]),
                         "nothing changed across the restart, yet 'updated' did")

        # the stored ballots are the ones that count: ann's revote replaces
        # her stored ballot, cat's stored "yes" stays, a new voter adds one
        self.vote_ok(self.port, self.poll, "no", "ann")
        self.vote_ok(self.port, self.poll, "no", "dan")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 3}, rejected=1, tallier=t)
        if stop == "term":
            self.assertEqual(t.stop(), 0, t.log())
        else:
            t.kill()
        t.start()
        self.assertEqual(self.loaded(t, 3), (5, 2, "tally.db"), t.log())
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 3}, rejected=1, tallier=t)
        self.assertResult(self.port, other, {"x": 1}, tallier=t)
        self.assertEqual(t.count_log(r"cannot store"), 0, t.log())

    def test_restart_sigterm_keeps_counts(self):
        self._restart_keeps_counts("term")

    def test_restart_sigkill_keeps_counts(self):
        self._restart_keeps_counts("kill")

    def test_restart_sigkill_keeps_counts_sync_full(self):
        self._restart_keeps_counts("kill", extra=("--sync", "full"))

    def test_ballots_while_killed_counted_once_after_restart(self):
        # killed with ballots in its session queue and more arriving: the
        # next run counts each exactly once, on top of the stored ones
        t = self.tallier("-v")
        self.vote_ok(self.port, self.poll, "yes", "ann")
        self.assertResult(self.port, self.poll, {"yes": 1}, tallier=t)
        t.kill()
        ballot = ballot_json("bob", "no", poll=self.poll, id=harness.new_ballot_id(), ts=now_ms())
        for _ in range(3):  # the same ballot three times: one vote
            harness.pub(self.port, self.topic, ballot)
        self.vote_ok(self.port, self.poll, "yes", "cat")
        t.start()
        self.assertResult(self.port, self.poll, {"yes": 2, "no": 1}, tallier=t)
        self.assertEqual(t.count_log(r"^tallier: vote/%s: bob -> no: counted$"
                                     % re.escape(self.poll)), 1, t.log())
        self.assertEqual(t.count_log(r"^tallier: vote/%s: bob -> no: duplicate, ignored$"
                                     % re.escape(self.poll)), 2, t.log())

    # -- refusals

    def test_second_tallier_on_same_db_refused(self):
        db = os.path.join(self.tmpdir(), "shared.db")
        first = self.tallier("--db", db)
        self.vote_ok(self.port, self.poll, "yes", "ann")
        self.assertResult(self.port, self.poll, {"yes": 1}, tallier=first)

        rc, err = self.refused(["--db", db])
        self.assertEqual(rc, 1, err)
        # (it used to add "(<db>.lock is locked)"; since commit 9a3b387 the
        # lock is on the database file itself -- docs/tallier.md: "it holds a lock on
        # the file")
        self.assertEqual(err, "tallier: %s is in use by another tallier\n" % db)
        # the same file by another name: refused too
        link = os.path.join(self.tmpdir(), "link.db")
        os.symlink(db, link)
        rc, err = self.refused(["--db", link])
        self.assertEqual(rc, 1, err)
        self.assertEqual(err, "tallier: %s is in use by another tallier\n" % link)
        # the first one is unharmed and goes on counting
        self.assertTrue(first.running(), first.log())
        self.vote_ok(self.port, self.poll, "no", "bob")
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 1}, tallier=first)
        self.assertEqual(first.stop(), 0, first.log())

        # once it is stopped, another tallier (another object, another
        # session) may open that database, and finds its ballots
        second = self.tallier("--db", db, client_id=self.client_id("second"))
        self.assertEqual(self.loaded(second, 1), (2, 1, db), second.log())
        self.assertResult(self.port, self.poll, {"yes": 1, "no": 1}, tallier=second)

    def test_not_sqlite_refused_and_untouched(self):
        path = os.path.join(self.tmpdir(), "notes.db")
        content = b"these are my notes, not a database\n" * 200 + bytes(range(256)) * 8
        with open(path, "wb") as f:
            f.write(content)
        rc, err = self.refused(["--db", path])
        self.assertEqual(rc, 1, err)
        self.assertEqual(err, "tallier: cannot read %s: file is not a database\n" % path)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), content, "the file was changed")

    def test_newer_schema_refused_and_untouched(self):
        path = os.path.join(self.tmpdir(), "future.db")
        db = sqlite3.connect(path)
        db.executescript(
            "CREATE TABLE ballots (poll TEXT, voter TEXT, choice TEXT, id TEXT, ts INTEGER,"
            " cast_by TEXT, PRIMARY KEY (poll, voter));"
            "INSERT INTO ballots VALUES ('p', 'ann', 'yes', NULL, NULL, 'x');"
            "PRAGMA user_version = 6;")
        db.commit()
        db.close()
        with open(path, "rb") as f:
            content = f.read()
        rc, err = self.refused(["--db", path])
        self.assertEqual(rc, 1, err)
        self.assertEqual(err, "tallier: %s was written by a newer mqtt-vote (schema 6; this one "
                         "knows 5): left untouched\n" % path)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), content, "the file was changed")
        db = sqlite3.connect(path)
        try:
            self.assertEqual(db.execute("PRAGMA user_version").fetchone()[0], 6)
        finally:
            db.close()

    # -- export and recount

    def test_export_csv_and_json(self):
        t = self.tallier()
        db = harness.tallier_db(t)
        ts0 = now_ms() - 100000
        ids = {k: harness.new_ballot_id() for k in ("ann1", "ann2", "ann0", "doe", "bob", "zoe")}
        sent = [
            ballot_json("ann", "yes", poll=self.poll, id=ids["ann1"], ts=ts0 + 1),
            ballot_json("ann", "no", poll=self.poll, id=ids["ann2"], ts=ts0 + 3),    # revote
            ballot_json("ann", "maybe", poll=self.poll, id=ids["ann0"], ts=ts0 + 2), # stale
            ballot_json("Doe, Jane", "yes", poll=self.poll, id=ids["doe"], ts=ts0 + 4),
            ballot_json('Bob "the" Builder', 'say "no"', poll=self.poll, id=ids["bob"],
                        ts=ts0 + 5),
            ballot_json("zoë", "oui", poll=self.poll, id=ids["zoe"], ts=ts0 + 6),
            "{oops",  # refused: in 'rejected', not exported
        ]
        for payload in sent:
            harness.pub(self.port, self.topic, payload)
        harness.pub(self.port, self.topic, '{"voter":"cy","choice":"no"}')  # no id, no ts
        t_before = now_ms()
        out, _ = self.vote_ok(self.port, self.poll, "yes", "eve")
        t_after = now_ms()
        m = re.search(r"\(ballot ([0-9a-f]{32})\)$", out.strip())
        self.assertIsNotNone(m, out)
        eve_id = m.group(1)

        want = [  # (voter, choice, id, ts); eve's ts checked apart
            ("ann", "no", ids["ann2"], ts0 + 3),
            ("Doe, Jane", "yes", ids["doe"], ts0 + 4),
            ('Bob "the" Builder', 'say "no"', ids["bob"], ts0 + 5),
            ("zoë", "oui", ids["zoe"], ts0 + 6),
            ("cy", "no", None, None),
            ("eve", "yes", eve_id, None),
        ]
        want.sort(key=lambda r: r[0].encode("utf-8"))  # ordered by voter (bytes)
        counts = dict(collections.Counter(r[1] for r in want))
        result = self.assertResult(self.port, self.poll, counts, total=len(want), rejected=1,
                                   tallier=t)

        # CSV, read while the tallier runs (readers do not need the lock)
        rc, out, err = self.export(db)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines()[0], "voter,choice,id,ts", out)
        self.assertIn('\n"Doe, Jane",yes,', out)
        self.assertIn('\n"Bob ""the"" Builder","say ""no""",', out)
        rows = list(csv.reader(io.StringIO(out)))
        self.assertEqual(rows[0], ["voter", "choice", "id", "ts"])
        got = rows[1:]
        self.assertEqual([r[0] for r in got], [w[0] for w in want], out)
        for row, (voter, choice, bid, ts) in zip(got, want):
            self.assertEqual(len(row), 4, out)
            self.assertEqual(row[1], choice, out)
            self.assertEqual(row[2], bid or "", out)
            if voter == "eve":
                self.assertTrue(t_before <= int(row[3]) <= t_after, out)
            else:
                self.assertEqual(row[3], "" if ts is None else str(ts), out)
        self.assertEqual(dict(collections.Counter(r[1] for r in got)), result["counts"])
        self.assertEqual(len(got), result["total"])

        # JSON
        rc, out, err = self.export(db, fmt="json")
        self.assertEqual(rc, 0, err)
        ballots = json.loads(out)
        self.assertIsInstance(ballots, list, out)
        self.assertEqual([b.get("voter") for b in ballots], [w[0] for w in want], out)
        for b, (voter, choice, bid, ts) in zip(ballots, want):
            self.assertEqual(b.get("poll"), self.poll, out)
            self.assertEqual(b.get("choice"), choice, out)
            self.assertEqual(b.get("id"), bid, out)
            if voter == "eve":
                self.assertTrue(t_before <= b.get("ts") <= t_after, out)
            else:
                self.assertEqual(b.get("ts"), ts, out)
            self.assertLessEqual(set(b), {"poll", "voter", "choice", "id", "ts"}, out)
            if bid is not None:
                self.assertEqual(set(b), {"poll", "voter", "choice", "id", "ts"}, out)
        self.assertEqual(dict(collections.Counter(b["choice"] for b in ballots)),
                         result["counts"])

        # the same once the tallier has stopped
        self.assertEqual(t.stop(), 0, t.log())
        rc, out2, err = self.export(db, fmt="json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out2), ballots)

    def test_recount_ok_and_mismatch(self):
        t = self.tallier()
        db = harness.tallier_db(t)
        for voter, choice in (("ann", "yes"), ("bob", "no"), ("cat", "maybe"), ("dan", "yes"),
                              ("bob", "yes")):
            self.vote_ok(self.port, self.poll, choice, voter)
        harness.pub(self.port, self.topic, '{"voter":"x"}')  # refused
        result = self.assertResult(self.port, self.poll, {"yes": 3, "maybe": 1}, rejected=1,
                                   tallier=t)

        rc, out, err = harness.run_tallier(["--recount", "--db", db])
        self.assertEqual(rc, 0, out + err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 1, out)
        prefix = self.poll + " OK "
        self.assertTrue(lines[0].startswith(prefix), out)
        recounted = json.loads(lines[0][len(prefix):])
        for key in ("poll", "counts", "total", "rejected"):
            self.assertEqual(recounted.get(key), result[key], "%s: %s" % (key, out))

        # a stored choice that --choices excludes: the recount cannot match
        rc, out, err = harness.run_tallier(["--recount", "--db", db, "--choices", "yes,no"])
        self.assertEqual(rc, 1, out + err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 1, out)
        self.assertTrue(lines[0].startswith(self.poll + " MISMATCH "), out)

        # and the recount changed nothing: the tallier, restarted, agrees
        self.assertEqual(t.stop(), 0, t.log())
        self.clear_result()
        t.start()
        self.assertResult(self.port, self.poll, {"yes": 3, "maybe": 1}, rejected=1, tallier=t)

    # -- a store that cannot be written

    def test_unwritable_store_exits_then_counts_each_once(self):
        # RLIMIT_FSIZE of 64 KiB: the database and its WAL start small and
        # hit the limit after a few ballots (the tallier ignores SIGXFSZ, so
        # the write fails with EFBIG instead of killing it).
        t = harness.LimitedTallier(self.port, self.client_id(), fsize=64 * 1024,
                                   topics=[self.topic])
        self.addCleanup(t.cleanup)
        t.wait_subscribed()
        db = harness.tallier_db(t)
        choices = ("yes", "no", "abstain")
        ballots = {"w%03d" % i: (choices[i % 3], harness.new_ballot_id()) for i in range(60)}
        ts0 = now_ms()
        lines = [ballot_json(v, c, poll=self.poll, id=bid, ts=ts0 + i)
                 for i, (v, (c, bid)) in enumerate(sorted(ballots.items()))]
        rc, out, err = harness.pub_lines(self.port, self.topic, lines)
        self.assertEqual(rc, 0, err)

        exited = harness.wait_for(lambda: t.proc.poll() is not None, 20)
        self.assertTrue(exited, "the tallier is still running past its file size limit:\n"
                        + t.log())
        self.assertEqual(t.proc.returncode, 1, t.log())
        self.assertEqual(t.count_log(CANNOT_STORE_RE), 1, t.log())
        # it did store some before the limit, and not all
        rc, out, err = self.export(db)
        self.assertEqual(rc, 0, err)
        stored = len(out.splitlines()) - 1
        self.assertTrue(0 < stored < len(ballots),
                        "%d of %d ballots stored before the limit:\n%s"
                        % (stored, len(ballots), t.log()))

        # the same database and session, without the limit
        t.fsize = None
        t.start()
        self.assertEqual(self.loaded(t, 2)[0], stored, t.log())
        want = dict(collections.Counter(c for c, _ in ballots.values()))
        self.assertResult(self.port, self.poll, want, total=len(ballots), rejected=0,
                          timeout=20, tallier=t)
        self.assertEqual(t.stop(), 0, t.log())
        rc, out, err = self.export(db, fmt="json")
        self.assertEqual(rc, 0, err)
        got = {b["voter"]: (b["choice"], b["id"]) for b in json.loads(out)}
        self.assertEqual(got, ballots)
        self.assertEqual(t.count_log(CANNOT_STORE_RE), 1, t.log())
        rc, out, err = harness.run_tallier(["--recount", "--db", db])
        self.assertEqual(rc, 0, out + err)
        self.assertRegex(out, r"^%s OK \{" % re.escape(self.poll))


if __name__ == "__main__":
    unittest.main()
