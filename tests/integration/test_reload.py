"""Reload tests: what a SIGHUP does to what is already open.

This file owns the checks of proto/PROTOCOL.md "Policy reload": a reload
closes every handle its new rule would not have made as it is now (another
socket type, an interface no longer allowed, another policy filter, a
membership on an interface no longer allowed, a promiscuous membership
still held without configdev), each with a `closed` event of
reason "policy", ends its subscription, and gives back promiscuous holds
on interfaces without configdev; it keeps everything the new rule still
allows, and a reload of the same policy keeps everything.  What the
kernel does is checked apart from the daemon's word: frames at the peer
(NetNS.socket), promiscuity with `ip -j -d link`.

Clients are uid 4242, connected as that uid (harness.connect_as).

Run: RAWSOCKD=build/daemon/rawsockd /usr/bin/python3 test_reload.py -v
"""

import base64
import json
import os
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    TEST_UID, DaemonTestCase, assert_error, assert_ok, connect_as,
    netns_socket, run_tests, wait_frame, wait_until)

ETHERTYPE_TEST = 0x88B5  # IEEE 802 local experimental ethertype 1
ETHER_HDR = bytes.fromhex("ffffffffffff" "020000000001" "88b5")

BASE = {"domains": ["packet", "inet"], "types": ["raw", "dgram"],
        "protocols": ["*"], "interfaces": ["veth0"], "pass": True,
        "spoof": True, "configdev": True}


def b64(data):
    return base64.b64encode(data).decode()


def policy(**changes):
    return {"rules": [{"match": {"uid": TEST_UID},
                       "allow": dict(BASE, **changes)}]}


class ReloadTest(DaemonTestCase):

    def setUp(self):
        super().setUp()
        self.d = self.start_daemon(policy())
        self.ns = self.d.netns
        self.c = connect_as(self.d.socket_path)
        self.addCleanup(self.c.close)

    def reload(self, pol):
        since = self.d.reload(pol)
        self.assertIsNotNone(self.d.wait_log(r"policy reloaded", since),
                             "the reload was not applied")

    def open_packet(self, protocol="all", **params):
        return assert_ok(self.c.call("open", domain="packet", type="raw",
                                     protocol=protocol, ifname="veth0",
                                     **params))["handle"]

    def open_udp(self):
        return assert_ok(self.c.call("open", domain="inet",
                                     type="dgram"))["handle"]

    def closed_events(self, n, timeout=5.0):
        """The next n closed events, in order; other events are skipped."""
        got = [(ev["handle"], ev["reason"]) for ev in self.c.events
               if ev.get("event") == "closed"]
        self.c.events.clear()
        self.c.sock.settimeout(timeout)
        while len(got) < n:
            ev = self.c.recv_json()
            if ev.get("event") == "closed":
                got.append((ev["handle"], ev["reason"]))
        return got

    def assert_gone(self, h):
        assert_error(self.c.call("getsockname", handle=h),
                     "no_such_handle", any_id=True)

    def assert_alive(self, h):
        assert_ok(self.c.call("getsockname", handle=h))

    def promiscuity(self):
        out = self.ns.ip("-j", "-d", "link", "show", "dev", "veth0").stdout
        return json.loads(out)[0]["promiscuity"]

    def test_same_policy_keeps_everything(self):
        """A reload of the policy in force, filter and all, closes
        nothing: filters compare equal, holds stay."""
        pol = policy(filter="not udp")
        self.reload(pol)
        h = self.open_packet()
        u = self.open_udp()
        assert_ok(self.c.call("configdev", ifname="veth0", promisc=True))
        self.reload(pol)
        self.assertEqual(self.promiscuity(), 1)
        self.assert_alive(h)
        self.assert_alive(u)
        self.assertIsNotNone(self.d.wait_log(r"0 handles it does not allow"))

    def test_interface_taken_away(self):
        """A packet handle on an interface the new rule leaves out is
        closed and sends nothing more; a UDP socket it still allows
        stays."""
        h = self.open_packet()
        u = self.open_udp()
        peer = self.ns.socket(socket.AF_PACKET, socket.SOCK_RAW,
                              socket.htons(ETHERTYPE_TEST))
        self.addCleanup(peer.close)
        frame = ETHER_HDR + b"before the reload".ljust(46, b"\0")
        assert_ok(self.c.call("send", handle=h, data=b64(frame)))
        self.assertIsNotNone(wait_frame(peer, lambda f: f == frame),
                             "the frame sent before the reload is missing")
        self.reload(policy(interfaces=["lo"]))
        self.assertEqual(self.closed_events(1), [(h, "policy")])
        self.assert_alive(u)
        frame = ETHER_HDR + b"after the reload".ljust(46, b"\0")
        assert_error(self.c.call("send", handle=h, data=b64(frame)),
                     "no_such_handle", any_id=True)
        self.assertIsNone(wait_frame(peer, lambda f: f == frame,
                                     timeout=0.3))

    def test_socket_type_taken_away(self):
        h = self.open_packet()
        u = self.open_udp()
        self.reload(policy(domains=["packet"]))
        self.assertEqual(self.closed_events(1), [(u, "policy")])
        self.assert_gone(u)
        self.assert_alive(h)

    def test_no_rule_left_closes_all(self):
        h = self.open_packet()
        u = self.open_udp()
        self.reload({"rules": []})
        self.assertEqual(sorted(self.closed_events(2)),
                         sorted([(h, "policy"), (u, "policy")]))
        assert_ok(self.c.call("ping"))   # the connection itself stays

    def test_new_filter_closes_and_pass_cannot_escape_it(self):
        """A handle made without a filter cannot be passed after the
        policy adds one: it was closed, not left to carry no filter."""
        h = self.open_packet()
        self.reload(policy(filter="not udp"))
        self.assertEqual(self.closed_events(1), [(h, "policy")])
        assert_error(self.c.call("pass", handle=h), "no_such_handle",
                     any_id=True)
        # One made now carries the filter, and is kept by the next reload
        # of the same policy.
        h2 = self.open_packet()
        self.reload(policy(filter="not udp"))
        self.assert_alive(h2)

    def test_subscription_ends(self):
        h = self.open_packet()
        resp, fds = self.c.call_fds("subscribe", handle=h)
        assert_ok(resp)
        chan = socket.socket(fileno=fds[0])
        self.addCleanup(chan.close)
        self.reload(policy(interfaces=["lo"]))
        self.assertEqual(self.closed_events(1), [(h, "policy")])
        # Frames the interface saw before (IPv6 neighbour discovery) may
        # come first; then the end.
        chan.settimeout(5.0)
        for _ in range(1000):
            if chan.recv(65536) == b"":
                break
        else:
            self.fail("the channel did not end")

    def test_a_request_waiting_on_it_is_answered(self):
        """A recv waiting (for good) on a handle the reload closes is
        answered no_such_handle at once, and the connection goes on; the
        next socket the daemon makes works (its fd number may be the
        closed one's)."""
        h = self.open_packet(protocol=0x88B6)
        rid = 77
        self.c.send_json({"id": rid, "op": "recv", "handle": h,
                          "timeout_ms": -1})
        time.sleep(0.2)     # parked
        self.reload(policy(interfaces=["lo"]))
        self.c.sock.settimeout(5.0)
        assert_error(self.c.recv_response(rid), "no_such_handle", rid=rid)
        assert_ok(self.c.call("ping"))
        u = self.open_udp()
        assert_ok(self.c.call("bind", handle=u, address={
            "family": "inet", "host": "127.0.0.1", "port": 0}))
        port = assert_ok(self.c.call("getsockname", handle=u))[
            "address"]["port"]
        s = self.ns_udp()
        s.sendto(b"after", ("127.0.0.1", port))
        got = assert_ok(self.c.call("recv", handle=u, timeout_ms=3000))
        self.assertEqual(base64.b64decode(got["data"]), b"after")

    def ns_udp(self):
        s = netns_socket(self.ns.name, socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(s.close)
        return s

    def test_promisc_given_back_without_configdev(self):
        assert_ok(self.c.call("configdev", ifname="veth0", promisc=True))
        self.assertEqual(self.promiscuity(), 1)
        self.reload(policy(configdev=False))
        self.assertTrue(wait_until(lambda: self.promiscuity() == 0,
                                   timeout=5.0, interval=0.05),
                        f"promiscuity {self.promiscuity()} after the reload")
        assert_ok(self.c.call("ping"))

    def test_promisc_membership_closes_without_configdev(self):
        """A PACKET_MR_PROMISC membership on a handle is configdev's: the
        handle goes with it, and so does the interface's promiscuity;
        a handle without one stays."""
        h = self.open_packet()
        plain = self.open_packet()
        assert_ok(self.c.call("setsockopt", handle=h, level="SOL_PACKET",
                              option="PACKET_ADD_MEMBERSHIP",
                              value={"ifname": "veth0",
                                     "type": "PACKET_MR_PROMISC"}))
        self.assertEqual(self.promiscuity(), 1)
        self.reload(policy(configdev=False))
        self.assertEqual(self.closed_events(1), [(h, "policy")])
        self.assert_alive(plain)
        self.assertTrue(wait_until(lambda: self.promiscuity() == 0,
                                   timeout=5.0, interval=0.05),
                        f"promiscuity {self.promiscuity()} after the reload")


    def test_memberships_follow_the_interfaces(self):
        """A multicast membership names an interface: a handle holding one
        on an interface the new rule takes away goes, though its socket
        is otherwise allowed (an unbound UDP socket); a promiscuous
        membership dropped again no longer counts against configdev."""
        def setopt(handle, level, options, value):
            for option in options:
                assert_ok(self.c.call("setsockopt", handle=handle,
                                      level=level, option=option,
                                      value=value))
        udp, left, h = self.open_udp(), self.open_udp(), self.open_packet()
        setopt(udp, "ip", ["IP_ADD_MEMBERSHIP"],
               {"multiaddr": "239.1.2.3", "ifname": "veth0"})
        setopt(left, "ip", ["IP_ADD_MEMBERSHIP", "IP_DROP_MEMBERSHIP"],
               {"multiaddr": "239.1.2.4", "ifname": "veth0"})
        setopt(h, "SOL_PACKET", ["PACKET_ADD_MEMBERSHIP",
                                 "PACKET_DROP_MEMBERSHIP"],
               {"ifname": "veth0", "type": "PACKET_MR_PROMISC"})
        self.reload(policy(configdev=False))
        self.assert_alive(h)
        self.reload(policy(configdev=False, interfaces=["lo"],
                           types=["dgram"]))
        self.assertEqual(self.closed_events(2), [(udp, "policy"),
                                                 (h, "policy")])
        self.assert_alive(left)


if __name__ == "__main__":
    run_tests()
