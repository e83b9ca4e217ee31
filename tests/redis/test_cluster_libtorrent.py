#!/usr/bin/python3
"""Real clients on two Cairn nodes sharing one Redis Cluster: a libtorrent
seeder announces only to node A, a libtorrent downloader knows only node B,
and the download completes (the peer could only be learnt through Redis).

Run: CAIRN_BIN=build/apps/cairn/cairn /usr/bin/python3 tests/redis/test_cluster_libtorrent.py -v
"""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "interop"))
from cluster_nodes import ClusterCase  # noqa: E402
import interop_common as ic  # noqa: E402  (fails, never skips, without python3-libtorrent)


class TwoNodesLibtorrent(ClusterCase):
    def test_seeder_on_one_node_downloader_on_the_other(self):
        a, b = self.node(), self.node(by_flag=True)
        seed_dir = os.path.join(self.tmp, "seed")
        down = os.path.join(self.tmp, "down")
        os.makedirs(seed_dir)
        os.makedirs(down)
        content = ic.make_content(seed_dir)
        # One Torrent object per tracker: add_tracker accumulates, and the
        # downloader must know node B only (the info hash is the same).
        to_a = ic.Torrent(content).write(os.path.join(self.tmp, "a.torrent"),
                                         "udp://127.0.0.1:%d/announce" % a.udp4[1])
        to_b = ic.Torrent(content).write(os.path.join(self.tmp, "b.torrent"),
                                         "http://127.0.0.1:%d/announce" % b.http4[1])
        sessions = []
        self.addCleanup(lambda: [s.pause() for s in sessions])
        seeder = ic.lt_session("seeder")
        sessions.append(seeder)
        slog = ic.AlertLog(seeder, "seeder")
        sh = ic.lt_add(seeder, to_a, seed_dir, seed=True)
        leecher = ic.lt_session("leecher")
        sessions.append(leecher)
        llog = ic.AlertLog(leecher, "leecher")
        deadline = time.monotonic() + ic.TEST_DEADLINE
        # The seeder's announce to A first, so B's first reply has it.
        while slog.tracker_replies == 0:
            slog.pump()
            self.assertLess(time.monotonic(), deadline, "seeder never announced\n" + slog.tail())
            time.sleep(0.1)
        lh = ic.lt_add(leecher, to_b, down)
        while not lh.status().is_seeding:
            slog.pump()
            llog.pump()
            self.assertTrue(a.alive() and b.alive())
            self.assertLess(time.monotonic(), deadline,
                            "no download through node B\n%s\n%s\n--- A ---\n%s\n--- B ---\n%s"
                            % (slog.tail(), llog.tail(), a.stderr_tail(), b.stderr_tail()))
            time.sleep(0.2)
        self.assertEqual(ic.sha1_file(os.path.join(down, os.path.basename(content))),
                         ic.sha1_file(content))
        # No DHT, LSD or PEX: the peers met through the trackers, either
        # the downloader's reply from B carried the seeder, or the seeder's
        # reply from A carried the downloader that announced to B.
        time.sleep(0.5)
        slog.pump()
        llog.pump()
        self.assertGreater(slog.tracker_peers + llog.tracker_peers, 0,
                           "no tracker reply carried a peer\n" + slog.tail() + "\n" + llog.tail())
        self.assertTrue(sh.status().is_seeding)


if __name__ == "__main__":
    unittest.main()
