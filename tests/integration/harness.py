"""Shared harness for the rawsockd integration tests.

This module owns everything a test needs to drive the real daemon:

- ``NetNS``: a fresh pair of network namespaces (daemon side and peer side)
  joined by a veth pair, always torn down; ``NetNS.socket`` opens a socket
  inside either namespace (``netns_socket``), ``NetNS.mac`` reads a MAC;
- ``Daemon``: the daemon running inside the daemon namespace with a policy
  given as a Python dict, its stderr captured to a file;
- ``Client``: a protocol client over AF_UNIX SOCK_SEQPACKET that checks the
  envelope of every response (PROTOCOL.md sections 1-2);
- ``as_user`` / ``spawn_as_user`` / ``run_as_user``: code and commands run
  under a real unprivileged uid (4242 by default, never the overflow id);
  ``connect_as``: a Client whose connection a child made as such a uid,
  driven in-process;
- ``DaemonTestCase`` and ``run_tests``: unittest glue that prints the daemon
  log when a test fails and tears everything down on any exit.

Python 3 standard library only; runs as root under /usr/bin/python3.
Every wait is bounded in time and every loop in count.
"""

import atexit
import ctypes
import itertools
import json
import os
import pickle
import re
import select
import shutil
import signal
import struct
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import unittest

TEST_UID = 4242
TEST_GID = 4242
EXTRA_GID = 4243
OTHER_UID = 4244
OVERFLOW_ID = 65534  # what an unmapped user-namespace peer appears as

RECV_BUF = 1024 * 1024  # PROTOCOL.md 1: a response is at most 1 MiB
MAX_FDS = 16
SOCKET_POOL_MAX = 16  # daemon/sockpool.c: 8 each of SOCK_RAW, SOCK_DGRAM
CALL_TIMEOUT = 5.0
READY_TIMEOUT = 5.0
STOP_TIMEOUT = 5.0

DAEMON_V4 = "198.18.0.1"
PEER_V4 = "198.18.0.2"
DAEMON_V6 = "2001:db8::1"
PEER_V6 = "2001:db8::2"

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
_counter = itertools.count()
_live_namespaces = set()
_live_daemons = set()


def unique_tag():
    """A name fragment unique to this process and call."""
    return f"{os.getpid()}x{next(_counter)}"


def daemon_binary():
    """The daemon under test: $RAWSOCKD, else the default build tree."""
    return os.environ.get("RAWSOCKD") or os.path.join(
        _REPO, "build", "daemon", "rawsockd")


def daemon_user():
    """$RAWSOCKD_TEST_USER ("uid:gid", e.g. 4250:4250): every Daemon then
    runs with --user and drops root itself; None when unset."""
    spec = os.environ.get("RAWSOCKD_TEST_USER")
    if not spec:
        return None
    uid, _, gid = spec.partition(":")
    return int(uid), int(gid or uid)


def ctl_binary():
    """The CLI under test: $RAWSOCKCTL, else the default build tree."""
    return os.environ.get("RAWSOCKCTL") or os.path.join(
        _REPO, "build", "client", "rawsockctl")


def _set_pdeathsig(sig=signal.SIGTERM):
    """Ask the kernel to signal this process when its parent dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, int(sig), 0, 0, 0)  # PR_SET_PDEATHSIG


def run(cmd, check=True, timeout=30, **kwargs):
    """Run a command, capturing text output; raise with it on failure."""
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          timeout=timeout, **kwargs)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): "
                           f"{proc.stderr.strip()}")
    return proc


def raise_nofile(want):
    """Raise RLIMIT_NOFILE's soft limit to at least want (within hard)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


# --------------------------------------------------------------------------
# Network namespaces


class NetNS:
    """A daemon namespace and a peer namespace joined by a veth pair.

    Daemon side: ``ifname`` (veth0) with 198.18.0.1/24 and 2001:db8::1/64.
    Peer side: ``peer_ifname`` (veth1) with 198.18.0.2/24 and 2001:db8::2/64.
    The interface names live only inside the private namespaces, so they
    need no per-process suffix; the namespace names carry one.
    """

    def __init__(self, ifname="veth0", peer_ifname="veth1"):
        tag = unique_tag()
        self.name = f"rsd{tag}"
        self.peer = f"rsp{tag}"
        self.ifname = ifname
        self.peer_ifname = peer_ifname
        assert len(ifname) <= 15 and len(peer_ifname) <= 15
        self.created = False

    def __enter__(self):
        self.create()
        return self

    def __exit__(self, *exc):
        self.destroy()

    def create(self):
        _live_namespaces.update((self.name, self.peer))
        try:
            run(["ip", "netns", "add", self.name])
            run(["ip", "netns", "add", self.peer])
            self.created = True
            self.ip("link", "add", self.ifname, "type", "veth",
                    "peer", "name", self.peer_ifname, "netns", self.peer)
            self._configure(self.name, self.ifname, DAEMON_V4, DAEMON_V6)
            self._configure(self.peer, self.peer_ifname, PEER_V4, PEER_V6)
            self._wait_operstate_up()
        except BaseException:
            self.destroy()
            raise
        return self

    def _configure(self, ns, ifname, v4, v6):
        ipn = ["ip", "-n", ns]
        run(ipn + ["link", "set", "lo", "up"])
        run(ipn + ["addr", "add", f"{v4}/24", "dev", ifname])
        run(ipn + ["addr", "add", f"{v6}/64", "dev", ifname, "nodad"])
        run(ipn + ["link", "set", ifname, "up"])

    def operstate(self, peer=False):
        ifname = self.peer_ifname if peer else self.ifname
        out = self.ip("-j", "link", "show", "dev", ifname, peer=peer).stdout
        return json.loads(out)[0].get("operstate")

    def _wait_operstate_up(self, timeout=5.0):
        """The kernel reports carrier asynchronously; wait for both ends."""
        up = wait_until(lambda: self.operstate() == "UP" and
                        self.operstate(peer=True) == "UP",
                        timeout=timeout, interval=0.02)
        assert up, f"veth pair not up within {timeout}s"

    def ip(self, *args, peer=False, check=True):
        """Run `ip -n NS args...` in the daemon (or peer) namespace."""
        ns = self.peer if peer else self.name
        return run(["ip", "-n", ns, *args], check=check)

    def exec(self, cmd, peer=False, check=True, timeout=30):
        """Run a command inside the daemon (or peer) namespace."""
        ns = self.peer if peer else self.name
        return run(["ip", "netns", "exec", ns, *cmd], check=check,
                   timeout=timeout)

    def ifindex(self, peer=False):
        ns = self.peer if peer else self.name
        ifname = self.peer_ifname if peer else self.ifname
        out = run(["ip", "netns", "exec", ns, "cat",
                   f"/sys/class/net/{ifname}/ifindex"]).stdout
        return int(out)

    def mac(self, peer=False):
        """The MAC address of the daemon-side (or peer-side) veth."""
        ifname = self.peer_ifname if peer else self.ifname
        out = self.ip("-j", "link", "show", "dev", ifname, peer=peer).stdout
        return json.loads(out)[0]["address"]

    def socket(self, family, type, proto=0, peer=True):
        """A socket created inside the peer (or daemon) namespace.

        The calling thread joins the namespace with setns(2) just for the
        socket(2) call and then returns to its own; the socket stays in the
        namespace it was made in.
        """
        ns = self.peer if peer else self.name
        return netns_socket(ns, family, type, proto)

    def destroy(self):
        for ns in (self.name, self.peer):
            _delete_netns(ns)
        self.created = False


_CLONE_NEWNET = 0x40000000


def _setns(fd):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def netns_socket(nsname, family, type, proto=0):
    """socket(family, type, proto) made inside the named network namespace
    (Python 3.11 has no os.setns: libc's through ctypes)."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        target = os.open(f"/run/netns/{nsname}", os.O_RDONLY | os.O_CLOEXEC)
        try:
            _setns(target)
        finally:
            os.close(target)
        try:
            return socket.socket(family, type, proto)
        finally:
            _setns(own)
    finally:
        os.close(own)


def _delete_netns(name):
    subprocess.run(["ip", "netns", "del", name], capture_output=True,
                   timeout=30)
    _live_namespaces.discard(name)


def reap_stale_namespaces():
    """Delete rsd<pid>x* / rsp<pid>x* namespaces left by dead test runs."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True,
                         text=True, timeout=30).stdout
    for line in out.splitlines()[:10000]:
        m = re.match(r"(rs[dp](\d+)x\d+)\b", line)
        if m and not os.path.exists(f"/proc/{m.group(2)}"):
            _delete_netns(m.group(1))


# --------------------------------------------------------------------------
# The daemon


def write_policy_file(path, policy):
    """Write a policy given as a dict (JSON-encoded) or as raw str/bytes."""
    if isinstance(policy, (dict, list)):
        data = json.dumps(policy, indent=2).encode()
    elif isinstance(policy, str):
        data = policy.encode()
    else:
        data = bytes(policy)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


SANITIZER_REPORT = re.compile(r"ERROR: (Address|Leak)Sanitizer|"
                              r"runtime error: ")


class Daemon:
    """rawsockd running in the foreground inside a namespace.

    ``ip netns exec`` execs the daemon, so ``Popen.pid`` is the daemon's pid
    (checked against /proc/PID/exe once the socket is up).
    """

    def __init__(self, policy, netns, binary=None, extra_args=()):
        self.netns = netns
        self.binary = os.path.abspath(binary or daemon_binary())
        self.dir = tempfile.mkdtemp(prefix=f"rawsockd-{unique_tag()}-")
        os.chmod(self.dir, 0o755)  # uid 4242 must reach the socket
        self.user = daemon_user()
        if self.user is not None:
            # What --user needs: the socket's directory writable (to
            # remove the socket at exit), the policy readable (0644).
            os.chown(self.dir, *self.user)
        self.socket_path = os.path.join(self.dir, "rawsockd.sock")
        self.policy_path = os.path.join(self.dir, "policy.json")
        self.log_path = os.path.join(self.dir, "stderr.log")
        self.extra_args = list(extra_args)
        self.proc = None
        self.saved_log = ""
        write_policy_file(self.policy_path, policy)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    @property
    def pid(self):
        return self.proc.pid

    def command(self):
        return ["ip", "netns", "exec", self.netns.name, self.binary,
                "--socket", self.socket_path, "--policy", self.policy_path,
                "--log-level", "debug", *self.user_args(),
                *self.extra_args]

    def user_args(self):
        if self.user is None:
            return []
        return ["--user", "%d:%d" % self.user]

    def start(self):
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=log, preexec_fn=_set_pdeathsig)
        _live_daemons.add(self)
        try:
            self._wait_ready()
        except BaseException:
            self.close()
            raise
        return self

    def start_expecting_exit(self, timeout=READY_TIMEOUT):
        """Start the daemon when it should refuse to run: returns (exit
        code, log); fails if it is still running after timeout or left
        its socket behind."""
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=log, preexec_fn=_set_pdeathsig)
        _live_daemons.add(self)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"daemon still running after {timeout}s:\n"
                                 f"{self.log()}") from None
        assert not os.path.exists(self.socket_path), \
            "a daemon that refused to start left its socket behind"
        return rc, self.log()

    def _wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise AssertionError(
                    f"daemon exited with {rc} before its socket was ready:\n"
                    f"{self.log()}")
            if self._connectable():
                self._check_pid_is_daemon()
                return
            time.sleep(0.02)
        raise AssertionError(f"daemon socket {self.socket_path} not ready "
                             f"within {READY_TIMEOUT}s:\n{self.log()}")

    def _check_pid_is_daemon(self):
        """ip netns exec must have exec'd the daemon in place."""
        with open(f"/proc/{self.pid}/cmdline", "rb") as f:
            argv = f.read().decode(errors="replace").split("\0")
        exe = os.readlink(f"/proc/{self.pid}/exe")
        assert self.binary in argv and os.path.basename(exe) != "ip", \
            f"pid {self.pid} ({exe} {argv}) is not the daemon"

    def _connectable(self):
        if not os.path.exists(self.socket_path):
            return False
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(1.0)
        try:
            s.connect(self.socket_path)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def pooled_sockets(self):
        """The daemon's socket pool (daemon/sockpool.c): its packet
        sockets of protocol 0, unbound and not running, as the kernel
        lists them for the daemon's namespace (/proc/PID/net/packet:
        sk RefCnt Type Proto Iface R Rmem User Inode).  Returns the
        inodes, having checked that no more are held than the pool's
        bound.  A client's handle opened with protocol 0 and no
        interface looks the same and is counted here too: the bound
        still catches more than a few of them leaking."""
        idle = set()
        with open(f"/proc/{self.pid}/net/packet") as f:
            next(f)
            for line in f:
                col = line.split()
                if int(col[3], 16) == 0 and col[4] == "0" and col[5] == "0":
                    idle.add(col[8])
        held = set()
        for fd in os.listdir(f"/proc/{self.pid}/fd"):
            try:
                target = os.readlink(f"/proc/{self.pid}/fd/{fd}")
            except FileNotFoundError:
                continue
            m = re.fullmatch(r"socket:\[(\d+)\]", target)
            if m and m.group(1) in idle:
                held.add(m.group(1))
        assert len(held) <= SOCKET_POOL_MAX, \
            f"the daemon holds {len(held)} idle packet sockets"
        return held

    def fd_count(self):
        """The daemon's open fds, but for its socket pool's, which come
        and go as opens take them (at most SOCKET_POOL_MAX)."""
        return len(os.listdir(f"/proc/{self.pid}/fd")) - \
            len(self.pooled_sockets())

    def settled_fd_count(self, timeout=3.0, samples=3, interval=0.1):
        """The fd count once it reads the same samples times in a row
        (closing connections settles asynchronously); fails on timeout."""
        deadline = time.monotonic() + timeout
        last, same = self.fd_count(), 1
        while same < samples:
            assert time.monotonic() < deadline, \
                f"daemon fd count did not settle within {timeout}s"
            time.sleep(interval)
            count = self.fd_count()
            same = same + 1 if count == last else 1
            last = count
        return last

    def wait_fd_count(self, expected, timeout=3.0):
        """Poll until the fd count equals expected; return the last count."""
        deadline = time.monotonic() + timeout
        count = self.fd_count()
        while count != expected and time.monotonic() < deadline:
            time.sleep(0.05)
            count = self.fd_count()
        return count

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return self.saved_log

    def wait_log(self, pattern, since=0, timeout=5.0):
        """Wait until the log after offset since matches the regex."""
        rx = re.compile(pattern, re.IGNORECASE)
        deadline = time.monotonic() + timeout
        while True:
            text = self.log()[since:]
            if rx.search(text):
                return text
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)

    def reload(self, policy):
        """Rewrite the policy file and send SIGHUP; returns the log offset."""
        offset = len(self.log())
        write_policy_file(self.policy_path, policy)
        os.kill(self.pid, signal.SIGHUP)
        return offset

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM; assert the daemon exits 0 within timeout."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"daemon did not exit within {timeout}s "
                                 f"of SIGTERM:\n{self.log()}") from None
        assert rc == 0, f"daemon exited with {rc} on SIGTERM:\n{self.log()}"
        return rc

    def close(self):
        """Stop (SIGTERM, then SIGKILL) if running; remove the temp dir.
        A daemon this stops must exit 0, and no daemon may have said a
        sanitizer report (ASan, LSan at exit, UBSan): those fail the test
        that ran it, even where it asserted nothing about the exit."""
        bad = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
                rc = f"no exit within {STOP_TIMEOUT}s of SIGTERM"
            if rc != 0:
                bad = f"daemon stopped with {rc}"
        if os.path.isdir(self.dir):
            self.saved_log = self.log()
            shutil.rmtree(self.dir, ignore_errors=True)
        _live_daemons.discard(self)
        log = getattr(self, "saved_log", "")
        if SANITIZER_REPORT.search(log):
            bad = "a sanitizer report"
        assert bad is None, f"{bad}:\n{log[-4000:]}"


def check_policy(policy, binary=None):
    """Run `rawsockd --check-policy FILE` on policy; CompletedProcess."""
    d = tempfile.mkdtemp(prefix=f"rawsockd-check-{unique_tag()}-")
    try:
        path = os.path.join(d, "policy.json")
        write_policy_file(path, policy)
        return run([binary or daemon_binary(), "--check-policy", path],
                   check=False, timeout=10)
    finally:
        shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------
# The protocol client


def _strict_object(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError(f"duplicate keys in daemon output: {keys}")
    return dict(pairs)


def decode_datagram(data):
    """Strictly decode one daemon datagram: UTF-8, one object, no dups."""
    text = data.decode("utf-8")
    obj = json.loads(text, object_pairs_hook=_strict_object)
    if not isinstance(obj, dict):
        raise AssertionError(f"daemon sent a non-object: {text[:200]!r}")
    return obj


def check_envelope(resp):
    """Assert resp has the shape of PROTOCOL.md section 2."""
    assert "id" in resp, f"response without id: {resp}"
    assert isinstance(resp.get("ok"), bool), f"ok not a bool: {resp}"
    if resp["ok"]:
        assert "error" not in resp, f"ok response with error: {resp}"
        return
    err = resp.get("error")
    assert isinstance(err, dict), f"error not an object: {resp}"
    assert isinstance(err.get("code"), str) and err["code"], \
        f"error.code not a string: {resp}"
    assert isinstance(err.get("message"), str), \
        f"error.message not a string: {resp}"
    if "errno" in err:
        assert isinstance(err["errno"], int) and \
            err["code"].startswith("E"), f"errno on a non-kernel error: {resp}"


class Client:
    """A client on the daemon's SOCK_SEQPACKET socket.

    ``call`` fails the test if fds arrive (use ``call_fds``), if another id
    answers first (requests are answered in order), or if nothing arrives
    within the timeout. Events met on the way are kept in ``events``.
    """

    def __init__(self, path, timeout=CALL_TIMEOUT, sndbuf=None, sock=None):
        """Connect to path, or adopt sock, an already connected socket
        (see connect_as)."""
        if sock is not None:
            self.sock = sock
        else:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        if sndbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        self.sock.settimeout(timeout)
        self.timeout = timeout
        if sock is not None:
            self._ids = itertools.count(1)
            self.events = []
            return
        try:
            self.sock.connect(path)
        except BaseException:
            self.sock.close()
            raise
        self._ids = itertools.count(1)
        self.events = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def fileno(self):
        return self.sock.fileno()

    def send_raw(self, data, fds=()):
        """Send one datagram as is, optionally with fds (SCM_RIGHTS)."""
        if fds:
            return socket.send_fds(self.sock, [data], list(fds))
        return self.sock.send(data)

    def send_json(self, obj, fds=()):
        return self.send_raw(json.dumps(obj).encode(), fds)

    def recv_datagram(self):
        """(bytes, fds) of the next datagram; fails on timeout/EOF/trunc."""
        try:
            data, fds, flags, _ = socket.recv_fds(
                self.sock, RECV_BUF, MAX_FDS, socket.MSG_CMSG_CLOEXEC)
        except socket.timeout:
            raise AssertionError(f"no datagram from the daemon within "
                                 f"{self.timeout}s") from None
        except ConnectionResetError:
            raise AssertionError("the daemon reset the connection") from None
        if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
            for fd in fds:
                os.close(fd)
            raise AssertionError(f"datagram truncated (msg_flags {flags:#x})")
        if not data and not fds:
            raise AssertionError("the daemon closed the connection")
        return data, fds

    def recv_json_fds(self):
        data, fds = self.recv_datagram()
        try:
            return decode_datagram(data), fds
        except (ValueError, UnicodeDecodeError) as e:
            for fd in fds:
                os.close(fd)
            raise AssertionError(f"undecodable datagram {data[:200]!r}: {e}")

    def recv_json(self):
        """The next object (event or response); fails if fds came with it."""
        obj, fds = self.recv_json_fds()
        _refuse_fds(fds, obj)
        return obj

    def recv_response_fds(self, rid):
        """The response for id rid (skipping events) and its fds."""
        deadline = time.monotonic() + self.timeout
        for _ in range(10000):
            obj, fds = self.recv_json_fds()
            if "event" in obj and "id" not in obj:
                _refuse_fds(fds, obj)
                self.events.append(obj)
            else:
                check_envelope(obj)
                if obj["id"] != rid or type(obj["id"]) is not type(rid):
                    for fd in fds:
                        os.close(fd)
                    raise AssertionError(
                        f"expected the response to id {rid!r}, got {obj}")
                return obj, fds
            if time.monotonic() > deadline:
                break
        raise AssertionError(f"only events, no response to id {rid!r}")

    def recv_response(self, rid):
        obj, fds = self.recv_response_fds(rid)
        _refuse_fds(fds, obj)
        return obj

    def call_fds(self, op, **params):
        """Send {"id", "op", ...params}; return (response, fds).

        params may include "id" to choose the request id.
        """
        rid = params.pop("id", None)
        if rid is None:
            rid = next(self._ids)
        self.send_json({"id": rid, "op": op, **params})
        return self.recv_response_fds(rid)

    def call(self, op, **params):
        obj, fds = self.call_fds(op, **params)
        _refuse_fds(fds, obj)
        return obj


def _connect_child(path, carrier):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(CALL_TIMEOUT)
    try:
        s.connect(path)
        socket.send_fds(carrier, [b"c"], [s.fileno()])
    finally:
        s.close()
    return os.getuid()


def connect_as(path, uid=TEST_UID, gid=TEST_GID, groups=(),
               timeout=CALL_TIMEOUT):
    """A Client on a connection made by a child running as uid/gid/groups.

    The daemon reads the peer's credentials when the connection is made
    (SO_PEERCRED, SO_PEERGROUPS), so it serves this connection as that uid
    while the test drives it in-process; the child only connects and hands
    the socket over. A hello confirms the daemon sees uid.
    """
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        as_user(uid, gid, _connect_child, path, theirs, groups=groups,
                timeout=timeout + 5)
        mine.settimeout(timeout)
        _, fds, _, _ = socket.recv_fds(mine, 16, 1, socket.MSG_CMSG_CLOEXEC)
    finally:
        mine.close()
        theirs.close()
    assert len(fds) == 1, f"expected one connected socket, got {fds}"
    client = Client(None, timeout=timeout, sock=socket.socket(fileno=fds[0]))
    resp = client.call("hello")
    peer = resp.get("peer") or {}
    if not resp.get("ok") or peer.get("uid") != uid:
        client.close()
        raise AssertionError(f"connection made as uid {uid} is not served "
                             f"as it: {resp}")
    return client


def _refuse_fds(fds, obj):
    if fds:
        for fd in fds:
            os.close(fd)
        raise AssertionError(f"unexpected fds {fds} with {obj}")


def assert_ok(resp):
    check_envelope(resp)
    assert resp["ok"] is True, f"expected success, got {resp}"
    return resp


def assert_error(resp, code, rid=None, any_id=False, names=None):
    """Assert resp is an error with code, id rid (unless any_id), and a
    message mentioning names (a string or a list of strings)."""
    check_envelope(resp)
    assert resp["ok"] is False, f"expected {code}, got success: {resp}"
    assert resp["error"]["code"] == code, f"expected {code}, got {resp}"
    if not any_id:
        assert resp["id"] == rid and type(resp["id"]) is type(rid), \
            f"expected id {rid!r}, got {resp}"
    for name in ([names] if isinstance(names, str) else names or []):
        assert name in resp["error"]["message"], \
            f"error message does not name {name!r}: {resp}"
    return resp


# --------------------------------------------------------------------------
# Running as a real unprivileged uid


def _read_all(fd, deadline):
    chunks = []
    for _ in range(1 << 20):
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
    return None


class UserProcess:
    """A forked child running fn as another uid; see spawn_as_user."""

    def __init__(self, pid, rfd, uid, name):
        self.pid = pid
        self.rfd = rfd
        self.uid = uid
        self.name = name

    def result(self, timeout=60.0):
        """fn's return value; AssertionError with the child's traceback."""
        try:
            payload = _read_all(self.rfd, time.monotonic() + timeout)
        finally:
            os.close(self.rfd)
        if payload is None:
            os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        if payload is None:
            raise AssertionError(f"{self.name} as uid {self.uid} did not "
                                 f"finish within {timeout}s")
        if not payload:
            raise AssertionError(f"{self.name} as uid {self.uid} died "
                                 f"(wait status {status:#x})")
        kind, value = pickle.loads(payload)
        if kind != "ok":
            raise AssertionError(f"{self.name} as uid {self.uid} failed:\n"
                                 f"{value}")
        return value


def spawn_as_user(uid, gid, fn, *args, groups=(), **kwargs):
    """Fork; the child drops to uid/gid/groups and runs fn(*args, **kwargs).

    Returns a UserProcess; its result() returns fn's value (pickled over a
    pipe) or raises AssertionError carrying the child's traceback.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        _child_main(rfd, wfd, uid, gid, groups, fn, args, kwargs)
    os.close(wfd)
    return UserProcess(pid, rfd, uid, getattr(fn, "__name__", "child"))


def _child_main(rfd, wfd, uid, gid, groups, fn, args, kwargs):
    try:
        os.close(rfd)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _set_pdeathsig(signal.SIGKILL)
        os.setgroups(list(groups))
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        payload = pickle.dumps(("ok", fn(*args, **kwargs)))
    except BaseException:
        payload = pickle.dumps(("error", traceback.format_exc()))
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(wfd, view):]
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)


def as_user(uid, gid, fn, *args, groups=(), timeout=60.0, **kwargs):
    """Run fn(*args, **kwargs) as uid/gid (and groups) in a child; return
    its result or raise AssertionError with the child's traceback."""
    return spawn_as_user(uid, gid, fn, *args, groups=groups,
                         **kwargs).result(timeout)


def run_as_user(cmd, uid=TEST_UID, gid=TEST_GID, timeout=30, **kwargs):
    """Run a command as uid/gid with no supplementary groups (setpriv)."""
    return subprocess.run(
        ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
         "--", *cmd], capture_output=True, text=True, timeout=timeout,
        **kwargs)


class Gate:
    """A one-shot barrier: children wait() until the parent open()s it.

    Create before forking; the children see EOF once every write end is
    closed, so wait() closes the child's inherited write end first.
    """

    def __init__(self):
        self.r, self.w = os.pipe()

    def open(self):
        if self.w is not None:
            os.close(self.w)
            self.w = None

    def wait(self, timeout=30.0):
        self.open()
        ready, _, _ = select.select([self.r], [], [], timeout)
        assert ready, f"gate not opened within {timeout}s"

    def close(self):
        self.open()
        os.close(self.r)


class Tally:
    """Children add() one mark each; the parent waits for n marks."""

    def __init__(self):
        self.r, self.w = os.pipe()

    def add(self):
        os.write(self.w, b".")

    def wait_for(self, n, timeout=30.0):
        got = 0
        deadline = time.monotonic() + timeout
        while got < n:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.r], [], [], max(left, 0))
            if not ready:
                break
            chunk = os.read(self.r, n - got)
            if not chunk:
                break
            got += len(chunk)
        assert got == n, f"only {got} of {n} marks within {timeout}s"

    def close(self):
        os.close(self.r)
        os.close(self.w)


def wait_until(predicate, timeout=5.0, interval=0.1):
    """Poll predicate until true (returns its value) or the timeout."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


def fd_is_at_eof(fd, timeout=2.0):
    """True once a read on fd returns EOF within timeout."""
    ready, _, _ = select.select([fd], [], [], timeout)
    return bool(ready) and os.read(fd, 1) == b""


def inet_checksum(data):
    """The RFC 1071 Internet checksum of data."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def wait_frame(sock, predicate, timeout=3.0, limit=5000):
    """The first datagram on sock that satisfies predicate, else None."""
    deadline = time.monotonic() + timeout
    for _ in range(limit):
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            return None
        data = sock.recv(65536)
        if predicate(data):
            return data
    return None


# --------------------------------------------------------------------------
# Reading "allowed" (PROTOCOL.md 5: the effective policy for this peer)

_PREFIXES = ("af_", "sock_", "eth_p_", "ipproto_")
_BY_VALUE = {
    "domains": {socket.AF_PACKET: "packet", socket.AF_INET: "inet",
                socket.AF_INET6: "inet6"},
    "types": {socket.SOCK_RAW: "raw", socket.SOCK_DGRAM: "dgram",
              socket.SOCK_STREAM: "stream"},
}


def _norm(key, value):
    if isinstance(value, list):
        return sorted((_norm(key, v) for v in value), key=repr)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return value
    if isinstance(value, int):
        return _BY_VALUE.get(key, {}).get(value, value)
    low = value.lower()
    for prefix in _PREFIXES:
        if low.startswith(prefix):
            return low[len(prefix):]
    return low


def _dicts(value, depth=0):
    if depth > 8:
        return
    if isinstance(value, dict):
        yield value
        children = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return
    for child in children:
        yield from _dicts(child, depth + 1)


def allow_matches(allowed, expected):
    """True if some object in allowed carries every key of the rule's
    allow with an equivalent value (names compared without case or
    AF_/SOCK_/ETH_P_/IPPROTO_ prefix; numbers mapped for domains/types)."""
    for d in _dicts(allowed):
        if all(k in d and _norm(k, d[k]) == _norm(k, v)
               for k, v in expected.items()):
            return True
    return False


def grants_nothing(allowed):
    """True for the forms "nothing granted" may take: null, empty, false,
    {"denied": ...}, {"allow": <nothing>}, or no domains/types/protocols."""
    if not allowed:
        return True
    if not isinstance(allowed, dict):
        return False
    if allowed.get("denied") not in (None, False):
        return True
    if "allow" in allowed:
        return grants_nothing(allowed["allow"])
    return all(not allowed.get(k) for k in ("domains", "types", "protocols"))


# --------------------------------------------------------------------------
# unittest glue


class DaemonTestCase(unittest.TestCase):
    """Base class: start_daemon() with automatic teardown, and the daemon
    log printed to stderr when the test fails or errors."""

    def setUp(self):
        self._daemons = []

    def _new_daemon(self, policy, extra_args):
        ns = NetNS()
        ns.create()
        self.addCleanup(ns.destroy)
        daemon = Daemon(policy, ns, extra_args=extra_args)
        self._daemons.append(daemon)
        self.addCleanup(daemon.close)
        return daemon

    def start_daemon(self, policy, extra_args=()):
        return self._new_daemon(policy, extra_args).start()

    def start_daemon_expecting_exit(self, policy, extra_args=()):
        """Run a daemon that must refuse to start; (exit code, log)."""
        return self._new_daemon(policy, extra_args).start_expecting_exit()

    def run(self, result=None):
        if result is None:
            result = self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        out = super().run(result)
        if len(result.failures) + len(result.errors) > before:
            for d in getattr(self, "_daemons", []):
                sys.stderr.write(f"\n---- daemon log ({self.id()}, "
                                 f"{d.binary}) ----\n{d.log()}"
                                 f"---- end of daemon log ----\n")
        return out


def _cleanup_all():
    for d in list(_live_daemons):
        d.close()
    for name in list(_live_namespaces):
        _delete_netns(name)


class _Terminated(KeyboardInterrupt):
    """Raised on SIGTERM: unittest lets KeyboardInterrupt end the run."""


def _on_sigterm(signum, frame):
    raise _Terminated()


def run_tests():
    """Entry point for test_*.py: skip (77) unless root, then unittest."""
    if os.geteuid() != 0:
        print("SKIP: the integration tests need root (namespaces, setuid)")
        sys.exit(77)
    binary = daemon_binary()
    if not os.access(binary, os.X_OK):
        print(f"ERROR: daemon {binary} not found; set RAWSOCKD")
        sys.exit(1)
    atexit.register(_cleanup_all)
    signal.signal(signal.SIGTERM, _on_sigterm)
    reap_stale_namespaces()
    try:
        result = unittest.main(module="__main__", exit=False).result
        # Cases that skipped inside a file that passed: tools/test counts
        # them from this line (meson sees only the file's exit status).
        for case, why in result.skipped:
            print(f"SKIPPED-CASE {case.id()}: {why}")
        sys.exit(0 if result.wasSuccessful() else 1)
    except _Terminated:
        print("terminated (SIGTERM): cleaning up", file=sys.stderr)
        sys.exit(128 + signal.SIGTERM)
    finally:
        _cleanup_all()
