#!/usr/bin/python3
"""Real clients that know only Cairn's DHT node (issue 12): libtorrent
sessions on distinct loopback addresses (127.0.0.2, 127.0.0.3, ...), DHT on,
bootstrapped through Cairn alone (`dht_bootstrap_nodes`), LSD, UPnP, NAT-PMP
and PEX off.

- test_magnet_over_dht: a seeder that only uses the DHT, two downloaders
  that know only the magnet link: both downloads complete, bytes checked.
- test_tracker_seeder_found_over_dht: the seeder announces only to Cairn's
  HTTP tracker (its DHT off); the downloader knows only the magnet link and
  Cairn's DHT address (the bridge, tracker -> DHT).
- test_dht_seeder_found_by_http_tracker / ..._udp_tracker: the seeder only
  announces into the DHT; the downloader only asks Cairn's HTTP (UDP)
  tracker, DHT off (the bridge, DHT -> tracker).

libtorrent on loopback needs dht_restrict_routing_ips and
dht_restrict_search_ips off (else it keeps one node per /24 and 127.0.0.x
all share one), dht_ignore_dark_internet off, and a raised
dht_block_ratelimit (every node here shares 127/8).

Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_libtorrent_dht.py [-v]
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_common as ic  # noqa: E402

lt = ic.lt


def lt_dht_session(name, address, bootstrap, dht=True):
    """A libtorrent session on `address` whose only way into the DHT is
    `bootstrap` ("host:port"), with ut_metadata so a magnet link works."""
    settings = {
        "listen_interfaces": "%s:%d" % (address, ic.free_tcp_udp_port(address)),
        "outgoing_interfaces": address,
        "enable_dht": dht,
        "dht_bootstrap_nodes": bootstrap if dht else "",
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_ignore_dark_internet": False,
        "dht_block_ratelimit": 100000,
        "dht_announce_interval": 5,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "announce_to_all_trackers": True,
        "min_announce_interval": 5,
        "user_agent": "cairn-interop/" + name,
        "peer_fingerprint": "-CI0001-",
        "alert_mask": (lt.alert.category_t.error_notification
                       | lt.alert.category_t.status_notification
                       | lt.alert.category_t.tracker_notification
                       | lt.alert.category_t.dht_notification
                       | lt.alert.category_t.connect_notification
                       | lt.alert.category_t.peer_notification),
    }
    s = lt.session(settings, 0)  # no default plugins: no ut_pex
    s.add_extension("ut_metadata")  # a magnet link needs the info dict from the seeder
    return s


class DhtLog(ic.AlertLog):
    """AlertLog that also counts the peers DHT replies carried."""

    def __init__(self, session, name):
        super().__init__(session, name)
        self.dht_peers = 0

    def pump(self):
        for a in self.session.pop_alerts():
            self.lines.append("%s: %s: %s" % (self.name, type(a).__name__, a.message()))
            if isinstance(a, lt.tracker_reply_alert):
                self.tracker_replies += 1
                self.tracker_peers += a.num_peers
            elif isinstance(a, lt.tracker_error_alert):
                self.tracker_errors.append(a.message())
            elif isinstance(a, lt.dht_reply_alert):
                self.dht_peers += a.num_peers


class LibtorrentDht(ic.InteropCase):
    def setUp(self):
        super().setUp()
        seed_dir = self.dir("seed")
        self.content = ic.make_content(seed_dir)
        self.content_sha1 = ic.sha1_file(self.content)
        self.seed_dir = seed_dir
        self.torrent = ic.Torrent(self.content)
        # verify_delay 1: nodes that query Cairn are pinged back after a
        # second and handed out from then on (15 minutes in production).
        self.tracker = ic.CairnTracker(self.dir("tracker"), [self.torrent.info_hash],
                                       config={"dht": {"verify_delay": 1}},
                                       dht_listens=["127.0.0.1:0"])
        self.bootstrap = "127.0.0.1:%d" % self.tracker.dht4[1]
        self.magnet = "magnet:?xt=urn:btih:%s&dn=%s" % (self.torrent.info_hash_hex,
                                                        self.torrent.name)

    def dht_session(self, name, address, dht=True):
        s = lt_dht_session(name, address, self.bootstrap, dht)
        self.sessions.append(s)
        return s, DhtLog(s, name)

    def add(self, session, save_path, seed=False, tracker_url=None, magnet=False, dht=True):
        if magnet:
            atp = lt.parse_magnet_uri(self.magnet)
        else:
            atp = lt.add_torrent_params()
            atp.ti = lt.torrent_info(lt.bencode(self.torrent.ct.generate()))
        atp.save_path = save_path
        if tracker_url:
            atp.trackers = [tracker_url]
        flags = lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex
        if not dht:
            flags |= lt.torrent_flags.disable_dht
        if seed:
            flags |= lt.torrent_flags.seed_mode
        atp.flags = ((atp.flags | flags) & ~lt.torrent_flags.paused
                     & ~lt.torrent_flags.auto_managed)
        return session.add_torrent(atp)

    def seeder(self, address="127.0.0.2", tracker_url=None, dht=True):
        s, log = self.dht_session("seeder", address, dht)
        h = self.add(s, self.seed_dir, seed=True, tracker_url=tracker_url, dht=dht)
        self.wait_until(lambda: h.status().is_seeding, "seeder ready", [log])
        return s, h, log

    def download(self, logs, addresses=("127.0.0.3",), tracker_url=None, dht=True):
        """Downloaders on `addresses`, all at once; returns their logs."""
        started = []
        for address in addresses:
            s, log = self.dht_session("downloader-" + address, address, dht)
            down = self.dir("down-" + address)
            h = self.add(s, down, tracker_url=tracker_url, magnet=tracker_url is None, dht=dht)
            started.append((h, log, down))
        dlogs = [log for _, log, _ in started]
        self.wait_until(lambda: all(h.status().is_seeding for h, _, _ in started),
                        "the download(s)", logs + dlogs)
        for _, _, down in started:
            self.assertSameContent(os.path.join(down, self.torrent.name))
        self.tracker.check_alive()
        return dlogs[0] if len(dlogs) == 1 else dlogs

    def scrape_count(self):
        complete, _, incomplete = self.scrape(self.torrent.info_hash)
        return complete + incomplete

    def test_magnet_over_dht(self):
        _, _, slog = self.seeder()
        dlogs = self.download([slog], addresses=("127.0.0.3", "127.0.0.4"))
        self.assertEqual(slog.tracker_replies + sum(d.tracker_replies for d in dlogs), 0,
                         "a client used a tracker")

    def test_tracker_seeder_found_over_dht(self):
        _, _, slog = self.seeder(tracker_url=self.tracker.http_url, dht=False)
        self.wait_for_swarm(seeders=1)
        dlog = self.download([slog])
        self.assertGreater(dlog.dht_peers, 0, "no DHT reply carried the seeder\n" + dlog.tail())
        self.assertEqual(dlog.tracker_replies, 0, "the downloader used a tracker")

    def dht_seeder_found_by_tracker(self, url):
        _, _, slog = self.seeder()
        # The seeder's announce_peer reached Cairn: the tracker's swarm has it.
        self.wait_until(lambda: self.scrape_count() >= 1, "the DHT announce in Cairn's scrape",
                        [slog])
        dlog = self.download([slog], tracker_url=url, dht=False)
        self.assertGreater(dlog.tracker_peers, 0, "no tracker reply carried the seeder")

    def test_dht_seeder_found_by_http_tracker(self):
        self.dht_seeder_found_by_tracker(self.tracker.http_url)

    def test_dht_seeder_found_by_udp_tracker(self):
        self.dht_seeder_found_by_tracker(self.tracker.udp_url)


if __name__ == "__main__":
    ic.main()
