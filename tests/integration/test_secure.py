"""Polls that matter (issue 11, section 2): the repository's
mosquitto-secure.conf and mosquitto-secure.acl as shipped (only the port
changed), the files scripts/secure-setup.sh makes, and the voter and
tallier over TLS with accounts. Real mosquitto, real binaries, real
mosquitto_pub/mosquitto_sub; exact messages and exit codes."""

import hashlib
import json
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

import harness
import secure
from harness import HOST, IntegrationCase


def _sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class SecureCase(IntegrationCase):
    def secure_broker(self, voters=("alice", "bob"), names=None, days=None):
        """A started secure broker; names/days: its certificate replaced by
        one for those names (secure.make_server_cert) first."""
        b = secure.SecureBroker(voters)
        self.addCleanup(b.cleanup)
        if names is not None:
            secure.make_server_cert(b.secure_dir, names, days=825 if days is None else days)
        return b.start()

    def voter(self, b, args, user="alice", password=None, cafile=None, env=None):
        argv = [harness.voter_path()] + b.tls_args(user, password, cafile) + list(args)
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                           env=dict(os.environ, **(env or {})), cwd=tempfile.gettempdir())
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def tallier_fails(self, b, args, user="tallier", password=None, cafile=None):
        """A tallier that must stop by itself: (rc, stderr)."""
        d = tempfile.mkdtemp(prefix="mqttvote-secure-tallier-")
        self.addCleanup(shutil.rmtree, d, True)
        rc, out, err = harness.run_tallier(b.tls_args(user, password, cafile) + ["--db", os.path.join(d, "t.db")]
                                           + list(args), timeout=30)
        return rc, err


class SharedBrokerCase(SecureCase):
    """One secure broker for the whole class (cls.b, with the accounts
    VOTERS), and the CA of another set-up that is not the broker's
    (cls.other_ca)."""

    VOTERS = ("alice", "bob")

    @classmethod
    def setUpClass(cls):
        cls.b = secure.SecureBroker(cls.VOTERS).start()
        cls.other = tempfile.mkdtemp(prefix="mqttvote-other-ca-")
        rc, out, err = secure.run_setup(os.path.join(cls.other, "secure"), [])
        assert rc == 0, err
        cls.other_ca = os.path.join(cls.other, "secure", "ca.crt")

    @classmethod
    def tearDownClass(cls):
        cls.b.cleanup()
        shutil.rmtree(cls.other, ignore_errors=True)


class TlsVoterTest(SharedBrokerCase):

    def test_voter_connects_over_tls_with_its_account_with_and_without_the_connect_wrapper(self):
        # MQTT 3.1.1: the broker acknowledges (its ACL may drop the ballot, silently:
        # see docs/deployment.md), so exit 0 shows TLS and the account were accepted
        for env in ({}, {"MQTTVOTE_NO_CONNWRAP": "1"}):
            rc, out, err = self.voter(self.b, ["-V", "mqttv311", "-t", "vote/" + self.poll_name(), "-m", "yes",
                                               "--voter", "alice"], env=env)
            self.assertEqual((rc, err), (0, ""), env)
            self.assertRegex(out, r"^voter: 'yes' on %s accepted by 127\.0\.0\.1:%d \(ballot [0-9a-f]{32}\)\n$"
                             % (self.poll_name(), self.b.port))

    def test_tls_version_13_is_accepted_by_mosquitto(self):
        rc, out, err = self.voter(self.b, ["-V", "mqttv311", "-t", "vote/p", "-m", "yes", "--voter", "alice",
                                           "--tls-version", "tlsv1.3"])
        self.assertEqual((rc, err), (0, ""))

    def test_wrong_ca_is_exit_1_with_the_reason(self):
        for env in ({}, {"MQTTVOTE_NO_CONNWRAP": "1"}):
            rc, out, err = self.voter(self.b, ["-t", "vote/p", "-m", "yes", "--voter", "alice"],
                                      cafile=self.other_ca, env=env)
            self.assertEqual((rc, out), (1, ""))
            self.assertEqual(err, "voter: TLS: the broker's certificate did not verify against --cafile %s: "
                             "self-signed certificate in certificate chain\n" % self.other_ca)

    def test_wrong_password_is_exit_1_with_the_brokers_reason(self):
        for version, why in (("mqttv5", "not authorized"), ("mqttv311", "not authorized")):
            rc, out, err = self.voter(self.b, ["-V", version, "-t", "vote/p", "-m", "yes", "--voter", "alice"],
                                      password="wrong")
            self.assertEqual((rc, out, err), (1, "", "voter: connection to 127.0.0.1:%d refused by the broker: %s\n"
                                              % (self.b.port, why)), version)

    def test_a_ca_file_that_is_missing_or_not_a_certificate_is_exit_1(self):
        missing = os.path.join(self.other, "nope.crt")
        rc, out, err = self.voter(self.b, ["-t", "vote/p", "-m", "yes"], cafile=missing)
        self.assertEqual((rc, err), (1, "voter: TLS: cannot read --cafile %s: no such file or directory\n" % missing))
        notpem = os.path.join(self.other, "voters.txt")
        rc, out, err = self.voter(self.b, ["-t", "vote/p", "-m", "yes"], cafile=notpem)
        self.assertEqual((rc, err), (1, "voter: TLS: --cafile %s holds no PEM certificate\n" % notpem))

    def test_tls_to_a_plain_port_is_exit_1(self):
        plain = self.shared_broker()
        rc, out, err = harness.run_voter(["-h", HOST, "-p", str(plain.port), "--cafile", self.b.cafile,
                                          "-t", "vote/p", "-m", "yes"])
        self.assertEqual((rc, err), (1, "voter: TLS: handshake with 127.0.0.1:%d failed (is that port a TLS "
                                        "listener?)\n" % plain.port))

    def test_tallier_wrong_ca_and_wrong_password_are_exit_1_at_once(self):
        rc, err = self.tallier_fails(self.b, [], cafile=self.other_ca)
        self.assertEqual(rc, 1, err)
        self.assertIn("tallier: TLS: the broker's certificate did not verify against --cafile %s: self-signed "
                      "certificate in certificate chain\n" % self.other_ca, err)
        rc, err = self.tallier_fails(self.b, [], password="wrong")
        self.assertEqual(rc, 1, err)
        self.assertIn("tallier: connection to 127.0.0.1:%d refused by the broker: not authorized (CONNACK return code)\n"
                      % self.b.port,
                      err)


class TlsCertificateTest(SecureCase):
    def test_a_certificate_without_the_host_name_is_exit_1_and_insecure_skips_the_check(self):
        b = self.secure_broker(names=["DNS:elsewhere.example"])
        rc, out, err = self.voter(b, ["-t", "vote/p", "-m", "yes", "--voter", "alice"])
        self.assertEqual((rc, out), (1, ""))
        self.assertEqual(err, "voter: TLS: the broker's certificate is not valid for '127.0.0.1' (ip address "
                              "mismatch): connect with a name it holds (-h), or do not check the name "
                              "(--insecure)\n")
        rc, out, err = self.voter(b, ["-V", "mqttv311", "-t", "vote/p", "-m", "yes", "--voter", "alice",
                                      "--insecure"])
        self.assertEqual((rc, err), (0, ""))
        argv = [harness.voter_path(), "-h", "localhost", "-p", str(b.port), "--cafile", b.cafile,
                "-u", "alice", "-P", b.passwords["alice"], "-t", "vote/p", "-m", "yes"]
        rc, out, err = harness.run(argv)
        self.assertEqual((rc, err), (1, "voter: TLS: the broker's certificate is not valid for 'localhost' "
                                        "(hostname mismatch): connect with a name it holds (-h), or do not check "
                                        "the name (--insecure)\n"))
        rc, err = self.tallier_fails(b, [])
        self.assertEqual(rc, 1, err)
        self.assertIn("tallier: TLS: the broker's certificate is not valid for '127.0.0.1' (ip address mismatch)",
                      err)

    def test_an_expired_certificate_is_exit_1(self):
        b = self.secure_broker(names=["IP:127.0.0.1", "DNS:localhost"], days=-1)
        rc, out, err = self.voter(b, ["-t", "vote/p", "-m", "yes", "--voter", "alice"])
        self.assertEqual((rc, out), (1, ""))
        self.assertEqual(err, "voter: TLS: the broker's certificate did not verify against --cafile %s: "
                              "certificate has expired\n" % b.cafile)
        rc, err = self.tallier_fails(b, [])
        self.assertEqual(rc, 1, err)
        self.assertIn("tallier: TLS: the broker's certificate did not verify against --cafile %s: certificate "
                      "has expired\n" % b.cafile, err)


TLS_OFF = {"MQTTVOTE_NO_TLSCTX": "1"}
TLS_ON_LINE = ("voter: TLS context completed: TLS version floor, host name and the verification error in "
               "words")
TLS_OFF_LINE = ("voter: TLS context not completed (MQTTVOTE_NO_TLSCTX is set): Paho's checks only, reasons not "
                "in words")


class TlsInterpositionOffTest(SharedBrokerCase):
    """mqtt/interpose.c's SSL_CTX_new disabled (MQTTVOTE_NO_TLSCTX=1, the
    path taken when it cannot engage): the fallback of docs/deployment.md.
    The broker's CA and host name are still checked (by Paho), a refused
    certificate is exit 1 without OpenSSL's reason, and --tls-version
    tlsv1.3, which Paho cannot ask for, is refused before connecting."""

    VOTERS = ("alice",)

    def test_the_voter_connects_without_it_and_says_which_under_d(self):
        for env, line in (({}, TLS_ON_LINE), (TLS_OFF, TLS_OFF_LINE)):
            rc, out, err = self.voter(self.b, ["-d", "-V", "mqttv311", "-t", "vote/" + self.poll_name(), "-m",
                                               "yes", "--voter", "alice"], env=env)
            self.assertEqual(rc, 0, err)
            self.assertIn(line, err.splitlines())
            self.assertRegex(out, r"^voter: 'yes' on %s accepted by 127\.0\.0\.1:%d \(ballot [0-9a-f]{32}\)\n$"
                             % (self.poll_name(), self.b.port))

    def test_a_wrong_ca_is_still_exit_1_without_the_reason(self):
        rc, out, err = self.voter(self.b, ["-t", "vote/p", "-m", "yes", "--voter", "alice"], cafile=self.other_ca,
                                  env=TLS_OFF)
        self.assertEqual((rc, out, err), (1, "", "voter: TLS: the broker's certificate did not verify against "
                                                 "--cafile %s\n" % self.other_ca))

    def test_a_certificate_without_the_host_name_is_still_exit_1(self):
        b = self.secure_broker(names=["DNS:elsewhere.example"])
        rc, out, err = self.voter(b, ["-t", "vote/p", "-m", "yes", "--voter", "alice"], env=TLS_OFF)
        self.assertEqual((rc, out, err), (1, "", "voter: TLS: handshake with 127.0.0.1:%d failed (is that port a "
                                                 "TLS listener, with a certificate that names 127.0.0.1?)\n"
                                                 % b.port))
        rc, out, err = self.voter(b, ["-V", "mqttv311", "-t", "vote/p", "-m", "yes", "--voter", "alice",
                                      "--insecure"], env=TLS_OFF)
        self.assertEqual((rc, err), (0, ""))

    def test_the_tallier_stops_at_a_wrong_ca_and_says_why_under_v(self):
        d = tempfile.mkdtemp(prefix="mqttvote-secure-tallier-")
        self.addCleanup(shutil.rmtree, d, True)
        argv = ([harness.tallier_path()] + self.b.tls_args("tallier", None, self.other_ca)
                + ["-v", "--db", os.path.join(d, "t.db")])
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                           env=dict(os.environ, **TLS_OFF), cwd=d)
        rc, err = p.returncode, p.stderr.decode()
        self.assertEqual(rc, 1, err)
        self.assertIn("tallier: " + TLS_OFF_LINE[len("voter: "):] + "\n", err)
        self.assertIn("tallier: TLS: the broker's certificate did not verify against --cafile %s\n" % self.other_ca,
                      err)

    def test_tls_version_13_is_refused_before_connecting(self):
        rc, out, err = self.voter(self.b, ["-t", "vote/p", "-m", "yes", "--voter", "alice", "--tls-version",
                                           "tlsv1.3"], env=TLS_OFF)
        self.assertEqual((rc, out, err), (1, "", "voter: TLS: --tls-version tlsv1.3 cannot be kept: Paho cannot "
                                                 "ask for it, and the TLS interposition is off (MQTTVOTE_NO_TLSCTX "
                                                 "is set)\n"))


class SecureAclTest(SecureCase):
    """mosquitto-secure.acl, tried with mosquitto_pub/mosquitto_sub over TLS
    with each account's password: each denial next to the same action by
    the account allowed to do it, which gets through."""

    @classmethod
    def setUpClass(cls):
        cls.b = secure.SecureBroker(("alice", "bob", "carol")).start()

    @classmethod
    def tearDownClass(cls):
        cls.b.cleanup()

    def sub(self, user, topic):
        s = self.b.subscriber(user, topic)
        self.addCleanup(s.close)
        return s

    def test_an_account_votes_only_on_its_own_ballot_topic(self):
        poll = self.poll_name()
        ballots = self.sub("tallier", "vote/+/by/+")
        self.assertEqual(self.b.pub("bob", "vote/%s/by/alice" % poll, "forged")[0], 0)  # denied, silently
        self.assertEqual(self.b.pub("bob", "vote/%s" % poll, "old topic")[0], 0)
        self.assertEqual(self.b.pub("bob", "vote/%s/by/bob" % poll, "bob's")[0], 0)
        self.assertEqual(ballots.wait_lines(1), ["vote/%s/by/bob bob's" % poll])
        # with MQTT 5 the denial is said
        rc, out, err = self.b.pub("bob", "vote/%s/by/alice" % poll, "forged", version="mqttv5")
        self.assertEqual(ballots.wait_lines(2, timeout=1), ["vote/%s/by/bob bob's" % poll])

    def test_only_the_tallier_writes_results(self):
        poll = self.poll_name()
        watch = self.sub("bob", "vote/%s/result" % poll)
        self.assertEqual(self.b.pub("alice", "vote/%s/result" % poll, "forged", retain=True)[0], 0)
        self.assertEqual(self.b.pub("tallier", "vote/%s/result" % poll, "real", retain=True)[0], 0)
        self.assertEqual(watch.wait_lines(1), ["vote/%s/result real" % poll])
        self.assertEqual(watch.wait_lines(2, timeout=1), ["vote/%s/result real" % poll])

    def test_only_the_tallier_writes_receipts_and_each_account_reads_only_its_own(self):
        poll = self.poll_name()
        bob = self.sub("bob", "vote/%s/receipt/#" % poll)
        alice = self.sub("alice", "vote/%s/receipt/#" % poll)  # asks for every receipt: gets its own only
        # (one connection per account at a time: the client id is the user name, and a
        # second connection with it would take the first one's place)
        self.assertEqual(self.b.pub("carol", "vote/%s/receipt/bob" % poll, "forged")[0], 0)
        self.assertEqual(self.b.pub("carol", "vote/%s/receipt/alice" % poll, "forged")[0], 0)
        self.assertEqual(self.b.pub("tallier", "vote/%s/receipt/bob" % poll, "for bob")[0], 0)
        self.assertEqual(self.b.pub("tallier", "vote/%s/receipt/alice" % poll, "for alice")[0], 0)
        self.assertEqual(bob.wait_lines(1), ["vote/%s/receipt/bob for bob" % poll])
        self.assertEqual(alice.wait_lines(1), ["vote/%s/receipt/alice for alice" % poll])
        self.assertEqual(bob.wait_lines(2, timeout=1), ["vote/%s/receipt/bob for bob" % poll])
        self.assertEqual(alice.wait_lines(2, timeout=1), ["vote/%s/receipt/alice for alice" % poll])

    def test_no_account_reads_ballots_but_the_tallier_and_nobody_connects_without_one(self):
        poll = self.poll_name()
        spy = self.sub("bob", "vote/#")
        ballots = self.sub("tallier", "vote/+/by/+")
        self.assertEqual(self.b.pub("alice", "vote/%s/by/alice" % poll, "secret")[0], 0)
        self.assertEqual(ballots.wait_lines(1), ["vote/%s/by/alice secret" % poll])
        self.assertEqual(spy.wait_lines(1, timeout=1), [])
        rc, out, err = harness.run([harness.mosquitto_pub_path(), "-h", HOST, "-p", str(self.b.port), "--cafile",
                                    self.b.cafile, "-t", "vote/%s" % poll, "-m", "x"])
        self.assertNotEqual(rc, 0, "an anonymous client was let in")
        plain = harness.run([harness.mosquitto_pub_path(), "-h", HOST, "-p", str(self.b.port), "-u", "alice",
                             "-P", self.b.passwords["alice"], "-t", "vote/%s/by/alice" % poll, "-m", "x"])
        self.assertNotEqual(plain[0], 0, "a connection in clear was let in")

    def test_an_account_cannot_take_the_tallier_session(self):
        # use_username_as_clientid: asking for the tallier's client id gets one's own user name
        poll = self.poll_name()
        ballots = self.sub("tallier", "vote/+/by/+")
        rc, out, err = harness.run([harness.mosquitto_sub_path()] + self.b.tls_args("bob")
                                   + ["-i", "tallier", "-t", "vote/+/by/+", "-W", "1", "-C", "1"])
        self.assertEqual(self.b.pub("alice", "vote/%s/by/alice" % poll, "still here")[0], 0)
        self.assertEqual(ballots.wait_lines(1), ["vote/%s/by/alice still here" % poll])
        self.assertIsNone(ballots.proc.poll(), "the tallier's connection was taken over")


class TallierOverTlsTest(SecureCase):
    def test_tallier_publishes_results_over_tls_that_an_account_reads(self):
        """The tallier's account, over TLS: a ballot it counts (through its
        TCP port, which needs no voter-side change) gives a result on the
        secure broker, which a voter account reads with mosquitto_sub over TLS."""
        b = self.secure_broker()
        poll = self.poll_name()
        t = harness.TcpTallier(b.port, client_id="tallier",
                               extra=["--cafile", b.cafile, "-u", "tallier", "-P", b.passwords["tallier"],
                                      "-t", "vote/+/by/+"])
        self.addCleanup(t.cleanup)
        t.wait_subscribed()
        t.wait_listening()
        t.wait_for_log(r"^tallier: connected to 127\.0\.0\.1:%d \(MQTT 5\)$" % b.port)
        reply = harness.tcp_request(t.tcp_port, {"poll": poll, "voter": "alice", "choice": "yes"})
        self.assertEqual(reply["status"], "counted")
        rc, out, err = harness.run([harness.mosquitto_sub_path()] + b.tls_args("alice")
                                   + ["-t", "vote/%s/result" % poll, "-C", "1", "-W", "5"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["counts"], {"yes": 1})
        self.assertEqual(t.stop(), 0)

    def account_tallier(self, b):
        """The tallier with its account, over TLS, subscribed."""
        t = harness.Tallier(b.port, "tallier", extra=["--cafile", b.cafile, "-u", "tallier",
                                                      "-P", b.passwords["tallier"]])
        self.addCleanup(t.cleanup)
        t.wait_subscribed()
        return t

    # With section 1's account-bound ballot topics: voter -u publishes on
    # vote/<poll>/by/<user>; the tallier reads vote/+/by/+ and refuses a voter
    # that is not the account in the topic.
    def test_an_account_votes_over_tls_and_is_counted(self):
        b = self.secure_broker()
        poll = self.poll_name()
        self.account_tallier(b)
        rc, out, err = self.voter(b, ["-t", "vote/" + poll, "-m", "yes", "--voter", "alice", "--confirm"])
        self.assertEqual((rc, err), (0, ""))
        self.assertRegex(out, r"^voter: 'yes' on %s counted by the tallier" % poll)
        rc, out, err = self.voter(b, ["-t", "vote/" + poll, "-m", "no", "--voter", "alice", "--confirm"],
                                  user="bob")
        self.assertEqual(rc, 3, "bob voted as alice: " + out + err)
        rc, out, err = harness.run([harness.mosquitto_sub_path()] + b.tls_args("bob")
                                   + ["-t", "vote/%s/result" % poll, "-C", "1", "-W", "5"])
        self.assertEqual(json.loads(out)["counts"], {"yes": 1})

    def test_only_the_organiser_runs_polls_over_tls(self):
        b = self.secure_broker()
        poll = self.poll_name()
        self.account_tallier(b)
        opening = ["open", poll, "--question", "Budget?", "--choices", "yes,no", "--timeout", "5"]
        rc, out, err = harness.run([harness.pollctl_path()] + b.tls_args("alice") + opening)
        self.assertEqual((rc, err), (1, "pollctl: command refused by the broker: not authorized\n"))
        rc, out, err = harness.run([harness.pollctl_path()] + b.tls_args("organiser") + opening)
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("Budget?", out)
        # a voter account reads the information, and a choice not on offer is not sent
        rc, out, err = self.voter(b, ["-t", "vote/" + poll, "-m", "maybe", "--confirm"])
        self.assertEqual((rc, err), (3, "voter: 'maybe' on %s not sent: %s offers yes, no\n" % (poll, poll)))
        rc, out, err = self.voter(b, ["-t", "vote/" + poll, "-m", "yes", "--confirm"])
        self.assertEqual((rc, err), (0, ""))


class SetupScriptTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mqttvote-setup-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.dir = os.path.join(self.tmp, "secure")

    def test_files_are_tight_ignored_by_git_and_never_overwritten(self):
        rc, out, err = secure.run_setup(self.dir, ["alice", "bob"], "voting.example")
        self.assertEqual((rc, err), (0, ""))
        pws = secure.read_passwords(self.dir)
        self.assertEqual(sorted(pws), ["alice", "bob", "organiser", "tallier"])
        for pw in pws.values():
            self.assertNotIn(pw, out)  # nothing secret printed
        names = sorted(os.listdir(self.dir))
        self.assertEqual(names, ["ca.crt", "ca.key", "passwd", "passwords", "server.crt", "server.key"])
        root = os.geteuid() == 0 and harness.broker_user().pw_name == "mosquitto"
        broker_reads = {"ca.crt", "server.crt", "server.key", "passwd"}
        self.assertEqual(stat.S_IMODE(os.stat(self.dir).st_mode), 0o710 if root else 0o700)
        for n in names:
            st = os.stat(os.path.join(self.dir, n))
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o640 if root and n in broker_reads else 0o600, n)
            self.assertEqual(st.st_uid, os.geteuid(), n)
            if root and n in broker_reads:
                self.assertEqual(st.st_gid, harness.broker_user().pw_gid, n)
        rc, out, err = harness.run(["openssl", "verify", "-CAfile", os.path.join(self.dir, "ca.crt"),
                                    os.path.join(self.dir, "server.crt")])
        self.assertEqual(rc, 0, err)
        rc, out, err = harness.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in",
                                    os.path.join(self.dir, "server.crt")])
        for name in ("DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1", "DNS:voting.example"):
            self.assertIn(name, out)
        # The repository's default directory is ignored by git, whatever it holds.
        src = secure.source_dir()
        for n in names:
            rc, out, err = harness.run(["git", "-C", src, "check-ignore", "-q", "secure/" + n])
            self.assertEqual(rc, 0, "secure/%s is not ignored by git" % n)
        # A second run keeps every secret; a new voter gets an account.
        before = {n: _sha(os.path.join(self.dir, n)) for n in names}
        rc, out, err = secure.run_setup(self.dir, ["alice", "bob", "carol"])
        self.assertEqual((rc, err), (0, ""))
        for n in ("ca.crt", "ca.key", "server.crt", "server.key"):
            self.assertEqual(_sha(os.path.join(self.dir, n)), before[n], n)
        again = secure.read_passwords(self.dir)
        self.assertEqual({k: again[k] for k in pws}, pws)
        self.assertIn("carol", again)
        self.assertIn("secure-setup: 1 account(s) added; 5 in all", out)
        # --force starts over
        rc, out, err = secure.run_setup(self.dir, ["alice"], "--force")
        self.assertEqual(rc, 0, err)
        self.assertNotEqual(_sha(os.path.join(self.dir, "ca.key")), before["ca.key"])

    def test_bad_voter_lists_change_nothing(self):
        for voters, why in ((["alice", "a/b"], "invalid account 'a/b'"), (["tallier"], "'tallier' is the tallier's"),
                            (["bob", "bob"], "account 'bob' given twice")):
            rc, out, err = secure.run_setup(self.dir, voters)
            self.assertEqual(rc, 1)
            self.assertIn(why, err)
            self.assertFalse(os.path.exists(self.dir))
