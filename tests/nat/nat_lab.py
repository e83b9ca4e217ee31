"""A NAT lab in network namespaces, for the hole-punching tests.

    tracker ns ("pub"): 203.0.113.1 on both links, routes between them
        |                         |
    router A: wan 203.0.113.2   router B: wan 203.0.113.3
              lan 192.0.2.1               lan 198.51.100.1
        |                         |
    host A: 192.0.2.2           host B: 198.51.100.2

Each router masquerades its LAN behind its WAN address (nftables) and lets
in from the WAN only packets of connections its LAN opened: the forward
chain drops the rest, and the input chain drops new packets addressed to
the router itself. The second rule matters: without it, a probe that
arrives before the router's own host has sent leaves a conntrack entry
that takes the port the host's next mapping would have used, and punching
fails at random.

NAT kinds (masquerade options):
  "eim"      port-preserving: one mapping per socket whatever the
             destination (endpoint-independent mapping; the filtering is
             still per address and port, as Linux conntrack does)
  "random"   fully-random: a new random port per destination (what
             "symmetric NAT" means in practice)

A delay (delay_ms) sits on router A's public link, each way
(delay_queue.py), where a real WAN's delay is: outside A's NAT, so A's
first packet to a destination opens A's mapping at once and reaches the
destination delay_ms later.

Requires root (CI runs as root), the kernel's netns, veth, bridge and
nftables NAT, and for the delay its NFQUEUE and Debian's iptables.
Anything missing fails the test with the reason; nothing is skipped. Every namespace is named cairn-lab-PID-ROLE and
deleted by close(), even after a failure; namespaces left by a killed run
(whose PID is gone) are deleted by the next one.
"""

import ctypes
import os
import re
import socket
import subprocess

import delay_queue

TRACKER_IP = "203.0.113.1"
WAN_IP = {"a": "203.0.113.2", "b": "203.0.113.3"}
LAN_NET = {"a": "192.0.2", "b": "198.51.100"}
ROLES = ("pub", "ra", "rb", "ha", "hb")
NETNS_DIR = "/run/netns"
_CLONE_NEWNET = 0x40000000


class LabError(AssertionError):
    pass


def run(*args, check=True, timeout=10):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise LabError("%s failed (exit %d): %s" % (" ".join(args), p.returncode,
                                                    (p.stderr or p.stdout).strip()))
    return p


def nftables_rules(kind):
    if kind not in ("eim", "random"):
        raise ValueError(kind)
    option = " fully-random" if kind == "random" else ""
    return """
table ip lab {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" masquerade%s
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "lan" oifname "wan" accept
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "wan" ct state new drop
  }
}
""" % option


def remove_stale():
    """Namespaces of earlier runs whose process is gone."""
    try:
        names = os.listdir(NETNS_DIR)
    except FileNotFoundError:
        return
    for name in names:
        m = re.fullmatch(r"cairn-lab-(\d+)-\w+", name)
        if m and not os.path.exists("/proc/%s" % m.group(1)):
            run("ip", "netns", "delete", name, check=False)


class NatLab:
    """with NatLab(nat_a="eim", nat_b="random", delay_ms=0) as lab: ..."""

    def __init__(self, nat_a="eim", nat_b="eim", delay_ms=0):
        self.nat = {"a": nat_a, "b": nat_b}
        self.delay_ms = delay_ms
        self.prefix = "cairn-lab-%d-" % os.getpid()
        self.created = []
        self.delay = None

    def ns(self, role):
        return self.prefix + role

    def exec_prefix(self, role):
        """Argument list that runs a command in the namespace."""
        return ["ip", "netns", "exec", self.ns(role)]

    def __enter__(self):
        try:
            self.build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _ip(self, role, *args):
        run("ip", "-n", self.ns(role), *args)

    def build(self):
        if os.geteuid() != 0:
            raise LabError("the NAT lab needs root (ip netns, nftables): run the test as root")
        remove_stale()
        for role in ROLES:
            p = run("ip", "netns", "add", self.ns(role), check=False)
            if p.returncode != 0:
                raise LabError("cannot create network namespace %s: %s (the NAT lab needs "
                               "root and a kernel with network namespaces)"
                               % (self.ns(role), p.stderr.strip()))
            self.created.append(self.ns(role))
            self._ip(role, "link", "set", "lo", "up")
        run(*self.exec_prefix("pub"), "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
        for side in ("a", "b"):
            self._router(side)
        self._rules()

    def _router(self, side):
        router, host, net = "r" + side, "h" + side, LAN_NET[side]
        # The router's WAN link: a point-to-point link to the tracker's
        # namespace, which routes between the two routers (a routed hop, not
        # a bridge, so the delay queue can sit there in plain iptables).
        self._ip(router, "link", "add", "wan", "type", "veth", "peer", "name", router,
                 "netns", self.ns("pub"))
        self._ip("pub", "addr", "add", TRACKER_IP, "peer", WAN_IP[side], "dev", router)
        self._ip("pub", "link", "set", router, "up")
        self._ip(router, "addr", "add", WAN_IP[side], "peer", TRACKER_IP, "dev", "wan")
        self._ip(router, "link", "set", "wan", "up")
        self._ip(router, "route", "add", "default", "via", TRACKER_IP)
        # The LAN: one host behind the router.
        self._ip(router, "link", "add", "lan", "type", "veth", "peer", "name", "eth0",
                 "netns", self.ns(host))
        self._ip(router, "addr", "add", net + ".1/24", "dev", "lan")
        self._ip(router, "link", "set", "lan", "up")
        self._ip(host, "addr", "add", net + ".2/24", "dev", "eth0")
        self._ip(host, "link", "set", "eth0", "up")
        self._ip(host, "route", "add", "default", "via", net + ".1")
        run(*self.exec_prefix(router), "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")

    def _rules(self):
        for side in ("a", "b"):
            router = "r" + side
            p = subprocess.run(self.exec_prefix(router) + ["nft", "-f", "-"],
                               input=nftables_rules(self.nat[side]), capture_output=True,
                               text=True, timeout=10)
            if p.returncode != 0:
                raise LabError("nftables refused the NAT rules in %s: %s (the NAT lab needs "
                               "the kernel's nftables NAT support)" % (router, p.stderr.strip()))
        if self.delay_ms:
            self._delay_router_a()

    def _delay_router_a(self):
        """delay_ms each way on router A's public link (delay_queue.py says
        why not netem). Queued in the tracker's namespace, in the raw table,
        before connection tracking: from A's link as it comes in; to A as it
        comes in from B's link or leaves the tracker."""
        netlink = self.socket_in("pub", socket.AF_NETLINK, socket.SOCK_RAW,
                                 delay_queue.NETLINK_NETFILTER)
        self.delay = delay_queue.DelayQueue(netlink, 0, self.delay_ms)
        try:
            self.delay.start()
        except OSError as e:
            raise LabError("cannot bind an NFQUEUE in %s: %s (the delayed case needs the "
                           "kernel's nfnetlink_queue)" % (self.ns("pub"), e)) from None
        for rule in (["PREROUTING", "-i", "ra"],
                     ["PREROUTING", "-i", "rb", "-d", WAN_IP["a"]],
                     ["OUTPUT", "-d", WAN_IP["a"]]):
            p = run(*self.exec_prefix("pub"), "iptables", "-t", "raw", "-A", *rule,
                    "-j", "NFQUEUE", "--queue-num", "0", check=False)
            if p.returncode != 0:
                raise LabError("iptables refused the NFQUEUE rule in %s: %s (the delayed case "
                               "needs Debian's iptables and the kernel's xt NFQUEUE target)"
                               % (self.ns("pub"), (p.stderr or p.stdout).strip()))

    def close(self):
        delay_error = None
        if self.delay:
            self.delay.close()
            delay_error, self.delay = self.delay.error, None
        failed = []
        for name in reversed(self.created):
            if run("ip", "netns", "delete", name, check=False).returncode != 0:
                failed.append(name)
        self.created = []
        if failed:
            raise LabError("could not delete network namespaces %s" % ", ".join(failed))
        if delay_error:
            raise LabError("the delay queue failed: %s" % delay_error)

    def socket_in(self, role, family=socket.AF_INET, kind=socket.SOCK_DGRAM, proto=0):
        """A socket created in the namespace (the calling thread enters it
        for the call and comes back)."""
        libc = ctypes.CDLL(None, use_errno=True)
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(os.path.join(NETNS_DIR, self.ns(role)), os.O_RDONLY)
        try:
            if libc.setns(target, _CLONE_NEWNET) != 0:
                raise LabError("setns into %s: %s" % (self.ns(role),
                                                      os.strerror(ctypes.get_errno())))
            try:
                return socket.socket(family, kind, proto)
            finally:
                if libc.setns(own, _CLONE_NEWNET) != 0:
                    raise LabError("setns back: %s" % os.strerror(ctypes.get_errno()))
        finally:
            os.close(own)
            os.close(target)

    def host_ip(self, side):
        return LAN_NET[side] + ".2"
