"""systemd integration, least privilege and the audit trail.

- Socket activation: the daemon runs under ``systemd-socket-activate
  --seqpacket`` (which execs it with LISTEN_FDS), serves uid 4242 on the
  inherited socket, and sends READY=1, STATUS=..., WATCHDOG=1, RELOADING=1
  and STOPPING=1 to a NOTIFY_SOCKET this test binds (the sender's pid is
  checked with SO_PASSCRED).  A stream socket is refused.
- --user: /proc/PID/status of the running daemon (uid, gid, groups, every
  capability set, NoNewPrivs), and that it still does its job, reloads its
  policy and removes its socket; CAP_NET_BIND_SERVICE is only permitted
  and is effective just for the bind of a privileged port.
- The unit's credentials (User=, AmbientCapabilities=,
  CapabilityBoundingSet=, NoNewPrivileges= read from rawsockd.service.in,
  applied by setpriv): the daemon serves, and a privileged port is refused
  with EACCES saying why.
- Audit: the logfmt records on stderr for allowed and denied ops, parsed
  here and compared with what the client knows (its pid, the handle);
  and with stderr the journal (JOURNAL_STREAM), the same records as
  journal fields in a systemd-journald of the test's own (private mount
  namespace, tmpfs /run/systemd and /run/log), read back with journalctl.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    DAEMON_V4, TEST_GID, TEST_UID, Client, Daemon, DaemonTestCase, NetNS,
    _set_pdeathsig, as_user, assert_error, assert_ok, connect_as,
    daemon_binary, daemon_user, run, run_tests, unique_tag, wait_until,
    write_policy_file,
)

DROP_USER = (4250, 4250)  # the daemon's user for --user; no passwd entry
CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW = 10, 12, 13
EFFECTIVE_CAPS = (1 << CAP_NET_ADMIN) | (1 << CAP_NET_RAW)  # 0x3000
PERMITTED_CAPS = EFFECTIVE_CAPS | (1 << CAP_NET_BIND_SERVICE)  # 0x3400
UNIT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "systemd", "rawsockd.service.in")

# Managed packet sockets on veth0 only (for the audit records).
PACKET_POLICY = {"rules": [{"match": {"uid": TEST_UID}, "allow": {
    "domains": ["packet"], "types": ["raw"], "protocols": ["*"],
    "interfaces": ["veth0"],
}}]}
# Passed packet sockets (a pass needs every interface).
PASS_POLICY = {"rules": [{"match": {"uid": TEST_UID}, "allow": {
    "domains": ["packet"], "types": ["raw"], "protocols": ["*"],
    "interfaces": ["*"], "pass": True, "spoof": True,
}}]}
# TCP servers on port 80 (and passed, for an independent getsockname).
PORT_POLICY = {"rules": [{"match": {"uid": TEST_UID}, "allow": {
    "domains": ["inet"], "types": ["stream"], "protocols": ["*"],
    "interfaces": ["*"], "pass": True, "spoof": True,
    "privileged_ports": [80],
}}]}


def proc_status(pid):
    """/proc/PID/status as {field: value}."""
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f
                    if ":\t" in line)


def caps(status):
    return {f: int(status[f], 16) for f in
            ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}


def server_on_port_80(path):
    """As uid 4242: a passed TCP server bound to 198.18.0.1:80; its
    address as the kernel reports it, or the daemon's error."""
    with Client(path) as c:
        resp, fds = c.call_fds("server_socket", domain="inet", type="stream",
                               bind={"family": "inet", "host": DAEMON_V4,
                                     "port": 80}, **{"pass": True})
        if not resp["ok"]:
            return resp["error"]
        s = socket.socket(fileno=fds[0])
        try:
            return s.getsockname()
        finally:
            s.close()


def socket_domain(fd):
    s = socket.socket(fileno=os.dup(fd))
    try:
        return s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN)
    finally:
        s.close()


def open_packet_child(path):
    """As uid 4242: open a packet socket on veth0 (passed); its domain."""
    with Client(path) as c:
        resp, fds = c.call_fds("open", domain="packet", type="raw",
                               protocol="all", ifname="veth0",
                               **{"pass": True})
        assert_ok(resp)
        try:
            return [socket_domain(fd) for fd in fds]
        finally:
            for fd in fds:
                os.close(fd)


class Notifications:
    """An AF_UNIX datagram socket standing in for systemd's notify socket;
    remembers (pid, message) pairs from SCM_CREDENTIALS."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o777)  # as systemd's is: a --user daemon writes
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.got = []

    def close(self):
        self.sock.close()

    def _drain(self, timeout):
        self.sock.settimeout(timeout)
        try:
            msg, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            return False
        pid = None
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = int.from_bytes(data[:4], "little")
        self.got.append((pid, msg.decode()))
        return True

    def wait_for(self, predicate, timeout=5.0):
        """Read until predicate(list of (pid, msg)) holds; bounded."""
        deadline = time.monotonic() + timeout
        while not predicate(self.got):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._drain(left)
        return True


def lines_with(got, key):
    return [(pid, line) for pid, msg in got for line in msg.split("\n")
            if line.startswith(key)]


class SocketActivationTest(DaemonTestCase):

    def setUp(self):
        super().setUp()
        self.ns = NetNS()
        self.ns.create()
        self.addCleanup(self.ns.destroy)
        self.dir = tempfile.mkdtemp(prefix=f"rawsockd-sd-{unique_tag()}-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.path = os.path.join(self.dir, "activated.sock")
        self.own_path = os.path.join(self.dir, "own.sock")
        self.policy = os.path.join(self.dir, "policy.json")
        self.log_path = os.path.join(self.dir, "stderr.log")
        write_policy_file(self.policy, PASS_POLICY)
        self.proc = None

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def activate(self, env, seqpacket=True):
        """Start systemd-socket-activate in the namespace; it execs the
        daemon on the first connection, so Popen.pid becomes its pid."""
        cmd = ["ip", "netns", "exec", self.ns.name,
               "systemd-socket-activate", "-l", self.path]
        if seqpacket:
            cmd.insert(5, "--seqpacket")
        for k, v in env.items():
            cmd += ["-E", f"{k}={v}"]
        cmd += [daemon_binary(), "--socket", self.own_path, "--policy",
                self.policy, "--log-level", "debug"]
        user = daemon_user()
        if user is not None:
            cmd += ["--user", "%d:%d" % user]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log,
                                         preexec_fn=_set_pdeathsig)
        self.addCleanup(self.stop)
        self.assertTrue(wait_until(lambda: os.path.exists(self.path),
                                   timeout=5.0, interval=0.02),
                        "systemd-socket-activate made no socket")
        os.chmod(self.path, 0o666)  # its umask made it 0755

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def exe_is_daemon(self):
        try:
            return os.path.basename(os.readlink(
                f"/proc/{self.proc.pid}/exe")) == "rawsockd"
        except OSError:
            return False

    def test_served_on_the_inherited_socket_with_notifications(self):
        """uid 4242 gets a packet socket through the inherited listener;
        READY=1, STATUS=, WATCHDOG=1 every 100 ms (WATCHDOG_USEC=200000),
        RELOADING=1 on SIGHUP, STOPPING=1 on SIGTERM, all from the
        daemon's pid; the daemon never binds a socket of its own."""
        notes = Notifications(os.path.join(self.dir, "notify"))
        self.addCleanup(notes.close)
        self.activate({"NOTIFY_SOCKET": notes.path,
                       "WATCHDOG_USEC": "200000"})
        domains = as_user(TEST_UID, TEST_GID, open_packet_child, self.path)
        self.assertEqual(domains, [socket.AF_PACKET], self.log())
        self.assertTrue(self.exe_is_daemon())
        pid = self.proc.pid
        self.assertTrue(notes.wait_for(
            lambda got: len(lines_with(got, "WATCHDOG=1")) >= 5,
            timeout=3.0), f"{notes.got}\n{self.log()}")
        self.assertIn((pid, "READY=1"), lines_with(notes.got, "READY=1"))
        status = lines_with(notes.got, "STATUS=")
        self.assertTrue(status and all(p == pid for p, _ in status), status)
        self.assertTrue(all(p == pid for p, _ in notes.got), notes.got)
        self.assertFalse(os.path.exists(self.own_path))
        # Keep-alives come from the event loop at half the period.
        t0 = time.monotonic()
        n0 = len(lines_with(notes.got, "WATCHDOG=1"))
        notes.wait_for(lambda got: False, timeout=1.0)
        rate = (len(lines_with(notes.got, "WATCHDOG=1")) - n0) / \
            (time.monotonic() - t0)
        self.assertTrue(6 <= rate <= 14, f"{rate:.1f} keep-alives/s")

        n_ready = len(lines_with(notes.got, "READY=1"))
        os.kill(pid, signal.SIGHUP)
        self.assertTrue(notes.wait_for(
            lambda got: len(lines_with(got, "READY=1")) > n_ready),
            notes.got)
        self.assertTrue(lines_with(notes.got, "RELOADING=1"))
        self.proc.terminate()
        self.assertEqual(self.proc.wait(5), 0, self.log())
        notes.wait_for(lambda got: lines_with(got, "STOPPING=1"), 2.0)
        self.assertEqual([p for p, _ in lines_with(notes.got, "STOPPING=1")],
                         [pid])

    def test_no_watchdog_unless_asked(self):
        """Without WATCHDOG_USEC: READY=1 and no keep-alives."""
        notes = Notifications(os.path.join(self.dir, "notify"))
        self.addCleanup(notes.close)
        self.activate({"NOTIFY_SOCKET": notes.path})
        c = connect_as(self.path)
        assert_ok(c.call("ping"))
        c.close()
        self.assertTrue(notes.wait_for(
            lambda got: lines_with(got, "READY=1")), self.log())
        notes.wait_for(lambda got: False, timeout=0.5)
        self.assertEqual(lines_with(notes.got, "WATCHDOG=1"), [])

    def test_refuses_a_stream_socket(self):
        """An inherited socket that is not SOCK_SEQPACKET: exit 1, say why,
        and do not fall back to a socket of its own."""
        self.activate({}, seqpacket=False)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.path)  # makes systemd-socket-activate exec it
        s.close()
        rc = self.proc.wait(5)
        self.assertEqual(rc, 1, self.log())
        self.assertIn("is not a listening UNIX SOCK_SEQPACKET socket",
                      self.log())
        self.assertFalse(os.path.exists(self.own_path))


class PrivilegeDropTest(DaemonTestCase):

    def start_dropped(self, policy):
        args = [] if daemon_user() else ["--user", "%d:%d" % DROP_USER]
        d = self._new_daemon(policy, args)
        user = daemon_user() or DROP_USER
        os.chown(d.dir, *user)  # as the harness does under --user
        return d.start(), user

    def assert_dropped_caps(self, pid):
        """Every thread (the closer's, the resolver's too): CapEff and
        CapBnd exactly NET_RAW|NET_ADMIN (0x3000), CapPrm that plus
        NET_BIND_SERVICE (0x3400), CapInh and CapAmb empty."""
        want = {"CapInh": 0, "CapPrm": PERMITTED_CAPS,
                "CapEff": EFFECTIVE_CAPS, "CapBnd": EFFECTIVE_CAPS,
                "CapAmb": 0}
        tids = os.listdir(f"/proc/{pid}/task")
        self.assertIn(str(pid), tids)
        for tid in tids:
            self.assertEqual(caps(proc_status(f"{pid}/task/{tid}")), want,
                             tid)

    def test_status_after_drop(self):
        """As root with --user: the running daemon's uid/gid are the
        user's in all four slots, no supplementary groups, the capability
        sets of assert_dropped_caps in every thread, NoNewPrivs 1, and the
        socket belongs to the user.  With no CAP_SETUID in any set
        (bounding included) and no_new_privs, neither setuid(0) nor exec
        can bring root back."""
        d, (uid, gid) = self.start_dropped(PASS_POLICY)
        st = proc_status(d.pid)
        self.assertEqual(st["Uid"].split(), [str(uid)] * 4)
        self.assertEqual(st["Gid"].split(), [str(gid)] * 4)
        self.assertEqual(st["Groups"].split(), [])
        self.assert_dropped_caps(d.pid)
        self.assertEqual(st["NoNewPrivs"], "1")
        self.assertEqual(os.stat(d.socket_path).st_uid, uid)
        for tid in os.listdir(f"/proc/{d.pid}/task"):
            t = proc_status(f"{d.pid}/task/{tid}")
            self.assertEqual(t["Uid"].split(), [str(uid)] * 4, tid)

    def test_privileged_port_bound_then_dropped(self):
        """In a namespace where port 80 needs CAP_NET_BIND_SERVICE, the
        --user daemon binds it for uid 4242 (the passed socket's own
        getsockname says so) and afterwards has the same sets as before:
        the capability was effective only for that bind."""
        d, _ = self.start_dropped(PORT_POLICY)
        start = d.netns.exec(["cat", "/proc/sys/net/ipv4/"
                              "ip_unprivileged_port_start"])
        self.assertEqual(start.stdout.strip(), "1024")
        self.assertEqual(as_user(TEST_UID, TEST_GID, server_on_port_80,
                                 d.socket_path), (DAEMON_V4, 80))
        self.assert_dropped_caps(d.pid)

    def test_root_without_user_keeps_two_capabilities(self):
        """Started as root without --user it stays uid 0, with the same
        capability sets as after a drop, and still binds port 80 for uid
        4242 (the parked capability)."""
        if daemon_user():
            self.skipTest("the daemon runs with --user here")
        d = self.start_daemon(PORT_POLICY)
        self.assertEqual(proc_status(d.pid)["Uid"].split(), ["0"] * 4)
        self.assert_dropped_caps(d.pid)
        self.assertEqual(as_user(TEST_UID, TEST_GID, server_on_port_80,
                                 d.socket_path), (DAEMON_V4, 80))
        self.assert_dropped_caps(d.pid)

    def test_root_given_fewer_capabilities_keeps_what_it_has(self):
        """A root started with only CAP_NET_RAW (a container's set, a
        narrower unit) still starts, keeps just that one (no CAP_SETPCAP
        to trim its bounding set, none to add), and makes packet sockets
        for uid 4242."""
        if daemon_user():
            self.skipTest("the daemon runs with --user here")
        ns = NetNS()
        ns.create()
        self.addCleanup(ns.destroy)
        d = NarrowRootDaemon(PASS_POLICY, ns)
        self._daemons.append(d)
        self.addCleanup(d.close)
        d.start()
        self.assertEqual(caps(proc_status(d.pid)),
                         {"CapInh": 0, "CapPrm": 1 << 13, "CapEff": 1 << 13,
                          "CapBnd": 1 << 13, "CapAmb": 0})
        self.assertEqual(as_user(TEST_UID, TEST_GID, open_packet_child,
                                 d.socket_path), [socket.AF_PACKET])

    def test_still_works_reloads_and_cleans_up(self):
        """After the drop it still makes packet sockets for uid 4242
        (CAP_NET_RAW kept), rereads its policy on SIGHUP, and removes its
        socket at exit."""
        d, _ = self.start_dropped(PASS_POLICY)
        self.assertEqual(as_user(TEST_UID, TEST_GID, open_packet_child,
                                 d.socket_path), [socket.AF_PACKET])
        since = d.reload({"rules": []})
        self.assertIsNotNone(d.wait_log("policy reloaded", since), d.log())
        c = connect_as(d.socket_path)
        assert_error(c.call("open", domain="packet", type="raw",
                            protocol="all", ifname="veth0"), "denied",
                     any_id=True)
        c.close()
        d.stop()
        self.assertFalse(os.path.exists(d.socket_path))

    def test_bad_users_refused(self):
        """An unknown name, a bare uid with no passwd entry, root itself,
        and a policy the user could not reread are refused at start."""
        for spec, code, why in (("no-such-user-rsd", 2, "no such user"),
                                ("4250", 2, "give uid:gid"),
                                ("0:0", 2, "that is root"),
                                ("4250:no-such-group-rsd", 2,
                                 "no such group")):
            r = run([daemon_binary(), "--user", spec, "--socket",
                     "/nonexistent/x.sock"], check=False, timeout=10)
            self.assertEqual(r.returncode, code, spec)
            self.assertIn(why, r.stderr, spec)
        ns = NetNS()
        self.addCleanup(ns.destroy)
        ns.create()
        tmp = tempfile.mkdtemp(prefix=f"rawsockd-priv-{unique_tag()}-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        os.chown(tmp, *DROP_USER)  # so it can remove its socket
        policy = os.path.join(tmp, "policy.json")
        write_policy_file(policy, PACKET_POLICY)
        os.chmod(policy, 0o600)
        sock = os.path.join(tmp, "s.sock")
        r = ns.exec([daemon_binary(), "--user", "4250:4250", "--policy",
                     policy, "--socket", sock], check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("not readable as uid 4250", r.stderr)
        self.assertFalse(os.path.exists(sock))


class NarrowRootDaemon(Daemon):
    """Root, no --user, with CAP_NET_RAW alone in its bounding set (so in
    its permitted set after exec)."""

    def user_args(self):
        return []

    def command(self):
        cmd = super().command()
        at = cmd.index(self.binary)
        return cmd[:at] + ["setpriv", "--bounding-set=-all,+net_raw",
                           "--"] + cmd[at:]


class UnitCredentialsDaemon(Daemon):
    """The daemon as rawsockd.service starts it, without systemd: setpriv
    applies the unit's User= (uid 4250 here), AmbientCapabilities=,
    CapabilityBoundingSet= and NoNewPrivileges=; no --user."""

    def __init__(self, policy, netns, unit_caps):
        super().__init__(policy, netns)
        os.chown(self.dir, *DROP_USER)
        self.unit_caps = unit_caps

    def user_args(self):
        return []

    def command(self):
        cmd = super().command()
        at = cmd.index(self.binary)
        caps = ",".join("+" + c.lower()[len("cap_"):] for c in self.unit_caps)
        return cmd[:at] + [
            "setpriv", "--reuid=%d" % DROP_USER[0],
            "--regid=%d" % DROP_USER[1], "--clear-groups",
            "--inh-caps=-all," + caps, "--ambient-caps=" + caps,
            "--bounding-set=-all," + caps, "--no-new-privs", "--"] + cmd[at:]


def unit_settings():
    """{key: value} of rawsockd.service.in's [Service] section."""
    out = {}
    with open(UNIT) as f:
        for line in f:
            key, eq, value = line.strip().partition("=")
            if eq and not key.startswith("#"):
                out.setdefault(key, value)
    return out


class UnitCredentialsTest(DaemonTestCase):

    def test_two_capabilities_no_privileged_ports(self):
        """The unit grants exactly CAP_NET_RAW and CAP_NET_ADMIN, ambient
        and bounding, with NoNewPrivileges=yes.  Run with those: every set
        but CapInh/CapAmb is 0x3000 with no NET_BIND_SERVICE anywhere, a
        TCP server on port 80 is refused with EACCES naming the missing
        capability (the daemon stays up), and packet sockets still work."""
        unit = unit_settings()
        self.assertEqual(unit["AmbientCapabilities"].split(),
                         ["CAP_NET_RAW", "CAP_NET_ADMIN"])
        self.assertEqual(unit["CapabilityBoundingSet"],
                         unit["AmbientCapabilities"])
        self.assertEqual(unit["NoNewPrivileges"], "yes")
        ns = NetNS()
        ns.create()
        self.addCleanup(ns.destroy)
        policy = {"rules": [{"match": {"uid": TEST_UID}, "allow": dict(
            PORT_POLICY["rules"][0]["allow"], domains=["inet", "packet"],
            types=["stream", "raw"])}]}
        d = UnitCredentialsDaemon(policy, ns,
                                  unit["AmbientCapabilities"].split())
        self._daemons.append(d)
        self.addCleanup(d.close)
        d.start()
        st = proc_status(d.pid)
        self.assertEqual(st["Uid"].split(), [str(DROP_USER[0])] * 4)
        self.assertEqual(caps(st), dict.fromkeys(
            ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"),
            EFFECTIVE_CAPS))
        self.assertEqual(st["NoNewPrivs"], "1")
        got = as_user(TEST_UID, TEST_GID, server_on_port_80, d.socket_path)
        self.assertEqual(got["code"], "EACCES", got)
        self.assertIn("CAP_NET_BIND_SERVICE", got["message"])
        self.assertEqual(as_user(TEST_UID, TEST_GID, open_packet_child,
                                 d.socket_path), [socket.AF_PACKET])


LOGFMT = re.compile(r'(\w+)(?:=("(?:[^"\\]|\\.)*"|\S*))?')
ESCAPE = re.compile(r'\\(x[0-9a-f]{2}|.)')


def unescape(value):
    return ESCAPE.sub(lambda m: chr(int(m.group(1)[1:], 16))
                      if m.group(1).startswith("x") and len(m.group(1)) == 3
                      else {"n": "\n"}.get(m.group(1), m.group(1)), value)


def audit_records(log):
    """Every 'audit ...' line of a log as a dict (logfmt, unquoted)."""
    out = []
    for line in log.splitlines():
        line = re.sub(r"^<\d>", "", line)
        if not line.startswith("audit "):
            continue
        rec = {}
        for key, value in LOGFMT.findall(line[len("audit "):]):
            if value.startswith('"'):
                value = unescape(value[1:-1])
            rec[key] = value
        out.append(rec)
    return out


def audit_child(path):
    """As uid 4242: one allowed open (managed), a bind, a close, a denied
    open (wrong interface), a denied pass-less type and a hello; returns
    what the client knows."""
    with Client(path) as c:
        assert_ok(c.call("hello"))
        ok = c.call("open", domain="packet", type="raw", protocol="all",
                    ifname="veth0")
        assert_ok(ok)
        assert_ok(c.call("close", handle=ok["handle"]))
        denied = c.call("open", domain="packet", type="raw",
                        protocol="ip", ifname="lo")
        assert_error(denied, "denied", any_id=True)
        inet = c.call("open", domain="inet", type="dgram")
        assert_error(inet, "denied", any_id=True)
        return {"pid": os.getpid(), "handle": ok["handle"],
                "denied": denied["error"]["message"]}


def accept_child(path):
    """As uid 4242: a TCP server on 198.18.0.1, a managed client connected
    to it, and an accept; (listening handle, accepted handle)."""
    with Client(path) as c:
        lst = c.call("server_socket", domain="inet", type="stream",
                     bind={"family": "inet", "host": DAEMON_V4, "port": 0})
        assert_ok(lst)
        addr = assert_ok(c.call("getsockname", handle=lst["handle"]))
        cli = assert_ok(c.call("open", domain="inet", type="stream"))
        assert_ok(c.call("connect", handle=cli["handle"],
                         address=addr["address"], timeout_ms=3000))
        got = assert_ok(c.call("accept", handle=lst["handle"],
                               timeout_ms=3000))
        return lst["handle"], got["handle"]


class AuditTest(DaemonTestCase):

    def test_records_for_allowed_and_denied(self):
        """One record per privileged op (open, close), none for hello; the
        fields match what the client did and knows: its uid, gid and pid,
        the socket's domain/type/protocol, the interface, the handle, the
        deciding rule, and for a denial the reason it was given."""
        d = self.start_daemon(PACKET_POLICY)
        since = len(d.log())
        got = as_user(TEST_UID, TEST_GID, audit_child, d.socket_path)
        self.assertIsNotNone(d.wait_log(r"audit op=open decision=denied "
                                        r".*domain=AF_INET ", since))
        recs = audit_records(d.log()[since:])
        self.assertEqual([(r["op"], r["decision"]) for r in recs],
                         [("open", "allowed"), ("close", "allowed"),
                          ("open", "denied"), ("open", "denied")], recs)
        who = {"uid": str(TEST_UID), "gid": str(TEST_GID),
               "pid": str(got["pid"])}
        rule = "rule 1 (uid %d)" % TEST_UID
        common = dict(who, domain="AF_PACKET", type="SOCK_RAW",
                      rule=rule)
        self.assertEqual(recs[0], dict(common, op="open", conn=recs[0]["conn"],
                                       decision="allowed", result="ok",
                                       protocol="ETH_P_ALL", ifname="veth0",
                                       handle=str(got["handle"])))
        self.assertEqual(recs[1], dict(recs[0], op="close"))
        self.assertEqual(recs[2], dict(common, op="open", conn=recs[0]["conn"],
                                       decision="denied", result="denied",
                                       protocol="ETH_P_IP", ifname="lo",
                                       reason=got["denied"]))
        self.assertEqual((recs[3]["domain"], recs[3]["type"],
                          recs[3]["protocol"], recs[3]["rule"]),
                         ("AF_INET", "SOCK_DGRAM", "IPPROTO_UDP", rule))  # as the
        # policy saw it: the protocol the kernel picks for 0

    def test_accept_names_both_handles(self):
        """accept's record names the listening socket (handle) and the
        new one (accepted), as the client got them."""
        d = self.start_daemon({"rules": [{"match": {"uid": TEST_UID},
                                          "allow": {"domains": ["inet"],
                                                    "types": ["stream"],
                                                    "protocols": ["*"]}}]})
        since = len(d.log())
        listening, accepted = as_user(TEST_UID, TEST_GID, accept_child,
                                      d.socket_path)
        self.assertIsNotNone(d.wait_log(r"audit op=accept ", since))
        recs = [r for r in audit_records(d.log()[since:])
                if r["op"] == "accept"]
        self.assertEqual(len(recs), 1, recs)
        self.assertEqual((recs[0]["handle"], recs[0]["accepted"],
                          recs[0]["result"], recs[0]["type"]),
                         (str(listening), str(accepted), "ok",
                          "SOCK_STREAM"))
        self.assertNotEqual(listening, accepted)

    def test_root_and_unmatched(self):
        """Root's records name the rule "root"; a uid no rule matches gets
        "none" and a denial."""
        d = self.start_daemon({"rules": []})
        since = len(d.log())
        with Client(d.socket_path) as c:
            assert_ok(c.call("open", domain="packet", type="raw",
                             protocol="all", ifname="veth0"))
        c = connect_as(d.socket_path)
        assert_error(c.call("open", domain="inet", type="dgram"), "denied",
                     any_id=True)
        c.close()
        self.assertIsNotNone(d.wait_log(r"rule=none", since))
        recs = audit_records(d.log()[since:])
        self.assertEqual([(r["uid"], r["rule"], r["decision"])
                          for r in recs],
                         [("0", "root", "allowed"),
                          (str(TEST_UID), "none", "denied")])

    def test_hostile_interface_name_stays_on_one_line(self):
        """A client-chosen name with a newline and quotes is escaped: the
        record is one line and parses back to what was sent."""
        d = self.start_daemon(PACKET_POLICY)
        since = len(d.log())
        c = connect_as(d.socket_path)
        name = 'x\n<3>audit op=fake "q"'
        resp = c.call("open", domain="packet", type="raw", protocol="all",
                      ifname=name)
        self.assertFalse(resp["ok"])
        c.close()
        self.assertIsNotNone(d.wait_log(r"audit op=open", since))
        recs = audit_records(d.log()[since:])
        self.assertEqual(len(recs), 1, d.log()[since:])
        self.assertNotIn("fake", [r["op"] for r in recs])
        self.assertEqual(recs[0]["ifname"], name[:15])


JOURNALD = "/lib/systemd/systemd-journald"


def journald_missing():
    """Why the journal test cannot run here, or None."""
    if not os.path.exists(JOURNALD):
        return "no systemd-journald"
    for tool in ("journalctl", "nsenter", "unshare"):
        if shutil.which(tool) is None:
            return f"no {tool}"
    for d in ("/run/systemd", "/run/log"):
        if not os.path.isdir(d):
            return f"no {d} to mount over"
    with open(daemon_binary(), "rb") as f:
        if b"sd_journal_sendv" not in f.read():
            return "rawsockd built without libsystemd"
    return None


class JournalDaemon(Daemon):
    """The daemon in the private journald's mount namespace with stderr
    its log file and JOURNAL_STREAM naming that file, as systemd sets it
    when stderr is the journal."""

    def __init__(self, policy, netns, journald_pid):
        super().__init__(policy, netns)
        open(self.log_path, "wb").close()  # start() truncates, same inode
        st = os.stat(self.log_path)
        self.prefix = ["nsenter", f"--mount=/proc/{journald_pid}/ns/mnt",
                       "--", "env", f"JOURNAL_STREAM={st.st_dev}:{st.st_ino}"]

    def command(self):
        return self.prefix + super().command()


class JournalTest(DaemonTestCase):

    def start_journald(self):
        """systemd-journald with tmpfs /run/systemd and /run/log in a
        private mount namespace (the host's stay untouched); its pid once
        its native socket is there."""
        proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "--", "sh",
             "-c", "mount -t tmpfs tmpfs /run/systemd && "
             "mount -t tmpfs tmpfs /run/log && exec " + JOURNALD],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, preexec_fn=_set_pdeathsig)

        def stop():
            proc.terminate()
            proc.wait(10)
        self.addCleanup(stop)
        sock = f"/proc/{proc.pid}/root/run/systemd/journal/socket"
        self.assertTrue(wait_until(lambda: os.path.exists(sock),
                                   timeout=10.0, interval=0.05),
                        "systemd-journald made no socket")
        return proc.pid

    def journal(self, jpid, *matches):
        out = run(["journalctl", "-D", f"/proc/{jpid}/root/run/log/journal",
                   "-o", "json", "--no-pager", *matches], check=False)
        return [json.loads(line) for line in out.stdout.splitlines()]

    def test_records_are_journal_fields(self):
        """audit_child's ops as uid 4242 (open, close, two denied opens):
        four entries with RAWSOCKD_* fields matching what the client did
        and knows, the logfmt line as MESSAGE, PRIORITY 5 and 4,
        SYSLOG_IDENTIFIER rawsockd, and _PID (journald's, from the kernel)
        the daemon's; none of them on stderr.  journalctl's field match
        finds them."""
        why = journald_missing()
        if why is not None:
            self.skipTest(why)
        ns = NetNS()
        ns.create()  # before journald: its mount namespace needs the netns
        self.addCleanup(ns.destroy)
        jpid = self.start_journald()
        d = JournalDaemon(PACKET_POLICY, ns, jpid)
        self._daemons.append(d)
        self.addCleanup(d.close)
        d.start()
        got = as_user(TEST_UID, TEST_GID, audit_child, d.socket_path)
        self.assertTrue(wait_until(
            lambda: len(self.journal(jpid, "SYSLOG_IDENTIFIER=rawsockd"))
            >= 4, timeout=5.0, interval=0.1), self.journal(jpid))
        recs = self.journal(jpid, "SYSLOG_IDENTIFIER=rawsockd")
        self.assertEqual([(r["RAWSOCKD_OP"], r["RAWSOCKD_DECISION"],
                           r["PRIORITY"], r["_PID"]) for r in recs],
                         [("open", "allowed", "5", str(d.pid)),
                          ("close", "allowed", "5", str(d.pid)),
                          ("open", "denied", "4", str(d.pid)),
                          ("open", "denied", "4", str(d.pid))])
        for r in recs:
            self.assertEqual((r["RAWSOCKD_UID"], r["RAWSOCKD_GID"],
                              r["RAWSOCKD_PID"]),
                             (str(TEST_UID), str(TEST_GID), str(got["pid"])))
            fields = {k[len("RAWSOCKD_"):].lower(): v for k, v in r.items()
                      if k.startswith("RAWSOCKD_")}
            self.assertEqual(audit_records(r["MESSAGE"]), [fields])
        self.assertEqual((recs[0]["RAWSOCKD_IFNAME"],
                          recs[0]["RAWSOCKD_HANDLE"],
                          recs[0]["RAWSOCKD_PROTOCOL"]),
                         ("veth0", str(got["handle"]), "ETH_P_ALL"))
        self.assertEqual((recs[2]["RAWSOCKD_IFNAME"],
                          recs[2]["RAWSOCKD_REASON"]), ("lo", got["denied"]))
        self.assertEqual(len(self.journal(jpid, "RAWSOCKD_DECISION=denied",
                                          "RAWSOCKD_IFNAME=lo")), 1)
        self.assertNotIn("audit op=", d.log())


if __name__ == "__main__":
    run_tests()
