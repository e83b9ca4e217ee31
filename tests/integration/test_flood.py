#!/usr/bin/python3
"""A flood of 1,000,000 distinct info hashes against the memory cap
(server.max_resident_mb): the resident memory of `cairn serve`, sampled
every few milliseconds, never exceeds the cap; the tracker answers every
request of the flood; while it is at the cap a new torrent gets "tracker is
full" (UDP error, HTTP failure reason) and torrents it already holds keep
being served; once the flood's peers expire, new torrents are accepted
again.

The flood comes from `cairn load --preload`: one announce per simulated
peer, here one peer per torrent, from 16 source addresses and 16 UDP
sockets (ports). Loopback is a trusted network by default, so no rate limit
stands between the flood and the store.

Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_flood.py [-v]
"""

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairn_harness import (ACT_ERROR, CairnServer, UdpTracker, cairn_binary,  # noqa: E402
                           fresh_port, http_announce, random_hash, random_peer_id)

CAP_MB = 64
FLOOD = 1_000_000
# Seconds; longer than the flood may take (its timeout below), so the peer
# announced before it is still held after it even on a slow, loaded machine
# (a flood of 45 s once outlived a TTL of 15 s); a test sweep run ahead of
# the clock expires the flood instead of waiting.
TTL = 150
PAGE = os.sysconf("SC_PAGE_SIZE")


class RssSampler(threading.Thread):
    """The peak resident memory of a process, read every 5 ms."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.path = "/proc/%d/statm" % pid
        self.peak = 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                with open(self.path) as f:
                    self.peak = max(self.peak, int(f.read().split()[1]) * PAGE)
            except OSError:
                return
            time.sleep(0.005)

    def stop(self):
        self.done.set()
        self.join()


def udp_error_of(client, info_hash, port):
    """The error text of a UDP announce, or None if it was answered."""
    if client.conn_id is None:
        client.connect()
    packet, t = client.announce_packet(info_hash, random_peer_id(), port)
    reply = client.exchange(packet)
    assert reply is not None, "no reply to announce"
    action, rt = struct.unpack("!II", reply[:8])
    assert rt == t
    return reply[8:].decode() if action == ACT_ERROR else None


class MemoryCapUnderFlood(unittest.TestCase):
    def test_flood_of_distinct_hashes_stays_under_the_cap(self):
        config = {"server": {"max_resident_mb": CAP_MB, "workers": 2},
                  "tracker": {"announce_interval": 10, "min_interval": 5, "peer_ttl": TTL}}
        with CairnServer(config) as server, UdpTracker(server.udp4, source="127.0.0.200") as own:
            known, known_port = random_hash(), fresh_port()
            self.assertEqual(own.announce(known, random_peer_id(), known_port).seeders, 0)

            sampler = RssSampler(server.proc.pid)
            sampler.start()
            started = time.monotonic()
            out = subprocess.run(
                [cairn_binary(), "load", "--target", "%s:%d" % server.udp4, "--mode", "udp",
                 "--preload", "--torrents", str(FLOOD), "--peers", str(FLOOD), "--seed", "11",
                 "--json"], capture_output=True, text=True, timeout=120)
            flood_ended = time.monotonic()
            flood_seconds = flood_ended - started
            self.assertEqual(out.returncode, 0, out.stderr)
            result = json.loads(out.stdout.strip().splitlines()[-1])

            # Every request was answered; the ones past the cap with an error.
            self.assertEqual(result["lost"], 0, result)
            self.assertEqual(result["timeouts"], 0, result)
            self.assertGreater(result["invalid"], 0, "the cap was never reached: %r" % result)
            self.assertIn("memory cap", server.stderr_tail(100000))

            # At the cap: new torrents are refused over both protocols...
            self.assertEqual(udp_error_of(own, random_hash(), fresh_port()), "tracker is full")
            reply = http_announce(server.http4, random_hash(), random_peer_id(), fresh_port())
            self.assertEqual(reply.get(b"failure reason"), b"tracker is full")
            # ...and the torrent held before the flood is served as before.
            self.assertIsNone(udp_error_of(own, known, known_port))
            self.assertEqual(own.scrape([known]), [(0, 0, 1)])

            # The flood expires; the tracker takes new torrents again, and
            # the peer that kept announcing is still there. Two seconds
            # after the flood's last announce, a sweep as of TTL - 2 s from
            # now finds every flood peer past its TTL, and the peer that
            # announced just before it inside its own.
            time.sleep(max(0.0, flood_ended + 2.5 - time.monotonic()))
            own.announce(known, random_peer_id(), known_port)
            server.sweep(ahead=TTL - 2)
            deadline = time.monotonic() + 30
            while udp_error_of(own, random_hash(), fresh_port()) is not None:
                self.assertLess(time.monotonic(), deadline, "still full long after the flood expired")
                own.announce(known, random_peer_id(), known_port)  # stays alive meanwhile
                time.sleep(0.25)  # the memory cap is measured 4 times a second
            self.assertEqual(own.scrape([known])[0][2], 1)
            self.assertIn("accepting new torrents and peers again", server.stderr_tail(100000))

            sampler.stop()
            print("flood of %d hashes in %.1f s; %d refused; peak RSS %.1f MiB (cap %d MiB)"
                  % (FLOOD, flood_seconds, result["invalid"], sampler.peak / 2**20, CAP_MB),
                  file=sys.stderr)
            self.assertLessEqual(sampler.peak, CAP_MB << 20)


if __name__ == "__main__":
    unittest.main()
