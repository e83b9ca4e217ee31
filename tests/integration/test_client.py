#!/usr/bin/python3
"""`cairn announce` and `cairn lookup` against real `cairn serve` processes:
rendezvous topics, info hashes and sealed records over http:// and udp://;
BEP 12 failover within a tier (a tracker that is down, one that answers
errors, one that works) and tiers in parallel; re-announcing keeps a record
alive past its TTL, Ctrl-C withdraws it, and a client that dies is pruned.
The last test is the one the rendezvous issue is done by: two announcers
and one look-up with a shared secret find each other's decrypted addresses
through two trackers while one of them is stopped, and the tracker's state
file never holds the plaintext.

Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_client.py [-v]
"""

import base64
import ctypes
import http.server
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairn_harness import CairnServer, cairn_binary, random_hash  # noqa: E402
from rendezvous_harness import (SODIUM, addresses_of, api, open_sealed, random_topic,  # noqa: E402
                                records_path, sealed_keys)

CONFIG = {"rendezvous": {"min_ttl": 2, "max_ttl": 30, "default_ttl": 10}}
TIMEOUT = ["--timeout-ms", "700"]


def http_url(server):
    return "http://%s:%d/announce" % server.http4


def udp_url(server):
    return "udp://%s:%d" % server.udp4


def closed_port():
    """A loopback port nothing listens on (TCP: refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ErrorTracker:
    """An HTTP server that answers everything with 503 and a JSON error."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self):
            body = b'{"error": {"code": "tracker_full", "message": "always"}}'
            self.send_response(503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = answer

        def log_message(self, *a):
            pass

    def __enter__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self.Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/announce" % self.httpd.server_address[1]
        return self

    def __exit__(self, *a):
        self.httpd.shutdown()
        self.httpd.server_close()


def cli(*args, timeout=30):
    return subprocess.run([cairn_binary(), *args], capture_output=True, text=True, timeout=timeout)


def lookup_json(*args):
    r = cli("lookup", *args, "--json", *TIMEOUT)
    doc = json.loads(r.stdout) if r.stdout.strip() else None
    return r.returncode, doc, r.stderr


class Announcer:
    """`cairn announce` in the background; reads its lines as they come."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([cairn_binary(), "announce", *args, *TIMEOUT],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []

    def wait_for(self, text, count=1, timeout=10):
        deadline = time.monotonic() + timeout
        while sum(text in l for l in self.lines) < count:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise AssertionError("no %r line in %.0f s; got %r" % (text, timeout, self.lines))
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("announce exited (%r); got %r" % (self.proc.poll(), self.lines))
            self.lines.append(line.strip())
        return [l for l in self.lines if text in l]

    def stop(self, sig=signal.SIGINT):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rest, _ = self.proc.communicate(timeout=15)
        self.lines += rest.splitlines()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *a):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


def found_addresses(doc):
    return sorted(a for p in doc["peers"] for a in p["addresses"])


class OneServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = CairnServer(CONFIG).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop(check=True)

    def test_topic_over_http_then_udp(self):
        topic = random_topic().hex()
        r = cli("announce", "--once", "--tracker", http_url(self.server), "--topic", topic,
                "--addr", ":7000", "--meta", "up=1000", "--meta", "protocol=webrtc",
                "--meta", "app=chat", *TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("announced to " + http_url(self.server), r.stdout)
        code, doc, err = lookup_json("--tracker", udp_url(self.server), "--topic", topic)
        self.assertEqual(code, 0, err)
        [peer] = doc["peers"]
        self.assertEqual(peer["addresses"], ["127.0.0.1:7000"])
        self.assertEqual(peer["meta"]["up"], 1000)
        self.assertEqual(peer["meta"]["protocols"], ["webrtc"])
        self.assertEqual(peer["meta"]["tags"], {"app": "chat"})
        self.assertEqual(peer["trackers"], [udp_url(self.server)])
        # The plain output: one line a peer.
        r = cli("lookup", "--tracker", http_url(self.server), "--topic", topic, "--capability", "webrtc", *TIMEOUT)
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^127\.0\.0\.1:7000  last_seen=\d+s expires_in=\d+s up=1000 "
                                   r"protocols=webrtc app=chat id=[0-9a-f]{32}  via=http://")

    def test_info_hash_over_udp_then_http(self):
        h = random_hash().hex()
        r = cli("announce", "--once", "--tracker", udp_url(self.server), "--info-hash", h,
                "--addr", "127.0.0.1:6881", *TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        code, doc, err = lookup_json("--tracker", http_url(self.server), "--info-hash", h)
        self.assertEqual(code, 0, err)
        self.assertIn("127.0.0.1:6881", found_addresses(doc))
        # The look-up stopped itself again: only the announcer is left.
        code, doc, _ = lookup_json("--tracker", udp_url(self.server), "--info-hash", h)
        self.assertEqual(found_addresses(doc), ["127.0.0.1:6881"])

    def test_signed_with_a_key_file(self):
        topic = random_topic().hex()
        with tempfile.TemporaryDirectory(prefix="cairn-key-") as d:
            key = os.path.join(d, "me.key")
            announce = ["announce", "--once", "--tracker", udp_url(self.server), "--topic", topic, "--key", key]
            r = cli(*announce, "--addr", ":7400", *TIMEOUT)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)  # made on first use
            with open(key) as f:
                seed = bytes.fromhex(f.read().strip())
            public = ctypes.create_string_buffer(32)
            SODIUM.crypto_sign_seed_keypair(public, ctypes.create_string_buffer(64), seed)
            # The record's id is the public key; the same key replaces it.
            self.assertEqual(cli(*announce, "--addr", ":7401", *TIMEOUT).returncode, 0)
            code, doc, _ = lookup_json("--tracker", http_url(self.server), "--topic", topic)
            self.assertEqual([(p["id"], p["addresses"]) for p in doc["peers"]],
                             [(public.raw.hex(), ["127.0.0.1:7401"])])
            status, raw = api(self.server.http4, "GET", records_path(bytes.fromhex(topic)))
            self.assertEqual(raw["records"][0]["public_key"], public.raw.hex())
            # Ctrl-C withdraws it with a signed removal.
            with Announcer("--tracker", http_url(self.server), "--topic", topic, "--key", key,
                           "--addr", ":7402") as a:
                a.wait_for("announced to")
                self.assertEqual(a.stop(), 0)
                self.assertTrue(any("withdrawn from" in l for l in a.lines), a.lines)
            code, doc, _ = lookup_json("--tracker", http_url(self.server), "--topic", topic)
            self.assertEqual(doc["peers"], [])

    def test_failover_within_a_tier(self):
        topic = random_topic().hex()
        with ErrorTracker() as bad:
            tier = ",".join(["http://127.0.0.1:%d/announce" % closed_port(), bad.url, udp_url(self.server)])
            r = cli("announce", "--once", "--tracker", tier, "--topic", topic, "--addr", ":7100", *TIMEOUT)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("announced to " + udp_url(self.server), r.stdout)
            code, doc, err = lookup_json("--tracker", tier, "--topic", topic)
            self.assertEqual((code, found_addresses(doc)), (0, ["127.0.0.1:7100"]), err)
            # A tier of only broken trackers: the answer of the others, and
            # what went wrong on stderr.
            broken = ",".join(["http://127.0.0.1:%d/announce" % closed_port(), bad.url])
            code, doc, err = lookup_json("--tracker", broken, "--tracker", tier, "--topic", topic)
            self.assertEqual((code, found_addresses(doc)), (0, ["127.0.0.1:7100"]), err)
            self.assertIn("tier 1: no tracker answered", err)
            self.assertIn("tracker_full", err)
            code, doc, err = lookup_json("--tracker", broken, "--topic", topic)
            self.assertEqual(code, 1)

    def test_reannounce_keeps_the_record_and_ctrl_c_withdraws_it(self):
        topic = random_topic().hex()
        with Announcer("--tracker", udp_url(self.server), "--topic", topic, "--addr", ":7200", "--ttl", "2") as a:
            # It registers again every second (half its 2 s TTL), so a sweep
            # after each registration leaves it there; by the last one its
            # first registration has expired.
            for count in range(1, 5):
                a.wait_for("announced to", count=count)
                self.server.sweep()
                code, doc, _ = lookup_json("--tracker", http_url(self.server), "--topic", topic)
                self.assertEqual(found_addresses(doc), ["127.0.0.1:7200"])
            self.assertEqual(a.stop(), 0)
            self.assertTrue(any("withdrawn from" in l for l in a.lines), a.lines)
        code, doc, _ = lookup_json("--tracker", http_url(self.server), "--topic", topic)
        self.assertEqual(doc["peers"], [])

    def test_a_client_that_dies_is_pruned(self):
        topic = random_topic().hex()
        with Announcer("--tracker", http_url(self.server), "--topic", topic, "--addr", ":7300", "--ttl", "2") as a:
            a.wait_for("announced to")
            a.stop(signal.SIGKILL)
        code, doc, _ = lookup_json("--tracker", http_url(self.server), "--topic", topic)
        self.assertEqual(found_addresses(doc), ["127.0.0.1:7300"])
        self.server.sweep(ahead=2)  # its TTL
        code, doc, _ = lookup_json("--tracker", http_url(self.server), "--topic", topic)
        self.assertEqual(doc["peers"], [])


class SealedThroughTwoTrackers(unittest.TestCase):
    def test_two_announcers_and_a_lookup_find_each_other_with_one_tracker_down(self):
        secret = "a shared secret %s" % os.urandom(8).hex()
        marker = "room-" + os.urandom(8).hex()  # plaintext that must never reach the tracker
        with tempfile.TemporaryDirectory(prefix="cairn-sealed-") as d:
            state_a = os.path.join(d, "a.bin")
            a = CairnServer(CONFIG, extra_args=["--state", state_a]).start()
            b = CairnServer(CONFIG).start()
            try:
                tiers = ["--tracker", udp_url(a), "--tracker", http_url(b)]
                with Announcer(*tiers, "--secret", secret, "--addr", ":7001") as one, \
                        Announcer(*tiers, "--secret", secret, "--addr", ":7002", "--meta", "protocol=tcp",
                                  "--meta", "room=" + marker) as two:
                    for announcer in (one, two):
                        announcer.wait_for("announced to", count=2)
                    b.stop(check=True)
                    lookup = ["--tracker", http_url(a), "--tracker", udp_url(b), "--secret", secret]
                    code, doc, err = lookup_json(*lookup)
                    self.assertEqual(code, 0, err)
                    self.assertEqual(found_addresses(doc), ["127.0.0.1:7001", "127.0.0.1:7002"])
                    self.assertIn("tier 2: no tracker answered", err)
                    tcp = [p for p in doc["peers"] if p["meta"]["protocols"] == ["tcp"]]
                    self.assertEqual([p["addresses"] for p in tcp], [["127.0.0.1:7002"]])
                    # Another secret finds the records but opens none of them.
                    code, doc, _ = lookup_json("--tracker", http_url(a), "--secret", "not the secret")
                    self.assertEqual(doc["peers"], [])
                    # What tracker A holds is ciphertext under the derived
                    # topic; the documented construction opens it.
                    topic = sealed_keys(secret.encode())[0]
                    status, raw = api(a.http4, "GET", records_path(topic))
                    self.assertEqual(status, 200)
                    self.assertEqual(len(raw["records"]), 2)
                    opened = sorted(addresses_of(open_sealed(secret.encode(), base64.b64decode(r["sealed"])))[0]
                                    for r in raw["records"])
                    self.assertEqual(opened, ["127.0.0.1:7001", "127.0.0.1:7002"])
                    self.assertTrue(all(not r.get("addresses") for r in raw["records"]))
                a.stop(check=True)
                with open(state_a, "rb") as f:
                    held = f.read()
                self.assertIn(topic, held)  # the state file does hold the records...
                for plain in (b"127.0.0.1:7001", b"127.0.0.1:7002", marker.encode()):
                    self.assertNotIn(plain, held)  # ...but never their plaintext
            finally:
                a.kill()
                b.kill()


if __name__ == "__main__":
    unittest.main()
