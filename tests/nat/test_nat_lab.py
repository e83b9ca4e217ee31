"""Hole punching between two hosts behind two NATs (nat_lab.py), with the
real `cairn serve` on the public side and two `cairn punch` processes, one
behind each NAT. Runs as root; a machine that refuses namespaces fails the
test with the reason.

Outcomes, as docs/rendezvous.md ("What to expect from NATs") documents:
  both NATs endpoint-independent    direct path
  one NAT randomising per dest.     relayed (with nat.relay; Linux NATs
                                    filter per address and port, so the
                                    random side's new port never gets in)
  both randomising                  no direct path; relayed with nat.relay
  the target gone                   no direct path: the peer did not answer

`test_nat_lab.py --timing N` measures the time to the path
(docs/benchmarks.md, "Hole punching").
"""

import os
import re
import socket
import statistics
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from cairn_harness import CairnServer, _die_with_parent, cairn_binary  # noqa: E402
from nat_lab import NatLab, TRACKER_IP, WAN_IP  # noqa: E402

PUNCH_TIMEOUT = 20   # seconds each `cairn punch` is given (--timeout)
MARGIN = 5           # seconds past it before the test calls it a hang
PATH_LINE = re.compile(r"path after (\d+) ms, attempt (\d+), \d+ probes, tracker rtt (\d+) ms")


class Punch:
    """One `cairn punch` in a host's namespace."""

    def __init__(self, lab, side, tracker_port, secret, timeout=PUNCH_TIMEOUT):
        self.side = side
        args = lab.exec_prefix("h" + side) + [
            cairn_binary(), "punch", "--tracker", "udp://%s:%d" % (TRACKER_IP, tracker_port),
            "--secret", secret, "--timeout", str(timeout), "--message", "hello from " + side]
        self.started = time.monotonic()
        self.timeout = timeout
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     preexec_fn=_die_with_parent)
        self.out = self.err = ""
        self.rc = None
        self.elapsed = None

    def wait(self):
        try:
            self.out, self.err = self.proc.communicate(timeout=self.timeout + MARGIN)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("cairn punch on host %s still running %d s after its "
                                 "--timeout of %d s (a hang)\n%s"
                                 % (self.side, MARGIN, self.timeout, self.err))
        self.rc = self.proc.returncode
        self.elapsed = time.monotonic() - self.started
        return self

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.out, self.err = self.proc.communicate()

    def describe(self):
        return "host %s: exit %r after %.1f s\nstdout: %s\nstderr: %s" % (
            self.side, self.rc, self.elapsed or 0, self.out.strip(), self.err.strip())

    def path_stats(self):
        """(ms to the path, attempts, round trip to the tracker in ms)."""
        m = PATH_LINE.search(self.err)
        return tuple(map(int, m.groups())) if m else None


class LabCase(unittest.TestCase):
    secret_counter = 0

    def lab(self, nat_a, nat_b, delay_ms=0, relay=False):
        """A lab and a tracker in it, both removed when the test ends."""
        lab = NatLab(nat_a, nat_b, delay_ms)
        lab.__enter__()
        self.addCleanup(lab.close)
        config = {"nat": {"relay": relay}, "server": {"workers": 2}}
        server = CairnServer(config, listens=(TRACKER_IP + ":0",),
                             prefix=lab.exec_prefix("pub"))
        server.start()
        self.addCleanup(server.stop)
        self.server = server
        return lab

    def secret(self):
        LabCase.secret_counter += 1
        return "nat lab %d %d" % (os.getpid(), LabCase.secret_counter)

    def pair(self, lab):
        """Both hosts punch under one secret; returns both, finished."""
        secret = self.secret()
        port = self.server.udp4[1]
        a = Punch(lab, "a", port, secret)
        b = Punch(lab, "b", port, secret)
        try:
            return a.wait(), b.wait()
        finally:
            a.kill()
            b.kill()

    def assert_path(self, p, kind, peer_ip):
        """kind "direct": p printed `direct PEER_IP:PORT`; "relayed": `relayed via
        TRACKER:PORT`."""
        self.assertEqual(p.rc, 0, p.describe())
        if kind == "direct":
            self.assertRegex(p.out.strip(), r"^direct %s:\d+$" % re.escape(peer_ip), p.describe())
        else:
            self.assertEqual(p.out.strip(), "relayed via %s:%d" % (TRACKER_IP,
                                                                    self.server.udp4[1]),
                             p.describe())
        other = "b" if p.side == "a" else "a"
        self.assertIn('received "hello from %s"' % other, p.err, p.describe())

    def measure(self, lab, runs, verbose=False):
        """Punches `runs` times on an endpoint-independent lab: per run, both
        sides' path_stats()."""
        result = []
        for _ in range(runs):
            pair = self.pair(lab)
            for p in pair:
                self.assert_path(p, "direct", WAN_IP["b" if p.side == "a" else "a"])
                if verbose:
                    print("host %s: %s" % (p.side, p.err.strip().splitlines()[-1]))
            result.append([p.path_stats() for p in pair])
        return result

    def assert_no_path(self, p, reason):
        self.assertEqual(p.rc, 1, p.describe())
        self.assertRegex(p.out.strip(), r"^no direct path: .*%s" % reason, p.describe())
        self.assertLess(p.elapsed, PUNCH_TIMEOUT + 2, p.describe())



class NatLabTest(LabCase):
    # --- the lab itself

    def test_an_unsolicited_packet_is_dropped(self):
        """Only a punched path gets through a NAT of the lab: host B's datagram
        to host A's public mapping is dropped, while the tracker, to which A
        sent, gets its answer through."""
        lab = NatLab("eim", "eim")
        with lab:
            tracker = lab.socket_in("pub")
            a, b = lab.socket_in("ha"), lab.socket_in("hb")
            for s in (tracker, a, b):
                self.addCleanup(s.close)
                s.settimeout(1.0)
            tracker.bind((TRACKER_IP, 0))
            a.bind(("0.0.0.0", 0))
            a.sendto(b"out", tracker.getsockname())
            _, mapped = tracker.recvfrom(64)
            self.assertEqual(mapped[0], WAN_IP["a"], "the tracker sees A at its NAT's address")
            b.sendto(b"unsolicited", mapped)
            with self.assertRaises(socket.timeout, msg="B's unsolicited packet reached A"):
                a.recvfrom(64)
            tracker.sendto(b"answer", mapped)
            self.assertEqual(a.recvfrom(64), (b"answer", tracker.getsockname()))

    # --- the cases of docs/rendezvous.md

    def test_both_endpoint_independent_punch_direct(self):
        lab = self.lab("eim", "eim")
        a, b = self.pair(lab)
        self.assert_path(a, "direct", WAN_IP["b"])
        self.assert_path(b, "direct", WAN_IP["a"])

    def test_delayed_link_still_punches_direct(self):
        """Router A's public link has 40 ms each way (80 ms more round trip
        to anyone)."""
        lab = self.lab("eim", "eim", delay_ms=40)
        a, b = self.pair(lab)
        self.assert_path(a, "direct", WAN_IP["b"])
        self.assert_path(b, "direct", WAN_IP["a"])

    def test_time_to_path_meets_the_target(self):
        """Issue 11's target (docs/benchmarks.md, "Hole punching"): a median
        time from request to direct path of at most 2 x RTT + 50 ms, and at
        most 3 attempts, with A's round trip to the tracker and to B at
        RTT = 80 ms (40 ms each way on its public link). And no side waits
        for a third round trip to the far side: connect/offer and
        ready/sync take two, then the first probe that arrives opens the
        path of the side it reaches, half a round trip later (waiting for
        the ack of a probe of one's own took a whole one when A requested).
        Which side requests is random, so 4 runs."""
        delay = 40
        lab = self.lab("eim", "eim", delay_ms=delay)
        runs = self.measure(lab, 4)
        what = "(ms to path, attempts, tracker rtt) of A and B per run: %s" % runs
        paths = [p for run in runs for p in run]
        self.assertLessEqual(statistics.median(ms for ms, _, _ in paths), 2 * (2 * delay) + 50,
                             what)
        self.assertLessEqual(max(n for _, n, _ in paths), 3, what)
        # Per run, against the round trip the tracker measured to the far
        # side (load stretches both alike): 2.5 of them at most, not 3.
        for run in runs:
            far_rtt = max(rtt for _, _, rtt in run)
            for ms, _, _ in run:
                self.assertLess(ms, 2.75 * far_rtt, what)

    def test_one_random_nat_ends_relayed(self):
        lab = self.lab("random", "eim", relay=True)
        a, b = self.pair(lab)
        self.assert_path(a, "relayed", None)
        self.assert_path(b, "relayed", None)

    def test_both_random_nats_have_no_direct_path(self):
        lab = self.lab("random", "random")
        a, b = self.pair(lab)
        for p in (a, b):
            self.assert_no_path(p, "no probe got through in 3 attempts")

    def test_both_random_nats_relayed_when_relay_is_on(self):
        lab = self.lab("random", "random", relay=True)
        a, b = self.pair(lab)
        self.assert_path(a, "relayed", None)
        self.assert_path(b, "relayed", None)

    def test_target_gone(self):
        """B opens its session and dies without a word: A learns that B did
        not answer, well within its timeout."""
        lab = self.lab("eim", "eim")
        secret = self.secret()
        b = Punch(lab, "b", self.server.udp4[1], secret)
        self.addCleanup(b.kill)
        deadline = time.monotonic() + 10
        line = b""
        while b"the tracker sees this socket" not in line:
            self.assertLess(time.monotonic(), deadline, "host b never opened its session")
            line = b.proc.stderr.readline().encode()
        b.kill()
        a = Punch(lab, "a", self.server.udp4[1], secret).wait()
        self.assert_no_path(a, "did not answer")
        self.assertLess(a.elapsed, 10, a.describe())


class PunchTiming(LabCase):
    """Not a test: `test_nat_lab.py --timing N [DELAY_MS]` punches N times on
    the endpoint-independent lab, A's public link delayed by DELAY_MS (default 40)
    each way, and prints the time to the path and the attempts."""

    runs, delay, verbose = 0, 40, False

    def timing(self):
        lab = self.lab("eim", "eim", delay_ms=self.delay)
        paths = [p for run in self.measure(lab, self.runs, self.verbose) for p in run]
        times, attempts = [p[0] for p in paths], [p[1] for p in paths]
        print("%d paths, link delay %d ms each way: time to path median %d ms, max %d ms; "
              "attempts median %d, max %d" % (len(times), self.delay, statistics.median(times),
                                              max(times), statistics.median(attempts),
                                              max(attempts)))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--timing":
        PunchTiming.runs = int(sys.argv[2])
        PunchTiming.delay = int(sys.argv[3]) if len(sys.argv) > 3 else 40
        PunchTiming.verbose = "-v" in sys.argv
        result = unittest.TextTestRunner().run(PunchTiming("timing"))
        sys.exit(0 if result.wasSuccessful() else 1)
    unittest.main()
