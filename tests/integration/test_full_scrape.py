"""The full scrape (GET /scrape with no info_hash, and the WebSocket scrape
with none): every torrent with its counts, WebSocket peers included; gzip
for a client that accepts it; built on demand, at most once per
tracker.full_scrape_interval (cached in between, never while nobody
asks); one per address per interval; refused when tracker.full_scrape is
false.

Each client address is a loopback address of its own (127.0.0.N), so the
per-address limit is tested apart from the cache."""
import gzip
import itertools
import time
import unittest

from cairn_harness import (CairnServer, UdpTracker, bdecode, failure_of, fresh_port, http_announce,
                           http_get, random_hash, random_peer_id)
from ws_client import WsClient, announce, lat, scrape, unlat

INTERVAL = 5  # tracker.full_scrape_interval, the smallest the config takes
TOO_SOON = "full scrape served to this address already"
NOT_READY = "full scrape is being prepared"

_sources = itertools.count(10)


def fresh_source():
    """A loopback address no other request of this run used."""
    n = next(_sources)
    return "127.0.%d.%d" % (n // 250, 2 + n % 250)


def full_scrape(server, source, headers=None):
    return http_get(server.http4, "/scrape", headers=headers, source=source)


class FullScrapeTest(unittest.TestCase):
    def wait_for_files(self, server, want, timeout=3 * INTERVAL):
        """Full scrapes (each from a new address) until every hash of `want`
        shows the counts given; returns the last files dict."""
        deadline = time.monotonic() + timeout
        files = {}
        while time.monotonic() < deadline:
            r = full_scrape(server, fresh_source())
            reason = failure_of(r)
            if reason is None:
                files = bdecode(r.body)[b"files"]
                if all(files.get(h) == c for h, c in want.items()):
                    return files
            else:
                self.assertIn(NOT_READY, reason)
            time.sleep(0.5)
        self.fail("full scrape never showed %r; last files %r" % (want, files))

    def test_contents_with_udp_http_and_websocket_peers_and_gzip(self):
        with CairnServer(config={"tracker": {"full_scrape_interval": INTERVAL}},
                         listens=["127.0.0.1:0"]) as s:
            a, b, c = random_hash(), random_hash(), random_hash()
            # a: two HTTP seeders (one completed), one UDP leecher.
            http_announce(s.http4, a, random_peer_id(), fresh_port(), left=0, event="completed")
            http_announce(s.http4, a, random_peer_id(), fresh_port(), left=0)
            with UdpTracker(s.udp4) as u:
                u.announce(a, random_peer_id(), fresh_port(), left=5)
                u.announce(b, random_peer_id(), fresh_port(), left=0)
            # c: WebSocket peers only; b: one UDP seeder and one WebSocket leecher.
            # One peer id per torrent and connection: a connection per peer.
            for h, left in ((c, 0), (c, 10), (b, 10)):
                ws = WsClient(s.http4)
                self.addCleanup(ws.close)
                ws.send_json(announce(h, random_peer_id(), event="started", left=left))
                self.assertNotIn("failure reason", ws.recv_json())
            gone = random_hash()  # its only peer left: not listed
            port = fresh_port()
            peer = random_peer_id()
            http_announce(s.http4, gone, peer, port)
            http_announce(s.http4, gone, peer, port, event="stopped")
            want = {a: {b"complete": 2, b"downloaded": 1, b"incomplete": 1},
                    b: {b"complete": 1, b"downloaded": 0, b"incomplete": 1},
                    c: {b"complete": 1, b"downloaded": 0, b"incomplete": 1}}
            files = self.wait_for_files(s, want)
            self.assertEqual(set(files), set(want), "exactly the torrents with peers")
            # The same bytes gzipped for a client that accepts gzip; plain otherwise.
            plain = full_scrape(s, fresh_source())
            self.assertIsNone(plain.header("content-encoding"))
            zipped = full_scrape(s, fresh_source(), headers={"Accept-Encoding": "br, gzip;q=0.8"})
            self.assertEqual(zipped.header("content-encoding"), "gzip")
            self.assertEqual(gzip.decompress(zipped.body), plain.body)
            self.assertLess(len(zipped.body), len(plain.body))
            refused = full_scrape(s, fresh_source(), headers={"Accept-Encoding": "gzip;q=0"})
            self.assertIsNone(refused.header("content-encoding"))
            self.assertEqual(refused.body, plain.body)
            # The WebSocket scrape with no hash: the same torrents and counts.
            ws.send_json(scrape())
            reply = ws.recv_json()
            self.assertEqual(reply["action"], "scrape", reply)
            got = {unlat(k): v for k, v in reply["files"].items()}
            self.assertEqual(set(got), set(want))
            for h, counts in want.items():
                self.assertEqual(got[h], {k.decode(): v for k, v in counts.items()})

    def test_cached_for_the_interval_and_once_per_address(self):
        with CairnServer(config={"tracker": {"full_scrape_interval": INTERVAL}},
                         listens=["127.0.0.1:0"]) as s:
            first = random_hash()
            http_announce(s.http4, first, random_peer_id(), fresh_port())
            self.wait_for_files(s, {first: {b"complete": 0, b"downloaded": 0, b"incomplete": 1}})
            # The polls are half a second apart, so the rebuild that first saw
            # `first` ran less than a second ago: a torrent announced now is
            # not in the cached reply, only in the one built an interval later.
            seen = time.monotonic()
            later = random_hash()
            http_announce(s.http4, later, random_peer_id(), fresh_port())
            cached = bdecode(full_scrape(s, fresh_source()).body)[b"files"]
            self.assertIn(first, cached)
            self.assertLess(time.monotonic() - seen, INTERVAL - 2,
                            "too slow to tell the cache from a rebuild")
            self.assertNotIn(later, cached, "served from the cache, not rebuilt per request")
            self.wait_for_files(s, {later: {b"complete": 0, b"downloaded": 0, b"incomplete": 1}})

            # One address: served once, refused within the interval (a fixed
            # reason), others served meanwhile; served again after it.
            me, other = fresh_source(), fresh_source()
            self.assertIsNone(failure_of(full_scrape(s, me)))
            served_at = time.monotonic()
            self.assertIn(TOO_SOON, failure_of(full_scrape(s, me)))
            self.assertIn(TOO_SOON, failure_of(full_scrape(s, me,
                                                            headers={"Accept-Encoding": "gzip"})))
            self.assertIsNone(failure_of(full_scrape(s, other)))
            time.sleep(max(0.0, served_at + INTERVAL + 1.2 - time.monotonic()))
            self.assertIsNone(failure_of(full_scrape(s, me)))
            # A scrape that names hashes is not limited.
            for _ in range(3):
                r = http_get(s.http4, "/scrape?info_hash=" + "%41" * 20, source=me)
                self.assertIsNone(failure_of(r))

    def test_built_only_when_asked(self):
        """No request, no build (a build lists every swarm, which on Redis is
        every slot's index and a scrape of each swarm); the first request is
        told to retry and asks for one; requests within the interval get the
        cached one; one after it is served the previous build and asks for a
        new one."""
        def builds(server):
            return server.stderr_tail(1 << 20).count("full scrape: ")
        with CairnServer(config={"server": {"log_level": "debug"},
                                 "tracker": {"full_scrape_interval": INTERVAL}},
                         listens=["127.0.0.1:0"]) as s:
            h = random_hash()
            http_announce(s.http4, h, random_peer_id(), fresh_port())
            time.sleep(INTERVAL + 1)
            self.assertEqual(builds(s), 0, "built while nobody asked")
            self.assertIn(NOT_READY, failure_of(full_scrape(s, fresh_source())))
            self.wait_for_files(s, {h: {b"complete": 0, b"downloaded": 0, b"incomplete": 1}})
            built_at = time.monotonic()
            self.assertEqual(builds(s), 1)
            for _ in range(3):
                self.assertIsNone(failure_of(full_scrape(s, fresh_source())))
            self.assertLess(time.monotonic() - built_at, INTERVAL - 1, "too slow to tell")
            self.assertEqual(builds(s), 1, "rebuilt within the interval")
            time.sleep(max(0.0, built_at + INTERVAL + 1.2 - time.monotonic()))
            self.assertEqual(builds(s), 1, "rebuilt while nobody asked")
            stale = full_scrape(s, fresh_source())
            self.assertIsNone(failure_of(stale), "the previous build, while the new one is made")
            deadline = time.monotonic() + INTERVAL
            while builds(s) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertEqual(builds(s), 2)

    def test_off_switch_refuses_over_http_and_websocket(self):
        with CairnServer(config={"tracker": {"full_scrape": False}},
                         listens=["127.0.0.1:0"]) as s:
            h = random_hash()
            http_announce(s.http4, h, random_peer_id(), fresh_port())
            for _ in range(2):
                r = full_scrape(s, fresh_source(), headers={"Accept-Encoding": "gzip"})
                self.assertIsNone(r.header("content-encoding"))
                self.assertEqual(failure_of(r),
                                 "full scrape is disabled on this tracker: name an info_hash")
                self.assertNotIn(h, r.body)
            ws = WsClient(s.http4)
            self.addCleanup(ws.close)
            ws.send_json(scrape())
            self.assertIn("full scrape is disabled", ws.recv_json()["failure reason"])
            # Named hashes are still served.
            ws.send_json(scrape(h))
            self.assertEqual(ws.recv_json()["files"][lat(h)]["incomplete"], 1)


if __name__ == "__main__":
    unittest.main()
