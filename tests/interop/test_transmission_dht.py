#!/usr/bin/python3
"""Transmission joins the DHT through Cairn alone (issue 12).

Transmission's DHT refuses loopback nodes (the DHT library it uses treats
127/8 as martian), so it runs in a network namespace this test creates,
joined to the host by a veth pair on a private /24 (10.77.N.0/24, N from
the test's pid): Cairn's DHT node listens on the host end (10.77.N.1),
transmission-cli on the other (10.77.N.2), its DHT on, bootstrapped only
through a `dht.bootstrap` file naming Cairn; LPD, PEX and UPnP/NAT-PMP off.
Private addresses are exempt from BEP 42, as loopback is.

Transmission has joined when Cairn hands it out: Cairn stores a node only
after it answered Cairn's verification ping (dht.verify_delay = 1 here), so
a find_node from another host-side socket that returns 10.77.N.2 shows
Transmission bootstrapped from Cairn and answers as a DHT node. The
namespace and the veth pair are deleted even when the test fails.

Needs root (network namespaces) and Debian's transmission-cli and iproute2.
Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_transmission_dht.py [-v]
"""

import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_common as ic  # noqa: E402
sys.path.insert(0, os.path.join(ic.HERE, "..", "integration"))
from cairn_harness import bdecode, bencode  # noqa: E402


def run(*args):
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(args), done.returncode,
                                                    done.stderr.strip()))


class TransmissionDht(ic.InteropCase):
    def make_namespace(self):
        ic.need_program("/usr/sbin/ip")
        if os.geteuid() != 0:
            raise AssertionError("this test creates a network namespace: it needs root")
        n = os.getpid() % 250 + 1
        self.ns = "cairn-dht-%d" % os.getpid()
        host_if, ns_if = "cdht%da" % (os.getpid() % 100000), "cdht%db" % (os.getpid() % 100000)
        self.host_ip, self.ns_ip = "10.77.%d.1" % n, "10.77.%d.2" % n
        run("ip", "netns", "add", self.ns)
        self.addCleanup(subprocess.run, ["ip", "netns", "delete", self.ns], capture_output=True)
        run("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        # Deleting the namespace deletes its end, and with it the pair.
        self.addCleanup(subprocess.run, ["ip", "link", "delete", host_if], capture_output=True)
        run("ip", "link", "set", ns_if, "netns", self.ns)
        run("ip", "addr", "add", self.host_ip + "/24", "dev", host_if)
        run("ip", "link", "set", host_if, "up")
        in_ns = ["ip", "netns", "exec", self.ns]
        run(*in_ns, "ip", "addr", "add", self.ns_ip + "/24", "dev", ns_if)
        run(*in_ns, "ip", "link", "set", ns_if, "up")
        run(*in_ns, "ip", "link", "set", "lo", "up")
        return in_ns

    def start_transmission(self, in_ns, dht_port):
        exe = ic.need_program("transmission-cli")
        conf = self.dir("transmission-config")
        port = 51413
        settings = {
            "dht-enabled": True,
            "lpd-enabled": False,
            "pex-enabled": False,
            "utp-enabled": False,
            "port-forwarding-enabled": False,
            "blocklist-enabled": False,
            "peer-port": port,
            "peer-port-random-on-start": False,
            "bind-address-ipv4": self.ns_ip,
            "bind-address-ipv6": "::1",
            "rpc-enabled": False,
            "download-dir": self.dir("transmission-down"),
            "incomplete-dir-enabled": False,
            "message-level": 3,
        }
        with open(os.path.join(conf, "settings.json"), "w") as f:
            json.dump(settings, f)
        # Transmission's only way into the DHT.
        with open(os.path.join(conf, "dht.bootstrap"), "w") as f:
            f.write("%s %d\n" % (self.host_ip, dht_port))
        magnet = "magnet:?xt=urn:btih:%s" % os.urandom(20).hex()
        args = in_ns + [exe, "-g", conf, "-p", str(port), "-M", "-ep", magnet]
        return self.children.spawn(args, os.path.join(self.tmp, "transmission.out"),
                                   env=dict(os.environ, HOME=self.tmp))

    def handed_out(self, dht_addr):
        """The IPv4 nodes Cairn hands to a fresh host-side node."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((self.host_ip, 0))
            s.settimeout(2)
            q = bencode({b"t": b"tr", b"y": b"q", b"q": b"find_node",
                         b"a": {b"id": os.urandom(20), b"target": os.urandom(20)}})
            s.sendto(q, dht_addr)
            try:
                r = bdecode(s.recvfrom(2048)[0])
            except socket.timeout:
                raise AssertionError("Cairn's DHT node did not answer on %s:%d" % dht_addr)
        nodes = r[b"r"].get(b"nodes", b"")
        return [socket.inet_ntoa(nodes[i + 20:i + 24]) for i in range(0, len(nodes), 26)]

    def test_transmission_bootstraps_through_cairn(self):
        in_ns = self.make_namespace()
        self.tracker = ic.CairnTracker(self.dir("tracker"), [], config={"dht": {"verify_delay": 1}},
                                       dht_listens=["%s:0" % self.host_ip])
        dht_addr = tuple(self.tracker.server.listening[-1][1:3])
        self.assertEqual(dht_addr[0], self.host_ip)
        p = self.start_transmission(in_ns, dht_addr[1])

        def joined():
            if p.poll() is not None:
                raise AssertionError("transmission-cli exited (%s)\n%s"
                                     % (p.returncode, ic.log_tail(p._log_path)))
            return self.ns_ip in self.handed_out(dht_addr)

        self.wait_until(joined, "Cairn to hand out Transmission's node (%s)" % self.ns_ip,
                        procs=[p], poll=0.5)


if __name__ == "__main__":
    ic.main()
