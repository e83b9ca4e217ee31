#!/usr/bin/python3
"""Restart without losing swarm state: `cairn serve --state FILE` saves every
swarm at SIGTERM and restores it at start. Checks that a second process
returns every peer the first one held, with the same scrape counts; that a
corrupt, truncated or missing file means a clean empty start with one log
line; and that peers whose TTL passed while the tracker was down (an aged
snapshot written here, in the documented format) are dropped.

Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_restart.py [-v]
"""

import hashlib
import os
import signal
import socket
import struct
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairn_harness import (CairnServer, HttpConnection, UdpTracker, announce_query,  # noqa: E402
                           bdecode, http_announce, http_scrape, peers_of, random_hash,
                           random_peer_id)

TTL = 60
CONFIG = {
    "tracker": {"announce_interval": 10, "min_interval": 5, "peer_ttl": TTL,
                "numwant_max": 400},
    "server": {"snapshot_interval": 0},
}
TORRENTS = 30
PEERS_PER_TORRENT = 10


def state_server(path, config=CONFIG):
    return CairnServer(config, extra_args=["--state", path]).start()


def wait_for_log(server, text, timeout=5.0):
    """The server's stderr once it contains `text` (log lines of start-up
    come before the listening lines, but give the pipe a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        tail = server.stderr_tail(20000)
        if text in tail or time.monotonic() > deadline:
            return tail
        time.sleep(0.05)


def scrape_counts(server, hashes):
    files = http_scrape(server.http4, hashes)[b"files"]
    return {h: (files[h][b"complete"], files[h][b"incomplete"], files[h][b"downloaded"])
            if h in files else (0, 0, 0) for h in hashes}


def populate(server):
    """PEERS_PER_TORRENT peers on each of TORRENTS torrents, over HTTP and
    UDP, IPv4 and IPv6, some seeders, some completed. Returns
    {info_hash: {(host, port)}}."""
    swarms = {}
    udp = {4: UdpTracker(server.udp4), 6: UdpTracker(server.udp6)}
    try:
        for t in range(TORRENTS):
            h = random_hash()
            swarms[h] = set()
            for j in range(PEERS_PER_TORRENT):
                port = 20000 + t * PEERS_PER_TORRENT + j
                kind, family = j % 4 // 2, 4 if j % 2 == 0 else 6
                left = 0 if j % 3 == 0 else 1000
                event = "completed" if j % 5 == 0 else "started"
                if kind == 0:
                    addr = server.http4 if family == 4 else server.http6
                    http_announce(addr, h, random_peer_id(), port, left=left, event=event,
                                  compact=1)
                else:
                    udp[family].announce(h, random_peer_id(), port, left=left, event=event)
                swarms[h].add(("127.0.0.1" if family == 4 else "::1", port))
    finally:
        for u in udp.values():
            u.close()
    return swarms


class RestartTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="cairn-state-")
        self.path = os.path.join(self.dir.name, "state.bin")

    def tearDown(self):
        self.dir.cleanup()

    def saved_state(self):
        """A state file written by a server holding a few peers; returns the
        hashes it holds."""
        server = state_server(self.path)
        try:
            hashes = [random_hash() for _ in range(3)]
            for h in hashes:
                http_announce(server.http4, h, random_peer_id(), 30000, compact=1)
        finally:
            server.stop(check=True)
        self.assertTrue(os.path.isfile(self.path))
        return hashes

    def assert_clean_empty_start(self, expected_log, hashes):
        server = state_server(self.path)
        try:
            log = wait_for_log(server, expected_log)
            self.assertIn(expected_log, log)
            lines = [l for l in log.splitlines() if "state file" in l]
            self.assertEqual(len(lines), 1, log)
            self.assertEqual(set(scrape_counts(server, hashes).values()), {(0, 0, 0)})
            reply = http_announce(server.http4, random_hash(), random_peer_id(), 30001, compact=1)
            self.assertNotIn(b"failure reason", reply)
        finally:
            server.stop(check=True)

    def test_restart_keeps_every_peer_and_count(self):
        server = state_server(self.path)
        try:
            self.assertIn("not found; starting empty", wait_for_log(server, "not found"))
            swarms = populate(server)
            before = scrape_counts(server, list(swarms))
        finally:
            server.stop(check=True)
        total = TORRENTS * PEERS_PER_TORRENT
        self.assertEqual(sum(c + i for c, i, _ in before.values()), total)
        self.assertTrue(all(d > 0 for _, _, d in before.values()), before)
        self.assertTrue(os.path.isfile(self.path))
        self.assertEqual(sorted(os.listdir(self.dir.name)), ["state.bin", "state.bin.lock"],
                         "temporary file left behind")

        server = state_server(self.path)
        try:
            log = wait_for_log(server, "state restored")
            self.assertIn("%d torrents, %d peers; 0 peers dropped as expired" % (TORRENTS, total),
                          log)
            self.assertEqual(scrape_counts(server, list(swarms)), before)
            for h, peers in swarms.items():
                reply = http_announce(server.http4, h, random_peer_id(), 40000, numwant=400,
                                      compact=1)
                self.assertEqual(peers_of(reply), peers)
            # UDP clients reconnect (connection ids are not kept) and see
            # the restored swarm too.
            with UdpTracker(server.udp6) as u:
                h = next(iter(swarms))
                reply = u.announce(h, random_peer_id(), 40001, numwant=400)
                self.assertEqual(set(reply.peers), {p for p in swarms[h] if p[0] == "::1"})
        finally:
            server.stop(check=True)

    def test_periodic_snapshot_survives_a_crash(self):
        config = dict(CONFIG, server={"snapshot_interval": 1})
        server = state_server(self.path, config)
        try:
            h = random_hash()
            for port in (31000, 31001):
                http_announce(server.http4, h, random_peer_id(), port, left=0, compact=1)
            # Two saves finished after the announces: the second began after them.
            after, seen = time.time(), set()
            deadline = time.monotonic() + 5
            while len(seen) < 2 and time.monotonic() < deadline:
                if os.path.isfile(self.path) and os.path.getmtime(self.path) > after:
                    seen.add(os.path.getmtime(self.path))
                time.sleep(0.05)
            self.assertEqual(len(seen), 2, "no periodic snapshot written")
        finally:
            server.kill()  # no shutdown snapshot: only the periodic one is there
        server = state_server(self.path)
        try:
            self.assertIn("1 torrents, 2 peers", wait_for_log(server, "state restored"))
            self.assertEqual(scrape_counts(server, [h]), {h: (2, 0, 0)})
        finally:
            server.stop(check=True)

    def test_corrupt_file_starts_empty(self):
        hashes = self.saved_state()
        with open(self.path, "r+b") as f:
            f.seek(30)
            byte = f.read(1)
            f.seek(30)
            f.write(bytes([byte[0] ^ 0xFF]))
        self.assert_clean_empty_start("unreadable: checksum mismatch; starting empty", hashes)

    def test_truncated_file_starts_empty(self):
        hashes = self.saved_state()
        size = os.path.getsize(self.path)
        with open(self.path, "r+b") as f:
            f.truncate(size - 20)
        self.assert_clean_empty_start("unreadable: checksum mismatch; starting empty", hashes)
        with open(self.path, "wb") as f:
            f.write(b"CAIRN")
        self.assert_clean_empty_start("unreadable: truncated; starting empty", hashes)

    def test_missing_file_is_a_normal_start(self):
        self.assert_clean_empty_start("not found; starting empty", [random_hash()])

    def test_peers_expired_during_downtime_are_dropped(self):
        # Written 30 s ago; ages 0, 25 and 35: 30, 55 and 65 s at restart,
        # so with a 60 s TTL the last one is gone.
        h = random_hash()
        peers = [(("127.0.0.1", 50001), 0, True, True),
                 (("::1", 50002), 25, False, True),
                 (("127.0.0.1", 50003), 35, True, False)]
        with open(self.path, "wb") as f:
            f.write(encode_snapshot(int(time.time()) - 30, [(h, 7, peers)]))
        server = state_server(self.path)
        try:
            log = wait_for_log(server, "state restored")
            self.assertIn("1 torrents, 2 peers; 1 peers dropped as expired", log)
            self.assertEqual(scrape_counts(server, [h]), {h: (1, 1, 7)})
            reply = http_announce(server.http4, h, random_peer_id(), 40000, numwant=50, compact=1)
            self.assertEqual(peers_of(reply), {("127.0.0.1", 50001), ("::1", 50002)})
        finally:
            server.stop(check=True)


class ShutdownTest(unittest.TestCase):
    def test_sigterm_answers_sent_requests_and_closes_idle_connections(self):
        with tempfile.TemporaryDirectory(prefix="cairn-state-") as d:
            server = state_server(os.path.join(d, "state.bin"))
            h = random_hash()
            idle = HttpConnection(server.http4)
            busy = HttpConnection(server.http4)
            try:
                idle.get("/announce?" + announce_query(h, random_peer_id(), 30000))
                # One full exchange first, so the busy connection is surely
                # accepted; then a request the server has received (the pause
                # lets loopback deliver it) when SIGTERM arrives.
                busy.get("/announce?" + announce_query(h, random_peer_id(), 30001))
                busy.send("GET /announce?%s HTTP/1.1\r\nHost: x\r\n\r\n"
                          % announce_query(h, random_peer_id(), 30001))
                time.sleep(0.2)
                started = time.monotonic()
                server.proc.send_signal(signal.SIGTERM)
                reply = busy.read_response()
                self.assertEqual(reply.status, 200)
                self.assertNotIn(b"failure reason", bdecode(reply.body))
                self.assertTrue(idle.closed_by_peer(timeout=3.0))
                server.stop(check=True)
                # Idle connections do not hold the exit up for the grace period.
                self.assertLess(time.monotonic() - started, 1.5)
            finally:
                idle.close()
                busy.close()
                server.kill()
            self.assertTrue(os.path.isfile(os.path.join(d, "state.bin")))


def encode_snapshot(written_at, torrents):
    """The state file format of docs/architecture.md ("Restart and state"):
    torrents = [(info_hash, downloaded, [((host, port), age, seeder, completed)])]."""
    body = b"CAIRNSNP" + struct.pack("<IQ", 1, written_at)
    peer_count = 0
    for info_hash, downloaded, peers in torrents:
        body += info_hash + struct.pack("<II", downloaded, len(peers))
        for (host, port), age, seeder, completed in peers:
            v6 = ":" in host
            flags = (1 if v6 else 0) | (2 if seeder else 0) | (4 if completed else 0)
            addr = socket.inet_pton(socket.AF_INET6 if v6 else socket.AF_INET, host)
            body += bytes([flags]) + addr + struct.pack("!H", port) + random_peer_id()
            body += struct.pack("<I", age)
            peer_count += 1
    body += struct.pack("<QQ", len(torrents), peer_count)
    return body + hashlib.blake2b(body, digest_size=32).digest()


if __name__ == "__main__":
    unittest.main()
