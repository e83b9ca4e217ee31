"""A real Redis Cluster on loopback for tests: Debian's redis-server, 3
masters and 3 replicas by default, made with `redis-cli --cluster create`.

Standard library only. Every node is a child that dies with this process
(PR_SET_PDEATHSIG) and is killed by stop(), which the users call in a
`finally`; data lives in a temporary folder removed at the end. Ports are
drawn below the kernel's ephemeral range, each with its cluster bus port
(port + 10000) free as well.

    with RedisCluster() as cluster:
        cluster.seeds            # "127.0.0.1:P1,127.0.0.1:P2,..." (the masters)
        cluster.kill_master_of(slot)  # SIGKILL; returns the node
        cluster.wait_promoted(slot)   # until a replica owns the slot
        cluster.stop_all(); cluster.restart_all()

    RedisCluster(tls=TlsFiles(ca, cert, key))  # TLS only: tls-port, tls-cluster,
                                               # tls-replication, client certificates

Run alone, it starts a cluster, prints the seeds, and keeps it until
stdin closes or a signal comes (handy by hand):
    /usr/bin/python3 tests/redis/redis_cluster.py
"""

import collections
import ctypes
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

REDIS_SERVER = "/usr/bin/redis-server"
REDIS_CLI = "/usr/bin/redis-cli"
NODE_TIMEOUT_MS = 1000  # how soon a dead master is noticed and replaced
START_TIMEOUT = 30.0


class ClusterError(AssertionError):
    pass


# PEM files for a TLS cluster: the CA, and a certificate and key that every
# node serves and presents to the others (and the test harness to them).
TlsFiles = collections.namedtuple("TlsFiles", "ca cert key")

# Ports of TLS nodes, and the client context that speaks to them.
_tls_ports = {}


def _client_context(tls):
    ctx = ssl.create_default_context(cafile=tls.ca)
    ctx.load_cert_chain(tls.cert, tls.key)
    return ctx


def need(path):
    if not os.access(path, os.X_OK):
        raise ClusterError("%s is missing: the Redis tests need Debian's redis-server and "
                           "redis-tools (scripts/install-deps.sh installs them)" % path)
    return path


_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    os.setsid()


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError):
        return 32768


def _free(port):
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False


def free_redis_port(taken):
    """A port free with its bus port (+10000), both below the ephemeral range."""
    high = _ephemeral_low() - 10000
    rng = random.SystemRandom()
    for _ in range(500):
        port = rng.randrange(10000, high)
        if port in taken or port + 10000 in taken:
            continue
        if _free(port) and _free(port + 10000):
            return port
    raise ClusterError("no free port pair for a Redis node")


def command(port, *args, timeout=2.0):
    """One command over RESP2; returns the reply as Python values (bytes for
    strings, ClusterError raised for an error reply)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        ctx = _tls_ports.get(port)
        with (ctx.wrap_socket(raw, server_hostname="127.0.0.1") if ctx else raw) as s:
            out = b"*%d\r\n" % len(args)
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
            s.sendall(out)
            with s.makefile("rb") as f:
                return _read_reply(f)


def _read_reply(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise ClusterError("connection closed mid-reply")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest
    if kind == b"-":
        raise ClusterError(rest.decode("utf-8", "replace"))
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read_reply(f) for _ in range(n)]
    raise ClusterError("unexpected reply %r" % line)


def info(port, section):
    text = command(port, "INFO", section).decode()
    return dict(l.split(":", 1) for l in text.splitlines() if ":" in l)


class Node:
    def __init__(self, cluster, port):
        self.cluster, self.port = cluster, port
        self.dir = os.path.join(cluster.tmp, str(port))
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def start(self):
        tls = self.cluster.tls
        ports = ["--port", str(self.port)]
        if tls:
            _tls_ports[self.port] = self.cluster.client_context
            ports = ["--port", "0", "--tls-port", str(self.port),
                     "--tls-cert-file", tls.cert, "--tls-key-file", tls.key,
                     "--tls-ca-cert-file", tls.ca, "--tls-cluster", "yes",
                     "--tls-replication", "yes"]
        args = [need(REDIS_SERVER)] + ports + ["--bind", "127.0.0.1",
                "--dir", self.dir, "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
                # a replica of a dead master takes over at once, whatever its lag
                "--cluster-replica-validity-factor", "0",
                "--appendonly", "yes", "--appendfsync", "no", "--save", "",
                "--logfile", "redis.log", "--daemonize", "no"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        self.cluster.all_procs.append(self.proc)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL):
        if self.alive():
            os.kill(self.proc.pid, sig)
            self.proc.wait()

    def wait_up(self, deadline):
        while True:
            try:
                if command(self.port, "PING", timeout=0.5) == b"PONG":
                    return
            except (OSError, ClusterError):
                pass
            if not self.alive():
                raise ClusterError("redis-server on %d exited: %s" % (self.port, self.log_tail()))
            if time.monotonic() > deadline:
                raise ClusterError("redis-server on %d did not answer" % self.port)
            time.sleep(0.05)

    def log_tail(self, n=3000):
        try:
            with open(os.path.join(self.dir, "redis.log"), "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return "(no log)"


class RedisCluster:
    def __init__(self, masters=3, replicas_per_master=1, tls=None):
        self.masters, self.replicas = masters, replicas_per_master
        self.tls = tls
        self.client_context = _client_context(tls) if tls else None
        self.tmp = None
        self.nodes = []
        self.all_procs = []

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def seeds(self):
        return ",".join(n.address for n in self.nodes[:self.masters])

    def start(self):
        need(REDIS_SERVER)
        need(REDIS_CLI)
        self.tmp = tempfile.mkdtemp(prefix="cairn-redis-")
        try:
            taken = set()
            for _ in range(self.masters * (1 + self.replicas)):
                port = free_redis_port(taken)
                taken.update((port, port + 10000))
                self.nodes.append(Node(self, port))
            deadline = time.monotonic() + START_TIMEOUT
            for n in self.nodes:
                n.start()
            for n in self.nodes:
                n.wait_up(deadline)
            create = [REDIS_CLI] + self.cli_tls_args() + ["--cluster", "create"] + [
                n.address for n in self.nodes] + [
                "--cluster-replicas", str(self.replicas), "--cluster-yes"]
            r = subprocess.run(create, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=START_TIMEOUT)
            if r.returncode != 0:
                raise ClusterError("redis-cli --cluster create failed:\n%s%s"
                                   % (r.stdout.decode(errors="replace"),
                                      r.stderr.decode(errors="replace")))
            self.wait_healthy(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def cli_tls_args(self):
        if not self.tls:
            return []
        return ["--tls", "--cacert", self.tls.ca, "--cert", self.tls.cert, "--key", self.tls.key]

    def wait_healthy(self, deadline):
        """Every live node sees the cluster ok and every slot covered, and
        every live replica is in sync with its master."""
        while True:
            problem = self._problem()
            if problem is None:
                return
            if time.monotonic() > deadline:
                raise ClusterError("cluster not healthy in time: %s" % problem)
            time.sleep(0.1)

    def _problem(self):
        for n in self.nodes:
            if not n.alive():
                continue
            try:
                ci = self._cluster_info(n.port)
                if ci.get("cluster_state") != "ok":
                    return "%s: cluster_state %s" % (n.address, ci.get("cluster_state"))
                if ci.get("cluster_slots_ok") != "16384":
                    return "%s: slots ok %s" % (n.address, ci.get("cluster_slots_ok"))
                rep = info(n.port, "replication")
                if rep.get("role") == "slave" and rep.get("master_link_status") != "up":
                    return "%s: replica link %s" % (n.address, rep.get("master_link_status"))
            except (OSError, ClusterError) as e:
                return "%s: %s" % (n.address, e)
        return None

    @staticmethod
    def _cluster_info(port):
        text = command(port, "CLUSTER", "INFO").decode()
        return dict(l.split(":", 1) for l in text.splitlines() if ":" in l)

    def node_at(self, port):
        for n in self.nodes:
            if n.port == port:
                return n
        raise ClusterError("no node on port %d" % port)

    def master_port_of(self, slot):
        """The port of the master serving `slot`, as a live node sees it."""
        for n in self.nodes:
            if not n.alive():
                continue
            try:
                for entry in command(n.port, "CLUSTER", "SLOTS"):
                    if entry[0] <= slot <= entry[1]:
                        return entry[2][1]
            except (OSError, ClusterError):
                continue
        raise ClusterError("no live node knows slot %d" % slot)

    def keyslot(self, key):
        return command(self.nodes[0].port, "CLUSTER", "KEYSLOT", key)

    def kill_master_of(self, slot, sig=signal.SIGKILL):
        node = self.node_at(self.master_port_of(slot))
        node.kill(sig)
        return node

    def wait_promoted(self, slot, old_port, timeout=20.0):
        """Until a live node says another, live master serves `slot` and the
        cluster is ok again."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                port = self.master_port_of(slot)
                if port != old_port and self.node_at(port).alive():
                    if self._cluster_info(port).get("cluster_state") == "ok":
                        return port
            except (OSError, ClusterError):
                pass
            if time.monotonic() > deadline:
                raise ClusterError("no replica took over slot %d in %.0fs" % (slot, timeout))
            time.sleep(0.1)

    def stop_all(self):
        for n in self.nodes:
            n.kill(signal.SIGTERM)

    def restart_all(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        for n in self.nodes:
            if not n.alive():
                n.start()
        for n in self.nodes:
            n.wait_up(deadline)
        self.wait_healthy(deadline)

    def restart(self, node, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        node.start()
        node.wait_up(deadline)

    def logs(self):
        return "\n".join("--- %s ---\n%s" % (n.address, n.log_tail()) for n in self.nodes)

    def stop(self):
        for p in self.all_procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.all_procs = []
        for n in self.nodes:
            _tls_ports.pop(n.port, None)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


def main():
    with RedisCluster() as cluster:
        print(cluster.seeds, flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            sys.stdin.read()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
