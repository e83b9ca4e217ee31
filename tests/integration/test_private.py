#!/usr/bin/python3
"""Private mode end to end: `cairn user` makes users in an SQLite database,
`cairn serve` with tracker.mode = "private" serves only their passkeys
(HTTP /PASSKEY/announce and /PASSKEY/scrape, UDP BEP 41 URL data), credits
what they announce (baseline, deltas, counter resets, snatches) to the
database, and sees CLI changes while it runs. Public mode ignores passkeys.

Run: CAIRN_BIN=build/apps/cairn/cairn /usr/bin/python3 tests/integration/test_private.py -v
"""

import json
import os
import secrets
import sqlite3
import string
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairn_harness import (ACT_ANNOUNCE, ACT_ERROR, CairnServer, UdpTracker,  # noqa: E402
                           announce_query, bdecode, cairn_binary, failure_of, fresh_port, http_get,
                           pct, random_hash, random_peer_id)

WAIT = 10.0  # seconds a change may take to show (reload and flush are 1 s here)
URL_SAFE = string.ascii_letters + string.digits + "-_"


def random_passkey():
    return "".join(secrets.choice(URL_SAFE) for _ in range(32))


def cli(*args, check=True):
    r = subprocess.run([cairn_binary(), *args], capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise AssertionError("cairn %s: exit %d\n%s" % (" ".join(args), r.returncode, r.stderr))
    return r


def bep41(path, split=None):
    """BEP 41 URL data options (type 2) carrying `path`, cut at `split`
    with a NOP (type 1) between, then the end of options (type 0)."""
    data = path.encode()
    parts = [data] if split is None else [data[:split], data[split:]]
    out = b""
    for i, p in enumerate(parts):
        if i:
            out += b"\x01"
        out += bytes([2, len(p)]) + p
    return out + b"\x00"


def until(cond, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("not within %.0f s: %s" % (timeout, what))
        time.sleep(0.1)


class PrivateCase(unittest.TestCase):
    ALLOW_LIST = False
    FLUSH = 1

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="cairn-private-")
        self.db = os.path.join(self.tmp.name, "users.db")
        self.alice = cli("user", "add", "alice", "--database", self.db).stdout.strip()
        self.bob = cli("user", "add", "bob", "--database", self.db).stdout.strip()
        cli("user", "disable", "bob", "--database", self.db)
        self.server = CairnServer({
            "tracker": {"mode": "private"},
            "private": {"database": self.db, "reload_interval": 1,
                        "flush_interval": self.FLUSH, "allow_list": self.ALLOW_LIST},
        }, listens=("127.0.0.1:0",)).start()
        self.addCleanup(self.tmp.cleanup)
        self.addCleanup(self.server.stop, check=False)

    # --- clients ---

    def http(self, path, info_hash, peer_id=None, port=None, **kw):
        r = http_get(self.server.http4, path + "?" + announce_query(
            info_hash, peer_id or random_peer_id(), port or fresh_port(), **kw))
        return r

    def http_announce(self, key, info_hash, **kw):
        return self.http("/%s/announce" % key, info_hash, **kw)

    def udp_announce(self, options, info_hash, peer_id=None, **kw):
        """(action, payload) of the reply to an announce carrying `options`."""
        client = UdpTracker(self.server.udp4)
        try:
            client.connect()
            pkt, t = client.announce_packet(info_hash, peer_id or random_peer_id(), fresh_port(),
                                            options=options, **kw)
            r = client.exchange(pkt)
        finally:
            client.close()
        self.assertIsNotNone(r, "no reply to a UDP announce")
        action, rt = struct.unpack("!II", r[:8])
        self.assertEqual(rt, t)
        return action, r[8:]

    def seeders_leechers(self, info_hash, key=None):
        key = key or self.alice
        r = http_get(self.server.http4, "/%s/scrape?info_hash=%s" % (key, pct(info_hash)))
        f = bdecode(r.body).get(b"files", {}).get(info_hash, {})
        return f.get(b"complete", 0) + f.get(b"incomplete", 0)

    def users(self):
        rows = json.loads(cli("user", "list", "--json", "--database", self.db).stdout)
        return {u["name"]: u for u in rows}

    def assert_credit(self, name, uploaded, downloaded, snatches):
        """Waits for the database to show exactly this credit (flushes come
        every second: an early one may hold part of it)."""
        want = (uploaded, downloaded, snatches)
        seen = []

        def matches():
            u = self.users()[name]
            seen.append((u["uploaded"], u["downloaded"], u["snatches"]))
            return seen[-1] == want
        try:
            until(matches, "%s's credit %r" % (name, want))
        except AssertionError as e:
            raise AssertionError("%s; the database showed %r" % (e, seen[-1]))


class PrivateHttpTest(PrivateCase):
    def test_good_passkey_is_served(self):
        h = random_hash()
        r = self.http_announce(self.alice, h, event="started")
        self.assertIsNone(failure_of(r))
        self.assertEqual(self.seeders_leechers(h), 1)

    def test_missing_unknown_and_disabled_passkeys_are_refused_and_touch_nothing(self):
        h = random_hash()
        cases = [("/announce", "passkey required"),
                 ("/%s/announce" % random_passkey(), "unknown or disabled passkey"),
                 ("/%s/announce" % self.bob, "unknown or disabled passkey")]
        for path, reason in cases:
            self.assertEqual(failure_of(self.http(path, h, event="started")), reason, path)
        self.assertEqual(self.seeders_leechers(h), 0, "a refused announce reached the store")
        # Scrapes too: without a passkey, or with a refused one.
        self.assertEqual(failure_of(http_get(self.server.http4, "/scrape?info_hash=" + pct(h))),
                         "passkey required")
        self.assertEqual(
            failure_of(http_get(self.server.http4, "/%s/scrape?info_hash=%s" % (self.bob, pct(h)))),
            "unknown or disabled passkey")
        # A path that is not a passkey route at all is a 404, as before.
        self.assertEqual(http_get(self.server.http4, "/short/announce").status, 404)

    def test_accounting_baseline_deltas_reset_and_snatch(self):
        h, peer = random_hash(), random_peer_id()
        port = fresh_port()
        steps = [  # (uploaded, downloaded, event): the credit each earns
            (5000, 7000, "started"),   # baseline, whatever the counters say
            (6000, 7500, None),        # +1000 up, +500 down
            (100, 9000, None),         # uploaded went down: new baseline, no credit
            (130, 9100, None),         # +30 up, +100 down
            (130, 9600, "completed"),  # +500 down, one snatch
            (200, 9600, "stopped"),    # +70 up
        ]
        for up, down, event in steps:
            r = self.http_announce(self.alice, h, peer_id=peer, port=port, uploaded=up,
                                   downloaded=down, left=0 if event == "completed" else 1000,
                                   event=event)
            self.assertIsNone(failure_of(r))
        self.assert_credit("alice", 1100, 1100, 1)
        # Per torrent, as the database records it.
        with sqlite3.connect(self.db) as c:
            rows = c.execute("SELECT t.info_hash, t.uploaded, t.downloaded, t.snatches "
                             "FROM user_torrents t JOIN users u ON u.id = t.user_id "
                             "WHERE u.name = 'alice'").fetchall()
        self.assertEqual(rows, [(h.hex(), 1100, 1100, 1)])
        self.assertEqual(self.users()["bob"]["uploaded"], 0)

    def test_active_torrents(self):
        for _ in range(3):
            self.http_announce(self.alice, random_hash(), event="started")
        until(lambda: self.users()["alice"]["active_torrents"] == 3, "3 active torrents")

    def test_cli_changes_reach_the_running_server(self):
        h = random_hash()
        carol = cli("user", "add", "carol", "--database", self.db).stdout.strip()
        until(lambda: failure_of(self.http_announce(carol, h)) is None, "carol's new passkey")
        cli("user", "enable", "bob", "--database", self.db)
        until(lambda: failure_of(self.http_announce(self.bob, h)) is None, "bob enabled")
        cli("user", "disable", "alice", "--database", self.db)
        until(lambda: failure_of(self.http_announce(self.alice, h)) == "unknown or disabled passkey",
              "alice disabled")
        new = cli("user", "rekey", "carol", "--database", self.db).stdout.strip()
        self.assertNotEqual(new, carol)
        until(lambda: failure_of(self.http_announce(carol, h)) == "unknown or disabled passkey",
              "carol's old passkey refused")
        self.assertIsNone(failure_of(self.http_announce(new, h)))


class PrivateUdpTest(PrivateCase):
    def test_bep41_passkey_whole_or_split(self):
        h = random_hash()
        path = "/%s/announce" % self.alice
        for split in (None, 1, 17, 33, len(path) - 1):
            action, _ = self.udp_announce(bep41(path, split), h)
            self.assertEqual(action, ACT_ANNOUNCE, "split at %s" % split)
        self.assertEqual(self.seeders_leechers(h), 5)

    def test_missing_unknown_and_disabled_passkeys_get_error_packets(self):
        h = random_hash()
        cases = [(b"", "passkey required"),
                 (bep41("/announce"), "passkey required"),
                 (bep41("/%s/announce" % random_passkey()), "unknown or disabled passkey"),
                 (bep41("/%s/announce" % self.bob), "unknown or disabled passkey"),
                 # Truncated URL data: dropped whole, so no passkey.
                 (bep41("/%s/announce" % self.alice)[:20], "passkey required")]
        for options, reason in cases:
            action, payload = self.udp_announce(options, h, event="started")
            self.assertEqual((action, payload.decode()), (ACT_ERROR, reason), options)
        self.assertEqual(self.seeders_leechers(h), 0, "a refused announce reached the store")
        # BEP 41 options follow announces only: a scrape has no passkey.
        client = UdpTracker(self.server.udp4)
        try:
            client.connect()
            pkt, _ = client.scrape_packet([h])
            r = client.exchange(pkt)
        finally:
            client.close()
        self.assertEqual(struct.unpack("!I", r[:4])[0], ACT_ERROR)
        self.assertEqual(r[8:], b"passkey required")

    def test_accounting_over_udp(self):
        h, peer = random_hash(), random_peer_id()
        opts = bep41("/%s/announce" % self.alice, split=10)
        for up, down, event in [(0, 0, "started"), (300, 400, None), (50, 50, None),
                                (80, 450, "completed")]:
            action, _ = self.udp_announce(opts, h, peer_id=peer, uploaded=up, downloaded=down,
                                          event=event)
            self.assertEqual(action, ACT_ANNOUNCE)
        self.assert_credit("alice", 330, 800, 1)


class AllowListTest(PrivateCase):
    ALLOW_LIST = True

    def test_only_registered_torrents(self):
        h = random_hash()
        self.assertEqual(failure_of(self.http_announce(self.alice, h)), "torrent not allowed")
        action, payload = self.udp_announce(bep41("/%s/announce" % self.alice), h)
        self.assertEqual((action, payload), (ACT_ERROR, b"torrent not allowed"))
        r = cli("torrent", "add", h.hex(), "--database", self.db)
        self.assertIn("registered", r.stderr)
        self.assertIn(h.hex(), cli("torrent", "list", "--database", self.db).stdout)
        until(lambda: failure_of(self.http_announce(self.alice, h)) is None, "registered torrent")
        cli("torrent", "remove", h.hex(), "--database", self.db)
        until(lambda: failure_of(self.http_announce(self.alice, h)) == "torrent not allowed",
              "unregistered torrent refused")


class ShutdownFlushTest(PrivateCase):
    FLUSH = 3600  # only the flush at shutdown can write the credit

    def test_credit_written_at_shutdown(self):
        h, peer, port = random_hash(), random_peer_id(), fresh_port()
        for up in (0, 4096):
            self.http_announce(self.alice, h, peer_id=peer, port=port, uploaded=up)
        self.server.stop()
        self.assertEqual(self.users()["alice"]["uploaded"], 4096)


class PublicModeTest(unittest.TestCase):
    def test_passkeys_are_ignored(self):
        with CairnServer({}, listens=("127.0.0.1:0",)) as server:
            h = random_hash()
            key = random_passkey()
            r = http_get(server.http4, "/%s/announce?%s" % (key, announce_query(
                h, random_peer_id(), fresh_port())))
            self.assertIsNone(failure_of(r))
            client = UdpTracker(server.udp4)
            try:
                client.connect()
                pkt, _ = client.announce_packet(h, random_peer_id(), fresh_port(),
                                                options=bep41("/%s/announce" % key))
                self.assertEqual(struct.unpack("!I", client.exchange(pkt)[:4])[0], ACT_ANNOUNCE)
            finally:
                client.close()
            r = http_get(server.http4, "/%s/scrape?info_hash=%s" % (key, pct(h)))
            self.assertEqual(bdecode(r.body)[b"files"][h][b"incomplete"], 2)


class CommandLineTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="cairn-private-cli-")
        self.addCleanup(self.tmp.cleanup)
        self.db = os.path.join(self.tmp.name, "users.db")

    def test_errors_say_what_was_wrong(self):
        r = cli("user", "add", "dave", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--database FILE", r.stderr)
        cli("user", "add", "dave", "--database", self.db)
        r = cli("user", "add", "dave", "--database", self.db, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("exists already", r.stderr)
        r = cli("user", "disable", "nobody", "--database", self.db, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('no user named "nobody"', r.stderr)
        r = cli("torrent", "add", "xyz", "--database", self.db, check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("expected 40 hex digits", r.stderr)

    def test_list_as_table_and_json(self):
        key = cli("user", "add", "erin", "--database", self.db).stdout.strip()
        self.assertEqual(len(key), 32)
        self.assertTrue(set(key) <= set(URL_SAFE))
        table = cli("user", "list", "--database", self.db).stdout
        self.assertIn("erin", table)
        self.assertIn("uploaded", table)
        rows = json.loads(cli("user", "list", "--json", "--database", self.db).stdout)
        self.assertEqual(rows, [{"name": "erin", "passkey": key, "enabled": True, "uploaded": 0,
                                 "downloaded": 0, "snatches": 0, "active_torrents": 0}])

    def test_database_from_the_config_file(self):
        config = os.path.join(self.tmp.name, "cairn.toml")
        with open(config, "w") as f:
            f.write('[tracker]\nmode = "private"\n[private]\ndatabase = "users.db"\n')
        cli("user", "add", "frank", "--config", config)
        self.assertIn("frank", cli("user", "list", "--database", self.db).stdout)

    def test_private_mode_needs_a_database(self):
        config = os.path.join(self.tmp.name, "cairn.toml")
        with open(config, "w") as f:
            f.write('[tracker]\nmode = "private"\n')
        r = subprocess.run([cairn_binary(), "serve", "--config", config, "--listen",
                            "127.0.0.1:0"], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("needs private.database", r.stderr)


if __name__ == "__main__":
    unittest.main()
