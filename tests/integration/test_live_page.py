"""The web pages (issue 13) in headless Chromium, end to end: a real mosquitto
started from the shipped mosquitto.conf (its three listeners moved to free
ports, http_dir the repository's web/), the real tallier, ballots from the
real voter and from the voting page, pollctl closing the poll, and the
broker stopped and started again under the open pages. Chromium is driven
by playwright-core through browser.js (one JSON command a line); every wait
on a page is Playwright's waitForFunction, never a sleep.

Needs Debian's chromium (/usr/bin/chromium, or $MQTTVOTE_CHROMIUM), node, and
what scripts/setup.sh installs (node_modules/playwright-core, web/vendor/);
scripts/test.sh installs Chromium. Without one of them the test fails, saying
which is missing (it is never skipped). Screenshots
(projector 1920x1080, phone 390x844) go to $MQTTVOTE_ARTIFACTS (ctest: the
build tree's tests/live-page/)."""

import json
import os
import shutil
import tempfile
import unittest

import harness
from harness import HOST, IntegrationCase

SRC = os.environ.get("MQTTVOTE_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
CHROMIUM = os.environ.get("MQTTVOTE_CHROMIUM", "/usr/bin/chromium")
NODE = shutil.which("node")
ARTIFACTS = os.environ.get("MQTTVOTE_ARTIFACTS") or os.path.join(tempfile.gettempdir(), "mqttvote-live-page")


def missing():
    """Why the browser test cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return "no Chromium at %s (scripts/test.sh installs it: apt-get install chromium)" % CHROMIUM
    if not NODE:
        return "no node on PATH (scripts/setup.sh installs nodejs and npm)"
    for rel in ("node_modules/playwright-core/package.json", "web/vendor/mqtt.min.js", "web/vendor/qrcode.js"):
        if not os.path.exists(os.path.join(SRC, rel)):
            return "no %s: run scripts/setup.sh (npm ci and the copy into web/vendor/)" % rel
    return None


class Browser(harness.NodeDriver):
    """browser.js: headless Chromium with a fresh profile, tabs by name."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="mqttvote-chromium-")
        super().__init__("browser.js", [os.path.join(self.profile, "profile")], cwd=self.profile, ready_timeout=60)

    def text(self, name):
        try:
            return self.cmd("eval", name=name, expr="document.body.innerText")
        except AssertionError as e:
            return str(e)

    def wait(self, name, expr, what, timeout=10):
        """Until the page's expression is true (Playwright's waitForFunction);
        fails with the page's text."""
        try:
            return self.cmd("wait", timeout=timeout + 10, name=name, expr=expr, ms=int(timeout * 1000))
        except AssertionError as e:
            raise AssertionError("%s: %s\npage %s shows:\n%s" % (what, e, name, self.text(name)))

    def close(self):
        super().close(15)
        shutil.rmtree(self.profile, ignore_errors=True)


# Expressions on the pages (results.js and vote.js set these attributes).
def bar(choice, field):
    return ("(document.querySelector('#bars .bar[data-choice=%s]')||{}).getAttribute&&"
            "document.querySelector('#bars .bar[data-choice=%s]').getAttribute('data-%s')"
            % (json.dumps(choice), json.dumps(choice), field))


def counts_are(counts, total):
    conds = ["%s === %s" % (bar(c, "count"), json.dumps(str(n))) for c, n in counts.items()]
    conds.append("document.getElementById('total').getAttribute('data-total') === %s" % json.dumps(str(total)))
    conds.append("document.querySelectorAll('#bars .bar').length === %d" % len(counts))
    return " && ".join("(%s)" % c for c in conds)


CONNECTED = "document.getElementById('banner').hidden && !document.body.hasAttribute('data-disconnected')"
DISCONNECTED = "!document.getElementById('banner').hidden && document.body.hasAttribute('data-disconnected')"


class LivePage(IntegrationCase):

    def setUp(self):
        why = missing()
        if why:
            self.fail(why)
        os.makedirs(ARTIFACTS, exist_ok=True)
        self.broker = self.private_broker(repo_conf=True)
        self.tallier = self.start_tallier(self.broker)
        self.browser = Browser()
        self.addCleanup(self.browser.close)
        self.base = "http://%s:%d/" % (HOST, self.broker.ws_port)

    def pollctl(self, *args):
        rc, out, err = harness.run([harness.pollctl_path(), "-h", HOST, "-p", str(self.broker.tallier_port)]
                                   + list(args))
        self.assertEqual(rc, 0, "pollctl %r: %s%s" % (args, out, err))
        return out

    def shot(self, page, name):
        path = os.path.join(ARTIFACTS, name + ".png")
        self.browser.cmd("screenshot", name=page, path=path)
        self.assertGreater(os.path.getsize(path), 1000)

    def open_page(self, name, path, width, height):
        self.browser.cmd("page", name=name, url=self.base + path, width=width, height=height)
        self.browser.wait(name, CONNECTED, "the page connects to the broker")

    def test_served_by_the_broker(self):
        # mosquitto's http_dir: the pages and the copied libraries, nothing above web/
        for path in ("", "index.html", "vote.html", "common.js", "vendor/mqtt.min.js", "vendor/qrcode.js"):
            rc, out, err = harness.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", self.base + path])
            self.assertEqual(out, "200", path)
        rc, out, err = harness.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                    "--path-as-is", self.base + "../mosquitto.conf"])
        self.assertEqual(out, "404")

    def test_results_voting_close_and_broker_restart(self):
        b = self.browser
        poll = self.poll_name()
        self.pollctl("open", poll, "--question", "Lunch at noon?", "--choices", "yes,no,abstain", "--closes", "+1h")

        # the projector: the poll, large
        self.open_page("proj", "#" + poll, 1920, 1080)
        b.wait("proj", "document.getElementById('question').textContent === 'Lunch at noon?'", "the question")
        b.wait("proj", "/^Open: closes in (59m|1h)/.test(document.getElementById('status').textContent)",
               "open with the time left")
        b.wait("proj", counts_are({"yes": 0, "no": 0, "abstain": 0}, 0), "three bars at zero")
        url = b.cmd("eval", name="proj", expr="document.getElementById('qr').getAttribute('data-url')")
        self.assertEqual(url, self.base + "vote.html#" + poll)
        self.assertTrue(b.cmd("eval", name="proj", expr="!!document.querySelector('#qr-code svg')"), "a QR code")

        # ballots from the voter program
        for voter, choice in (("alice", "yes"), ("bob", "no"), ("carol", "yes")):
            self.vote_ok(self.broker.port, poll, choice, voter)
        b.wait("proj", counts_are({"yes": 2, "no": 1, "abstain": 0}, 3), "the voters' ballots on the page")
        self.assertEqual(b.cmd("eval", name="proj", expr=bar("yes", "percent")), "67")
        self.assertEqual(b.cmd("eval", name="proj", expr=bar("no", "percent")), "33")
        self.assertRegex(b.cmd("eval", name="proj", expr="document.getElementById('updated').textContent"),
                         r"^updated \d\d:\d\d:\d\d$")

        # the phone: asks the name once, then one button per choice
        self.open_page("phone", "vote.html#" + poll, 390, 844)
        b.wait("phone", "!document.getElementById('name-form').hidden", "the name is asked")
        b.cmd("fill", name="phone", selector="#name-input", value="dave")
        b.cmd("click", name="phone", selector="#name-form button")
        b.wait("phone", "document.querySelectorAll('#choices button').length === 3", "three buttons")
        self.assertEqual(b.cmd("eval", name="phone", expr="localStorage.getItem('mqttvote.voter')"), "dave")
        # one-handed on a phone: every button the page's width, thumb-high, no sideways scroll
        geo = b.cmd("eval", name="phone", expr="[...document.querySelectorAll('#choices button')].map("
                    "e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])"
                    ".concat([[document.documentElement.scrollWidth, innerWidth]])")
        for w, h in geo[:-1]:
            self.assertGreaterEqual(w, 300)
            self.assertGreaterEqual(h, 60)
        self.assertLessEqual(geo[-1][0], geo[-1][1])
        self.shot("phone", "phone-vote")

        b.cmd("click", name="phone", selector="#choices button[data-choice=yes]")
        b.wait("phone", "document.getElementById('receipt').getAttribute('data-status') === 'counted'",
               "the receipt: counted")
        self.assertIn("Counted", b.text("phone"))
        b.wait("proj", counts_are({"yes": 3, "no": 1, "abstain": 0}, 4), "the page's vote on the projector")
        self.shot("phone", "phone-counted")

        # the same voter again: replaced (revote yes)
        b.cmd("click", name="phone", selector="#choices button[data-choice=abstain]")
        b.wait("phone", "document.getElementById('receipt').getAttribute('data-status') === 'counted' && "
               "/replaces your earlier vote/.test(document.getElementById('receipt').textContent)",
               "the receipt: counted, replacing the earlier vote")
        b.wait("proj", counts_are({"yes": 2, "no": 1, "abstain": 1}, 4), "the replaced vote")
        # the ballot is the voter's JSON: the tallier counted voter "dave" (pollctl show)
        self.assertIn("abstain 1", self.pollctl("show", poll))

        # a name the tallier refuses (an invisible character): rejected, with its reason
        b.cmd("click", name="phone", selector="#change-name")
        b.cmd("fill", name="phone", selector="#name-input", value="eve\u200b")
        b.cmd("click", name="phone", selector="#name-form button")
        b.cmd("click", name="phone", selector="#choices button[data-choice=no]")
        b.wait("phone", "document.getElementById('receipt').getAttribute('data-status') === 'rejected'",
               "the receipt: rejected")
        self.assertIn("invisible or format character U+200B", b.text("phone"))
        self.shot("phone", "phone-rejected")
        self.shot("proj", "projector-open")

        # the organiser closes it: final
        self.pollctl("close", poll)
        b.wait("proj", "document.getElementById('poll-view').getAttribute('data-status') === 'closed' && "
               "/^Closed: final result/.test(document.getElementById('status').textContent)", "closed and final")
        b.wait("proj", counts_are({"yes": 2, "no": 1, "abstain": 1}, 4), "the final counts")
        b.wait("phone", "document.getElementById('status').getAttribute('data-status') === 'closed' && "
               "[...document.querySelectorAll('#choices button')].every(e => e.disabled)",
               "the voting page: closed, its buttons disabled")
        self.shot("proj", "projector-closed")

        # the list of polls
        self.open_page("list", "", 1920, 1080)
        b.wait("list", "(document.querySelector('#poll-list tr[data-poll=%s]')||{}).getAttribute && "
               "document.querySelector('#poll-list tr[data-poll=%s]').getAttribute('data-status') === 'closed'"
               % (json.dumps(poll), json.dumps(poll)), "the poll in the list, closed")
        self.shot("list", "projector-list")

        # the broker stops: a banner on every page; back: recovered by itself
        self.broker.stop()
        for page in ("proj", "phone", "list"):
            b.wait(page, DISCONNECTED, "the banner while the broker is down")
        self.assertIn("Disconnected", b.text("proj"))
        self.shot("proj", "projector-disconnected")
        self.shot("phone", "phone-disconnected")
        self.broker.restart()
        for page in ("proj", "phone", "list"):
            b.wait(page, CONNECTED, "the page reconnects by itself", timeout=20)
        b.wait("proj", counts_are({"yes": 2, "no": 1, "abstain": 1}, 4), "the retained result after the restart")
        # and it is live again: a new poll shows up in the list
        self.tallier.wait_subscribed(count=2, timeout=30)
        second = self.poll_name("2")
        self.vote_ok(self.broker.port, second, "pizza", "alice")
        b.wait("list", "!!document.querySelector('#poll-list tr[data-poll=%s]')" % json.dumps(second),
               "a new poll after the restart")
        self.assertEqual(b.cmd("errors"), [])

    def test_hidden_results_and_a_poll_nobody_defined(self):
        b = self.browser
        poll = self.poll_name()
        self.pollctl("open", poll, "--question", "Quiz: 6 x 7?", "--choices", "42,36,48", "--results", "after-close")
        self.open_page("proj", "#" + poll, 1920, 1080)
        for voter, choice in (("ann", "42"), ("ben", "36")):
            self.vote_ok(self.broker.port, poll, choice, voter)
        b.wait("proj", "!document.getElementById('hidden-note').hidden && "
               "document.getElementById('total').getAttribute('data-total') === '2' && "
               "document.querySelectorAll('#bars .bar').length === 0", "results after the poll closes")
        self.assertIn("Results after the poll closes", b.text("proj"))
        self.shot("proj", "projector-after-close")
        self.pollctl("close", poll)
        b.wait("proj", counts_are({"42": 1, "36": 1, "48": 0}, 2) + " && document.getElementById('hidden-note').hidden",
               "the counts once closed")

        # a poll nobody defined: its choices are the result's
        free = self.poll_name("free")
        self.vote_ok(self.broker.port, free, "tea", "ann")
        self.vote_ok(self.broker.port, free, "coffee", "ben")
        self.open_page("proj2", "#" + free, 1920, 1080)
        b.wait("proj2", counts_are({"coffee": 1, "tea": 1}, 2), "the result's choices")
        self.open_page("phone", "vote.html#" + free, 390, 844)
        b.cmd("fill", name="phone", selector="#name-input", value="cid")
        b.cmd("click", name="phone", selector="#name-form button")
        b.wait("phone", "document.querySelectorAll('#choices button').length === 2", "two buttons from the result")
        b.cmd("click", name="phone", selector="#choices button[data-choice=tea]")
        b.wait("phone", "document.getElementById('receipt').getAttribute('data-status') === 'counted'", "counted")
        b.wait("proj2", counts_are({"coffee": 1, "tea": 2}, 3), "the page's vote")
        self.assertEqual(b.cmd("errors"), [])

    def test_polls_and_choices_named_like_object_properties(self):
        # Issue 19, item 7: a poll named __proto__ polluted Object.prototype in
        # results.js (polls[name]), leaving the list empty and throwing every
        # second for as long as its result was retained; constructor, toString and
        # hasOwnProperty were never listed; a choice named constructor with no
        # votes read Object's constructor as its count.
        b = self.browser
        odd = ["__proto__", "constructor", "toString", "hasOwnProperty"]
        normal = self.poll_name()
        votes = {poll: i % 2 + 1 for i, poll in enumerate(odd + [normal])}  # 1 or 2 each
        for poll, n in votes.items():
            for k in range(n):
                self.vote_ok(self.broker.port, poll, "yes", "voter%d" % k)
        defined = self.poll_name("choices")
        self.pollctl("open", defined, "--question", "Which name?", "--choices",
                     "yes,__proto__,constructor,toString,hasOwnProperty")
        self.vote_ok(self.broker.port, defined, "__proto__", "ann")
        for poll, n in votes.items():
            self.assertResult(self.broker.port, poll, {"yes": n}, tallier=self.tallier)
        self.assertResult(self.broker.port, defined, {"yes": 0, "__proto__": 1, "constructor": 0,
                                                      "toString": 0, "hasOwnProperty": 0},
                          tallier=self.tallier)

        # the list: every poll, with its votes (the results are retained: the page
        # gets them all at once when it subscribes)
        self.open_page("list", "", 1920, 1080)
        want = {poll: str(n) for poll, n in votes.items()}
        want[defined] = "1"
        b.wait("list", "JSON.stringify(Object.fromEntries([...document.querySelectorAll('#poll-list tbody tr')]"
               ".map(r => [r.getAttribute('data-poll'), r.querySelector('.total').textContent]))) === %s"
               % json.dumps(json.dumps(dict(sorted(want.items())), separators=(",", ":"))),
               "every poll in the list with its votes")
        self.assertTrue(b.cmd("eval", name="list", expr="document.getElementById('list-empty').hidden"))
        self.assertEqual(b.cmd("eval", name="list", expr="Object.getOwnPropertyNames(Object.prototype)"
                               ".filter(k => ['info', 'result', 'received'].includes(k))"), [],
                         "Object.prototype untouched")
        # a poll's page: its link from the list, and its bars
        b.cmd("click", name="list", selector="#poll-list tr[data-poll=__proto__] a")
        b.wait("list", counts_are({"yes": 1}, 1) + " && document.getElementById('poll-name').textContent "
               "=== '__proto__'", "the poll __proto__ on its own page")

        # a defined poll whose choices are such names: a bar each, the right counts
        self.open_page("proj", "#" + defined, 1920, 1080)
        b.wait("proj", counts_are({"yes": 0, "__proto__": 1, "constructor": 0, "toString": 0,
                                   "hasOwnProperty": 0}, 1), "five bars with their counts")
        self.assertEqual(b.cmd("eval", name="proj", expr=bar("__proto__", "percent")), "100")

        # the voting page: a button each, and a vote for one of them counts
        self.open_page("phone", "vote.html#" + defined, 390, 844)
        b.cmd("fill", name="phone", selector="#name-input", value="bea")
        b.cmd("click", name="phone", selector="#name-form button")
        b.wait("phone", "[...document.querySelectorAll('#choices button')].map(e => e.dataset.choice).join() "
               "=== 'yes,__proto__,constructor,toString,hasOwnProperty'", "five buttons")
        b.cmd("click", name="phone", selector="#choices button[data-choice=constructor]")
        b.wait("phone", "document.getElementById('receipt').getAttribute('data-status') === 'counted'",
               "the receipt: counted")
        b.wait("proj", counts_are({"yes": 0, "__proto__": 1, "constructor": 1, "toString": 0,
                                   "hasOwnProperty": 0}, 2), "the page's vote for constructor")
        self.assertEqual(b.cmd("errors"), [])
        self.assertEqual(b.cmd("consoleErrors"), [])


if __name__ == "__main__":
    unittest.main()
