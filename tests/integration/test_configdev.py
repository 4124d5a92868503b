"""configdev tests: the real rawsockd configuring a veth in its namespace.

This file owns the checks of PROTOCOL.md section 5 "Interface configuration"
(seed: CLISP RAWSOCK:CONFIGDEV, whose address argument upstream ignores; ours
must not): the interface address (IPv4 replaces, IPv6 adds, with a prefix),
noarp, up/down and promiscuous mode, each confirmed by `ip -j` run in the
daemon's namespace, never by the daemon's own answer, which must agree with
it; promiscuous mode held per client and reverted when the client goes
(disconnect, SIGKILL), kept while another client or someone outside the
daemon still wants it; the policy's configdev grant and interface list;
unknown interfaces and bad input changing nothing; and no program run by
the daemon (strace).

Clients are uid 4242 (granted configdev on veth0 and vethx*) and uid 4244
(a rule without configdev), connected as those uids (harness.connect_as), or
run wholly as 4242 for rawsockctl and the librawsock check program.

Run: RAWSOCKD=build/daemon/rawsockd /usr/bin/python3 test_configdev.py -v
"""

import json
import os
import select
import signal
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    DAEMON_V4, DAEMON_V6, OTHER_UID, TEST_GID, TEST_UID, DaemonTestCase,
    assert_error, assert_ok, connect_as, ctl_binary, run_as_user,
    run_tests, wait_until)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
IFNAME = "veth0"

POLICY = {"rules": [
    {"match": {"uid": TEST_UID},
     "allow": {"interfaces": [IFNAME, "vethx*"], "configdev": True,
               "addresses": ["198.18.0.0/15", "2001:db8::/32"]}},
    {"match": {"uid": OTHER_UID},
     "allow": {"interfaces": ["*"], "configdev": False}},
]}


def check_binary():
    return os.environ.get("CONFIGDEV_CHECK") or os.path.join(
        REPO, "build", "tests", "integration", "configdev-check")


class ConfigdevTest(DaemonTestCase):

    def setUp(self):
        super().setUp()
        self.d = self.start_daemon(POLICY)
        self.ns = self.d.netns

    # ---- what the kernel says, through ip -j in the daemon's namespace

    def link(self, ifname=IFNAME):
        out = self.ns.ip("-j", "-d", "link", "show", "dev", ifname).stdout
        return json.loads(out)[0]

    def addrs(self, ifname=IFNAME):
        out = self.ns.ip("-j", "addr", "show", "dev", ifname).stdout
        return {(a["family"], a["local"], a["prefixlen"])
                for a in json.loads(out)[0]["addr_info"]}

    def flags(self, ifname=IFNAME):
        return set(self.link(ifname)["flags"])

    def promiscuity(self, ifname=IFNAME):
        return self.link(ifname)["promiscuity"]

    def snapshot(self, ifname=IFNAME):
        link = self.link(ifname)
        return (set(link["flags"]), link["promiscuity"], link["mtu"],
                self.addrs(ifname))

    def assert_state_agrees(self, state, ifname=IFNAME):
        """The daemon's answer says what ip says."""
        link = self.link(ifname)
        self.assertEqual(state["name"], ifname)
        self.assertEqual(state["index"], link["ifindex"])
        self.assertEqual(state["mtu"], link["mtu"])
        self.assertEqual(state["mac"], link["address"])
        self.assertEqual(state["promiscuity"], link["promiscuity"])
        self.assertEqual(state["promisc"], link["promiscuity"] > 0 or
                         "PROMISC" in link["flags"])
        # ip prints IFF_LOWER_UP as LOWER_UP and leaves IFF_RUNNING out.
        mine = {f.removeprefix("IFF_") for f in state["flags"]} - {"RUNNING"}
        self.assertEqual(mine, set(link["flags"]) - {"M-DOWN"})
        self.assertEqual({(a["family"], a["address"], a["prefix"])
                          for a in state["addresses"]}, self.addrs(ifname))

    def client(self, uid=TEST_UID):
        c = connect_as(self.d.socket_path, uid=uid)
        self.addCleanup(c.close)
        return c

    def configdev(self, client, **params):
        resp = assert_ok(client.call("configdev", ifname=IFNAME, **params))
        self.assert_state_agrees(resp)
        return resp

    def wait_promiscuity(self, n):
        got = wait_until(lambda: self.promiscuity() == n, timeout=5.0,
                         interval=0.05)
        self.assertTrue(got, f"promiscuity {self.promiscuity()}, "
                        f"expected {n}")

    # ---- addresses

    def test_ipv4_address_replaces(self):
        """An IPv4 address replaces the interface's IPv4 address (the
        seed sets "the" address), keeping its IPv6 ones; ADDR/PREFIX and
        a separate prefix both work; no prefix means /32."""
        c = self.client()
        v6_before = {a for a in self.addrs() if a[0] == "inet6"}
        self.assertIn(("inet", DAEMON_V4, 24), self.addrs())
        self.configdev(c, address="198.18.0.9/25")
        self.assertEqual({a for a in self.addrs() if a[0] == "inet"},
                         {("inet", "198.18.0.9", 25)})
        self.assertEqual({a for a in self.addrs() if a[0] == "inet6"},
                         v6_before)
        self.configdev(c, address="198.18.0.10", prefix=26)
        self.assertEqual({a for a in self.addrs() if a[0] == "inet"},
                         {("inet", "198.18.0.10", 26)})
        self.configdev(c, address="198.18.0.11")
        self.assertEqual({a for a in self.addrs() if a[0] == "inet"},
                         {("inet", "198.18.0.11", 32)})

    def test_ipv4_address_in_same_subnet(self):
        """A new address in the old primary's subnet survives the removal
        of the old one (the kernel drops a primary's secondaries)."""
        c = self.client()
        self.ns.ip("addr", "add", "198.18.0.3/24", "dev", IFNAME)
        self.configdev(c, address="198.18.0.4/24")
        self.assertEqual({a for a in self.addrs() if a[0] == "inet"},
                         {("inet", "198.18.0.4", 24)})
        self.configdev(c, address="198.18.0.4/24")   # again: unchanged
        self.assertEqual({a for a in self.addrs() if a[0] == "inet"},
                         {("inet", "198.18.0.4", 24)})

    def test_ipv4_address_replaces_a_peer_address(self):
        """A point-to-point address (local and peer) goes too: removed by
        its local address, not left behind with success reported."""
        c = self.client()
        self.ns.ip("addr", "add", "198.18.5.1", "peer", "198.18.5.2/32",
                   "dev", IFNAME)
        self.assertIn(("inet", "198.18.5.1", 32), self.addrs())
        self.configdev(c, address="198.18.0.9/24")
        self.assertEqual({a for a in self.addrs() if a[0] == "inet"},
                         {("inet", "198.18.0.9", 24)})

    def test_ipv6_address_adds(self):
        """An IPv6 address is added next to the others (the link-local
        and the harness's stay), with its prefix."""
        c = self.client()
        before = self.addrs()
        self.assertIn(("inet6", DAEMON_V6, 64), before)
        self.configdev(c, address="2001:db8:1::5", prefix=64)
        self.assertEqual(self.addrs(), before | {("inet6", "2001:db8:1::5",
                                                  64)})
        self.configdev(c, address="2001:db8:2::6/80")
        self.assertIn(("inet6", "2001:db8:2::6", 80), self.addrs())
        self.assertIn(("inet", DAEMON_V4, 24), self.addrs())

    def test_ipv6_addresses_are_bounded_and_kept(self):
        """An IPv6 address the interface has already is left as it is (the
        administrator's lifetimes and flags stay), and an interface takes
        at most 256 IPv6 addresses through the daemon (every dump and
        getifaddrs after pays for each); a refusal changes nothing."""
        c = self.client()
        self.ns.ip("addr", "add", "2001:db8:7::1/64", "dev", IFNAME,
                   "valid_lft", "100", "preferred_lft", "50", "nodad")

        def lifetime():
            out = json.loads(self.ns.ip("-j", "addr", "show", "dev",
                                        IFNAME).stdout)[0]["addr_info"]
            return [a["valid_life_time"] for a in out
                    if a["local"] == "2001:db8:7::1"]
        self.configdev(c, address="2001:db8:7::1/64")
        self.assertLessEqual(lifetime()[0], 100)
        batch = "".join(f"address add 2001:db8:9::{i:x}/128 dev {IFNAME} "
                        "nodad\n" for i in range(1, 257))
        subprocess.run(["ip", "-n", self.ns.name, "-batch", "-"],
                       input=batch, text=True, check=True)
        before = self.addrs()
        assert_error(c.call("configdev", ifname=IFNAME,
                            address="2001:db8:8::1/64", id=30), "quota", 30,
                     names="256")
        self.assertEqual(self.addrs(), before)

    # ---- flags

    def test_noarp(self):
        c = self.client()
        self.assertNotIn("NOARP", self.flags())
        self.configdev(c, noarp=True)
        self.assertIn("NOARP", self.flags())
        self.configdev(c, noarp=False)
        self.assertNotIn("NOARP", self.flags())

    def test_up_down(self):
        """Down and up again; an IPv6 address given with down=... stays
        (the kernel flushes IPv6 addresses on down: down goes first)."""
        c = self.client()
        self.assertIn("UP", self.flags())
        self.configdev(c, up=False)
        self.assertNotIn("UP", self.flags())
        self.configdev(c, up=True)
        self.assertIn("UP", self.flags())
        self.configdev(c, up=False, address="2001:db8:3::7/64")
        self.assertNotIn("UP", self.flags())
        self.assertIn(("inet6", "2001:db8:3::7", 64), self.addrs())

    def test_no_params_reports_state(self):
        """ifname alone changes nothing and reports the state."""
        c = self.client()
        before = self.snapshot()
        resp = self.configdev(c)
        self.assertFalse(resp["promisc_held"])
        self.assertEqual(self.snapshot(), before)

    # ---- promiscuous mode

    def test_promisc_held_until_released_or_disconnect(self):
        """promisc=true holds (idempotently) until promisc=false or the
        client disconnects."""
        c = self.client()
        self.assertEqual(self.promiscuity(), 0)
        resp = self.configdev(c, promisc=True)
        self.assertTrue(resp["promisc"] and resp["promisc_held"])
        self.assertEqual(self.promiscuity(), 1)
        self.configdev(c, promisc=True)
        self.assertEqual(self.promiscuity(), 1)
        resp = self.configdev(c, promisc=False)
        self.assertFalse(resp["promisc"] or resp["promisc_held"])
        self.assertEqual(self.promiscuity(), 0)
        self.configdev(c, promisc=False)     # holding nothing: no-op
        self.assertEqual(self.promiscuity(), 0)
        self.configdev(c, promisc=True)
        self.assertEqual(self.promiscuity(), 1)
        c.close()
        self.wait_promiscuity(0)

    def test_promisc_reverted_when_client_killed(self):
        """A client (librawsock's rs_configdev_json, as uid 4242) holding
        promiscuous mode is SIGKILLed: the mode goes with it."""
        proc = subprocess.Popen(
            ["setpriv", f"--reuid={TEST_UID}", f"--regid={TEST_GID}",
             "--clear-groups", "--", check_binary(), self.d.socket_path,
             IFNAME, '{"promisc":true}'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(proc.stdout.close)
        self.addCleanup(proc.stdin.close)
        self.addCleanup(proc.wait, 10)
        self.addCleanup(proc.kill)
        ready, _, _ = select.select([proc.stdout], [], [], 10.0)
        self.assertTrue(ready, "configdev-check said nothing within 10s")
        line = proc.stdout.readline()
        state = json.loads(line)
        self.assert_state_agrees(state)
        self.assertTrue(state["promisc_held"])
        self.assertEqual(self.promiscuity(), 1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        self.wait_promiscuity(0)
        self.assertTrue(self.d.alive())

    def test_promisc_second_client_keeps_it(self):
        a, b = self.client(), self.client()
        self.configdev(a, promisc=True)
        self.configdev(b, promisc=True)
        self.assertEqual(self.promiscuity(), 2)
        a.close()
        self.wait_promiscuity(1)
        time.sleep(0.2)
        self.assertEqual(self.promiscuity(), 1)
        resp = self.configdev(b)
        self.assertTrue(resp["promisc"] and resp["promisc_held"])
        b.close()
        self.wait_promiscuity(0)

    def test_promisc_set_outside_daemon_kept(self):
        """Promiscuous mode someone set before the first hold (ip link set
        promisc on) stays after the last hold goes."""
        self.ns.ip("link", "set", IFNAME, "promisc", "on")
        self.assertIn("PROMISC", self.flags())
        self.assertEqual(self.promiscuity(), 1)
        c = self.client()
        self.configdev(c, promisc=True)
        self.assertEqual(self.promiscuity(), 2)
        self.configdev(c, promisc=False)
        self.assertEqual(self.promiscuity(), 1)
        self.configdev(c, promisc=True)
        c.close()
        self.wait_promiscuity(1)
        self.assertIn("PROMISC", self.flags())

    def test_interface_vanishes_while_held(self):
        """The held interface is deleted: the daemon carries on, releasing
        the hold later is harmless, and a new interface is unaffected."""
        c = self.client()
        self.configdev(c, promisc=True)
        self.ns.ip("link", "del", IFNAME)
        assert_error(c.call("configdev", ifname=IFNAME, promisc=False, id=7),
                     "ENODEV", 7)
        self.ns.ip("link", "add", IFNAME, "type", "veth", "peer", "name",
                   "vethx1")
        self.configdev(c)
        self.assertEqual(self.promiscuity(), 0)
        c.close()
        time.sleep(0.2)
        self.assertTrue(self.d.alive())
        self.assertEqual(self.promiscuity(), 0)

    def test_hold_on_a_deleted_interface_is_forgotten(self):
        """A hold on an interface that is deleted goes with it: an
        interface made later with the same index (as one moved into the
        namespace keeps its own) is not called held, and holding it takes
        a real membership."""
        c = self.client()
        index = self.link()["ifindex"]
        self.configdev(c, promisc=True)
        self.ns.ip("link", "del", IFNAME)
        self.ns.ip("link", "add", IFNAME, "index", str(index), "type",
                   "veth", "peer", "name", "vethx1")
        time.sleep(0.2)     # the deletion is heard
        self.assertEqual(self.link()["ifindex"], index)
        state = self.configdev(c)
        self.assertFalse(state["promisc_held"], state)
        self.configdev(c, promisc=True)
        self.assertEqual(self.promiscuity(), 1)

    # ---- policy and errors: nothing changes

    def test_denied_without_grant(self):
        c = self.client(OTHER_UID)
        before = self.snapshot()
        assert_error(c.call("configdev", ifname=IFNAME, promisc=True,
                            noarp=True, address="198.18.0.9/24", id=1),
                     "denied", 1, names="configdev")
        self.assertEqual(self.snapshot(), before)

    def test_address_outside_rule_denied(self):
        """An address and its prefix must lie within the rule's
        addresses: a prefix route sends the host's traffic for it to the
        interface (198.18.0.5/1 would take half of IPv4), so a short
        prefix or another network is denied and nothing changes."""
        c = self.client()
        before = self.snapshot()
        for i, (address, why) in enumerate((
                ("198.18.0.5/1", "198.18.0.5/1"),
                ("10.1.2.3/24", "10.1.2.3/24"),
                ("2001:db8::6/0", "2001:db8::6/0"),
                ("2001:db9::6/64", "2001:db9::6/64"))):
            with self.subTest(address=address):
                assert_error(c.call("configdev", ifname=IFNAME,
                                    address=address, up=True, id=20 + i),
                             "denied", 20 + i, names=why)
        self.assertEqual(self.snapshot(), before)

    def test_interface_outside_rule_denied(self):
        c = self.client()
        before = self.snapshot("lo")
        assert_error(c.call("configdev", ifname="lo", noarp=True,
                            promisc=True, id=2), "denied", 2)
        self.assertEqual(self.snapshot("lo"), before)

    def test_unknown_interface(self):
        c = self.client()
        assert_error(c.call("configdev", ifname="vethx9", up=True, id=3),
                     "ENODEV", 3, names="vethx9")

    def test_bad_input_changes_nothing(self):
        """Every bad value is bad_request naming its field, and the valid
        changes asked with it (promisc, noarp, down) are not made."""
        c = self.client()
        before = self.snapshot()
        cases = [
            ({"address": "198.18.0.300"}, "address"),
            ({"address": "198.18.0.5/33"}, "address"),
            ({"address": "2001:db8::5/129"}, "address"),
            ({"address": "198.18.0.5", "prefix": 33}, "prefix"),
            ({"address": "198.18.0.5/24", "prefix": 25}, "prefix"),
            ({"address": "198.18.0.5", "prefix": 200}, "prefix"),
            ({"address": "198.18.0.5", "prefix": -1}, "prefix"),
            ({"prefix": 24}, "prefix"),
            ({"address": "224.0.0.1"}, "address"),
            ({"address": "ff02::1"}, "address"),
            ({"address": "host.example"}, "address"),
            ({"address": 3232235777}, "address"),
            ({"promisc": "yes"}, "promisc"),
            ({"up": 2}, "up"),
            ({"mtu": 9000}, "mtu"),
        ]
        for i, (params, field) in enumerate(cases):
            req = {"promisc": True, "noarp": True, "up": False, **params}
            assert_error(c.call("configdev", ifname=IFNAME, id=100 + i,
                                **req), "bad_request", 100 + i,
                         names=field)
        assert_error(c.call("configdev", id=99), "bad_request", 99,
                     names="ifname")
        self.assertEqual(self.snapshot(), before)
        self.assertTrue(self.d.alive())

    # ---- the command-line client

    def test_rawsockctl(self):
        ctl = ctl_binary()
        r = run_as_user([ctl, "-s", self.d.socket_path, "configdev", IFNAME,
                         "address=198.18.0.12/24", "noarp=on"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_state_agrees(json.loads(r.stdout))
        self.assertIn(("inet", "198.18.0.12", 24), self.addrs())
        self.assertIn("NOARP", self.flags())
        r = run_as_user([ctl, "-s", self.d.socket_path, "configdev", IFNAME,
                         "noarp=maybe"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("noarp=maybe", r.stderr)
        r = run_as_user([ctl, "-s", self.d.socket_path, "configdev", "lo",
                         "up=on"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("denied", r.stderr)

    # ---- no programs run

    def test_no_execve(self):
        """strace attached to the daemon through a whole configdev
        sequence sees its netlink requests and no execve."""
        out = os.path.join(self.d.dir, "strace.out")
        strace = subprocess.Popen(
            ["strace", "-f", "-qq", "-o", out, "-e",
             "trace=execve,execveat,sendto", "-p", str(self.d.pid)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        self.addCleanup(lambda: strace.poll() is None and strace.kill())
        # Attached once a request's netlink traffic shows in the output.
        c = self.client()
        attached = wait_until(lambda: (c.call("configdev", ifname=IFNAME)
                                       and os.path.exists(out) and
                                       "AF_NETLINK" in open(out).read()),
                              timeout=10.0, interval=0.2)
        self.assertTrue(attached, "strace did not attach")
        self.configdev(c, address="198.18.0.13/24", noarp=True, up=False)
        self.configdev(c, address="2001:db8:4::1/64", noarp=False, up=True,
                       promisc=True)
        self.configdev(c, promisc=False)
        assert_error(c.call("configdev", ifname="vethx9", id=5), "ENODEV", 5)
        c.close()
        self.wait_promiscuity(0)
        strace.send_signal(signal.SIGINT)
        strace.wait(10)
        with open(out) as f:
            trace = f.read()
        self.assertGreaterEqual(trace.count("AF_NETLINK"), 8, trace[-2000:])
        self.assertNotIn("execve", trace)


if __name__ == "__main__":
    run_tests()
