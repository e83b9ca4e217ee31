"""STUN on the tracker's UDP port, asked by a client nobody here wrote:
coturn's turnutils_stunclient (Debian package coturn). It sends a 20-byte
Binding request and prints the XOR-MAPPED-ADDRESS of the answer.

Over loopback the answer must name 127.0.0.1 / ::1; behind the NAT lab's
router (../nat/nat_lab.py, as root) it must name the router's public address
and the very port the router mapped the client's socket to, read from the
router's connection table.
"""

import os
import re
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "nat"))
from cairn_harness import CairnServer  # noqa: E402
from nat_lab import NatLab, TRACKER_IP, WAN_IP  # noqa: E402

REFLEXIVE = re.compile(r"UDP reflexive addr: (\S+):(\d+)\s*$", re.M)


def stunclient():
    path = shutil.which("turnutils_stunclient")
    if not path:
        raise AssertionError("the STUN interop test needs turnutils_stunclient, which is not "
                             "installed (Debian package coturn)")
    return path


def ask(host, port, prefix=()):
    """(address, port) turnutils_stunclient reports, and its whole output."""
    try:
        p = subprocess.run(list(prefix) + [stunclient(), "-p", str(port), host],
                           capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("turnutils_stunclient got no answer from %s port %d in 10 s: %s"
                             % (host, port, e.stdout)) from None
    out = p.stdout + p.stderr
    if p.returncode != 0:
        raise AssertionError("turnutils_stunclient exited %d:\n%s" % (p.returncode, out))
    m = REFLEXIVE.search(out)
    if not m:
        raise AssertionError("turnutils_stunclient printed no reflexive address:\n" + out)
    return (m.group(1), int(m.group(2))), out


class StunTest(unittest.TestCase):
    def test_turnutils_stunclient_ipv4(self):
        with CairnServer() as server:
            (addr, port), out = ask("127.0.0.1", server.udp4[1])
            self.assertEqual(addr, "127.0.0.1", out)
            self.assertGreater(port, 0, out)

    def test_turnutils_stunclient_ipv6(self):
        with CairnServer() as server:
            (addr, port), out = ask("::1", server.udp6[1])
            self.assertEqual(addr, "::1", out)
            self.assertGreater(port, 0, out)

    def test_turnutils_stunclient_behind_nat(self):
        """The client sits behind the lab's router A: the tracker tells it the
        router's public address and the port the router chose."""
        with NatLab("random", "eim") as lab:  # random: a port unlike the client's own
            server = CairnServer(listens=(TRACKER_IP + ":0",), prefix=lab.exec_prefix("pub"))
            with server:
                tracker_port = server.udp4[1]
                (addr, port), out = ask(TRACKER_IP, tracker_port, lab.exec_prefix("ha"))
                mapped = self.mapped_ports(lab, tracker_port)
            self.assertEqual(addr, WAN_IP["a"], out)
            self.assertIn(port, mapped, "router A mapped the client to %s\n%s" % (mapped, out))

    @staticmethod
    def mapped_ports(lab, tracker_port):
        """Public ports router A's connection table gives flows from host A
        to the tracker's port (reply tuple: tracker -> WAN address, dport)."""
        table = subprocess.run(lab.exec_prefix("ra") + ["cat", "/proc/net/nf_conntrack"],
                               capture_output=True, text=True, check=True).stdout
        ports = set()
        for line in table.splitlines():
            tuples = re.findall(r"src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+)", line)
            if len(tuples) == 2 and tuples[0][1] == TRACKER_IP and \
                    int(tuples[0][3]) == tracker_port and tuples[1][1] == WAN_IP["a"]:
                ports.add(int(tuples[1][3]))
        if not ports:
            raise AssertionError("router A's connection table holds no flow to the tracker:\n"
                                 + table)
        return ports


if __name__ == "__main__":
    unittest.main()
