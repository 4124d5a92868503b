"""rawsockctl ping: ICMP and ICMPv6 echo through the daemon, as uid 4242.

rawsockctl runs as uid 4242 (setpriv) in the test's own namespace: its
raw socket comes from the daemon, in the daemon's namespace, the only one
where the peer address answers.  What went on the wire is judged by a
packet socket in the peer namespace: every echo request with the run's
identifier (random, printed in the PING line), its sequence numbers and
payload (a random cookie, then counting bytes), independently of the reply
lines rawsockctl prints.
"""

import os
import re
import socket
import struct
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    OTHER_UID, PEER_V4, PEER_V6, TEST_GID, TEST_UID, DaemonTestCase,
    run_as_user, run_tests,
)

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
ICMP_ECHO = 8
ICMP6_ECHO_REQUEST = 128
PAYLOAD = bytes(range(56))
UNANSWERED_V4 = "198.18.0.99"   # in the veth's /24, nobody has it


def policy(managed):
    """Raw ICMP sockets for TEST_UID: kept managed (an interface list), or
    passed (any interface, spoof allowed)."""
    allow = {"domains": ["inet", "inet6"], "types": ["raw"],
             "protocols": ["icmp", "ipv6-icmp"]}
    if managed:
        allow.update(interfaces=["veth0"], spoof=False)
    else:
        allow.update(interfaces=["*"], spoof=True, **{"pass": True})
    return {"rules": [{"match": {"uid": TEST_UID}, "allow": allow}]}


def ctl_binary():
    path = os.environ.get("RAWSOCKCTL", "build/client/rawsockctl")
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"{path} not built")
    return path


def echo_requests(frames, ident):
    """(family, seq, payload) of every echo request in frames with ident."""
    out = []
    for f in frames:
        et, = struct.unpack("!H", f[12:14])
        if et == ETH_P_IP and f[23] == socket.IPPROTO_ICMP:
            icmp = f[14 + (f[14] & 0x0F) * 4:]
            kind = ICMP_ECHO
            fam = socket.AF_INET
        elif et == ETH_P_IPV6 and f[20] == socket.IPPROTO_ICMPV6:
            icmp = f[54:]
            kind = ICMP6_ECHO_REQUEST
            fam = socket.AF_INET6
        else:
            continue
        t, _, _, i, seq = struct.unpack("!BBHHH", icmp[:8])
        if t == kind and i == ident:
            out.append((fam, seq, icmp[8:]))
    return out


class PingTest(DaemonTestCase):

    def start(self, managed=True):
        self.ctl = ctl_binary()
        self.daemon = self.start_daemon(policy(managed))
        self.ns = self.daemon.netns
        self.peer = self.ns.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(ETH_P_ALL))
        self.addCleanup(self.peer.close)
        self.peer.bind((self.ns.peer_ifname, ETH_P_ALL))
        self.peer.setblocking(False)

    def ping(self, *args, uid=TEST_UID):
        """(exit code, stdout, stderr, pid) of rawsockctl ping args."""
        p = subprocess.Popen(
            ["setpriv", f"--reuid={uid}", f"--regid={uid}",
             "--clear-groups", "--", self.ctl, "-s",
             self.daemon.socket_path, "ping", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = p.communicate(timeout=30)
        return p.returncode, out, err, p.pid

    def peer_frames(self):
        frames = []
        while True:
            try:
                frames.append(self.peer.recv(65536))
            except BlockingIOError:
                return frames

    def check_run(self, out, host, count, mode):
        """The run's identifier, once its output is checked."""
        m = re.search(rf"^PING {re.escape(host)} \({re.escape(host)}\): 56 "
                      rf"data bytes, socket {mode}, id (\d+)$", out, re.M)
        self.assertIsNotNone(m, out)
        seqs = [int(m) for m in re.findall(
            rf"^64 bytes from {re.escape(host)}: icmp_seq=(\d+)"
            rf"{' ttl=64' if ':' not in host else ''} time=[0-9.]+ ms$",
            out, re.M)]
        self.assertEqual(seqs, list(range(1, count + 1)), out)
        self.assertIn(f"{count} packets transmitted, {count} received, "
                      "0% packet loss", out)
        self.assertRegex(out, r"rtt min/avg/max = [0-9.]+/[0-9.]+/[0-9.]+ ms")
        return int(m.group(1))

    def check_wire(self, ident, family, count):
        """Every request on the wire: the run's identifier, sequence 1..
        count, one random 8-byte cookie, then counting bytes."""
        sent = echo_requests(self.peer_frames(), ident)
        self.assertEqual([(f, s) for f, s, _ in sent],
                         [(family, s) for s in range(1, count + 1)])
        self.assertEqual(len({p[:8] for _, _, p in sent}), 1)
        self.assertTrue(all(p[8:] == PAYLOAD[8:] for _, _, p in sent))

    def ping_and_check(self, host, family, count, mode, *args):
        """ping -c count host: every reply printed, every request on the
        wire as sent."""
        rc, out, err, _ = self.ping("-c", str(count), "-i", "50", "-W",
                                    "3000", *args, host)
        self.assertEqual(rc, 0, err)
        self.check_wire(self.check_run(out, host, count, mode), family,
                        count)

    def test_managed_ipv4(self):
        """Through a managed socket on the interface the policy names
        (-I): 3 requests on the wire, 3 replies."""
        self.start(managed=True)
        self.ping_and_check(PEER_V4, socket.AF_INET, 3, "managed", "-I",
                            "veth0")

    def test_managed_ipv6(self):
        """The same over ICMPv6 (no TTL: no IPv6 header comes with it)."""
        self.start(managed=True)
        self.ping_and_check(PEER_V6, socket.AF_INET6, 3, "managed", "-I",
                            "veth0")

    def test_passed_both_families(self):
        """When the policy lets the socket be passed, rawsockctl sends and
        receives on it itself."""
        self.start(managed=False)
        self.ping_and_check(PEER_V4, socket.AF_INET, 2, "passed")
        self.ping_and_check(PEER_V6, socket.AF_INET6, 2, "passed")

    def test_no_reply_exits_1(self):
        """Nobody answers: every request counted lost, exit 1."""
        self.start(managed=True)
        t0 = time.monotonic()
        rc, out, err, _ = self.ping("-c", "2", "-i", "10", "-W", "200",
                                    "-I", "veth0", UNANSWERED_V4)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("2 packets transmitted, 0 received, 100% packet loss",
                      out)
        self.assertNotIn("bytes from", out)
        self.assertLess(time.monotonic() - t0, 10)

    def test_an_error_mid_run_exits_2(self):
        """The interface goes while replies come: the run stops with the
        error and exits 2, as ping(8), though replies came."""
        self.start(managed=True)
        p = subprocess.Popen(
            ["setpriv", f"--reuid={TEST_UID}", f"--regid={TEST_GID}",
             "--clear-groups", "--", self.ctl, "-s",
             self.daemon.socket_path, "ping", "-c", "50", "-i", "50",
             "-I", "veth0", PEER_V4],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.6)
        self.ns.ip("link", "del", self.ns.ifname)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 2, out + err)
        self.assertIn("bytes from", out)
        self.assertIn("rawsockctl: ping:", err)

    def test_other_interface_and_other_uid_denied(self):
        """The policy decides: no interface where it names some (the
        error says how to give one), an interface it does not name, a uid
        it has no rule for; nothing reaches the wire."""
        self.start(managed=True)
        rc, _, err, _ = self.ping("-c", "1", PEER_V4)
        self.assertEqual(rc, 1)
        self.assertIn("denied", err)
        self.assertIn("-I IFNAME", err)
        rc, _, err, _ = self.ping("-c", "1", "-I", "lo", PEER_V4)
        self.assertEqual(rc, 1)
        self.assertIn("denied", err)
        rc, _, err, _ = self.ping("-c", "1", PEER_V4, uid=OTHER_UID)
        self.assertEqual(rc, 1)
        self.assertIn("denied", err)
        self.assertEqual(echo_requests(self.peer_frames(), 0), [])
        self.assertEqual([f for f in self.peer_frames()
                          if f[12:14] == b"\x08\x00" and f[23] == 1], [])

    def test_bad_arguments_and_the_daemon_ping(self):
        """Bad counts, sizes, intervals and argument lists are refused
        with the usage (exit 2); "ping" alone still asks the daemon."""
        self.start(managed=True)
        for args in (("-c", "0", PEER_V4), ("-s", "70000", PEER_V4),
                     ("-i", "1", PEER_V4), ("-c", "x", PEER_V4),
                     ("-c", "1"), ("-c", "1", PEER_V4, PEER_V6)):
            rc, _, err, _ = self.ping(*args)
            self.assertEqual(rc, 2, args)
        r = run_as_user([self.ctl, "-s", self.daemon.socket_path, "ping"],
                        uid=TEST_UID, gid=TEST_GID)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "{}")


if __name__ == "__main__":
    run_tests()
