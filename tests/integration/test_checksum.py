"""Checksum tests: the `checksum` op, `fix_checksums` on send ops, and the
local rs_checksum() through `rawsockctl checksum`.

Every value is judged against an independent checksum written here from
RFC 1071 with struct-packed pseudo-headers (RFC 768, 793, 4443, 8200),
never against the daemon's own output. Random frames cover IPv4 (random
IHL and options) and IPv6 (random extension headers), TCP (random data
offset), UDP, ICMP and ICMPv6, odd and even payload lengths, VLAN tags and
ethernet padding. fix_checksums is checked on the wire: frames sent with
zeroed checksums by uid 4242 are captured in the peer namespace with a
Python AF_PACKET socket and verified there; the peer kernel's own UDP
socket receiving them is a second, independent judge.

Seed: CLISP test.tst's 1024-byte frame whose IP checksum CLISP reports as
51056 (bytes 70 c7 read little-endian; 28871 in network order).

Run: RAWSOCKD=build/daemon/rawsockd /usr/bin/python3 test_checksum.py -v
"""

import base64
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    DAEMON_V4, DAEMON_V6, PEER_V4, PEER_V6, TEST_UID, DaemonTestCase,
    assert_error, assert_ok, connect_as, ctl_binary, inet_checksum,
    run_as_user, run_tests, wait_frame)

ETH_P_ALL = 0x0003
TCP, UDP, ICMP, ICMPV6 = 6, 17, 1, 58
BATCH = 100
RANDOM_FRAMES = 1200

POLICY = {"rules": [{"match": {"uid": TEST_UID}, "allow": {
    "domains": ["packet", "inet"], "types": ["raw", "dgram"],
    "protocols": ["*"], "interfaces": ["veth0"], "pass": False,
    "spoof": False,
}}]}


# --------------------------------------------------------------------------
# The independent implementation


# The harness's RFC 1071 sum: ones' complement of the ones' complement sum
# of 16-bit words.
rfc1071 = inet_checksum


def pseudo_header(version, src, dst, proto, length):
    if version == 4:
        return src + dst + struct.pack("!BBH", 0, proto, length)
    return src + dst + struct.pack("!IxxxB", length, proto)


def with_sum(data, off, value):
    return data[:off] + struct.pack("!H", value) + data[off + 2:]


class Frame:
    """A frame built from parts, and the checksums it should get."""

    def __init__(self, rng, version, proto):
        self.version, self.proto = version, proto
        self.src = rng.randbytes(4 if version == 4 else 16)
        self.dst = rng.randbytes(4 if version == 4 else 16)
        self.l4 = self._l4(rng)
        if version == 4:
            opts = rng.randbytes(4 * rng.randint(0, 10))
            if opts:    # one experimental option (RFC 4727) of them all:
                # random bytes could make a source route, which moves
                # the pseudo-header's destination
                opts = bytes([0x9E, len(opts)]) + opts[2:]
            hlen = 20 + len(opts)
            self.l3 = struct.pack(
                "!BBHHHBBH4s4s", 0x40 | hlen // 4, rng.randrange(256),
                hlen + len(self.l4), rng.randrange(65536), 0x4000,
                rng.randint(1, 255), proto, rng.randrange(65536), self.src,
                self.dst) + opts
            ethertype = 0x0800
        else:
            ext = self._ipv6_ext(rng, proto)
            nh = ext[0][0] if ext else proto
            self.l3 = struct.pack("!IHBB16s16s", 0x60000000 |
                                  rng.randrange(1 << 20),
                                  sum(len(e[1]) for e in ext) + len(self.l4),
                                  nh, 64, self.src, self.dst)
            self.l3 += b"".join(e[1] for e in ext)
            ethertype = 0x86DD
        tags = b"".join(struct.pack("!HH", t, rng.randrange(4096))
                        for t in rng.choice([[], [0x8100],
                                             [0x88A8, 0x8100]]))
        self.eth = rng.randbytes(12) + tags + struct.pack("!H", ethertype)
        self.pad = rng.randbytes(rng.choice([0, 0, 3, 18]))

    @staticmethod
    def _ipv6_ext(rng, proto):
        """(type, bytes) of 0-3 hop-by-hop / destination options headers."""
        kinds = [rng.choice([0, 60]) for _ in range(rng.randint(0, 3))]
        if kinds:
            kinds[1:] = [60] * (len(kinds) - 1)  # hop-by-hop only first
        out = []
        for i, k in enumerate(kinds):
            nxt = kinds[i + 1] if i + 1 < len(kinds) else proto
            units = rng.randint(0, 3)
            # one PadN option of random bytes: random options could make
            # a home address option, which moves the pseudo-header's
            # source
            body = rng.randbytes(6 + 8 * units)
            out.append((k, bytes([nxt, units, 1, len(body) - 2]) +
                        body[2:]))
        return out

    def _l4(self, rng):
        payload = rng.randbytes(rng.randint(0, 301))
        junk = rng.randrange(65536)  # the daemon must ignore the old sum
        if self.proto == TCP:
            opts = rng.randbytes(4 * rng.randint(0, 10))
            return struct.pack("!HHIIBBHHH", rng.randrange(65536),
                               rng.randrange(65536), rng.randrange(1 << 32),
                               rng.randrange(1 << 32),
                               (5 + len(opts) // 4) << 4, rng.randrange(256),
                               rng.randrange(65536), junk, 0) + opts + payload
        if self.proto == UDP:
            return struct.pack("!HHHH", rng.randrange(65536),
                               rng.randrange(65536), 8 + len(payload),
                               junk) + payload
        return struct.pack("!BBHI", rng.randrange(256), 0, junk,
                           rng.randrange(1 << 32)) + payload

    def bytes(self, l3=None, l4=None):
        return (self.eth + (l3 or self.l3) + (l4 or self.l4) + self.pad)

    def expect_ip(self):
        value = rfc1071(with_sum(self.l3, 10, 0))
        return self.bytes(l3=with_sum(self.l3, 10, value)), value

    def expect_l4(self):
        off = {TCP: 16, UDP: 6}.get(self.proto, 2)
        zeroed = with_sum(self.l4, off, 0)
        head = b"" if self.proto == ICMP else pseudo_header(
            self.version, self.src, self.dst, self.proto, len(self.l4))
        value = rfc1071(head + zeroed)
        if self.proto == UDP and value == 0:
            value = 0xFFFF
        return self.bytes(l4=with_sum(self.l4, off, value)), value


def b64(data):
    return base64.b64encode(data).decode()


def unb64(text):
    return base64.b64decode(text, validate=True)


KIND = {TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMPV6: "icmpv6"}


def seed_frame():
    f = bytearray(1024)
    for i, v in ((12, 8), (14, 0x45), (17, 40), (22, 0x40), (23, 6),
                 (26, 10), (29, 10)):
        f[i] = v
    return bytes(f)


# --------------------------------------------------------------------------


class ChecksumTestCase(DaemonTestCase):

    def setUp(self):
        super().setUp()
        self.daemon = self.start_daemon(POLICY)
        self.ns = self.daemon.netns
        self.c = connect_as(self.daemon.socket_path)
        self.addCleanup(self.c.close)

    def batch(self, requests):
        """Send every (op, params) at once, then read the responses."""
        ids = []
        for op, params in requests:
            rid = next(self.c._ids)
            self.c.send_json({"id": rid, "op": op, **params})
            ids.append(rid)
        return [self.c.recv_response(rid) for rid in ids]


class ChecksumOpTests(ChecksumTestCase):

    def test_seed_frame(self):
        """CLISP's test.tst frame: bytes 70 c7 written at 24-25, 28871 in
        network order (CLISP's 51056 is the same bytes read
        little-endian)."""
        resp = assert_ok(self.c.call("checksum", frame=b64(seed_frame()),
                                     kind="ip"))
        out = unb64(resp["frame"])
        self.assertEqual(out[24:26], b"\x70\xc7")
        self.assertEqual(resp["checksum"], 28871)
        self.assertEqual(struct.unpack("<H", out[24:26])[0], 51056)
        self.assertEqual(out[:24] + out[26:], seed_frame()[:24] +
                         seed_frame()[26:])
        self.assertEqual(rfc1071(out[14:34]), 0)

    def test_random_frames_agree(self):
        """1200 random frames (IPv4/IPv6 x TCP/UDP/ICMP/ICMPv6, random
        options, extension headers, tags, odd lengths, padding) in batches
        of 100 on one connection as uid 4242: every frame and checksum
        equals the independent computation."""
        rng = random.Random(6)
        cases = []
        for i in range(RANDOM_FRAMES):
            version = 4 if i % 2 == 0 else 6
            proto = rng.choice([TCP, UDP, ICMP if version == 4 else ICMPV6])
            f = Frame(rng, version, proto)
            if version == 4 and rng.random() < 0.3:
                cases.append((f, "ip", f.expect_ip()))
            else:
                kind = KIND[proto]
                if proto == ICMPV6 and rng.random() < 0.5:
                    kind = "icmp"  # the contract: icmp over IPv6 is ICMPv6
                cases.append((f, kind, f.expect_l4()))
        kinds = {k for _, k, _ in cases}
        self.assertEqual(kinds, {"ip", "tcp", "udp", "icmp", "icmpv6"})
        odd = sum(1 for f, _, _ in cases if len(f.l4) % 2)
        self.assertGreater(odd, RANDOM_FRAMES // 4)
        for start in range(0, len(cases), BATCH):
            chunk = cases[start:start + BATCH]
            resps = self.batch([("checksum", {"frame": b64(f.bytes()),
                                              "kind": kind})
                                for f, kind, _ in chunk])
            for (f, kind, (want, value)), resp in zip(chunk, resps):
                assert_ok(resp)
                self.assertEqual(resp["checksum"], value, (kind, f.bytes()))
                self.assertEqual(unb64(resp["frame"]), want, kind)

    def test_malformed_frames(self):
        """Too short, bad IHL, truncated L4, wrong ethertype or protocol,
        unknown kind: bad_request naming what is wrong."""
        rng = random.Random(7)
        tcp4 = Frame(rng, 4, TCP)
        tcp4.pad = b""
        good = tcp4.bytes()
        eth = len(tcp4.eth)

        def plain(l4len):  # IHL 5, exactly the frame's length
            return (tcp4.eth + struct.pack("!BBH", 0x45, 0, 20 + l4len) +
                    tcp4.l3[4:20] + tcp4.l4[:l4len])
        ihl4 = bytearray(plain(20))
        ihl4[eth] = 0x44
        ihl15 = bytearray(plain(20))
        ihl15[eth] = 0x4F
        short_tcp = plain(10)
        arp = bytearray(good)
        arp[eth - 2:eth] = b"\x08\x06"
        cases = [
            (good[:10], "tcp", ["frame", "too short"]),
            (bytes(ihl4), "ip", ["frame", "IHL"]),
            (bytes(ihl15), "ip", ["frame", "IHL"]),
            (short_tcp, "tcp", ["frame", "TCP header truncated"]),
            (good[:len(good) - 1], "tcp", ["frame", "total length"]),
            (bytes(arp), "ip", ["frame", "ethertype"]),
            (good, "udp", ["frame", "not UDP"]),
            (good, "icmpv6", ["frame", "IPv6"]),
            (Frame(rng, 6, UDP).bytes(), "ip", ["frame", "IPv6"]),
        ]
        resps = self.batch([("checksum", {"frame": b64(f), "kind": k})
                            for f, k, _ in cases])
        for (f, k, names), resp in zip(cases, resps):
            assert_error(resp, "bad_request", any_id=True, names=names)
        assert_error(self.c.call("checksum", frame=b64(good), kind="sctp"),
                     "bad_request", any_id=True, names="kind")
        assert_error(self.c.call("checksum", kind="ip"), "bad_request",
                     any_id=True, names="frame")
        assert_error(self.c.call("checksum", frame="***", kind="ip"),
                     "bad_request", any_id=True, names="frame")
        self.assertTrue(self.daemon.alive())


# --------------------------------------------------------------------------
# fix_checksums on the wire


def mac_bytes(text):
    return bytes.fromhex(text.replace(":", ""))


class FixChecksumsTests(ChecksumTestCase):

    def setUp(self):
        super().setUp()
        self.sniff = self.ns.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                    socket.htons(ETH_P_ALL))
        self.addCleanup(self.sniff.close)
        self.sniff.bind((self.ns.peer_ifname, ETH_P_ALL))
        self.udp4 = self.ns.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(self.udp4.close)
        self.udp4.bind((PEER_V4, 0))
        self.udp4.setblocking(False)
        self.mine = mac_bytes(self.ns.mac())
        self.peer = mac_bytes(self.ns.mac(peer=True))

    def l2(self, ethertype):
        return self.peer + self.mine + struct.pack("!H", ethertype)

    def udp_packet(self, marker):
        """IPv4/UDP from the daemon side to the peer's socket, both
        checksums zero."""
        payload = b"fix-checksums:" + marker + b"!"  # odd length
        udp = struct.pack("!HHHH", 40000, self.udp4.getsockname()[1],
                          8 + len(payload), 0) + payload
        return struct.pack("!BBHHHBBH4s4s", 0x46, 0, 24 + len(udp), 1,
                           0x4000, 64, UDP, 0, socket.inet_aton(DAEMON_V4),
                           socket.inet_aton(PEER_V4)) + b"\x01" * 4 + udp

    def tcp6_packet(self, marker):
        payload = b"fix-checksums:" + marker
        tcp = struct.pack("!HHIIBBHHH", 40001, 9, 1, 0, 0x50, 0x18, 1024, 0,
                          0) + payload
        return struct.pack("!IHBB16s16s", 0x60000000, len(tcp), TCP, 64,
                           socket.inet_pton(socket.AF_INET6, DAEMON_V6),
                           socket.inet_pton(socket.AF_INET6, PEER_V6)) + tcp

    def captured(self, marker):
        f = wait_frame(self.sniff, lambda d: marker in d)
        self.assertIsNotNone(f, f"frame {marker!r} not seen on the peer")
        return f

    def assert_valid(self, frame):
        """Check the captured frame's checksums from scratch."""
        et = struct.unpack("!H", frame[12:14])[0]
        ip = frame[14:]
        if et == 0x0800:
            hlen = (ip[0] & 15) * 4
            total = struct.unpack("!H", ip[2:4])[0]
            self.assertEqual(rfc1071(ip[:hlen]), 0, "IPv4 header checksum")
            src, dst, proto, l4 = ip[12:16], ip[16:20], ip[9], ip[hlen:total]
            version = 4
        else:
            self.assertEqual(et, 0x86DD)
            plen = struct.unpack("!H", ip[4:6])[0]
            src, dst, proto, l4 = ip[8:24], ip[24:40], ip[6], ip[40:40 + plen]
            version = 6
        head = pseudo_header(version, src, dst, proto, len(l4))
        self.assertEqual(rfc1071(head + l4), 0, f"protocol {proto} checksum")
        off = {TCP: 16, UDP: 6}[proto]
        self.assertNotEqual(l4[off:off + 2], b"\0\0")

    def assert_peer_udp_got(self, marker):
        ready, _, _ = select.select([self.udp4], [], [], 3.0)
        self.assertTrue(ready, "the peer kernel dropped the datagram")
        data = self.udp4.recv(65536)
        self.assertIn(marker, data)

    def open_packet(self, type="raw"):
        return assert_ok(self.c.call(
            "open", domain="packet", type=type, protocol="all",
            ifname=self.ns.ifname))["handle"]

    def test_packet_send_sendto_sendmsg(self):
        """A packet raw socket of uid 4242 (spoof: false) sends frames with
        zeroed checksums and fix_checksums: send, sendto and sendmsg over
        a 3-part iov split inside the headers; the peer captures them with
        valid checksums and its kernel's UDP socket accepts them."""
        h = self.open_packet()
        f1 = self.l2(0x0800) + self.udp_packet(b"send")
        self.assertEqual(assert_ok(self.c.call(
            "send", handle=h, data=b64(f1), fix_checksums=True))["sent"],
            len(f1))
        got = self.captured(b"send!")
        self.assert_valid(got)
        self.assertEqual(len(got), len(f1))
        self.assert_peer_udp_got(b"send")

        f2 = self.l2(0x86DD) + self.tcp6_packet(b"sendto")
        to = {"family": "packet", "ifname": self.ns.ifname,
              "protocol": 0x86DD}
        assert_ok(self.c.call("sendto", handle=h, data=b64(f2), address=to,
                              fix_checksums=True))
        self.assert_valid(self.captured(b"sendto"))

        f3 = self.l2(0x0800) + self.udp_packet(b"sendmsg")
        parts = [f3[:20], f3[20:41], f3[41:]]
        self.assertEqual(assert_ok(self.c.call(
            "sendmsg", handle=h, iov=[b64(p) for p in parts],
            fix_checksums=True))["sent"], len(f3))
        self.assert_valid(self.captured(b"sendmsg!"))
        self.assert_peer_udp_got(b"sendmsg")

    def test_without_fix_the_peer_drops(self):
        """Control: without fix_checksums a zero IPv4 header checksum, and
        then a valid header with a wrong UDP checksum, reach the peer's
        wire but not its UDP socket: the peer kernel's acceptance above is
        a real judge of both checksums."""
        h = self.open_packet()
        pkt = self.udp_packet(b"unfixed-ip")
        assert_ok(self.c.call("send", handle=h,
                              data=b64(self.l2(0x0800) + pkt)))
        self.assertEqual(self.captured(b"unfixed-ip!")[24:26], b"\0\0")
        pkt = with_sum(self.udp_packet(b"unfixed-udp"), 24 + 6, 0x1234)
        pkt = with_sum(pkt, 10, rfc1071(pkt[:24]))
        assert_ok(self.c.call("send", handle=h,
                              data=b64(self.l2(0x0800) + pkt)))
        self.captured(b"unfixed-udp!")
        ready, _, _ = select.select([self.udp4], [], [], 0.5)
        self.assertFalse(ready, "a datagram with a bad checksum arrived")

    def test_l3_sockets(self):
        """A packet dgram socket (data at the IP header) and a raw inet
        socket with IPPROTO_RAW (IP_HDRINCL): fixed from L3."""
        h = self.open_packet("dgram")
        to = {"family": "packet", "ifname": self.ns.ifname,
              "protocol": 0x0800, "addr": self.ns.mac(peer=True)}
        assert_ok(self.c.call("sendto", handle=h, address=to,
                              data=b64(self.udp_packet(b"dgram")),
                              fix_checksums=True))
        self.assert_valid(self.captured(b"dgram!"))
        self.assert_peer_udp_got(b"dgram")

        raw = assert_ok(self.c.call("open", domain="inet", type="raw",
                                    protocol="raw",
                                    ifname=self.ns.ifname))["handle"]
        assert_ok(self.c.call("sendto", handle=raw,
                              address={"family": "inet", "host": PEER_V4,
                                       "port": 0},
                              data=b64(self.udp_packet(b"hdrincl")),
                              fix_checksums=True))
        self.assert_valid(self.captured(b"hdrincl!"))
        self.assert_peer_udp_got(b"hdrincl")

    def test_refused(self):
        """fix_checksums on a malformed frame is bad_request and nothing
        goes out; on a socket whose headers the kernel builds it is
        bad_request; an ill-typed fix_checksums is bad_request."""
        h = self.open_packet()
        f = self.l2(0x0800) + self.udp_packet(b"malformed")
        bad = f[:14] + b"\x44" + f[15:]
        assert_error(self.c.call("send", handle=h, data=b64(bad),
                                 fix_checksums=True), "bad_request",
                     any_id=True, names=["data", "IHL"])
        assert_error(self.c.call("sendmsg", handle=h, iov=[b64(f[:-30])],
                                 fix_checksums=True), "bad_request",
                     any_id=True, names=["iov", "total length"])
        self.assertIsNone(wait_frame(self.sniff, lambda d: b"malformed" in d,
                                     timeout=0.3))
        udp = assert_ok(self.c.call("open", domain="inet", type="dgram",
                                    ifname=self.ns.ifname))["handle"]
        assert_error(self.c.call("sendto", handle=udp, data=b64(b"x"),
                                 address={"family": "inet", "host": PEER_V4,
                                          "port": 9},
                                 fix_checksums=True), "bad_request",
                     any_id=True, names="fix_checksums")
        assert_error(self.c.call("send", handle=h, data=b64(f),
                                 fix_checksums="yes"), "bad_request",
                     any_id=True, names="fix_checksums")

    def test_fix_before_spoof_check(self):
        """Fixing does not get around spoof: false: a frame from a foreign
        IPv4 source is still denied with fix_checksums."""
        h = self.open_packet()
        pkt = bytearray(self.udp_packet(b"spoofed"))
        pkt[12:16] = socket.inet_aton("198.18.0.77")
        assert_error(self.c.call("send", handle=h,
                                 data=b64(self.l2(0x0800) + bytes(pkt)),
                                 fix_checksums=True), "denied", any_id=True,
                     names="spoof")


# --------------------------------------------------------------------------
# The local API: rs_checksum() behind rawsockctl checksum


class LocalChecksumTests(unittest.TestCase):

    def test_rawsockctl_checksum_local(self):
        """rawsockctl checksum (librawsock's rs_checksum, no daemon: the
        socket path points nowhere) agrees with the independent
        implementation on random frames, run as uid 4242; stdin works;
        malformed frames exit 1 naming the problem."""
        ctl = ctl_binary()
        if not os.access(ctl, os.X_OK):
            raise unittest.SkipTest(f"{ctl} not built")
        rng = random.Random(8)
        nowhere = ["-s", "/nonexistent/rawsockd.sock"]
        for i in range(40):
            version = 4 if i % 2 == 0 else 6
            proto = [TCP, UDP, ICMP if version == 4 else ICMPV6][i % 3]
            f = Frame(rng, version, proto)
            want, value = f.expect_l4()
            r = run_as_user([ctl, *nowhere, "checksum", KIND[proto],
                             f.bytes().hex()])
            self.assertEqual(r.returncode, 0, r.stderr)
            out = json.loads(r.stdout)
            self.assertEqual(out["checksum"], value)
            self.assertEqual(bytes.fromhex(out["frame_hex"]), want)
        r = subprocess.run([ctl, "checksum", "ip", "-"], capture_output=True,
                           text=True, timeout=10,
                           input=" ".join(f"{b:02x}" for b in seed_frame()))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"checksum": 28871', r.stdout)
        r = run_as_user([ctl, "checksum", "tcp", seed_frame()[:30].hex()])
        self.assertEqual(r.returncode, 1)
        self.assertIn("too short for an IPv4 header", r.stderr)
        r = run_as_user([ctl, "checksum", "bogus", "00"])
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    run_tests()
