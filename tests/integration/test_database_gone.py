"""The tallier's database deleted or replaced while it runs (issue 10):
the next ballot is not committed, the tallier says why and exits 1
without acknowledging it, and the broker delivers it again to the next
run (here on a fresh database path), which counts it.

Before 0d40e6c the tallier went on committing into the unlinked file and
acknowledging: it did not exit (the wait for its exit failed), and the
ballot was never delivered again."""

import os
import re
import shutil
import tempfile
import unittest

import harness
from harness import IntegrationCase, ballot_json

ID_A = "0123456789abcdef0123456789abcdef"
ID_B = "fedcba9876543210fedcba9876543210"


class DatabaseGone(IntegrationCase):

    def setUp(self):
        self.broker = self.shared_broker()
        self.port = self.broker.port
        self.poll = self.poll_name()
        self.topic = "vote/" + self.poll
        self.dir = tempfile.mkdtemp(prefix="mqttvote-dbgone-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def tallier(self, db):
        t = harness.Tallier(self.port, self.client_id(), topics=[self.topic], extra=["--db", db])
        self.addCleanup(t.cleanup)
        t.wait_subscribed()
        return t

    def run_case(self, take_away, why):
        db = os.path.join(self.dir, "tally.db")
        t = self.tallier(db)
        harness.pub(self.port, self.topic, ballot_json("ann", "yes", id=ID_A))
        self.assertResult(self.port, self.poll, {"yes": 1}, tallier=t)
        take_away(db)
        harness.pub(self.port, self.topic, ballot_json("bob", "no", id=ID_B))
        exited = harness.wait_for(lambda: not t.running(), timeout=10)
        self.assertTrue(exited, "the tallier still runs; its stderr:\n" + t.log())
        self.assertEqual(t.proc.returncode, 1, t.log())
        t.wait_for_log(r"^tallier: cannot store a ballot: the database %s %s while the tallier ran; "
                       r"stopping without acknowledging it, so that the broker delivers it again$"
                       % (re.escape(db), why), timeout=1)
        # the same session on a fresh database: bob's ballot comes again
        fresh = os.path.join(self.dir, "fresh.db")
        t2 = self.tallier(fresh)
        self.assertResult(self.port, self.poll, {"no": 1}, tallier=t2)
        rc, out, err = harness.run_tallier(["--export", self.poll, "--db", fresh])
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "voter,choice,id,ts\nbob,no,%s,\n" % ID_B)

    def test_database_deleted_stops_the_tallier_unacknowledged(self):
        self.run_case(os.unlink, r"is gone \(No such file or directory\): it was deleted or moved")

    def test_database_replaced_stops_the_tallier_unacknowledged(self):
        def replace(db):
            other = db + ".other"
            with open(other, "wb"):
                pass
            os.rename(other, db)
        self.run_case(replace, r"was replaced by another file")


if __name__ == "__main__":
    unittest.main()
