"""Batch tests: the binary channel's batch extension (proto/PROTOCOL.md,
"Batches"), both ways.

A subscription with batch:true packs several frames in one channel
message, each record a 40-byte header (the contract's 32 bytes with
version 2, then caplen and 4 zero bytes), the sockaddr padded to 8, the
frame, and padding to the next 8-byte boundary.  The records are decoded
here with struct from that layout, not with the daemon's code, and every
frame is compared byte for byte with what Python's packet sockets sent or
saw in the peer namespace.  Clients are uid 4242 (harness.connect_as).

Run: RAWSOCKD=build/daemon/rawsockd /usr/bin/python3 test_batch.py -v
"""

import base64
import os
import signal
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import test_stream as ts  # noqa: E402
from harness import run_tests, wait_until  # noqa: E402

# The contract's header, then caplen and a reserved word.
REC = struct.Struct("=HBBIQIIHHHHII")
BATCH_VERSION = 2
SOL_PACKET = 263             # linux/socket.h
PACKET_VERSION = 10         # linux/if_packet.h
TPACKET_V2 = 1
BATCH_MAX = 128 * 1024
MANY_SETUPS = 16
TEST_UID = ts.TEST_UID
FIELDS = ("magic", "version", "flags", "handle", "ts_ns", "orig_len",
          "drops", "addr_len", "hdr_len", "vlan_tci", "vlan_tpid", "caplen",
          "reserved")


def align8(n):
    return (n + 7) & ~7


def parse_batch(msg):
    """Every record of a batch message, checking the layout as it goes."""
    recs, off = [], 0
    assert 0 < len(msg) <= BATCH_MAX, f"batch message of {len(msg)} bytes"
    while off < len(msg):
        assert off % 8 == 0 and len(msg) - off >= REC.size, (off, len(msg))
        r = dict(zip(FIELDS, REC.unpack_from(msg, off)))
        assert r["magic"] == ts.MAGIC and r["version"] == BATCH_VERSION, r
        assert r["reserved"] == 0, r
        assert r["hdr_len"] == align8(REC.size + r["addr_len"]), r
        start = off + r["hdr_len"]
        end = start + r["caplen"]
        assert end <= len(msg), f"record past the end: {r}"
        r["addr"] = msg[off + REC.size:off + REC.size + r["addr_len"]]
        assert msg[off + REC.size + r["addr_len"]:start] == \
            bytes(start - off - REC.size - r["addr_len"]), "dirty padding"
        r["frame"] = msg[start:end]
        pad_end = min(align8(end), len(msg))
        assert msg[end:pad_end] == bytes(pad_end - end), "dirty padding"
        recs.append(r)
        off = align8(end)
    return recs


def record(frame, addr=b"", caplen=None):
    """A batch record a client writes to send frame."""
    hdr_len = align8(REC.size + len(addr))
    head = REC.pack(ts.MAGIC, BATCH_VERSION, 0, 0, 0, len(frame), 0,
                    len(addr), hdr_len, 0, 0,
                    len(frame) if caplen is None else caplen, 0)
    body = head + addr + bytes(hdr_len - REC.size - len(addr)) + frame
    return body + bytes(align8(len(body)) - len(body))


def read_batches(chan, want, timeout=20.0):
    """(messages, records) read from chan until want records or idle."""
    msgs, recs = [], []
    deadline = time.monotonic() + timeout
    chan.settimeout(0.5)
    while len(recs) < want and time.monotonic() < deadline:
        try:
            msg = chan.recv(BATCH_MAX + 1)
        except socket.timeout:
            continue
        if not msg:
            break
        msgs.append(msg)
        recs.extend(parse_batch(msg))
    return msgs, recs


class BatchTests(ts.StreamTestCase):

    def test_batch_10000_frames_in_order(self):
        """10,000 frames of 60..1514 bytes, sent in bursts while the
        daemon is stopped, arrive as batch records byte for byte, in
        order, with their header fields, several to a message, no drops."""
        self.start()
        self.batch_in_order(None)

    def test_batch_large_ring_in_order(self):
        """The same through a 64 MiB queue, whose ring has 1 MiB blocks
        (several batch messages a block) instead of 128 KiB ones."""
        self.start(ts.policy(max_queue_bytes=64 * ts.MIB))
        self.batch_in_order(64 * ts.MIB)

    def batch_in_order(self, queue_bytes):
        n, burst = 10000, 500
        c = self.client()
        h = self.open_packet(c)
        extra = {} if queue_bytes is None else {"queue_bytes": queue_bytes}
        resp, chan = self.subscribe(c, h, batch=True, **extra)
        self.assertEqual(resp["batch_bytes"], BATCH_MAX, resp)
        if queue_bytes is not None:
            self.assertEqual(resp["queue_bytes"], queue_bytes, resp)
        peer = self.peer_sender()
        sizes = [60 + (i * 7919) % (1514 - 60 + 1) for i in range(n)]
        frames = [self.to_daemon(i, sizes[i]) for i in range(n)]
        msgs, recs = [], []
        for first in range(0, n, burst):
            # Stopped, the daemon finds the whole burst queued at once.
            os.kill(self.daemon.pid, signal.SIGSTOP)
            try:
                for f in frames[first:first + burst]:
                    peer.send(f)
            finally:
                os.kill(self.daemon.pid, signal.SIGCONT)
            m, r = read_batches(chan, burst)
            msgs += m
            recs += [x for x in r if ts.frame_seq(x["frame"]) is not None]
        self.assertEqual([ts.frame_seq(r["frame"]) for r in recs],
                         list(range(n)), "frames lost or out of order")
        for r, sent in zip(recs, frames):
            self.assertEqual(r["frame"], sent)
            self.assertEqual((r["orig_len"], r["caplen"]),
                             (len(sent), len(sent)))
            self.assertEqual(r["handle"], h)
            self.assertEqual(r["drops"], 0, r)
            self.assertEqual(r["flags"] & (ts.F_TRUNCATED | ts.F_OUTGOING),
                             0, r)
            self.assertEqual(ts.parse_sll(r["addr"])["ifindex"],
                             self.ifindex)
        stamps = [r["ts_ns"] for r in recs]
        self.assertEqual(stamps, sorted(stamps), "ts_ns went backwards")
        per_msg = n / len(msgs)
        sys.stderr.write(f"\n  {n} frames in {len(msgs)} messages "
                         f"({per_msg:.1f} a message)\n")
        self.assertGreater(per_msg, 10, "frames were not batched")
        stats = self.handle_stats(c, h)
        self.assertEqual((stats["drops_queue"], stats["drops_kernel"]),
                         (0, 0), stats)

    def test_batch_snaplen(self):
        """In a batch, caplen is the cut length and orig_len the wire's;
        the record after a cut frame starts where caplen says."""
        self.start()
        c = self.client()
        h = self.open_packet(c)
        _, chan = self.subscribe(c, h, batch=True, snaplen=100)
        peer = self.peer_sender()
        frames = [self.to_daemon(i, 90 + 37 * i) for i in range(20)]
        os.kill(self.daemon.pid, signal.SIGSTOP)
        try:
            for f in frames:
                peer.send(f)
        finally:
            os.kill(self.daemon.pid, signal.SIGCONT)
        _, recs = read_batches(chan, len(frames))
        mine = [r for r in recs if ts.frame_seq(r["frame"]) is not None]
        self.assertEqual(len(mine), len(frames))
        for r, f in zip(mine, frames):
            self.assertEqual(r["frame"], f[:100])
            self.assertEqual((r["caplen"], r["orig_len"]),
                             (min(len(f), 100), len(f)))
            self.assertEqual(bool(r["flags"] & ts.F_TRUNCATED),
                             len(f) > 100, r)

    def test_batch_send(self):
        """1,000 frames written as 20 batch messages of 50 (half with an
        explicit sockaddr_ll) reach the peer byte for byte, in order; a
        contract (version 1) message on the same channel goes too."""
        n, per = 1000, 50
        self.start()
        c = self.client()
        h = self.open_packet(c)
        _, chan = self.subscribe(c, h, batch=True)
        cap = self.peer_capture()
        frames = [self.to_peer(i, 60 + (i * 331) % 1455) for i in range(n)]
        addr = ts.sll_bytes(self.ifindex, ts.ETHERTYPE_TEST, self.pmac)
        for first in range(0, n, per):
            chan.send(b"".join(record(f, addr if i % 2 else b"")
                               for i, f in enumerate(frames[first:
                                                            first + per])))
        last = self.to_peer(n, 200)
        chan.send(ts.message(last))
        wait_until(lambda: len(cap.tagged()) >= n + 1, timeout=10.0,
                   interval=0.05)
        got = [f for _, f in cap.finish(idle=0.2)
               if ts.frame_seq(f) is not None]
        self.assertEqual(got, frames + [last])
        stats = self.handle_stats(c, h)
        self.assertEqual((stats["frames_out"], stats["tx_rejected"]),
                         (n + 1, 0), stats)

    def test_batch_bad_records(self):
        """In a batch, a spoofed frame is refused alone; a record whose
        caplen runs past the message ends that message (the frames before
        it go); the channel keeps working."""
        self.start(ts.policy(spoof=False))
        c = self.client()
        h = self.open_packet(c)
        _, chan = self.subscribe(c, h, batch=True)
        cap = self.peer_capture()
        good = [self.to_peer(i, 100) for i in range(4)]
        spoofed = ts.test_frame(self.pmac, ts.mac_bytes(ts.FOREIGN_MAC), 90,
                                100)
        chan.send(record(good[0]) + record(spoofed) + record(good[1]))
        ev = self.wait_event(c, "tx_rejected", h)
        self.assertIn("spoof", ev["reason"], ev)
        chan.send(record(good[2]) + record(self.to_peer(91, 100),
                                           caplen=5000))
        ev = self.wait_event(c, "tx_rejected", h)
        self.assertIn("malformed", ev["reason"], ev)
        chan.send(record(good[3]))
        wait_until(lambda: len(cap.tagged()) >= 4, timeout=3.0,
                   interval=0.05)
        got = [f for _, f in cap.finish(idle=0.3)
               if ts.frame_seq(f) is not None]
        self.assertEqual(got, good)
        stats = self.handle_stats(c, h)
        self.assertEqual((stats["frames_out"], stats["tx_rejected"]),
                         (4, 2), stats)
        self.assertTrue(self.daemon.alive())

    def test_batch_tx_pps(self):
        """tx_pps holds frame by frame inside batches: 400 frames in 4
        messages at 200 frames/s take at least ~1.5 s, none lost."""
        n, rate = 400, 200
        self.start(ts.policy(tx_pps=rate))
        c = self.client()
        h = self.open_packet(c)
        _, chan = self.subscribe(c, h, batch=True)
        cap = self.peer_capture()
        frames = [self.to_peer(i, 100) for i in range(n)]
        for first in range(0, n, 100):
            chan.send(b"".join(record(f) for f in frames[first:first + 100]))
        t = time.monotonic()
        ts.ok(c.call("ping"))
        self.assertLess(time.monotonic() - t, 0.5, "ping stalled")
        wait_until(lambda: len(cap.tagged()) >= n, timeout=6.0,
                   interval=0.05)
        tagged = [(t, f) for t, f in cap.finish(idle=0.2)
                  if ts.frame_seq(f) is not None]
        self.assertEqual([f for _, f in tagged], frames)
        span = tagged[-1][0] - tagged[0][0]
        sys.stderr.write(f"\n  {n} frames at tx_pps {rate}: {span:.2f}s\n")
        self.assertGreaterEqual(span, 1.5)

    def test_ring_drops_are_counted(self):
        """A batch subscription reads a kernel ring: 10,000 frames sent
        while the daemon is stopped overflow a 256 KiB queue; every frame
        is either delivered or counted as a kernel drop, in stats and
        (by the next frame's record at the latest) in the headers,
        exactly."""
        n = 10000
        self.start()
        c = self.client()
        # Only the test ethertype: the host's own frames (IPv6 neighbour
        # discovery) would be delivered or dropped too.
        h = self.open_packet(c, protocol=ts.ETHERTYPE_TEST)
        resp, chan = self.subscribe(c, h, batch=True, queue_bytes=1)
        self.assertEqual(resp["queue_bytes"], 256 * 1024, resp)
        peer = self.peer_sender()
        os.kill(self.daemon.pid, signal.SIGSTOP)
        try:
            for i in range(n):
                peer.send(self.to_daemon(i, 64))
        finally:
            os.kill(self.daemon.pid, signal.SIGCONT)
        _, recs = read_batches(chan, n, timeout=3.0)
        got = [ts.frame_seq(r["frame"]) for r in recs]
        got = [g for g in got if g is not None]
        stats = self.handle_stats(c, h)
        lost = stats["drops_kernel"]
        sys.stderr.write(f"\n  {len(got)} delivered, {lost} dropped\n")
        self.assertGreater(lost, 0, "the ring never filled")
        self.assertEqual(len(got) + lost, n, stats)
        self.assertEqual(got, sorted(got), "out of order")
        # Drops the daemon learns of after its last record ride on the
        # next one.
        peer.send(self.to_daemon(n, 64))
        _, later = read_batches(chan, 1, timeout=3.0)
        self.assertEqual([ts.frame_seq(r["frame"]) for r in later], [n])
        self.assertEqual(sum(r["drops"] for r in recs + later), lost)

    def test_unsubscribe_gives_recv_back(self):
        """After a batch subscription ends, the socket is as it was: its
        PACKET_VERSION is back and recv gets frames again."""
        self.start()
        c = self.client()
        h = self.open_packet(c, protocol=ts.ETHERTYPE_TEST)
        before = ts.ok(c.call("getsockopt", handle=h, level="SOL_PACKET",
                              option="PACKET_VERSION"))["value"]
        _, chan = self.subscribe(c, h, batch=True)
        peer = self.peer_sender()
        peer.send(self.to_daemon(1, 100))
        _, recs = read_batches(chan, 1, timeout=3.0)
        self.assertEqual([ts.frame_seq(r["frame"]) for r in recs], [1])
        ts.ok(c.call("unsubscribe", handle=h))
        wait_until(lambda: ts.ok(c.call(
            "getsockopt", handle=h, level="SOL_PACKET",
            option="PACKET_VERSION"))["value"] == before, timeout=3.0,
            interval=0.05)
        frame = self.to_daemon(2, 100)
        peer.send(frame)
        resp = ts.ok(c.call("recv", handle=h, timeout_ms=2000))
        self.assertEqual(base64.b64decode(resp["data"]), frame)

    def test_pass_after_a_batch_subscription(self):
        """A subscribed handle is not passed (bad_request, nothing
        changes); passed right after its batch subscription ends, the
        socket comes without the daemon's ring (the take-down waits a
        grace period on the closer, and the pass waits for it): its
        PACKET_VERSION is back, the client can set its own, and recv gets
        frames."""
        self.start(ts.policy(spoof=True, **{"pass": True}))
        c = self.client()
        h = self.open_packet(c, protocol=ts.ETHERTYPE_TEST)
        before = ts.ok(c.call("getsockopt", handle=h, level="SOL_PACKET",
                              option="PACKET_VERSION"))["value"]
        _, chan = self.subscribe(c, h, batch=True)
        ts.err(c.call("pass", handle=h), "bad_request", names="subscribed")
        peer = self.peer_sender()
        peer.send(self.to_daemon(1, 100))
        _, recs = read_batches(chan, 1, timeout=3.0)
        self.assertEqual([ts.frame_seq(r["frame"]) for r in recs], [1])
        ts.ok(c.call("unsubscribe", handle=h))
        resp, fds = c.call_fds("pass", handle=h)
        ts.ok(resp)
        self.assertEqual(len(fds), 1, resp)
        s = socket.socket(fileno=fds[0])
        self.addCleanup(s.close)
        self.assertEqual(s.getsockopt(SOL_PACKET, PACKET_VERSION), before)
        s.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V2)  # EBUSY: ring
        s.settimeout(3.0)
        frame = self.to_daemon(2, 100)
        peer.send(frame)
        self.assertEqual(s.recv(2048), frame)

    def test_client_gone_during_ring_setup(self):
        """A client that subscribes and vanishes before the answer leaves
        no fd and no ring behind; the daemon serves the next one."""
        self.start()
        fds = len(os.listdir(f"/proc/{self.daemon.pid}/fd"))
        for _ in range(5):
            c = ts.connect_as(self.daemon.socket_path, ts.TEST_UID,
                              ts.TEST_GID)
            h = self.open_packet(c)
            c.send_json({"op": "subscribe", "id": 99, "handle": h,
                         "batch": True})
            c.close()
        wait_until(lambda: len(os.listdir(f"/proc/{self.daemon.pid}/fd"))
                   == fds, timeout=5.0, interval=0.05)
        c = self.client()
        h = self.open_packet(c)
        self.subscribe(c, h, batch=True)
        self.assertTrue(self.daemon.alive())

    def test_a_uid_waits_for_its_own_ring_setups(self):
        """A ring's set-up waits a grace period on a closer thread: one
        uid that asks for many at once waits for its own, while another
        uid's subscribe is answered after about one, not after the queue
        ahead of it (the closer runs two jobs of a uid at once)."""
        other = TEST_UID + 1
        pol = ts.policy()
        pol["rules"].append({"match": {"uid": other},
                             "allow": dict(pol["rules"][0]["allow"])})
        self.start(pol)
        many = []
        for _ in range(MANY_SETUPS):
            c = self.client()
            many.append((c, self.open_packet(c)))
        b = ts.connect_as(self.daemon.socket_path, other, other)
        self.addCleanup(b.close)
        bh = self.open_packet(b)
        t0 = time.monotonic()
        for c, h in many:
            c.send_json({"op": "subscribe", "id": 7, "handle": h,
                         "batch": True})
        resp, fds = b.call_fds("subscribe", handle=bh, batch=True)
        other_s = time.monotonic() - t0
        for fd in fds:
            os.close(fd)
        ts.ok(resp)
        for c, _ in many:
            resp, fds = c.recv_response_fds(7)
            for fd in fds:
                os.close(fd)
            ts.ok(resp)
        many_s = time.monotonic() - t0
        print(f"\n  {MANY_SETUPS} set-ups of one uid done in "
              f"{many_s * 1e3:.0f} ms, another uid's in "
              f"{other_s * 1e3:.0f} ms", file=sys.stderr)
        # One queue for all: the other uid's answer comes last.
        self.assertLess(other_s, many_s / 2)

    def test_batch_bad_requests(self):
        """batch must be a boolean and is only for binary subscriptions."""
        self.start()
        c = self.client()
        h = self.open_packet(c)
        ts.err(c.call("subscribe", handle=h, batch="yes"), "bad_request")
        ts.err(c.call("subscribe", handle=h, format="json", batch=True),
               "bad_request")
        _, chan = self.subscribe(c, h, batch=True)
        self.assertTrue(self.daemon.alive())


if __name__ == "__main__":
    run_tests()
