"""secure.py -- the integration tests' secure broker: the repository's
mosquitto-secure.conf and mosquitto-secure.acl as shipped, with only the
port changed, and the files scripts/secure-setup.sh makes (a local CA, the
broker's certificate, the accounts), in a temporary directory. Also TLS
clients (mosquitto_pub, mosquitto_sub with -u/-P and the CA) and
certificates made with openssl for the failure cases.

Kept apart from harness.py; uses its tools. Only 127.0.0.1, free ports, and
only the processes started here are signalled, by PID."""

import os
import shutil
import subprocess
import tempfile
import time

import harness
from harness import HOST

LISTENER = "listener 8883"


def source_dir():
    return os.environ.get("MQTTVOTE_SOURCE_DIR") or os.path.abspath(
        os.path.join(os.path.dirname(__file__), "..", ".."))


def setup_script():
    return os.path.join(source_dir(), "scripts", "secure-setup.sh")


def run_setup(secure_dir, voters, *args):
    """scripts/secure-setup.sh --dir secure_dir VOTERS [args]: (rc, stdout, stderr).
    voters: a list of account names, written to a file next to secure_dir."""
    vfile = os.path.join(os.path.dirname(secure_dir), "voters.txt")
    with open(vfile, "w") as f:
        f.write("".join(v + "\n" for v in voters))
    return harness.run([setup_script(), "--dir", secure_dir, vfile] + list(args), timeout=60)


def read_passwords(secure_dir):
    """{account: password} from the passwords file secure-setup.sh wrote."""
    out = {}
    with open(os.path.join(secure_dir, "passwords")) as f:
        for line in f:
            name, pw = line.split()
            out[name] = pw
    return out


def make_server_cert(secure_dir, names, days=825):
    """Replace the broker's certificate in secure_dir with one signed by its
    CA for names (a list of "DNS:x" / "IP:y"), valid for days (-1: expired a
    day ago), with openssl, keeping the files' owners and modes."""
    key, crt = os.path.join(secure_dir, "server.key"), os.path.join(secure_dir, "server.crt")
    tmp = tempfile.mkdtemp(prefix="mqttvote-cert-")
    try:
        csr, ext = os.path.join(tmp, "s.csr"), os.path.join(tmp, "s.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n" % ",".join(names))
        for argv in (["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-nodes", "-subj", "/CN=test", "-keyout", os.path.join(tmp, "s.key"), "-out", csr],
                     ["openssl", "x509", "-req", "-in", csr, "-CA", os.path.join(secure_dir, "ca.crt"),
                      "-CAkey", os.path.join(secure_dir, "ca.key"), "-set_serial", str(int(time.time() * 1000)),
                      "-days", str(days), "-extfile", ext, "-out", os.path.join(tmp, "s.crt")]):
            rc, out, err = harness.run(argv)
            if rc != 0:
                raise AssertionError("%s failed: %s" % (" ".join(argv[:2]), err))
        for src, dst in ((os.path.join(tmp, "s.key"), key), (os.path.join(tmp, "s.crt"), crt)):
            with open(src, "rb") as s, open(dst, "wb") as d:  # in place: owner and mode stay
                d.write(s.read())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class SecureBroker:
    """mosquitto -c mosquitto-secure.conf (the shipped file, the listener
    moved to a free port on 127.0.0.1), run in a directory holding secure/
    (made by scripts/secure-setup.sh for tallier and voters) and a copy of
    mosquitto-secure.acl: the relative paths of the file resolve there, as
    from the repository root. Call start() (after changing certificates, if
    any) and cleanup()."""

    def __init__(self, voters=("alice", "bob")):
        self.dir = tempfile.mkdtemp(prefix="mqttvote-secure-")
        os.chmod(self.dir, 0o711)  # as root, mosquitto runs as its own user and must enter
        self.secure_dir = os.path.join(self.dir, "secure")
        rc, out, err = run_setup(self.secure_dir, list(voters))
        if rc != 0:
            raise AssertionError("secure-setup.sh failed (%d): %s%s" % (rc, out, err))
        self.passwords = read_passwords(self.secure_dir)
        self.cafile = os.path.join(self.secure_dir, "ca.crt")
        self.data_dir = os.path.join(self.dir, "data")
        os.mkdir(self.data_dir)
        shutil.copy(os.path.join(source_dir(), "mosquitto-secure.acl"), os.path.join(self.data_dir,
                                                                                   "mosquitto-secure.acl"))
        os.symlink(self.secure_dir, os.path.join(self.data_dir, "secure"))
        if os.geteuid() == 0:
            pw = harness.broker_user()
            os.chown(self.data_dir, pw.pw_uid, pw.pw_gid)
        self.proc = None
        self.port = None

    def conf_text(self):
        with open(os.path.join(source_dir(), "mosquitto-secure.conf")) as f:
            text = f.read()
        if "\n" + LISTENER + "\n" not in text:
            raise AssertionError("mosquitto-secure.conf has no line %r" % LISTENER)
        return text.replace("\n" + LISTENER + "\n", "\nlistener %d %s\n" % (self.port, HOST))

    def start(self):
        for _ in range(8):
            self.port = harness.free_port()
            conf = os.path.join(self.dir, "mosquitto-secure.conf")
            with open(conf, "w") as f:
                f.write(self.conf_text())
            log = open(os.path.join(self.dir, "mosquitto.log"), "ab")
            try:
                self.proc = subprocess.Popen([harness.mosquitto_path(), "-c", conf], cwd=self.data_dir,
                                             stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                             preexec_fn=harness._die_with_parent, close_fds=True)
            finally:
                log.close()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                if " running" in self.log() and harness.port_accepts(self.port):
                    return self
                time.sleep(0.02)
            self.stop()
            if "Address already in use" not in self.log():
                raise AssertionError("the secure broker did not start:\n" + self.log())
        raise AssertionError("the secure broker could not bind a free port:\n" + self.log())

    def log(self):
        try:
            with open(os.path.join(self.dir, "mosquitto.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- clients

    def tls_args(self, user=None, password=None, cafile=None):
        """-h/-p, the CA and the account's credentials, for our programs and
        mosquitto's clients alike (password None: the account's own)."""
        a = ["-h", HOST, "-p", str(self.port), "--cafile", cafile or self.cafile]
        if user is not None:
            a += ["-u", user, "-P", self.passwords[user] if password is None else password]
        return a

    def pub(self, user, topic, payload, retain=False, version="mqttv311"):
        """mosquitto_pub over TLS as user, QoS 1: (rc, stdout, stderr)."""
        argv = [harness.mosquitto_pub_path()] + self.tls_args(user) + ["-q", "1", "-V", version, "-t", topic,
                                                                        "-m", payload]
        return harness.run(argv + (["-r"] if retain else []))

    def subscriber(self, user, topic):
        """A mosquitto_sub over TLS as user on topic, running until close(),
        subscribed (its SUBACK seen) when this returns."""
        return Subscriber(self, user, topic)


class Subscriber:
    """mosquitto_sub -d -v as one account, on a topic under vote/; lines()
    are the messages ("topic payload"), without the -d lines."""

    def __init__(self, broker, user, topic):
        self.out = tempfile.TemporaryFile()
        # stdbuf: its output goes to a file, which stdio would hold back
        self.proc = subprocess.Popen(["stdbuf", "-oL", harness.mosquitto_sub_path(), "-d", "-v", "-q", "1",
                                      "-t", topic]
                                     + broker.tls_args(user), stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT, preexec_fn=harness._die_with_parent,
                                     close_fds=True)
        if not harness.wait_for(lambda: "received SUBACK" in self._text() or self.proc.poll() is not None, 10):
            raise AssertionError("mosquitto_sub as %s on %s: no SUBACK:\n%s" % (user, topic, self._text()))
        if self.proc.poll() is not None:
            raise AssertionError("mosquitto_sub as %s exited:\n%s" % (user, self._text()))

    def _text(self):
        self.out.seek(0)
        return self.out.read().decode("utf-8", "replace")

    def lines(self):
        # every subscription here is under vote/, so a message line starts
        # with it; -d's lines do not (and CI once saw one cut in two, its
        # "CONNACK (0)" alone on a line, which a list of prefixes to drop
        # let through)
        return [line for line in self._text().splitlines() if line.startswith("vote/")]

    def wait_lines(self, count, timeout=5):
        """The message lines once there are count of them, or all there are
        after timeout seconds."""
        harness.wait_for(lambda: len(self.lines()) >= count, timeout)
        return self.lines()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.out.close()
