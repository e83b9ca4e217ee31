#!/usr/bin/python3
"""aria2 and libtorrent find each other only through the tracker and exchange
data: aria2 downloads from a libtorrent seeder, and a libtorrent downloader
fetches from an aria2 seeder, over http:// and over udp:// trackers.

aria2 quirks (1.36):
- Its UDP tracker client runs on its DHT UDP socket: with --enable-dht=false
  it never sends UDP tracker requests. For udp:// we enable DHT with a temp
  --dht-file-path, no --dht-entry-point and an empty routing table, so it has
  nobody to bootstrap from; IPv6 DHT stays off.
- --bt-enable-lpd=false and --enable-peer-exchange=false turn off the other
  discovery paths; --no-conf keeps a user's aria2.conf out.
- --seed-time=0 makes a downloader exit once complete; a seeder needs
  --seed-ratio=0.0 (no ratio limit) and --check-integrity=true so it trusts
  the existing file.
- aria2 accepts peers on 127.0.0.1 without any special flag.

Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_aria2.py [-v]
     CAIRN_INTEROP_TRACKER=opentracker /usr/bin/python3 test_aria2.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_common as ic  # noqa: E402

ARIA2 = "aria2c"


class Aria2Test(ic.InteropCase):
    def aria2_args(self, scheme, directory, tag):
        exe = ic.need_program(ARIA2)
        args = [exe, "--no-conf", "--dir=" + directory,
                "--listen-port=%d" % ic.free_port(),
                "--bt-enable-lpd=false", "--enable-peer-exchange=false",
                "--enable-dht6=false", "--disable-ipv6=true",
                "--file-allocation=none", "--summary-interval=0", "--show-console-readout=false",
                "--console-log-level=notice",
                "--log=-", "--log-level=info",
                "--bt-tracker-connect-timeout=10", "--bt-tracker-timeout=10",
                "--stop=%d" % int(ic.TEST_DEADLINE)]
        if scheme == "udp":
            args += ["--enable-dht=true",
                     "--dht-file-path=" + os.path.join(self.tmp, "dht-%s.dat" % tag),
                     "--dht-listen-port=%d" % ic.free_port(ic.socket.SOCK_DGRAM)]
        else:
            args += ["--enable-dht=false"]
        return args

    def aria2_downloads(self, scheme):
        seed_dir = self.prepare()
        url = self.tracker.http_url if scheme == "http" else self.tracker.udp_url
        tfile = self.torrent_file(url)

        seeder = self.session("seeder")
        slog = ic.AlertLog(seeder, "libtorrent-seeder")
        sh = ic.lt_add(seeder, tfile, seed_dir, seed=True)
        self.wait_until(lambda: sh.status().is_seeding, "seeder ready", [slog])

        down = self.dir("down")
        args = self.aria2_args(scheme, down, "down") + ["--seed-time=0", tfile]
        p = self.children.spawn(args, os.path.join(self.tmp, "aria2-down.out"))
        target = os.path.join(down, self.torrent.name)
        self.wait_until(lambda: p.poll() is not None, "aria2 download over %s" % scheme,
                        [slog], procs=[p])
        self.assertEqual(p.returncode, 0, "aria2c exit code\n" + ic.log_tail(p._log_path))
        self.assertSameContent(target)
        self.assertGreater(sh.status().total_payload_upload, 0, "seeder uploaded nothing")
        self.tracker.check_alive()

    def aria2_seeds(self, scheme):
        seed_dir = self.prepare()
        url = self.tracker.http_url if scheme == "http" else self.tracker.udp_url
        tfile = self.torrent_file(url)

        args = self.aria2_args(scheme, seed_dir, "seed") + [
            "--seed-ratio=0.0", "--check-integrity=true", "--bt-seed-unverified=false", tfile]
        p = self.children.spawn(args, os.path.join(self.tmp, "aria2-seed.out"))
        # aria2 seeding does not reliably connect out to a leecher it learns
        # of later, and the leecher re-announces only after the interval: the
        # leecher starts once the seeder's announce has landed.
        self.leech_from_seeder(p, "aria2", tfile, scheme)

    def test_aria2_downloads_http(self):
        self.aria2_downloads("http")

    def test_aria2_downloads_udp(self):
        self.aria2_downloads("udp")

    def test_aria2_seeds_http(self):
        self.aria2_seeds("http")

    def test_aria2_seeds_udp(self):
        self.aria2_seeds("udp")


if __name__ == "__main__":
    ic.main()
