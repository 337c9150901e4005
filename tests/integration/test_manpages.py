"""The man pages (issue 20, item 5): for voter, tallier and pollctl, the
options listed by `PROGRAM --help`, the options described under the man
page's OPTIONS (man/PROGRAM.1) and the options the parser accepts are one
set, each described once; the man page's EXIT STATUS lists the codes of
--help's "Exit status" and of the documentation's exit table; each page
renders without a warning (groff -ww, what man(1) runs).

What the parser accepts is asked of the real program, so the test holds
whatever the parser's shape: `PROGRAM OPTION --help --help` is refused with
"unknown option 'OPTION'" (exit 2) exactly when the program does not take
OPTION (an option's value, when it takes one, is the first --help; the
second makes it exit 0 before it runs). The candidates are every short
option -A..-Z, -a..-z, -0..-9, every option named in any of the three
programs' --help and man pages, and every long name of a `struct option`
table in the C sources."""

import collections
import glob
import os
import re
import shutil
import string
import subprocess
import unittest

import harness
from harness import run

SOURCE_DIR = os.environ.get("MQTTVOTE_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PROGRAMS = ("voter", "tallier", "pollctl")
PATHS = {"voter": harness.voter_path, "tallier": harness.tallier_path, "pollctl": harness.pollctl_path}
BOGUS = "--no-such-option-at-all"


def man_path(prog):
    return os.path.join(SOURCE_DIR, "man", prog + ".1")


def man_section(prog, title):
    """The lines of man/PROG.1 between `.SH TITLE` and the next `.SH`."""
    with open(man_path(prog), encoding="utf-8") as f:
        lines = f.read().splitlines()
    heads = [i for i, line in enumerate(lines) if line.startswith(".SH ")]
    for k, i in enumerate(heads):
        if lines[i][4:].strip().strip('"') == title:
            end = heads[k + 1] if k + 1 < len(heads) else len(lines)
            return lines[i + 1:end]
    raise AssertionError("%s: no section .SH %s" % (man_path(prog), title))


def troff_text(line):
    """A troff line as text: no macro name, font escapes, quotes; \\- is -."""
    line = re.sub(r"^\.[A-Z]+\s*", "", line)
    line = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", line)
    line = line.replace("\\-", "-").replace("\\%", "").replace("\\&", "").replace('"', " ")
    return line


def leading_options(text):
    """The option names that begin text: "-h, --host HOST ..." gives -h, --host."""
    names = []
    for word in text.replace(",", " ").split():
        if not re.fullmatch(r"--?[A-Za-z0-9][A-Za-z0-9-]*", word):
            break
        names.append(word)
    return names


def man_options(prog):
    """The options described under OPTIONS: the names of each .TP tag, in
    order (a name described twice appears twice)."""
    lines = man_section(prog, "OPTIONS")
    names = []
    for i, line in enumerate(lines[:-1]):
        if line.strip() == ".TP":
            names += leading_options(troff_text(lines[i + 1]))
    return names


def help_text(prog):
    rc, out, err = run([PATHS[prog](), "--help"])
    assert rc == 0 and not err, "%s --help: exit %d, stderr %r" % (prog, rc, err)
    return out


def help_options(prog):
    """The options --help describes: lines that begin with at most five
    spaces and an option ("  -h, --host HOST  broker host"), in order."""
    names = []
    for line in help_text(prog).splitlines():
        if re.match(r"^ {1,5}-", line):
            names += leading_options(line)
    return names


def source_long_options():
    """Every long option name of a `struct option` table in the C sources."""
    names = set()
    for path in glob.glob(os.path.join(SOURCE_DIR, "**", "*.c"), recursive=True):
        rel = os.path.relpath(path, SOURCE_DIR)
        if rel.startswith(("build", "node_modules", "bench", "tests")):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        names.update("--" + n for n in re.findall(
            r'\{\s*"([A-Za-z0-9][A-Za-z0-9-]*)"\s*,\s*(?:no|required|optional)_argument', text))
    return names


def refused_as_unknown(prog, name):
    """True when PROG refuses NAME as an unknown option (see the module's
    text: it never runs the program's work)."""
    rc, out, err = run([PATHS[prog](), name, "--help", "--help"])
    return rc == 2 and ("%s: unknown option '%s'" % (prog, name)) in err


def candidates():
    names = {"-" + c for c in string.ascii_letters + string.digits}
    names |= source_long_options()
    for prog in PROGRAMS:
        names |= set(help_options(prog)) | set(man_options(prog))
    return names


def exit_codes_of_help(prog):
    """The codes of --help's "Exit status" part ("  3  rejected ..." lines,
    or "0 stopped ...; 1 a fatal error ...; 2 usage error.")."""
    text = help_text(prog)
    at = text.find("Exit status:")
    assert at >= 0, "%s --help has no 'Exit status:'" % prog
    return sorted({int(c) for c in re.findall(r"(?:^|;)\s*(\d+)\s+\S", text[at + len("Exit status:"):], re.M)})


def exit_codes_of_man(prog):
    lines = man_section(prog, "EXIT STATUS")
    return sorted(int(m.group(1)) for i, line in enumerate(lines[:-1]) if line.strip() == ".TP"
                  for m in [re.fullmatch(r"\.B\s+(\d+)", lines[i + 1].strip())] if m)


def exit_tables():
    """{program: sorted codes} for each exit table (| exit | meaning |) of
    README.md and docs/, the program being the one whose messages (`voter:
    ...) the table quotes most."""
    found = {}
    paths = [os.path.join(SOURCE_DIR, "README.md")] + sorted(
        glob.glob(os.path.join(SOURCE_DIR, "docs", "**", "*.md"), recursive=True))
    for path in paths:
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        i = 0
        while i < len(lines):
            if not re.match(r"^\|\s*exit\s*\|", lines[i]):
                i += 1
                continue
            rows = []
            i += 1
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            text = "\n".join(rows)
            counts = {p: text.count("`%s: " % p) for p in PROGRAMS}
            prog = max(PROGRAMS, key=counts.get)
            if counts[prog]:
                found.setdefault(prog, set()).update(
                    int(m) for r in rows for m in re.findall(r"^\|\s*(\d+)\s*\|", r))
    return {p: sorted(c) for p, c in found.items()}


class ManPages(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.candidates = sorted(candidates())

    def parser_options(self, prog, documented):
        """The candidates prog takes. getopt_long also takes an unambiguous
        abbreviation (--sign for --sign-key): a name taken that begins
        another name taken, and that is not documented, is one of those."""
        # the probe itself: a name no program takes must come back unknown
        self.assertTrue(refused_as_unknown(prog, BOGUS),
                        "%s %s --help --help: not refused as \"unknown option\": the probe no longer "
                        "tells what the parser takes" % (prog, BOGUS))
        taken = {n for n in self.candidates if not refused_as_unknown(prog, n)}
        return {n for n in taken if n in documented or not n.startswith("--") or
                not any(o != n and o.startswith(n) for o in taken)}

    def check_options(self, prog):
        """--help, the man page and the parser name the same options, each
        once; the failure says which option is missing where."""
        in_help, in_man = help_options(prog), man_options(prog)
        sets = {"--help": set(in_help), "man/%s.1 OPTIONS" % prog: set(in_man),
                "the parser": self.parser_options(prog, set(in_help) | set(in_man))}
        problems = ["%s: %s described %d times in %s" % (prog, n, k, where)
                    for where, names in (("--help", in_help), ("man/%s.1 OPTIONS" % prog, in_man))
                    for n, k in sorted(collections.Counter(names).items()) if k > 1]
        for name in sorted(set.union(*sets.values())):
            missing = [where for where, names in sets.items() if name not in names]
            if missing:
                there = [where for where, names in sets.items() if name in names]
                problems.append("%s: %s is in %s but missing from %s" % (
                    prog, name, " and ".join(there), " and ".join(missing)))
        self.assertEqual(problems, [], "\n" + "\n".join(problems))
        self.assertIn("--help", sets["the parser"])  # the probe found options at all

    def test_voter_options_agree(self):
        self.check_options("voter")

    def test_tallier_options_agree(self):
        self.check_options("tallier")

    def test_pollctl_options_agree(self):
        self.check_options("pollctl")

    def test_exit_status_agrees_with_help_and_docs(self):
        tables = exit_tables()
        for prog in PROGRAMS:
            with self.subTest(prog=prog):
                man = exit_codes_of_man(prog)
                self.assertTrue(man, "man/%s.1: no code under EXIT STATUS" % prog)
                self.assertEqual(man, exit_codes_of_help(prog),
                                 "man/%s.1 EXIT STATUS against %s --help's Exit status" % (prog, prog))
                if prog != "tallier":  # the documentation has no exit table for the tallier
                    self.assertIn(prog, tables, "no exit table (| exit | meaning |) quoting `%s: ...` "
                                  "in README.md or docs/" % prog)
                if prog in tables:
                    self.assertEqual(man, tables[prog],
                                     "man/%s.1 EXIT STATUS against the documentation's exit table" % prog)

    def test_pages_render_without_warnings(self):
        groff = shutil.which("groff")
        self.assertIsNotNone(groff, "groff is not installed (Debian's groff-base: scripts/setup.sh "
                                    "installs it with MQTTVOTE_TEST_PACKAGES=1)")
        for prog in PROGRAMS:
            with self.subTest(prog=prog):
                p = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", man_path(prog)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
                self.assertEqual((p.returncode, p.stderr.decode()), (0, ""), "groff -man -ww on man/%s.1" % prog)
                with open(man_path(prog), encoding="utf-8") as f:
                    page = f.read()
                for other in PROGRAMS:
                    if other != prog:
                        self.assertIn(".BR %s (1)" % other, page, "man/%s.1 names %s(1)" % (prog, other))


if __name__ == "__main__":
    unittest.main()
