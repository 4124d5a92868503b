"""Socket tests: the real rawsockd handing out raw, packet and inet sockets.

This file owns the checks of PROTOCOL.md sections 4 and 5 "Sockets", "I/O",
"Options" and "Filters", and of the policy decisions they make (section 8):
passed fds that work with plain send/recv, managed handles that move real
frames and datagrams over a veth pair, TCP/UDP/UNIX through handles, the
whole socket option table, socket filters, the policy's limits (interfaces,
pass, spoof, quota, filter, race-free set-up), fd hygiene, the closer thread
and no_such_handle. Each test mirrors a behaviour of the seed libraries'
own tests (../../../shared/SEED-TESTS.md; CLISP test.tst, Gerbil
socket-test.ss) where one exists.

Every test starts its own daemon in a fresh daemon namespace joined by a veth
pair (veth0, 198.18.0.1) to a peer namespace (veth1, 198.18.0.2). What goes
over the wire is checked independently with Python's own sockets opened
inside the peer namespace (NetNS.socket).

Clients are uid 4242 unless a test says otherwise. Where a test only talks
the protocol, the connection is made by a child running as the uid and
driven in-process (harness.connect_as: the daemon reads SO_PEERCRED when the
connection is made); where the test is about what an unprivileged process
can do with a passed fd, the whole client runs as the uid (as_user).

Run: RAWSOCKD=build/daemon/rawsockd /usr/bin/python3 test_sockets.py -v
"""

import base64
import contextlib
import errno
import fcntl
import os
import re
import select
import signal
import socket
import struct
import sys
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    DAEMON_V4, DAEMON_V6, OTHER_UID, PEER_V4, PEER_V6, TEST_GID, TEST_UID,
    Client, DaemonTestCase, Gate, Tally, as_user, assert_error, assert_ok,
    connect_as, inet_checksum, netns_socket, run_tests, spawn_as_user,
    wait_frame, wait_until)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CONFINED_UID = 4243
ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETHERTYPE_TEST = 0x88B5  # IEEE 802 local experimental ethertype 1
FOREIGN_MAC = "02:00:00:00:00:99"
IP_RECVTTL = 12  # linux/in.h; Python's socket module lacks it

MAIN_ALLOW = {
    "domains": ["packet", "inet", "inet6", "unix"],
    "types": ["raw", "dgram", "stream"],
    "protocols": ["*"], "interfaces": ["*"],
    "pass": True, "spoof": True, "privileged_ports": [80],
}
CONFINED_ALLOW = {
    "domains": ["packet"], "types": ["raw"], "protocols": ["all"],
    "interfaces": ["veth0"], "pass": False, "spoof": False,
    "max_sockets": 2,
}


def make_policy(confined_filter=None):
    confined = dict(CONFINED_ALLOW)
    if confined_filter is not None:
        confined["filter"] = confined_filter
    return {"rules": [
        {"match": {"uid": TEST_UID}, "allow": MAIN_ALLOW},
        {"match": {"uid": CONFINED_UID}, "allow": confined},
    ]}


# --------------------------------------------------------------------------
# Small helpers


def b64(data):
    return base64.b64encode(data).decode()


def unb64(text):
    return base64.b64decode(text, validate=True)


def inet(host, port=0):
    return {"family": "inet", "host": host, "port": port}


def mac_bytes(text):
    return bytes.fromhex(text.replace(":", ""))


def ether_frame(dst, src, ethertype, payload):
    """An ethernet frame padded to the 60-byte minimum."""
    frame = mac_bytes(dst) + mac_bytes(src) + struct.pack("!H", ethertype)
    frame += payload
    return frame + bytes(max(0, 60 - len(frame)))


def tagged_frame(dst, src, tag):
    return ether_frame(dst, src, ETHERTYPE_TEST, b"rawsockd-test:" + tag)


def icmp_echo_request(ident, seq, payload):
    header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    csum = inet_checksum(header + payload)
    return struct.pack("!BBHHH", 8, 0, csum, ident, seq) + payload


def udp_ports(frame):
    """(sport, dport) of an ethernet/IPv4/UDP frame, else None."""
    if len(frame) < 34 or struct.unpack("!H", frame[12:14])[0] != ETH_P_IP:
        return None
    ihl = (frame[14] & 0x0F) * 4
    if frame[23] != socket.IPPROTO_UDP or len(frame) < 14 + ihl + 8:
        return None
    return struct.unpack("!HH", frame[14 + ihl:14 + ihl + 4])


def udp_payload(frame):
    ihl = (frame[14] & 0x0F) * 4
    length = struct.unpack("!H", frame[14 + ihl + 4:14 + ihl + 6])[0]
    return frame[14 + ihl + 8:14 + ihl + length]


def ok(resp):
    return assert_ok(resp)


def err(resp, code, names=None):
    return assert_error(resp, code, any_id=True, names=names)


def call_batch(client, requests):
    """Send every (op, params) at once, then read the responses in order."""
    ids = []
    for op, params in requests:
        rid = next(client._ids)
        client.send_json({"id": rid, "op": op, **params})
        ids.append(rid)
    return [client.recv_response(rid) for rid in ids]


def recv_until(client, handle, predicate, op="recvfrom", timeout=3.0,
               limit=500, **params):
    """Receive on a managed handle until a datagram's data satisfies
    predicate; return that response, or None when time runs out."""
    deadline = time.monotonic() + timeout
    for _ in range(limit):
        left = int((deadline - time.monotonic()) * 1000)
        if left <= 0:
            return None
        resp = client.call(op, handle=handle, timeout_ms=min(left, 1000),
                           **params)
        if not resp["ok"]:
            assert resp["error"]["code"] in ("ETIMEDOUT", "EAGAIN"), resp
            continue
        if predicate(unb64(resp["data"])):
            return resp
    return None


def drain(client, handle, idle_ms=400, limit=3000, timeout=15.0):
    """Every datagram a handle receives until it stays idle idle_ms."""
    got = []
    deadline = time.monotonic() + timeout
    for _ in range(limit):
        assert time.monotonic() < deadline, "handle never went idle"
        resp = client.call("recv", handle=handle, timeout_ms=idle_ms)
        if not resp["ok"]:
            assert resp["error"]["code"] in ("ETIMEDOUT", "EAGAIN"), resp
            return got
        got.append(unb64(resp["data"]))
    raise AssertionError(f"more than {limit} frames")


def recv_exact(client, handle, n, op="recv", limit=20):
    """n bytes from a stream handle, over as many receives as it takes."""
    data = b""
    for _ in range(limit):
        if len(data) >= n:
            break
        resp = ok(client.call(op, handle=handle, size=n - len(data),
                              timeout_ms=2000))
        chunk = unb64(resp["data"])
        assert chunk, f"end of stream after {data!r}"
        data += chunk
    return data


def addr_key(address):
    """An address without its text form, for comparisons."""
    return {k: v for k, v in address.items() if k != "text"}


# --------------------------------------------------------------------------
# Client-side functions run in a child as an unprivileged uid


def send_on_passed_packet_fd(path, ifname, frame, nonblock, reply=None):
    """Open a passed packet socket, send frame with a plain send, then
    (if reply is given) wait for a frame containing it with plain recv."""
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0).close()
        own_packet_socket = True
    except PermissionError:
        own_packet_socket = False
    params = {"domain": "packet", "type": "raw", "protocol": "all",
              "ifname": ifname, "pass": True}
    if nonblock is not None:
        params["nonblock"] = nonblock
    with Client(path) as c:
        resp, fds = c.call_fds("open", **params)
    out = {"resp": resp, "nfds": len(fds), "own_packet_socket":
           own_packet_socket}
    if len(fds) != 1:
        for fd in fds:
            os.close(fd)
        return out
    fd = fds[0]
    try:
        out["nonblock"] = bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK)
        s = socket.socket(fileno=os.dup(fd))
        try:
            out["family"], out["type"] = s.family, s.type
            if frame is not None:
                out["sent"] = s.send(frame)
            deadline = time.monotonic() + 5.0
            for _ in range(1000 if reply is not None else 0):
                left = deadline - time.monotonic()
                ready, _, _ = select.select([s], [], [], max(left, 0))
                if not ready:
                    break
                data = s.recv(65536)
                if reply in data:
                    out["received"] = data
                    break
        finally:
            s.close()
    finally:
        os.close(fd)
    return out


def udp_echo_on_passed_fd(path, peer_port, payload):
    """A passed UDP socket: plain sendto to the peer, recvfrom its echo."""
    with Client(path) as c:
        resp, fds = c.call_fds("open", **{
            "domain": "inet", "type": "dgram", "bind": inet(DAEMON_V4),
            "pass": True})
    assert resp["ok"] and len(fds) == 1, f"{resp} {fds}"
    s = socket.socket(fileno=fds[0])
    try:
        s.settimeout(3.0)
        local = s.getsockname()
        s.sendto(payload, (PEER_V4, peer_port))
        data, addr = s.recvfrom(2048)
        return {"resp": resp, "local": local, "data": data, "addr": addr}
    finally:
        s.close()


def socketpair_child(path, domain, type):
    """socketpair through the daemon; exercise the pair with plain calls."""
    with Client(path) as c:
        resp, fds = c.call_fds("socketpair", domain=domain, type=type)
    out = {"resp": resp, "nfds": len(fds)}
    if len(fds) != 2:
        for fd in fds:
            os.close(fd)
        return out
    a, b = (socket.socket(fileno=fd) for fd in fds)
    try:
        a.settimeout(2.0)
        b.settimeout(2.0)
        out["kinds"] = [(s.family, s.type) for s in (a, b)]
        out["names"] = [(s.getsockname(), s.getpeername()) for s in (a, b)]
        a.sendall(b"hello from a")
        out["b_got"] = b.recv(100)
        b.sendall(b"hello from b")
        out["a_got"] = a.recv(100)
        out["writev"] = os.writev(a.fileno(), [b"I", b"love", b"you"])
        bufs = [bytearray(1), bytearray(4), bytearray(3)]
        out["readv"] = os.readv(b.fileno(), bufs)
        out["bufs"] = [bytes(x) for x in bufs]
    finally:
        a.close()
        b.close()
    return out


def ping_loop(path, stop, started, max_seconds=30.0, max_pings=20000):
    """Ping until the stop gate opens: [(start, latency), ...]."""
    os.close(stop.w)
    stop.w = None
    out = []
    deadline = time.monotonic() + max_seconds
    with Client(path) as c:
        for i in range(max_pings):
            t = time.monotonic()
            assert_ok(c.call("ping"))
            out.append((t, time.monotonic() - t))
            if i == 0:
                started.add()
            ready, _, _ = select.select([stop.r], [], [], 0.002)
            if ready or time.monotonic() > deadline:
                break
    return out


def open_close_passed(path, ifname, total):
    """Open a passed packet socket and close it at once, total times, as
    fast as the daemon answers: {"ok": n, "busy": n}; any other answer
    fails."""
    out = {"ok": 0, "busy": 0}
    with Client(path, timeout=10.0) as c:
        for _ in range(total):
            resp, fds = c.call_fds("open", domain="packet", type="raw",
                                   protocol="all", ifname=ifname,
                                   **{"pass": True})
            for fd in fds:
                os.close(fd)
            if resp["ok"]:
                assert len(fds) == 1, resp
                out["ok"] += 1
            else:
                assert_error(resp, "EAGAIN", any_id=True, names="busy")
                assert not fds, resp
                out["busy"] += 1
    return out


def open_rounds_passed(path, ifname, rounds, kept):
    """Close a managed packet socket (the daemon's close waits a grace
    period), ask for kept passed ones at once, then close them all (16 at
    a time: each close is the last and waits), rounds times: {"ok": passed
    opens, "busy": opens refused}; any other answer fails."""
    out = {"ok": 0, "busy": 0}
    params = {"op": "open", "domain": "packet", "type": "raw",
              "protocol": "all", "ifname": ifname, "pass": True}
    with Client(path, timeout=10.0) as c, \
            ThreadPoolExecutor(16) as closers:
        for r in range(rounds):
            resp = c.call("open", domain="packet", type="raw",
                          protocol="all", ifname=ifname)
            if resp["ok"]:
                assert_ok(c.call("close", handle=resp["handle"]))
            else:
                assert_error(resp, "EAGAIN", any_id=True, names="busy")
                out["busy"] += 1
            held = []
            for i in range(kept):
                c.send_json({"id": r * kept + i, **params})
            for i in range(kept):
                resp, fds = c.recv_response_fds(r * kept + i)
                held += fds
                if resp["ok"]:
                    assert len(fds) == 1, resp
                    out["ok"] += 1
                else:
                    assert_error(resp, "EAGAIN", any_id=True, names="busy")
                    out["busy"] += 1
            list(closers.map(os.close, held))
    return out


def send_back_passed(path, ifname, n):
    """Get n passed packet sockets and send them all back to the daemon
    on one datagram (a ping), read only after a recv parked before it
    times out: our copies are closed by then, so the daemon's are the
    last.  The ping's error code."""
    params = {"op": "open", "domain": "packet", "type": "raw",
              "protocol": "all", "ifname": ifname, "pass": True}
    held = []
    with Client(path, timeout=10.0) as c:
        try:
            for i in range(n):
                c.send_json({"id": i, **params})
            for i in range(n):
                resp, fds = c.recv_response_fds(i)
                assert_ok(resp)
                assert len(fds) == 1, resp
                held += fds
            udp = ok(c.call("open", domain="inet", type="dgram"))["handle"]
            c.send_json({"id": 9998, "op": "recv", "handle": udp,
                         "size": 16, "timeout_ms": 300})
            c.send_raw(b'{"id":9999,"op":"ping"}', fds=held)
        finally:
            for fd in held:
                os.close(fd)
        assert_error(c.recv_response(9998), "ETIMEDOUT", 9998)
        return c.recv_response(9999)["error"]["code"]


def open_close_managed(path, ifname, stop, max_seconds=30.0):
    """Open a managed packet socket and close it, until the stop gate
    opens: {"ok": n, "busy": n}; any other answer fails."""
    os.close(stop.w)
    stop.w = None
    out = {"ok": 0, "busy": 0}
    deadline = time.monotonic() + max_seconds
    with Client(path, timeout=10.0) as c:
        while time.monotonic() < deadline:
            resp = c.call("open", domain="packet", type="raw",
                          protocol="all", ifname=ifname)
            if resp["ok"]:
                assert_ok(c.call("close", handle=resp["handle"]))
                out["ok"] += 1
            else:
                assert_error(resp, "EAGAIN", any_id=True, names="busy")
                out["busy"] += 1
            if select.select([stop.r], [], [], 0.005)[0]:
                break
    return out


def open_sockets_forever(path, ifname, total, batch, pause):
    """Open total managed sockets in batches (one in ten a packet socket),
    then hold them until killed."""
    udp = ("open", {"domain": "inet", "type": "dgram"})
    packet = ("open", {"domain": "packet", "type": "raw", "protocol": "all",
                       "ifname": ifname})
    with Client(path, timeout=10.0) as c:
        for start in range(0, total, batch):
            reqs = [packet if i % 10 == 0 else udp
                    for i in range(start, start + batch)]
            for resp in call_batch(c, reqs):
                assert_ok(resp)
            time.sleep(pause)
        time.sleep(30)
    return "not killed"


# --------------------------------------------------------------------------


class SocketTestCase(DaemonTestCase):
    """A daemon with the test policy, clients, and peer sockets."""

    def start(self, confined_filter=None, policy=None):
        self.daemon = self.start_daemon(policy or
                                        make_policy(confined_filter))
        self.ns = self.daemon.netns
        self.path = self.daemon.socket_path
        return self.daemon

    def start_rule(self, allow):
        """A daemon whose one rule gives TEST_UID allow."""
        return self.start(policy={"rules": [{"match": {"uid": TEST_UID},
                                             "allow": allow}]})

    def client(self, uid=TEST_UID, gid=None):
        c = connect_as(self.path, uid, uid if gid is None else gid)
        self.addCleanup(c.close)
        return c

    def listener(self):
        """A loopback TCP listener whose connections nobody reads."""
        lst = socket.socket()
        self.addCleanup(lst.close)
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        lst.bind(("127.0.0.1", 0))
        lst.listen(32)
        return lst

    def lingering(self, lst, seconds):
        """A TCP socket to lst, its send queue full, set to linger for
        seconds: its last close waits that long."""
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        s.connect(lst.getsockname())
        self.addCleanup(lst.accept()[0].close)
        s.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while True:
                s.send(bytes(4096))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, seconds))
        return s

    def send_fds_to(self, name, fds):
        """A datagram "hi" carrying fds (closed here after) to an abstract
        unix name, from the daemon's namespace (abstract names are the
        namespace's)."""
        with self.ns.socket(socket.AF_UNIX, socket.SOCK_DGRAM,
                            peer=False) as tx:
            # (socket.send_fds drops its address argument)
            tx.sendmsg([b"hi"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                  struct.pack(f"{len(fds)}i",
                                              *[f.fileno() for f in fds]))],
                       0, "\0" + name)
        for f in fds:
            f.close()

    def root_client(self, timeout=5.0):
        c = Client(self.path, timeout=timeout)
        self.addCleanup(c.close)
        return c

    def peer_socket(self, family, type, proto=0):
        s = self.ns.socket(family, type, proto)
        self.addCleanup(s.close)
        return s

    def peer_packet(self):
        """A packet socket on the peer's veth seeing every frame."""
        s = self.peer_socket(socket.AF_PACKET, socket.SOCK_RAW,
                             socket.htons(ETH_P_ALL))
        s.bind((self.ns.peer_ifname, ETH_P_ALL))
        return s

    def peer_udp(self, port=0):
        s = self.peer_socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((PEER_V4, port))
        return s

    def macs(self):
        return self.ns.mac(), self.ns.mac(peer=True)

    def open(self, client, domain, type, **params):
        return ok(client.call("open", domain=domain, type=type,
                              **params))["handle"]

    def open_packet(self, client, **params):
        return self.open(client, "packet", "raw", protocol="all",
                         ifname=self.ns.ifname, **params)


# --------------------------------------------------------------------------
# Passed fds


class PacketBindPolicyTests(SocketTestCase):

    def test_bind_protocol_is_the_rules(self):
        """A rule that allows packet sockets of protocol arp only: a bind
        address naming another protocol (which would replace arp) is
        denied, in open and in bind; arp itself and 0 (keep it) bind."""
        allow = dict(CONFINED_ALLOW, protocols=["arp"], max_sockets=8)
        self.daemon = self.start_daemon({"rules": [
            {"match": {"uid": TEST_UID}, "allow": allow}]})
        self.ns, self.path = self.daemon.netns, self.daemon.socket_path
        c = self.client()
        ifname = self.ns.ifname
        base = self.daemon.settled_fd_count()
        for proto in ("ETH_P_ALL", "ip"):
            with self.subTest(open_bind=proto):
                assert_error(c.call(
                    "open", domain="packet", type="raw", protocol="arp",
                    ifname=ifname, bind={"family": "packet",
                                         "ifname": ifname,
                                         "protocol": proto}),
                    "denied", any_id=True, names="binding to protocol")
        self.assertEqual(self.daemon.settled_fd_count(), base,
                         "a denied open left a socket behind")
        h = self.open(c, "packet", "raw", protocol="arp", ifname=ifname)
        assert_error(c.call("bind", handle=h, address=f"packet:{ifname}/"
                            "0x0003"), "denied", any_id=True,
                     names="binding to protocol")
        for text in (f"packet:{ifname}/0x0806", f"packet:{ifname}/0x0000"):
            with self.subTest(bind=text):
                a = ok(c.call("bind", handle=h, address=text))["address"]
                self.assertEqual(a["text"], f"packet:{ifname}/0x0806")


class PassedFdTests(SocketTestCase):

    def test_passed_packet_fd_sends_with_plain_send(self):
        """A passed AF_PACKET fd (nonblock false) in an unprivileged process
        puts a frame on the wire that the peer sees byte for byte, and
        receives the peer's answer with a plain recv."""
        self.start()
        sniff = self.peer_packet()
        mine, peer = self.macs()
        frame = tagged_frame(peer, mine, b"passed-fd")
        answer = tagged_frame(mine, peer, b"answer-to-passed-fd")
        proc = spawn_as_user(TEST_UID, TEST_GID, send_on_passed_packet_fd,
                             self.path, self.ns.ifname, frame, False,
                             b"answer-to-passed-fd")
        seen = wait_frame(sniff, lambda f: f == frame, timeout=5.0)
        if seen is not None:
            sniff.send(answer)
        out = proc.result()
        self.assertFalse(out["own_packet_socket"],
                         "uid 4242 can open packet sockets by itself: the "
                         "test proves nothing")
        ok(out["resp"])
        self.assertEqual(out["resp"].get("fds"), ["socket"], out["resp"])
        self.assertNotIn("handle", out["resp"])
        self.assertEqual(out["nfds"], 1)
        self.assertEqual((out["family"], out["type"]),
                         (socket.AF_PACKET, socket.SOCK_RAW))
        self.assertFalse(out["nonblock"], "nonblock false left O_NONBLOCK")
        self.assertEqual(out["sent"], len(frame))
        self.assertEqual(seen, frame, "the peer never saw the frame")
        self.assertEqual(out.get("received"), answer,
                         "the passed fd never received the answer")

    def test_passed_fd_nonblock_flag(self):
        """nonblock true hands out an O_NONBLOCK fd."""
        self.start()
        out = as_user(TEST_UID, TEST_GID, send_on_passed_packet_fd,
                      self.path, self.ns.ifname, None, True)
        ok(out["resp"])
        self.assertTrue(out["nonblock"], "nonblock true cleared O_NONBLOCK")

    def test_passed_udp_fd_echo_with_plain_calls(self):
        """A passed UDP fd works with plain sendto/recvfrom (Gerbil's UDP
        echo): the peer sees it from the fd's address and its echo comes
        back to the fd."""
        self.start()
        echo = self.peer_udp()
        proc = spawn_as_user(TEST_UID, TEST_GID, udp_echo_on_passed_fd,
                             self.path, echo.getsockname()[1], b"marco")
        ready, _, _ = select.select([echo], [], [], 5.0)
        if ready:
            data, addr = echo.recvfrom(2048)
            echo.sendto(b"polo:" + data, addr)
        out = proc.result()
        self.assertTrue(ready, "the peer got nothing from the passed fd")
        self.assertEqual(data, b"marco")
        self.assertEqual(addr, out["local"])
        self.assertEqual(out["local"][0], DAEMON_V4)
        self.assertEqual(out["data"], b"polo:marco")
        self.assertEqual(out["addr"], echo.getsockname())

    def test_pass_turns_handle_into_fd(self):
        """`pass` hands over a managed socket as is and closes the handle."""
        self.start()
        c = self.client()
        h = self.open(c, "inet", "dgram", bind=inet(DAEMON_V4))
        name = ok(c.call("getsockname", handle=h))["address"]
        resp, fds = c.call_fds("pass", handle=h)
        try:
            ok(resp)
            self.assertEqual(resp.get("fds"), ["socket"])
            self.assertEqual(len(fds), 1)
            s = socket.socket(fileno=os.dup(fds[0]))
            self.assertEqual(s.getsockname(), (name["host"], name["port"]))
            s.close()
        finally:
            for fd in fds:
                os.close(fd)
        err(c.call("getsockname", handle=h), "no_such_handle")

    def test_socketpair_moves_data_and_scatter_gather(self):
        """socketpair (CLISP): both fds talk to each other; writev of
        ("I" "love" "you") moves 8 bytes and readv fills the buffers."""
        self.start()
        out = as_user(TEST_UID, TEST_GID, socketpair_child, self.path,
                      "unix", "stream")
        ok(out["resp"])
        self.assertEqual(out["resp"].get("fds"), ["socket", "socket"])
        self.assertEqual(out["nfds"], 2)
        self.assertEqual(out["kinds"], [(socket.AF_UNIX,
                                         socket.SOCK_STREAM)] * 2)
        self.assertEqual(out["names"], [("", "")] * 2)
        self.assertEqual(out["b_got"], b"hello from a")
        self.assertEqual(out["a_got"], b"hello from b")
        self.assertEqual(out["writev"], 8)
        self.assertEqual(out["readv"], 8)
        self.assertEqual(out["bufs"], [b"I", b"love", b"you"])

    def test_socketpair_needs_no_rule(self):
        """socketpair is open to every peer, even one no rule matches."""
        self.start()
        out = as_user(OTHER_UID, OTHER_UID, socketpair_child, self.path,
                      "unix", "dgram")
        ok(out["resp"])
        self.assertEqual(out["nfds"], 2)
        self.assertEqual(out["writev"], 8)


# --------------------------------------------------------------------------
# Managed packet and raw sockets


class ManagedRawTests(SocketTestCase):

    def test_managed_packet_send_and_sendto(self):
        """send and sendto on a managed packet handle: the peer sees each
        frame byte for byte."""
        self.start()
        sniff = self.peer_packet()
        mine, peer = self.macs()
        c = self.client()
        h = self.open_packet(c)
        f1 = tagged_frame(peer, mine, b"managed-send")
        self.assertEqual(ok(c.call("send", handle=h, data=b64(f1)))["sent"],
                         len(f1))
        self.assertEqual(wait_frame(sniff, lambda f: f == f1), f1)
        f2 = tagged_frame(peer, mine, b"managed-sendto")
        to = {"family": "packet", "ifname": self.ns.ifname,
              "protocol": ETHERTYPE_TEST}
        self.assertEqual(ok(c.call("sendto", handle=h, data=b64(f2),
                                   address=to))["sent"], len(f2))
        self.assertEqual(wait_frame(sniff, lambda f: f == f2), f2)
        f3 = tagged_frame(peer, mine, b"managed-start-end")
        padded = b"x" * 5 + f3 + b"y" * 7
        self.assertEqual(ok(c.call("send", handle=h, data=b64(padded),
                                   start=5, end=5 + len(f3)))["sent"],
                         len(f3))
        self.assertEqual(wait_frame(sniff, lambda f: f == f3), f3)

    def test_managed_packet_recvfrom(self):
        """The sniffer (ETH_P_ALL) receives a frame the peer sends, with
        its packet address."""
        self.start()
        mine, peer = self.macs()
        c = self.client()
        h = self.open_packet(c)
        out = self.peer_packet()
        frame = tagged_frame(mine, peer, b"to-the-daemon")
        out.send(frame)
        resp = recv_until(c, h, lambda f: f == frame)
        self.assertIsNotNone(resp, "the frame never reached the handle")
        self.assertEqual(resp["size"], len(frame))
        a = resp["address"]
        self.assertEqual(a["family"], "packet")
        self.assertEqual(a["ifname"], self.ns.ifname)
        self.assertEqual(a["ifindex"], self.ns.ifindex())
        self.assertEqual(a["protocol"], ETHERTYPE_TEST)
        self.assertEqual(a["pkttype"], 0)  # PACKET_HOST
        self.assertEqual(a["addr"].lower(), peer.lower())
        self.assertEqual(a["text"], f"packet:{self.ns.ifname}/0x88b5")

    def test_icmp_echo_through_raw_socket(self):
        """A raw ICMP socket pings the peer and receives its echo reply."""
        self.start()
        c = self.client()
        h = self.open(c, "inet", "raw", protocol="icmp")
        ident, payload = os.getpid() & 0xFFFF, b"rawsockd ping payload"
        req = icmp_echo_request(ident, 1, payload)
        self.assertEqual(ok(c.call("sendto", handle=h, data=b64(req),
                                   address=inet(PEER_V4)))["sent"], len(req))

        def is_reply(pkt):
            ihl = (pkt[0] & 0x0F) * 4
            icmp = pkt[ihl:]
            return (len(icmp) >= 8 and icmp[0] == 0 and
                    struct.unpack("!H", icmp[4:6])[0] == ident)
        resp = recv_until(c, h, is_reply, timeout=3.0)
        self.assertIsNotNone(resp, "no echo reply")
        pkt = unb64(resp["data"])
        ihl = (pkt[0] & 0x0F) * 4
        self.assertEqual(pkt[ihl + 8:], payload)
        self.assertEqual(inet_checksum(pkt[ihl:]), 0, "bad reply checksum")
        self.assertEqual(resp["address"]["host"], PEER_V4)
        self.assertEqual(resp["address"]["family"], "inet")


# --------------------------------------------------------------------------
# TCP, UDP and UNIX through handles


class StreamTests(SocketTestCase):

    def test_tcp_through_handles(self):
        """CLISP's TCP test through handles: names, listen/accept, "dog
        bites man" both ways with start/end, recv = recvfrom = recvmsg, and
        a write after shutdown fails naming the handle."""
        self.start()
        c = self.client()
        lst = self.open(c, "inet", "stream", bind=inet(DAEMON_V4))
        name = ok(c.call("getsockname", handle=lst))["address"]
        self.assertEqual(name["family"], "inet")
        self.assertEqual(name["host"], DAEMON_V4)
        port = name["port"]
        self.assertTrue(0 < port < 65536)
        self.assertEqual(name["text"], f"{DAEMON_V4}:{port}")
        ok(c.call("listen", handle=lst, backlog=5))
        # Not readable before a connect.
        err(c.call("accept", handle=lst), "EAGAIN")
        cli = self.open(c, "inet", "stream")
        conn = ok(c.call("connect", handle=cli,
                         address=inet(DAEMON_V4, port)))
        self.assertEqual(addr_key(conn["address"]), addr_key(name))
        acc = ok(c.call("accept", handle=lst, timeout_ms=2000))
        srv = acc["handle"]
        self.assertNotIn(srv, (lst, cli))
        cli_name = ok(c.call("getsockname", handle=cli))["address"]
        self.assertEqual(addr_key(acc["peer"]), addr_key(cli_name))
        self.assertEqual(
            addr_key(ok(c.call("getpeername", handle=srv))["address"]),
            addr_key(cli_name))
        self.assertEqual(
            addr_key(ok(c.call("getpeername", handle=cli))["address"]),
            addr_key(name))

        msg = b"dog bites man"
        buf = bytes(17) + msg + bytes(20)
        self.assertEqual(ok(c.call("send", handle=cli, data=b64(buf),
                                   start=17, end=30))["sent"], 13)
        self.assertEqual(recv_exact(c, srv, 13), msg)
        buf = bytes(1000) + msg + bytes(30)
        self.assertEqual(ok(c.call("send", handle=srv, data=b64(buf),
                                   start=1000, end=1013))["sent"], 13)
        self.assertEqual(recv_exact(c, cli, 13), msg)
        for op in ("recv", "recvfrom", "recvmsg"):
            ok(c.call("send", handle=cli, data=b64(msg)))
            self.assertEqual(recv_exact(c, srv, 13, op=op), msg, op)

        ok(c.call("shutdown", handle=cli, how="SHUT_RDWR"))
        resp = c.call("send", handle=cli, data=b64(msg))
        self.assertFalse(resp["ok"], f"send after shutdown: {resp}")
        e = resp["error"]
        self.assertEqual(e["code"], "EPIPE", resp)
        self.assertIsInstance(e.get("errno"), int)
        self.assertIn(f"handle {cli}", e["message"])
        ok(c.call("close", handle=cli))
        err(c.call("send", handle=cli, data=b64(msg)), "no_such_handle")

    def test_accept_pass_and_server_socket(self):
        """server_socket binds and listens in one op; accept with pass
        hands over the connected fd, blocking."""
        self.start()
        c = self.client()
        err(c.call("server_socket", domain="inet", type="stream"),
            "bad_request", names="bind")
        lst = ok(c.call("server_socket", domain="inet", type="stream",
                        bind=inet(DAEMON_V4), backlog=4))["handle"]
        port = ok(c.call("getsockname", handle=lst))["address"]["port"]
        self.assertEqual(ok(c.call("getsockopt", handle=lst,
                                   level="SOL_SOCKET",
                                   option="SO_ACCEPTCONN"))["value"], 1)
        peer = self.peer_socket(socket.AF_INET, socket.SOCK_STREAM)
        peer.settimeout(3.0)
        peer.connect((DAEMON_V4, port))
        resp, fds = c.call_fds("accept", handle=lst, timeout_ms=2000,
                               **{"pass": True})
        try:
            ok(resp)
            self.assertEqual(resp.get("fds"), ["socket"])
            self.assertEqual(len(fds), 1)
            self.assertEqual((resp["peer"]["host"], resp["peer"]["port"]),
                             peer.getsockname())
            # Blocking, as open passes one.
            self.assertFalse(fcntl.fcntl(fds[0], fcntl.F_GETFL) &
                             os.O_NONBLOCK)
            s = socket.socket(fileno=os.dup(fds[0]))
            s.settimeout(3.0)
            s.sendall(b"over the passed fd")
            self.assertEqual(peer.recv(100), b"over the passed fd")
            s.close()
        finally:
            for fd in fds:
                os.close(fd)

    def test_privileged_ports(self):
        """Port 80 is granted to uid 4242, port 81 is not."""
        self.start()
        c = self.client()
        ok(c.call("server_socket", domain="inet", type="stream",
                  bind=inet(DAEMON_V4, 80)))
        err(c.call("server_socket", domain="inet", type="stream",
                   bind=inet(DAEMON_V4, 81)), "denied", names="81")
        err(c.call("open", domain="inet", type="dgram",
                   bind=inet(DAEMON_V4, 81)), "denied", names="81")
        h = self.open(c, "inet", "dgram")
        err(c.call("bind", handle=h, address=inet(DAEMON_V4, 81)),
            "denied", names="81")
        bound = ok(c.call("bind", handle=h, address=inet(DAEMON_V4, 80)))
        self.assertEqual(bound["address"]["port"], 80)

    def test_unix_stream_echo(self):
        """Gerbil's UNIX-socket echo through handles (on the name the
        kernel picks), and a path of UNIX_MAX_PATH bytes is refused."""
        self.start()
        c = self.client()
        lst = ok(c.call("server_socket", domain="unix", type="stream",
                        bind={"family": "unix", "unnamed": True}))["handle"]
        name = ok(c.call("getsockname", handle=lst))["address"]
        self.assertEqual(len(name.get("abstract", "")), 5, name)
        cli = self.open(c, "unix", "stream")
        ok(c.call("connect", handle=cli, address=name))
        srv = ok(c.call("accept", handle=lst, timeout_ms=2000))["handle"]
        ok(c.call("send", handle=cli, data=b64(b"ping over unix")))
        got = recv_exact(c, srv, 14)
        ok(c.call("send", handle=srv, data=b64(b"echo:" + got)))
        self.assertEqual(recv_exact(c, cli, 19), b"echo:ping over unix")
        too_long = "/" + "x" * 107
        err(c.call("connect", handle=cli,
                   address={"family": "unix", "path": too_long}),
            "bad_request", names="too long")

    def test_a_connect_that_timed_out_stays_undone(self):
        """A connect answered ETIMEDOUT (the peer's link down, SYNs
        lost) is abandoned: the link back up, no SYN retry connects it
        later behind the client's back."""
        self.start()
        srv = self.peer_socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.bind((PEER_V4, 7000))
        srv.listen(1)
        self.ns.ip("link", "set", self.ns.peer_ifname, "down", peer=True)
        c = self.client()
        h = self.open(c, "inet", "stream")
        err(c.call("connect", handle=h, address=inet(PEER_V4, 7000),
                   timeout_ms=300), "ETIMEDOUT")
        self.ns.ip("link", "set", self.ns.peer_ifname, "up", peer=True)
        srv.settimeout(2.5)     # past the first SYN retry, at 1 s
        with self.assertRaises(TimeoutError):
            srv.accept()
        err(c.call("getpeername", handle=h), "ENOTCONN")

    def test_msg_trunc_on_a_stream_returns_no_bytes(self):
        """recv with MSG_TRUNC on a TCP handle discards: the size the
        kernel discarded, and no data (the daemon's buffer was never
        written; it held another request's bytes); on a unix stream the
        flag is ignored and the bytes come."""
        self.start()
        c = self.client()
        lst = self.open(c, "inet", "stream", bind=inet(DAEMON_V4))
        ok(c.call("listen", handle=lst, backlog=1))
        port = ok(c.call("getsockname", handle=lst))["address"]["port"]
        cli = self.open(c, "inet", "stream")
        ok(c.call("connect", handle=cli, address=inet(DAEMON_V4, port)))
        srv = ok(c.call("accept", handle=lst, timeout_ms=2000))["handle"]
        ok(c.call("send", handle=srv, data=b64(b"x" * 100)))
        time.sleep(0.1)
        r = ok(c.call("recv", handle=cli, size=65536, flags=["MSG_TRUNC"],
                      timeout_ms=2000))
        self.assertEqual((r["size"], unb64(r["data"])), (100, b""))
        # A unix stream ignores the flag: the bytes are read, not lost.
        lst = ok(c.call("server_socket", domain="unix", type="stream",
                        bind={"family": "unix", "unnamed": True}))["handle"]
        name = ok(c.call("getsockname", handle=lst))["address"]
        cli = self.open(c, "unix", "stream")
        ok(c.call("connect", handle=cli, address=name))
        srv = ok(c.call("accept", handle=lst, timeout_ms=2000))["handle"]
        ok(c.call("send", handle=srv, data=b64(b"hello world")))
        time.sleep(0.1)
        r = ok(c.call("recv", handle=cli, size=5, flags=["MSG_TRUNC"],
                      timeout_ms=2000))
        self.assertEqual(unb64(r["data"]), b"hello")

    def test_unix_recv_takes_every_fd_off_the_loop(self):
        """A datagram to a managed unix socket with SO_PASSCRED carrying
        253 fds (credentials first, then the fds): all are taken and
        closed off the loop, a lingering TCP socket among them too (those
        that did not fit were released inside recvmsg, on the loop, which
        waited out the linger); recvmsg names SCM_CREDENTIALS and cuts the
        control data at the client's control_size."""
        self.start()
        c = self.client()
        h = ok(c.call("open", domain="unix", type="dgram",
                      bind={"family": "unix", "unnamed": True}))["handle"]
        ok(c.call("setsockopt", handle=h, level="SOL_SOCKET",
                  option="SO_PASSCRED", value=1))
        name = ok(c.call("getsockname", handle=h))["address"]["abstract"]
        lst = self.listener()

        def send(fds):
            self.send_fds_to(name, fds)

        nulls = [open(os.devnull) for _ in range(252)]
        send(nulls + [self.lingering(lst, 5)])
        start = time.monotonic()
        r = ok(c.call("recv", handle=h, size=16, timeout_ms=2000))
        self.assertEqual(unb64(r["data"]), b"hi")
        self.assertLess(time.monotonic() - start, 2.0, "the loop waited")
        send([open(os.devnull) for _ in range(253)])
        r = ok(c.call("recvmsg", handle=h, size=16, control_size=4096,
                      timeout_ms=2000))
        by_type = {m["type"]: m for m in r["control"]}
        self.assertEqual(by_type["SCM_CREDENTIALS"]["uid"], 0)
        self.assertEqual(by_type["SCM_RIGHTS"]["closed"], 253)
        self.assertNotIn("MSG_CTRUNC", r["msg_flags"])
        send([open(os.devnull) for _ in range(10)])
        r = ok(c.call("recvmsg", handle=h, size=16, control_size=40,
                      timeout_ms=2000))
        self.assertEqual([m["type"] for m in r["control"]],
                         ["SCM_CREDENTIALS"])
        self.assertIn("MSG_CTRUNC", r["msg_flags"])

    def test_unix_addresses_are_not_the_daemons(self):
        """A managed unix socket would bind and connect as the daemon:
        no path (it would be made, or reached, with the daemon's uid), and
        no connect or send to a name this connection did not bind (the
        peer would read the daemon's credentials).  Root may."""
        self.start()
        c = self.client()
        # Abstract names are the network namespace's: one in the daemon's.
        outside = netns_socket(self.ns.name, socket.AF_UNIX,
                               socket.SOCK_STREAM)
        self.addCleanup(outside.close)
        theirs = f"rawsockd-theirs-{os.getpid()}"
        outside.bind("\0" + theirs)
        outside.listen(1)
        path = os.path.join(self.daemon.dir, "made-by-the-daemon.sock")
        err(c.call("server_socket", domain="unix", type="stream",
                   bind={"family": "unix", "path": path}), "denied",
            names="path")
        self.assertFalse(os.path.exists(path))
        err(c.call("server_socket", domain="unix", type="stream",
                   bind={"family": "unix", "abstract": "trusted-name"}),
            "denied", names="unnamed")
        cli = self.open(c, "unix", "stream")
        err(c.call("connect", handle=cli,
                   address={"family": "unix", "abstract": theirs}),
            "denied", names="credentials")
        dg = self.open(c, "unix", "dgram")
        err(c.call("sendto", handle=dg, data=b64(b"x"),
                   address={"family": "unix", "abstract": theirs}),
            "denied", names="credentials")
        root = self.root_client()
        h = ok(root.call("open", domain="unix", type="stream"))["handle"]
        ok(root.call("connect", handle=h,
                     address={"family": "unix", "abstract": theirs}))

    def test_recv_with_only_an_error_queue_does_not_wait(self):
        """With IP_RECVERR an ICMP error stays queued and the socket keeps
        polling readable: a recv that would wait answers EAGAIN at once
        (it used to park, and the loop woke for it without end)."""
        self.start()
        c = self.client()
        h = self.open(c, "inet", "dgram")
        ok(c.call("setsockopt", handle=h, level="IPPROTO_IP",
                  option="IP_RECVERR", value=1))
        ok(c.call("sendto", handle=h, data=b64(b"x"),
                  address=inet("127.0.0.1", 9)))
        time.sleep(0.1)     # the port unreachable comes back
        err(c.call("recv", handle=h, timeout_ms=2000), "ECONNREFUSED")
        start = time.monotonic()
        err(c.call("recv", handle=h, timeout_ms=-1), "EAGAIN",
            names="error queue")
        self.assertLess(time.monotonic() - start, 1.0)
        ok(c.call("ping"))

    def test_ipv6_multicast_if_is_an_interface(self):
        """IPV6_MULTICAST_IF picks the interface multicast leaves by: one
        the rule allows (0 names none), as IP_MULTICAST_IF and scope_id
        do."""
        self.start_rule(dict(MAIN_ALLOW, interfaces=["veth0"]))
        c = self.client()
        h = self.open(c, "inet6", "dgram")
        set_if = lambda index: c.call(  # noqa: E731
            "setsockopt", handle=h, level="IPPROTO_IPV6",
            option="IPV6_MULTICAST_IF", value=index)
        err(set_if(1), "denied", names="lo")
        ok(set_if(self.ns.ifindex()))
        ok(set_if(0))

    def test_memberships_name_at_most_8_interfaces(self):
        """A managed socket's memberships name at most 8 interfaces (the
        daemon checks each again at a reload): a ninth is quota, another
        group on one already named is not, and a dropped interface's room
        is free again."""
        self.start_rule(MAIN_ALLOW)
        names = [f"rqm{i}" for i in range(9)]
        for n in names:
            self.ns.ip("link", "add", n, "type", "veth", "peer", "name",
                       n + "p")
            self.addCleanup(self.ns.ip, "link", "del", n, check=False)
            self.ns.ip("link", "set", n, "up")
        c = self.client()
        h = self.open(c, "inet6", "dgram")

        def member(option, name, group="ff02::1:3"):
            return c.call("setsockopt", handle=h, level="IPPROTO_IPV6",
                          option=option,
                          value={"multiaddr": group, "ifname": name})

        for n in names[:8]:
            ok(member("IPV6_ADD_MEMBERSHIP", n))
        err(member("IPV6_ADD_MEMBERSHIP", names[8]), "quota",
            names="8 interfaces")
        ok(member("IPV6_ADD_MEMBERSHIP", names[0], "ff02::1:4"))
        ok(member("IPV6_DROP_MEMBERSHIP", names[1]))
        ok(member("IPV6_ADD_MEMBERSHIP", names[8]))
        err(member("IPV6_ADD_MEMBERSHIP", names[1]), "quota")

    def test_ipv4_memberships_by_address_are_checked(self):
        """An IPv4 membership or multicast interface named by an address
        (ip_mreq_source has nothing else) is on the interface that has
        the address: loopback's is denied under a veth0-only rule, veth0's
        allowed, an address nobody has is ENODEV, and no address (the
        routes choose) needs a rule of every interface."""
        self.start_rule(dict(MAIN_ALLOW, interfaces=["veth0"]))
        c = self.client()
        h = self.open(c, "inet", "dgram")

        def src(option, interface):
            value = {"multiaddr": "232.1.1.1", "sourceaddr": PEER_V4}
            if interface is not None:
                value["interface"] = interface
            return c.call("setsockopt", handle=h, level="ip", option=option,
                          value=value)

        for option in ("IP_ADD_SOURCE_MEMBERSHIP", "IP_BLOCK_SOURCE"):
            with self.subTest(option=option):
                err(src(option, "127.0.0.1"), "denied", names="lo")
                err(src(option, None), "denied")
                err(src(option, "198.18.7.7"), "ENODEV")
        err(c.call("setsockopt", handle=h, level="ip",
                   option="IP_ADD_MEMBERSHIP",
                   value={"multiaddr": "239.1.1.1",
                          "interface": "127.0.0.1"}), "denied", names="lo")
        err(c.call("setsockopt", handle=h, level="ip",
                   option="IP_MULTICAST_IF",
                   value={"interface": "127.0.0.1"}), "denied", names="lo")
        ok(src("IP_ADD_SOURCE_MEMBERSHIP", DAEMON_V4))
        ok(src("IP_DROP_SOURCE_MEMBERSHIP", DAEMON_V4))

    def test_netlink_is_never_lent(self):
        """A rule of "*" domains still lends no netlink socket: it would
        configure the network with the daemon's CAP_NET_ADMIN."""
        self.start_rule(dict(MAIN_ALLOW, domains=["*"], types=["*"]))
        c = self.client()
        err(c.call("open", domain="AF_NETLINK", type="raw", protocol=0),
            "denied", names="AF_NETLINK")
        err(c.call("open", domain="AF_NETLINK", type="dgram", protocol=0,
                   **{"pass": True}), "denied", names="AF_NETLINK")
        ok(c.call("open", domain="inet", type="dgram"))

    def test_udp_sendmsg_recvmsg(self):
        """CLISP's sendmsg/recvmsg with a 3-part iovec: 8 bytes sent, the
        concatenation received with the sender's address, msg_flags a
        list, IP_PKTINFO and IP_TTL control data decoded."""
        self.start()
        c = self.client()
        rx = self.open(c, "inet", "dgram", bind=inet(DAEMON_V4))
        tx = self.open(c, "inet", "dgram", bind=inet(DAEMON_V4))
        rx_name = ok(c.call("getsockname", handle=rx))["address"]
        tx_name = ok(c.call("getsockname", handle=tx))["address"]
        for opt in ("IP_PKTINFO", "IP_RECVTTL"):
            ok(c.call("setsockopt", handle=rx, level="IPPROTO_IP",
                      option=opt, value=1))
        iov = [b64(b"I"), b64(b"love"), b64(b"you")]
        self.assertEqual(ok(c.call("sendmsg", handle=tx, iov=iov,
                                   address=rx_name))["sent"], 8)
        resp = ok(c.call("recvmsg", handle=rx, timeout_ms=2000))
        self.assertEqual(unb64(resp["data"]), b"Iloveyou")
        self.assertEqual(resp["size"], 8)
        self.assertEqual(addr_key(resp["address"]), addr_key(tx_name))
        self.assertIsInstance(resp["msg_flags"], list)
        self.assertEqual(resp["msg_flags"], [])
        by_type = {m.get("type"): m for m in resp["control"]}
        self.assertIn("IP_PKTINFO", by_type, resp["control"])
        self.assertEqual(by_type["IP_PKTINFO"].get("addr"), DAEMON_V4)
        self.assertIsInstance(by_type["IP_PKTINFO"].get("ifindex"), int)
        self.assertIn("IP_TTL", by_type, resp["control"])
        self.assertEqual(by_type["IP_TTL"].get("value"), 64)
        for m in resp["control"]:
            self.assertIsInstance(unb64(m["data"]), bytes)

    def test_sendmsg_control_ttl_reaches_peer(self):
        """An IP_TTL control message sets the TTL of that one datagram:
        given with an integer "value", and in the contract's shape
        {level, type, data} with the int's bytes."""
        self.start()
        c = self.client()
        peer = self.peer_udp()
        peer.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
        h = self.open(c, "inet", "dgram")
        to = inet(PEER_V4, peer.getsockname()[1])
        for ttl, item in (
                (7, {"level": "IPPROTO_IP", "type": "IP_TTL", "value": 7}),
                (9, {"level": "IPPROTO_IP", "type": "IP_TTL",
                     "data": b64(struct.pack("=i", 9))})):
            with self.subTest(item=item):
                ok(c.call("sendmsg", handle=h, iov=[b64(b"ttl")],
                          address=to, control=[item]))
                ready, _, _ = select.select([peer], [], [], 3.0)
                self.assertTrue(ready, "the peer got nothing")
                data, anc, _, _ = peer.recvmsg(100, socket.CMSG_SPACE(4))
                self.assertEqual(data, b"ttl")
                ttls = [struct.unpack("=i", d[:4])[0] for lvl, typ, d in anc
                        if lvl == socket.IPPROTO_IP and
                        typ == socket.IP_TTL]
                self.assertEqual(ttls, [ttl])

    def test_udp_to_self(self):
        """CLISP: 256 bytes 0..255 sent to one's own address come back
        whole, from that same address."""
        self.start()
        c = self.client()
        h = self.open(c, "inet", "dgram", bind=inet(DAEMON_V4))
        me = ok(c.call("getsockname", handle=h))["address"]
        data = bytes(range(256))
        self.assertEqual(ok(c.call("sendto", handle=h, data=b64(data),
                                   address=me))["sent"], 256)
        resp = ok(c.call("recvfrom", handle=h, timeout_ms=2000))
        self.assertEqual(unb64(resp["data"]), data)
        self.assertEqual(resp["size"], 256)
        self.assertEqual(addr_key(resp["address"]), addr_key(me))

    def test_udp_echo_managed(self):
        """Gerbil's UDP echo (sendto/recvfrom) and connected UDP echo
        (connect, send/recv) with the peer, through a managed handle."""
        self.start()
        c = self.client()
        echo = self.peer_udp()
        eport = echo.getsockname()[1]
        h = self.open(c, "inet", "dgram")
        ok(c.call("sendto", handle=h, data=b64(b"one"),
                  address=inet(PEER_V4, eport)))
        ready, _, _ = select.select([echo], [], [], 3.0)
        self.assertTrue(ready)
        data, addr = echo.recvfrom(100)
        echo.sendto(b"echo:" + data, addr)
        resp = ok(c.call("recvfrom", handle=h, timeout_ms=2000))
        self.assertEqual(unb64(resp["data"]), b"echo:one")
        self.assertEqual((resp["address"]["host"], resp["address"]["port"]),
                         (PEER_V4, eport))
        ok(c.call("connect", handle=h, address=inet(PEER_V4, eport)))
        ok(c.call("send", handle=h, data=b64(b"two")))
        ready, _, _ = select.select([echo], [], [], 3.0)
        self.assertTrue(ready)
        data, addr = echo.recvfrom(100)
        echo.sendto(b"echo:" + data, addr)
        resp = ok(c.call("recv", handle=h, timeout_ms=2000))
        self.assertEqual(unb64(resp["data"]), b"echo:two")

    def test_udp_multicast_echo(self):
        """Gerbil's multicast echo: join 224.100.100.100 on the local
        address, listen on 0.0.0.0, receive the peer's datagram to the
        group and answer it."""
        self.start()
        c = self.client()
        h = self.open(c, "inet", "dgram", bind=inet("0.0.0.0"))
        port = ok(c.call("getsockname", handle=h))["address"]["port"]
        ok(c.call("setsockopt", handle=h, level="ip",
                  option="IP_ADD_MEMBERSHIP",
                  value={"multiaddr": "224.100.100.100",
                         "interface": DAEMON_V4}))
        peer = self.peer_udp()
        peer.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                        socket.inet_aton(PEER_V4))
        peer.sendto(b"to the group", ("224.100.100.100", port))
        resp = ok(c.call("recvfrom", handle=h, timeout_ms=2000))
        self.assertEqual(unb64(resp["data"]), b"to the group")
        self.assertEqual(resp["address"]["host"], PEER_V4)
        ok(c.call("sendto", handle=h, data=b64(b"answer"),
                  address=resp["address"]))
        ready, _, _ = select.select([peer], [], [], 3.0)
        self.assertTrue(ready)
        self.assertEqual(peer.recv(100), b"answer")

    def test_receive_timeouts(self):
        """timeout_ms 0 does not wait (EAGAIN); 1000 waits about a second
        and fails with ETIMEDOUT (Gerbil's 1.0 s receive timeout)."""
        self.start()
        c = self.client()
        h = self.open(c, "inet", "dgram", bind=inet(DAEMON_V4))
        t = time.monotonic()
        err(c.call("recv", handle=h), "EAGAIN")
        self.assertLess(time.monotonic() - t, 0.5)
        t = time.monotonic()
        resp = err(c.call("recvfrom", handle=h, timeout_ms=1000),
                   "ETIMEDOUT")
        elapsed = time.monotonic() - t
        self.assertGreaterEqual(elapsed, 0.95)
        self.assertLess(elapsed, 2.5)
        self.assertIn(f"handle {h}", resp["error"]["message"])
        # The connection still answers in order afterwards.
        ok(c.call("ping"))

    def test_open_refuses_bad_arguments(self):
        """CLISP: an invalid domain, type or protocol is a clear argument
        error naming the field; so is an unknown parameter."""
        self.start()
        c = self.client()
        err(c.call("open", domain="nosuchdomain", type="dgram"),
            "bad_request", names="domain")
        err(c.call("open", domain="inet", type="nosuchtype"),
            "bad_request", names="type")
        err(c.call("open", domain="inet", type="raw",
                   protocol="nosuchprotocol"), "bad_request",
            names="protocol")
        err(c.call("open", domain="inet", type="dgram", filtr="udp"),
            "bad_request", names="filtr")
        err(c.call("open", type="dgram"), "bad_request", names="domain")

    def test_open_applies_options(self):
        """open's options list is applied before the handle is given
        (CLISP: set options from a list)."""
        self.start()
        c = self.client()
        h = self.open(c, "inet", "dgram", options=[
            {"level": "SOL_SOCKET", "option": "SO_RCVBUF", "value": 65536},
            {"level": "IPPROTO_IP", "option": "IP_TTL", "value": 42}])
        self.assertGreaterEqual(ok(c.call(
            "getsockopt", handle=h, level="SOL_SOCKET",
            option="SO_RCVBUF"))["value"], 65536)
        self.assertEqual(ok(c.call("getsockopt", handle=h, level="ip",
                                   option="IP_TTL"))["value"], 42)
        err(c.call("open", domain="inet", type="dgram", options=[
            {"level": "SOL_SOCKET", "option": "SO_TYPE", "value": 1}]),
            "bad_request", names="get-only")


# --------------------------------------------------------------------------
# Socket options, table-driven
#
# The option table is read from proto/SOCKOPTS.md (what the daemon
# documents); the test checks that it covers the seed's defsockopt table,
# then drives every entry by its get/set/flags columns, with the values
# below. Every readable and settable entry must have a round-trip value
# here (test_option_values_cover_the_table), so a new table entry without
# a test fails.

SOCKOPTS_MD = os.path.join(REPO, "proto", "SOCKOPTS.md")
NONE = "\u2014"  # SOCKOPTS.md's "no such operation"

# The seed's defsockopt table (Gerbil std/os/socket): level, option, get,
# set ("-" for #f).
SEED_OPTIONS = """
SOL_SOCKET SO_ACCEPTCONN int - | SOL_SOCKET SO_BINDTODEVICE bytes bytes
SOL_SOCKET SO_BROADCAST int int | SOL_SOCKET SO_DEBUG int int
SOL_SOCKET SO_DOMAIN int - | SOL_SOCKET SO_DONTROUTE int int
SOL_SOCKET SO_ERROR int - | SOL_SOCKET SO_KEEPALIVE int int
SOL_SOCKET SO_LINGER linger linger | SOL_SOCKET SO_OOBLINE int int
SOL_SOCKET SO_PASSCRED int int | SOL_SOCKET SO_PEERCRED bytes bytes
SOL_SOCKET SO_PEEK_OFF int int | SOL_SOCKET SO_PROTOCOL int int
SOL_SOCKET SO_RCVBUF int int | SOL_SOCKET SO_SNDBUF int int
SOL_SOCKET SO_RCVLOWAT int int | SOL_SOCKET SO_SNDLOWAT int int
SOL_SOCKET SO_RCVTIMEO tv tv | SOL_SOCKET SO_SNDTIMEO tv tv
SOL_SOCKET SO_REUSEADDR int int | SOL_SOCKET SO_REUSEPORT int int
SOL_SOCKET SO_TYPE int int | SOL_SOCKET SO_TIMESTAMP int int
SOL_SOCKET SO_USELOOPBACK int int
IPPROTO_IP IP_ADD_MEMBERSHIP - mreq | IPPROTO_IP IP_DROP_MEMBERSHIP - mreq
IPPROTO_IP IP_ADD_SOURCE_MEMBERSHIP - mreq-src
IPPROTO_IP IP_DROP_SOURCE_MEMBERSHIP - mreq-src
IPPROTO_IP IP_BLOCK_SOURCE - mreq-src | IPPROTO_IP IP_UNBLOCK_SOURCE - mreq-src
IPPROTO_IP IP_FREEBIND int int | IPPROTO_IP IP_HDRINCL int int
IPPROTO_IP IP_MTU int - | IPPROTO_IP IP_MTU_DISCOVER int int
IPPROTO_IP IP_MULTICAST_ALL int int | IPPROTO_IP IP_MULTICAST_IF - mreq
IPPROTO_IP IP_MULTICAST_LOOP int int | IPPROTO_IP IP_MULTICAST_TTL int int
IPPROTO_IP IP_NODEFRAG int int | IPPROTO_IP IP_OPTIONS bytes bytes
IPPROTO_IP IP_PKTINFO bytes bytes | IPPROTO_IP IP_RECVERR int int
IPPROTO_IP IP_RECVORIGDSTADDR int int | IPPROTO_IP IP_RECVOPTS int int
IPPROTO_IP IP_RECVTOS int int | IPPROTO_IP IP_RECVTTL int int
IPPROTO_IP IP_RETOPTS int int | IPPROTO_IP IP_ROUTER_ALERT int int
IPPROTO_IP IP_TOS int int | IPPROTO_IP IP_TTL int int
IPPROTO_IPV6 IPV6_ADDRFORM - int | IPPROTO_IPV6 IPV6_ADD_MEMBERSHIP - mreq6
IPPROTO_IPV6 IPV6_DROP_MEMBERSHIP - mreq6 | IPPROTO_IPV6 IPV6_MTU int int
IPPROTO_IPV6 IPV6_MTU_DISCOVER int int
IPPROTO_IPV6 IPV6_MULTICAST_HOPS int int
IPPROTO_IPV6 IPV6_MULTICAST_IF int int
IPPROTO_IPV6 IPV6_MULTICAST_LOOP int int
IPPROTO_IPV6 IPV6_RECVPKTINFO int int | IPPROTO_IPV6 IPV6_RTHDR int int
IPPROTO_IPV6 IPV6_AUTHHDR int int | IPPROTO_IPV6 IPV6_DSTOPTS int int
IPPROTO_IPV6 IPV6_HOPOPTS int int | IPPROTO_IPV6 IPV6_FLOWINFO int int
IPPROTO_IPV6 IPV6_HOPLIMIT int int | IPPROTO_IPV6 IPV6_ROUTER_ALERT int int
IPPROTO_IPV6 IPV6_UNICAST_HOPS int int | IPPROTO_IPV6 IPV6_V6ONLY int int
IPPROTO_TCP TCP_CONGESTION - bytes | IPPROTO_TCP TCP_CORK int int
IPPROTO_TCP TCP_DEFER_ACCEPT int int | IPPROTO_TCP TCP_KEEPCNT int int
IPPROTO_TCP TCP_KEEPIDLE int int | IPPROTO_TCP TCP_KEEPINTVL int int
IPPROTO_TCP TCP_MAXSEG int int | IPPROTO_TCP TCP_NODELAY int int
IPPROTO_TCP TCP_SYNCNT int int
"""
# The seed's spelling, and Linux's.
OPTION_ALIASES = {"SO_OOBLINE": "SO_OOBINLINE"}
# Deviations SOCKOPTS.md documents: the seed says set-only, Linux reads it.
DOCUMENTED_READABLE = {"TCP_CONGESTION"}


def seed_options():
    out = []
    for entry in SEED_OPTIONS.replace("\n", "|").split("|"):
        if entry.strip():
            level, name, get, set_ = entry.split()
            out.append((level, name, get, set_))
    return out


def read_option_table(path=SOCKOPTS_MD):
    """{name: (level, get, set, flags)} from SOCKOPTS.md's tables."""
    table, level = {}, None
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for line in lines[:5000]:
        m = re.match(r"### `(\w+)`", line)
        if m:
            level = m.group(1)
            continue
        m = re.match(r"\|\s*`(\w+)`\s*\|([^|]*)\|([^|]*)\|([^|]*)\|", line)
        if m and level is not None:
            flags = {x.strip() for x in m.group(4).split(",") if x.strip()}
            table[m.group(1)] = (level, m.group(2).strip(),
                                 m.group(3).strip(), flags)
    return table


# The sockets the option cases run on (open parameters), and the one each
# level's options are tried on when nothing else is said.
OPT_SOCKETS = {
    "udp": {"domain": "inet", "type": "dgram"},
    "unix": {"domain": "unix", "type": "dgram"},
    "raw4": {"domain": "inet", "type": "raw", "protocol": "icmp"},
    "udp6": {"domain": "inet6", "type": "dgram"},
    "raw6": {"domain": "inet6", "type": "raw", "protocol": "raw"},
    "tcp": {"domain": "inet", "type": "stream"},
    "packet": {"domain": "packet", "type": "raw", "protocol": "all",
               "ifname": "veth0"},
}
LEVEL_SOCKET = {"SOL_SOCKET": "udp", "IPPROTO_IP": "raw4",
                "IPPROTO_IPV6": "udp6", "IPPROTO_TCP": "tcp",
                "SOL_PACKET": "packet"}


def at_least(n):
    return lambda v: isinstance(v, int) and v >= n


# Read-write options: (level, option, socket, value, expected read back).
RW_OPTIONS = [
    ("SOL_SOCKET", "SO_BINDTODEVICE", "udp", "veth0", "veth0"),
    ("SOL_SOCKET", "SO_BINDTODEVICE", "udp", "", ""),
    ("SOL_SOCKET", "SO_BROADCAST", "udp", 1, 1),
    ("SOL_SOCKET", "SO_BROADCAST", "udp", True, 1),
    ("SOL_SOCKET", "SO_REUSEADDR", "udp", False, 0),
    ("SOL_SOCKET", "SO_DONTROUTE", "udp", 1, 1),
    ("SOL_SOCKET", "SO_KEEPALIVE", "tcp", 1, 1),
    ("SOL_SOCKET", "SO_LINGER", "tcp", {"onoff": 1, "linger": 5},
     {"onoff": 1, "linger": 5}),
    ("SOL_SOCKET", "SO_LINGER", "tcp", 7, {"onoff": 1, "linger": 7}),
    ("SOL_SOCKET", "SO_LINGER", "tcp", False, {"onoff": 0, "linger": 0}),
    ("SOL_SOCKET", "SO_OOBLINE", "tcp", 1, 1),
    ("SOL_SOCKET", "SO_OOBINLINE", "tcp", 1, 1),
    ("SOL_SOCKET", "SO_PASSCRED", "unix", 1, 1),
    ("SOL_SOCKET", "SO_PEEK_OFF", "udp", 5, 5),
    ("SOL_SOCKET", "SO_RCVBUF", "udp", 65536, at_least(65536)),
    ("SOL_SOCKET", "SO_SNDBUF", "udp", 65536, at_least(65536)),
    ("SOL_SOCKET", "SO_RCVLOWAT", "udp", 10, 10),
    ("SOL_SOCKET", "SO_RCVTIMEO", "udp", {"sec": 1, "usec": 500000},
     {"sec": 1, "usec": 500000}),
    # Linux keeps timeouts in jiffies: values on a 4 ms grid read back.
    ("SOL_SOCKET", "SO_SNDTIMEO", "udp", 2.5, {"sec": 2, "usec": 500000}),
    ("SOL_SOCKET", "SO_REUSEADDR", "udp", 1, 1),
    ("SOL_SOCKET", "SO_TIMESTAMP", "udp", 1, 1),
    ("SOL_SOCKET", "SO_TIMESTAMPNS", "udp", 1, 1),
    ("SOL_SOCKET", "SO_INCOMING_CPU", "udp", 0, 0),
    ("SOL_SOCKET", "SO_RXQ_OVFL", "udp", 1, 1),
    ("IPPROTO_IP", "IP_FREEBIND", "raw4", 1, 1),
    ("IPPROTO_IP", "IP_HDRINCL", "raw4", 1, 1),
    ("IPPROTO_IP", "IP_MTU_DISCOVER", "raw4", 2, 2),
    ("IPPROTO_IP", "IP_MULTICAST_ALL", "raw4", 0, 0),
    ("IPPROTO_IP", "IP_MULTICAST_LOOP", "raw4", 0, 0),
    ("IPPROTO_IP", "IP_MULTICAST_TTL", "raw4", 5, 5),
    ("IPPROTO_IP", "IP_NODEFRAG", "raw4", 1, 1),
    ("IPPROTO_IP", "IP_PKTINFO", "raw4", 1, 1),
    ("IPPROTO_IP", "IP_RECVERR", "raw4", 1, 1),
    ("IPPROTO_IP", "IP_RECVORIGDSTADDR", "raw4", 1, 1),
    ("IPPROTO_IP", "IP_RECVOPTS", "raw4", 1, 1),
    ("IPPROTO_IP", "IP_RECVTOS", "raw4", 1, 1),
    ("IPPROTO_IP", "IP_RECVTTL", "raw4", 1, 1),
    ("IPPROTO_IP", "IP_RETOPTS", "raw4", 1, 1),
    ("IPPROTO_IP", "IP_TOS", "raw4", 0x10, 0x10),
    ("IPPROTO_IP", "IP_TTL", "raw4", 33, 33),
    ("IPPROTO_IP", "IP_RECVERR_RFC4884", "raw4", 1, 1),
    ("IPPROTO_IPV6", "IPV6_MTU_DISCOVER", "udp6", 2, 2),
    ("IPPROTO_IPV6", "IPV6_MULTICAST_HOPS", "udp6", 5, 5),
    ("IPPROTO_IPV6", "IPV6_MULTICAST_IF", "udp6", 1, 1),
    ("IPPROTO_IPV6", "IPV6_MULTICAST_LOOP", "udp6", 0, 0),
    ("IPPROTO_IPV6", "IPV6_RECVPKTINFO", "udp6", 1, 1),
    ("IPPROTO_IPV6", "IPV6_RTHDR", "udp6", "", ""),
    ("IPPROTO_IPV6", "IPV6_FLOWINFO", "udp6", 1, 1),
    ("IPPROTO_IPV6", "IPV6_UNICAST_HOPS", "udp6", 7, 7),
    ("IPPROTO_IPV6", "IPV6_V6ONLY", "udp6", 1, 1),
    ("IPPROTO_IPV6", "IPV6_TCLASS", "udp6", 0x20, 0x20),
    ("IPPROTO_IPV6", "IPV6_RECVTCLASS", "udp6", 1, 1),
    ("IPPROTO_IPV6", "IPV6_RECVHOPLIMIT", "udp6", 1, 1),
    ("IPPROTO_TCP", "TCP_CORK", "tcp", 1, 1),
    ("IPPROTO_TCP", "TCP_DEFER_ACCEPT", "tcp", 5, at_least(5)),
    ("IPPROTO_TCP", "TCP_KEEPCNT", "tcp", 3, 3),
    ("IPPROTO_TCP", "TCP_KEEPIDLE", "tcp", 30, 30),
    ("IPPROTO_TCP", "TCP_KEEPINTVL", "tcp", 10, 10),
    ("IPPROTO_TCP", "TCP_MAXSEG", "tcp", 1000, 1000),
    ("IPPROTO_TCP", "TCP_NODELAY", "tcp", 1, 1),
    ("IPPROTO_TCP", "TCP_SYNCNT", "tcp", 3, 3),
    ("IPPROTO_TCP", "TCP_USER_TIMEOUT", "tcp", 1000, 1000),
    ("IPPROTO_TCP", "TCP_QUICKACK", "tcp", 0, 0),
    ("IPPROTO_TCP", "TCP_NOTSENT_LOWAT", "tcp", 1000, 1000),
    ("IPPROTO_TCP", "TCP_WINDOW_CLAMP", "tcp", 20000, 20000),
    ("IPPROTO_TCP", "TCP_LINGER2", "tcp", 30, 30),
    ("SOL_PACKET", "PACKET_AUXDATA", "packet", 1, 1),
    ("SOL_PACKET", "PACKET_VERSION", "packet", 1, 1),
    ("SOL_PACKET", "PACKET_IGNORE_OUTGOING", "packet", 1, 1),
    ("SOL_PACKET", "PACKET_ORIGDEV", "packet", 1, 1),
    ("SOL_PACKET", "PACKET_LOSS", "packet", 1, 1),
    ("SOL_PACKET", "PACKET_RESERVE", "packet", 16, 16),
    ("SOL_PACKET", "PACKET_TIMESTAMP", "packet", 1, 1),
]

# Read-write entries Linux refuses on a plain socket, and what Linux 6.1
# answers (passed on as an errno code): (level, option, socket, op, value,
# code).  The test asks this machine's kernel the same question directly
# and expects its answer: Linux 6.18 no longer has IPV6_ADDRFORM at all
# and says ENOPROTOOPT.
KERNEL_REFUSES = [
    ("SOL_SOCKET", "SO_SNDLOWAT", "udp", "set", 5, "ENOPROTOOPT"),
    ("IPPROTO_IPV6", "IPV6_MTU", "udp6", "get", None, "ENOTCONN"),
    ("IPPROTO_IP", "IP_HDRINCL", "udp", "set", 1, "ENOPROTOOPT"),
    ("IPPROTO_IP", "IP_MTU", "raw4", "get", None, "ENOTCONN"),
    ("IPPROTO_IPV6", "IPV6_ADDRFORM", "udp6", "set", 2, "ENOTCONN"),
]
LOCAL_SOCKETS = {"udp": (socket.AF_INET, socket.SOCK_DGRAM, 0),
                 "udp6": (socket.AF_INET6, socket.SOCK_DGRAM, 0),
                 "raw4": (socket.AF_INET, socket.SOCK_RAW,
                          socket.IPPROTO_ICMP)}


def local_refusal(level, option, kind, op, value):
    """The errno name this kernel answers when the test itself (root, in
    its own namespace) does what a KERNEL_REFUSES entry does."""
    lvl = getattr(socket, level)
    # Python lacks these four; their values are <linux/in.h>, <linux/in6.h>.
    opt = {"IPV6_ADDRFORM": 1, "IPV6_ROUTER_ALERT": 22, "IP_MTU": 14,
           "IPV6_MTU": 24}.get(option) or getattr(socket, option)
    with socket.socket(*LOCAL_SOCKETS[kind]) as s:
        try:
            if op == "set":
                s.setsockopt(lvl, opt, value)
            else:
                s.getsockopt(lvl, opt)
        except OSError as e:
            return errno.errorcode[e.errno]
    raise AssertionError(f"{option} {op} on {kind}: this kernel allows it")


# What get-only options read on a fresh socket of their level's kind.
GET_VALUES = {
    "SO_ACCEPTCONN": 0, "SO_DOMAIN": socket.AF_INET, "SO_ERROR": 0,
    "SO_TYPE": socket.SOCK_DGRAM, "SO_PROTOCOL": socket.IPPROTO_UDP,
}

# Values set-only options accept, in this order on one socket per kind (a
# group is joined before its sources are blocked). "$ifindex" is veth0's.
SET_ONLY_VALUES = [
    ("IP_ADD_MEMBERSHIP",
     {"multiaddr": "239.1.1.1", "interface": DAEMON_V4}),
    ("IP_BLOCK_SOURCE", {"multiaddr": "239.1.1.1", "interface": DAEMON_V4,
                         "sourceaddr": PEER_V4}),
    ("IP_UNBLOCK_SOURCE", {"multiaddr": "239.1.1.1",
                           "interface": DAEMON_V4, "sourceaddr": PEER_V4}),
    ("IP_DROP_MEMBERSHIP",
     {"multiaddr": "239.1.1.1", "interface": DAEMON_V4}),
    ("IP_ADD_SOURCE_MEMBERSHIP", {"multiaddr": "232.1.1.1",
                                  "interface": DAEMON_V4,
                                  "sourceaddr": PEER_V4}),
    ("IP_DROP_SOURCE_MEMBERSHIP", {"multiaddr": "232.1.1.1",
                                   "interface": DAEMON_V4,
                                   "sourceaddr": PEER_V4}),
    ("IP_MULTICAST_IF", {"interface": DAEMON_V4}),
    ("IPV6_ADD_MEMBERSHIP", {"multiaddr": "ff02::1:3",
                             "ifindex": "$ifindex"}),
    ("IPV6_DROP_MEMBERSHIP", {"multiaddr": "ff02::1:3",
                              "ifindex": "$ifindex"}),
    ("PACKET_ADD_MEMBERSHIP", {"ifindex": "$ifindex",
                               "type": "PACKET_MR_MULTICAST",
                               "addr": "01:00:5e:00:00:fb"}),
    ("PACKET_DROP_MEMBERSHIP", {"ifindex": "$ifindex",
                                "type": "PACKET_MR_MULTICAST",
                                "addr": "01:00:5e:00:00:fb"}),
    ("IPV6_ADDRFORM", None),  # needs a connected socket: KERNEL_REFUSES
]
SET_ONLY_SOCKET = {"IP_MULTICAST_IF": "udp"}

# Privileged options: a value root may set and what it reads back (None:
# not compared). uid 4242 is denied every privileged entry of the table.
PRIVILEGED = {
    "SO_MARK": ("udp", 1, 1),
    "SO_PRIORITY": ("udp", 7, 7),
    "SO_DEBUG": ("udp", 1, 1),
    "SO_RCVBUFFORCE": ("udp", 100000, None),
    "SO_SNDBUFFORCE": ("udp", 100000, None),
    "SO_BUSY_POLL": ("udp", 1, 1),
    "IP_OPTIONS": ("raw4", "", ""),
    "IP_TRANSPARENT": ("raw4", 1, 1),
    "IPV6_DSTOPTS": ("udp6", "", ""),
    "IPV6_HOPOPTS": ("udp6", "", ""),
    "IPV6_TRANSPARENT": ("udp6", 1, 1),
    "TCP_CONGESTION": ("tcp", "reno", "reno"),
    "SO_REUSEPORT": ("udp", 1, 1),
    "PACKET_QDISC_BYPASS": ("packet", 1, 1),
    "PACKET_FANOUT": ("packet", 42, 42),
    "IP_ROUTER_ALERT": ("raw4", 1, 1),
    "IPV6_ROUTER_ALERT": ("raw6", 0, None),
}


class OptionTests(SocketTestCase):
    """Each case runs on a fresh socket of its kind, closed afterwards."""

    @classmethod
    def setUpClass(cls):
        cls.table = read_option_table()

    def with_socket(self, c, kind, fn):
        params = dict(OPT_SOCKETS[kind])
        if "ifname" in params:
            params["ifname"] = self.ns.ifname
        h = ok(c.call("open", **params))["handle"]
        try:
            return fn(h)
        finally:
            ok(c.call("close", handle=h))

    def get(self, c, h, level, option):
        return c.call("getsockopt", handle=h, level=level, option=option)

    def set(self, c, h, level, option, value):
        return c.call("setsockopt", handle=h, level=level, option=option,
                      value=value)

    def check_value(self, got, expected, what):
        if callable(expected):
            self.assertTrue(expected(got), f"{what}: read back {got!r}")
        else:
            self.assertEqual(got, expected, what)

    def entries(self, predicate):
        return [(name, level, get, set_, flags) for name, (
            level, get, set_, flags) in sorted(self.table.items())
            if predicate(get, set_, flags)]

    def test_option_table_covers_the_seed(self):
        """SOCKOPTS.md lists every option of the seed's table at its level,
        and the seed's get-only ones stay get-only (the contract)."""
        self.assertGreater(len(self.table), 80, "SOCKOPTS.md not parsed")
        for level, name, get, set_ in seed_options():
            with self.subTest(option=name):
                entry = self.table.get(OPTION_ALIASES.get(name, name))
                self.assertIsNotNone(entry, f"{name} missing")
                self.assertEqual(entry[0], level)
                if set_ == "-":
                    self.assertEqual(entry[2], NONE, f"{name} settable")
                if get == "-" and name not in DOCUMENTED_READABLE:
                    self.assertEqual(entry[1], NONE, f"{name} readable")

    def test_option_values_cover_the_table(self):
        """Every entry of the table has a case in this file."""
        rw = {o for _, o, _, _, _ in RW_OPTIONS}
        refused = {o for _, o, _, _, _, _ in KERNEL_REFUSES}
        set_only = {o for o, _ in SET_ONLY_VALUES}
        for name, level, get, set_, flags in self.entries(
                lambda g, s, f: True):
            with self.subTest(option=name):
                if "unsupported" in flags:
                    continue
                if "privileged" in flags:
                    self.assertIn(name, PRIVILEGED)
                elif get != NONE and set_ != NONE:
                    self.assertIn(name, rw | refused)
                elif get == NONE:
                    self.assertIn(name, set_only)

    def test_read_write_options(self):
        """Settable options read back what was set (booleans as 1/0,
        buffer sizes at least what was asked)."""
        self.start()
        c = self.client()
        for level, option, kind, value, expected in RW_OPTIONS:
            with self.subTest(option=option, value=value):
                def case(h):
                    ok(self.set(c, h, level, option, value))
                    got = ok(self.get(c, h, level, option))["value"]
                    self.check_value(got, expected, option)
                self.with_socket(c, kind, case)

    def test_get_only_options(self):
        """Get-only options read, and refuse set with bad_request naming
        get-only; SO_PEERCRED and PACKET_STATISTICS decode as objects."""
        self.start()
        c = self.client()
        for name, level, get, set_, flags in self.entries(
                lambda g, s, f: s == NONE and g != NONE):
            with self.subTest(option=name):
                def case(h):
                    resp = self.get(c, h, level, name)
                    if name in GET_VALUES:
                        self.assertEqual(ok(resp)["value"], GET_VALUES[name])
                    elif not resp["ok"]:
                        self.assertTrue(resp["error"]["code"].startswith(
                            "E"), f"a get-only option unreadable: {resp}")
                    err(self.set(c, h, level, name, 1), "bad_request",
                        names="get-only")
                self.with_socket(c, LEVEL_SOCKET[level], case)
        h = self.open(c, "inet", "dgram")
        cred = ok(self.get(c, h, "SOL_SOCKET", "SO_PEERCRED"))["value"]
        self.assertEqual(set(cred), {"pid", "uid", "gid"})
        h = self.open_packet(c)
        st = ok(self.get(c, h, "SOL_PACKET", "PACKET_STATISTICS"))["value"]
        self.assertEqual(set(st), {"packets", "drops"})

    def test_set_only_options(self):
        """Set-only options take their typed values, and refuse get with
        bad_request (Gerbil: memberships, IP_MULTICAST_IF, IPV6_ADDRFORM;
        TCP_CONGESTION is readable, a deviation SOCKOPTS.md documents)."""
        self.start()
        c = self.client()
        ifindex = self.ns.ifindex()
        handles = {}
        for kind in ("udp", "udp6", "packet"):
            params = dict(OPT_SOCKETS[kind])
            if "ifname" in params:
                params["ifname"] = self.ns.ifname
            handles[kind] = ok(c.call("open", **params))["handle"]
        ok(c.call("bind", handle=handles["udp"], address=inet("0.0.0.0")))
        kinds = dict(LEVEL_SOCKET, IPPROTO_IP="udp")
        for option, value in SET_ONLY_VALUES:
            with self.subTest(option=option):
                level = self.table[option][0]
                h = handles[kinds[level]]
                if isinstance(value, dict) and "ifindex" in value:
                    value = dict(value, ifindex=ifindex)
                if value is not None:
                    ok(self.set(c, h, level, option, value))
                err(self.get(c, h, level, option), "bad_request",
                    names="no get operation")

    def test_unsupported_options(self):
        """Options Linux does not have answer ENOPROTOOPT both ways."""
        self.start()
        c = self.client()
        entries = self.entries(lambda g, s, f: "unsupported" in f)
        self.assertTrue(entries)
        for name, level, get, set_, flags in entries:
            with self.subTest(option=name):
                def case(h):
                    err(self.get(c, h, level, name), "ENOPROTOOPT")
                    err(self.set(c, h, level, name, 1), "ENOPROTOOPT")
                self.with_socket(c, LEVEL_SOCKET[level], case)

    def test_gerbil_option_typing_errors(self):
        """Typed values are checked: a string for an int option, a linger
        without its fields, a timeout object with a bad usec."""
        self.start()
        c = self.client()
        h = self.open(c, "inet", "stream")
        err(self.set(c, h, "SOL_SOCKET", "SO_KEEPALIVE", "yes"),
            "bad_request", names="value")
        err(self.set(c, h, "SOL_SOCKET", "SO_LINGER", {"onoff": 1}),
            "bad_request", names="linger")
        err(self.set(c, h, "SOL_SOCKET", "SO_RCVTIMEO",
                     {"sec": 1, "usec": 1000000}), "bad_request",
            names="usec")
        err(self.set(c, h, "IPPROTO_IP", "IP_ADD_MEMBERSHIP",
                     {"multiaddr": "not-an-address"}), "bad_request",
            names="multiaddr")

    def test_all_options_at_once(self):
        """CLISP: every SOL_SOCKET option at once, and every level at once
        (a larger map that also has the IP options)."""
        self.start()
        c = self.client()
        h = self.open(c, "inet", "dgram")
        sol = ok(c.call("getsockopt", handle=h, level="SOL_SOCKET",
                        option="all"))["options"]
        self.assertEqual(sol.get("SO_TYPE"), socket.SOCK_DGRAM, sol)
        self.assertIsInstance(sol.get("SO_RCVBUF"), int, sol)
        self.assertTrue(all(k.startswith("SO_") for k in sol), sol)
        every = ok(c.call("getsockopt", handle=h, level="all",
                          option="all"))["options"]
        self.assertGreater(len(every), len(sol))
        self.assertEqual(every.get("IP_TTL"), 64, every)
        for k, v in sol.items():
            if k not in ("SO_INCOMING_CPU",):
                self.assertEqual(every.get(k), v, k)

    def so_debug_off(self, c):
        h = self.open(c, "inet", "dgram")
        ok(self.set(c, h, "SOL_SOCKET", "SO_DEBUG", 1 if c is self.root
                    else 0))
        ok(self.set(c, h, "SOL_SOCKET", "SO_DEBUG", 0))
        self.assertEqual(ok(self.get(c, h, "SOL_SOCKET",
                                     "SO_DEBUG"))["value"], 0)

    def test_so_debug_off_reads_back_off(self):
        """CLISP: setting SO_DEBUG off reads back off (root)."""
        self.start()
        self.root = self.root_client()
        self.so_debug_off(self.root)

    def test_so_debug_off_unprivileged(self):
        """Turning SO_DEBUG off needs no capability (only turning it on
        does), so uid 4242 may do it too."""
        self.start()
        self.root = None
        self.so_debug_off(self.client())

    def test_three_distinct_option_errors(self):
        """Gerbil: unknown level, unknown option and no get operation are
        three distinct bad_request errors."""
        self.start()
        c = self.client()
        h = self.open(c, "inet", "dgram")
        e1 = err(self.get(c, h, 12345, "SO_TYPE"), "bad_request")
        e2 = err(self.get(c, h, "SOL_SOCKET", 12345), "bad_request")
        e3 = err(self.get(c, h, "IPPROTO_IP", "IP_ADD_MEMBERSHIP"),
                 "bad_request")
        msgs = [e["error"]["message"].lower() for e in (e1, e2, e3)]
        self.assertIn("unknown socket level", msgs[0])
        self.assertIn("unknown socket option", msgs[1])
        self.assertIn("no get operation", msgs[2])
        self.assertEqual(len(set(msgs)), 3, msgs)
        err(self.set(c, h, "bogus_level", "SO_TYPE", 1), "bad_request",
            names="unknown socket level")
        err(self.set(c, h, "SOL_SOCKET", "SO_NOSUCH", 1), "bad_request",
            names="unknown socket option")

    def test_kernel_refusals_pass_through(self):
        """What Linux refuses comes back as its errno name and number."""
        self.start()
        c = self.client()
        for level, option, kind, op, value, code in KERNEL_REFUSES:
            code = local_refusal(level, option, kind, op, value)
            with self.subTest(option=option, op=op, code=code):
                def case(h):
                    if op == "set":
                        resp = self.set(c, h, level, option, value)
                    else:
                        resp = self.get(c, h, level, option)
                    err(resp, code)
                    self.assertIsInstance(resp["error"].get("errno"), int)
                self.with_socket(c, kind, case)
        h = self.open(c, "inet6", "dgram")
        ok(self.set(c, h, "IPPROTO_IPV6", "IPV6_MTU", 1400))

    def test_privileged_options(self):
        """Every privileged option is denied to uid 4242 and works for
        root (SO_MARK, SO_PRIORITY 7, ...)."""
        self.start()
        c = self.client()
        root = self.root_client()
        entries = self.entries(lambda g, s, f: "privileged" in f)
        self.assertIn("SO_MARK", [e[0] for e in entries])
        for name, level, get, set_, flags in entries:
            kind, value, expected = PRIVILEGED[name]
            with self.subTest(option=name, uid=TEST_UID):
                self.with_socket(c, kind, lambda h: err(
                    self.set(c, h, level, name, value), "denied",
                    names=name))
            with self.subTest(option=name, uid=0):
                def case(h):
                    ok(self.set(root, h, level, name, value))
                    if expected is not None:
                        got = ok(self.get(root, h, level, name))["value"]
                        self.assertEqual(got, expected)
                self.with_socket(root, kind, case)


    def test_promiscuous_membership_needs_configdev(self):
        """A packet membership that changes the interface for everyone
        (promiscuous, all-multicast) is configdev's: denied to uid 4242,
        whose rule lacks it, and done for root; multicast is anyone's."""
        self.start()
        c = self.client()
        root = self.root_client()
        for mr in ("PACKET_MR_PROMISC", "PACKET_MR_ALLMULTI"):
            value = {"ifname": self.ns.ifname, "type": mr}
            with self.subTest(type=mr):
                self.with_socket(c, "packet", lambda h: err(
                    self.set(c, h, "SOL_PACKET", "PACKET_ADD_MEMBERSHIP",
                             value), "denied", names="configdev"))
                self.with_socket(root, "packet", lambda h: ok(
                    self.set(root, h, "SOL_PACKET",
                             "PACKET_ADD_MEMBERSHIP", value)))


# --------------------------------------------------------------------------
# Filters


def frames_udp_dports(frames):
    return [p[1] for p in map(udp_ports, frames) if p is not None]


class FilterTests(SocketTestCase):

    def send_udp(self, peer, dport, payloads):
        for p in payloads:
            peer.sendto(p, (DAEMON_V4, dport))

    def test_attach_detach_lock(self):
        """A pcap filter keeps non-matching frames away, those queued
        before it too (discarded, as libpcap does), detach lets them in
        again, and a locked filter cannot be detached (EPERM)."""
        self.start()
        c = self.client()
        h = self.open_packet(c)
        peer = self.peer_udp()
        self.send_udp(peer, 8888, [b"queued%d" % i for i in range(3)])
        time.sleep(0.1)
        resp = ok(c.call("attach_filter", handle=h,
                         filter="udp dst port 7777"))
        self.assertIsInstance(resp["instructions"], int)
        self.assertGreater(resp["instructions"], 1)
        for i in range(5):
            self.send_udp(peer, 8888, [b"other%d" % i])
            self.send_udp(peer, 7777, [b"match%d" % i])
        got = drain(c, h)
        dports = frames_udp_dports(got)
        self.assertEqual(len(got), len(dports),
                         "a frame other than UDP passed the filter")
        self.assertEqual(set(dports), {7777}, dports)
        self.assertEqual(sorted(udp_payload(f) for f in got),
                         [b"match%d" % i for i in range(5)])
        ok(c.call("detach_filter", handle=h))
        self.send_udp(peer, 8888, [b"after-detach"])
        self.assertIsNotNone(recv_until(
            c, h, lambda f: udp_ports(f) == (peer.getsockname()[1], 8888)),
            "detach did not let other frames in")
        ok(c.call("attach_filter", handle=h, filter="udp dst port 7777",
                  lock=True))
        err(c.call("detach_filter", handle=h), "EPERM")
        err(c.call("attach_filter", handle=h, filter="udp"), "EPERM")

    def test_filter_at_open_and_bad_filter(self):
        """open's filter applies from the start; a bad expression is a
        bad_request; a filter on a UDP socket is refused."""
        self.start()
        c = self.client()
        h = self.open_packet(c, filter="udp dst port 7777")
        peer = self.peer_udp()
        self.send_udp(peer, 8888, [b"no"] * 3)
        self.send_udp(peer, 7777, [b"yes"])
        got = drain(c, h)
        self.assertEqual([udp_payload(f) for f in got], [b"yes"])
        err(c.call("open", domain="packet", type="raw", protocol="all",
                   ifname=self.ns.ifname, filter="udp port port"),
            "bad_request", names="filter")
        err(c.call("open", domain="inet", type="dgram", filter="udp"),
            "bad_request", names="filter")


# --------------------------------------------------------------------------
# Policy


class PolicyTests(SocketTestCase):

    def test_spoof_holes_of_dgram_and_encapsulation(self):
        """spoof: false on a dgram packet socket: a sendto with protocol 0
        goes out as ethertype 0, so that is what the rule and the check
        see (an IPv4 source under LLC/SNAP behind it is looked at); an ARP
        packet's sender MAC must be the interface's; frames that wrap
        Ethernet (802.1ah, 0x6558, old QinQ) are refused on a raw socket;
        an IPv4 address under a label ("veth0:9") is the interface's."""
        allow = dict(CONFINED_ALLOW, types=["raw", "dgram"],
                     protocols=["*"], max_sockets=8)
        self.start(policy={"rules": [{"match": {"uid": CONFINED_UID},
                                      "allow": allow}]})
        self.ns.ip("addr", "add", "198.18.0.50/24", "dev", self.ns.ifname,
                   "label", f"{self.ns.ifname}:9")
        c = self.client(CONFINED_UID)
        sniff = self.peer_packet()
        mine, peer = self.macs()
        to = {"family": "packet", "ifname": self.ns.ifname,
              "addr": peer}
        d = self.open(c, "packet", "dgram", protocol="ip",
                      ifname=self.ns.ifname)

        def ipv4(src):
            ip = bytearray(20)
            ip[0], ip[12:16] = 0x45, socket.inet_aton(src)
            return bytes(ip)

        snap = b"\xaa\xaa\x03\0\0\0\x08\x00" + ipv4("203.0.113.66")
        err(c.call("sendto", handle=d, data=b64(snap),
                   address=dict(to, protocol=0)), "denied", names="spoof")
        self.assertEqual(ok(c.call("sendto", handle=d,
                                   data=b64(ipv4("198.18.0.50")),
                                   address=dict(to, protocol="ip")))["sent"],
                         20)
        a = self.open(c, "packet", "dgram", protocol="arp",
                      ifname=self.ns.ifname)

        def arp(sender_mac):
            return (struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, 2) +
                    mac_bytes(sender_mac) + socket.inet_aton(DAEMON_V4) +
                    mac_bytes(peer) + socket.inet_aton(PEER_V4))

        arp_to = dict(to, protocol="arp")
        err(c.call("sendto", handle=a, data=b64(arp(FOREIGN_MAC)),
                   address=arp_to), "denied", names="ARP sender MAC")
        odd = bytearray(arp(mine))
        odd[5] = 16     # protocol length of IPv6: another layout
        err(c.call("sendto", handle=a, data=b64(bytes(odd)),
                   address=arp_to), "denied", names="ARP")
        ok(c.call("sendto", handle=a, data=b64(arp(mine)), address=arp_to))
        r = self.open(c, "packet", "raw", protocol="all",
                      ifname=self.ns.ifname)
        inner = mac_bytes(peer) + mac_bytes(FOREIGN_MAC) + b"\x08\x00" + \
            ipv4("203.0.113.66")
        for et in (0x88E7, 0x6558, 0x9100):
            with self.subTest(ethertype=hex(et)):
                frame = mac_bytes(peer) + mac_bytes(mine) + \
                    struct.pack("!H", et) + bytes(4) + inner
                err(c.call("send", handle=r, data=b64(frame)), "denied",
                    names="spoof")
        self.assertIsNone(wait_frame(
            sniff, lambda f: b"\xcb\x00\x71\x42" in f or
            mac_bytes(FOREIGN_MAC) in f, timeout=0.3),
            "a spoofed frame went out")

    def test_spoof_checks_neighbor_discovery(self):
        """spoof: false reads neighbor discovery as it reads ARP: an
        advertisement for another's address, or a link-layer address
        option with another MAC, is refused, as is a Mobile IPv6 home
        address option (it names another source); an advertisement of
        the interface's own address and MAC goes out."""
        allow = dict(CONFINED_ALLOW, max_sockets=8)
        self.start(policy={"rules": [{"match": {"uid": CONFINED_UID},
                                      "allow": allow}]})
        c = self.client(CONFINED_UID)
        sniff = self.peer_packet()
        mine, peer = self.macs()
        h = self.open(c, "packet", "raw", protocol="all",
                      ifname=self.ns.ifname)

        def v6(payload, nxt=58):
            return (mac_bytes(peer) + mac_bytes(mine) + b"\x86\xdd" +
                    struct.pack("!IHBB", 6 << 28, len(payload), nxt, 255) +
                    socket.inet_pton(socket.AF_INET6, DAEMON_V6) +
                    socket.inet_pton(socket.AF_INET6, PEER_V6) + payload)

        def na(target, lla):
            return (struct.pack("!BBHI", 136, 0, 0, 0x60000000) +
                    socket.inet_pton(socket.AF_INET6, target) +
                    b"\x02\x01" + mac_bytes(lla))

        ns_ = (struct.pack("!BBHI", 135, 0, 0, 0) +
               socket.inet_pton(socket.AF_INET6, PEER_V6) + b"\x01\x01" +
               mac_bytes(FOREIGN_MAC))
        hao = (b"\x3b\x02" + b"\xc9\x10" +
               socket.inet_pton(socket.AF_INET6, "2001:db8::99") +
               b"\x01\x02\0\0")
        for what, frame in (
                ("another's address", v6(na(PEER_V6, mine))),
                ("another MAC", v6(na(DAEMON_V6, FOREIGN_MAC))),
                ("a solicitation's MAC", v6(ns_)),
                ("a home address", v6(hao, nxt=60))):
            with self.subTest(what=what):
                err(c.call("send", handle=h, data=b64(frame)), "denied",
                    names="spoof")
        good = v6(na(DAEMON_V6, mine))
        ok(c.call("send", handle=h, data=b64(good)))
        self.assertEqual(wait_frame(sniff, lambda f: f == good), good)
        self.assertIsNone(wait_frame(
            sniff, lambda f: mac_bytes(FOREIGN_MAC) in f or
            socket.inet_pton(socket.AF_INET6, "2001:db8::99") in f,
            timeout=0.3), "a spoofed frame went out")

    def test_alternative_names_are_seen_through(self):
        """The kernel takes an interface's alternative name wherever it
        takes a name: lo given "vethlo" as one is still lo to a rule of
        "veth*" (open's ifname, SO_BINDTODEVICE, a packet membership,
        configdev), and veth0 by an alternative name is still veth0."""
        allow = dict(MAIN_ALLOW, interfaces=["veth*"], configdev=True)
        self.start_rule(allow)
        self.ns.ip("link", "property", "add", "dev", "lo", "altname",
                   "vethlo")
        self.ns.ip("link", "property", "add", "dev", self.ns.ifname,
                   "altname", "rsalt0")
        c = self.client()
        err(c.call("open", domain="inet", type="raw", protocol="icmp",
                   ifname="vethlo"), "denied", names="lo")
        err(c.call("open", domain="packet", type="raw", protocol="all",
                   ifname="vethlo"), "denied", names="lo")
        h = self.open(c, "inet", "dgram")
        err(c.call("setsockopt", handle=h, level="socket",
                   option="SO_BINDTODEVICE", value="vethlo"), "denied",
            names="lo")
        p = self.open(c, "packet", "raw", protocol="all",
                      ifname=self.ns.ifname)
        err(c.call("setsockopt", handle=p, level="packet",
                   option="PACKET_ADD_MEMBERSHIP",
                   value={"ifname": "vethlo", "type": "PACKET_MR_PROMISC"}),
            "denied", names="lo")
        err(c.call("configdev", ifname="vethlo", promisc=True), "denied",
            names="lo")
        ok(c.call("setsockopt", handle=h, level="socket",
                  option="SO_BINDTODEVICE", value="rsalt0"))
        self.assertEqual(ok(c.call("getsockopt", handle=h, level="socket",
                                   option="SO_BINDTODEVICE"))["value"],
                         self.ns.ifname)

    def test_no_rule_is_denied(self):
        """uid 4244 matches no rule: open is denied by default deny."""
        self.start()
        c = self.client(OTHER_UID)
        for domain, type in (("packet", "raw"), ("inet", "dgram"),
                             ("inet", "stream")):
            with self.subTest(domain=domain, type=type):
                err(c.call("open", domain=domain, type=type,
                           ifname=self.ns.ifname), "denied",
                    names="default deny")

    def test_confined_rule(self):
        """uid 4243 (packet raw on veth0 only, no pass, no spoof, two
        sockets): pass, another interface and no interface are denied; a
        frame with a foreign source MAC is denied while one with veth0's
        own goes out; a third socket is over quota."""
        self.start()
        c = self.client(CONFINED_UID)
        sniff = self.peer_packet()
        mine, peer = self.macs()
        base = {"domain": "packet", "type": "raw", "protocol": "all"}
        err(c.call("open", ifname=self.ns.ifname, **base,
                   **{"pass": True}), "denied", names="pass")
        err(c.call("open", ifname="lo", **base), "denied", names="lo")
        err(c.call("open", **base), "denied")
        err(c.call("open", domain="inet", type="dgram"), "denied")
        h = ok(c.call("open", ifname=self.ns.ifname, **base))["handle"]
        err(c.call("pass", handle=h), "denied", names="pass")
        # ifindex 0 rebinds a packet socket to every interface.
        err(c.call("bind", handle=h, address={"family": "packet"}),
            "denied", names="every interface")
        err(c.call("bind", handle=h, address={"family": "packet",
                                              "ifname": "lo"}),
            "denied", names="lo")
        ok(c.call("bind", handle=h, address={"family": "packet",
                                             "ifname": self.ns.ifname}))
        foreign = tagged_frame(peer, FOREIGN_MAC, b"spoofed")
        err(c.call("send", handle=h, data=b64(foreign)), "denied",
            names="spoof")
        err(c.call("sendmsg", handle=h, iov=[b64(foreign)]), "denied",
            names="spoof")
        # A foreign source IP behind our own MAC, in a VLAN tag or under
        # LLC/SNAP, is looked for; MPLS and PPPoE are not looked into.
        ip = bytearray(20)
        ip[0], ip[12:16] = 0x45, socket.inet_aton("198.18.0.77")
        for inner in (b"\x81\x00\x00\x05\x08\x00" + ip,
                      struct.pack("!H", 28) + b"\xaa\xaa\x03\0\0\0"
                      b"\x08\x00" + ip,
                      b"\x88\x47\x00\x01\x01\x40" + ip,
                      b"\x88\x64" + bytes(8) + ip):
            with self.subTest(ethertype=inner[:2].hex()):
                frame = mac_bytes(peer) + mac_bytes(mine) + inner
                err(c.call("send", handle=h, data=b64(frame)), "denied",
                    names="spoof")
        own = tagged_frame(peer, mine, b"own-mac")
        err(c.call("sendto", handle=h, data=b64(own),
                   address={"family": "packet", "ifname": "lo"}),
            "denied", names="lo")
        self.assertEqual(ok(c.call("send", handle=h, data=b64(own)))["sent"],
                         len(own))
        self.assertEqual(wait_frame(sniff, lambda f: f == own), own)
        self.assertIsNone(wait_frame(
            sniff, lambda f: b"spoofed" in f, timeout=0.3),
            "a spoofed frame went out")
        ok(c.call("open", ifname=self.ns.ifname, **base))
        err(c.call("open", ifname=self.ns.ifname, **base), "quota")
        # The quota is per uid, across connections.
        c2 = self.client(CONFINED_UID)
        err(c2.call("open", ifname=self.ns.ifname, **base), "quota")
        ok(c.call("close", handle=h))
        ok(c2.call("open", ifname=self.ns.ifname, **base))

    def test_policy_filter_keeps_a_socket_on_one_link_type(self):
        """A rule with a filter and every interface: the filter is
        compiled for one link type, so a packet raw socket that has it
        is bound to an interface and stays on ones of that type: open
        without ifname and bind to all (ifindex 0) are denied; lo (an
        ethernet header too) and a cooked (dgram) socket are fine."""
        self.start_rule(dict(MAIN_ALLOW, filter="not udp port 9"))
        ifname = self.daemon.netns.ifname
        c = self.client()
        base = {"domain": "packet", "type": "raw", "protocol": "all"}
        err(c.call("open", **base), "denied", names="ifname")
        h = ok(c.call("open", ifname=ifname, **base))["handle"]
        err(c.call("bind", handle=h, address={"family": "packet"}),
            "denied", names="ifname")
        ok(c.call("bind", handle=h, address={"family": "packet",
                                             "ifname": "lo"}))
        ok(c.call("open", domain="packet", type="dgram", protocol="all"))

    def test_ipv6_scope_must_be_an_allowed_interface(self):
        """An IPv6 scope picks the interface a datagram leaves by, ahead
        of the socket's own: under a rule for veth0 alone, a scope naming
        lo is denied, veth0's goes."""
        self.start_rule({"domains": ["inet6"], "types": ["dgram"],
                         "protocols": ["*"],
                         "interfaces": ["veth0"]})
        ifname = self.daemon.netns.ifname
        c = self.client()
        h = ok(c.call("open", domain="inet6", type="dgram",
                      ifname=ifname))["handle"]
        data = b64(b"scoped")
        err(c.call("sendto", handle=h, data=data, address={
            "family": "inet6", "host": "ff02::1", "port": 9,
            "scope_id": "lo"}), "denied", names="lo")
        ok(c.call("sendto", handle=h, data=data, address={
            "family": "inet6", "host": "ff02::1", "port": 9,
            "scope_id": ifname}))

    def test_pktinfo_interface_must_be_allowed(self):
        """IP_PKTINFO (spoof: true) may pick the interface a datagram
        leaves by: under a rule for veth0 alone, one naming lo (index 1)
        is denied, one naming none goes; two pktinfos are refused."""
        self.start_rule({"domains": ["inet"], "types": ["dgram"],
                         "protocols": ["*"], "interfaces": ["veth0"],
                         "spoof": True})
        c = self.client()
        h = ok(c.call("open", domain="inet", type="dgram",
                      ifname="veth0"))["handle"]
        to = {"family": "inet", "host": PEER_V4, "port": 9}

        def pktinfo(ifindex):
            return {"level": "IPPROTO_IP", "type": "IP_PKTINFO",
                    "data": b64(struct.pack("=i4s4s", ifindex, bytes(4),
                                            bytes(4)))}
        iov = [b64(b"pktinfo")]
        err(c.call("sendmsg", handle=h, iov=iov, address=to,
                   control=[pktinfo(1)]), "denied", names="lo")
        err(c.call("sendmsg", handle=h, iov=iov, address=to,
                   control=[pktinfo(0), pktinfo(0)]), "bad_request",
            names="pktinfo")
        ok(c.call("sendmsg", handle=h, iov=iov, address=to,
                  control=[pktinfo(0)]))

    def test_spoof_check_follows_bindtodevice(self):
        """spoof: false on an IPPROTO_RAW socket checks a header's source
        against the interface the socket is on, SO_BINDTODEVICE's once
        set: moved from veth0 to lo, 127.0.0.1 goes and veth0's address
        is denied."""
        self.start_rule({"domains": ["inet"], "types": ["raw"],
                         "protocols": ["*"], "interfaces": ["*"],
                         "spoof": False})
        c = self.client()
        h = ok(c.call("open", domain="inet", type="raw", protocol="raw",
                      ifname="veth0"))["handle"]

        def header(src, dst):
            ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20, 0, 0,
                                       64, 253, 0, socket.inet_aton(src),
                                       socket.inet_aton(dst)))
            return b64(bytes(ip))
        to = {"family": "inet", "host": "127.0.0.1"}
        ok(c.call("setsockopt", handle=h, level="SOL_SOCKET",
                  option="SO_BINDTODEVICE", value="lo"))
        ok(c.call("sendto", handle=h, data=header("127.0.0.1", "127.0.0.1"),
                  address=to))
        err(c.call("sendto", handle=h, data=header(DAEMON_V4, "127.0.0.1"),
                   address=to), "denied", names="spoof")
        # Bound by open's own options, without ifname: the same.
        h = ok(c.call("open", domain="inet", type="raw", protocol="raw",
                      options=[{"level": "SOL_SOCKET",
                                "option": "SO_BINDTODEVICE",
                                "value": "lo"}]))["handle"]
        err(c.call("sendto", handle=h, data=header(DAEMON_V4, "127.0.0.1"),
                   address=to), "denied", names="spoof")
        ok(c.call("sendto", handle=h, data=header("127.0.0.1", "127.0.0.1"),
                  address=to))

    def test_spoof_off_binds_raw_sockets_to_their_interface(self):
        """spoof: false: a raw IP socket on veth0 may be bound to veth0's
        address (or none), not to another interface's: the bound address
        is the source of every packet it sends, as a header's is (bind and
        open's bind alike; IPv4 and IPv6)."""
        self.start_rule({"domains": ["inet", "inet6"], "types": ["raw"],
                         "protocols": ["*"], "interfaces": ["*"],
                         "spoof": False})
        c = self.client()
        for family, own, other in (("inet", DAEMON_V4, "127.0.0.1"),
                                   ("inet6", DAEMON_V6, "::1")):
            with self.subTest(family=family):
                h = ok(c.call("open", domain=family, type="raw",
                              protocol="icmp" if family == "inet" else
                              "ipv6-icmp", ifname="veth0"))["handle"]
                addr = {"family": family, "host": other}
                err(c.call("bind", handle=h, address=addr), "denied",
                    names="spoof")
                ok(c.call("bind", handle=h,
                          address={"family": family, "host": own}))
                err(c.call("open", domain=family, type="raw",
                           protocol="icmp" if family == "inet" else
                           "ipv6-icmp", ifname="veth0", bind=addr),
                    "denied", names="spoof")
        # A scope id names nothing for a global address: lo's global
        # address is still not veth0's.
        self.ns.ip("addr", "add", "2001:db8:5::5/128", "dev", "lo")
        h = ok(c.call("open", domain="inet6", type="raw",
                      protocol="ipv6-icmp", ifname="veth0"))["handle"]
        err(c.call("bind", handle=h, address={
            "family": "inet6", "host": "2001:db8:5::5", "scope_id": 1}),
            "denied", names="spoof")

    def test_spoof_check_follows_the_scope_id(self):
        """An IPv6 header sent to a link-local group goes by the address's
        scope id, ahead of the socket's interface: its source is checked
        against that interface's addresses (veth0's goes out by veth0 from
        a socket on lo; ::1 does not)."""
        self.start_rule({"domains": ["inet6"], "types": ["raw"],
                         "protocols": ["*"], "interfaces": ["*"],
                         "spoof": False})
        c = self.client()
        h = ok(c.call("open", domain="inet6", type="raw", protocol="raw",
                      ifname="lo"))["handle"]

        def header(src):
            return b64(struct.pack("!IHBB16s16s", 6 << 28, 0, 59, 1,
                                   socket.inet_pton(socket.AF_INET6, src),
                                   socket.inet_pton(socket.AF_INET6,
                                                    "ff02::1")))
        to = {"family": "inet6", "host": "ff02::1",
              "scope_id": self.ns.ifindex()}
        ok(c.call("sendto", handle=h, data=header(DAEMON_V6), address=to))
        err(c.call("sendto", handle=h, data=header("::1"), address=to),
            "denied", names="spoof")

    def test_policy_filter_is_race_free(self):
        """A policy filter ("not udp port 9") on uid 4243's sockets: no
        frame to or from udp port 9 ever reaches them, not even one the
        peer sent while the socket was being set up; others do."""
        rounds = 5
        self.start(confined_filter="not udp port 9")
        c = self.client(CONFINED_UID)
        # A control: uid 4242's rule has no filter, so its socket shows
        # the port 9 frames really are on the wire.
        control = self.client()
        witness = self.open_packet(control)
        peer = self.peer_udp(5555)
        peer.setblocking(False)
        sent = {9: 0, 10: 0}

        def burst(n):
            for i in range(n):
                port = 9 if i % 4 else 10
                try:
                    peer.sendto(b"burst", (DAEMON_V4, port))
                    sent[port] += 1
                except BlockingIOError:
                    time.sleep(0.001)
        ports = []
        for _ in range(rounds):
            burst(100)
            # The request goes out before its answer: keep sending while
            # the daemon sets the socket up, then read the answer.
            rid = next(c._ids)
            c.send_json({"id": rid, "op": "open", "domain": "packet",
                         "type": "raw", "protocol": "all",
                         "ifname": self.ns.ifname})
            burst(300)
            h = ok(c.recv_response(rid))["handle"]
            burst(100)
            got = drain(c, h, idle_ms=200)
            ports += [udp_ports(f) for f in got if udp_ports(f) is not None]
            ok(c.call("close", handle=h))
        self.assertGreater(sent[9], rounds * 300)
        self.assertNotIn(9, {p for pair in ports for p in pair},
                         "a udp port 9 frame reached a filtered socket")
        self.assertIn((5555, 10), ports, "no other frame arrived at all")
        self.assertIn(9, frames_udp_dports(drain(control, witness, 200)),
                      "the control socket saw no port 9 frame")
        h = ok(c.call("open", domain="packet", type="raw", protocol="all",
                      ifname=self.ns.ifname))["handle"]
        # The policy's filter stays under a client's own filters.
        ok(c.call("detach_filter", handle=h))
        ok(c.call("attach_filter", handle=h, filter="udp"))
        burst(40)
        got = drain(c, h, idle_ms=300)
        dports = frames_udp_dports(got)
        self.assertIn(10, dports)
        self.assertNotIn(9, dports)


    def test_interface_binding_is_race_free(self):
        """A packet socket opened on the veth never shows a frame of
        another interface, not even one sent on loopback while it was being
        set up (it is created with protocol 0 and bound before anything is
        queued); frames on the veth do arrive."""
        self.start()
        c = self.client()
        lo = self.ns.socket(socket.AF_INET, socket.SOCK_DGRAM, peer=False)
        lo.setblocking(False)
        self.addCleanup(lo.close)
        peer = self.peer_udp(5556)
        self.addCleanup(peer.close)
        ifindex = self.ns.ifindex()
        seen = []
        for _ in range(5):
            for i in range(200):
                with contextlib.suppress(BlockingIOError):
                    lo.sendto(b"loopback", ("127.0.0.1", 9))
            rid = next(c._ids)
            c.send_json({"id": rid, "op": "open", "domain": "packet",
                         "type": "raw", "protocol": "all",
                         "ifname": self.ns.ifname})
            for i in range(200):
                with contextlib.suppress(BlockingIOError):
                    lo.sendto(b"loopback", ("127.0.0.1", 9))
            h = ok(c.recv_response(rid))["handle"]
            peer.sendto(b"on the veth", (DAEMON_V4, 10))
            for _ in range(200):
                resp = c.call("recvfrom", handle=h, timeout_ms=300)
                if not resp["ok"]:
                    self.assertIn(resp["error"]["code"], ("ETIMEDOUT",))
                    break
                seen.append((resp["address"]["ifindex"],
                             unb64(resp["data"])))
            ok(c.call("close", handle=h))
        self.assertEqual({i for i, _ in seen}, {ifindex})
        self.assertFalse([f for _, f in seen if f.endswith(b"loopback")])
        self.assertTrue([f for _, f in seen if f.endswith(b"on the veth")])


# --------------------------------------------------------------------------
# Descriptor hygiene and the closer thread


class HygieneTests(SocketTestCase):

    def open_many(self, c, kinds):
        handles = []
        for i in range(0, len(kinds), 50):
            reqs = [("open", OPT_SOCKETS[k] if k != "packet" else dict(
                OPT_SOCKETS[k], ifname=self.ns.ifname))
                for k in kinds[i:i + 50]]
            for resp in call_batch(c, reqs):
                handles.append(ok(resp)["handle"])
        return handles

    def start_pinger(self):
        """A client pinging (ping_loop) until the gate returned opens;
        returns (gate, process) once its first ping was answered."""
        stop, started = Gate(), Tally()
        self.addCleanup(started.close)
        self.addCleanup(stop.close)
        proc = spawn_as_user(TEST_UID, TEST_GID, ping_loop, self.path,
                             stop, started)
        started.wait_for(1, timeout=5.0)
        return stop, proc

    def assert_pings_went_on(self, pings, t0, t1, what):
        """Pings (ping_loop's) between t0 and t1 were answered as ever:
        the median under 50 ms, the worst of all under 500 (a 2-core
        machine running other tests beside this one has shown 130 ms)."""
        during = [lat for t, lat in pings if t0 <= t <= t1]
        self.assertGreaterEqual(len(during), 5, "too few pings meanwhile")
        worst = max(lat for _, lat in pings)
        typical = sorted(during)[len(during) // 2]
        why = (f"pings meanwhile: median {typical * 1000:.1f} ms, worst "
               f"{worst * 1000:.1f} ms ({what}; "
               f"{(t1 - t0) * 1000:.0f} ms in all)")
        self.assertLess(typical, 0.05, why)
        self.assertLess(worst, 0.5, why)

    def test_fd_count_returns_to_baseline(self):
        """1,000 managed sockets (mostly UDP, some packet) are all closed
        when their client disconnects, and when it is SIGKILLed."""
        d = self.start()
        base = d.settled_fd_count()
        c = Client(self.path, timeout=10.0)
        kinds = ["udp"] * 950 + ["packet"] * 50
        handles = self.open_many(c, kinds)
        self.assertEqual(len(set(handles)), 1000)
        self.assertGreaterEqual(d.fd_count(), base + 1000)
        c.close()
        self.assertEqual(d.wait_fd_count(base, timeout=15.0), base,
                         "fds leaked after a disconnect")

        proc = spawn_as_user(0, 0, open_sockets_forever, self.path,
                             self.ns.ifname, 1000, 50, 0.01)
        try:
            reached = wait_until(lambda: d.fd_count() >= base + 300,
                                 timeout=10.0, interval=0.005)
            self.assertTrue(reached, "the child never opened 300 sockets")
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            os.waitpid(proc.pid, 0)
            os.close(proc.rfd)
        self.assertEqual(d.wait_fd_count(base, timeout=15.0), base,
                         "fds leaked after SIGKILL")
        self.assertTrue(d.alive())

    def test_closing_packet_sockets_does_not_stall_others(self):
        """100 AF_PACKET closes (each waits for a grace period, 8-36 ms;
        the closer waits for them many at a time, tens of ms in all)
        while a second client pings: pings do not wait for them.  Closes
        on the loop would hold most pings behind 16 of them (a read
        batch), 128 ms at the least; the median ping must stay under
        50 ms and the worst under 500 (a 2-core machine running other
        tests beside this one has shown 130 ms)."""
        d = self.start()
        base = d.settled_fd_count()
        a = Client(self.path, timeout=10.0)
        self.addCleanup(a.close)
        handles = self.open_many(a, ["packet"] * 100)
        stop, proc = self.start_pinger()
        try:
            time.sleep(0.05)
            target = d.fd_count() - len(handles)
            self.assertGreaterEqual(target, base)
            t0 = time.monotonic()
            closes = call_batch(a, [("close", {"handle": h})
                                    for h in handles])
            answered = time.monotonic() - t0
            count = d.wait_fd_count(target, timeout=15.0)
            t1 = time.monotonic()
            time.sleep(0.05)
        finally:
            stop.open()
        pings = proc.result()
        for resp in closes:
            ok(resp)
        self.assertEqual(count, target, "the sockets were not closed")
        self.assert_pings_went_on(pings, t0, t1,
                                  f"closes answered in "
                                  f"{answered * 1000:.0f} ms")

    def test_lingering_closes_hold_no_closer_thread(self):
        """16 TCP handles (the quota) with unsent data to a peer that
        never reads and SO_LINGER of 30 s, closed: each close would block
        a closer thread for 30 s, and 16 block them all, so that later
        closes (packet sockets here) wait too.  They must not."""
        d = self.start()
        c = self.client()
        srv = netns_socket(self.ns.name, socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(srv.close)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        srv.bind(("127.0.0.1", 0))
        srv.listen(32)
        port = srv.getsockname()[1]
        blob = b64(bytes(60000))
        handles = []
        for _ in range(16):
            h = self.open(c, "inet", "stream")
            ok(c.call("setsockopt", handle=h, level="SOL_SOCKET",
                      option="SO_SNDBUF", value=4096))
            ok(c.call("connect", handle=h, address=inet("127.0.0.1", port),
                      timeout_ms=2000))
            for _ in range(50):
                if not c.call("send", handle=h, data=blob)["ok"]:
                    break       # EAGAIN: the buffers are full
            ok(c.call("setsockopt", handle=h, level="SOL_SOCKET",
                      option="SO_LINGER", value={"onoff": 1, "linger": 30}))
            handles.append(h)
        base = d.settled_fd_count() - len(handles)
        for h in handles:
            ok(c.call("close", handle=h))
        self.assertEqual(d.wait_fd_count(base, timeout=5.0), base)
        packets = [self.open(c, "packet", "raw", protocol="all",
                             ifname="veth0") for _ in range(5)]
        for h in packets:
            ok(c.call("close", handle=h))
        self.assertEqual(d.wait_fd_count(base, timeout=5.0), base,
                         "later closes waited behind lingering ones")

    def test_fds_sent_back_at_once_never_stall_the_loop(self):
        """253 passed packet sockets (the most one datagram carries) sent
        back on one request, the client's copies closed at once: the
        daemon takes them all and closes them off the loop, so another
        client's pings go on.  A read with room for fewer leaves the
        kernel to release the rest on the loop, a grace period each
        (seconds in all); the request is answered bad_request."""
        d = self.start()
        stop, pinger = self.start_pinger()
        base = d.settled_fd_count()     # the pinger's connection with it
        try:
            t0 = time.monotonic()
            kind = spawn_as_user(TEST_UID, TEST_GID, send_back_passed,
                                 self.path, self.ns.ifname, 253).result()
            count = d.wait_fd_count(base, timeout=15.0)
            t1 = time.monotonic()
            time.sleep(0.05)
        finally:
            stop.open()
        pings = pinger.result()
        self.assertEqual(kind, "bad_request")
        self.assertEqual(count, base, "the sockets were not closed")
        self.assert_pings_went_on(pings, t0, t1, "fds sent back")

    def test_lingering_sockets_sent_to_the_daemon_close_at_once(self):
        """TCP sockets set to linger 600 s on a full send queue, sent to
        the daemon with requests (closed there, answered bad_request), do
        not hold its closer: their closes do not wait (they would have
        held every closer thread for ten minutes, and every other uid's
        closes behind them)."""
        self.start()
        lst = self.listener()
        c = self.client()
        for i in range(20):
            s = self.lingering(lst, 600)
            c.send_json({"id": i, "op": "ping"}, fds=[s.fileno()])
            s.close()                   # the daemon's copy is the last
            err(c.recv_json(), "bad_request")
        root = self.root_client()
        self.assertTrue(wait_until(lambda: ok(root.call("stats"))["daemon"][
            "sockets_closing"] == 0, timeout=3.0), "closes held")
        h = self.open(c, "packet", "raw")
        ok(c.call("close", handle=h))
        self.assertTrue(wait_until(lambda: ok(root.call("stats"))["daemon"][
            "sockets_closing"] == 0, timeout=3.0), "a packet close held")

    def test_unix_handles_holding_lingering_fds_do_not_hold_the_closer(self):
        """Closing a managed unix socket releases the fds queued in it: a
        TCP socket lingering on a full queue among them makes that close
        wait.  Twenty such closes leave threads for the daemon's own: a
        packet socket closed after them is closed at once (they held all
        sixteen threads, and every other close behind them)."""
        self.start()
        lst = self.listener()
        c = self.client()
        root = self.root_client()
        for _ in range(20):
            h = ok(c.call("open", domain="unix", type="dgram",
                          bind={"family": "unix", "unnamed": True}))[
                "handle"]
            name = ok(c.call("getsockname", handle=h))["address"][
                "abstract"]
            self.send_fds_to(name, [self.lingering(lst, 3)])
            ok(c.call("close", handle=h))
        held = ok(root.call("stats"))["daemon"]["sockets_closing"]
        h = self.open(c, "packet", "raw")
        ok(c.call("close", handle=h))
        self.assertTrue(wait_until(lambda: ok(root.call("stats"))["daemon"][
            "sockets_closing"] <= held, timeout=1.5), "a packet close held")

    def test_held_passed_sockets_close_quick_in_the_daemon(self):
        """A client that holds a round of passed sockets and then closes
        them makes its own closes the last ones: the daemon's copies,
        handed to the closer as each is passed, close at once, even while
        the closer still waits on earlier ones.  A closer that let them
        queue behind one wait would hold them past the client's closes,
        each then a grace period of its own, and fall behind for good:
        opens refused "busy" within a few rounds."""
        d = self.start()
        base = d.settled_fd_count()
        out = spawn_as_user(TEST_UID, TEST_GID, open_rounds_passed,
                            self.path, self.ns.ifname, 20, 100).result()
        self.assertEqual(out, {"ok": 2000, "busy": 0})
        root = self.root_client()
        self.assertTrue(wait_until(lambda: ok(root.call("stats"))["daemon"][
            "sockets_closing"] == 0, timeout=2.0), "stats: closes pending")
        root.close()
        self.assertEqual(d.wait_fd_count(base), base)

    def test_open_close_storm_stays_bounded(self):
        """A client that opens passed packet sockets and closes each at
        once leaves the daemon the last close of every one, a grace
        period each.  The daemon closes them many at a time and refuses
        that uid's opens (EAGAIN, "busy") while more than 256 of its
        sockets wait, so its fds stay bounded and they all close soon
        after; meanwhile another client's pings are answered and another
        uid opens and closes managed sockets, never refused."""
        d = self.start()
        base = d.settled_fd_count()
        stop, pinger = self.start_pinger()
        other = spawn_as_user(CONFINED_UID, CONFINED_UID,
                              open_close_managed, self.path,
                              self.ns.ifname, stop)
        try:
            storm = spawn_as_user(TEST_UID, TEST_GID, open_close_passed,
                                  self.path, self.ns.ifname, 4000)
            peak, closing, root = base, 0, self.root_client()
            while not select.select([storm.rfd], [], [], 0.01)[0]:
                peak = max(peak, len(os.listdir(f"/proc/{d.pid}/fd")))
                closing = max(closing, ok(root.call("stats"))["daemon"][
                    "sockets_closing"])
            out = storm.result()
            ended = time.monotonic()
            root.close()
        finally:
            stop.open()
        pings = pinger.result()
        managed = other.result()
        # One close after the other (66 a second) would need over 15 s
        # for the 1,024 the daemon may hold; many at a time, well under 3.
        closed = d.wait_fd_count(base, timeout=3.0)
        drained = time.monotonic() - ended
        self.assertEqual(out["ok"] + out["busy"], 4000, out)
        # More than the 256 a uid may leave: closes went on meanwhile.
        self.assertGreater(out["ok"], 256, out)
        # 257 of the storm's, some of the other uid's, the pool's 16.
        self.assertLessEqual(peak, base + 256 + 96,
                             f"the daemon held {peak} fds ({out}, "
                             f"{managed})")
        self.assertGreater(managed["ok"], 10, managed)
        self.assertEqual(managed["busy"], 0, managed)
        self.assertEqual(closed, base, "the sockets were not all closed "
                         "within 3 s of the storm")
        self.assertGreater(closing, 0, "stats never showed a close waiting")
        self.assertLessEqual(closing, 1024 + 64)
        # Its fds are gone from the table while their closes still wait.
        root = self.root_client()
        self.assertTrue(wait_until(lambda: ok(root.call("stats"))["daemon"][
            "sockets_closing"] == 0, timeout=2.0), "stats: closes pending")
        worst = max(lat for _, lat in pings)
        self.assertLess(worst, 0.5, f"a ping took {worst * 1000:.0f} ms")
        sys.stderr.write(f"\n  storm: {out['ok']} passed, {out['busy']} "
                         f"refused busy, {managed['ok']} managed by another "
                         f"uid; daemon fds {base} -> peak {peak} "
                         f"({closing} closing), "
                         f"all closed {drained:.2f} s after; worst ping "
                         f"{worst * 1000:.1f} ms\n")


# --------------------------------------------------------------------------
# Unknown handles


HANDLE_OPS = [
    ("close", {}),
    ("pass", {}),
    ("bind", {"address": inet(DAEMON_V4)}),
    ("connect", {"address": inet(PEER_V4, 9)}),
    ("listen", {}),
    ("accept", {}),
    ("shutdown", {"how": "SHUT_RDWR"}),
    ("getsockname", {}),
    ("getpeername", {}),
    ("send", {"data": b64(b"x")}),
    ("sendto", {"data": b64(b"x"), "address": inet(PEER_V4, 9)}),
    ("sendmsg", {"iov": [b64(b"x")]}),
    ("recv", {}),
    ("recvfrom", {}),
    ("recvmsg", {}),
    ("getsockopt", {"level": "SOL_SOCKET", "option": "SO_TYPE"}),
    ("setsockopt", {"level": "SOL_SOCKET", "option": "SO_BROADCAST",
                    "value": 1}),
    ("attach_filter", {"filter": "udp"}),
    ("detach_filter", {}),
]


class HandleTests(SocketTestCase):

    def test_unknown_handle(self):
        """Every op that takes a handle answers no_such_handle for one that
        was never opened, one that is closed, and another connection's."""
        self.start()
        c = self.client()
        other = self.client()
        closed = self.open(c, "inet", "dgram")
        ok(c.call("close", handle=closed))
        mine = self.open(c, "inet", "dgram")
        theirs = [self.open(other, "inet", "dgram") for _ in range(4)]
        # A number open on the other connection only.
        foreign = max(set(theirs) - {closed, mine})
        for op, params in HANDLE_OPS:
            for handle in (0, -1, 999999, 2 ** 40, closed, foreign):
                with self.subTest(op=op, handle=handle):
                    err(c.call(op, handle=handle, **params),
                        "no_such_handle")
        ok(other.call("getsockname", handle=foreign))
        ok(c.call("getsockname", handle=mine))

    def test_stats_unknown_handle(self):
        """stats with an unknown handle is no_such_handle too."""
        self.start()
        c = self.client()
        h = self.open(c, "inet", "dgram")
        ok(c.call("stats", handle=h))
        err(c.call("stats", handle=h + 1000), "no_such_handle")
        err(c.call("stats", handle=-1), "no_such_handle")


if __name__ == "__main__":
    run_tests()
