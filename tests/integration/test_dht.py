#!/usr/bin/python3
"""The DHT node (BEP 5, 32, 33, 42, 43) of the real `cairn serve` binary over
raw KRPC on 127.0.0.1 and ::1: every query, every error, malformed input,
the verification of nodes before they are handed out, the bridge to the
tracker's swarms both ways, the access list, and `dht.bridge = false`.

Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_dht.py [-v]
"""

import os
import random
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairn_harness import (ServerTestCase, UdpTracker, bdecode, bencode,  # noqa: E402
                           fresh_port, http_announce, http_scrape, parse_compact4,
                           parse_compact6, random_hash, random_peer_id)

VERSION = b"CA\x00\x01"
NOT_ALLOWED = "torrent not allowed"


def compact(host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.inet_pton(fam, host) + port.to_bytes(2, "big")


class Krpc:
    """A KRPC socket on `source` talking to one DHT address."""

    def __init__(self, addr, source=None, node_id=None):
        self.addr = addr
        fam = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        self.sock.bind((source or ("::1" if fam == socket.AF_INET6 else "127.0.0.1"), 0))
        self.sock.settimeout(3)
        self.id = node_id or os.urandom(20)
        self.pings = []  # queries Cairn sent us (its verification pings)

    def close(self):
        self.sock.close()

    @property
    def endpoint(self):
        return self.sock.getsockname()[:2]

    def send_raw(self, data):
        self.sock.sendto(data, self.addr)

    def query(self, method, t=b"aa", **args):
        a = {b"id": self.id}
        a.update({k.encode(): v for k, v in args.items()})
        return bencode({b"t": t, b"y": b"q", b"q": method.encode(), b"a": a})

    def recv(self, timeout=3):
        """The next reply or error from Cairn (its queries are kept in
        self.pings), or None on timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                data, src = self.sock.recvfrom(65536)
                if src[1] != self.addr[1]:
                    continue
                m = bdecode(data)
                if m.get(b"y") == b"q":
                    self.pings.append(m)
                    continue
                m[b"_size"] = len(data)
                return m
        except socket.timeout:
            return None

    def ask(self, method, **args):
        self.send_raw(self.query(method, **args))
        r = self.recv()
        assert r is not None, "no answer to %s" % method
        return r

    def replies_to(self, data):
        """What Cairn answers to `data`: sends it, then a ping with a
        transaction id of its own, and returns what came before the ping's
        reply (a socket's packets are handled in order, so a silence is
        seen without waiting for a timeout)."""
        self.send_raw(data)
        marker = os.urandom(4)
        self.send_raw(self.query("ping", t=marker))
        replies = []
        while True:
            r = self.recv()
            assert r is not None, "no reply to the ping sent after %r" % data[:40]
            if r.get(b"t") == marker:
                return replies
            replies.append(r)

    def answer_pings(self, timeout):
        """Waits up to `timeout` s for Cairn's verification ping and answers
        it; True if one came."""
        deadline = time.monotonic() + timeout
        while not self.pings and time.monotonic() < deadline:
            self.recv(timeout=max(0.05, deadline - time.monotonic()))
        if not self.pings:
            return False
        for p in self.pings:
            self.send_raw(bencode({b"t": p[b"t"], b"y": b"r", b"r": {b"id": self.id}}))
        self.pings = []
        return True


class DhtCase(ServerTestCase):
    CONFIG = {"dht": {"verify_delay": 1}}
    DHT_LISTENS = ("127.0.0.1:0", "[::1]:0")

    def dht(self, v6=False, source=None, node_id=None):
        c = Krpc(self.server.dht6 if v6 else self.server.dht4, source, node_id)
        self.addCleanup(c.close)
        return c

    def assertReplyFrame(self, r, client):
        self.assertEqual(r[b"y"], b"r", r)
        self.assertEqual(len(r[b"r"][b"id"]), 20)
        self.assertEqual(r[b"ip"], compact(*client.endpoint), "BEP 42 ip field")
        self.assertEqual(r[b"v"], VERSION)

    def assertError(self, r, code, text):
        self.assertEqual(r[b"y"], b"e", r)
        self.assertEqual(r[b"e"], [code, text.encode()])
        self.assertEqual(r[b"v"], VERSION)

    def token(self, c, h):
        return c.ask("get_peers", info_hash=h)[b"r"][b"token"]


class Queries(DhtCase):
    def test_ping_v4_and_v6(self):
        for v6 in (False, True):
            c = self.dht(v6)
            r = c.ask("ping", t=b"\x01\x02\x03")
            self.assertEqual(r[b"t"], b"\x01\x02\x03")
            self.assertReplyFrame(r, c)

    def test_get_peers_returns_the_trackers_swarm_in_the_family_asked(self):
        h = random_hash()
        p4, p6 = fresh_port(), fresh_port()
        http_announce(self.server.http4, h, random_peer_id(), p4)
        http_announce(self.server.http6, h, random_peer_id(), p6)
        r4 = self.dht().ask("get_peers", info_hash=h)
        self.assertEqual(r4[b"r"][b"values"], [compact("127.0.0.1", p4)])
        self.assertEqual(len(r4[b"r"][b"token"]), 8)
        c6 = self.dht(v6=True)
        r6 = c6.ask("get_peers", info_hash=h)
        self.assertReplyFrame(r6, c6)
        self.assertEqual(r6[b"r"][b"values"], [compact("::1", p6)])
        # No peers: no values key, still a token.
        r = self.dht().ask("get_peers", info_hash=random_hash())
        self.assertNotIn(b"values", r[b"r"])
        self.assertIn(b"token", r[b"r"])

    def test_get_peers_stays_under_1200_bytes(self):
        h = random_hash()
        with UdpTracker(self.server.udp4) as u:
            u.connect()
            for _ in range(300):
                u.announce(h, random_peer_id(), fresh_port())
        r = self.dht().ask("get_peers", info_hash=h)
        self.assertLessEqual(r[b"_size"], 1200)
        self.assertGreaterEqual(len(r[b"r"][b"values"]), 50)

    def test_announce_peer_joins_the_swarm_http_and_udp_see_it(self):
        h = random_hash()
        c = self.dht()
        port = fresh_port()
        r = c.ask("announce_peer", info_hash=h, port=port, token=self.token(c, h), seed=1)
        self.assertReplyFrame(r, c)
        files = http_scrape(self.server.http4, [h])[b"files"]
        self.assertEqual((files[h][b"complete"], files[h][b"incomplete"]), (1, 0))
        with UdpTracker(self.server.udp4) as u:
            u.connect()
            self.assertEqual(u.scrape([h]), [(1, 0, 0)])  # (seeders, completed, leechers)
        d = http_announce(self.server.http4, h, random_peer_id(), fresh_port(), compact=0)
        self.assertEqual([(p[b"ip"], p[b"port"]) for p in d[b"peers"]], [(b"127.0.0.1", port)])
        self.assertTrue(d[b"peers"][0][b"peer id"].startswith(b"-DH-"), "marked as from the DHT")

    def test_announce_peer_implied_port(self):
        h = random_hash()
        c = self.dht()
        c.ask("announce_peer", info_hash=h, port=1, implied_port=1, token=self.token(c, h))
        r = self.dht().ask("get_peers", info_hash=h)
        self.assertEqual(r[b"r"][b"values"], [compact(*c.endpoint)])

    def test_find_node_hands_out_only_verified_nodes(self):
        a = self.dht(source="127.0.0.2")
        b = self.dht(source="127.0.0.3")
        target = a.id
        self.assertEqual(b.ask("find_node", target=target)[b"r"].get(b"nodes", b""), b"",
                         "an empty table hands out nothing")
        a.ask("ping")
        # Unverified: a queried, but has not answered Cairn's ping yet.
        self.assertNotIn(a.id, b.ask("find_node", target=target)[b"r"].get(b"nodes", b""))
        self.assertTrue(a.answer_pings(timeout=5), "Cairn never pinged the node back")
        deadline = time.monotonic() + 3
        while True:
            nodes = b.ask("find_node", target=target)[b"r"].get(b"nodes", b"")
            if nodes[:20] == a.id or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(nodes[:26], a.id + compact(*a.endpoint))
        # BEP 32: an IPv6 query that wants n4 gets the IPv4 nodes too...
        c6 = self.dht(v6=True)
        r = c6.ask("find_node", target=target, want=[b"n4", b"n6"])
        self.assertIn(b"nodes6", r[b"r"])
        # ...but ::1 can reach 127.0.0.2, and only loopback requesters get
        # loopback nodes: it is there.
        self.assertEqual(r[b"r"][b"nodes"][:20], a.id)
        # A node never hands itself out.
        self.assertNotIn(a.id, a.ask("find_node", target=target)[b"r"].get(b"nodes", b""))

    def test_read_only_nodes_are_never_pinged(self):
        c = self.dht(source="127.0.0.4")
        c.send_raw(bencode({b"t": b"ro", b"y": b"q", b"q": b"ping", b"ro": 1,
                            b"a": {b"id": c.id}}))
        self.assertIsNotNone(c.recv())
        self.assertFalse(c.answer_pings(timeout=2.5), "a read-only node was pinged")


class Errors(DhtCase):
    def test_unknown_method_gets_204(self):
        c = self.dht()
        # Large enough that the error is no larger than the query.
        r = c.ask("sample_infohashes", target=b"x" * 20, pad=b"p" * 40)
        self.assertError(r, 204, "method unknown")

    def test_missing_arguments_get_203(self):
        c = self.dht()
        pad = b"p" * 60
        for q in (bencode({b"t": b"aa", b"y": b"q", b"q": b"get_peers",
                           b"a": {b"id": c.id, b"pad": pad}}),
                  bencode({b"t": b"aa", b"y": b"q", b"q": b"find_node",
                           b"a": {b"id": b"short", b"target": b"x" * 20, b"pad": pad}}),
                  c.query("announce_peer", info_hash=random_hash(), port=0, token=b"x" * 8,
                          pad=pad)):
            replies = c.replies_to(q)
            self.assertEqual(len(replies), 1, q)
            self.assertError(replies[0], 203, "invalid arguments")

    def test_bad_token_gets_203(self):
        c = self.dht()
        h = random_hash()
        r = c.ask("announce_peer", info_hash=h, port=6881, token=b"12345678")
        self.assertError(r, 203, "bad token")
        # A token given to another address is no good either.
        other = self.dht(source="127.0.0.5")
        r = c.ask("announce_peer", info_hash=h, port=6881, token=self.token(other, h))
        self.assertError(r, 203, "bad token")
        f = http_scrape(self.server.http4, [h])[b"files"].get(h, {})
        self.assertEqual(f.get(b"complete", 0) + f.get(b"incomplete", 0), 0, f)

    def test_no_error_is_larger_than_its_query(self):
        c = self.dht()
        tiny = bencode({b"t": b"a", b"y": b"q", b"q": b"x", b"a": {b"id": c.id}})
        self.assertEqual(c.replies_to(tiny), [])

    def test_malformed_input_gets_silence(self):
        c = self.dht()
        ping = c.query("ping")
        bad = [b"", b"garbage", b"d", b"de", b"le", b"i1e", ping[:-1], ping + b"x",
               b"d1:y1:re",  # a reply we never asked for
               bencode({b"t": b"aa", b"y": b"r", b"r": {b"id": c.id}}),
               bencode({b"t": b"aa", b"y": b"e", b"e": [201, b"x"]}),
               b"d1:ad" * 10 + b"e" * 20,  # nested too deep
               c.query("ping", pad=b"x" * 1600)]  # oversize
        bad += [ping[:n] for n in range(len(ping))]
        for packet in bad:
            self.assertEqual(c.replies_to(packet), [], packet[:60])


class AccessList(DhtCase):
    LISTED = random_hash()

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="cairn-dht-")
        path = os.path.join(cls.dir.name, "torrents.txt")
        with open(path, "w") as f:
            f.write(cls.LISTED.hex() + "\n")
        cls.CONFIG = dict(DhtCase.CONFIG,
                          tracker={"access_mode": "whitelist", "access_list": path})
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.dir.cleanup()

    def test_refused_torrents_get_201_and_no_values(self):
        c = self.dht()
        refused = random_hash()
        r = c.ask("announce_peer", info_hash=refused, port=6881, token=self.token(c, refused))
        self.assertError(r, 201, NOT_ALLOWED)
        self.assertNotIn(b"values", c.ask("get_peers", info_hash=refused)[b"r"])
        port = fresh_port()
        c.ask("announce_peer", info_hash=self.LISTED, port=port,
              token=self.token(c, self.LISTED))
        r = c.ask("get_peers", info_hash=self.LISTED)
        self.assertEqual(r[b"r"][b"values"], [compact("127.0.0.1", port)])


class PureBootstrap(DhtCase):
    CONFIG = {"dht": {"verify_delay": 1, "bridge": False}}

    def test_no_values_and_announces_are_not_stored(self):
        h = random_hash()
        http_announce(self.server.http4, h, random_peer_id(), fresh_port())
        c = self.dht()
        r = c.ask("get_peers", info_hash=h)
        self.assertNotIn(b"values", r[b"r"])
        r = c.ask("announce_peer", info_hash=h, port=6881, token=r[b"r"][b"token"])
        self.assertReplyFrame(r, c)
        files = http_scrape(self.server.http4, [h])[b"files"]
        self.assertEqual(files[h][b"complete"] + files[h][b"incomplete"], 1, "only the HTTP peer")


class RateLimit(DhtCase):
    # Loopback is trusted (never limited) by default.
    CONFIG = {"dht": {"verify_delay": 900},
              "rate_limit": {"requests_per_second": 1, "burst": 5, "trusted_networks": []}}

    def test_a_source_over_its_limit_is_dropped(self):
        c = self.dht(source="127.0.0.6")
        for i in range(30):
            c.send_raw(c.query("ping", t=b"%02d" % i))
        answered = 0
        while c.recv(timeout=0.5) is not None:
            answered += 1
        # The burst, per worker (a source's packets may reach any worker).
        self.assertGreater(answered, 0)
        self.assertLess(answered, 30)


if __name__ == "__main__":
    unittest.main()
