"""A broker with a password file, set up as the mosquitto.conf section of
docs/deployment.md advises (issue 19, item 3): the advice is read from that
document itself (the paragraph on a `password_file` with `allow_anonymous false`),
and the files it names are the repository's. An account's ballot goes to
vote/<poll>/by/<account>: `voter -u voter -P vpw -t vote/auth -m yes
--confirm` must be counted (a receipt, exit 0), over MQTT 5 and 3.1.1,
and the organiser's account must be answered.

The old advice ("give the tallier's user `topic read vote/+` and
`topic write vote/+/result`", with mosquitto.acl for everyone else) fails
this: the voter's ballot is refused by the broker (MQTT 5, exit 1) or
dropped without a word (3.1.1, exit 4 with --confirm), and even a voter
allowed to publish there is never read by the tallier. The last test
shows that, so the document's warning about it stays true."""

import os
import re
import unittest

import harness
from harness import HOST, IntegrationCase

PASSWORDS = (("tallier", "tpw"), ("organiser", "opw"), ("voter", "vpw"))
POLL = "auth"
COUNTED = r"^voter: '%s' on auth counted by the tallier \(%s; ballot [0-9a-f]{32}\)\n$"
# what the README said before issue 19, spelt out as an ACL: mosquitto.acl
# for everyone, and the tallier's user as advised; the voter's account may
# publish its ballots (else the broker refuses them before the tallier
# could read them)
OLD_ADVICE = """user tallier
topic read vote/+
topic write vote/+/result

user voter
topic write vote/+/by/voter
"""


def readme_advice():
    """The paragraph on a password file, in the mosquitto.conf section of
    docs/deployment.md (the README's until issue 20), as one line of text."""
    with open(os.path.join(os.environ["MQTTVOTE_SOURCE_DIR"], "docs", "deployment.md"), encoding="utf-8") as f:
        text = f.read()
    section = text.split("\n## mosquitto.conf\n", 1)[1].split("\n## ", 1)[0]
    for para in section.split("\n\n"):
        if "`password_file` and `allow_anonymous false` instead" in para:
            return " ".join(para.split())
    raise AssertionError("docs/deployment.md: no paragraph on a password_file in the mosquitto.conf section")


class PasswordAcl(IntegrationCase):

    def broker(self, acl_text, extra=()):
        pwfile, aclfile = self.password_acl_files(PASSWORDS, acl_text)
        return self.private_broker(security=["allow_anonymous false", "password_file " + pwfile,
                                             "acl_file " + aclfile] + list(extra))

    def tallier(self, broker):
        return self.start_tallier(broker, extra=["-u", "tallier", "-P", "tpw", "-v"])

    def confirm(self, broker, choice, *extra, timeout=10):
        return harness.run_voter(["-h", HOST, "-p", str(broker.port), "-u", "voter", "-P", "vpw", "-t",
                                  "vote/" + POLL, "-m", choice, "--confirm", "--timeout", str(timeout)]
                                 + list(extra), timeout=timeout + 20)

    def test_an_account_is_counted_with_the_readme_advice(self):
        advice = readme_advice()
        # what docs/deployment.md advises: the shipped ACL, and the user name as client id
        self.assertIn("`acl_file mosquitto-secure.acl`", advice)
        self.assertIn("`use_username_as_clientid true`", advice)
        with open(os.path.join(os.environ["MQTTVOTE_SOURCE_DIR"], "mosquitto-secure.acl")) as f:
            acl = f.read()
        broker = self.broker(acl, extra=["use_username_as_clientid true"])
        t = self.tallier(broker)
        rc, out, err = self.confirm(broker, "yes")
        self.assertEqual((rc, err), (0, ""), "stdout=%r\n%s" % (out, t.log()))
        self.assertRegex(out, COUNTED % ("yes", "yes 1"))
        # MQTT 3.1.1: the receipt through the ballot's "reply" field
        rc, out, err = self.confirm(broker, "no", "-V", "mqttv311")
        self.assertEqual((rc, err), (0, ""), "stdout=%r\n%s" % (out, t.log()))
        self.assertRegex(out, COUNTED % ("no", "no 1"))
        self.assertEqual(t.count_log(r"^tallier: vote/auth: voter -> (yes: counted|no: replaced the earlier "
                                     r"ballot)$"), 2, t.log())
        # the organiser's account is answered, with MQTT 5 and 3.1.1
        for version in ("mqttv5", "mqttv311"):
            rc, out, err = harness.run([harness.pollctl_path(), "-h", HOST, "-p", str(broker.port),
                                        "-u", "organiser", "-P", "opw", "-V", version, "--timeout", "5",
                                        "show", POLL])
            self.assertEqual((rc, err, out.splitlines()[2:3]), (0, "", ["  status:  open"]), t.log())

    def test_the_old_advice_counts_no_account(self):
        broker = self.broker(OLD_ADVICE)
        t = self.tallier(broker)
        for version in ("mqttv5", "mqttv311"):
            with self.subTest(version=version):
                rc, out, err = self.confirm(broker, "yes", "-V", version, timeout=2)
                self.assertEqual(rc, 4, "stdout=%r stderr=%r" % (out, err))
                self.assertRegex(err, r"^voter: the broker accepted the ballot, but no tallier confirmed it "
                                      r"within 2 s")
        self.assertEqual(t.count_log(r"voter"), 0, t.log())


if __name__ == "__main__":
    unittest.main()
