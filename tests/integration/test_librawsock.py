"""librawsock and rawsockctl against the real daemon, as uid 4242.

librawsock-check (C, linked against the library) runs its own checks and
prints "ok NAME" per check; this file starts the daemon in a fresh network
namespace and judges the output.  rawsockctl is checked the same way.
"""

import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    TEST_GID, TEST_UID, DaemonTestCase, run_as_user, run_tests,
)

POLICY = {"rules": [{"match": {"uid": TEST_UID}, "allow": {
    "domains": ["inet", "unix"], "types": ["dgram", "stream"],
    "protocols": ["*"], "interfaces": ["*"], "pass": True, "spoof": True,
}}]}

CHECKS = [
    "rs_open udp", "rs_bind", "rs_getsockname", "rs_recv empty is EAGAIN",
    "rs_sendto", "rs_recvfrom", "rs_setsockopt_int/rs_getsockopt_int",
    "rs_setsockopt_json", "rs_close", "rs_close twice EBADF", "rs_socket",
    "passed fd: plain bind/sendto/recv", "rs_socketpair",
    "packet socket denied (EACCES)", "bad request is EINVAL",
    "rs_subscribe", "channel: datagrams with headers",
    "channel: a written message is sent",
    "rs_unsubscribe: EOF, then recv again",
    "rs_conn_set_busy_poll over the maximum is EINVAL",
    "rs_conn_set_busy_poll", "busy poll: a quick answer",
    "busy poll: an answer after 300 ms",
    "busy poll: a slow answer is waited for asleep", "busy poll: off again",
]


def binary(env, default):
    path = os.environ.get(env, default)
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"{path} not built")
    return path


REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class LibrawsockTest(DaemonTestCase):

    def test_exports_only_the_api(self):
        """The shared library exports the functions rawsock.h declares
        (static inline ones aside), and none of the code it is built
        from."""
        check = binary("LIBRAWSOCK_CHECK", "build/tests/integration/"
                       "librawsock-check")
        lib = os.path.join(os.path.dirname(check), "..", "..", "client",
                           "librawsock.so")
        with open(os.path.join(REPO, "client", "rawsock.h")) as f:
            header = f.read()
        declared = set(re.findall(r"\b(rs_[a-z0-9_]+)\(", header))
        out = subprocess.run(["nm", "-D", "--defined-only", lib], text=True,
                             capture_output=True, check=True).stdout
        exported = {line.split()[2].split("@")[0]
                    for line in out.splitlines()
                    if line.split()[1] == "T"}
        self.assertEqual(exported, declared - {"rs_frame_next"})

    def test_c_api(self):
        """Every librawsock call the check program makes succeeds or fails
        exactly as it expects, as an unprivileged uid."""
        prog = binary("LIBRAWSOCK_CHECK", "build/tests/integration/"
                      "librawsock-check")
        d = self.start_daemon(POLICY)
        r = run_as_user([prog, d.socket_path])
        lines = r.stdout.splitlines()
        self.assertEqual([l for l in lines if l.startswith("not ok")], [],
                         r.stdout + r.stderr)
        self.assertEqual(sorted(l[3:] for l in lines if l.startswith("ok ")),
                         sorted(CHECKS))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_rawsockctl_status(self):
        """rawsockctl status reports the caller's real uid and its rule."""
        ctl = binary("RAWSOCKCTL", "build/client/rawsockctl")
        d = self.start_daemon(POLICY)
        r = run_as_user([ctl, "-s", d.socket_path, "status"])
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["peer"]["uid"], TEST_UID)
        self.assertEqual(out["peer"]["gid"], TEST_GID)
        self.assertEqual(out["allowed"]["allow"]["domains"], ["inet", "unix"])

    def test_rawsockctl_exec(self):
        """exec hands the program the socket as fd 3; a denied open runs
        nothing and says why."""
        ctl = binary("RAWSOCKCTL", "build/client/rawsockctl")
        d = self.start_daemon(POLICY)
        probe = ("import socket,os; s=socket.socket(fileno=int("
                 "os.environ['RAWSOCK_FD'])); print(s.type == "
                 "socket.SOCK_DGRAM, s.family == socket.AF_INET)")
        r = run_as_user([ctl, "-s", d.socket_path, "exec",
                         '{"domain":"inet","type":"dgram"}',
                         "/usr/bin/python3", "-c", probe])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "True True")
        r = run_as_user([ctl, "-s", d.socket_path, "exec",
                         '{"domain":"packet","type":"raw"}', "/bin/true"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("denied", r.stderr)


if __name__ == "__main__":
    run_tests()
