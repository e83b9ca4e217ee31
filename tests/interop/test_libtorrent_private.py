#!/usr/bin/python3
"""A private tracker's users download through their passkey URLs: a
libtorrent seeder and a libtorrent downloader, each with the torrent's
announce URL carrying its own user's passkey (http://HOST:PORT/PASSKEY/announce,
or udp://HOST:PORT/PASSKEY/announce, sent as BEP 41 URL data), find each
other only through `cairn serve` in private mode; the download is credited
to the downloader (downloaded, a snatch) and the upload to the seeder, as
the database records them.

Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_libtorrent_private.py [-v]
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_common as ic  # noqa: E402
import cairn_harness  # noqa: E402


def cli(*args):
    r = subprocess.run([cairn_harness.cairn_binary(), *args], capture_output=True, text=True,
                       timeout=30)
    if r.returncode != 0:
        raise AssertionError("cairn %s: exit %d\n%s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout


class LibtorrentPrivate(ic.InteropCase):
    def session(self, name, listen="127.0.0.1:0"):
        s = super().session(name, listen)
        # libtorrent's SSRF mitigation lets a tracker on a local address be
        # announced to over HTTP only at the exact path /announce; this
        # tracker is on 127.0.0.1 for the test, a real one is not (UDP is
        # not subject to the rule: the UDP test keeps it on).
        if self.scheme == "http":
            s.apply_settings({"ssrf_mitigation": False})
        return s

    def users(self):
        rows = json.loads(cli("user", "list", "--json", "--database", self.db))
        return {u["name"]: u for u in rows}

    def run_pair(self, scheme):
        if ic.TRACKER != "cairn":
            raise AssertionError("private mode is Cairn's: run with CAIRN_INTEROP_TRACKER=cairn")
        self.scheme = scheme
        seed_dir = self.dir("seed")
        content = ic.make_content(seed_dir)
        self.torrent = ic.Torrent(content)
        self.content_sha1 = ic.sha1_file(content)
        self.db = os.path.join(self.tmp, "users.db")
        keys = {name: cli("user", "add", name, "--database", self.db).strip()
                for name in ("seeder", "leecher")}
        self.tracker = ic.CairnTracker(self.dir("tracker"), [], config={
            "tracker": {"mode": "private", "announce_interval": 30, "min_interval": 5},
            "private": {"database": self.db, "flush_interval": 1, "reload_interval": 1},
        })
        server = self.tracker.server
        port = server.http4[1] if scheme == "http" else server.udp4[1]

        def torrent_for(user):
            # A torrent of its own per user: Torrent.write adds its URL to
            # the trackers already there, and a client announces to all.
            url = "%s://127.0.0.1:%d/%s/announce" % (scheme, port, keys[user])
            return ic.Torrent(content).write(os.path.join(self.tmp, user + ".torrent"), url)

        seeder = self.session("seeder")
        slog = ic.AlertLog(seeder, "seeder")
        sh = ic.lt_add(seeder, torrent_for("seeder"), seed_dir, seed=True)
        self.wait_until(lambda: sh.status().is_seeding, "seeder ready", [slog])

        leecher = self.session("leecher")
        llog = ic.AlertLog(leecher, "leecher")
        down = self.dir("down")
        lh = ic.lt_add(leecher, torrent_for("leecher"), down)
        self.wait_until(lambda: lh.status().is_seeding, "download over %s" % scheme, [slog, llog])
        self.assertSameContent(os.path.join(down, self.torrent.name))
        self.assertGreater(slog.tracker_peers + llog.tracker_peers, 0,
                           "no tracker reply carried a peer\n" + llog.tail() + slog.tail())
        self.assertEqual(slog.tracker_errors + llog.tracker_errors, [])

        # The downloader's `completed` announce credits what it downloaded
        # and a snatch; the seeder's upload is credited by its `stopped`.
        size = ic.CONTENT_SIZE
        self.wait_until(lambda: self.users()["leecher"]["snatches"] == 1, "leecher's snatch",
                        [slog, llog])
        seeder.remove_torrent(sh)
        self.wait_until(lambda: self.users()["seeder"]["uploaded"] >= size, "seeder's upload",
                        [slog, llog])
        users = self.users()
        self.assertGreaterEqual(users["leecher"]["downloaded"], size, users)
        # Credit goes to whoever earned it, not the other user.
        self.assertEqual(users["seeder"]["downloaded"], 0, users)
        self.assertEqual(users["seeder"]["snatches"], 0, users)
        self.tracker.check_alive()

    def test_http_passkey(self):
        self.run_pair("http")

    def test_udp_passkey_bep41(self):
        self.run_pair("udp")


if __name__ == "__main__":
    ic.main()
