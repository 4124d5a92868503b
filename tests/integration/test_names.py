"""Name and interface look-ups (PROTOCOL.md 5 "Names and interfaces").

Every answer of the daemon (running in its own network namespace, asked
by uid 4242 whom the policy grants nothing: look-ups are open to all) is
compared with an independent source on the same machine: Python's socket
module run inside the daemon's namespace, /etc/protocols and
/etc/networks read as text, and `ip -j link` / `ip -j addr` in the
namespace.  The slow look-up is made slow for real: `ip netns exec`
mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf, so the daemon's
resolver asks a UDP socket in the peer namespace that reads queries and
never answers.
"""

import base64
import ipaddress
import json
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    OTHER_UID, PEER_V4, TEST_GID, TEST_UID, Daemon, DaemonTestCase, NetNS,
    assert_error, assert_ok, connect_as, run, run_as_user, run_tests,
)

POLICY = {"rules": []}  # nothing granted: look-ups need no rule
SLOW_HOST = "no-such-host.invalid-rawsockd-test"
DNS_TIMEOUT = 2  # resolv.conf "timeout:" of the black-hole set-up

# Python oracle run inside the daemon's namespace (and mount namespace,
# through `ip netns exec`): a JSON list of queries in, results out.
ORACLE = r"""
import json, socket, sys
out = []
for q in json.loads(sys.argv[1]):
    try:
        if q[0] == "gai":
            r = socket.getaddrinfo(*q[1:])
            out.append({"ok": [[f, t, p, c, list(sa)] for f, t, p, c, sa in r]})
        else:
            h, s = socket.getnameinfo(tuple(q[1]), q[2])
            out.append({"ok": [h, s]})
    except socket.gaierror as e:
        out.append({"err": [e.errno, e.strerror]})
print(json.dumps(out))
"""

EAI_NAMES = {getattr(socket, n): n for n in dir(socket)
             if n.startswith("EAI_")}
IFF_NAMES = ("UP BROADCAST DEBUG LOOPBACK POINTOPOINT NOTRAILERS RUNNING "
             "NOARP PROMISC ALLMULTI MASTER SLAVE MULTICAST PORTSEL "
             "AUTOMEDIA DYNAMIC LOWER_UP DORMANT ECHO").split()


def oracle(ns, queries):
    out = ns.exec(["/usr/bin/python3", "-c", ORACLE, json.dumps(queries)],
                  timeout=60).stdout
    return json.loads(out)


def sym(name):
    """A constant name the daemon gave, as Python's number."""
    return name if isinstance(name, int) else int(getattr(socket, name))


def daemon_gai(resp):
    """The daemon's getaddrinfo answer in Python's shape."""
    if not resp["ok"]:
        return {"code": resp["error"]["code"],
                "message": resp["error"]["message"]}
    out = []
    for e in resp["addresses"]:
        a = e["address"]
        sa = [a["host"], a["port"]]
        if a["family"] == "inet6":
            sa += [a["flowinfo"], a["scope_id"]]
        out.append([sym(e["family"]), sym(e["type"]), sym(e["protocol"]),
                    e.get("canonname", ""), sa])
    return {"ok": out}


def python_result(r):
    if "ok" in r:
        return {"ok": r["ok"]}
    return {"code": EAI_NAMES[r["err"][0]], "message": r["err"][1]}


def parse_table(path, number):
    """(name, number, aliases) per line of /etc/protocols-style file."""
    rows = []
    with open(path) as f:
        for line in f:
            fields = line.split("#", 1)[0].split()
            if len(fields) >= 2:
                rows.append((fields[0], number(fields[1]), fields[2:]))
    return rows


def inet_network(text):
    """inet_network(3): "127.0.0.0" -> 0x7f000000, "127" -> 0x7f."""
    value = 0
    for part in text.split("."):
        value = (value << 8) | int(part, 0)
    return value


def prefix_of(mask):
    return bin(int(ipaddress.ip_address(mask))).count("1")


class NamesTest(DaemonTestCase):

    def setUp(self):
        super().setUp()
        self.d = self.start_daemon(POLICY)
        self.ns = self.d.netns
        self.c = connect_as(self.d.socket_path)
        self.addCleanup(self.c.close)

    # -- getaddrinfo / getnameinfo ---------------------------------------

    def test_getaddrinfo_matches_python(self):
        """Hosts, services, families, types and every AI_* flag the
        contract names give what Python's getaddrinfo gives in the same
        namespace, errors included (EAI name and gai_strerror text)."""
        S, F = socket, socket
        cases = [
            # (daemon params, python args: host, port, family, type, proto, flags)
            ({"node": "localhost", "service": "80"},
             ["localhost", "80", 0, 0, 0, 0]),
            ({"node": "localhost", "service": "21", "type": "stream"},
             ["localhost", "21", 0, S.SOCK_STREAM, 0, 0]),
            ({"node": "localhost", "service": "www"},
             ["localhost", "www", 0, 0, 0, 0]),
            ({"node": "198.18.0.1", "service": 80,
              "flags": ["AI_NUMERICHOST"]},
             ["198.18.0.1", "80", 0, 0, 0, F.AI_NUMERICHOST]),
            ({"node": "2001:db8::1", "service": "443", "family": "inet6",
              "type": "SOCK_DGRAM", "flags": ["numerichost", "numericserv"]},
             ["2001:db8::1", "443", S.AF_INET6, S.SOCK_DGRAM, 0,
              F.AI_NUMERICHOST | F.AI_NUMERICSERV]),
            ({"node": "localhost", "flags": "AI_CANONNAME"},
             ["localhost", None, 0, 0, 0, F.AI_CANONNAME]),
            ({"node": "127.0.0.1", "flags": ["AI_CANONNAME",
                                             "AI_NUMERICHOST"]},
             ["127.0.0.1", None, 0, 0, 0,
              F.AI_CANONNAME | F.AI_NUMERICHOST]),
            ({"service": "80", "flags": ["AI_PASSIVE"], "family": "inet"},
             [None, "80", S.AF_INET, 0, 0, F.AI_PASSIVE]),
            ({"service": "8080", "flags": ["AI_PASSIVE"], "type": "stream"},
             [None, "8080", 0, S.SOCK_STREAM, 0, F.AI_PASSIVE]),
            ({"service": "8080", "type": "stream"},
             [None, "8080", 0, S.SOCK_STREAM, 0, 0]),
            ({"node": "127.0.0.1", "service": "http", "family": "inet6",
              "flags": ["AI_V4MAPPED"]},
             ["127.0.0.1", "http", S.AF_INET6, 0, 0, F.AI_V4MAPPED]),
            ({"node": "localhost", "family": "inet6",
              "flags": ["AI_V4MAPPED", "AI_ALL"]},
             ["localhost", None, S.AF_INET6, 0, 0,
              F.AI_V4MAPPED | F.AI_ALL]),
            ({"node": "localhost", "service": "53", "protocol": "udp"},
             ["localhost", "53", 0, 0, S.IPPROTO_UDP, 0]),
            ({"node": "localhost", "flags": ["AI_ADDRCONFIG"]},
             ["localhost", None, 0, 0, 0, F.AI_ADDRCONFIG]),
            ({"node": "198.18.0.1", "family": "inet6",
              "flags": ["AI_NUMERICHOST"]},
             ["198.18.0.1", None, S.AF_INET6, 0, 0, F.AI_NUMERICHOST]),
            ({"node": "localhost", "service": "80", "type": "raw"},
             ["localhost", "80", 0, S.SOCK_RAW, 0, 0]),
            ({"node": SLOW_HOST, "flags": ["AI_NUMERICHOST"]},
             [SLOW_HOST, None, 0, 0, 0, F.AI_NUMERICHOST]),
            ({"node": "localhost", "service": "no-such-service-rsd"},
             ["localhost", "no-such-service-rsd", 0, 0, 0, 0]),
            ({"node": "localhost", "service": "http",
              "flags": ["AI_NUMERICSERV"]},
             ["localhost", "http", 0, 0, 0, F.AI_NUMERICSERV]),
            ({}, [None, None, 0, 0, 0, 0]),
            ({"service": "80", "flags": ["AI_CANONNAME"]},
             [None, "80", 0, 0, 0, F.AI_CANONNAME]),
            ({"node": "localhost", "family": "packet"},
             ["localhost", None, S.AF_PACKET, 0, 0, 0]),
            # not in /etc/hosts; the namespace has no route to a DNS server
            ({"node": SLOW_HOST}, [SLOW_HOST, None, 0, 0, 0, 0]),
        ]
        expected = oracle(self.ns, [["gai", *py] for _, py in cases])
        codes = set()
        for (params, py), want in zip(cases, expected):
            got = daemon_gai(self.c.call("getaddrinfo", **params))
            self.assertEqual(got, python_result(want), (params, py))
            codes.add(got.get("code"))
        # the list covers successes and several resolver errors
        self.assertTrue({None, "EAI_NONAME", "EAI_SERVICE",
                         "EAI_BADFLAGS", "EAI_FAMILY"} <= codes, codes)

    def test_getnameinfo_matches_python(self):
        """Every NI_* flag on IPv4 and IPv6 addresses gives what Python's
        getnameinfo gives in the same namespace, errors included."""
        NI = socket
        addrs = [("127.0.0.1", 22), ("127.0.0.1", 53), ("198.18.0.1", 80),
                 ("::1", 443, 0, 0), ("2001:db8::1", 80, 0, 0)]
        flag_sets = [
            [], ["NI_NUMERICHOST"], ["NI_NUMERICSERV"],
            ["NI_NUMERICHOST", "NI_NUMERICSERV"], ["NI_DGRAM"],
            ["NI_NAMEREQD"], ["NI_NOFQDN"], ["numerichost", "dgram"],
        ]
        queries, requests = [], []
        for a in addrs:
            for fl in flag_sets:
                value = 0
                for f in fl:
                    name = f if f.startswith("NI_") else "NI_" + f.upper()
                    value |= getattr(NI, name)
                queries.append(["gni", list(a), value])
                addr = {"family": "inet6" if ":" in a[0] else "inet",
                        "host": a[0], "port": a[1]}
                requests.append({"address": addr, "flags": fl})
        expected = oracle(self.ns, queries)
        codes = set()
        for req, want in zip(requests, expected):
            resp = self.c.call("getnameinfo", **req)
            if resp["ok"]:
                got = {"ok": [resp["host"], resp["service"]]}
            else:
                got = {"code": resp["error"]["code"],
                       "message": resp["error"]["message"]}
            self.assertEqual(got, python_result(want), req)
            codes.add(got.get("code"))
        self.assertIn(None, codes)
        # NI_NAMEREQD without a name: EAI_NONAME, or EAI_AGAIN as here
        # when the namespace cannot reach a DNS server
        self.assertTrue(codes - {None}, codes)
        # text form of the address works too
        resp = assert_ok(self.c.call("getnameinfo", address="127.0.0.1:22",
                                     flags=["NI_NUMERICHOST",
                                            "NI_NUMERICSERV"]))
        self.assertEqual((resp["host"], resp["service"]), ("127.0.0.1", "22"))

    def test_resolver_bad_params(self):
        """Ill-typed or unknown parameters are bad_request naming the
        field, never a resolver call."""
        bad = [
            ("getaddrinfo", {"node": 5}, "node"),
            ("getaddrinfo", {"node": "x" * 1100}, "node"),
            ("getaddrinfo", {"node": "localhost", "service": 70000},
             "service"),
            ("getaddrinfo", {"node": "localhost", "service": [80]},
             "service"),
            ("getaddrinfo", {"node": "localhost", "service": "s" * 40},
             "service"),
            ("getaddrinfo", {"node": "localhost", "family": "AF_NOPE"},
             "family"),
            ("getaddrinfo", {"node": "localhost", "type": "nope"}, "type"),
            ("getaddrinfo", {"node": "localhost", "protocol": "nope-proto"},
             "protocol"),
            ("getaddrinfo", {"node": "localhost", "flags": ["AI_NOPE"]},
             "flags"),
            ("getaddrinfo", {"node": "localhost", "flags": ["NI_DGRAM"]},
             "flags"),
            ("getaddrinfo", {"node": "localhost", "hostname": "x"},
             "hostname"),
            ("getnameinfo", {}, "address"),
            ("getnameinfo", {"address": "not an address"}, "address"),
            ("getnameinfo", {"address": "127.0.0.1:1", "flags": "AI_ALL"},
             "flags"),
        ]
        for op, params, field in bad:
            assert_error(self.c.call(op, id=7, **params), "bad_request", 7,
                         names=field)
        assert_ok(self.c.call("ping"))

    # -- the slow look-up ---------------------------------------------------

    def _blackhole_daemon(self, hosts=None, etc_files=None):
        """A daemon whose resolver asks a peer socket that never answers
        (and reads hosts as /etc/hosts, if given, and each of etc_files,
        {name: text}, as /etc/name); returns (daemon, the black-hole
        socket)."""
        ns = NetNS()
        ns.create()
        self.addCleanup(ns.destroy)
        etc = f"/etc/netns/{ns.name}"
        os.makedirs(etc, exist_ok=True)
        self.addCleanup(self._remove_etc, etc)
        with open(f"{etc}/resolv.conf", "w") as f:
            f.write(f"nameserver {PEER_V4}\n"
                    f"options timeout:{DNS_TIMEOUT} attempts:1\n")
        files = dict(etc_files or {})
        if hosts is not None:
            files["hosts"] = hosts
        for name, text in files.items():
            with open(f"{etc}/{name}", "w") as f:
                f.write(text)
        hole = ns.socket(socket.AF_INET, socket.SOCK_DGRAM, peer=True)
        self.addCleanup(hole.close)
        hole.bind((PEER_V4, 53))
        d = Daemon(POLICY, ns)
        self._daemons.append(d)
        self.addCleanup(d.close)
        d.start()
        return d, hole

    @staticmethod
    def _remove_etc(etc):
        for name in os.listdir(etc):
            os.unlink(os.path.join(etc, name))
        os.rmdir(etc)
        try:
            os.rmdir("/etc/netns")
        except OSError:
            pass

    @staticmethod
    def _queries(hole, want, timeout=5.0):
        """Wait until the black hole has read want queries; their count."""
        got = 0
        deadline = time.monotonic() + timeout
        while got < want:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([hole], [], [], left)[0]:
                break
            hole.recv(4096)
            got += 1
        return got

    def test_slow_lookup_does_not_delay_others(self):
        """A look-up stuck on a silent DNS server (seen arriving there)
        delays neither another client's ping nor its numeric look-up;
        it fails after the resolver's timeout with the error Python gets
        under the same resolv.conf."""
        d, hole = self._blackhole_daemon()
        slow = connect_as(d.socket_path, timeout=DNS_TIMEOUT + 10)
        self.addCleanup(slow.close)
        other = connect_as(d.socket_path)
        self.addCleanup(other.close)
        t0 = time.monotonic()
        slow.send_json({"id": 1, "op": "getaddrinfo", "node": SLOW_HOST,
                        "family": "inet"})
        self.assertEqual(self._queries(hole, 1), 1,
                         "the look-up never reached the DNS server")
        worst = 0.0
        for i in range(10):
            t = time.monotonic()
            assert_ok(other.call("ping"))
            r = assert_ok(other.call("getaddrinfo", node="198.18.0.1",
                                     service="80", type="stream"))
            worst = max(worst, time.monotonic() - t)
            self.assertEqual(r["addresses"][0]["address"]["host"],
                             "198.18.0.1")
        self.assertLess(worst, 0.5, f"another client waited {worst:.3f}s")
        busy = time.monotonic() - t0
        self.assertLess(busy, DNS_TIMEOUT, "the checks were not made while "
                        "the look-up was in flight")
        resp = slow.recv_response(1)
        took = time.monotonic() - t0
        self.assertGreater(took, DNS_TIMEOUT - 0.5,
                           f"the look-up was not slow ({took:.2f}s)")
        want = oracle(d.netns, [["gai", SLOW_HOST, None, socket.AF_INET,
                                 0, 0, 0]])[0]
        self.assertEqual(daemon_gai(resp), python_result(want))
        self.assertFalse(resp["ok"])

    def test_a_few_uids_cannot_take_every_thread(self):
        """Two uids with four slow look-ups each (all sent in one go, so
        the pool must start a thread for each queued job, not count on
        one idle thread twice) hold four threads: a third uid's look-up is
        answered at once, not after the slow ones."""
        d, hole = self._blackhole_daemon()
        slow = [connect_as(d.socket_path, uid=uid, gid=uid,
                           timeout=DNS_TIMEOUT * 3 + 10)
                for uid in (TEST_UID, OTHER_UID) for _ in range(4)]
        for c in slow:
            self.addCleanup(c.close)
        for i, c in enumerate(slow):
            c.send_json({"id": i, "op": "getaddrinfo", "node": SLOW_HOST,
                         "family": "inet"})
        self.assertEqual(self._queries(hole, 4), 4)
        third = connect_as(d.socket_path, uid=TEST_UID + 3,
                           gid=TEST_UID + 3)
        self.addCleanup(third.close)
        t = time.monotonic()
        assert_ok(third.call("getaddrinfo", node="198.18.0.1",
                             flags=["AI_NUMERICHOST"]))
        self.assertLess(time.monotonic() - t, 1.0)

    def test_a_name_with_too_many_addresses_is_truncated(self):
        """A name with more addresses than a response holds (20,000 in
        the daemon's /etc/hosts; a DNS zone the client controls could do
        the same) is answered with the first that fit, flagged truncated,
        and the connection stays."""
        hosts = "".join(f"198.18.{i >> 8}.{i & 255} many.test\n"
                        for i in range(20000))
        d, _ = self._blackhole_daemon(hosts=hosts)
        c = connect_as(d.socket_path, timeout=20)
        self.addCleanup(c.close)
        r = assert_ok(c.call("getaddrinfo", node="many.test",
                             family="inet"))
        self.assertTrue(r.get("truncated"), {k: v for k, v in r.items()
                                             if k != "addresses"})
        self.assertGreater(len(r["addresses"]), 1000)
        hosts = {a["address"]["host"] for a in r["addresses"]}
        self.assertTrue(all(h.startswith("198.18.") for h in hosts))
        assert_ok(c.call("ping"))

    def test_entries_larger_than_the_buffer(self):
        """protocols and networks entries larger than the daemon's first
        4 KiB buffer (600 aliases) are read whole, listed and looked up;
        one larger than a response (100,000 aliases) ends the list there,
        flagged truncated, and a look-up that meets it is ERANGE."""
        aliases = [f"alias{i:05d}" for i in range(600)]
        huge = " ".join(f"h{i:08d}" for i in range(100000))
        d, _ = self._blackhole_daemon(etc_files={
            "protocols": f"ip 0 IP\nbig 250 {' '.join(aliases)}\n"
                         f"udp 17 UDP\nhuge 251 {huge}\ntcp 6 TCP\n",
            "networks": f"first 198.18\nbig 198.19 {' '.join(aliases)}\n"
                        "last 10\n"})
        c = connect_as(d.socket_path, timeout=20)
        self.addCleanup(c.close)
        r = assert_ok(c.call("protocol"))
        self.assertEqual([p["name"] for p in r["protocols"]],
                         ["ip", "big", "udp"])
        self.assertEqual(r["protocols"][1]["aliases"], aliases)
        self.assertIs(r.get("truncated"), True)
        for params in ({"name": "big"}, {"number": 250}):
            r = assert_ok(c.call("protocol", **params))
            self.assertEqual((r["name"], r["number"], r["aliases"]),
                             ("big", 250, aliases))
        self.assertEqual(assert_ok(c.call("protocol", name="udp"))
                         ["number"], 17)
        assert_error(c.call("protocol", id=1, name="tcp"), "ERANGE", 1)
        r = assert_ok(c.call("network"))
        self.assertEqual([n["name"] for n in r["networks"]],
                         ["first", "big", "last"])
        self.assertNotIn("truncated", r)
        r = assert_ok(c.call("network", name="big"))
        self.assertEqual((r["text"], r["aliases"]), ("198.19.0.0", aliases))
        assert_ok(c.call("ping"))

    def test_lookup_limits_and_disconnect(self):
        """A uid has at most 4 look-ups in flight, 2 of them running (the
        fifth is quota at once; another uid is still served), and a client
        that leaves mid-look-up costs no fd and no crash once the look-up
        ends."""
        d, hole = self._blackhole_daemon()
        with connect_as(d.socket_path) as first:
            assert_ok(first.call("ping"))
        base = d.settled_fd_count()
        clients = [connect_as(d.socket_path, timeout=DNS_TIMEOUT + 10)
                   for _ in range(5)]
        for c in clients:
            self.addCleanup(c.close)
        for i, c in enumerate(clients[:4]):
            c.send_json({"id": i, "op": "getaddrinfo", "node": SLOW_HOST,
                         "family": "inet"})
        # Two run at once; the uid's other two wait for them.
        self.assertEqual(self._queries(hole, 2), 2)
        t = time.monotonic()
        assert_error(clients[4].call("getaddrinfo", id=9, node=SLOW_HOST,
                                     family="inet"), "quota", 9,
                     names="look-ups")
        other = connect_as(d.socket_path, uid=OTHER_UID, gid=OTHER_UID)
        self.addCleanup(other.close)
        assert_ok(other.call("getaddrinfo", node="127.0.0.1",
                             flags=["AI_NUMERICHOST"]))
        self.assertLess(time.monotonic() - t, 1.0)
        other.close()
        # two leave while their look-ups run; two wait for the answer
        clients[0].close()
        clients[1].close()
        for i in (2, 3):
            self.assertFalse(clients[i].recv_response(i)["ok"])
        # the abandoned jobs end at the same time; their eventfds go
        for c in clients[2:]:
            c.close()
        self.assertEqual(d.wait_fd_count(base, timeout=5.0), base)
        self.assertTrue(d.alive())
        # and the limit is free again
        again = connect_as(d.socket_path)
        self.addCleanup(again.close)
        assert_ok(again.call("getaddrinfo", node="localhost"))

    # -- protocol / network -------------------------------------------------

    def test_protocols_match_etc_protocols(self):
        """Every protocol in /etc/protocols by name, by each alias and by
        number (the first entry with it), and the whole list in order."""
        rows = parse_table("/etc/protocols", int)
        self.assertGreater(len(rows), 10)
        lst = assert_ok(self.c.call("protocol"))["protocols"]
        self.assertEqual([(p["name"], p["number"], p["aliases"])
                          for p in lst], [(n, k, a) for n, k, a in rows])
        first = {}
        for name, number, aliases in rows:
            first.setdefault(number, (name, number, aliases))
        for name, number, aliases in rows:
            self.assertEqual(socket.getprotobyname(name), number)
            for key in [name] + aliases:
                owner = next(r for r in rows if key in [r[0]] + r[2])
                r = assert_ok(self.c.call("protocol", name=key))
                self.assertEqual((r["name"], r["number"], r["aliases"]),
                                 owner)
            r = assert_ok(self.c.call("protocol", number=number))
            self.assertEqual((r["name"], r["number"], r["aliases"]),
                             first[number])
        r = assert_ok(self.c.call("protocol", name="IP"))  # the seed's case
        self.assertEqual(r["number"], 0)
        assert_error(self.c.call("protocol", id=1, name="no-such-proto"),
                     "ENOENT", 1, names="no-such-proto")
        unused = next(n for n in range(255, 0, -1) if n not in first)
        assert_error(self.c.call("protocol", id=2, number=unused), "ENOENT",
                     2)
        for params, field in [({"name": "tcp", "number": 6}, "name"),
                              ({"number": -1}, "number"),
                              ({"number": 70000}, "number"),
                              ({"number": "6"}, "number"),
                              ({"name": 6}, "name"), ({"type": 1}, "type")]:
            assert_error(self.c.call("protocol", id=3, **params),
                         "bad_request", 3, names=field)

    def test_networks_match_etc_networks(self):
        """/etc/networks by name, alias and number, and the list."""
        rows = parse_table("/etc/networks", inet_network)
        lst = assert_ok(self.c.call("network"))["networks"]
        self.assertEqual([(n["name"], n["number"], n["aliases"], n["type"])
                          for n in lst],
                         [(n, k, a, "AF_INET") for n, k, a in rows])
        for name, number, aliases in rows:
            for key in [name] + aliases:
                r = assert_ok(self.c.call("network", name=key))
                self.assertEqual((r["name"], r["number"]), (name, number))
            r = assert_ok(self.c.call("network", number=number,
                                      type="inet"))
            self.assertEqual(r["name"], name)
            self.assertEqual(inet_network(r["text"]), number)
        loop = [r for r in rows if r[1] == 0x7f000000]
        if loop:
            r = assert_ok(self.c.call("network", number="127.0.0.0"))
            self.assertEqual(r["name"], loop[0][0])
        assert_error(self.c.call("network", id=1, name="no-such-net-rsd"),
                     "ENOENT", 1)
        for params, field in [({"name": "x", "number": 1}, "name"),
                              ({"number": "1.2.3.4.5"}, "number"),
                              ({"number": -5}, "number"),
                              ({"number": 1, "type": "nope"}, "type")]:
            assert_error(self.c.call("network", id=2, **params),
                         "bad_request", 2, names=field)

    # -- interfaces ---------------------------------------------------------

    def _add_tun(self):
        """A point-to-point interface, for dstaddr and POINTOPOINT."""
        r = self.ns.ip("tuntap", "add", "dev", "rstun0", "mode", "tun",
                       check=False)
        if r.returncode != 0:
            return False
        self.ns.ip("addr", "add", "198.18.5.1", "peer", "198.18.5.2",
                   "dev", "rstun0")
        self.ns.ip("link", "set", "rstun0", "up")
        return True

    def test_if_nameindex_round_trip(self):
        """Every interface of `ip -j link` in the namespace: name ->
        index -> name, and the list is exactly those."""
        self._add_tun()
        links = json.loads(self.ns.ip("-j", "link", "show").stdout)
        self.assertGreaterEqual(len(links), 2)
        lst = assert_ok(self.c.call("if_nameindex"))["interfaces"]
        self.assertEqual(sorted((i["index"], i["name"]) for i in lst),
                         sorted((l["ifindex"], l["ifname"]) for l in links))
        for l in links:
            r = assert_ok(self.c.call("if_nameindex", name=l["ifname"]))
            self.assertEqual(r["index"], l["ifindex"])
            r = assert_ok(self.c.call("if_nameindex", index=r["index"]))
            self.assertEqual(r["name"], l["ifname"])
        free = max(l["ifindex"] for l in links) + 1000
        assert_error(self.c.call("if_nameindex", id=1, name="nosuchif0"),
                     "ENODEV", 1, names="nosuchif0")
        assert_error(self.c.call("if_nameindex", id=2, index=free), "ENXIO",
                     2)
        for params, field in [({"index": 0}, "index"), ({"index": "1"},
                              "index"), ({"name": "lo", "index": 1}, "name"),
                              ({"name": ["lo"]}, "name")]:
            assert_error(self.c.call("if_nameindex", id=3, **params),
                         "bad_request", 3, names=field)

    def test_interface_name_not_utf8(self):
        """A link whose name is not UTF-8 (the kernel takes any bytes but
        '/', ':' and blanks) is listed with name null and name_hex, by
        if_nameindex (list and index) and ifaddrs, not left out."""
        name = os.fsdecode(b"rq\xffx")       # bytes 72 71 ff 78
        self.ns.ip("link", "add", name, "type", "veth", "peer", "name",
                   "rqpeer")
        self.addCleanup(self.ns.ip, "link", "del", "rqpeer", check=False)
        lst = assert_ok(self.c.call("if_nameindex"))["interfaces"]
        odd = [i for i in lst if i.get("name_hex") == "7271ff78"]
        self.assertEqual(len(odd), 1, lst)
        self.assertIsNone(odd[0]["name"])
        idx = odd[0]["index"]
        r = assert_ok(self.c.call("if_nameindex", index=idx))
        self.assertEqual((r["name"], r["name_hex"]), (None, "7271ff78"))
        ents = [e for e in assert_ok(self.c.call("ifaddrs"))["interfaces"]
                if e.get("name_hex") == "7271ff78"]
        self.assertGreaterEqual(len(ents), 1)
        self.assertTrue(all(e["name"] is None for e in ents), ents)
        self.assertEqual(ents[0]["address"]["ifindex"], idx)

    def _ifaddrs_expected(self):
        """ip's view as {(name, family, host): entry} plus flags per link."""
        links = json.loads(self.ns.ip("-j", "addr", "show").stdout)
        out, flags = {}, {}
        for l in links:
            flags[l["ifname"]] = {f for f in l["flags"] if f in IFF_NAMES}
            # getifaddrs: one AF_PACKET entry per link, with no address
            # (null) when the link has none (a tun device)
            if "address" in l:
                out[(l["ifname"], "packet", l["address"])] = l
            else:
                out[(l["ifname"], None, None)] = l
            for a in l.get("addr_info", []):
                out[(l["ifname"], a["family"], a["local"])] = a
        return out, flags

    @staticmethod
    def _key(e):
        a = e["address"]
        if a is None:
            return (e["name"], None, None)
        host = a.get("addr") if a["family"] == "packet" else a["host"]
        return (e["name"], a["family"], host)

    def test_ifaddrs_match_ip(self):
        """Every address of `ip -j addr` with its interface's flags,
        netmask (prefix length), broadcast or peer address."""
        tun = self._add_tun()
        for attempt in range(3):
            want, flags = self._ifaddrs_expected()
            got = assert_ok(self.c.call("ifaddrs"))["interfaces"]
            if (want, flags) == self._ifaddrs_expected():
                break  # ip's view did not move meanwhile (DAD, carrier)
        self.assertEqual(sorted(map(self._key, got), key=repr),
                         sorted(want, key=repr))
        for e in got:
            names = {f[4:] for f in e["flags"]}
            self.assertEqual(names - {"RUNNING"}, flags[e["name"]], e)
            ip = want[self._key(e)]
            if e["address"] is None:
                continue
            if e["address"]["family"] == "packet":
                self.assertEqual(e["address"]["ifname"], e["name"])
                continue
            self.assertEqual(prefix_of(e["netmask"]["host"]),
                             ip["prefixlen"], e)
            if "broadcast" in ip:
                self.assertEqual(e["broadaddr"]["host"], ip["broadcast"])
            if "POINTOPOINT" in names:
                self.assertEqual(e["dstaddr"]["host"], ip["address"], e)
                self.assertNotIn("broadaddr", e)
        self.assertIn(("lo", "inet", "127.0.0.1"), map(self._key, got))
        self.assertIn((self.ns.ifname, "inet6", "2001:db8::1"),
                      map(self._key, got))
        if tun:
            self.assertIn(("rstun0", "inet", "198.18.5.1"),
                          map(self._key, got))

    def test_ifaddrs_flag_filters(self):
        """CLISP's semantics: AND (BROADCAST) equals OR (BROADCAST); AND
        (LOOPBACK BROADCAST) is empty; OR and AND combine; every result
        is checked against ip's flags."""
        self._add_tun()
        _, flags = self._ifaddrs_expected()
        every = assert_ok(self.c.call("ifaddrs"))["interfaces"]

        def call(**kw):
            return assert_ok(self.c.call("ifaddrs", **kw))["interfaces"]

        def expect(or_=(), and_=()):
            return [e for e in every
                    if set(and_) <= flags[e["name"]] and
                    (not or_ or set(or_) & flags[e["name"]])]

        and_b = call(flags_and=["IFF_BROADCAST"])
        self.assertTrue(and_b)
        self.assertEqual(and_b, call(flags_or=["BROADCAST"]))
        self.assertEqual(and_b, expect(and_=["BROADCAST"]))
        self.assertEqual(call(flags_and=["LOOPBACK", "BROADCAST"]), [])
        lo_p2p = call(flags_or=["IFF_LOOPBACK", "IFF_POINTOPOINT"])
        self.assertEqual(lo_p2p, expect(or_=["LOOPBACK", "POINTOPOINT"]))
        self.assertTrue(all(e["name"] != self.ns.ifname for e in lo_p2p))
        both = call(flags_or=["LOOPBACK", "BROADCAST"],
                    flags_and=["UP", "MULTICAST"])
        self.assertEqual(both, expect(or_=["LOOPBACK", "BROADCAST"],
                                      and_=["UP", "MULTICAST"]))
        self.assertTrue(both)
        self.assertEqual(call(flags_and="IFF_UP"), expect(and_=["UP"]))
        self.assertEqual(call(flags_or=[]), every)
        for params, field in [({"flags_and": ["IFF_NOPE"]}, "flags_and"),
                              ({"flags_or": ["AI_PASSIVE"]}, "flags_or"),
                              ({"flags_or": {"x": 1}}, "flags_or"),
                              ({"flags": 1}, "flags")]:
            assert_error(self.c.call("ifaddrs", id=4, **params),
                         "bad_request", 4, names=field)

    # -- convert_address / constants ---------------------------------------

    def test_convert_address(self):
        """inet: dotted <-> integer; inet6: text <-> base64 of the 16
        bytes; checked with ipaddress and inet_pton; bad input refused."""
        for text in ["0.0.0.0", "198.18.0.1", "255.255.255.255", "10.1.2.3",
                     "127.0.0.1"]:
            n = int(ipaddress.IPv4Address(text))
            r = assert_ok(self.c.call("convert_address", family="inet",
                                      address=text))
            self.assertEqual(r["address"], n)
            r = assert_ok(self.c.call("convert_address", family="AF_INET",
                                      address=n))
            self.assertEqual(r["address"], text)
        for text in ["2001:db8::1", "::", "::1", "fe80::1:2:3:4",
                     "::ffff:198.18.0.1",
                     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                     "2001:DB8:0:0:0:0:0:2"]:
            raw = socket.inet_pton(socket.AF_INET6, text)
            b64 = base64.b64encode(raw).decode()
            r = assert_ok(self.c.call("convert_address", family="inet6",
                                      address=text))
            self.assertEqual(r["address"], b64)
            r = assert_ok(self.c.call("convert_address", family="inet6",
                                      address=b64))
            self.assertEqual(r["address"],
                             socket.inet_ntop(socket.AF_INET6, raw))
        bad = [
            ("inet", "1.2.3"), ("inet", "256.1.1.1"), ("inet", "1.2.3.4 "),
            ("inet", -1), ("inet", 2 ** 32), ("inet", [1, 2, 3, 4]),
            ("inet", 1.5), ("inet6", "2001:db8::g"), ("inet6", "1:2:3"),
            ("inet6", base64.b64encode(b"x" * 15).decode()),
            ("inet6", base64.b64encode(b"x" * 17).decode()),
            ("inet6", "not base64!"), ("inet6", 5), ("inet6", "198.18.0.1"),
        ]
        for family, address in bad:
            assert_error(self.c.call("convert_address", id=5, family=family,
                                     address=address), "bad_request", 5,
                         names="address")
        for params, field in [({"family": "packet", "address": "1.2.3.4"},
                               "family"), ({"family": "inet"}, "address"),
                              ({"address": "1.2.3.4"}, "family")]:
            assert_error(self.c.call("convert_address", id=6, **params),
                         "bad_request", 6, names=field)

    def test_constants_groups(self):
        """AI, NI, EAI hold every such name Python's socket module has,
        with the same value; IFF names every flag ip prints."""
        for group in ("AI", "NI", "EAI"):
            got = assert_ok(self.c.call("constants",
                                        group=group))["constants"]
            want = {n: int(getattr(socket, n)) for n in dir(socket)
                    if n.startswith(group + "_") and
                    n not in ("NI_MAXHOST", "NI_MAXSERV")}
            self.assertTrue(want)
            for name, value in want.items():
                self.assertEqual(got.get(name), value, name)
        iff = assert_ok(self.c.call("constants", group="IFF"))["constants"]
        self.assertEqual(sorted(n[4:] for n in iff), sorted(IFF_NAMES))

    # -- librawsock and rawsockctl -----------------------------------------

    def test_librawsock_names(self):
        """names-check (C, librawsock) as uid 4242: its getaddrinfo,
        getnameinfo and if_nametoindex/indextoname results equal
        Python's and ip's."""
        prog = os.environ.get("NAMES_CHECK",
                              "build/tests/integration/names-check")
        if not os.access(prog, os.X_OK):
            self.skipTest(f"{prog} not built")
        r = run_as_user([prog, self.d.socket_path, self.ns.ifname])
        self.assertEqual(r.returncode, 0, r.stderr)
        out = [json.loads(line) for line in r.stdout.splitlines()]
        F, S = socket, socket
        want = oracle(self.ns, [
            ["gai", "localhost", "80", S.AF_INET, S.SOCK_STREAM, 0,
             F.AI_CANONNAME],
            ["gai", "2001:db8::1", "53", S.AF_INET6, S.SOCK_DGRAM, 0,
             F.AI_NUMERICHOST],
            ["gai", SLOW_HOST, None, 0, 0, 0, F.AI_NUMERICHOST],
            ["gni", ["127.0.0.1", 22], F.NI_NUMERICSERV],
            ["gni", ["198.18.0.1", 1], F.NI_NAMEREQD],
        ])
        got = {o["check"]: o for o in out}
        for name, w in zip(["gai_localhost", "gai_v6", "gai_noname",
                            "gni_v4", "gni_namereqd"], want):
            g = got[name]
            if "err" in w:
                self.assertEqual(g["rc"], w["err"][0], name)
                self.assertIn(w["err"][1], g["error"], name)
            elif name.startswith("gai"):
                self.assertEqual(g["rc"], 0, name)
                self.assertEqual(g["list"], w["ok"], name)
            else:
                self.assertEqual([g["host"], g["serv"]], w["ok"], name)
        self.assertEqual(got["ifindex"]["index"], self.ns.ifindex())
        self.assertEqual(got["ifindex"]["name"], self.ns.ifname)
        self.assertEqual(got["ifindex_unknown"]["errno"], 19)  # ENODEV
        self.assertEqual(got["ifname_unknown"]["errno"], 6)  # ENXIO

    def ctl(self, *args):
        ctl = os.environ.get("RAWSOCKCTL", "build/client/rawsockctl")
        return run_as_user([ctl, "-s", self.d.socket_path, *args])

    def test_rawsockctl_lookups(self):
        """rawsockctl resolve/nameinfo/protocol/network/ifindex/ifaddrs/
        convert print what the independent sources say."""
        r = self.ctl("resolve", "198.18.0.1", "80", "type=stream",
                     'flags=["AI_NUMERICHOST"]')
        self.assertEqual(r.returncode, 0, r.stderr)
        want = socket.getaddrinfo("198.18.0.1", "80", 0, socket.SOCK_STREAM,
                                  0, socket.AI_NUMERICHOST)
        self.assertEqual(daemon_gai({"ok": True, **json.loads(r.stdout)}),
                         {"ok": [[f, t, p, c, list(sa)]
                                 for f, t, p, c, sa in want]})
        r = self.ctl("resolve", SLOW_HOST, "flags=AI_NUMERICHOST")
        self.assertEqual(r.returncode, 1)
        self.assertIn("EAI_NONAME", r.stderr)
        r = self.ctl("nameinfo", "127.0.0.1:22",
                     'flags=["NI_NUMERICHOST","NI_NUMERICSERV"]')
        self.assertEqual(json.loads(r.stdout),
                         {"host": "127.0.0.1", "service": "22"})
        rows = parse_table("/etc/protocols", int)
        r = self.ctl("protocol", "6")
        self.assertEqual(json.loads(r.stdout)["name"],
                         next(n for n, k, _ in rows if k == 6))
        r = self.ctl("protocol", "udp")
        self.assertEqual(json.loads(r.stdout)["number"],
                         socket.getprotobyname("udp"))
        r = self.ctl("protocol")
        self.assertEqual(len(json.loads(r.stdout)["protocols"]), len(rows))
        net_rows = parse_table("/etc/networks", inet_network)
        r = self.ctl("network")
        self.assertEqual(len(json.loads(r.stdout)["networks"]),
                         len(net_rows))
        for name, number, _ in net_rows:
            text = str(ipaddress.IPv4Address(number))
            r = self.ctl("network", text)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["name"], name, text)
        r = self.ctl("ifindex", self.ns.ifname)
        self.assertEqual(json.loads(r.stdout)["index"], self.ns.ifindex())
        r = self.ctl("ifindex", str(self.ns.ifindex()))
        self.assertEqual(json.loads(r.stdout)["name"], self.ns.ifname)
        r = self.ctl("ifaddrs", "flags_and=IFF_LOOPBACK")
        names = {e["name"] for e in json.loads(r.stdout)["interfaces"]}
        self.assertEqual(names, {"lo"})
        r = self.ctl("convert", "inet", "198.18.0.1")
        self.assertEqual(json.loads(r.stdout)["address"],
                         int(ipaddress.IPv4Address("198.18.0.1")))
        r = self.ctl("convert", "inet", "3323068417")
        self.assertEqual(json.loads(r.stdout)["address"], "198.18.0.1")
        r = self.ctl("convert", "inet6", "2001:db8::1")
        self.assertEqual(base64.b64decode(json.loads(r.stdout)["address"]),
                         socket.inet_pton(socket.AF_INET6, "2001:db8::1"))
        r = self.ctl("convert", "inet", "1.2.3")
        self.assertEqual(r.returncode, 1)
        self.assertIn("bad_request", r.stderr)


if __name__ == "__main__":
    run_tests()
