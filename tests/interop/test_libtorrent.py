#!/usr/bin/python3
"""libtorrent seeder + libtorrent downloader find each other only through
the tracker (http:// in one test, udp:// in the other) and complete a
download.

Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_libtorrent.py [-v]
     CAIRN_INTEROP_TRACKER=opentracker /usr/bin/python3 test_libtorrent.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_common as ic  # noqa: E402


class LibtorrentPair(ic.InteropCase):
    def run_pair(self, scheme, v6=False, hybrid=False):
        seed_dir = self.prepare(hybrid=hybrid)
        if v6:
            url = self.tracker.http6_url if scheme == "http" else self.tracker.udp6_url
            if url is None:
                self.skipTest("%s has no IPv6 listener" % self.tracker.name)
        else:
            url = self.tracker.http_url if scheme == "http" else self.tracker.udp_url
        tfile = self.torrent_file(url)
        listen = "[::1]:0" if v6 else "127.0.0.1:0"

        seeder = self.session("seeder", listen)
        slog = ic.AlertLog(seeder, "seeder")
        sh = ic.lt_add(seeder, tfile, seed_dir, seed=True)
        self.wait_until(lambda: sh.status().is_seeding, "seeder ready", [slog])

        leecher = self.session("leecher", listen)
        llog = ic.AlertLog(leecher, "leecher")
        down = self.dir("down")
        lh = ic.lt_add(leecher, tfile, down)
        self.wait_until(lambda: lh.status().is_seeding, "download over %s" % scheme, [slog, llog])
        self.assertSameContent(os.path.join(down, self.torrent.name))
        # The only way to learn a peer was the tracker: it must have answered
        # both clients, and given at least one of them a peer.
        self.assertGreater(slog.tracker_replies, 0, slog.tail())
        self.assertGreater(llog.tracker_replies, 0, llog.tail())
        self.assertGreater(slog.tracker_peers + llog.tracker_peers, 0,
                           "no tracker reply carried a peer\n" + llog.tail() + slog.tail())
        if hybrid:
            # Both the v1 hash and the truncated v2 hash were announced, and
            # the tracker keeps them as two swarms.
            for what, h in (("v1", self.torrent.info_hash), ("v2 (truncated)", self.torrent.v2_truncated)):
                complete, _, incomplete = self.scrape(h)
                self.assertGreaterEqual(complete + incomplete, 1,
                                        "no peer in the %s swarm: scrape %r" % (what, (complete, incomplete)))
        self.tracker.check_alive()

    def test_http_tracker(self):
        self.run_pair("http")

    def test_udp_tracker(self):
        self.run_pair("udp")

    # Both clients listen on ::1 and announce to the tracker's [::1] socket:
    # they can only meet through peers6 (HTTP) / 18-byte peers (UDP).
    # Skipped only for a tracker without IPv6 (Debian's opentracker).
    def test_http_tracker_ipv6(self):
        self.run_pair("http", v6=True)

    def test_udp_tracker_ipv6(self):
        self.run_pair("udp", v6=True)

    # A hybrid v1+v2 torrent (BEP 52): libtorrent announces both the v1 hash
    # and the truncated v2 hash; the peers meet in either swarm.
    def test_http_tracker_hybrid(self):
        self.run_pair("http", hybrid=True)

    def test_udp_tracker_hybrid(self):
        self.run_pair("udp", hybrid=True)


if __name__ == "__main__":
    ic.main()
