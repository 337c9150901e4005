"""The crash loop: 2000 ballots (revotes included) from 50 voters, sent by
parallel publishers, while a killer thread SIGKILLs the tallier at random
moments and restarts it (same -i, same database) after a random short
pause. In the end the retained result must equal the tally computed here,
independently, from what was sent: per voter, the ballot with the
greatest (ts, id). The second test also restarts the broker once in the
middle (SIGTERM, then again on the same port and persistence directory).

Most ballots go out as `mosquitto_pub -l` batches of JSON ballots made
here, with an explicit, increasing "ts" and a random "id"; some as
`voter --confirm` (its ballot id is read from its output; its ts is its
wall clock, between the times measured here before and after it ran, so
every later ballot of that voter gets a greater ts). A voter identity
belongs to one publisher thread, which sends its ballots in order.

Set MQTTVOTE_CRASH_SEED to replay a run (the seed is printed)."""

import collections
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import unittest

import harness
from harness import HOST, IntegrationCase, ballot_json

N_VOTERS = 50
N_BALLOTS = 2000
N_THREADS = 5
VOTER_RUN_SHARE = 0.02      # about 40 ballots by `voter --confirm`, plus one per thread
CHOICES = ("red", "green", "blue", "white")
MIN_KILLS = 5
MAX_KILLS = 15              # while the ballots are still coming
VOTER_TIMEOUT = 60
BALLOT_LOG_RE = r"^tallier: vote/"  # -v: one line per ballot handled
COUNTED_RE = (r"^voter: '(?P<choice>[^']*)' on (?P<poll>\S+) (counted|already counted) "
              r"by the tallier \((?P<counts>.*); ballot (?P<id>[0-9a-f]{32})\)\n$")


def now_ms():
    return time.time_ns() // 1000000


def plan(rng, voters):
    """Each thread's steps: ("pub", [(voter, choice)...]) or ("voter",
    voter, choice). Every voter votes at least once; about half of them
    several times (up to dozens); each thread ends with a `voter` run."""
    groups = [voters[k::N_THREADS] for k in range(N_THREADS)]
    per_thread = N_BALLOTS // N_THREADS
    plans = []
    for group in groups:
        revoters = rng.sample(group, max(1, len(group) // 2))
        items = [(v, rng.choice(CHOICES)) for v in group]
        items += [(rng.choice(revoters), rng.choice(CHOICES))
                  for _ in range(per_thread - len(group))]
        rng.shuffle(items)
        steps, batch, size = [], [], rng.randint(20, 80)
        for i, (voter, choice) in enumerate(items):
            if i == len(items) - 1 or rng.random() < VOTER_RUN_SHARE:
                if batch:
                    steps.append(("pub", batch))
                    batch, size = [], rng.randint(20, 80)
                steps.append(("voter", voter, choice))
            else:
                batch.append((voter, choice))
                if len(batch) >= size:
                    steps.append(("pub", batch))
                    batch, size = [], rng.randint(20, 80)
        plans.append(steps)
    assert sum(1 if s[0] == "voter" else len(s[1]) for p in plans for s in p) == N_BALLOTS
    return plans


class CrashLoop(IntegrationCase):

    def setUp(self):
        self.broker = self.private_broker()
        self.port = self.broker.port
        self.poll = self.poll_name()
        self.topic = "vote/" + self.poll
        self.lock = threading.Lock()
        self.errors = []
        self.final = {}           # voter -> (choice, id, ts or None)
        self.sent = 0             # ballots sent so far
        self.stats = collections.Counter()
        self.kills = 0
        self.kills_in_traffic = 0
        self.traffic_done = threading.Event()
        self.abort = threading.Event()

    def error(self, text):
        with self.lock:
            self.errors.append(text)
        self.abort.set()

    # -- publishers

    def wait_broker(self):
        """After a failure: wait (polling, with a deadline) for the broker
        to accept connections again."""
        return harness.wait_for(lambda: harness.port_accepts(self.port), 30, interval=0.05)

    def send_lines(self, lines):
        data = "".join(line + "\n" for line in lines).encode("utf-8")
        argv = [harness.mosquitto_pub_path(), "-h", HOST, "-p", str(self.port), "-q", "1",
                "-t", self.topic, "-l"]
        deadline = time.monotonic() + 90
        while not self.abort.is_set():
            try:
                rc, out, err = harness.run_child(argv, timeout=30, input=data)
            except subprocess.TimeoutExpired:
                rc, err = None, "timed out after 30 s"
            if rc == 0:
                return True
            with self.lock:
                self.stats["mosquitto_pub retries"] += 1
            if not self.restart_broker or time.monotonic() > deadline:
                self.error("mosquitto_pub -l (%d lines) failed (%s): %s" % (len(lines), rc, err))
                return False
            self.wait_broker()  # the broker restarts: send the batch again (same ids)
        return False

    def run_voter(self, voter, choice):
        argv = [harness.voter_path(), "-h", HOST, "-p", str(self.port), "-t", self.topic,
                "-m", choice, "--voter", voter, "--confirm", "--timeout", str(VOTER_TIMEOUT)]
        deadline = time.monotonic() + 150
        while not self.abort.is_set():
            try:
                rc, out, err = harness.run_child(argv, timeout=VOTER_TIMEOUT + 30)
            except subprocess.TimeoutExpired:
                rc, out, err = None, "", "did not exit"
            if rc == 0:
                m = re.match(COUNTED_RE, out)
                if m and m.group("choice") == choice and m.group("poll") == self.poll:
                    return m.group("id")
                self.error("voter %s %s: exit 0 but %r %r" % (voter, choice, out, err))
                return None
            with self.lock:
                self.stats["voter retries"] += 1
            # 1: not delivered, e.g. the broker went away; a new run sends a
            # new ballot, later than the one that may have gone through
            if rc != 1 or not self.restart_broker or time.monotonic() > deadline:
                self.error("voter %s %s: exit %s: %r %r" % (voter, choice, rc, out, err))
                return None
            self.wait_broker()
        return None

    def publisher(self, steps):
        try:
            last_ts = 0
            for step in steps:
                if self.abort.is_set():
                    return
                if step[0] == "pub":
                    lines, final = [], {}
                    for voter, choice in step[1]:
                        ts = max(last_ts + 1, now_ms())
                        last_ts = ts
                        bid = harness.new_ballot_id()
                        lines.append(ballot_json(voter, choice, poll=self.poll, id=bid, ts=ts))
                        final[voter] = (choice, bid, ts)
                    if not self.send_lines(lines):
                        return
                    n = len(lines)
                else:
                    _, voter, choice = step
                    bid = self.run_voter(voter, choice)
                    # its ts (or that of a failed run before it) is <= now
                    last_ts = max(last_ts, now_ms())
                    if bid is None:
                        return
                    final = {voter: (choice, bid, None)}
                    n = 1
                with self.lock:
                    self.final.update(final)
                    self.sent += n
                    self.stats["voter --confirm" if step[0] == "voter" else "mosquitto_pub -l"] += 1
        except Exception as e:  # pragma: no cover - reported by the test
            self.error("publisher: %r" % e)

    # -- killer

    def killer(self, t, rng):
        """SIGKILLs t at random moments, restarting it after a random short
        pause; ends right after a kill (the test starts it one last time)."""
        try:
            while not self.abort.is_set():
                if self.kills >= MAX_KILLS:
                    harness.wait_for(lambda: self.traffic_done.is_set() or self.abort.is_set(),
                                     300, interval=0.05)
                base = t.count_log(BALLOT_LOG_RE)
                if rng.random() < 0.5:
                    # a random moment in its work: after a random number of
                    # ballots more (or a random while, if fewer come)
                    n = rng.randint(1, 250)
                    harness.wait_for(lambda: t.count_log(BALLOT_LOG_RE) >= base + n,
                                     rng.uniform(0.2, 2.0))
                else:
                    time.sleep(rng.uniform(0.0, 0.6))  # a random moment for the kill
                t.kill()
                self.kills += 1
                if not self.traffic_done.is_set():
                    self.kills_in_traffic += 1
                if self.traffic_done.is_set() and self.kills >= MIN_KILLS:
                    return
                time.sleep(rng.uniform(0.0, 0.4))  # a random pause before the restart
                t.start()
        except Exception as e:  # pragma: no cover - reported by the test
            self.error("killer: %r" % e)
            t.kill()

    # -- the test

    def crash_loop(self, restart_broker):
        self.restart_broker = restart_broker
        seed = int(os.environ.get("MQTTVOTE_CRASH_SEED") or random.SystemRandom().randrange(1 << 30))
        print("\n%s: seed %d" % (self._testMethodName, seed), file=sys.stderr)
        rng = random.Random(seed)
        voters = ["voter%02d" % i for i in range(N_VOTERS)]
        plans = plan(rng, voters)
        started = time.monotonic()

        # -v: a log line per ballot, which the killer uses to strike mid-work
        t = self.start_tallier(self.broker, topics=[self.topic], extra=["-v"])
        killer = threading.Thread(target=self.killer, args=(t, random.Random(seed + 1)))
        pubs = [threading.Thread(target=self.publisher, args=(steps,)) for steps in plans]
        killer.start()
        for p in pubs:
            p.start()
        broker_restarted = None
        try:
            if restart_broker:
                # in the middle of the traffic; from this thread, which
                # outlives the broker (its children die with their thread)
                half = harness.wait_for(lambda: self.sent >= N_BALLOTS // 2 or self.abort.is_set(),
                                        120, interval=0.01)
                self.assertTrue(half, "half the ballots were not sent within 120 s")
                if not self.abort.is_set():
                    sent_then = self.sent
                    self.broker.restart()
                    broker_restarted = sent_then
            for p in pubs:
                p.join(240)
                self.assertFalse(p.is_alive(), "a publisher is stuck")
        finally:
            self.traffic_done.set()
            if any(p.is_alive() for p in pubs):
                self.abort.set()
            killer.join(60)
        self.assertFalse(killer.is_alive(), "the killer is stuck")
        self.assertEqual(self.errors, [], "tallier stderr:\n" + harness._tail(t.log()))
        self.assertEqual(self.sent, N_BALLOTS)
        self.assertEqual(set(self.final), set(voters))
        self.assertGreaterEqual(self.kills, MIN_KILLS)
        traffic_time = time.monotonic() - started
        if restart_broker:
            self.assertIsNotNone(broker_restarted)

        # one last start; then the retained result must come to the tally
        # computed from what was sent
        loaded_before = t.count_log(r"^tallier: loaded ")
        t.start()
        want = dict(collections.Counter(choice for choice, _, _ in self.final.values()))
        r = harness.wait_result(self.port, self.poll,
                                lambda r: r["counts"] == want and r["total"] == N_VOTERS,
                                timeout=90)
        took = time.monotonic() - started
        got = None if r is None else {"counts": r.get("counts"), "total": r.get("total")}
        self.assertEqual(got, {"counts": want, "total": N_VOTERS},
                         "result %r\ntallier stderr:\n%s" % (r, harness._tail(t.log())))
        self.assertEqual(r.get("rejected"), 0, r)
        print("%s: %d kills of the tallier (%d while ballots were coming)%s; %d ballots "
              "(%s); traffic %.1f s, result right %.1f s after the start"
              % (self._testMethodName, self.kills, self.kills_in_traffic,
                 "" if broker_restarted is None
                 else ", broker restarted after %d ballots" % broker_restarted,
                 self.sent, ", ".join("%s: %d" % kv for kv in sorted(self.stats.items())),
                 traffic_time, took), file=sys.stderr)
        # waited for, not counted: the retained result of the run before may
        # already be the right one when this start has not logged yet
        t.wait_for_log(r"^tallier: loaded ", count=loaded_before + 1)
        self.assertEqual(t.stop(), 0, t.log())
        self.assertEqual(t.count_log(r"cannot store|rejected ballot"), 0, t.log())

        # the ballots held are exactly the latest of each voter
        rc, out, err = harness.run_tallier(["--export", self.poll, "--format", "json",
                                            "--db", harness.tallier_db(t)])
        self.assertEqual(rc, 0, err)
        held = {b["voter"]: (b["choice"], b["id"], b["ts"]) for b in json.loads(out)}
        self.assertEqual(set(held), set(voters))
        for voter, (choice, bid, ts) in sorted(self.final.items()):
            self.assertEqual(held[voter][:2], (choice, bid), voter)
            if ts is not None:
                self.assertEqual(held[voter][2], ts, voter)
        rc, out, err = harness.run_tallier(["--recount", "--db", harness.tallier_db(t)])
        self.assertEqual(rc, 0, out + err)
        self.assertTrue(out.startswith(self.poll + " OK "), out)
        self.assertEqual(json.loads(out.split(" ", 2)[2])["counts"], want)

    def test_tallier_killed_repeatedly(self):
        self.crash_loop(restart_broker=False)

    def test_tallier_killed_repeatedly_and_broker_restarted(self):
        self.crash_loop(restart_broker=True)


if __name__ == "__main__":
    unittest.main()
