#!/usr/bin/python3
"""Hostile traffic against the real `cairn serve`. Every test is followed by
check_health (harness): an ordinary client from an address of its own must
still get correct announces and scrapes over UDP and HTTP.

UDP    every truncation of connect, announce and scrape; packets over the
       1500-byte limit; unknown actions; scrapes of 0 and of too many
       hashes; expired connection ids (1-second slots), ids replayed from
       another address and from before a restart.
HTTP   bad and partial percent-encoding, encoded separators, missing
       parameters, methods other than GET, deep and broken pipelines, a
       request one byte per segment; 1,000 slowloris connections against
       small timeouts and a connection cap; a cap larger than the fd limit.
Both   numwant 0, -1, 2^31 and beyond; port 0; IPv4-mapped IPv6 addresses;
       event=stopped from a peer that never announced; no client address
       in the log, even at trace level.

(Forged ids, 414/431, POST, duplicate parameters and garbage bursts are in
test_udp.py and test_http.py, under the same health check.)

Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_adversarial.py [-v]
"""

import os
import resource
import select
import socket
import struct
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairn_harness import (ACT_CONNECT, ACT_ERROR, ACT_SCRAPE, PROTOCOL_ID,  # noqa: E402
                           CairnServer, HttpConnection, ServerTestCase, UdpTracker, announce_query,
                           assert_small_or_no_reply, bdecode, check_health, failure_of,
                           fresh_port, http_announce, http_get, http_scrape, parse_announce_reply,
                           peers_of, pct, random_hash, random_peer_id)

INVALID_ID = b"invalid connection id"


def error_text(reply):
    """The message of a BEP 15 error reply (asserting it is one)."""
    assert reply is not None and struct.unpack("!I", reply[:4])[0] == ACT_ERROR, reply
    return reply[8:]


class Case(ServerTestCase):
    HEALTH_CHECK = True

    def look(self, h, v6=False):
        """(leechers, peers) a new UDP client is told about, itself not counted."""
        r = self.udp_look(h, v6)
        return r.leechers - 1, r.peers

    def swarm(self, size):
        """A fresh torrent with `size` leechers over UDP; returns its hash."""
        h = random_hash()
        c = self.udp_client()
        for _ in range(size):
            c.announce(h, random_peer_id(), fresh_port())
        return h


# ---------------------------------------------------------------------------
# UDP


class UdpMalformedTest(Case):
    def test_every_truncation(self):
        """Every prefix of a valid connect, announce and one-hash scrape:
        at most one error reply, never larger than the prefix, and no state
        (the announce is a completed seeder's)."""
        c = self.udp_client()
        c.connect()
        h = random_hash()
        connect = struct.pack("!QII", PROTOCOL_ID, ACT_CONNECT, 1)
        announce, _ = c.announce_packet(h, random_peer_id(), fresh_port(), left=0, event="completed")
        scrape, _ = c.scrape_packet([h])
        for name, full in (("connect", connect), ("announce", announce), ("scrape", scrape)):
            for n in range(len(full)):
                assert_small_or_no_reply(self, c, full[:n], "%s cut to %d bytes" % (name, n))
        self.assertEqual(self.udp_scrape(h), (0, 0, 0), "a truncated announce changed state")

    def test_oversized_packets_dropped(self):
        """1500 bytes is the limit (BEP 41 NOP options pad an announce to any
        size): at it the announce is served, past it silence and no state."""
        c = self.udp_client()
        c.connect()
        h = random_hash()
        pkt, t = c.announce_packet(h, random_peer_id(), fresh_port(), left=0)
        reply = c.exchange(pkt + b"\x01" * (1500 - len(pkt)))
        self.assertEqual(parse_announce_reply(reply, t, socket.AF_INET).seeders, 1)
        for size in (1501, 2048, 2049, 9000, 65507):
            pkt, _ = c.announce_packet(h, random_peer_id(), fresh_port(), left=0)
            self.assertEqual(c.replies_to(pkt + b"\x01" * (size - len(pkt))), [],
                             "a %d-byte announce was answered" % size)
        self.assertEqual(self.udp_scrape(h), (1, 0, 0), "an oversized announce changed state")

    def test_unknown_actions(self):
        """Actions 3 (error: a reply, not a request) and above, with a valid
        and a forged id and several sizes: an error reply no larger than the
        request, echoing its transaction id, or nothing."""
        c = self.udp_client()
        c.connect()
        answered = 0
        for action in (3, 4, 5, 255, 256, 0x80000000, 0xFFFFFFFF):
            for cid in (c.conn_id, c.conn_id ^ 0xFFFF):
                for size in (16, 22, 98, 300):
                    pkt = struct.pack("!QII", cid, action, 0xA5A5) + os.urandom(size - 16)
                    r = assert_small_or_no_reply(self, c, pkt, "action %d, %d bytes" % (action, size))
                    if r is not None:
                        answered += 1
                        self.assertEqual(struct.unpack("!I", r[4:8])[0], 0xA5A5)
                        self.assertEqual(error_text(r), b"unknown action")
                    else:
                        self.assertLess(size, 22, "only a reply larger than the request is withheld")
        self.assertGreater(answered, 0)

    def test_scrape_of_zero_and_too_many_hashes(self):
        c = self.udp_client()
        c.connect()
        zero, _ = c.scrape_packet([])
        # "no info hash" (20 bytes) does not fit in the 16-byte request.
        self.assertIsNone(assert_small_or_no_reply(self, c, zero, "scrape of 0 hashes"))
        r = assert_small_or_no_reply(self, c, zero + b"\0" * 10, "scrape of half a hash")
        self.assertEqual(error_text(r), b"malformed scrape")
        hashes = [random_hash() for _ in range(75)]
        c.announce(hashes[73], random_peer_id(), fresh_port(), left=0)
        for count in (75, 100, 500):  # 75 hashes are 1516 bytes, past the packet limit
            pkt, _ = c.scrape_packet([random_hash() for _ in range(count)])
            self.assertIsNone(assert_small_or_no_reply(self, c, pkt, "scrape of %d hashes" % count))
        got = c.scrape(hashes[:74])  # the most that fits, served whole
        self.assertEqual(got[73], (1, 0, 0))
        self.assertEqual(set(got[:73]), {(0, 0, 0)})


class ExpiredConnectionIdTest(Case):
    """1-second slots: an id lives one to two seconds (plus the coarse
    clock's 250 ms step), so expiry is seen without waiting minutes."""
    CONFIG = {"udp": {"connection_id_slot": 1}}

    def scrape_with(self, c, cid, h):
        pkt, _ = c.scrape_packet([h], conn_id=cid)
        replies = c.replies_to(pkt)
        self.assertEqual(len(replies), 1, replies)
        return replies[0]

    def test_expired_id_refused_and_changes_nothing(self):
        c = self.udp_client()
        h = random_hash()
        pid, port = random_peer_id(), fresh_port()
        issued = time.monotonic()
        cid = c.connect()
        c.announce(h, pid, port, left=10)
        # Still inside its first slot: accepted.
        time.sleep(max(0.0, issued + 0.6 - time.monotonic()))
        r = self.scrape_with(c, cid, h)
        self.assertEqual(struct.unpack("!I", r[:4])[0], ACT_SCRAPE, "refused within its lifetime: %r" % r)
        # Refused once two slots have passed; poll (bounded) until then.
        for _ in range(40):
            r = self.scrape_with(c, cid, h)
            if struct.unpack("!I", r[:4])[0] == ACT_ERROR:
                break
            time.sleep(0.1)
        lived = time.monotonic() - issued
        self.assertEqual(error_text(r), INVALID_ID, "still accepted %.1f s after issue" % lived)
        self.assertLess(lived, 3.0, "an id of 1-second slots lived %.1f s" % lived)
        # An expired id changes nothing: its stop and completion are refused.
        for event, left in (("stopped", 10), ("completed", 0)):
            pkt, _ = c.announce_packet(h, pid, port, event=event, left=left, conn_id=cid)
            self.assertEqual(error_text(assert_small_or_no_reply(self, c, pkt, "expired id")),
                             INVALID_ID)
        self.assertEqual(self.udp_scrape(h), (0, 0, 1))
        # A fresh connect is served as usual.
        c.connect()
        c.announce(h, pid, port, event="stopped")
        self.assertEqual(self.udp_scrape(h), (0, 0, 0))


class ReplayedConnectionIdTest(Case):
    def test_id_of_another_address_refused(self):
        """127.0.0.2's id sent from 127.0.0.3 cannot stop, complete or add
        peers, nor scrape."""
        owner, thief = self.udp_client(source="127.0.0.2"), self.udp_client(source="127.0.0.3")
        h = random_hash()
        pid, port = random_peer_id(), fresh_port()
        owner.announce(h, pid, port)
        cid = owner.conn_id
        for event, who in (("stopped", pid), ("completed", pid), ("started", random_peer_id())):
            pkt, _ = thief.announce_packet(h, who, port, event=event, left=0, conn_id=cid)
            r = assert_small_or_no_reply(self, thief, pkt, "replayed id, %s" % event)
            self.assertEqual(error_text(r), INVALID_ID)
        pkt, _ = thief.scrape_packet([h], conn_id=cid)
        self.assertEqual(error_text(assert_small_or_no_reply(self, thief, pkt, "replayed scrape")),
                         INVALID_ID)
        self.assertEqual(self.udp_scrape(h), (0, 0, 1))

    def test_id_is_bound_to_the_address_not_the_port(self):
        """By design (docs/security.md): a client behind a NAT whose source
        port changes keeps its id; only another address cannot use it."""
        first, second = self.udp_client(source="127.0.0.4"), self.udp_client(source="127.0.0.4")
        second.conn_id = first.connect()
        h = random_hash()
        second.announce(h, random_peer_id(), fresh_port())
        self.assertEqual(self.udp_scrape(h), (0, 0, 1))


class RestartReplayTest(unittest.TestCase):
    def test_id_from_before_a_restart_refused(self):
        """Ids do not survive a restart (the secret is drawn at start), but
        the swarm does: a stop replayed with the old id leaves the peer."""
        with tempfile.TemporaryDirectory(prefix="cairn-adv-") as d:
            state = os.path.join(d, "state.bin")
            h, pid, port = random_hash(), random_peer_id(), fresh_port()
            with CairnServer(listens=["127.0.0.1:0"], extra_args=["--state", state]) as first:
                with UdpTracker(first.udp4, source="127.0.0.5") as c:
                    c.announce(h, pid, port, left=0)
                    old = c.conn_id
            with CairnServer(listens=["127.0.0.1:0"], extra_args=["--state", state]) as second:
                with UdpTracker(second.udp4, source="127.0.0.5") as c:
                    for event in ("stopped", None):
                        pkt, _ = c.announce_packet(h, pid, port, event=event, conn_id=old)
                        r = assert_small_or_no_reply(self, c, pkt, "id of the last instance")
                        self.assertEqual(error_text(r), INVALID_ID)
                    self.assertEqual(c.scrape([h]), [(1, 0, 0)])
                check_health(second)


# ---------------------------------------------------------------------------
# HTTP


def announce_target(info_hash, port=None, extra=(), **kw):
    return "/announce?" + announce_query(info_hash, random_peer_id(), port or fresh_port(),
                                         extra=extra, **kw)


class HttpMalformedTest(Case):
    def test_bad_and_partial_percent_encoding(self):
        """A bad escape anywhere (value, key, unknown parameter, end of the
        query) fails the whole announce or scrape, and stores nothing."""
        h = random_hash()
        for bad in ("%", "%%", "%4", "%4G", "%G4", "%%41", "x=%4", "%4=1", "x=%", "peer%5=1"):
            self.assertEqual(failure_of(http_get(self.server.http4, announce_target(h, left=0,
                                                                                 extra=[bad]))),
                             "bad percent-encoding", bad)
        partial = pct(random_peer_id())[:-1]  # "%A" at the very end
        target = "/announce?info_hash=%s&port=%d&peer_id=%s" % (pct(h), fresh_port(), partial)
        self.assertEqual(failure_of(http_get(self.server.http4, target)), "bad percent-encoding")
        for scrape in ("/scrape?info_hash=" + pct(h)[:-2], "/scrape?info_hash=" + pct(h) + "&%"):
            self.assertEqual(failure_of(http_get(self.server.http4, scrape)), "bad percent-encoding")
        self.assertEqual(http_scrape(self.server.http4, [h])[b"files"][h][b"complete"], 0)

    def test_encoded_separators_are_data(self):
        """'&', '=', '%', '+', '?', '#' and NUL inside an info hash, escaped,
        are bytes of the hash; a raw '+' is a '+' (never a space)."""
        odd = b"&=%+?# \x00\xff/" + os.urandom(10)
        plus = b"+" * 20
        self.assertIsNone(failure_of(http_get(self.server.http4, announce_target(odd, left=0))))
        target = "/announce?info_hash=%s&peer_id=%s&port=%d&left=0" % (
            "+" * 20, pct(random_peer_id()), fresh_port())
        self.assertIsNone(failure_of(http_get(self.server.http4, target)))
        files = http_scrape(self.server.http4, [odd, plus])[b"files"]
        self.assertEqual((files[odd][b"complete"], files[plus][b"complete"]), (1, 1), files)

    def test_missing_parameters(self):
        h = random_hash()
        for target, reason in (("/announce", "missing info_hash"),
                               ("/announce?", "missing info_hash"),
                               ("/announce?&&&=&=", "missing info_hash"),
                               ("/announce?info_hash=%s" % pct(h), "missing peer_id"),
                               ("/announce?info_hash=%s&peer_id=%s" % (pct(h), pct(random_peer_id())),
                                "missing port"),
                               ("/announce?info_hash&peer_id&port",
                                "invalid info_hash: need 20 bytes, percent-encoded, or 40 hex "
                                "digits (a v2 hash is truncated to its first 20 bytes)")):
            self.assertEqual(failure_of(http_get(self.server.http4, target)), reason, target)

    def test_methods_other_than_get(self):
        """405 for methods a path does not take (a body does not change
        that), 404 for unknown paths, 400 for what is no method or no
        origin-form target; each closes: a client speaking methods Cairn
        does not know may not frame its requests as expected either."""
        target = announce_target(random_hash())
        for request, status in (("TRACE %s HTTP/1.1\r\nHost: x\r\n\r\n" % target, 405),
                                ("TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", 404),
                                ("PATCH %s HTTP/1.1\r\nHost: x\r\n\r\n" % target, 405),
                                ("get %s HTTP/1.1\r\nHost: x\r\n\r\n" % target, 405),
                                ("POST %s HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789" % target,
                                 405),
                                ("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 400),
                                ("CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
                                ("[GET] %s HTTP/1.1\r\n\r\n" % target, 400)):
            with HttpConnection(self.server.http4) as c:
                c.send(request)
                self.assertEqual(c.read_response().status, status, request[:40])
                self.assertTrue(c.closed_by_peer(), "still open after " + request[:40])

    def test_deep_pipeline_answered_in_order(self):
        """60 announces in one write: 60 replies, in order (the n-th sees n
        leechers), then a scrape counting them all."""
        h = random_hash()
        n = 60
        heads = "".join("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % announce_target(h) for _ in range(n))
        with HttpConnection(self.server.http4) as c:
            c.send(heads + "GET /scrape?info_hash=%s HTTP/1.1\r\nHost: x\r\n\r\n" % pct(h))
            for i in range(n):
                reply = bdecode(c.read_response().body)
                self.assertEqual(reply[b"incomplete"], i + 1, "reply %d out of order" % i)
            self.assertEqual(bdecode(c.read_response().body)[b"files"][h][b"incomplete"], n)

    def test_bad_request_in_a_pipeline(self):
        """Requests before a malformed one are answered, then 400 and the
        connection closes; what came after it is never served."""
        h = random_hash()
        good = "GET %s HTTP/1.1\r\nHost: x\r\n\r\n"
        with HttpConnection(self.server.http4) as c:
            c.send(good % announce_target(h) + good % announce_target(h)
                   + "GET /announce HTTP/1.1\r\nBad Header\r\n\r\n" + good % announce_target(h))
            self.assertEqual([c.read_response().status for _ in range(3)], [200, 200, 400])
            self.assertTrue(c.closed_by_peer())
        self.assertEqual(http_scrape(self.server.http4, [h])[b"files"][h][b"incomplete"], 2)

    def test_request_one_byte_per_segment(self):
        h = random_hash()
        with HttpConnection(self.server.http4) as c:
            c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for byte in ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % announce_target(h)).encode():
                c.sock.sendall(bytes([byte]))
            self.assertIsNone(failure_of(c.read_response()))
        self.assertEqual(http_scrape(self.server.http4, [h])[b"files"][h][b"incomplete"], 1)


# ---------------------------------------------------------------------------
# Both protocols


class NumwantTest(Case):
    """numwant is capped at numwant_max and a negative one means the
    default, whatever the number: never an error."""
    CONFIG = {"tracker": {"numwant_default": 3, "numwant_max": 5}}
    SWARM = 8

    def test_udp_int32_extremes(self):
        h = self.swarm(self.SWARM)
        c = self.udp_client()
        me, pid = fresh_port(), random_peer_id()
        for numwant, expected in ((0, 0), (-1, 3), (-2 ** 31, 3), (2 ** 31 - 1, 5), (4, 4), (6, 5)):
            r = c.announce(h, pid, me, numwant=numwant)
            self.assertEqual(len(set(r.peers)), expected, "numwant %d: %r" % (numwant, r.peers))
            self.assertEqual(len(r.peers), expected)
            self.assertEqual(r.leechers, self.SWARM + 1)

    def test_http_beyond_64_bits(self):
        h = self.swarm(self.SWARM)
        me = fresh_port()
        for numwant, expected in (("0", 0), ("-1", 3), ("2147483648", 5), ("4294967296", 5),
                                  ("9223372036854775807", 5), ("9223372036854775808", 5),
                                  ("1" + "0" * 40, 5), ("-" + "9" * 40, 3)):
            for compact in (1, 0):
                r = http_get(self.server.http4, announce_target(h, me, compact=compact,
                                                                extra=["numwant=" + numwant]))
                self.assertIsNone(failure_of(r), numwant)
                reply = bdecode(r.body)
                got = len(peers_of(reply)) if compact else len(reply[b"peers"])
                self.assertEqual(got, expected, "numwant=%s compact=%d" % (numwant, compact))
                self.assertEqual(reply[b"incomplete"], self.SWARM + 1)


class PortZeroTest(Case):
    """Port 0 is refused with `invalid port` (docs/protocols.md) and stores
    or removes nothing, whatever the event."""

    def test_http(self):
        h = random_hash()
        pid, port = random_peer_id(), fresh_port()
        http_announce(self.server.http4, h, pid, port)
        for event in (None, "started", "completed", "stopped"):
            for who in (pid, random_peer_id()):
                d = http_announce(self.server.http4, h, who, 0, left=0, event=event)
                self.assertEqual(d, {b"failure reason": b"invalid port"}, (event, d))
        self.assertEqual(self.look(h), (1, [("127.0.0.1", port)]))
        files = http_scrape(self.server.http4, [h])[b"files"]
        self.assertEqual(files[h], {b"complete": 0, b"downloaded": 0, b"incomplete": 1})

    def test_udp(self):
        h = random_hash()
        c = self.udp_client()
        pid, port = random_peer_id(), fresh_port()
        c.announce(h, pid, port)
        for event in (None, "started", "completed", "stopped"):
            pkt, t = c.announce_packet(h, pid, 0, left=0, event=event)
            r = assert_small_or_no_reply(self, c, pkt, "port 0, %s" % event)
            self.assertEqual((struct.unpack("!I", r[4:8])[0], error_text(r)), (t, b"invalid port"))
        self.assertEqual(self.look(h), (1, [("127.0.0.1", port)]))
        self.assertEqual(self.udp_scrape(h), (0, 0, 1))


class MappedAddressTest(Case):
    """::ffff:a.b.c.d is the IPv4 address a.b.c.d wherever Cairn reads an
    address: one peer, in IPv4 lists (`peers`, 6-byte UDP replies), never
    in IPv6 ones. (The [::] listeners are IPV6_V6ONLY and Linux drops IPv6
    packets with a mapped source, so sockets never show one; a dual-stack
    client reaching 127.0.0.1 as ::ffff:127.0.0.1 arrives over IPv4.)"""
    CONFIG = {"http": {"trusted_proxies": ["127.0.0.1/32", "::1/128"]},
              "tracker": {"allow_client_ip": True}}

    def assert_one_v4_peer(self, h, address, port):
        self.assertEqual(self.look(h), (1, [(address, port)]))
        self.assertEqual(self.look(h, v6=True), (1, []), "a mapped address listed as IPv6")
        d = http_announce(self.server.http6, h, random_peer_id(), fresh_port(), numwant=0)
        self.assertEqual(d[b"incomplete"], 2)

    def test_header_and_ip_parameter(self):
        for how, address in (("X-Forwarded-For", "127.0.0.5"), ("X-Real-IP", "127.0.0.6"),
                             ("ip", "127.0.0.9")):
            h, pid, port = random_hash(), random_peer_id(), fresh_port()
            for mapped, via in ((True, self.server.http6), (False, self.server.http4)):
                text = ("::ffff:" if mapped else "") + address
                headers = {"X-Forwarded-For": "10.9.9.9, " + text} if how == "X-Forwarded-For" \
                    else {how: text} if how == "X-Real-IP" else None
                extra = ["ip=" + text] if how == "ip" else []
                # Proxied over IPv6 with the mapped form, then over IPv4 with
                # the plain one: the same peer, announced twice.
                d = http_announce(via, h, pid, port, headers=headers, extra=extra)
                self.assertEqual(d[b"incomplete"], 1, (how, text, d))
            self.assert_one_v4_peer(h, address, port)

    def test_dual_stack_client(self):
        h, port = random_hash(), fresh_port()
        with HttpConnection(("::ffff:127.0.0.1", self.server.http4[1])) as c:
            self.assertIsNone(failure_of(c.get(announce_target(h, port))))
        self.assert_one_v4_peer(h, "127.0.0.1", port)


class StopWithoutAnnounceTest(ServerTestCase):
    """event=stopped from a peer the tracker never saw: a normal reply, no
    peers, and no state: neither a torrent (the max_torrents cap shows it)
    nor a change to a swarm that exists. The class fills the cap on
    purpose, so its health check runs inside the test, before that."""
    CAP = 12
    CONFIG = {"tracker": {"max_torrents": CAP, "cleanup_interval": 3600}}

    def test_stop_creates_nothing(self):
        u = self.udp_client()
        for i in range(10):
            h = random_hash()
            d = http_announce(self.server.http4, h, random_peer_id(), fresh_port(), event="stopped")
            self.assertEqual((d[b"complete"], d[b"incomplete"], peers_of(d)), (0, 0, set()), d)
            r = u.announce(random_hash(), random_peer_id(), fresh_port(), event="stopped")
            self.assertEqual((r.seeders, r.leechers, r.peers), (0, 0, []))
            self.assertEqual(u.scrape([h]), [(0, 0, 0)])
        h, port = random_hash(), fresh_port()
        u.announce(h, random_peer_id(), port)
        u.announce(h, random_peer_id(), fresh_port(), event="stopped")
        http_announce(self.server.http4, h, random_peer_id(), fresh_port(), event="stopped")
        self.assertEqual(u.scrape([h]), [(0, 0, 1)])
        d = http_announce(self.server.http4, h, random_peer_id(), fresh_port())
        self.assertEqual(peers_of(d), {("127.0.0.1", port)})
        check_health(self.server)
        # Two torrents so far (h and the health check's): ten more fit, then
        # the cap refuses, so the twenty stops above took no slot.
        for i in range(self.CAP - 2):
            self.assertNotIn(b"failure reason", http_announce(self.server.http4, random_hash(),
                                                              random_peer_id(), fresh_port()), i)
        d = http_announce(self.server.http4, random_hash(), random_peer_id(), fresh_port())
        self.assertEqual(d.get(b"failure reason"), b"tracker is full")


class PrivacyTest(unittest.TestCase):
    """Even at log level trace, no client address reaches the log, whatever
    the client sends; the state file, which holds every peer's address, is
    readable by its owner only."""

    def test_no_addresses_in_logs_and_a_private_state_file(self):
        client = "127.0.0.77"
        with tempfile.TemporaryDirectory(prefix="cairn-adv-") as d:
            state = os.path.join(d, "state.bin")
            with CairnServer({"server": {"log_level": "trace"}}, listens=["127.0.0.1:0"],
                             extra_args=["--state", state]) as s:
                h = random_hash()
                http_announce(s.http4, h, random_peer_id(), fresh_port(), source=client)
                http_scrape(s.http4, [h], source=client)
                http_get(s.http4, "/announce?info_hash=%zz", source=client)
                http_get(s.http4, "/nowhere", source=client)
                with HttpConnection(s.http4, source=client) as c:
                    c.send("BREW / HTCPCP/1.0\r\n\r\n")
                    c.read_response()
                with UdpTracker(s.udp4, source=client) as u:
                    u.announce(h, random_peer_id(), fresh_port())
                    u.replies_to(os.urandom(64))
                    pkt, _ = u.announce_packet(h, random_peer_id(), fresh_port(), conn_id=1)
                    u.replies_to(pkt)
                check_health(s)
            # The whole log, shutdown included (the context stopped the server).
            self.assertIn("state saved", s.final_log, "no log at all?")
            self.assertNotIn(client, s.final_log)
            self.assertEqual(os.stat(state).st_mode & 0o777, 0o600)

    def test_full_scrape_off_lists_nothing(self):
        """With tracker.full_scrape = false a scrape without hashes does not
        enumerate the tracked torrents (test_full_scrape.py has the rest)."""
        with CairnServer(config={"tracker": {"full_scrape": False}},
                         listens=["127.0.0.1:0"]) as s:
            h = random_hash()
            http_announce(s.http4, h, random_peer_id(), fresh_port())
            reply = bdecode(http_get(s.http4, "/scrape").body)
            self.assertEqual(list(reply), [b"failure reason"])
            self.assertNotIn(h, http_get(s.http4, "/scrape").body)
            check_health(s)


# ---------------------------------------------------------------------------
# Slowloris


class Trickler:
    """One slowloris connection: sends a request head one byte at a time
    and never finishes it."""
    HEAD = b"GET /announce?info_hash=" + b"%41" * 200

    def __init__(self, addr, source):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.sock.bind((source, 0))
        self.sock.connect_ex(addr)
        self.sent = 0
        self.first_byte = self.closed = None

    def trickle(self, now):
        try:
            self.sock.send(self.HEAD[self.sent:self.sent + 1])
        except BlockingIOError:  # still connecting
            return
        except OSError:  # reset or closed by the server
            self.close(now)
            return
        if self.sent == 0:
            self.first_byte = now
        self.sent += 1

    def check_closed(self, now):
        try:
            if self.sock.recv(1) == b"":
                self.close(now)
        except BlockingIOError:
            pass
        except OSError:
            self.close(now)

    def close(self, now):
        if self.closed is None:
            self.closed = now
            self.sock.close()


def raise_fd_limit(needed):
    """The client side holds one fd per connection; the soft limit is often
    1024. Returns the limits to restore, or None if they already suffice."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return None
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise unittest.SkipTest("needs %d file descriptors, hard limit is %d" % (needed, hard))
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return soft, hard


class SlowlorisTest(ServerTestCase):
    """1,000 connections trickling a request head one byte at a time (and a
    few that send nothing), against one worker with a 200-connection cap,
    a 2 s idle and a 4 s request timeout. Keep-alive clients connected
    before the flood are answered throughout; the server never holds more
    than the cap (its fds, and a connection refused at once while full);
    the timeouts free every connection in time and its fds return to where
    they started. The server runs with a soft limit of 1024 fds: the cap,
    not the fd limit, is what holds it."""
    HEALTH_CHECK = True
    IDLE, REQUEST, CAP = 2, 4, 200
    FLOOD, IDLERS, LEGIT = 1000, 20, 4
    CONFIG = {"server": {"workers": 1},
              "http": {"idle_timeout": IDLE, "request_timeout": REQUEST, "max_connections": CAP}}
    ROUND = 0.25  # seconds between trickled bytes
    SLACK = (1.5, 2.5)  # a timeout fires up to 1.25 s early or 2.25 s late (whole-second
    #                     deadlines from a clock ticked every 250 ms, swept once a second)

    @classmethod
    def setUpClass(cls):
        cls.limits = raise_fd_limit(cls.FLOOD + cls.IDLERS + cls.LEGIT + 100)
        cls.server = CairnServer(cls.CONFIG, fd_limit=1024).start()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        if cls.limits:
            resource.setrlimit(resource.RLIMIT_NOFILE, cls.limits)

    def assertTimedOut(self, start, end, timeout, what):
        self.assertIsNotNone(end, "%s never closed" % what)
        self.assertGreaterEqual(end - start, timeout - self.SLACK[0], "%s closed early" % what)
        self.assertLessEqual(end - start, timeout + self.SLACK[1], "%s closed late" % what)

    def legit_round(self, clients, h, ports, joined=True):
        """Each keep-alive client announces once (all of them have already,
        when `joined`); returns the slowest reply's time."""
        slowest = 0.0
        for i, (c, port) in enumerate(zip(clients, ports)):
            start = time.monotonic()
            d = bdecode(c.get(announce_target(h, port)).body)
            slowest = max(slowest, time.monotonic() - start)
            self.assertEqual(d[b"incomplete"], self.LEGIT if joined else i + 1, d)
            if not joined:
                continue
            self.assertEqual(peers_of(d), {("127.0.0.2", p) for p in ports if p != port})
        return slowest

    def test_slowloris(self):
        baseline = self.server.open_fds()
        addr = self.server.http4
        h, ports = random_hash(), [fresh_port() for _ in range(self.LEGIT)]
        legit = [HttpConnection(addr, source="127.0.0.2") for _ in range(self.LEGIT)]
        idlers = []
        flood = []
        try:
            for c in legit:
                self.addCleanup(c.close)
            self.legit_round(legit, h, ports, joined=False)
            idle_start = time.monotonic()
            idlers = [Trickler(addr, "127.0.0.3") for _ in range(self.IDLERS)]
            flood = [Trickler(addr, "127.0.0.%d" % (10 + i % 4)) for i in range(self.FLOOD)]
            # Queued behind the flood, so accepted while the cap is full:
            # closed at once, long before any timeout could free a slot.
            with HttpConnection(addr, source="127.0.0.7") as extra:
                full_refused = extra.closed_by_peer(timeout=1.0)
            by_fd = {t.sock.fileno(): t for t in flood + idlers}
            poller = select.poll()  # select() cannot take fds past 1023
            for fd in by_fd:
                poller.register(fd, select.POLLIN)

            def forget_closed():
                for fd in [fd for fd, t in by_fd.items() if t.closed is not None]:
                    poller.unregister(fd)
                    del by_fd[fd]

            most_fds, slowest = 0, 0.0
            end = time.monotonic() + self.REQUEST + self.SLACK[1] + 3
            while by_fd and time.monotonic() < end:
                now = time.monotonic()
                for t in flood:
                    if t.closed is None:
                        t.trickle(now)
                forget_closed()
                ready = poller.poll(self.ROUND * 1000)
                now = time.monotonic()
                for fd, _ in ready:
                    by_fd[fd].check_closed(now)
                forget_closed()
                most_fds = max(most_fds, self.server.open_fds())
                slowest = max(slowest, self.legit_round(legit, h, ports))
            legit_stop = time.monotonic()
        finally:
            for t in flood + idlers:
                t.close(None)

        open_left = sum(t.closed is None for t in flood + idlers)
        self.assertEqual(open_left, 0, "%d connections outlived every timeout" % open_left)
        self.assertLessEqual(most_fds, baseline + self.CAP + 1,
                             "server held %d fds, %d at start, cap %d" % (most_fds, baseline, self.CAP))
        self.assertTrue(full_refused, "a connection beyond the cap was kept")
        self.assertLess(slowest, 1.0, "a keep-alive client waited %.2f s for a reply" % slowest)
        held = [t for t in flood if t.first_byte is not None and t.closed - t.first_byte > 2.0]
        refused = len(flood) - len(held)
        self.assertLessEqual(len(held), self.CAP - self.LEGIT)
        self.assertGreaterEqual(refused, self.FLOOD - (self.CAP - self.LEGIT))
        self.assertGreater(len(held), self.CAP // 2, "too few connections were accepted")
        for t in held:
            self.assertTimedOut(t.first_byte, t.closed, self.REQUEST, "a trickling connection")
        for t in idlers:
            self.assertTimedOut(idle_start, t.closed, self.IDLE, "an idle connection")
        # The keep-alive clients, quiet now, go after the idle timeout.
        for c in legit:
            left = legit_stop + self.IDLE + self.SLACK[1] - time.monotonic()
            self.assertTrue(c.closed_by_peer(timeout=max(0.1, left)), "keep-alive client kept")
        self.assertTimedOut(legit_stop, time.monotonic(), self.IDLE, "an idle keep-alive client")
        for _ in range(50):  # the coroutines end just after the sockets close
            if self.server.open_fds() == baseline:
                break
            time.sleep(0.1)
        self.assertEqual(self.server.open_fds(), baseline, "fds not returned")


class OpenFilesLimitTest(unittest.TestCase):
    """The default cap (10,000 connections in the process) with only 256 fds:
    at start the server lowers the cap to what fits and says so, so a flood
    meets the cap, not EMFILE. It never runs out of fds, refuses one more
    connection at once instead of leaving it in the backlog (where an
    acceptor failing with EMFILE spins), and serves as before once the
    flood leaves."""
    LIMIT, FLOOD = 256, 400

    def test_cap_lowered_to_fit(self):
        limits = raise_fd_limit(self.FLOOD + 100)
        if limits:
            self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, limits)
        with CairnServer({"server": {"workers": 1}}, listens=["127.0.0.1:0"],
                         fd_limit=self.LIMIT) as s:
            self.assertIn("does not fit in the open-files limit of %d" % self.LIMIT, s.stderr_tail())
            baseline = s.open_fds()
            flood = []
            try:
                for _ in range(self.FLOOD):
                    t = socket.socket()
                    t.setblocking(False)
                    t.connect_ex(s.http4)
                    flood.append(t)
                # Queued behind the flood: accepted when the cap is full.
                with HttpConnection(s.http4, source="127.0.0.7") as extra:
                    self.assertTrue(extra.closed_by_peer(timeout=2.0),
                                    "a connection beyond the cap was left waiting")
                held = s.open_fds()
                self.assertLess(held, self.LIMIT - 8, "the server ran out of fds")
                self.assertGreater(held, baseline + self.FLOOD // 4, "the flood was not held")
            finally:
                for t in flood:
                    t.close()
            for _ in range(50):
                if s.open_fds() == baseline:
                    break
                time.sleep(0.1)
            self.assertEqual(s.open_fds(), baseline)
            check_health(s)


if __name__ == "__main__":
    unittest.main()
