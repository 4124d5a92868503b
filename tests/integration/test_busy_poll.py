"""rawsockd --busy-poll-us: the loop polls without sleeping after requests.

What must hold: requests are answered as without it, SIGTERM still ends
the daemon cleanly, and the polling is bounded: an idle daemon uses no
CPU, and one request costs at most about the budget.  CPU time is read
from /proc (the kernel's accounting, not the daemon's word).

Run: RAWSOCKD=build/daemon/rawsockd /usr/bin/python3 test_busy_poll.py -v
"""

import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    TEST_UID, Client, DaemonTestCase, assert_ok, connect_as, run_tests)

POLICY = {"rules": [{"match": {"uid": TEST_UID}, "allow": {
    "domains": ["inet"], "types": ["dgram"], "protocols": ["*"],
    "interfaces": ["*"], "pass": True, "spoof": True}}]}
BUDGET_US = 1000       # the maximum: the easiest to see if unbounded


def loop_cpu_seconds(pid):
    """CPU time of the daemon's main thread (the loop), in seconds."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    except OSError:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BusyPollTest(DaemonTestCase):

    def start(self):
        return self.start_daemon(POLICY, extra_args=[
            "--busy-poll-us", str(BUDGET_US)])

    def test_bad_budget_refused(self):
        """Out of range or not a number: exit 2 naming the option."""
        for bad in ("1001", "-1", "abc", "", "10us"):
            with self.subTest(value=bad):
                rc, log = self.start_daemon_expecting_exit(
                    POLICY, extra_args=["--busy-poll-us", bad])
                self.assertEqual(rc, 2, log)
                self.assertIn("--busy-poll-us", log)

    def test_requests_answered_in_order(self):
        """Pings and a passed socket, as uid 4242, each answered in turn."""
        d = self.start()
        with connect_as(d.socket_path, TEST_UID) as c:
            for i in range(200):
                assert_ok(c.call("ping"))
            obj, fds = c.call_fds("open", domain="AF_INET",
                                  type="SOCK_DGRAM", **{"pass": True})
            assert_ok(obj)
            self.assertEqual(len(fds), 1)
            for fd in fds:
                os.close(fd)

    def test_sigterm_while_polling(self):
        """SIGTERM right after a request (the loop is polling) ends it
        with 0, as does SIGTERM when idle."""
        for idle in (False, True):
            with self.subTest(idle=idle):
                d = self.start()
                with Client(d.socket_path) as c:
                    assert_ok(c.call("ping"))
                    if idle:
                        time.sleep(0.1)
                    d.stop()

    def test_idle_daemon_sleeps(self):
        """After a burst of requests the loop polls at most its budget,
        then sleeps: a second of idleness costs it (nearly) no CPU."""
        d = self.start()
        with Client(d.socket_path) as c:
            for i in range(100):
                assert_ok(c.call("ping"))
            time.sleep(0.1)
            before = loop_cpu_seconds(d.pid)
            time.sleep(1.0)
            idle = loop_cpu_seconds(d.pid) - before
        self.assertLess(idle, 0.02, f"{idle:.3f} s of CPU in 1 s idle")

    def test_polling_bounded_per_request(self):
        """One request every 20 ms for a second: the loop polls about a
        budget after each (50 ms in all), far from a second of spinning."""
        d = self.start()
        with Client(d.socket_path) as c:
            before = loop_cpu_seconds(d.pid)
            for i in range(50):
                assert_ok(c.call("ping"))
                time.sleep(0.02)
            used = loop_cpu_seconds(d.pid) - before
        limit = 50 * BUDGET_US / 1e6 * 2 + 0.05
        self.assertLess(used, limit, f"{used:.3f} s of CPU for 50 pings")


if __name__ == "__main__":
    run_tests()
