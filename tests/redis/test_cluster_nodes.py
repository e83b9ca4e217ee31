#!/usr/bin/python3
"""Two `cairn serve` nodes on one Redis Cluster serve one swarm: a peer
announced on one is returned by the other, scrapes agree, a UDP connection
id from one is accepted by the other (shared secret file), and rendezvous
records registered on one are found on the other.

Run: CAIRN_BIN=build/apps/cairn/cairn /usr/bin/python3 tests/redis/test_cluster_nodes.py -v
"""

import os
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_nodes import ClusterCase, h  # noqa: E402
from rendezvous_harness import api, random_id, random_topic, records_path  # noqa: E402


def start_log(node, timeout=10.0):
    """The node's log once it has said how it serves (logged just after the
    listening lines, so it may not be there yet when start() returns)."""
    deadline = time.monotonic() + timeout
    while "serving with" not in node.stderr_tail() and time.monotonic() < deadline:
        time.sleep(0.05)
    return node.stderr_tail()


class TwoNodes(ClusterCase):
    def test_a_peer_announced_on_one_node_is_returned_by_the_other(self):
        a, b = self.node(), self.node(by_flag=True)
        ih = h.random_hash()
        seeder = self.udp(a).announce(ih, h.random_peer_id(), 6881, left=0, event="started")
        self.assertEqual(seeder.peers, [])
        reply = h.http_announce(b.http4, ih, h.random_peer_id(), 6882, compact=1)
        self.assertNotIn(b"failure reason", reply, reply)
        self.assertEqual(h.peers_of(reply), {("127.0.0.1", 6881)})
        self.assertEqual((reply[b"complete"], reply[b"incomplete"]), (1, 1))
        # Both nodes count the same swarm, over either protocol.
        for node in (a, b):
            self.assertEqual(self.udp(node).scrape([ih]), [(1, 0, 1)])
            files = h.http_scrape(node.http4, [ih])[b"files"]
            self.assertEqual((files[ih][b"complete"], files[ih][b"incomplete"]), (1, 1))
        # A stop on B removes the peer A stored.
        self.udp(b).announce(ih, h.random_peer_id(), 6881, left=0, event="stopped")
        self.assertEqual(self.udp(a).scrape([ih]), [(0, 0, 1)])

    def test_a_node_runs_two_workers_per_core_by_default(self):
        # A worker waits for each batch's round trip to Redis; a second one
        # per core uses the core meanwhile. A set server.workers stands.
        # (std::thread::hardware_concurrency and os.cpu_count both count
        # the online CPUs.)
        self.assertIn("serving with %d workers" % (2 * os.cpu_count()), start_log(self.node()))
        self.assertIn("serving with 3 workers", start_log(self.node({"server": {"workers": 3}})))

    def test_a_connection_id_from_one_node_is_accepted_by_the_other(self):
        a, b = self.node(), self.node()
        on_a = self.udp(a)
        cid = on_a.connect()
        on_b = self.udp(b)
        on_b.sock.close()
        on_b.sock = on_a.sock  # same client address and port
        on_b.conn_id = cid
        ih = h.random_hash()
        reply = on_b.announce(ih, h.random_peer_id(), 7000)  # raises on an error reply
        self.assertEqual(reply.leechers, 1)
        # A node with a secret of its own refuses it (the shared file is
        # what makes it work).
        other = h.CairnServer({"store": {"backend": "redis",
                                         "redis_nodes": self.cluster.seeds.split(",")}},
                              listens=["127.0.0.1:0"]).start()
        self.nodes.append(other)
        on_other = self.udp(other)
        on_other.sock.close()
        on_other.sock = on_a.sock
        pkt, _ = on_other.announce_packet(ih, h.random_peer_id(), 7001, conn_id=cid)
        replies = on_other.replies_to(pkt)  # silence or an error, never an announce reply
        self.assertFalse([r for r in replies if struct.unpack("!I", r[:4])[0] != h.ACT_ERROR],
                         replies)
        self.assertEqual(self.udp(a).scrape([ih]), [(0, 0, 1)])  # 7001 was not stored

    def test_rendezvous_records_registered_on_one_node_are_found_on_the_other(self):
        a, b = self.node(), self.node()
        topic, rid = random_topic(), random_id()
        status, doc = api(a.http4, "POST", records_path(topic),
                          {"id": rid.hex(), "addresses": [":7000"], "ttl": 60})
        self.assertEqual(status, 200, doc)
        status, found = api(b.http4, "GET", records_path(topic))
        self.assertEqual(status, 200, found)
        self.assertEqual([r["id"] for r in found["records"]], [rid.hex()])
        self.assertEqual(found["records"][0]["addresses"], ["127.0.0.1:7000"])
        # A cursor from one node continues on the other: nothing new since.
        status, again = api(a.http4, "GET", records_path(topic, "?cursor=" + found["cursor"]))
        self.assertEqual(status, 200, again)
        self.assertEqual(again["records"], [])
        status, doc = api(b.http4, "DELETE", records_path(topic, "/" + rid.hex()))
        self.assertIn(status, (200, 204), doc)
        status, gone = api(a.http4, "GET", records_path(topic))
        self.assertEqual(gone["records"], [])


if __name__ == "__main__":
    unittest.main()
