"""A broker that refuses the tallier, with MQTT 5 and 3.1.1: a mosquitto
with a password_file (made with mosquitto_passwd -b), an acl_file and
allow_anonymous false. A wrong password and no credentials make the
tallier exit 1 at once with the broker's reason in words, never retry.

A user whom the ACL does not let read vote/+ is another matter with
Mosquitto 2.0.11: its acl_file is not checked at SUBSCRIBE (the SUBACK
grants the subscription), only when a message is delivered, and then
nothing is delivered. The tallier cannot tell that from a quiet poll: it
stays connected and counts nothing. The tests below pin that down, and
show with the dynamic security plugin (which does check subscriptions)
that a SUBACK refusal makes the tallier exit 1."""

import glob
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
from harness import HOST, IntegrationCase, ballot_json

VERSIONS = ("mqttv5", "mqttv311")
PASSWORDS = (("tallier", "tallier-pw"), ("voter", "voter-pw"), ("reader", "reader-pw"))
ACL = """user tallier
topic readwrite vote/#

user voter
topic write vote/+
topic write vote/+/by/voter

user reader
topic read other/#
"""


def _dynsec_plugin():
    found = glob.glob("/usr/lib/*/mosquitto_dynamic_security.so")
    return found[0] if found else None


class Refusals(IntegrationCase):

    def password_broker(self):
        pwfile, aclfile = self.password_acl_files(PASSWORDS, ACL)
        return self.private_broker(security=["allow_anonymous false",
                                             "password_file " + pwfile,
                                             "acl_file " + aclfile])

    def db(self):
        d = tempfile.mkdtemp(prefix="mqttvote-auth-db-")
        self.addCleanup(shutil.rmtree, d, True)
        return os.path.join(d, "tally.db")

    def refused(self, port, version, args):
        """tallier that the broker must refuse: (rc, last stderr line, seconds)."""
        t0 = time.monotonic()
        rc, out, err = harness.run_tallier(["-h", HOST, "-p", str(port), "-V", version,
                                            "-i", self.client_id(version), "-t", "vote/+",
                                            "--db", self.db()] + list(args), timeout=10)
        lines = err.splitlines()
        return rc, lines[-1] if lines else "", time.monotonic() - t0, err

    def assertRefused(self, port, version, args, reason):
        rc, last, took, err = self.refused(port, version, args)
        self.assertEqual((rc, last), (1, "tallier: " + reason % port), err)
        self.assertNotIn("retrying", err)
        self.assertLess(took, 5, err)

    def test_accepted_with_the_right_password(self):
        # the control: the same broker lets the right user in and count
        broker = self.password_broker()
        for version in VERSIONS:
            with self.subTest(version=version):
                # the account votes on vote/<poll>/by/voter, as the voter
                poll = self.poll_name(version)
                t = self.start_tallier(broker, topics=["vote/%s/by/+" % poll],
                                       client_id=self.client_id(version),
                                       extra=["-V", version, "-u", "tallier", "-P", "tallier-pw",
                                              "-v"])
                self.vote_ok(broker.port, poll, "yes", None,
                             extra=["-u", "voter", "-P", "voter-pw"])
                t.wait_for_log(r"^tallier: vote/%s: voter -> yes: counted$" % poll)
                self.assertEqual(t.stop(), 0, t.log())

    def test_wrong_password_exits_1(self):
        broker = self.password_broker()
        for version in VERSIONS:
            with self.subTest(version=version):
                self.assertRefused(broker.port, version, ["-u", "tallier", "-P", "wrong"],
                                   "connection to 127.0.0.1:%d refused by the broker: "
                                   "not authorized (CONNACK return code)")

    def test_no_credentials_exits_1(self):
        broker = self.password_broker()
        for version in VERSIONS:
            with self.subTest(version=version):
                self.assertRefused(broker.port, version, [],
                                   "connection to 127.0.0.1:%d refused by the broker: "
                                   "not authorized (CONNACK return code)")

    def test_acl_without_read_grants_the_subscription_and_delivers_nothing(self):
        # What Mosquitto 2.0.11 does, and so what the tallier can know: the
        # SUBACK grants QoS 1 to a user the ACL does not let read vote/+...
        broker = self.password_broker()
        for version, v in (("mqttv5", "5"), ("mqttv311", "311")):
            with self.subTest(version=version):
                rc, out, err = harness.run([harness.mosquitto_sub_path(), "-h", HOST, "-p",
                                            str(broker.port), "-V", v, "-u", "reader", "-P",
                                            "reader-pw", "-t", "vote/+", "-q", "1", "-d",
                                            "-W", "1"])
                self.assertIn("Subscribed (mid: 1): 1\n", out, out + err)
        # ...so the tallier runs, subscribed, and a ballot that an allowed
        # reader receives never reaches it.
        poll = self.poll_name()
        topic = "vote/" + poll
        t = self.start_tallier(broker, topics=[topic],
                               extra=["-u", "reader", "-P", "reader-pw", "-v"])
        watcher = subprocess.Popen([harness.mosquitto_sub_path(), "-h", HOST, "-p",
                                    str(broker.port), "-u", "tallier", "-P", "tallier-pw",
                                    "-t", topic, "-q", "1", "-C", "1", "-W", "10"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   preexec_fn=harness._die_with_parent)
        self.addCleanup(watcher.wait)
        self.addCleanup(watcher.kill)
        ballot = ballot_json("bob", "no")
        deadline = time.monotonic() + 10
        while watcher.poll() is None and time.monotonic() < deadline:
            # repeated until the allowed reader is subscribed and gets one
            harness.pub(broker.port, topic, ballot, extra=["-u", "voter", "-P", "voter-pw"])
            harness.wait_for(lambda: watcher.poll() is not None, 0.5)
        out, err = watcher.communicate(timeout=5)
        self.assertEqual(out.decode().strip(), ballot, err)
        self.assertTrue(t.running(), t.log())
        self.assertEqual(t.count_log(r"bob|rejected"), 0, t.log())
        self.assertIsNone(harness.get_result(broker.port, poll, timeout=1))

    @unittest.skipUnless(_dynsec_plugin(), "mosquitto_dynamic_security.so is not installed")
    def test_a_refused_subscription_exits_1(self):
        # The dynamic security plugin checks SUBSCRIBE: a client with no
        # role gets SUBACK 0x87 (MQTT 5) or 0x80 (3.1.1, no reason there).
        d = self.security_dir()
        conf = os.path.join(d, "dynsec.json")
        rc, out, err = harness.run(["mosquitto_ctrl", "dynsec", "init", conf, "admin", "admin-pw"])
        self.assertEqual(rc, 0, out + err)
        if os.geteuid() == 0:
            pw = harness.broker_user()
            os.chown(conf, pw.pw_uid, pw.pw_gid)
        broker = self.private_broker(security=["plugin " + _dynsec_plugin(),
                                               "plugin_opt_config_file " + conf])
        rc, out, err = harness.run(["mosquitto_ctrl", "-h", HOST, "-p", str(broker.port), "-u",
                                    "admin", "-P", "admin-pw", "dynsec", "createClient",
                                    "plain", "-p", "plain-pw"])
        self.assertEqual(rc, 0, out + err)
        for version, reason in (("mqttv5", "not authorized"), ("mqttv311", "unspecified error")):
            with self.subTest(version=version):
                rc, last, took, err = self.refused(broker.port, version,
                                                   ["-u", "plain", "-P", "plain-pw"])
                # the first of its filters (vote/+, vote/+/by/+, vote/+/result) refused
                self.assertEqual((rc, last), (1, "tallier: subscription to vote/+ refused by the "
                                              "broker: " + reason), err)
                self.assertTrue(re.search(r"^tallier: connected to ", err, re.M), err)
                self.assertLess(took, 5, err)


if __name__ == "__main__":
    unittest.main()
