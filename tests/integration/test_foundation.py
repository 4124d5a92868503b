"""Foundation tests: the control connection of the real rawsockd.

This file owns the checks of the first stage of the protocol (PROTOCOL.md
sections 1, 2, 5 "Connection and introspection" and 8): peer credentials
and `allowed` in `hello`, `ping` id echo, `constants`, the handling of
malformed input, descriptor hygiene, many and misbehaving clients, policy
reload on SIGHUP, `--check-policy`, and a clean SIGTERM.

Each test starts its own daemon in fresh network namespaces; clients run as
the real unprivileged uid 4242 unless a test says otherwise.
Run: RAWSOCKD=build/daemon/rawsockd /usr/bin/python3 test_foundation.py -v
"""

import contextlib
import grp
import os
import pwd
import re
import select
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    EXTRA_GID, OTHER_UID, OVERFLOW_ID, TEST_GID, TEST_UID, Client,
    DaemonTestCase, Gate, Tally, allow_matches, as_user, assert_error,
    assert_ok, check_policy, daemon_binary, fd_is_at_eof, grants_nothing,
    raise_nofile, run, run_tests, spawn_as_user, wait_until)

ALLOW_A = {"domains": ["packet"], "types": ["raw"], "protocols": ["all"],
           "interfaces": ["veth*"], "pass": False, "max_sockets": 4}
ALLOW_B = {"domains": ["packet", "inet"], "types": ["raw", "dgram"],
           "protocols": ["all", "icmp"], "interfaces": ["veth0"],
           "pass": False, "max_sockets": 7}

MAX_FAILURES = 10
MAX_REQUEST = 128 * 1024
OVERSIZED = 200 * 1024


def policy_for(match, allow):
    return {"rules": [{"match": match, "allow": allow}]}


def eth_p_all():
    """ETH_P_ALL from Python (3.12+) or linux/if_ether.h, not the daemon."""
    value = getattr(socket, "ETH_P_ALL", None)
    if value is not None:
        return value
    try:
        with open("/usr/include/linux/if_ether.h") as f:
            m = re.search(r"#define\s+ETH_P_ALL\s+(0x[0-9a-fA-F]+|\d+)",
                          f.read())
            if m:
                return int(m.group(1), 0)
    except OSError:
        pass
    return 0x0003  # linux/if_ether.h: "Every packet (be careful!!!)"


# --------------------------------------------------------------------------
# Client-side functions (run in a child as the test uid)


def hello_child(path, **params):
    """One hello; returns the client's real ids and the response."""
    with Client(path) as c:
        resp = c.call("hello", **params)
    return {"pid": os.getpid(), "uid": os.getuid(), "gid": os.getgid(),
            "resp": resp}


def call_child(path, calls):
    """Run [(op, params), ...] on one connection; return the responses."""
    with Client(path) as c:
        return [c.call(op, **params) for op, params in calls]


def hello_as(daemon, uid, gid, groups=()):
    return as_user(uid, gid, hello_child, daemon.socket_path, groups=groups)


# --------------------------------------------------------------------------
# Malformed input: (name, datagram, check(resp)); each check raises
# AssertionError. Where an id cannot or need not be echoed, ids lists what
# is acceptable.


def expect_bad(rid=None, ids=None, names=None, code="bad_request"):
    def check(resp):
        if ids is not None:
            assert resp.get("id") in ids, f"id not in {ids}: {resp}"
        assert_error(resp, code, rid, any_id=ids is not None, names=names)
    return check


def deep_request(depth):
    """A ping whose total nesting depth (the request object counting 1)
    is depth; the nesting sits in an extra field."""
    inner = depth - 1
    return (b'{"id":12,"op":"ping","x":' + b"[" * inner + b"]" * inner +
            b"}")


_LONG_ID_PREFIX, _LONG_ID_SUFFIX = b'{"op":"ping","id":"', b'"}'


def long_id(size):
    """The string id that makes long_id_request(size) size bytes long."""
    return "i" * (size - len(_LONG_ID_PREFIX) - len(_LONG_ID_SUFFIX))


def long_id_request(size):
    """A ping of exactly size bytes whose (valid) string id fills it."""
    return _LONG_ID_PREFIX + long_id(size).encode() + _LONG_ID_SUFFIX


def padded_request(rid, size):
    """A ping of exactly size bytes carrying an extra field "pad"."""
    prefix, suffix = b'{"id":%d,"op":"ping","pad":"' % rid, b'"}'
    return prefix + b"p" * (size - len(prefix) - len(suffix)) + suffix


def check_long_id(resp):
    assert_ok(resp)
    assert resp["id"] == long_id(MAX_REQUEST), \
        f"long id not echoed intact (got {len(str(resp['id']))} chars)"


def check_padded_max(resp):
    """128 KiB must be accepted: answered for its id, and if refused then
    for the unknown field "pad", not for its size."""
    assert resp.get("id") == 20, f"128 KiB request not answered for id 20: " \
        f"{str(resp)[:300]}"
    if not resp["ok"]:
        assert_error(resp, "bad_request", 20, names="pad")


def check_oversized(resp):
    assert resp.get("id") in (None, long_id(OVERSIZED)), \
        f"unexpected id in the answer to a 200 KiB datagram: " \
        f"{str(resp)[:300]}"
    assert_error(resp, "bad_request", any_id=True)


BAD_INPUTS = [
    ("not_json", b"{nope", expect_bad(None)),
    ("json_array", b"[1,2]", expect_bad(None)),
    ("json_string", b'"x"', expect_bad(None)),
    ("json_number", b"42", expect_bad(None)),
    ("json_null", b"null", expect_bad(None)),
    ("missing_op", b'{"id":7}', expect_bad(7, names="op")),
    ("op_not_string", b'{"id":8,"op":5}', expect_bad(8, names="op")),
    ("unknown_op", b'{"id":9,"op":"frobnicate"}',
     expect_bad(9, code="unknown_op")),
    ("unknown_op_string_id", b'{"id":"u","op":"frobnicate"}',
     expect_bad("u", code="unknown_op")),
    ("wrong_param_type", b'{"id":10,"op":"constants","group":5}',
     expect_bad(10, names="group")),
    ("unknown_param", b'{"id":11,"op":"ping","bogus":1}',
     expect_bad(11, names="bogus")),
    ("id_float", b'{"id":1.5,"op":"ping"}', expect_bad(ids=(None, 1.5))),
    ("id_bool", b'{"id":true,"op":"ping"}', expect_bad(ids=(None, True))),
    ("id_array", b'{"id":[1],"op":"ping"}', expect_bad(ids=(None, [1]))),
    ("duplicate_op", b'{"id":11,"op":"ping","op":"ping"}',
     expect_bad(ids=(None, 11))),
    ("duplicate_id", b'{"id":11,"id":11,"op":"ping"}',
     expect_bad(ids=(None, 11))),
    ("duplicate_param", b'{"id":11,"op":"constants","group":"AF",'
     b'"group":"AF"}', expect_bad(ids=(None, 11))),
    ("too_deep_33", deep_request(33), expect_bad(ids=(None, 12))),
    ("too_deep_20000", deep_request(20000), expect_bad(ids=(None, 12))),
    ("utf8_invalid_byte", b'{"id":"a\xffb","op":"ping"}', expect_bad(None)),
    ("utf8_overlong", b'{"id":13,"op":"constants","group":"\xc1\x81F"}',
     expect_bad(ids=(None, 13))),
    ("utf8_surrogate", b'{"id":"\xed\xa0\x80","op":"ping"}',
     expect_bad(None)),
    ("utf8_truncated", b'{"id":"\xe2\x82","op":"ping"}', expect_bad(None)),
    ("nul_escape_in_id", b'{"id":"a\\u0000b","op":"ping"}',
     expect_bad(ids=(None, "a\x00b"))),
    ("nul_escape_in_op", b'{"id":14,"op":"ping\\u0000x"}',
     expect_bad(ids=(None, 14))),
    ("nul_escape_in_group", b'{"id":15,"op":"constants","group":"AF\\u0000"}',
     expect_bad(ids=(None, 15))),
    ("raw_nul_after_object", b'{"id":16,"op":"ping"}\x00',
     expect_bad(ids=(None, 16))),
    ("two_objects", b'{"id":17,"op":"ping"}{"id":18,"op":"ping"}',
     expect_bad(ids=(None, 17, 18))),
    ("trailing_garbage", b'{"id":19,"op":"ping"} x',
     expect_bad(ids=(None, 19))),
    ("max_size_long_id", long_id_request(MAX_REQUEST), check_long_id),
    ("max_size_padded", padded_request(20, MAX_REQUEST), check_padded_max),
    ("oversized_200k", long_id_request(OVERSIZED), check_oversized),
]


def _short(value):
    text = repr(value)
    return text if len(text) < 300 else text[:300] + "..."


@contextlib.contextmanager
def labelled(what):
    """Prefix an AssertionError raised in the block with what was done."""
    try:
        yield
    except AssertionError as e:
        raise AssertionError(f"{what}: {e}") from None


def send_fd_case(c):
    """Send a ping carrying a pipe's write end; returns (response, eof):
    eof is True once our copy is closed and the read end sees EOF, which
    proves the daemon kept no copy."""
    r, w = os.pipe()
    try:
        c.send_raw(b'{"id":30,"op":"ping"}', fds=[w])
        resp = c.recv_json()
        os.close(w)
        w = None
        return resp, fd_is_at_eof(r, timeout=2.0)
    finally:
        os.close(r)
        if w is not None:
            os.close(w)


def check_fd_case(resp, eof):
    assert_error(resp, "bad_request", 30)
    assert eof, "the pipe's read end saw no EOF: the daemon kept the fd"


def bad_input_child(path, rounds=1, cycles=0):
    """Run every malformed input on one connection (per round), each
    followed by a ping that must succeed; then connect/disconnect cycles.
    Stops early after MAX_FAILURES failed checks. Returns (number of
    checks, failures)."""
    failures = []
    checks = 0
    with Client(path, sndbuf=1 << 20) as c:
        for rnd in range(rounds):
            if len(failures) >= MAX_FAILURES:
                return checks, failures
            for name, data, check in BAD_INPUTS:
                with labelled(name):
                    c.send_raw(data)
                    resp = c.recv_json()
                checks += 1
                try:
                    check(resp)
                except AssertionError as e:
                    failures.append(f"{name}: {_short(e)}")
                with labelled(f"ping after {name}"):
                    assert_ok(c.call("ping", id=f"after-{name}-{rnd}"))
            # PROTOCOL.md 1: an empty datagram is ignored, so the ping's
            # answer must be the very next datagram (call() insists).
            with labelled("empty datagram, then ping"):
                c.send_raw(b"")
                assert_ok(c.call("ping", id=f"after-empty-{rnd}"))
            with labelled("fd_passed"):
                resp, eof = send_fd_case(c)
            checks += 1
            try:
                check_fd_case(resp, eof)
            except AssertionError as e:
                failures.append(f"fd_passed: {_short(e)}")
            with labelled("ping after fd_passed"):
                assert_ok(c.call("ping", id=f"after-fd-{rnd}"))
    for i in range(cycles):
        with Client(path) as c:
            if i % 2:
                assert_ok(c.call("ping"))
    return checks, failures


# --------------------------------------------------------------------------
# Many and misbehaving clients


def hold_clients_child(path, n, ready, gate):
    """Connect n clients, mark ready, wait for the gate, then send hello on
    all and read every answer. Returns (own pid, [peer.pid, ...])."""
    clients = [Client(path, timeout=15.0) for _ in range(n)]
    try:
        ready.add()
        gate.wait(timeout=30.0)
        for i, c in enumerate(clients):
            c.send_json({"id": i, "op": "hello"})
        pids = [assert_ok(c.recv_response(i))["peer"]["pid"]
                for i, c in enumerate(clients)]
        return os.getpid(), pids
    finally:
        for c in clients:
            c.close()


def misbehaving_clients_child(path):
    """Clients that vanish mid-request and one that never reads; returns
    what the well-behaved victim saw."""
    for i in range(20):
        c = Client(path)
        op = ("hello", "constants", "ping", "stats")[i % 4]
        c.send_json({"id": i, "op": op})
        c.close()
    with Client(path) as stuck, Client(path) as victim:
        sent = flood_without_reading(stuck, 2000, time_limit=10.0)
        t0 = time.monotonic()
        with labelled(f"victim ping after {sent} unread pings"):
            assert_ok(victim.call("ping"))
        while_stuck = time.monotonic() - t0
        stuck.close()
        t0 = time.monotonic()
        with labelled("victim ping after the stuck client closed"):
            assert_ok(victim.call("ping"))
        after = time.monotonic() - t0
    return {"sent": sent, "while_stuck": while_stuck, "after": after}


def flood_without_reading(client, count, time_limit):
    """Send up to count pings without reading; stop when the socket stays
    unwritable for 0.5 s or time_limit passes. Returns how many were sent."""
    client.sock.setblocking(False)
    deadline = time.monotonic() + time_limit
    sent = 0
    while sent < count and time.monotonic() < deadline:
        try:
            client.sock.send(b'{"id":%d,"op":"ping"}' % sent)
            sent += 1
        except BlockingIOError:
            _, writable, _ = select.select([], [client.sock], [], 0.5)
            if not writable:
                break
    return sent


# --------------------------------------------------------------------------
# The tests


class HelloTest(DaemonTestCase):
    """1. hello: peer credentials, version, allowed."""

    def setUp(self):
        super().setUp()
        self.d = self.start_daemon(policy_for({"uid": TEST_UID}, ALLOW_A))

    def check_peer(self, got, uid, gid):
        peer = got["resp"]["peer"]
        self.assertEqual(peer["uid"], uid)
        self.assertEqual(peer["gid"], gid)
        self.assertEqual(peer["pid"], got["pid"])
        self.assertIsInstance(peer["groups"], list)

    def check_common(self, resp):
        assert_ok(resp)
        self.assertEqual(resp["version"], 1)
        self.assertIsInstance(resp["daemon"], str)
        self.assertTrue(resp["daemon"])

    def test_hello_as_root(self):
        got = hello_child(self.d.socket_path)
        self.check_common(got["resp"])
        self.check_peer(got, 0, 0)
        allowed = got["resp"]["allowed"]
        self.assertFalse(grants_nothing(allowed),
                         f"root must be allowed, got {allowed}")

    def test_hello_with_version_1(self):
        got = hello_child(self.d.socket_path, version=1)
        self.check_common(got["resp"])

    def test_hello_as_user(self):
        got = hello_as(self.d, TEST_UID, TEST_GID)
        self.check_common(got["resp"])
        self.check_peer(got, TEST_UID, TEST_GID)
        self.assertNotIn(EXTRA_GID, got["resp"]["peer"]["groups"])
        allowed = got["resp"]["allowed"]
        self.assertTrue(allow_matches(allowed, ALLOW_A),
                        f"the rule's allow {ALLOW_A} not in {allowed}")

    def test_hello_with_supplementary_group(self):
        got = hello_as(self.d, TEST_UID, TEST_GID, groups=[EXTRA_GID])
        self.check_common(got["resp"])
        self.check_peer(got, TEST_UID, TEST_GID)
        self.assertIn(EXTRA_GID, got["resp"]["peer"]["groups"])

    def test_hello_unmatched_uid_gets_nothing(self):
        got = hello_as(self.d, OTHER_UID, OTHER_UID)
        self.check_common(got["resp"])
        self.check_peer(got, OTHER_UID, OTHER_UID)
        allowed = got["resp"]["allowed"]
        self.assertFalse(allow_matches(allowed, ALLOW_A),
                         f"uid {OTHER_UID} got the uid-{TEST_UID} rule")
        self.assertTrue(grants_nothing(allowed),
                        f"uid {OTHER_UID} matches no rule, got {allowed}")


def overflow_name(lookup):
    """The name of the overflow id ("nobody", "nogroup"), or None."""
    try:
        return lookup(OVERFLOW_ID)[0]
    except KeyError:
        return None


class OverflowIdTest(DaemonTestCase):
    """The overflow uid/gid 65534 never matches a rule: --check-policy
    rejects such a rule, or the daemon grants nothing to 65534."""

    def check_never_granted(self, match, uid, gid, groups=()):
        policy = policy_for(match, ALLOW_A)
        proc = check_policy(policy)
        if proc.returncode != 0:
            self.assertIn(str(OVERFLOW_ID), proc.stdout + proc.stderr,
                          "rejected, but the message does not say why")
            return
        d = self.start_daemon(policy)
        got = hello_as(d, uid, gid, groups=groups)
        self.assertEqual(got["resp"]["peer"]["uid"], uid)
        allowed = got["resp"]["allowed"]
        self.assertFalse(allow_matches(allowed, ALLOW_A),
                         f"{match} granted the overflow id: {allowed}")
        self.assertTrue(grants_nothing(allowed), f"{allowed}")

    def test_overflow_uid_never_granted(self):
        self.check_never_granted({"uid": OVERFLOW_ID}, OVERFLOW_ID,
                                 OVERFLOW_ID)

    def test_overflow_gid_never_granted(self):
        self.check_never_granted({"gid": OVERFLOW_ID}, OTHER_UID,
                                 OVERFLOW_ID)

    def test_overflow_user_by_name_never_granted(self):
        name = overflow_name(pwd.getpwuid)
        if name is None:
            self.skipTest("no user name for uid 65534")
        self.check_never_granted({"user": name}, OVERFLOW_ID, OVERFLOW_ID)

    def test_overflow_group_by_name_never_granted(self):
        name = overflow_name(grp.getgrgid)
        if name is None:
            self.skipTest("no group name for gid 65534")
        self.check_never_granted({"group": name}, OTHER_UID, OTHER_UID,
                                 groups=[OVERFLOW_ID])


class SocketModeTest(DaemonTestCase):
    """The socket has the mode it was given from its bind on (0666 by
    default), never a wider one for a moment."""

    def test_default_and_given_modes(self):
        for args, want in (((), 0o666), (("--socket-mode", "0640"), 0o640)):
            with self.subTest(args=args):
                d = self.start_daemon({"rules": []}, extra_args=args)
                self.assertEqual(os.lstat(d.socket_path).st_mode & 0o777,
                                 want)
                d.stop()


class PingTest(DaemonTestCase):
    """2. ping echoes the id, int or string, and returns nothing else."""

    IDS = [0, 1, -7, 2 ** 40, "abc", "", "\u00e9\u2713", "42"]

    def test_ping_echoes_ids(self):
        d = self.start_daemon({"rules": []})
        calls = [("ping", {"id": rid}) for rid in self.IDS]
        responses = as_user(TEST_UID, TEST_GID, call_child, d.socket_path,
                            calls)
        for rid, resp in zip(self.IDS, responses):
            with self.subTest(id=rid):
                assert_ok(resp)
                self.assertEqual(resp["id"], rid)
                self.assertIs(type(resp["id"]), type(rid))
                self.assertEqual(set(resp), {"id", "ok"})


class ConstantsTest(DaemonTestCase):
    """3. constants, checked against Python's socket module."""

    def setUp(self):
        super().setUp()
        self.d = self.start_daemon({"rules": []})

    def constants(self, **params):
        return as_user(TEST_UID, TEST_GID, call_child, self.d.socket_path,
                       [("constants", params)])[0]

    def test_all_constants(self):
        resp = assert_ok(self.constants())
        consts = resp["constants"]
        expected = {"AF_PACKET": socket.AF_PACKET, "SOCK_RAW": socket.SOCK_RAW,
                    "ETH_P_ALL": eth_p_all(), "SO_RCVBUF": socket.SO_RCVBUF,
                    "MSG_PEEK": socket.MSG_PEEK}
        for name, value in expected.items():
            with self.subTest(name=name):
                self.assertEqual(consts.get(name), value)
        self.assertEqual(expected, {"AF_PACKET": 17, "SOCK_RAW": 3,
                                    "ETH_P_ALL": 3, "SO_RCVBUF": 8,
                                    "MSG_PEEK": 2})

    def test_constants_agree_with_python(self):
        consts = assert_ok(self.constants())["constants"]
        self.assertGreater(len(consts), 50)
        both = [n for n in consts if isinstance(getattr(socket, n, None), int)]
        self.assertGreater(len(both), 20, "few names shared with Python")
        wrong = {n: (consts[n], getattr(socket, n)) for n in both
                 if consts[n] != getattr(socket, n)}
        self.assertEqual(wrong, {}, "daemon value != Python value")

    def test_group_af(self):
        consts = assert_ok(self.constants(group="AF"))["constants"]
        self.assertIn("AF_PACKET", consts)
        self.assertEqual(consts["AF_INET6"], socket.AF_INET6)
        others = [n for n in consts if not n.startswith("AF_")]
        self.assertEqual(others, [])

    def test_unknown_group(self):
        resp = self.constants(group="NO_SUCH_GROUP")
        assert_error(resp, "bad_request", 1, names="group")


class BadInputTest(DaemonTestCase):
    """4. Malformed input is answered and never breaks the connection."""

    def test_bad_inputs_keep_connection(self):
        d = self.start_daemon({"rules": []})
        checks, failures = as_user(TEST_UID, TEST_GID, bad_input_child,
                                   d.socket_path)
        if failures:
            self.fail("\n".join(failures))
        self.assertEqual(checks, len(BAD_INPUTS) + 1)
        self.assertTrue(d.alive())

    def test_fd_sent_to_daemon_is_closed(self):
        d = self.start_daemon({"rules": []})
        assert_ok(hello_child(d.socket_path)["resp"])  # warm up lazy fds
        baseline = d.settled_fd_count()
        ready, gate, done = Tally(), Gate(), Gate()
        child = spawn_as_user(TEST_UID, TEST_GID, self._fd_child,
                              d.socket_path, ready, gate, done)
        try:
            ready.wait_for(1, timeout=10)
            connected = d.settled_fd_count()
            gate.open()
            ready.wait_for(1, timeout=10)
            self.assertEqual(d.wait_fd_count(connected, timeout=1.0),
                             connected,
                             "daemon fd count changed after a passed fd")
        finally:
            gate.open()
            done.open()
            result = child.result(timeout=30)
            for obj in (ready, gate, done):
                obj.close()
        check_fd_case(*result)
        self.assertEqual(d.wait_fd_count(baseline), baseline)

    @staticmethod
    def _fd_child(path, ready, gate, done):
        with Client(path) as c:
            assert_ok(c.call("ping"))
            ready.add()
            gate.wait(10)
            result = send_fd_case(c)
            assert_ok(c.call("ping"))
            ready.add()
            done.wait(10)
        return result


class FdStabilityTest(DaemonTestCase):
    """5. No descriptor leaks after many bad inputs and connections."""

    def test_fd_count_returns_to_baseline(self):
        d = self.start_daemon({"rules": []})
        as_user(TEST_UID, TEST_GID, bad_input_child, d.socket_path,
                rounds=1, cycles=2)  # warm up anything opened lazily
        baseline = d.settled_fd_count()
        checks, failures = as_user(TEST_UID, TEST_GID, bad_input_child,
                                   d.socket_path, rounds=50, cycles=50,
                                   timeout=100)
        if failures:
            self.fail(f"{len(failures)} failed checks:\n" +
                      "\n".join(failures[:10]))
        self.assertEqual(checks, 50 * (len(BAD_INPUTS) + 1))
        self.assertEqual(d.wait_fd_count(baseline, timeout=3.0), baseline)


class ManyClientsTest(DaemonTestCase):
    """6. 200 clients connected at once, each answered with its own pid."""

    WORKERS = 8
    PER_WORKER = 25

    def test_200_clients(self):
        raise_nofile(4096)
        d = self.start_daemon({"rules": []})
        ready, gate = Tally(), Gate()
        children = [spawn_as_user(TEST_UID, TEST_GID, hold_clients_child,
                                  d.socket_path, self.PER_WORKER, ready, gate)
                    for _ in range(self.WORKERS)]
        try:
            ready.wait_for(self.WORKERS, timeout=30)
            gate.open()
        finally:
            gate.open()
            results = [c.result(timeout=60) for c in children]
            ready.close()
            gate.close()
        answered = 0
        for pid, peer_pids in results:
            self.assertEqual(peer_pids, [pid] * self.PER_WORKER)
            answered += len(peer_pids)
        self.assertEqual(answered, 200)
        self.assertEqual(len({pid for pid, _ in results}), self.WORKERS)


class MisbehavingClientsTest(DaemonTestCase):
    """7. Vanishing and never-reading clients do not hurt others."""

    def test_other_clients_unaffected(self):
        d = self.start_daemon({"rules": []})
        got = as_user(TEST_UID, TEST_GID, misbehaving_clients_child,
                      d.socket_path)
        self.assertGreater(got["sent"], 0)
        self.assertLess(got["while_stuck"], 1.0, f"{got}")
        self.assertLess(got["after"], 1.0, f"{got}")
        self.assertTrue(d.alive(), "daemon died")


class ReloadTest(DaemonTestCase):
    """8. SIGHUP: an invalid policy keeps the old one; a valid one applies."""

    def allowed_4242(self, d):
        got = hello_as(d, TEST_UID, TEST_GID)
        return got["resp"]["allowed"]

    def test_reload(self):
        d = self.start_daemon(policy_for({"uid": TEST_UID}, ALLOW_A))
        self.assertTrue(allow_matches(self.allowed_4242(d), ALLOW_A))
        with Client(d.socket_path) as root:
            self.check_rejected(d, "{\"rules\": [", r"policy")
            bad_key = policy_for({"uid": TEST_UID}, dict(ALLOW_A, domainz=[]))
            self.check_rejected(d, bad_key, r"domainz")
            bad_type = policy_for({"uid": TEST_UID},
                                  dict(ALLOW_A, max_sockets="four"))
            self.check_rejected(d, bad_type, r"max_sockets")
            d.reload(policy_for({"uid": TEST_UID}, ALLOW_B))
            allowed = wait_until(lambda: self.allowed_if(d, ALLOW_B),
                                 timeout=5.0, interval=0.2)
            self.assertTrue(allowed, "the valid policy was not applied")
            self.assertFalse(allow_matches(allowed, ALLOW_A))
            assert_ok(root.call("ping"))  # connections survive a reload
        self.assertTrue(d.alive())

    def allowed_if(self, d, allow):
        """uid 4242's allowed when it matches allow, else None."""
        allowed = self.allowed_4242(d)
        return allowed if allow_matches(allowed, allow) else None

    def check_rejected(self, d, policy, why):
        offset = d.reload(policy)
        logged = d.wait_log(why, since=offset, timeout=5.0)
        self.assertIsNotNone(logged, f"no log line matching {why!r} after "
                             f"SIGHUP with an invalid policy")
        self.assertTrue(d.alive(), "daemon died on an invalid policy")
        allowed = self.allowed_4242(d)
        self.assertTrue(allow_matches(allowed, ALLOW_A),
                        f"old policy lost after an invalid reload: {allowed}")


class CheckPolicyTest(DaemonTestCase):
    """9. --check-policy validates and prints the effective rules."""

    def test_valid(self):
        proc = check_policy(policy_for({"uid": TEST_UID}, ALLOW_A))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(str(TEST_UID), proc.stdout)
        self.assertIn("veth*", proc.stdout)

    def test_empty_rules_valid(self):
        proc = check_policy({"rules": []})
        self.assertEqual(proc.returncode, 0, proc.stderr)

    INVALID = [
        ("bad_json", "{\"rules\": [", None),
        ("not_object", "[]", None),
        ("unknown_top_key", {"rules": [], "rulez": []}, "rulez"),
        ("unknown_match_key", policy_for({"uidd": 1}, ALLOW_A), "uidd"),
        ("unknown_allow_key",
         policy_for({"uid": 1}, dict(ALLOW_A, domainz=[])), "domainz"),
        ("wrong_type_max_sockets",
         policy_for({"uid": 1}, dict(ALLOW_A, max_sockets="four")),
         "max_sockets"),
        ("wrong_type_rules", {"rules": {}}, "rules"),
        ("wrong_type_pass",
         policy_for({"uid": 1}, dict(ALLOW_A, **{"pass": "x"})), "pass"),
    ]

    def test_invalid(self):
        for name, policy, named in self.INVALID:
            with self.subTest(name):
                proc = check_policy(policy)
                self.assertNotEqual(proc.returncode, 0, proc.stdout)
                self.assertTrue(proc.stderr.strip(), "no message on stderr")
                if named:
                    self.assertIn(named, proc.stderr)

    def test_daemon_refuses_to_start_with_invalid_policy(self):
        for name, policy, named in self.INVALID[:4]:
            with self.subTest(name):
                rc, log = self.start_daemon_expecting_exit(policy)
                self.assertNotEqual(rc, 0)
                if named:
                    self.assertIn(named, log)

    def test_missing_file(self):
        proc = run([daemon_binary(), "--check-policy",
                    f"/nonexistent/rawsockd-{os.getpid()}.json"], check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertTrue(proc.stderr.strip())


class SigtermTest(DaemonTestCase):
    """10. SIGTERM: exit 0, socket removed, clients see EOF."""

    def test_sigterm(self):
        d = self.start_daemon({"rules": []})
        with Client(d.socket_path) as c:
            assert_ok(c.call("ping"))
            d.stop()
            self.assertFalse(os.path.exists(d.socket_path),
                             "socket file left behind")
            c.sock.settimeout(2.0)
            self.assertEqual(c.sock.recv(64), b"", "client did not see EOF")


if __name__ == "__main__":
    run_tests()
