#!/usr/bin/python3
"""Cairn nodes on a Redis Cluster that speaks only TLS (tls-port,
tls-cluster, tls-replication, client certificates required), with
certificates made at test time: two nodes with store.redis_tls serve one
swarm; a node recovers by itself when every Redis process is stopped and
started again; a node that does not trust the cluster's CA refuses to
start and says why.

Run: CAIRN_BIN=build/apps/cairn/cairn /usr/bin/python3 tests/redis/test_cluster_tls.py -v
"""

import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_nodes import BUSY, ClusterCase, announce_raw, h, redis_cluster, udp_error  # noqa: E402
from tls_certs import TestCA  # noqa: E402


class TlsNodes(ClusterCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="cairn-redis-tls-")
        ca = TestCA(cls.certs)
        cert, key = ca.issue("redis", client=True)
        cls.cairn_cert, cls.cairn_key = ca.issue("cairn", client=True)
        cls.ca = ca.path
        other = os.path.join(cls.certs, "other")
        os.mkdir(other)
        cls.other_ca = TestCA(other).path
        cls.tls = redis_cluster.TlsFiles(ca.path, cert, key)
        cls.tmp = tempfile.mkdtemp(prefix="cairn-nodes-")
        cls.secret_file = os.path.join(cls.tmp, "connection-id-secrets")
        with open(cls.secret_file, "w") as f:
            f.write("# shared by every node\n%s\n" % os.urandom(16).hex())
        cls.cluster = redis_cluster.RedisCluster(tls=cls.tls)
        try:
            cls.cluster.start()
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            shutil.rmtree(cls.certs, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.certs, ignore_errors=True)

    def tls_store(self, ca=None):
        return {"store": {"redis_tls": True, "redis_ca_file": ca or self.ca,
                          "redis_cert_file": self.cairn_cert,
                          "redis_key_file": self.cairn_key}}

    def test_two_nodes_serve_one_swarm_over_tls(self):
        a, b = self.node(self.tls_store()), self.node(self.tls_store())
        ih = h.random_hash()
        self.udp(a).announce(ih, h.random_peer_id(), 6881, left=0, event="started")
        reply = h.http_announce(b.http4, ih, h.random_peer_id(), 6882, compact=1)
        self.assertNotIn(b"failure reason", reply, reply)
        self.assertEqual(h.peers_of(reply), {("127.0.0.1", 6881)})
        self.assertEqual(self.udp(b).scrape([ih]), [(1, 0, 1)])
        self.assertIn("over TLS", a.stderr_tail())

    def test_tls_by_flags(self):
        """`cairn serve --redis ... --redis-tls-ca/-cert/-key`, no store keys
        in the config: the same as store.redis_tls and its files."""
        args = ("--redis-tls-ca", self.ca, "--redis-tls-cert", self.cairn_cert,
                "--redis-tls-key", self.cairn_key)
        a = self.node(by_flag=True, extra_args=args)
        ih = h.random_hash()
        self.udp(a).announce(ih, h.random_peer_id(), 6881, left=0, event="started")
        self.assertEqual(self.udp(a).scrape([ih]), [(1, 0, 0)])  # one seeder
        self.assertIn("over TLS", a.stderr_tail())

    def test_redis_stopped_and_started_again_over_tls(self):
        """The TLS connections left idle when Redis went away are found
        closed (their close_notify or end of file) and made again."""
        a = self.node(self.tls_store())
        t = self.udp(a, timeout=3.0)
        ih = h.random_hash()
        t.announce(ih, h.random_peer_id(), 6881, left=0)
        self.cluster.stop_all()
        started = time.monotonic()
        reply, _ = announce_raw(t, ih, h.random_peer_id(), 6882)
        self.assertEqual(udp_error(reply), BUSY, reply)
        self.assertLess(time.monotonic() - started, 2.0)
        self.cluster.restart_all()
        deadline = time.monotonic() + 15.0
        while True:
            reply, _ = announce_raw(t, ih, h.random_peer_id(), 6883)
            if reply is not None and udp_error(reply) is None:
                break
            self.assertLess(time.monotonic(), deadline, "no recovery: %r" % reply)
            time.sleep(0.2)
        self.assertGreaterEqual(t.scrape([ih])[0][0], 1, "the seeder was lost")

    def test_a_node_that_does_not_trust_the_cluster_does_not_start(self):
        with self.assertRaises(h.ServerError) as caught:
            self.node(self.tls_store(ca=self.other_ca))
        text = str(caught.exception)
        self.assertIn("certificate was refused", text)
        self.assertIn("store.redis_ca_file", text)

    def test_a_plain_node_does_not_start_on_a_tls_cluster(self):
        with self.assertRaises(h.ServerError) as caught:
            self.node()
        self.assertIn("no Redis Cluster node answered", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
