#!/usr/bin/python3
"""The HTTP tracker of the real `cairn serve` binary over real sockets:
BEP 3 announce, BEP 23 compact / dictionary peers, BEP 7 peers6, BEP 48
scrape, the fixed failure reasons, HTTP framing limits, keep-alive, and the
proxy / `ip` parameter policy.

Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_http.py [-v]
"""

import os
import string
import random
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairn_harness import (CairnServer, ServerTestCase, HttpConnection, announce_query, bdecode, fresh_port,  # noqa: E402
                           http_announce, http_get, http_scrape, parse_compact4, parse_compact6,
                           pct, random_hash, random_peer_id)

INTERVAL = 1234
MIN_INTERVAL = 617

INVALID_INFO_HASH = ("invalid info_hash: need 20 bytes, percent-encoded, or 40 hex digits "
                     "(a v2 hash is truncated to its first 20 bytes)")
INVALID_PEER_ID = "invalid peer_id: need 20 bytes, percent-encoded"
TOO_MANY_HASHES = "too many info_hash values: at most 100 per scrape"
SCRAPE_TOO_LONG = "request too long: scrape at most 100 info_hash values at a time"
REQUEST_TOO_LONG = "request too long"


def compact_peers(reply):
    """Set of (ip, port) from a compact reply, checking both keys exist."""
    assert b"peers" in reply, "compact reply has no 'peers': %r" % reply
    assert b"peers6" in reply, "compact reply has no 'peers6': %r" % reply
    assert isinstance(reply[b"peers"], bytes), "compact 'peers' is not a string: %r" % reply
    assert isinstance(reply[b"peers6"], bytes), "compact 'peers6' is not a string: %r" % reply
    return set(parse_compact4(reply[b"peers"])) | set(parse_compact6(reply[b"peers6"]))


def no_failure(testcase, reply):
    testcase.assertNotIn(b"failure reason", reply, "unexpected failure: %r" % reply)


class ServerCase(ServerTestCase):
    def announce(self, info_hash, port, peer_id=None, addr=None, **kw):
        reply = http_announce(addr or self.server.http4, info_hash, peer_id or random_peer_id(),
                              port, **kw)
        no_failure(self, reply)
        return reply

    def failure(self, target, addr=None):
        r = http_get(addr or self.server.http4, target)
        self.assertEqual(r.status, 200, "GET %s: failures are HTTP 200, got %r" % (target[:120], r))
        d = bdecode(r.body)
        self.assertIsInstance(d, dict)
        self.assertIn(b"failure reason", d, "GET %s: expected a failure reason, got %r"
                      % (target[:120], d))
        return d[b"failure reason"].decode("utf-8", "replace")

    def assertFailure(self, target, reason):
        got = self.failure(target)
        self.assertEqual(got, reason, "GET %s" % target[:160])


class AnnounceTest(ServerCase):
    CONFIG = {"tracker": {"announce_interval": INTERVAL, "min_interval": MIN_INTERVAL}}

    def test_first_announce_reply_fields(self):
        h = random_hash()
        r = self.announce(h, fresh_port(), event="started")
        self.assertEqual(r.get(b"interval"), INTERVAL, r)
        self.assertEqual(r.get(b"min interval"), MIN_INTERVAL, r)
        self.assertEqual(r.get(b"complete"), 0, r)
        self.assertEqual(r.get(b"incomplete"), 1, r)  # the announcer itself, a leecher
        self.assertEqual(r[b"peers"], b"", r)
        self.assertEqual(r[b"peers6"], b"", r)

    def test_compact_is_default_and_lists_other_peers(self):
        h = random_hash()
        pa, pb, pc = fresh_port(), fresh_port(), fresh_port()
        self.announce(h, pa, event="started", left=500)
        self.announce(h, pb, event="started", left=0)
        r = self.announce(h, pc, event="started", left=10)
        self.assertEqual(compact_peers(r), {("127.0.0.1", pa), ("127.0.0.1", pb)})
        self.assertEqual(len(r[b"peers"]), 12, "two v4 peers, 6 bytes each: %r" % r)
        self.assertEqual(r[b"complete"], 1, r)
        self.assertEqual(r[b"incomplete"], 2, r)

    def test_explicit_compact1(self):
        h = random_hash()
        pa, pb = fresh_port(), fresh_port()
        self.announce(h, pa, compact=1)
        r = self.announce(h, pb, compact=1)
        self.assertEqual(compact_peers(r), {("127.0.0.1", pa)})

    def test_compact0_dictionary_peers(self):
        h = random_hash()
        pa, ida = fresh_port(), random_peer_id()
        self.announce(h, pa, peer_id=ida)
        r = self.announce(h, fresh_port(), compact=0)
        peers = r[b"peers"]
        self.assertIsInstance(peers, list, "compact=0 must give a list of dicts: %r" % r)
        self.assertEqual(len(peers), 1, r)
        self.assertEqual(peers[0].get(b"ip"), b"127.0.0.1", peers[0])
        self.assertEqual(peers[0].get(b"port"), pa, peers[0])
        self.assertEqual(peers[0].get(b"peer id"), ida, peers[0])

    def test_compact0_no_peer_id(self):
        h = random_hash()
        pa = fresh_port()
        self.announce(h, pa)
        r = self.announce(h, fresh_port(), compact=0, no_peer_id=1)
        peers = r[b"peers"]
        self.assertIsInstance(peers, list, r)
        self.assertEqual(len(peers), 1, r)
        self.assertNotIn(b"peer id", peers[0], "no_peer_id=1 must drop 'peer id': %r" % peers[0])
        self.assertEqual(peers[0].get(b"ip"), b"127.0.0.1")
        self.assertEqual(peers[0].get(b"port"), pa)

    def test_reannounce_same_endpoint_is_one_peer(self):
        h = random_hash()
        pa = fresh_port()
        ida = random_peer_id()
        self.announce(h, pa, peer_id=ida, event="started")
        self.announce(h, pa, peer_id=ida)
        r = self.announce(h, fresh_port())
        self.assertEqual(compact_peers(r), {("127.0.0.1", pa)})
        self.assertEqual(r[b"incomplete"], 2, r)

    def test_peers6_for_v6_announcer(self):
        h = random_hash()
        pa, pb = fresh_port(), fresh_port()
        self.announce(h, pa, addr=self.server.http6)
        r = self.announce(h, pb, addr=self.server.http6)
        self.assertEqual(parse_compact6(r[b"peers6"]), [("::1", pa)],
                         "v6 announcer over [::1] must be in peers6 (18 bytes each): %r" % r)
        self.assertEqual(len(r[b"peers6"]), 18)
        self.assertNotIn(("::1", pa), set(parse_compact4(r[b"peers"])))
        # The dictionary form names the v6 address as text.
        r = self.announce(h, fresh_port(), addr=self.server.http6, compact=0)
        ips = {(p[b"ip"], p[b"port"]) for p in r[b"peers"]}
        self.assertIn((b"::1", pa), ips, r)

    def test_numwant(self):
        h = random_hash()
        ports = [fresh_port() for _ in range(6)]
        for p in ports:
            self.announce(h, p)
        me = fresh_port()
        r = self.announce(h, me, numwant=2)
        got = parse_compact4(r[b"peers"])
        self.assertEqual(len(got), 2, "numwant=2: %r" % got)
        self.assertEqual(len(set(got)), 2, "duplicate peers: %r" % got)
        self.assertTrue(set(got) <= {("127.0.0.1", p) for p in ports}, got)
        r = self.announce(h, me, numwant=100)
        got = parse_compact4(r[b"peers"])
        self.assertEqual(sorted(got), sorted(("127.0.0.1", p) for p in ports),
                         "numwant=100 must list all six others, once each, never the announcer")

    def test_stopped_removes_peer(self):
        h = random_hash()
        pa, pb = fresh_port(), fresh_port()
        ida = random_peer_id()
        self.announce(h, pa, peer_id=ida, event="started")
        r = self.announce(h, pb, event="started")
        self.assertEqual(compact_peers(r), {("127.0.0.1", pa)})
        self.announce(h, pa, peer_id=ida, event="stopped")
        r = self.announce(h, pb)
        self.assertEqual(compact_peers(r), set(), "stopped peer still listed: %r" % r)
        self.assertEqual((r[b"complete"], r[b"incomplete"]), (0, 1), r)
        s = http_scrape(self.server.http4, [h])
        self.assertEqual(s[b"files"][h][b"incomplete"], 1, s)

    def test_scrape(self):
        h1, h2, unknown = random_hash(), random_hash(), random_hash()
        self.announce(h1, fresh_port(), left=0, event="started")         # seeder
        p = fresh_port()
        pid = random_peer_id()
        self.announce(h1, p, peer_id=pid, left=100, event="started")     # leecher...
        self.announce(h1, p, peer_id=pid, left=0, event="completed")     # ...completes
        self.announce(h1, fresh_port(), left=100)                        # leecher
        self.announce(h2, fresh_port(), left=5)
        s = http_scrape(self.server.http4, [h1, h2, unknown])
        files = s.get(b"files")
        self.assertIsInstance(files, dict, s)
        self.assertEqual(set(files), {h1, h2, unknown}, "files keys are the raw 20-byte hashes")
        self.assertEqual(files[h1], {b"complete": 2, b"downloaded": 1, b"incomplete": 1})
        self.assertEqual(files[h2], {b"complete": 0, b"downloaded": 0, b"incomplete": 1})
        self.assertEqual(files[unknown], {b"complete": 0, b"downloaded": 0, b"incomplete": 0},
                         "unknown hashes are reported with zeros")
        # and over IPv6
        s6 = http_scrape(self.server.http6, [h1])
        self.assertEqual(s6[b"files"][h1][b"complete"], 2, s6)

    def test_scrape_many_hashes_within_limit(self):
        hashes = [random_hash() for _ in range(40)]
        self.announce(hashes[17], fresh_port(), left=0)
        s = http_scrape(self.server.http4, hashes)
        self.assertEqual(len(s[b"files"]), 40)
        self.assertEqual(s[b"files"][hashes[17]][b"complete"], 1)

    def test_scrape_of_the_documented_maximum_fits_the_defaults(self):
        """100 hashes, every byte percent-encoded (7,120 bytes of request
        line), with the default http.max_request_line."""
        hashes = [random_hash() for _ in range(100)]
        self.announce(hashes[99], fresh_port(), left=0)
        files = http_scrape(self.server.http4, hashes)[b"files"]
        self.assertEqual(len(files), 100)
        self.assertEqual(files[hashes[99]][b"complete"], 1)

    def test_info_hash_as_40_hex_digits(self):
        """A magnet-style hash (40 hex digits, either case) is unambiguous:
        it is 40 bytes after percent-decoding, never the 20 of a hash."""
        h = random_hash()
        for text in (h.hex(), h.hex().upper()):
            target = "/announce?info_hash=%s&peer_id=%s&port=%d&left=0" % (
                text, pct(random_peer_id()), fresh_port())
            no_failure(self, bdecode(http_get(self.server.http4, target).body))
        files = bdecode(http_get(self.server.http4, "/scrape?info_hash=" + h.hex()).body)[b"files"]
        self.assertEqual(files, {h: {b"complete": 2, b"downloaded": 0, b"incomplete": 0}})


def alnum_hash():
    """20 bytes that need no percent-encoding (keeps a URL short)."""
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(20))


class FailureTest(ServerCase):
    """Every malformed request gets HTTP 200 and a fixed `failure reason`."""
    HEALTH_CHECK = True

    def q(self, **over):
        """An otherwise valid announce query with some parameters replaced or
        dropped (value None drops it); values are used as already encoded."""
        params = {"info_hash": pct(random_hash()), "peer_id": pct(random_peer_id()),
                  "port": str(fresh_port()), "uploaded": "0", "downloaded": "0", "left": "10"}
        params.update(over)
        return "/announce?" + "&".join("%s=%s" % (k, v) for k, v in params.items() if v is not None)

    def test_valid_baseline(self):
        d = bdecode(http_get(self.server.http4, self.q()).body)
        self.assertNotIn(b"failure reason", d, d)

    def test_missing_info_hash(self):
        self.assertFailure(self.q(info_hash=None), "missing info_hash")

    def test_invalid_info_hash(self):
        """The reason says what is expected, for v2 hashes too: a raw
        32-byte hash, 64 hex digits, or anything else not 20 bytes."""
        v2 = os.urandom(32)
        for bad in (pct(os.urandom(19)), pct(os.urandom(21)), "", pct(v2), v2.hex(),
                    random_hash().hex()[:39], random_hash().hex() + "0"):
            self.assertFailure(self.q(info_hash=bad), INVALID_INFO_HASH)

    def test_missing_peer_id(self):
        self.assertFailure(self.q(peer_id=None), "missing peer_id")

    def test_invalid_peer_id(self):
        self.assertFailure(self.q(peer_id=pct(os.urandom(19))), INVALID_PEER_ID)
        self.assertFailure(self.q(peer_id=pct(os.urandom(21))), INVALID_PEER_ID)

    def test_missing_port(self):
        self.assertFailure(self.q(port=None), "missing port")

    def test_invalid_port(self):
        for bad in ("65536", "-1", "abc", "99999999999999999999999"):
            self.assertFailure(self.q(port=bad), "invalid port")

    def test_bad_percent_encoding(self):
        self.assertFailure(self.q(info_hash="%G1" + pct(os.urandom(19))), "bad percent-encoding")
        self.assertFailure(self.q(peer_id=pct(os.urandom(19)) + "%4"), "bad percent-encoding")
        self.assertFailure("/scrape?info_hash=%zz" + pct(os.urandom(19)), "bad percent-encoding")

    def test_unknown_event(self):
        self.assertFailure(self.q(event="bogus"), "unknown event")

    def test_known_events_accepted(self):
        for ev in ("started", "completed", "stopped", ""):
            d = bdecode(http_get(self.server.http4, self.q(event=ev)).body)
            self.assertNotIn(b"failure reason", d, "event=%r: %r" % (ev, d))

    def test_invalid_number(self):
        for field in ("uploaded", "downloaded", "left", "numwant"):
            self.assertFailure(self.q(**{field: "12x"}), "invalid number")
            self.assertFailure(self.q(**{field: "abc"}), "invalid number")

    def test_too_many_info_hash_values(self):
        # 120 unencoded 20-char hashes keep the request line under 4 KiB.
        target = "/scrape?" + "&".join("info_hash=" + alnum_hash() for _ in range(120))
        self.assertLess(len(target), 4000)
        self.assertFailure(target, TOO_MANY_HASHES)
        # 101 fully percent-encoded ones still fit the default request line.
        self.assertFailure("/scrape?" + "&".join("info_hash=" + pct(random_hash())
                                                 for _ in range(101)), TOO_MANY_HASHES)

    def test_over_long_requests_get_a_failure_reason(self):
        """A scrape or announce longer than http.max_request_line gets a
        bencoded reason a BitTorrent client shows (not a bare 414), and the
        connection closes: the rest of the line is never read."""
        scrape = "/scrape?" + "&".join("info_hash=" + pct(random_hash()) for _ in range(200))
        announce = self.q(key="k" * 9000)
        for target, reason in ((scrape, SCRAPE_TOO_LONG), (announce, REQUEST_TOO_LONG)):
            with HttpConnection(self.server.http4) as c:
                r = c.get(target)
                self.assertEqual((r.status, bdecode(r.body)), (200, {b"failure reason": reason.encode()}),
                                 target[:40])
                self.assertTrue(c.closed_by_peer(), "connection must close after " + target[:40])

    def test_scrape_invalid_info_hash(self):
        self.assertFailure("/scrape?info_hash=" + pct(os.urandom(19)), INVALID_INFO_HASH)
        self.assertFailure("/scrape?info_hash=" + os.urandom(32).hex(), INVALID_INFO_HASH)

    def test_duplicate_parameter(self):
        base = self.q()
        self.assertFailure(base + "&port=%d" % fresh_port(), "duplicate parameter")
        self.assertFailure(base + "&info_hash=" + pct(random_hash()), "duplicate parameter")
        self.assertFailure(base + "&peer_id=" + pct(random_peer_id()), "duplicate parameter")

    def test_failed_announce_stores_nothing(self):
        h = random_hash()
        http_get(self.server.http4, self.q(info_hash=pct(h), event="bogus"))
        http_get(self.server.http4, self.q(info_hash=pct(h), left="zz"))
        s = http_scrape(self.server.http4, [h])
        self.assertEqual(s[b"files"][h], {b"complete": 0, b"downloaded": 0, b"incomplete": 0})


class FramingTest(ServerCase):
    """HTTP/1.x framing: limits, methods, keep-alive."""
    HEALTH_CHECK = True

    def valid_target(self):
        return "/announce?" + announce_query(random_hash(), random_peer_id(), fresh_port())

    def test_request_line_too_long_414(self):
        with HttpConnection(self.server.http4) as c:
            c.send("GET /elsewhere?" + "a" * 9000 + " HTTP/1.1\r\nHost: x\r\n\r\n")
            r = c.read_response()
            self.assertEqual(r.status, 414, r)
            self.assertTrue(c.closed_by_peer(), "connection must be closed after 414")

    def test_headers_too_large_431(self):
        with HttpConnection(self.server.http4) as c:
            pad = "".join("X-Pad-%d: %s\r\n" % (i, "p" * 500) for i in range(40))  # ~20 KB, 40 headers
            c.send("GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (self.valid_target(), pad))
            r = c.read_response()
            self.assertEqual(r.status, 431, r)
            self.assertTrue(c.closed_by_peer(), "connection must be closed after 431")

    def test_too_many_headers_431(self):
        with HttpConnection(self.server.http4) as c:
            pad = "".join("X-H%d: 1\r\n" % i for i in range(200))  # small, but 200 of them
            c.send("GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (self.valid_target(), pad))
            r = c.read_response()
            self.assertEqual(r.status, 431, r)
            self.assertTrue(c.closed_by_peer(), "connection must be closed after 431")

    def test_post_405(self):
        for method in ("POST", "PUT", "DELETE"):
            with HttpConnection(self.server.http4) as c:
                c.send("%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                       % (method, self.valid_target()))
                r = c.read_response()
                self.assertEqual(r.status, 405, "%s: %r" % (method, r))
                self.assertEqual(r.header("allow"), "GET, HEAD", "%s: %r" % (method, r))
                self.assertTrue(c.closed_by_peer(), "connection must be closed after 405")

    def test_keep_alive_two_requests(self):
        h = random_hash()
        pa = fresh_port()
        with HttpConnection(self.server.http4) as c:
            r1 = c.get("/announce?" + announce_query(h, random_peer_id(), pa))
            self.assertEqual(r1.status, 200, r1)
            no_failure(self, bdecode(r1.body))
            r2 = c.get("/announce?" + announce_query(h, random_peer_id(), fresh_port()))
            self.assertEqual(r2.status, 200, r2)
            self.assertEqual(compact_peers(bdecode(r2.body)), {("127.0.0.1", pa)})
            r3 = c.get("/scrape?info_hash=" + pct(h))
            self.assertEqual(bdecode(r3.body)[b"files"][h][b"incomplete"], 2)
            self.assertFalse(c.closed_by_peer(timeout=0.3), "HTTP/1.1 connection closed early")

    def test_keep_alive_pipelined(self):
        with HttpConnection(self.server.http4) as c:
            c.send("GET %s HTTP/1.1\r\nHost: x\r\n\r\nGET %s HTTP/1.1\r\nHost: x\r\n\r\n"
                   % (self.valid_target(), self.valid_target()))
            for _ in range(2):
                r = c.read_response()
                self.assertEqual(r.status, 200, r)
                no_failure(self, bdecode(r.body))

    def test_http11_connection_close(self):
        with HttpConnection(self.server.http4) as c:
            r = c.get(self.valid_target(), headers={"Connection": "close"})
            self.assertEqual(r.status, 200, r)
            self.assertTrue(c.closed_by_peer(), "Connection: close must close")

    def test_http10_closes(self):
        with HttpConnection(self.server.http4) as c:
            r = c.get(self.valid_target(), version="HTTP/1.0")
            self.assertEqual(r.status, 200, r)
            no_failure(self, bdecode(r.body))
            self.assertTrue(c.closed_by_peer(), "HTTP/1.0 without keep-alive must close")

    def test_v6_http(self):
        with HttpConnection(self.server.http6) as c:
            r = c.get(self.valid_target())
            self.assertEqual(r.status, 200, r)
            no_failure(self, bdecode(r.body))


class ProbeTest(ServerCase):
    """What load balancers, monitoring and a curious operator send: /health,
    HEAD, other methods (a 405 names the allowed ones in Allow), and /."""
    HEALTH_CHECK = True

    def test_health(self):
        with HttpConnection(self.server.http4) as c:
            r = c.get("/health")
            self.assertEqual((r.status, r.header("content-type"), r.body), (200, "text/plain", b"ok"))
            r = c.request("HEAD", "/health")
            self.assertEqual((r.status, r.header("content-length")), (200, "2"), r)
            # Nothing followed the HEAD answer's head: the next answer starts cleanly.
            self.assertEqual(c.get("/health").body, b"ok")
            self.assertFalse(c.closed_by_peer(timeout=0.3), "a probe's connection is kept")
        self.assertEqual(http_get(self.server.http6, "/health").body, b"ok")

    def test_head_answers_as_get_without_a_body(self):
        targets = ("/announce", "/scrape?info_hash=" + pct(os.urandom(19)), "/scrape", "/",
                   "/nowhere", "/v1/whoami", "/v1/topics/%s/records" % random_hash().hex())
        with HttpConnection(self.server.http4) as c:
            # The full scrape is built when first asked for: until then GET
            # and HEAD could straddle the build. Asked from another address,
            # so this one keeps its turn (one full scrape per address).
            deadline = time.monotonic() + 10
            while (b"being prepared" in http_get(self.server.http4, "/scrape",
                                                 source="127.0.0.77").body
                   and time.monotonic() < deadline):
                time.sleep(0.1)
            for target in targets:
                got = c.get(target)
                head = c.request("HEAD", target)
                self.assertEqual((head.status, head.headers), (got.status, got.headers), target)
                self.assertEqual(head.header("content-length"), str(len(got.body)), target)
            self.assertEqual(c.get("/health").body, b"ok")

    def test_405_names_the_allowed_methods(self):
        record = "/v1/topics/%s/records" % random_hash().hex()
        for method, target, allow in (("POST", "/announce", "GET, HEAD"),
                                      ("PUT", "/scrape", "GET, HEAD"),
                                      ("DELETE", "/health", "GET, HEAD"),
                                      ("OPTIONS", "/announce", "GET, HEAD"),
                                      ("POST", "/v1/whoami", "GET, HEAD"),
                                      ("PUT", record, "GET, HEAD, POST"),
                                      ("GET", record + "/" + os.urandom(16).hex(), "DELETE")):
            with HttpConnection(self.server.http4) as c:
                r = c.request(method, target)
                self.assertEqual((r.status, r.header("allow")), (405, allow), (method, target, r))

    def test_unknown_paths_say_what_is_served(self):
        r = http_get(self.server.http4, "/")
        self.assertEqual(r.status, 404, r)
        for path in (b"/announce", b"/scrape", b"/health", b"/v1/"):
            self.assertIn(path, r.body)


class DefaultPolicyTest(ServerCase):
    """No trusted proxies, allow_ip_param false (the defaults)."""

    def test_forwarded_headers_ignored_from_untrusted(self):
        h = random_hash()
        pa, pb = fresh_port(), fresh_port()
        self.announce(h, pa, headers={"X-Forwarded-For": "127.0.0.5"})
        self.announce(h, pb, headers={"X-Real-IP": "127.0.0.6"})
        r = self.announce(h, fresh_port())
        self.assertEqual(compact_peers(r), {("127.0.0.1", pa), ("127.0.0.1", pb)},
                         "forwarding headers from an untrusted source must be ignored")

    def test_ip_param_ignored(self):
        h = random_hash()
        pa = fresh_port()
        self.announce(h, pa, extra=["ip=127.0.0.9"])
        r = self.announce(h, fresh_port())
        self.assertEqual(compact_peers(r), {("127.0.0.1", pa)},
                         "ip= must be ignored unless tracker.allow_client_ip")


class TrustedProxyTest(ServerCase):
    CONFIG = {"http": {"trusted_proxies": ["127.0.0.1/32", "::1/128"]}}

    def test_x_forwarded_for_honoured(self):
        h = random_hash()
        pa = fresh_port()
        self.announce(h, pa, headers={"X-Forwarded-For": "127.0.0.5"})
        r = self.announce(h, fresh_port())
        self.assertEqual(compact_peers(r), {("127.0.0.5", pa)})

    def test_x_real_ip_honoured(self):
        h = random_hash()
        pa = fresh_port()
        self.announce(h, pa, headers={"X-Real-IP": "127.0.0.6"})
        r = self.announce(h, fresh_port())
        self.assertEqual(compact_peers(r), {("127.0.0.6", pa)})

    def test_x_forwarded_for_honoured_over_v6(self):
        h = random_hash()
        pa = fresh_port()
        self.announce(h, pa, addr=self.server.http6, headers={"X-Forwarded-For": "::5"})
        r = self.announce(h, fresh_port(), addr=self.server.http6)
        self.assertEqual(compact_peers(r), {("::5", pa)})

    def test_no_header_uses_source(self):
        h = random_hash()
        pa = fresh_port()
        self.announce(h, pa)
        r = self.announce(h, fresh_port())
        self.assertEqual(compact_peers(r), {("127.0.0.1", pa)})

    def test_ip_param_still_ignored(self):
        h = random_hash()
        pa = fresh_port()
        self.announce(h, pa, extra=["ip=127.0.0.9"])
        r = self.announce(h, fresh_port())
        self.assertEqual(compact_peers(r), {("127.0.0.1", pa)})


class AllowIpParamTest(ServerCase):
    CONFIG = {"tracker": {"allow_client_ip": True}}

    def test_ip_param_honoured(self):
        h = random_hash()
        pa = fresh_port()
        self.announce(h, pa, extra=["ip=127.0.0.9"])
        r = self.announce(h, fresh_port())
        self.assertEqual(compact_peers(r), {("127.0.0.9", pa)})


class NumwantConfigTest(ServerCase):
    CONFIG = {"tracker": {"numwant_default": 3, "numwant_max": 5}}

    def test_default_and_max(self):
        h = random_hash()
        for _ in range(8):
            self.announce(h, fresh_port())
        me = fresh_port()
        r = self.announce(h, me)
        self.assertEqual(len(parse_compact4(r[b"peers"])), 3, "numwant_default=3: %r" % r)
        r = self.announce(h, me, numwant=100)
        self.assertEqual(len(parse_compact4(r[b"peers"])), 5, "numwant_max=5: %r" % r)
        r = self.announce(h, me, numwant=4)
        self.assertEqual(len(parse_compact4(r[b"peers"])), 4, r)
        r = self.announce(h, me, compact=0, numwant=100)
        self.assertEqual(len(r[b"peers"]), 5, "numwant_max applies to dict replies too")


class LifecycleTest(unittest.TestCase):
    def test_sigterm_exit_0_and_sigint_exit_0(self):
        import signal
        for sig in (signal.SIGTERM, signal.SIGINT):
            s = CairnServer().start()
            try:
                self.assertEqual(len(s.listening), 4, s.listening)
                http_announce(s.http4, random_hash(), random_peer_id(), fresh_port())
            finally:
                if s.alive():
                    s.proc.send_signal(sig)
                    try:
                        rc = s.proc.wait(timeout=10)
                    except Exception:
                        s.kill()
                        raise
                    self.assertEqual(rc, 0, "exit code after %s\n%s" % (sig, s.stderr_tail()))
                s.kill()

    def test_listen_v4_only(self):
        with CairnServer(listens=["127.0.0.1:0"]) as s:
            self.assertEqual(len(s.listening), 2, s.listening)
            self.assertIsNone(s.http6)
            r = http_announce(s.http4, random_hash(), random_peer_id(), fresh_port())
            self.assertIn(b"interval", r)


if __name__ == "__main__":
    unittest.main()
