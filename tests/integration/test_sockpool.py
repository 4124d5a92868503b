"""Socket pool tests: packet sockets the daemon makes ahead of need
(daemon/sockpool.c) are kept only for the types asked for, stay within
their bound, and are handed out exactly as a fresh socket would be:
bound where the open says, blocking or not as it says, with nothing
queued from before.

The pool is read from outside, as the kernel lists the daemon's packet
sockets (/proc/PID/net/packet, harness.Daemon.pooled_sockets); frames come
from Python packet sockets in the peer namespace; clients are uid 4242.

Run: RAWSOCKD=build/daemon/rawsockd /usr/bin/python3 test_sockpool.py -v
"""

import fcntl
import os
import select
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import test_sockets as tsk  # noqa: E402
from harness import (  # noqa: E402
    SOCKET_POOL_MAX, TEST_GID, TEST_UID, Client, Tally, assert_ok,
    run_tests, spawn_as_user, wait_until)

POOL_SIZE = SOCKET_POOL_MAX // 2    # a type: SOCK_RAW and SOCK_DGRAM
POOL_LOW = 4    # daemon/sockpool.c: topped up when a take leaves fewer
PACKET_TYPE = {socket.SOCK_RAW: "3", socket.SOCK_DGRAM: "2"}
MARKER = b"rawsockd-pool-marker"


def pooled_of_type(d, type):
    """How many of the daemon's pooled sockets are of type."""
    pooled = d.pooled_sockets()
    with open(f"/proc/{d.pid}/net/packet") as f:
        next(f)
        return sum(1 for line in f if line.split()[8] in pooled and
                   line.split()[2] == PACKET_TYPE[type])


def stale_frames(s):
    """Whether a socket just passed holds a frame of the flood, which had
    ended before it was opened.  Anything else queued (IPv6 chatter on
    the link since the bind) it may well have."""
    for _ in range(1000):
        try:
            if b"flood" in s.recv(65536, socket.MSG_DONTWAIT):
                return True
        except BlockingIOError:
            return False
    return True


def open_passed(path, ifname, n, opened):
    """As a client: n passed packet sockets, nonblock alternately false
    and true; each one's flags and whether a flood frame was queued.
    Then a mark on the Tally opened, and the last is waited on for the
    peer's MARKER frame."""
    out = {"opens": [], "marker": False}
    fds = []
    try:
        with Client(path) as c:
            for i in range(n):
                params = {"domain": "packet", "type": "raw",
                          "protocol": "all", "ifname": ifname, "pass": True,
                          "nonblock": bool(i % 2)}
                resp, got = c.call_fds("open", **params)
                assert_ok(resp)
                assert len(got) == 1, resp
                fds.append(got[0])
                with socket.socket(fileno=os.dup(got[0])) as s:
                    queued = stale_frames(s)
                out["opens"].append({
                    "nonblock": bool(fcntl.fcntl(got[0], fcntl.F_GETFL) &
                                     os.O_NONBLOCK),
                    "queued": queued})
        opened.add()
        with socket.socket(fileno=os.dup(fds[-1])) as s:
            s.setblocking(False)
            deadline = time.monotonic() + 5.0
            while not out["marker"] and time.monotonic() < deadline:
                if select.select([s], [], [], 0.1)[0]:
                    out["marker"] = MARKER in s.recv(65536)
    finally:
        for fd in fds:
            os.close(fd)
    return out


class SocketPoolTests(tsk.SocketTestCase):

    def wait_pooled(self, d, type, n):
        self.assertTrue(wait_until(lambda: pooled_of_type(d, type) == n,
                                   timeout=3.0),
                        f"{pooled_of_type(d, type)} pooled of type {type}, "
                        f"not {n}")

    def test_pool_follows_demand_within_its_bound(self):
        """No socket is made ahead until an open asks for its type; then
        the type is filled to its size; a burst of opens that empties it
        (the rule allows 16 managed sockets) is followed by new sockets,
        the pool resting between its low mark and its size; the two types
        together never exceed the bound (checked on every read by
        pooled_sockets)."""
        d = self.start()
        c = self.client()
        time.sleep(0.3)
        self.assertEqual(len(d.pooled_sockets()), 0,
                         "sockets made before any open asked")
        self.open_packet(c)
        self.wait_pooled(d, socket.SOCK_RAW, POOL_SIZE)
        first = d.pooled_sockets()
        self.assertEqual(pooled_of_type(d, socket.SOCK_DGRAM), 0)
        handles = [assert_ok(r)["handle"] for r in tsk.call_batch(c, [
            ("open", {"domain": "packet", "type": "raw", "protocol": "all",
                      "ifname": self.ns.ifname})] * 14)]
        self.assertEqual(len(set(handles)), 14)
        self.assertTrue(wait_until(
            lambda: d.pooled_sockets() - first and
            POOL_LOW <= pooled_of_type(d, socket.SOCK_RAW) <= POOL_SIZE,
            timeout=3.0), "the pool was not topped up after the burst")
        h = self.open(c, "packet", "dgram", protocol="all",
                      ifname=self.ns.ifname)
        a = assert_ok(c.call("getsockname", handle=h))["address"]
        self.assertEqual(a["ifindex"], self.ns.ifindex())
        self.wait_pooled(d, socket.SOCK_DGRAM, POOL_SIZE)
        self.assertGreaterEqual(len(d.pooled_sockets()),
                                POOL_SIZE + POOL_LOW)

    def test_pooled_sockets_hold_no_frames(self):
        """After the peer flooded the link, sockets passed out of the pool
        hold none of its frames, have the O_NONBLOCK the open asked for,
        and receive the peer's next frame."""
        d = self.start()
        c = self.client()
        self.open_packet(c)
        self.wait_pooled(d, socket.SOCK_RAW, POOL_SIZE)
        sender = self.peer_packet()
        mine, peer = self.macs()
        flood = tsk.tagged_frame(mine, peer, b"flood")
        for _ in range(2000):
            sender.send(flood)
        time.sleep(0.2)
        opened = Tally()
        self.addCleanup(opened.close)
        proc = spawn_as_user(TEST_UID, TEST_GID, open_passed, self.path,
                             self.ns.ifname, 2 * POOL_SIZE, opened)
        # The marker goes only once every open is done and checked.
        opened.wait_for(1, timeout=10.0)
        marker = tsk.tagged_frame(mine, peer, MARKER)
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline and \
                not select.select([proc.rfd], [], [], 0.02)[0]:
            sender.send(marker)
        out = proc.result()
        self.assertEqual(len(out["opens"]), 2 * POOL_SIZE)
        for i, o in enumerate(out["opens"]):
            self.assertEqual(o["nonblock"], bool(i % 2), f"open {i}")
        self.assertEqual([o["queued"] for o in out["opens"]],
                         [False] * (2 * POOL_SIZE))
        self.assertTrue(out["marker"], "the last passed socket never "
                        "received the peer's frame")


if __name__ == "__main__":
    run_tests()
