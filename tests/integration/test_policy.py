#!/usr/bin/python3
"""Rate limits and access lists of the real `cairn serve` binary: a client
over its limit is refused (HTTP: "rate limit exceeded"; UDP: silence) while
other and trusted clients are served; whitelist and blacklist refuse with
"torrent not allowed" over HTTP and UDP and scrape refused torrents as
zeros; SIGHUP reloads the list while a client keeps announcing, and a bad
reload keeps the old list. The rendezvous API can be turned off (every
/v1/ path and UDP action 16-19 is then unknown) or limited to the topics
the access list allows (`topic_not_allowed` otherwise).

Different clients are different loopback source addresses: all of 127/8 is
local, so 127.0.0.x sockets need no setup.

Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_policy.py [-v]
"""

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairn_harness import (ACT_CONNECT, ACT_ERROR, PROTOCOL_ID, CairnServer,  # noqa: E402
                           HttpConnection, ServerTestCase, UdpTracker, announce_query, bdecode,
                           cairn_binary, failure_of, fresh_port, pct, random_hash,
                           random_peer_id, toml_config)
from rendezvous_harness import (ACT_LOOKUP, ACT_REGISTER, ACT_UNREGISTER, ACT_WHOAMI,  # noqa: E402
                                RendezvousUdp, api, body_of, error_code, random_id, random_topic,
                                records_path)

RATE = 2    # requests per second
BURST = 10
QUIET = 0.5  # seconds to wait for a reply that should not come

# A scrape of one hash: cheap, and not limited as the full scrape is.
ONE_SCRAPE = "/scrape?info_hash=" + "41" * 20
RATE_LIMITED = "rate limit exceeded"
NOT_ALLOWED = "torrent not allowed"
TOPIC_REFUSED = "topic_not_allowed"


def http_announce_on(conn, info_hash, port=None):
    return conn.get("/announce?" + announce_query(info_hash, random_peer_id(), port or fresh_port()))


def http_scrape_on(conn, hashes):
    r = conn.get("/scrape?" + "&".join("info_hash=" + pct(h) for h in hashes))
    assert failure_of(r) is None, r
    files = bdecode(r.body)[b"files"]
    return {h: (files[h][b"complete"], files[h][b"downloaded"], files[h][b"incomplete"])
            for h in files}


def udp_announce_raw(client, info_hash):
    """Announce over UDP; (action, payload) of the reply."""
    if client.conn_id is None:
        client.connect()
    pkt, t = client.announce_packet(info_hash, random_peer_id(), fresh_port())
    r = client.exchange(pkt)
    assert r is not None, "no reply to announce"
    action, rt = struct.unpack("!II", r[:8])
    assert rt == t, "transaction id"
    return action, r[8:]


def connect_packet(tid):
    return struct.pack("!QII", PROTOCOL_ID, ACT_CONNECT, tid)


# ---------------------------------------------------------------------------
# Rate limits


class RateLimitTest(ServerTestCase):
    """One worker, so the per-worker limit is the whole limit. Each test uses
    its own source addresses: buckets outlive a test."""
    CONFIG = {"server": {"workers": 1},
              "rate_limit": {"requests_per_second": RATE, "burst": BURST,
                             "trusted_networks": ["127.0.0.3/32"]}}

    def most_allowed(self, seconds):
        """Upper bound on requests allowed from a full bucket in `seconds`,
        with slack for the coarse clock's 250 ms steps."""
        return BURST + int(RATE * (seconds + 0.5)) + 1

    def test_http_over_limit_refused_connection_kept(self):
        h = random_hash()
        with HttpConnection(self.server.http4, source="127.0.0.10") as c:
            start = time.monotonic()
            reasons = [failure_of(http_announce_on(c, h)) for _ in range(40)]
            elapsed = time.monotonic() - start
            self.assertEqual(reasons[:BURST], [None] * BURST, "the burst must be served")
            served = reasons.count(None)
            self.assertLessEqual(served, self.most_allowed(elapsed), reasons)
            self.assertEqual(set(reasons) - {None}, {RATE_LIMITED})
            self.assertEqual(reasons[-1], RATE_LIMITED)
            # Same connection, still answered: refused, not closed.
            self.assertEqual(failure_of(c.get("/scrape?info_hash=" + pct(h))), RATE_LIMITED)
            # Other clients meanwhile: another address, IPv6, a trusted one.
            with HttpConnection(self.server.http4, source="127.0.0.11") as other:
                self.assertIsNone(failure_of(http_announce_on(other, h)))
            with HttpConnection(self.server.http6) as v6:
                self.assertIsNone(failure_of(http_announce_on(v6, h)))
            with HttpConnection(self.server.http4, source="127.0.0.3") as trusted:
                for _ in range(100):
                    self.assertIsNone(failure_of(http_announce_on(trusted, h)))

    def refused(self, conn, target, is_refused):
        """The first answer to `target` that is_refused(answer), sending
        until the bucket is empty (tokens trickle back in meanwhile)."""
        for _ in range(BURST * 3):
            r = conn.get(target)
            if is_refused(r):
                return r
        self.fail("%s was never refused" % target)

    def assertRetryAfter(self, r):
        # At 2 requests a second the next token is at most 500 ms away.
        self.assertEqual(r.header("retry-after"), "1", r)

    def test_refusals_fit_the_path_and_say_when_to_retry(self):
        """Over the limit, a tracker path gets its bencoded failure (HTTP
        200), the rendezvous API its JSON error, any other path a plain 429;
        each says Retry-After. /health is never refused."""
        with HttpConnection(self.server.http4, source="127.0.0.13") as c:
            announce = "/announce?" + announce_query(random_hash(), random_peer_id(), fresh_port())
            r = self.refused(c, announce, lambda r: failure_of(r) is not None)
            self.assertEqual(failure_of(r), RATE_LIMITED)
            self.assertRetryAfter(r)
            r = self.refused(c, "/nowhere", lambda r: r.status != 404)
            self.assertEqual((r.status, r.header("content-type"), r.body),
                             (429, "text/plain", RATE_LIMITED.encode()))
            self.assertRetryAfter(r)
            r = self.refused(c, "/v1/whoami", lambda r: r.status != 200)
            self.assertEqual((r.status, json.loads(r.body)["error"]["code"]), (429, "rate_limited"))
            self.assertRetryAfter(r)
            for _ in range(3 * BURST):
                r = c.get("/health")
                self.assertEqual((r.status, r.body), (200, b"ok"))

    def test_http_refills(self):
        with HttpConnection(self.server.http4, source="127.0.0.12") as c:
            while failure_of(c.get(ONE_SCRAPE)) is None:
                pass
            # At 2/s a request's worth is back within half a second (and
            # refused requests cost nothing).
            deadline = time.monotonic() + 5
            while failure_of(c.get(ONE_SCRAPE)) is not None:
                self.assertLess(time.monotonic(), deadline, "no request's worth back in 5 s")
                time.sleep(0.05)

    def test_udp_flood_gets_no_replies_others_served(self):
        flood = UdpTracker(self.server.udp4, source="127.0.0.20")
        try:
            start = time.monotonic()
            for i in range(300):
                flood.send(connect_packet(i))
            replies = []
            while True:
                r = flood.recv(timeout=QUIET)
                if r is None:
                    break
                replies.append(r)
            elapsed = time.monotonic() - start
            self.assertGreaterEqual(len(replies), BURST, "the burst must be answered")
            self.assertLessEqual(len(replies), self.most_allowed(elapsed),
                                 "%d replies to 300 connects in %.1fs" % (len(replies), elapsed))
            for r in replies:
                self.assertEqual(struct.unpack("!I", r[:4])[0], ACT_CONNECT, "no error replies")
            # A normal client on another address, and one on IPv6, are served.
            h = random_hash()
            for addr, source in ((self.server.udp4, "127.0.0.21"), (self.server.udp6, None)):
                with UdpTracker(addr, source=source) as c:
                    action, _ = udp_announce_raw(c, h)
                    self.assertNotEqual(action, ACT_ERROR)
            with UdpTracker(self.server.udp4, source="127.0.0.3") as trusted:
                for i in range(50):
                    self.assertIsNotNone(trusted.exchange(connect_packet(i)), "trusted refused")
        finally:
            flood.close()

    def test_stun_flood_is_bounded_by_the_rate_limit(self):
        """STUN answers are larger than an unpadded 20-byte Binding request
        (docs/protocols.md, "STUN": the decision to answer anyway). What a
        spoofed flood can reflect is bounded: one source gets at most the
        rate limit's answers, each the smallest correct one (32 bytes over
        IPv4, a gain of 1.6; 44 over IPv6, 2.2), and nothing past the
        bucket, however many requests it sends."""
        flood = UdpTracker(self.server.udp4, source="127.0.0.23")
        try:
            start = time.monotonic()
            for i in range(300):
                flood.send(struct.pack("!HHI", 1, 0, 0x2112A442) + struct.pack("!III", 7, 7, i))
            replies = []
            while True:
                r = flood.recv(timeout=QUIET)
                if r is None:
                    break
                replies.append(r)
            elapsed = time.monotonic() - start
            self.assertGreaterEqual(len(replies), BURST, "STUN is answered, within the burst")
            self.assertLessEqual(len(replies), self.most_allowed(elapsed),
                                 "%d answers to 300 requests in %.1fs" % (len(replies), elapsed))
            for r in replies:
                self.assertEqual(struct.unpack("!HH", r[:4]), (0x0101, 12), "a Binding success "
                                 "with XOR-MAPPED-ADDRESS only")
                self.assertLessEqual(len(r), 32)
            self.assertLessEqual(sum(map(len, replies)), 32 * self.most_allowed(elapsed))
        finally:
            flood.close()

    def test_udp_garbage_over_limit_gets_no_error_reply(self):
        """Garbage from a limited address is dropped before parsing: no
        error reply at all once the bucket is empty."""
        with UdpTracker(self.server.udp4, source="127.0.0.22") as c:
            # Sent back to back, well within one token's 500 ms: the garbage
            # finds the bucket empty.
            for i in range(BURST + 5):
                c.send(connect_packet(i))
            for _ in range(5):
                c.send(struct.pack("!QII", PROTOCOL_ID, 99, 1) + b"\0" * 90)  # unknown action
            replies = []
            while True:
                r = c.recv(timeout=QUIET)
                if r is None:
                    break
                replies.append(struct.unpack("!I", r[:4])[0])
            self.assertEqual(replies, [ACT_CONNECT] * BURST)


class RateLimitOffTest(ServerTestCase):
    CONFIG = {"server": {"workers": 1},
              "rate_limit": {"requests_per_second": 0, "trusted_networks": []}}

    def test_zero_turns_it_off(self):
        with HttpConnection(self.server.http4, source="127.0.0.30") as c:
            for _ in range(200):
                self.assertIsNone(failure_of(c.get(ONE_SCRAPE)))
        with UdpTracker(self.server.udp4, source="127.0.0.30") as u:
            for i in range(200):
                self.assertIsNotNone(u.exchange(connect_packet(i)))


class ForwardedHeaderTest(ServerTestCase):
    """Behind a trusted proxy the forwarding headers name the client. One
    that names no address is refused (400), not read as the proxy's own
    address (loopback, which is never rate-limited)."""
    CONFIG = {"http": {"trusted_proxies": ["127.0.0.1/32", "::1/128"]}}

    def whoami(self, conn, headers):
        r = conn.get("/v1/whoami", headers=headers)
        self.assertEqual(r.status, 200, r)
        return json.loads(r.body)["address"]

    def test_a_header_naming_no_address_is_refused(self):
        h = random_hash()
        for headers in ({"X-Forwarded-For": "garbage"}, {"X-Forwarded-For": "203.0.113.5, 1.2.3"},
                        {"X-Forwarded-For": "unknown"}, {"X-Forwarded-For": "1.2.3.4:99999"},
                        {"X-Real-IP": "localhost"}):
            name = list(headers)[0]
            with HttpConnection(self.server.http4) as c:
                for target in ("/announce?" + announce_query(h, random_peer_id(), fresh_port()),
                               "/v1/whoami", "/scrape"):
                    r = c.get(target, headers=headers)
                    self.assertEqual((r.status, r.header("content-type")), (400, "text/plain"),
                                     (headers, target, r))
                    self.assertEqual(r.body, ("bad %s header from a trusted proxy: expected an IP "
                                              "address" % name).encode())
                # The proxy's other clients on the same connection are still served.
                self.assertEqual(self.whoami(c, {"X-Forwarded-For": "127.0.0.40"}), "127.0.0.40")
        with HttpConnection(self.server.http4) as c:
            self.assertEqual(http_scrape_on(c, [h]), {h: (0, 0, 0)}, "a refused announce stored a peer")

    def test_an_address_with_a_port_names_the_address(self):
        with HttpConnection(self.server.http4) as c:
            self.assertEqual(self.whoami(c, {"X-Forwarded-For": "127.0.0.40:5000"}), "127.0.0.40")
            self.assertEqual(self.whoami(c, {"X-Forwarded-For": "10.0.0.1, [::5]:80"}), "::5")
            self.assertEqual(self.whoami(c, {"X-Real-IP": "127.0.0.41"}), "127.0.0.41")
            self.assertEqual(self.whoami(c, {}), "127.0.0.1")

    def test_headers_from_an_untrusted_source_are_ignored(self):
        with HttpConnection(self.server.http4, source="127.0.0.42") as c:
            self.assertEqual(self.whoami(c, {"X-Forwarded-For": "garbage"}), "127.0.0.42")


# ---------------------------------------------------------------------------
# Access lists

LISTED = [random_hash() for _ in range(3)]


def list_text(hashes, extra=""):
    lines = ["# test list", ""] + ["  %s  # a torrent" % h.hex() for h in hashes]
    return "\n".join(lines) + "\n" + extra


class AccessCase(ServerTestCase):
    MODE = None
    HASHES = LISTED
    EXTRA = {}  # more config sections

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="cairn-policy-")
        cls.list_path = os.path.join(cls.dir.name, "torrents.txt")
        with open(cls.list_path, "w") as f:
            f.write(list_text(cls.HASHES))
        cls.CONFIG = dict(cls.EXTRA,
                          tracker={"access_mode": cls.MODE, "access_list": cls.list_path})
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.dir.cleanup()

    def assertHttpServed(self, h):
        with HttpConnection(self.server.http4) as c:
            self.assertIsNone(failure_of(http_announce_on(c, h)))

    def assertHttpRefused(self, h):
        with HttpConnection(self.server.http4) as c:
            self.assertEqual(failure_of(http_announce_on(c, h)), NOT_ALLOWED)

    def assertUdpServed(self, h, v6=False):
        with UdpTracker(self.server.udp6 if v6 else self.server.udp4) as c:
            action, body = udp_announce_raw(c, h)
            self.assertNotEqual(action, ACT_ERROR, body)

    def assertUdpRefused(self, h, v6=False):
        with UdpTracker(self.server.udp6 if v6 else self.server.udp4) as c:
            action, body = udp_announce_raw(c, h)
            self.assertEqual((action, body), (ACT_ERROR, NOT_ALLOWED.encode()))

    def check_scrape(self, served, refused):
        """Both announced once above; the refused one must scrape as zeros."""
        with HttpConnection(self.server.http4) as c:
            got = http_scrape_on(c, [served, refused])
        self.assertEqual(got[refused], (0, 0, 0))
        self.assertEqual(got[served][2], 1, got)  # the one leecher announced
        with UdpTracker(self.server.udp4) as u:
            self.assertEqual(u.scrape([served, refused]), [(0, 0, 1), (0, 0, 0)])

    def stderr_lines(self):
        with open(self.server.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace").splitlines()

    def wait_for_log(self, text, after, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.stderr_lines()[after:]
            hits = [l for l in lines if text in l]
            if hits:
                return hits[0]
            time.sleep(0.05)
        self.fail("no log line with %r within %.0fs; stderr:\n%s"
                  % (text, timeout, self.server.stderr_tail()))

    def rewrite(self, text):
        # Write beside and rename: the server never reads a half-written file.
        tmp = self.list_path + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.list_path)

    def hup(self, text, expect):
        before = len(self.stderr_lines())
        self.rewrite(text)
        self.server.proc.send_signal(signal.SIGHUP)
        return self.wait_for_log(expect, before)


class WhitelistTest(AccessCase):
    MODE = "whitelist"

    def test_listed_served_unlisted_refused(self):
        listed, unlisted = LISTED[0], random_hash()
        self.assertHttpServed(listed)
        self.assertHttpRefused(unlisted)
        self.assertUdpRefused(unlisted)
        self.assertUdpRefused(unlisted, v6=True)
        self.assertUdpServed(LISTED[1], v6=True)
        self.check_scrape(listed, unlisted)

    def test_case_insensitive_list(self):
        self.assertUdpServed(LISTED[2])

    def test_rendezvous_topics_stay_open_by_default(self):
        status, doc = api(self.server.http4, "POST", records_path(random_topic()),
                          {"id": random_id().hex()})
        self.assertEqual(status, 200, doc)


class BlacklistTest(AccessCase):
    MODE = "blacklist"

    def test_listed_refused_others_served(self):
        listed, other = LISTED[0], random_hash()
        self.assertHttpRefused(listed)
        self.assertUdpRefused(listed)
        self.assertHttpServed(other)
        self.assertUdpServed(random_hash(), v6=True)
        self.check_scrape(other, listed)


class ReloadTest(AccessCase):
    MODE = "whitelist"
    HASHES = LISTED[:1]

    def test_reload_while_announcing(self):
        a, b = LISTED[0], random_hash()
        stop = threading.Event()
        results = {"http": [], "udp": []}
        errors = []

        def announcer():
            try:
                with HttpConnection(self.server.http4) as c, UdpTracker(self.server.udp4) as u:
                    port = fresh_port()
                    while not stop.is_set():
                        results["http"].append(failure_of(http_announce_on(c, a, port)))
                        results["udp"].append(udp_announce_raw(u, a)[0])
            except Exception as e:  # a dropped request or connection
                errors.append(repr(e))

        def more_announces(n=25):  # the announcer keeps going meanwhile
            want = len(results["http"]) + n
            deadline = time.monotonic() + 10
            while len(results["http"]) < want and not errors:
                self.assertLess(time.monotonic(), deadline, "the announcer stalled")
                time.sleep(0.01)

        t = threading.Thread(target=announcer)
        t.start()
        try:
            more_announces()
            self.assertHttpRefused(b)
            line = self.hup(list_text([a, b]), "access list reloaded")
            self.assertIn("access list reloaded: 2 hashes", line)
            self.assertHttpServed(b)
            self.assertUdpServed(b)

            # A bad line: one error line naming file and line; old list kept.
            line = self.hup(list_text([a], extra="not-a-hash\n"), "access list not reloaded")
            self.assertIn("%s:4:" % self.list_path, line)
            self.assertHttpServed(b)
            self.assertUdpServed(a)

            # Drop b again: picked up.
            self.hup(list_text([a]), "access list reloaded: 1 hashes")
            self.assertHttpRefused(b)
            self.assertUdpRefused(b)
            more_announces()
        finally:
            stop.set()
            t.join(timeout=10)
        self.assertEqual(errors, [])
        self.assertGreater(len(results["http"]), 20)
        self.assertEqual(set(results["http"]), {None}, "an announce of a listed torrent failed")
        self.assertEqual(set(results["udp"]) & {ACT_ERROR}, set())
        self.assertTrue(self.server.alive())


# ---------------------------------------------------------------------------
# The rendezvous API on a closed tracker


class RendezvousOffTest(ServerTestCase):
    """rendezvous.enabled = false: every path under /v1/ is unknown (404,
    code "disabled"), whoami included, and actions 16-19 are unknown
    actions; BitTorrent is served as before (the health check)."""
    CONFIG = {"rendezvous": {"enabled": False}}
    HEALTH_CHECK = True

    def test_every_http_route_is_unknown(self):
        topic, rid = random_topic(), random_id()
        for method, path, body in [("POST", records_path(topic), {"id": rid.hex()}),
                                   ("GET", records_path(topic), None),
                                   ("DELETE", records_path(topic, "/" + rid.hex()), None),
                                   ("GET", "/v1/whoami", None),
                                   ("GET", "/v1/elsewhere", None)]:
            status, doc = api(self.server.http4, method, path, body)
            self.assertEqual((status, error_code(doc)), (404, "disabled"), (method, path, doc))

    def test_every_udp_action_is_unknown(self):
        topic, rid = random_topic(), random_id()
        with RendezvousUdp(self.server.udp4) as c:
            for answer in (c.register(topic, rid, body_of(addresses=[":1"])), c.lookup(topic),
                           c.unregister(topic, rid)):
                action, rest, sent, got = answer
                self.assertEqual((action, rest), (ACT_ERROR, b"unknown action"))
                self.assertLessEqual(got, sent)
            # A whoami is 16 bytes, less than that error: silence, as for any
            # unknown action of its size.
            whoami = struct.pack("!QII", c.conn_id, ACT_WHOAMI, c.tid())
            self.assertEqual(c.replies_to(whoami), [])


class RendezvousAccessListTest(AccessCase):
    """rendezvous.access = "access_list": topics are served as the access
    list serves torrents, over HTTP and UDP, for every call; whoami has no
    topic and stays; SIGHUP reloads apply to topics too."""
    MODE = "whitelist"
    HASHES = LISTED[:1]
    EXTRA = {"rendezvous": {"access": "access_list"}}

    def assertHttpTopic(self, topic, served):
        rid = random_id()
        calls = [("POST", records_path(topic), {"id": rid.hex(), "addresses": [":7000"]}),
                 ("GET", records_path(topic), None),
                 ("DELETE", records_path(topic, "/" + rid.hex()), None)]
        for method, path, body in calls:
            status, doc = api(self.server.http4, method, path, body)
            if served:
                self.assertEqual(status, 200, (method, path, doc))
            else:
                self.assertEqual((status, error_code(doc)), (403, TOPIC_REFUSED), (method, path))

    def test_listed_topics_served_others_refused(self):
        listed, other, rid = LISTED[0], random_topic(), random_id()
        self.assertHttpTopic(listed, served=True)
        self.assertHttpTopic(other, served=False)
        with RendezvousUdp(self.server.udp4) as c:
            action, rest, _, _ = c.register(listed, rid, body_of(addresses=[":1"]))
            self.assertEqual(action, ACT_REGISTER, rest)
            self.assertEqual(c.lookup(listed)[0], ACT_LOOKUP)
            self.assertEqual(c.unregister(listed, rid)[0], ACT_UNREGISTER)
            for answer in (c.register(other, rid, body_of(addresses=[":1"])), c.lookup(other),
                           c.unregister(other, rid)):
                action, rest, sent, got = answer
                self.assertEqual((action, rest), (ACT_ERROR, TOPIC_REFUSED.encode()))
                self.assertLessEqual(got, sent)
            self.assertEqual(c.whoami()[0], ACT_WHOAMI)
        status, doc = api(self.server.http4, "GET", "/v1/whoami")
        self.assertEqual((status, doc["address"]), (200, "127.0.0.1"))
        self.assertHttpRefused(other)  # torrents: the same list, as before

    def test_reload_applies_to_topics(self):
        topic = random_topic()
        self.assertHttpTopic(topic, served=False)
        self.hup(list_text([LISTED[0], topic]), "access list reloaded: 2 hashes")
        self.assertHttpTopic(topic, served=True)
        with RendezvousUdp(self.server.udp4) as c:
            self.assertEqual(c.lookup(topic)[0], ACT_LOOKUP)
        self.hup(list_text([LISTED[0]]), "access list reloaded: 1 hashes")
        self.assertHttpTopic(topic, served=False)


class StartupErrorTest(unittest.TestCase):
    def run_serve(self, config):
        with tempfile.TemporaryDirectory(prefix="cairn-policy-") as d:
            path = os.path.join(d, "cairn.toml")
            with open(path, "w") as f:
                f.write(toml_config(config))
            good = os.path.join(d, "good.txt")
            with open(good, "w") as f:
                f.write(list_text(LISTED))
            bad = os.path.join(d, "bad.txt")
            with open(bad, "w") as f:
                f.write(list_text(LISTED, extra="\n  1234  \n"))
            p = subprocess.run([cairn_binary(), "serve", "--config", path, "--listen", "127.0.0.1:0",
                                "--admin-listen", "off"],
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=15)
            return p.returncode, p.stderr.decode(), d

    def test_bad_line_names_file_and_line(self):
        rc, err, d = self.run_serve({"tracker": {"access_mode": "whitelist",
                                                 "access_list": "bad.txt"}})
        self.assertEqual(rc, 1, err)
        self.assertIn(os.path.join(d, "bad.txt") + ":7:", err)

    def test_missing_file(self):
        rc, err, d = self.run_serve({"tracker": {"access_mode": "blacklist",
                                                 "access_list": "absent.txt"}})
        self.assertEqual(rc, 1, err)
        # The config file, the line and the key that name the list.
        self.assertIn("cairn.toml:3: tracker.access_list \"%s\" cannot be read: No such file"
                      % os.path.join(d, "absent.txt"), err)


if __name__ == "__main__":
    unittest.main()
