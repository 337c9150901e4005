"""tallier --export as CSV against formula injection (OWASP, "CSV
Injection"): a field that begins with = + - @ (or a tab, a carriage
return, a line feed, or a single quote) is written quoted with a single
quote in front, so that a spreadsheet shows it as text. Real ballots,
counted by a real tallier through the shared broker, then exported."""

import csv
import io
import sqlite3
import unittest

import harness
from harness import IntegrationCase, ballot_json

TS0 = 1795323303000


class ExportCsv(IntegrationCase):

    def setUp(self):
        self.broker = self.shared_broker()
        self.poll = self.poll_name()
        self.topic = "vote/" + self.poll

    def export(self, db):
        rc, out, err = harness.run_tallier(["--export", self.poll, "--db", db])
        self.assertEqual((rc, err), (0, ""), out)
        return out

    def test_formula_cells_are_escaped(self):
        t = self.start_tallier(self.broker, topics=[self.topic])
        ballots = [  # (voter, choice)
            ("=1+1", "yes"),
            ("@SUM(1+1)", "no"),
            ("+1-1", "yes"),
            ("-1", "no"),
            ('=HYPERLINK("http://127.0.0.1/?x","y")', "yes"),
            ("'quoted", "no"),
            ("plain", "=2+2"),
            ("a=b", "-"),
            ("Doe, Jane", "yes"),
        ]
        ids = {}
        for n, (voter, choice) in enumerate(ballots):
            ids[voter] = harness.new_ballot_id()
            harness.pub(self.broker.port, self.topic,
                        ballot_json(voter, choice, id=ids[voter], ts=TS0 + n))
        self.assertResult(self.broker.port, self.poll, {"yes": 4, "no": 3, "=2+2": 1, "-": 1},
                          tallier=t)
        db = harness.tallier_db(t)

        def row(voter, fields):
            n = [b[0] for b in ballots].index(voter)
            return "%s,%s,%d\n" % (fields, ids[voter], TS0 + n)

        want = ("voter,choice,id,ts\n"
                + row("'quoted", "\"''quoted\",no")
                + row("+1-1", "\"'+1-1\",yes")
                + row("-1", "\"'-1\",no")
                + row("=1+1", "\"'=1+1\",yes")
                + row('=HYPERLINK("http://127.0.0.1/?x","y")',
                      "\"'=HYPERLINK(\"\"http://127.0.0.1/?x\"\",\"\"y\"\")\",yes")
                + row("@SUM(1+1)", "\"'@SUM(1+1)\",no")
                + row("Doe, Jane", "\"Doe, Jane\",yes")
                + row("a=b", "a=b,\"'-\"")
                + row("plain", "plain,\"'=2+2\""))
        self.assertEqual(self.export(db), want)

        # what a reader gets back: drop one leading quote of a field that has one
        rows = list(csv.reader(io.StringIO(want)))[1:]
        back = sorted((v[1:] if v.startswith("'") else v, c[1:] if c.startswith("'") else c)
                      for v, c, _, _ in rows)
        self.assertEqual(back, sorted(ballots))

        # a tab, a carriage return or a line feed in front (not a valid
        # name: only a database written by something else can hold one)
        self.assertEqual(t.stop(), 0, t.log())
        con = sqlite3.connect(db)
        try:
            with con:
                for old, new in (("plain", "\t=1"), ("a=b", "\r=2"), ("Doe, Jane", "\n=3")):
                    con.execute("UPDATE ballots SET voter = ? WHERE poll = ? AND voter = ?",
                                (new, self.poll, old))
        finally:
            con.close()
        out = self.export(db)
        self.assertIn(row("Doe, Jane", "\"'\n=3\",yes"), out)
        self.assertIn(row("a=b", "\"'\r=2\",\"'-\""), out)
        self.assertIn(row("plain", "\"'\t=1\",\"'=2+2\""), out)


if __name__ == "__main__":
    unittest.main()
