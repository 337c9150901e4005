"""The documentation's links hold (issue 20): every relative Markdown link in
README.md, docs/ and bench/ names a file of the repository, and, when it
names an anchor, a heading of that file (GitHub's anchors: lower case,
punctuation dropped, spaces to '-', '-1', '-2' for repeated headings) or an
explicit <a id>. No broker: it reads files."""

import glob
import os
import re
import unittest

SRC = os.environ.get("MQTTVOTE_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))


def doc_files():
    pats = ["README.md", "docs/*.md", "bench/*.md", "bench/results/*.md"]
    return sorted(f for p in pats for f in glob.glob(os.path.join(SRC, p)))


def slug(heading):
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path):
    out, seen = set(), {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("    ") or line.startswith("\t"):
                continue  # a code block
            m = re.match(r"^(#{1,6}) (.*)", line)
            if m:
                s = slug(m.group(2))
                n = seen.get(s, 0)
                seen[s] = n + 1
                out.add(s if n == 0 else "%s-%d" % (s, n))
            out.update(re.findall(r'<a id="([^"]+)"', line))
    return out


def bad_links():
    bad = []
    for f in doc_files():
        with open(f, encoding="utf-8") as fh:
            text = fh.read()
        for m in re.finditer(r"\]\(([^)\s]+)\)", text):
            target = m.group(1)
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            path, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(f), path)) if path else f
            where = os.path.relpath(f, SRC)
            if not os.path.exists(dest):
                bad.append("%s: no file %s" % (where, target))
            elif anchor and (not dest.endswith(".md") or anchor not in anchors(dest)):
                bad.append("%s: no heading for %s" % (where, target))
    return bad


class DocLinks(unittest.TestCase):

    def test_the_docs_are_there(self):
        names = {os.path.relpath(f, SRC) for f in doc_files()}
        for name in ("README.md", "docs/contract.md", "docs/design.md", "docs/deployment.md",
                     "docs/security.md", "docs/testing.md", "bench/README.md"):
            self.assertIn(name, names)

    def test_every_relative_link_resolves(self):
        self.assertEqual(bad_links(), [])


if __name__ == "__main__":
    unittest.main()
