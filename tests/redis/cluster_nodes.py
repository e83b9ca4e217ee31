"""Pieces shared by the tests that run several `cairn serve` nodes on one
Redis Cluster (tests/redis/test_*.py): the cluster, the nodes, and a few
BEP 15 helpers. Standard library only, plus the integration harness."""

import os
import shutil
import socket
import struct
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import cairn_harness as h  # noqa: E402
import redis_cluster  # noqa: E402

BUSY = b"tracker busy, retry"


def node_config(cluster, secret_file, extra=None):
    config = {"store": {"backend": "redis", "redis_nodes": cluster.seeds.split(","),
                        "redis_timeout_ms": 500},
              "udp": {"connection_id_secret_file": secret_file},
              "tracker": {"announce_interval": 60, "min_interval": 10},
              "rate_limit": {"requests_per_second": 0}}
    for section, keys in (extra or {}).items():
        config.setdefault(section, {}).update(keys)
    return config


def start_node(cluster, secret_file, extra=None, by_flag=False, extra_args=()):
    """A `cairn serve` on the cluster on 127.0.0.1: by its config file, or
    (by_flag) by `--redis HOST:PORT,...`; extra_args follow."""
    config = node_config(cluster, secret_file, extra)
    args = ()
    if by_flag:
        del config["store"]["backend"], config["store"]["redis_nodes"]
        args = ("--redis", cluster.seeds)
    return h.CairnServer(config, listens=["127.0.0.1:0"],
                         extra_args=args + tuple(extra_args)).start()


def udp_error(reply):
    """The message of a BEP 15 error reply, or None if it is none."""
    if reply is None or len(reply) < 8:
        return None
    action = struct.unpack("!I", reply[:4])[0]
    return reply[8:] if action == h.ACT_ERROR else None


def announce_raw(tracker, info_hash, peer_id, port, **kw):
    """(reply bytes or None, transaction id): an announce whose reply may
    be an error."""
    pkt, t = tracker.announce_packet(info_hash, peer_id, port, **kw)
    return tracker.exchange(pkt), t


class ClusterCase(unittest.TestCase):
    """One Redis Cluster (3 masters, 3 replicas) for the class, a shared
    connection id secret, and the nodes each test starts, stopped after it."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cairn-nodes-")
        cls.secret_file = os.path.join(cls.tmp, "connection-id-secrets")
        with open(cls.secret_file, "w") as f:
            f.write("# shared by every node\n%s\n" % os.urandom(16).hex())
        cls.cluster = redis_cluster.RedisCluster()
        try:
            cls.cluster.start()
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.nodes = []

    def tearDown(self):
        for n in self.nodes:
            n.kill()

    def node(self, extra=None, by_flag=False, extra_args=()):
        n = start_node(self.cluster, self.secret_file, extra, by_flag, extra_args)
        self.nodes.append(n)
        return n

    def udp(self, node, **kw):
        t = h.UdpTracker(node.udp4, **kw)
        self.addCleanup(t.close)
        return t


def loopback_v4_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
