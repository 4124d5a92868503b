"""rawsockctl capture and send: frames through a binary channel, as uid 4242.

The daemon runs in a fresh namespace with a veth pair; rawsockctl runs as
uid 4242 (setpriv).  What goes on the wire is judged by a packet socket in
the peer namespace, and capture files are read by tcpdump and by a pcap
parser written here, not by rawsockctl.
"""

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    TEST_GID, TEST_UID, DaemonTestCase, run_as_user, run_tests, wait_until,
)

ETH_P_ALL = 0x0003
ETHERTYPE_TEST = 0x88B5
FOREIGN_MAC = bytes.fromhex("020000000099")


def policy(spoof):
    return {"rules": [{"match": {"uid": TEST_UID}, "allow": {
        "domains": ["packet"], "types": ["raw"], "protocols": ["all"],
        "interfaces": ["veth0"], "spoof": spoof, "tx_pps": 0,
    }}]}


def ctl_binary():
    path = os.environ.get("RAWSOCKCTL", "build/client/rawsockctl")
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"{path} not built")
    return path


def mac_bytes(text):
    return bytes.fromhex(text.replace(":", ""))


def read_pcap(path):
    """[(ts_sec, ts_frac, orig_len, data)] and whether it is ns-precision."""
    with open(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack("=I", raw[:4])
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), f"not a pcap file: {magic:#x}"
    linktype, = struct.unpack("=I", raw[20:24])
    assert linktype == 1, f"linktype {linktype}, expected ethernet"
    out, off = [], 24
    while off < len(raw):
        sec, frac, caplen, length = struct.unpack("=IIII", raw[off:off + 16])
        out.append((sec, frac, length, raw[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return out, magic == 0xA1B23C4D


def write_pcap(path, frames, linktype=1, cut=(), tail=b""):
    """A pcap of frames; those indexed in cut recorded with only their
    first 30 bytes (caplen < len); tail appended (a torn record)."""
    with open(path, "wb") as f:
        f.write(struct.pack("=IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535,
                            linktype))
        for i, fr in enumerate(frames):
            data = fr[:30] if i in cut else fr
            f.write(struct.pack("=IIII", 1000 + i, 0, len(data), len(fr)))
            f.write(data)
        f.write(tail)
    os.chmod(path, 0o644)


class CtlStreamTest(DaemonTestCase):

    def start(self, spoof=False):
        self.ctl = ctl_binary()
        self.daemon = self.start_daemon(policy(spoof))
        self.ns = self.daemon.netns
        self.peer = self.ns.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(ETH_P_ALL))
        self.addCleanup(self.peer.close)
        self.peer.bind((self.ns.peer_ifname, ETH_P_ALL))
        self.peer.settimeout(0.5)
        self.tmp = tempfile.mkdtemp(prefix="rsctl")
        os.chmod(self.tmp, 0o777)
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", self.tmp]))
        self.dmac = mac_bytes(self.ns.mac())
        self.pmac = mac_bytes(self.ns.mac(peer=True))

    def frame(self, i, src=None, size=80, inbound=False, et=ETHERTYPE_TEST):
        """A numbered test frame: daemon -> peer, or peer -> daemon."""
        dst = self.dmac if inbound else self.pmac
        src = src or (self.pmac if inbound else self.dmac)
        head = dst + src + struct.pack("!HI", et, i)
        return head + bytes((i + k) & 0xFF for k in range(size - len(head)))

    def peer_frames(self, want, timeout=5.0):
        got, deadline = [], time.monotonic() + timeout
        while len(got) < want and time.monotonic() < deadline:
            try:
                fr = self.peer.recv(65536)
            except TimeoutError:
                continue
            if fr[12:14] == struct.pack("!H", ETHERTYPE_TEST):
                got.append(fr)
        return got

    def ctl_json(self, *args):
        r = run_as_user([self.ctl, "-s", self.daemon.socket_path, *args])
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_send_hex_frames_reach_the_peer(self):
        """send -n 50 IFNAME HEX puts 50 copies on the wire, byte for byte,
        and reports the handle's counters."""
        self.start()
        fr = self.frame(7)
        out = self.ctl_json("send", "-n", "50", "veth0", fr.hex())
        got = self.peer_frames(50)
        self.assertEqual(len(got), 50)
        self.assertTrue(all(g == fr for g in got))
        self.assertEqual(out["written"], 50)
        self.assertEqual(out["handle"]["frames_out"], 50)
        self.assertEqual(out["handle"]["tx_rejected"], 0)
        self.assertEqual(self.peer_frames(1, timeout=0.3), [])

    def test_send_bad_hex_is_refused(self):
        """A frame that is not whole hex bytes (odd length, a sign, a
        space, 0x) is refused before anything is written."""
        self.start()
        fr = self.frame(3).hex()
        for bad in (fr + "a", "+" + fr[1:], " " + fr[1:], "0x" + fr[2:]):
            with self.subTest(bad=bad[:4]):
                r = run_as_user([self.ctl, "-s", self.daemon.socket_path,
                                 "send", "veth0", bad])
                self.assertEqual(r.returncode, 1, r.stdout)
                self.assertIn("Invalid argument", r.stderr)
                self.assertEqual(json.loads(r.stdout)["written"], 0)
        self.assertEqual(self.peer_frames(1, timeout=0.3), [])

    def test_open_error_is_said(self):
        """A request too long to send says why (it once said nothing and
        then waited for good)."""
        self.start()
        r = run_as_user([self.ctl, "-s", self.daemon.socket_path,
                         "capture", "-f", "x" * 131000, "veth0", "-"],
                        timeout=20)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("open veth0: request of", r.stderr)

    def test_send_spoofed_frames_are_refused_and_counted(self):
        """With spoof off, frames with a foreign source MAC never reach the
        wire and rawsockctl reports them as rejected."""
        self.start(spoof=False)
        out = self.ctl_json("send", "-n", "5", "veth0",
                            self.frame(1, src=FOREIGN_MAC).hex())
        self.assertEqual(out["handle"]["tx_rejected"], 5)
        self.assertEqual(out["handle"]["frames_out"], 0)
        self.assertEqual(self.peer_frames(1, timeout=0.5), [])

    def test_send_pcap_file_in_order(self):
        """send -r FILE sends a pcap's frames in order, twice with -n 2."""
        self.start()
        frames = [self.frame(i, size=60 + 37 * i) for i in range(10)]
        path = os.path.join(self.tmp, "in.pcap")
        write_pcap(path, frames)
        out = self.ctl_json("send", "-n", "2", "-r", path, "veth0")
        self.assertEqual(out["written"], 20)
        self.assertEqual(self.peer_frames(20), frames + frames)

    def test_send_pcap_refusals(self):
        """send -r sends no record cut short at capture and says how many
        it left (exit 1), reports a file torn mid-record (exit 1) and
        refuses a file of another link type than the interface's."""
        self.start()
        frames = [self.frame(i, size=80) for i in range(3)]
        path = os.path.join(self.tmp, "cut.pcap")
        write_pcap(path, frames, cut={1})
        r = run_as_user([self.ctl, "-s", self.daemon.socket_path, "send",
                         "-r", path, "veth0"])
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("1 records cut short at capture, not sent", r.stderr)
        self.assertEqual(json.loads(r.stdout)["written"], 2)
        self.assertEqual(self.peer_frames(3, timeout=1.0),
                         [frames[0], frames[2]])
        write_pcap(path, frames[:1], tail=struct.pack("=IIII", 1, 0, 80,
                                                        80) + frames[1][:20])
        r = run_as_user([self.ctl, "-s", self.daemon.socket_path, "send",
                         "-r", path, "veth0"])
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("truncated", r.stderr)
        self.assertEqual(self.peer_frames(2, timeout=1.0), frames[:1])
        write_pcap(path, frames, linktype=101)     # LINKTYPE_RAW
        r = run_as_user([self.ctl, "-s", self.daemon.socket_path, "send",
                         "-r", path, "veth0"])
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("link type RAW, the interface's is EN10MB", r.stderr)
        self.assertEqual(self.peer_frames(1, timeout=0.5), [])

    def capture(self, count, *opts, elsewhere=False):
        """rawsockctl capture on veth0; elsewhere: run in the peer's
        network namespace, where veth0 is not a name."""
        path = os.path.join(self.tmp, "out.pcap")
        since = len(self.daemon.log())
        where = ["ip", "netns", "exec", self.ns.peer] if elsewhere else []
        proc = subprocess.Popen(
            where + ["setpriv", f"--reuid={TEST_UID}", f"--regid={TEST_GID}",
             "--clear-groups", self.ctl, "-s", self.daemon.socket_path,
             "capture", "-c", str(count), "-t", "10", *opts, "veth0", path],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.daemon.wait_log(r"op subscribe: ok", since=since)
        return proc, path

    def test_capture_writes_a_pcap_tcpdump_reads(self):
        """capture -c 30 writes the peer's 30 frames with nanosecond
        timestamps; tcpdump reads the file back."""
        self.start()
        proc, path = self.capture(30, "-f", f"ether proto {ETHERTYPE_TEST}")
        sent = [self.frame(i, size=60 + 11 * i, inbound=True)
                for i in range(30)]
        before = time.time()
        for fr in sent:
            self.peer.send(fr)
        _, err = proc.communicate(timeout=15)
        self.assertEqual(proc.returncode, 0, err)
        recs, nano = read_pcap(path)
        self.assertTrue(nano)
        self.assertEqual([r[3] for r in recs], sent)
        self.assertEqual([r[2] for r in recs], [len(fr) for fr in sent])
        for sec, frac, _, _ in recs:
            self.assertLess(frac, 1000000000)
            self.assertLess(abs(sec + frac / 1e9 - before), 10)
        td = subprocess.run(["tcpdump", "-nn", "-r", path], text=True,
                            capture_output=True)
        self.assertEqual(td.returncode, 0, td.stderr)
        heads = [l for l in td.stdout.splitlines() if "0x88b5" in l]
        self.assertEqual(len(heads), 30, td.stdout)

    def test_capture_puts_vlan_tags_back(self):
        """A tagged frame arrives with its tag in metadata (the kernel
        takes it off); the file holds it tagged, as it was sent."""
        self.start()
        proc, path = self.capture(3, "-f", f"ether proto {ETHERTYPE_TEST}")
        sent = []
        for i, tci in enumerate((5, 0x2007, 4094)):
            fr = self.frame(i, size=70, inbound=True)
            sent.append(fr[:12] + struct.pack("!HH", 0x8100, tci) + fr[12:])
            self.peer.send(sent[-1])
        _, err = proc.communicate(timeout=15)
        self.assertEqual(proc.returncode, 0, err)
        recs, _ = read_pcap(path)
        self.assertEqual([r[3] for r in recs], sent)
        self.assertEqual([r[2] for r in recs], [len(fr) for fr in sent])
        td = subprocess.run(["tcpdump", "-nn", "-e", "-r", path], text=True,
                            capture_output=True)
        self.assertEqual(td.returncode, 0, td.stderr)
        self.assertIn("vlan 5,", td.stdout)
        # Cut to a snaplen, a tagged record still fits the file's.
        proc, path = self.capture(1, "-f", f"ether proto {ETHERTYPE_TEST}",
                                  "-s", "40")
        self.peer.send(sent[0])
        _, err = proc.communicate(timeout=15)
        self.assertEqual(proc.returncode, 0, err)
        with open(path, "rb") as f:
            snaplen, = struct.unpack("=I", f.read(24)[16:20])
        recs, _ = read_pcap(path)
        self.assertEqual(recs[0][3], sent[0][:44])
        self.assertGreaterEqual(snaplen, len(recs[0][3]))

    def test_capture_from_another_namespace(self):
        """A client in another network namespace names the daemon's
        interfaces by the daemon's names; addresses it is given go by
        index, not by a name it has no interface for."""
        self.start()
        proc, path = self.capture(2, "-f", f"ether proto {ETHERTYPE_TEST}",
                                  elsewhere=True)
        sent = [self.frame(i, inbound=True) for i in range(2)]
        for fr in sent:
            self.peer.send(fr)
        _, err = proc.communicate(timeout=15)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual([r[3] for r in read_pcap(path)[0]], sent)

    def test_capture_filter_and_snaplen(self):
        """-f keeps only matching frames; -s cuts them and keeps the
        original length."""
        self.start()
        proc, path = self.capture(5, "-f", "ether proto 0x88b6",
                                  "-s", "40")
        for i in range(10):
            self.peer.send(self.frame(i, size=100, inbound=True,
                                      et=0x88B6 if i % 2 else ETHERTYPE_TEST))
        _, err = proc.communicate(timeout=15)
        self.assertEqual(proc.returncode, 0, err)
        recs, _ = read_pcap(path)
        self.assertEqual(len(recs), 5)
        for _, _, length, data in recs:
            self.assertEqual(data[12:14], b"\x88\xb6")
            self.assertEqual(len(data), 40)
            self.assertEqual(length, 100)


if __name__ == "__main__":
    run_tests()
