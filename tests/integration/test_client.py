#!/usr/bin/python3
"""`cairn announce` and `cairn lookup` against real `cairn serve` processes:
rendezvous topics, info hashes and sealed records over http:// and udp://;
BEP 12 failover within a tier (a tracker that is down, one that answers
errors, one that works) and tiers in parallel; re-announcing keeps a record
alive past its TTL, Ctrl-C withdraws it, and a client that dies is pruned;
`cairn punch --topic` on loopback (the NAT lab, tests/nat/, runs it behind
NATs). The last test is the one the rendezvous issue is done by: two announcers
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
    """An HTTP server that answers everything with 503 and a JSON error, and
    counts the requests it got."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self):
            self.server.requests += 1
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
        self.httpd.requests = 0
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/announce" % self.httpd.server_address[1]
        return self

    def __exit__(self, *a):
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def requests(self):
        return self.httpd.requests


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
            self.assertIn("tier 1: failed; http://127.0.0.1:", err)
            self.assertIn("tracker_full", err)
            self.assertNotIn("no tracker answered", err)
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


    # What a new user hits first (issue 8, items 11-15).

    def test_errors_go_to_stderr_and_results_to_stdout(self):
        topic = random_topic().hex()
        dead = "http://127.0.0.1:%d/announce" % closed_port()
        r = cli("announce", "--once", "--tracker", dead, "--topic", topic, "--addr", ":7500", *TIMEOUT)
        self.assertEqual((r.returncode, r.stdout), (1, ""), r.stderr)
        self.assertIn("tier 1: no tracker answered; " + dead + ": cannot connect", r.stderr)
        # One tier accepts, one fails: the result on stdout, the failure on stderr.
        r = cli("announce", "--once", "--tracker", udp_url(self.server), "--tracker", dead,
                "--topic", topic, "--addr", ":7500", *TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "announced to %s (tier 1)\n" % udp_url(self.server))
        self.assertIn("tier 2: no tracker answered", r.stderr)
        r = cli("lookup", "--tracker", dead, "--topic", topic, *TIMEOUT)
        self.assertEqual((r.returncode, r.stdout), (1, ""))
        self.assertIn("tier 1: no tracker answered", r.stderr)

    def test_once_promises_no_reannounce(self):
        topic = random_topic().hex()
        r = cli("announce", "--once", "--tracker", http_url(self.server), "--topic", topic,
                "--addr", ":7501", *TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("again in", r.stdout)
        # Without --once, the announcer does come back, and says when.
        with Announcer("--tracker", http_url(self.server), "--topic", topic, "--addr", ":7501") as a:
            self.assertRegex(a.wait_for("announced to")[0], r"again in \d+ s$")

    def test_bad_arguments_are_refused_before_anything_is_sent(self):
        topic = random_topic().hex()
        with ErrorTracker() as t:
            for args, says in [
                    (["--addr", "1.2.3.4"], "--addr 1.2.3.4: need IP:PORT"),
                    (["--addr", "1.2.3.4:0"], "--addr 1.2.3.4:0: need IP:PORT"),
                    (["--addr", "[::1:7000"], "--addr [::1:7000: need IP:PORT"),
                    (["--addr", "tracker.example:7000"], "or a URL"),
                    (["--addr", ":7000", "--meta", "protocol=web rtc"],
                     "cairn announce: protocol \"web rtc\": need 1 to 32 of A-Z a-z 0-9 . + _ / -"),
                    (["--addr", ":7000", "--meta", "app=a", "--meta", "app=b"],
                     "cairn announce: tag \"app\" given twice"),
                    (["--addr", ":7000", "--meta", "note=" + "x" * 256],
                     "cairn announce: tag \"note\": need a value of at most 255 bytes of UTF-8"),
                    (["--addr", ":7000", "--meta", "up=fast"], "--meta up=fast: not a number")]:
                r = cli("announce", "--once", "--tracker", t.url, "--topic", topic, *args, *TIMEOUT)
                self.assertEqual((r.returncode, r.stdout), (2, ""), (args, r.stderr))
                self.assertIn(says, r.stderr, args)
            self.assertEqual(t.requests, 0)

    def test_a_tracker_that_answers_an_error_did_answer(self):
        with ErrorTracker() as t:
            r = cli("announce", "--once", "--tracker", t.url, "--topic", random_topic().hex(),
                    "--addr", ":7502", *TIMEOUT)
            self.assertEqual(r.returncode, 1)
            self.assertIn("tier 1: failed; %s: tracker_full: always" % t.url, r.stderr)
            self.assertNotIn("no tracker answered", r.stderr)

    def test_options_bittorrent_cannot_carry_are_refused(self):
        h = random_hash().hex()
        udp = "udp://127.0.0.1:%d" % closed_port()
        with ErrorTracker() as t:
            for tracker, args, says in [
                    (t.url, ["--addr", ":7503", "--meta", "app=x"], "--meta: BitTorrent announces carry no metadata (--topic and --secret do)"),
                    (t.url, ["--addr", ":7503", "--ttl", "60"], "--ttl: BitTorrent announces carry no TTL"),
                    (t.url, ["--addr", ":7503", "--addr", ":7504"], "--addr: a BitTorrent announce carries one address"),
                    (t.url, ["--addr", "http://me.example:7503"], "--addr http://me.example:7503: need IP:PORT or :PORT"),
                    (udp, ["--addr", "[2001:db8::5]:7503"],
                     "--addr [2001:db8::5]:7503: a UDP tracker (BEP 15) carries only an IPv4 address")]:
                r = cli("announce", "--once", "--tracker", tracker, "--info-hash", h, *args, *TIMEOUT)
                self.assertEqual((r.returncode, r.stdout), (2, ""), (args, r.stderr))
                self.assertIn(says, r.stderr, args)
            r = cli("lookup", "--tracker", t.url, "--info-hash", h, "--capability", "webrtc", *TIMEOUT)
            self.assertEqual(r.returncode, 2)
            self.assertIn("--capability: BitTorrent peers list no protocols", r.stderr)
            self.assertEqual(t.requests, 0)

    def test_an_announced_ip_is_sent_and_the_user_told_when_it_counts(self):
        h = random_hash().hex()
        r = cli("announce", "--once", "--tracker", udp_url(self.server), "--info-hash", h,
                "--addr", "10.0.0.5:7505", *TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("10.0.0.5 is used only by trackers that trust addresses clients give "
                      "(Cairn: tracker.allow_client_ip)", r.stderr)
        # This tracker does not: it keeps the address it saw.
        code, doc, _ = lookup_json("--tracker", http_url(self.server), "--info-hash", h)
        self.assertEqual(found_addresses(doc), ["127.0.0.1:7505"])

    def test_info_hash_in_every_form(self):
        v1 = random_hash()
        v2 = os.urandom(32)
        b32 = base64.b32encode(v1).decode()
        with ErrorTracker() as t:  # a bad form never reaches a tracker
            r = cli("lookup", "--tracker", t.url, "--info-hash", "urn:btmh:1114" + v1.hex(), *TIMEOUT)
            self.assertEqual(r.returncode, 2)
            self.assertIn("--info-hash urn:btmh:1114%s: urn:btmh:1114%s: need 1220 and 64 hex digits"
                          % (v1.hex(), v1.hex()), r.stderr)
            self.assertEqual(t.requests, 0)
        for announced, looked_up, port in [
                ("magnet:?xt=urn:btih:%s&dn=x" % b32, "urn:btih:" + v1.hex(), 7506),
                (b32.lower(), v1.hex().upper(), 7507),
                (v2.hex(), "urn:btmh:1220" + v2.hex(), 7508),
                ("magnet:?xt=urn:btmh:1220%s" % v2.hex(), v2[:20].hex(), 7509)]:
            r = cli("announce", "--once", "--tracker", udp_url(self.server), "--info-hash", announced,
                    "--addr", ":%d" % port, *TIMEOUT)
            self.assertEqual(r.returncode, 0, (announced, r.stderr))
            code, doc, err = lookup_json("--tracker", http_url(self.server), "--info-hash", looked_up)
            self.assertEqual(code, 0, (looked_up, err))
            self.assertIn("127.0.0.1:%d" % port, found_addresses(doc), looked_up)

    def test_a_lookup_that_finds_nothing_says_so(self):
        h = random_hash().hex()
        r = cli("announce", "--once", "--tracker", udp_url(self.server), "--info-hash", h,
                "--addr", ":7510", *TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        udp6 = "udp://[%s]:%d" % self.server.udp6
        r = cli("lookup", "--tracker", udp6, "--info-hash", h, *TIMEOUT)
        self.assertEqual((r.returncode, r.stdout), (3, ""), r.stderr)
        self.assertIn("no peers found; %s answers with IPv6 peers only" % udp6, r.stderr)
        code, doc, err = lookup_json("--tracker", udp6, "--info-hash", h)
        self.assertEqual((code, doc["peers"]), (3, []), err)
        code, doc, err = lookup_json("--tracker", udp_url(self.server), "--info-hash", h)
        self.assertEqual((code, found_addresses(doc)), (0, ["127.0.0.1:7510"]), err)
        r = cli("lookup", "--tracker", http_url(self.server), "--topic", random_topic().hex(), *TIMEOUT)
        self.assertEqual((r.returncode, r.stdout), (3, ""))
        self.assertIn("cairn lookup: no peers found", r.stderr)
        self.assertNotIn("only", r.stderr)
        r = cli("lookup", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"3 +a tracker answered, but no peer was found")


class PunchOnLoopback(unittest.TestCase):
    """`cairn punch --topic HEX` (the lab, tests/nat/, runs it with
    --secret behind NATs): two processes on one topic find each other and
    exchange a datagram directly; one alone says why there is no path and
    exits 1 within its timeout."""

    def punch(self, server, topic, name, timeout):
        return subprocess.Popen(
            [cairn_binary(), "punch", "--tracker", udp_url(server), "--topic", topic,
             "--timeout", str(timeout), "--message", "hello from " + name],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def test_two_punch_on_one_topic_and_talk_directly(self):
        with CairnServer(CONFIG) as server:
            topic = random_topic().hex()
            a, b = self.punch(server, topic, "a", 15), self.punch(server, topic, "b", 15)
            outs = {}
            for name, p in (("a", a), ("b", b)):
                try:
                    outs[name] = p.communicate(timeout=25) + (p.returncode,)
                finally:
                    p.kill()
            for name, other in (("a", "b"), ("b", "a")):
                out, err, rc = outs[name]
                self.assertEqual(rc, 0, (out, err))
                self.assertRegex(out.strip(), r"^direct 127\.0\.0\.1:\d+$", err)
                self.assertIn('received "hello from %s"' % other, err)

    def test_alone_no_direct_path_within_the_timeout(self):
        with CairnServer(CONFIG) as server:
            start = time.monotonic()
            p = self.punch(server, random_topic().hex(), "a", 2)
            try:
                out, err = p.communicate(timeout=10)
            finally:
                p.kill()
            self.assertEqual(p.returncode, 1, (out, err))
            self.assertEqual(out.strip(),
                             "no direct path: no other peer showed up under the topic", err)
            self.assertLess(time.monotonic() - start, 5)


class AllowClientIp(unittest.TestCase):
    def test_a_trusting_tracker_records_the_ip_given(self):
        with CairnServer({"tracker": {"allow_client_ip": True}}) as server:
            h = random_hash().hex()
            for tracker, addr in [(udp_url(server), "10.0.0.5:7511"), (http_url(server), "10.0.0.6:7512")]:
                r = cli("announce", "--once", "--tracker", tracker, "--info-hash", h, "--addr", addr, *TIMEOUT)
                self.assertEqual(r.returncode, 0, r.stderr)
            code, doc, err = lookup_json("--tracker", http_url(server), "--info-hash", h)
            self.assertEqual(found_addresses(doc), ["10.0.0.5:7511", "10.0.0.6:7512"], err)


class Usage(unittest.TestCase):
    def test_no_arguments_prints_the_help_and_exits_2(self):
        r = cli()
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertIn("Usage: cairn", r.stderr)
        self.assertIn("announce", r.stderr)

    def test_a_command_line_error_exits_2(self):
        for args in (["lookup"], ["lookup", "--tracker", "udp://x:1", "--topic", "abc"],
                     ["announce", "--tracker", "udp://x:1", "--topic", "0" * 40],
                     ["lookup", "--bogus"]):
            r = cli(*args)
            self.assertEqual((r.returncode, r.stdout), (2, ""), (args, r.stderr))
            self.assertTrue(r.stderr.strip(), args)

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
