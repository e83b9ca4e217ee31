#!/usr/bin/python3
"""The UDP tracker (BEP 15) of the real `cairn serve` binary over IPv4 and
IPv6: connect, announce, scrape, error; forged connection ids and truncated
packets must change no state and never get a reply larger than the request.

Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_udp.py [-v]
"""

import os
import socket
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairn_harness import (ACT_CONNECT, PROTOCOL_ID, CairnServer,  # noqa: E402
                           ServerTestCase, UdpTracker, assert_small_or_no_reply, fresh_port,
                           http_announce, parse_announce_reply, random_hash, random_peer_id)

INTERVAL = 1234


class UdpCase(ServerTestCase):
    CONFIG = {"tracker": {"announce_interval": INTERVAL, "min_interval": 600}}

    def client(self, v6=False):
        return self.udp_client(v6)

    def seen_peers(self, h, v6=False):
        """(leechers, seeders, peers) as a fresh observer sees swarm h."""
        r = self.udp_look(h, v6)
        return r.leechers, r.seeders, set(r.peers)

    def scrape1(self, h, v6=False):
        return self.udp_scrape(h, v6)

    def assertSmallOrNoReply(self, c, request, what):
        return assert_small_or_no_reply(self, c, request, what)


class ConnectTest(UdpCase):
    def check_connect(self, v6):
        c = self.client(v6)
        t = 0xDEADBEEF
        c.send(struct.pack("!QII", PROTOCOL_ID, ACT_CONNECT, t))
        r = c.recv()
        self.assertIsNotNone(r, "no connect reply")
        self.assertEqual(len(r), 16, r)
        action, rt, cid = struct.unpack("!IIQ", r)
        self.assertEqual((action, rt), (ACT_CONNECT, t))
        self.assertNotEqual(cid, PROTOCOL_ID)

    def test_connect_v4(self):
        self.check_connect(False)

    def test_connect_v6(self):
        self.check_connect(True)

    def test_connect_wrong_protocol_id(self):
        c = self.client()
        req = struct.pack("!QII", PROTOCOL_ID + 1, ACT_CONNECT, 7)
        r = self.assertSmallOrNoReply(c, req, "connect with a bad protocol id")
        if r is not None and len(r) >= 8:
            self.assertNotEqual(struct.unpack("!I", r[:4])[0], ACT_CONNECT)


class AnnounceTest(UdpCase):
    def test_announce_v4(self):
        h = random_hash()
        a, b = self.client(), self.client()
        pa, pb = fresh_port(), fresh_port()
        r = a.announce(h, random_peer_id(), pa, event="started", left=100)
        self.assertEqual(r.interval, INTERVAL)
        self.assertEqual((r.leechers, r.seeders), (1, 0))
        self.assertEqual(r.peers, [])
        r = b.announce(h, random_peer_id(), pb, event="started", left=0)
        self.assertEqual((r.leechers, r.seeders), (1, 1))
        self.assertEqual(r.raw_peers_len, 6, "one IPv4 peer is 6 bytes")
        self.assertEqual(r.peers, [("127.0.0.1", pa)])

    def test_announce_v6_18_byte_peers(self):
        h = random_hash()
        a, b = self.client(True), self.client(True)
        pa, pb = fresh_port(), fresh_port()
        a.announce(h, random_peer_id(), pa, event="started")
        r = b.announce(h, random_peer_id(), pb, event="started")
        self.assertEqual(r.raw_peers_len, 18, "one IPv6 peer is 18 bytes on a v6 socket")
        self.assertEqual(r.peers, [("::1", pa)])
        self.assertEqual(r.interval, INTERVAL)

    def test_v4_reply_never_carries_v6_peers(self):
        h = random_hash()
        p6, p4 = fresh_port(), fresh_port()
        self.client(True).announce(h, random_peer_id(), p6)
        self.client(False).announce(h, random_peer_id(), p4)
        r = self.client(False).announce(h, random_peer_id(), fresh_port())
        # parse_announce_reply already insists on a multiple of 6 bytes.
        self.assertEqual(r.peers, [("127.0.0.1", p4)])
        r = self.client(True).announce(h, random_peer_id(), fresh_port())
        self.assertEqual(r.peers, [("::1", p6)])

    def test_udp_and_http_share_swarm(self):
        h = random_hash()
        pa = fresh_port()
        self.client().announce(h, random_peer_id(), pa)
        d = http_announce(self.server.http4, h, random_peer_id(), fresh_port())
        self.assertEqual(d[b"peers"], socket.inet_aton("127.0.0.1") + struct.pack("!H", pa))

    def test_numwant(self):
        h = random_hash()
        ports = [fresh_port() for _ in range(6)]
        for p in ports:
            self.client().announce(h, random_peer_id(), p)
        c = self.client()
        me, my_id = fresh_port(), random_peer_id()
        r = c.announce(h, my_id, me, numwant=2)
        self.assertEqual(len(r.peers), 2, r.peers)
        self.assertEqual(len(set(r.peers)), 2)
        r = c.announce(h, my_id, me, numwant=-1)  # default (50) covers all six
        self.assertEqual(sorted(r.peers), sorted(("127.0.0.1", p) for p in ports))
        r = c.announce(h, my_id, me, numwant=100)
        self.assertEqual(len(r.peers), 6)

    def test_stopped(self):
        h = random_hash()
        a = self.client()
        pa, ida = fresh_port(), random_peer_id()
        a.announce(h, ida, pa, event="started")
        self.assertEqual(self.seen_peers(h)[2], {("127.0.0.1", pa)})
        a.announce(h, ida, pa, event="stopped")
        leechers, seeders, peers = self.seen_peers(h)
        self.assertEqual(peers, set(), "stopped peer still listed")
        self.assertEqual(self.scrape1(h), (0, 0, 0))

    def test_bep41_options_tolerated(self):
        h = random_hash()
        c = self.client()
        c.connect()
        path = b"/announce?passkey=x"
        opts = bytes([2, len(path)]) + path + bytes([1, 0])  # URLData, NOP, EndOfOptions
        pkt, t = c.announce_packet(h, random_peer_id(), fresh_port(), options=opts)
        r = c.exchange(pkt)
        self.assertIsNotNone(r)
        rep = parse_announce_reply(r, t, socket.AF_INET)
        self.assertEqual(rep.leechers, 1)


def ip_field(text):
    return struct.unpack("!I", socket.inet_aton(text))[0]


class ClientIpDefaultTest(UdpCase):
    def test_ip_field_ignored_by_default(self):
        h = random_hash()
        p = fresh_port()
        self.client().announce(h, random_peer_id(), p, ip=ip_field("127.0.0.9"))
        self.assertEqual(self.seen_peers(h)[2], {("127.0.0.1", p)},
                         "the IP field must be ignored unless tracker.allow_client_ip")


class ClientIpAllowedTest(UdpCase):
    CONFIG = {"tracker": {"announce_interval": INTERVAL, "min_interval": 600,
                          "allow_client_ip": True}}

    def test_ip_field_honoured(self):
        h = random_hash()
        p = fresh_port()
        self.client().announce(h, random_peer_id(), p, ip=ip_field("127.0.0.9"))
        self.assertEqual(self.seen_peers(h)[2], {("127.0.0.9", p)})

    def test_ip_field_zero_means_source(self):
        h = random_hash()
        p = fresh_port()
        self.client().announce(h, random_peer_id(), p, ip=0)
        self.assertEqual(self.seen_peers(h)[2], {("127.0.0.1", p)})


class ScrapeTest(UdpCase):
    def test_scrape_v4_and_v6(self):
        h1, h2, unknown = random_hash(), random_hash(), random_hash()
        c = self.client()
        c.announce(h1, random_peer_id(), fresh_port(), left=0)
        pid, p = random_peer_id(), fresh_port()
        c.announce(h1, pid, p, left=10, event="started")
        c.announce(h1, pid, p, left=0, event="completed")
        c.announce(h1, random_peer_id(), fresh_port(), left=10)
        self.client(True).announce(h2, random_peer_id(), fresh_port(), left=10)
        for v6 in (False, True):
            got = self.client(v6).scrape([h1, h2, unknown])
            self.assertEqual(got, [(2, 1, 1), (0, 0, 1), (0, 0, 0)],
                             "scrape (seeders, completed, leechers) over %s" % ("v6" if v6 else "v4"))

    def test_scrape_74_hashes(self):
        hashes = [random_hash() for _ in range(74)]
        c = self.client()
        c.announce(hashes[0], random_peer_id(), fresh_port(), left=0)
        c.announce(hashes[73], random_peer_id(), fresh_port(), left=5)
        c.announce(hashes[40], random_peer_id(), fresh_port(), left=5)
        got = self.client().scrape(hashes)  # checks 8 + 74*12 bytes
        self.assertEqual(len(got), 74)
        self.assertEqual(got[0], (1, 0, 0))
        self.assertEqual(got[40], (0, 0, 1))
        self.assertEqual(got[73], (0, 0, 1))
        self.assertTrue(all(x == (0, 0, 0) for i, x in enumerate(got) if i not in (0, 40, 73)))
        got6 = self.client(True).scrape(hashes)
        self.assertEqual(got6, got)


class ForgedConnectionIdTest(UdpCase):
    """Connection ids the tracker did not issue to this address. (Expired
    ids, ids replayed from another address of the same family and ids from
    before a restart: test_adversarial.py.)"""
    HEALTH_CHECK = True

    def forged_ids(self, c):
        real = c.connect()
        return {"random": int.from_bytes(os.urandom(8), "big"),
                "protocol id": PROTOCOL_ID,
                "zero": 0,
                "bit-flipped": real ^ 1,
                "high-bit-flipped": real ^ (1 << 63)}

    def test_forged_announce_changes_nothing(self):
        h = random_hash()
        c = self.client()
        for name, cid in self.forged_ids(c).items():
            pkt, t = c.announce_packet(h, random_peer_id(), fresh_port(), conn_id=cid, left=0,
                                       event="completed")
            r = self.assertSmallOrNoReply(c, pkt, "announce with %s connection id" % name)
            if r is not None and len(r) >= 8:
                self.assertEqual(struct.unpack("!I", r[4:8])[0], t, "error reply transaction id")
        self.assertEqual(self.scrape1(h), (0, 0, 0), "forged announces must not create peers")
        self.assertEqual(self.seen_peers(h)[2], set())

    def test_forged_stop_does_not_remove(self):
        h = random_hash()
        c = self.client()
        pid, p = random_peer_id(), fresh_port()
        c.announce(h, pid, p)
        pkt, _ = c.announce_packet(h, pid, p, event="stopped", conn_id=c.conn_id ^ 0x5A5A)
        self.assertSmallOrNoReply(c, pkt, "forged stop")
        self.assertEqual(self.seen_peers(h)[2], {("127.0.0.1", p)}, "forged stop removed a peer")

    def test_forged_scrape(self):
        c = self.client()
        hashes = [random_hash() for _ in range(3)]
        for name, cid in self.forged_ids(c).items():
            pkt, _ = c.scrape_packet(hashes, conn_id=cid)
            self.assertSmallOrNoReply(c, pkt, "scrape with %s connection id" % name)

    def test_connection_id_bound_to_address(self):
        """An id issued to one source address is foreign to another (here: an
        id issued over IPv4 replayed from ::1); it must not be accepted."""
        v4, v6 = self.client(), self.client(True)
        cid = v4.connect()
        h = random_hash()
        pkt, _ = v6.announce_packet(h, random_peer_id(), fresh_port(), conn_id=cid)
        self.assertSmallOrNoReply(v6, pkt, "v4 connection id used from ::1")
        self.assertEqual(self.scrape1(h), (0, 0, 0))

    def test_connection_id_from_other_instance(self):
        """An id from another (freshly started) tracker process is foreign."""
        with CairnServer(self.CONFIG, listens=["127.0.0.1:0"]) as other:
            o = UdpTracker(other.udp4)
            try:
                cid = o.connect()
            finally:
                o.close()
        c = self.client()
        h = random_hash()
        pkt, _ = c.announce_packet(h, random_peer_id(), fresh_port(), conn_id=cid)
        self.assertSmallOrNoReply(c, pkt, "connection id of another instance")
        self.assertEqual(self.scrape1(h), (0, 0, 0))

    def test_unknown_action(self):
        c = self.client()
        c.connect()
        pkt = struct.pack("!QII", c.conn_id, 99, 5) + b"\0" * 80
        self.assertSmallOrNoReply(c, pkt, "unknown action")


class TruncatedTest(UdpCase):
    HEALTH_CHECK = True

    def test_truncated_packets(self):
        h = random_hash()
        c = self.client()
        c.connect()
        full, _ = c.announce_packet(h, random_peer_id(), fresh_port(), left=0)
        connect = struct.pack("!QII", PROTOCOL_ID, ACT_CONNECT, 1)
        scrape, _ = c.scrape_packet([h, random_hash()])
        cases = [("empty", b""), ("1 byte", b"\x00"), ("connect 15", connect[:15]),
                 ("connect 8", connect[:8])]
        for n in (8, 12, 16, 20, 36, 56, 80, 96, 97):
            cases.append(("announce %d" % n, full[:n]))
        for n in (8, 15, 16 + 10, 16 + 20 + 19):
            cases.append(("scrape %d" % n, scrape[:n]))
        for name, pkt in cases:
            self.assertSmallOrNoReply(c, pkt, "truncated " + name)
        self.assertEqual(self.scrape1(h), (0, 0, 0), "a truncated announce created a peer")
        # Still serving.
        self.client().connect()
        self.client(True).connect()

    def test_oversized_scrape(self):
        """More hashes than fit in one reply's limit must not be amplified."""
        c = self.client()
        c.connect()
        hashes = [random_hash() for _ in range(120)]
        pkt, t = c.scrape_packet(hashes)
        self.assertSmallOrNoReply(c, pkt, "scrape of 120 hashes")


class ServerAliveAfterAllTest(UdpCase):
    HEALTH_CHECK = True

    def test_garbage_burst_then_serving(self):
        c = self.client()
        for i in range(199):
            c.send(os.urandom(i % 120))
        # Whatever came back, up to the reply to a connect sent last, is small.
        for r in c.replies_to(os.urandom(119)):
            self.assertLessEqual(len(r), 120)
        self.assertIsNotNone(self.client().connect())
        self.assertTrue(self.server.alive())


if __name__ == "__main__":
    unittest.main()
