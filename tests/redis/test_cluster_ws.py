#!/usr/bin/python3
"""WebSocket (WebTorrent) peers on two Cairn nodes that share a Redis
Cluster: an offer from a browser on node B reaches a browser on node A
through Redis sharded pub/sub, the answer goes back to B, and an answer to
an offer that did not come that way is refused; a peer that left is no
longer offered to; a node that stops takes its peers out of Redis.

Run: CAIRN_BIN=build/apps/cairn/cairn /usr/bin/python3 tests/redis/test_cluster_ws.py -v
"""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_nodes import ClusterCase, h, redis_cluster  # noqa: E402
from ws_client import WsClient, announce, answer, lat  # noqa: E402

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
ANSWER = {"type": "answer", "sdp": "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n"}


def pid(n):
    return b"-WW0001-" + b"%012d" % n


def oid(n):
    return b"offer-%014d" % n


class WsAcrossNodes(ClusterCase):
    def ws(self, node):
        c = WsClient(node.http4)
        self.addCleanup(c.close)
        return c

    def next_offer(self, client, seconds):
        """The first offer `client` gets within `seconds`, or None."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            client.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                msg = client.recv_json()
            except socket.timeout:
                return None
            finally:
                client.sock.settimeout(5.0)
            if "offer" in msg:
                return msg
        return None

    def test_offer_and_answer_between_nodes(self):
        a, b = self.node(), self.node()
        ih = h.random_hash()
        on_a, on_b = self.ws(a), self.ws(b)
        on_a.send_json(announce(ih, pid(1), event="started", left=0))
        self.assertEqual(on_a.recv_json()["action"], "announce")
        # Node A listens on the swarm's channel once its first peer is in;
        # offers sent before that are lost, so B offers until one arrives.
        offer, n = None, 0
        deadline = time.monotonic() + 10.0
        while offer is None and time.monotonic() < deadline:
            n += 1
            on_b.send_json(announce(ih, pid(2), left=100, offers=[(oid(n), OFFER)]))
            offer = self.next_offer(on_a, 0.5)
        self.assertIsNotNone(offer, "no offer from node B reached node A")
        o = offer["offer_id"]
        self.assertEqual(offer, {"action": "announce", "info_hash": lat(ih), "peer_id": lat(pid(2)),
                                 "offer": OFFER, "offer_id": o})
        # The answer goes back to node B, to the offering peer only.
        on_a.send_json(answer(ih, pid(1), pid(2), o.encode("latin-1"), ANSWER))
        deadline = time.monotonic() + 5.0
        got = None
        while time.monotonic() < deadline:
            msg = on_b.recv_json()
            if "answer" in msg:
                got = msg
                break
        self.assertEqual(got, {"action": "announce", "info_hash": lat(ih), "peer_id": lat(pid(1)),
                               "answer": ANSWER, "offer_id": o})
        # Answered once: a second answer to it is refused, as on one node.
        on_a.send_json(answer(ih, pid(1), pid(2), o.encode("latin-1"), ANSWER))
        err = on_a.recv_json()
        self.assertIn("no such offer", err.get("failure reason", ""), err)

    def test_a_node_that_stops_takes_its_peers_out_of_redis(self):
        a = self.node()
        ih = h.random_hash()
        for n in (1, 2):  # two browsers
            browser = self.ws(a)
            browser.send_json(announce(ih, pid(n), event="started", left=0))
            browser.recv_json()
        key = "cairn:w{%s}" % ih.hex()
        port = self.cluster.master_port_of(self.cluster.keyslot(key))
        self.assertEqual(redis_cluster.command(port, "HLEN", key), 2)
        a.stop()  # SIGTERM, and a clean exit
        self.assertEqual(redis_cluster.command(port, "HLEN", key), 0)

    def test_a_peer_that_left_is_not_offered_to(self):
        a, b = self.node(), self.node()
        ih = h.random_hash()
        on_a, on_b = self.ws(a), self.ws(b)
        on_a.send_json(announce(ih, pid(1), event="started", left=0))
        on_a.recv_json()
        on_a.send_json(announce(ih, pid(1), event="stopped", left=0))
        on_a.recv_json()
        time.sleep(0.3)
        for n in range(3):
            on_b.send_json(announce(ih, pid(2), left=100, offers=[(oid(n), OFFER)]))
            on_b.recv_json()
        self.assertTrue(on_a.no_message_within(1.0))


if __name__ == "__main__":
    unittest.main()
