"""Built-in TLS: https for announce, scrape and the rendezvous API, wss for
the WebSocket tracker, certificates from a CA made at test time, reload on
SIGHUP while connections stay up, and start-up errors a person can act on."""

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from cairn_harness import (CairnServer, ServerError, announce_query, bdecode, cairn_binary,
                           random_hash, random_peer_id)
from tls_certs import TestCA
from ws_client import WsClient, announce, lat


def curl(*args):
    if shutil.which("curl") is None:
        raise RuntimeError("the TLS tests need curl (Debian package curl; "
                           "scripts/install-deps.sh installs it)")
    return subprocess.run(["curl", "--silent", "--show-error", "--max-time", "10", *args],
                          capture_output=True, timeout=20)


def served_serial(addr, ca_path):
    """The serial number of the certificate a new connection is served."""
    ctx = ssl.create_default_context(cafile=ca_path)
    with socket.create_connection(addr, timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            der = s.getpeercert(binary_form=True)
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-serial"],
                         input=der, capture_output=True, check=True).stdout
    return int(out.decode().strip().split("=")[1], 16)


class Tls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="cairn-tls-")
        cls.ca = TestCA(cls.tmp.name)
        cert, key = cls.ca.issue("server")
        # The served pair lives at fixed paths a reload reads again.
        cls.cert = os.path.join(cls.tmp.name, "live.pem")
        cls.key = os.path.join(cls.tmp.name, "live-key.pem")
        shutil.copy(cert, cls.cert)
        shutil.copy(key, cls.key)
        cls.server = CairnServer(
            config={"tls": {"cert_file": cls.cert, "key_file": cls.key}},
            tls_listens=("127.0.0.1:0", "[::1]:0")).start()
        cls.https = cls.server.https4

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def context(self):
        return ssl.create_default_context(cafile=self.ca.path)

    def url(self, path, addr=None):
        host, port = addr or self.https
        host = "[%s]" % host if ":" in host else host
        return "https://%s:%d%s" % (host, port, path)

    def test_https_announce_and_scrape_with_curl(self):
        ih, pid = random_hash(), random_peer_id()
        r = curl("--cacert", self.ca.path,
                 self.url("/announce?" + announce_query(ih, pid, 6881, left=0)))
        self.assertEqual(r.returncode, 0, r.stderr)
        reply = bdecode(r.stdout)
        self.assertEqual(reply[b"complete"], 1)
        query = "info_hash=" + "".join("%%%02X" % b for b in ih)
        r = curl("--cacert", self.ca.path, self.url("/scrape?" + query))
        self.assertEqual(bdecode(r.stdout)[b"files"][ih][b"complete"], 1)
        # Over IPv6 too, and the certificate is checked: without the CA, refused.
        r = curl("--cacert", self.ca.path, self.url("/health", self.server.https6))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = curl(self.url("/health"))
        self.assertNotEqual(r.returncode, 0)

    def test_https_rendezvous_api(self):
        r = curl("--cacert", self.ca.path, self.url("/v1/whoami"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["address"], "127.0.0.1")

    def cli(self, *args):
        return subprocess.run([cairn_binary(), *args, "--timeout-ms", "3000"],
                              capture_output=True, text=True, timeout=30)

    def test_cairn_client_over_https_verifies_the_certificate(self):
        h = random_hash().hex()
        host, port = self.https
        by_ip = "https://%s:%d/announce" % (host, port)
        by_name = "https://localhost:%d/announce" % port
        r = self.cli("announce", "--once", "--tracker", by_ip, "--ca", self.ca.path,
                     "--info-hash", h, "--addr", "127.0.0.1:6881")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # By name (SNI, the DNS entry), the announcer is found.
        r = self.cli("lookup", "--tracker", by_name, "--ca", self.ca.path, "--info-hash", h,
                     "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        found = [a for p in json.loads(r.stdout)["peers"] for a in p["addresses"]]
        self.assertIn("127.0.0.1:6881", found)
        # The rendezvous API over https too.
        topic = os.urandom(20).hex()
        r = self.cli("announce", "--once", "--tracker", by_ip, "--ca", self.ca.path,
                     "--topic", topic, "--addr", "127.0.0.1:7000")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.cli("lookup", "--tracker", by_name, "--ca", self.ca.path, "--topic", topic,
                     "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        found = [a for p in json.loads(r.stdout)["peers"] for a in p["addresses"]]
        self.assertEqual(found, ["127.0.0.1:7000"])
        # Without the private CA (the system's are trusted): refused, and said why.
        r = self.cli("lookup", "--tracker", by_ip, "--info-hash", h)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("certificate not trusted", r.stderr)
        # Another CA's certificate for the same names is refused too.
        other = TestCA(tempfile.mkdtemp(dir=self.tmp.name))
        r = self.cli("lookup", "--tracker", by_ip, "--ca", other.path, "--info-hash", h)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("certificate not trusted", r.stderr)
        # A --ca that is not PEM certificates is a usage error naming it.
        r = self.cli("lookup", "--tracker", by_ip, "--ca", self.key_not_cert(), "--info-hash", h)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--ca", r.stderr)

    def key_not_cert(self):
        path = os.path.join(self.tmp.name, "not-a-cert.txt")
        with open(path, "w") as f:
            f.write("not a certificate\n")
        return path

    def test_tls_versions(self):
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = self.context()
            ctx.minimum_version = ctx.maximum_version = version
            with socket.create_connection(self.https, timeout=5) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                    self.assertEqual(s.version(), version.name.replace("v1_", "v1."))
        # 1.3 when the client offers both.
        with socket.create_connection(self.https, timeout=5) as raw:
            with self.context().wrap_socket(raw, server_hostname="localhost") as s:
                self.assertEqual(s.version(), "TLSv1.3")

    def test_wss_tracker(self):
        ih = os.urandom(20)
        a = WsClient(self.https, tls_context=self.context())
        b = WsClient(self.https, path="/announce", tls_context=self.context())
        for ws, n in ((a, 1), (b, 2)):
            self.addCleanup(ws.sock.close)
            self.assertEqual(ws.status, 101)
        b.send_json(announce(ih, b"B" * 20, event="started"))
        self.assertEqual(b.recv_json()["incomplete"], 1)
        offer = {"type": "offer", "sdp": "x" * 20000}  # more than one TLS record
        a.send_json(announce(ih, b"A" * 20, event="started",
                             offers=[(b"o" * 20, offer)]))
        self.assertEqual(a.recv_json()["incomplete"], 2)
        got = b.recv_json()
        self.assertEqual((got["peer_id"], got["offer"]), (lat(b"A" * 20), offer))

    def test_plain_http_on_the_tls_port_is_closed(self):
        with socket.create_connection(self.https, timeout=5) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            self.assertNotIn(b"HTTP/1.1", data)  # an alert at most, then the close
        r = curl("--cacert", self.ca.path, self.url("/health"))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_sighup_reloads_while_connections_stay_up(self):
        ws = WsClient(self.https, tls_context=self.context())
        self.addCleanup(ws.sock.close)
        ih = os.urandom(20)
        ws.send_json(announce(ih, b"K" * 20, event="started"))
        ws.recv_json()
        before = served_serial(self.https, self.ca.path)
        cert, key = self.ca.issue("renewed", key_type="rsa")
        shutil.copy(cert, self.cert)
        shutil.copy(key, self.key)
        self.server.proc.send_signal(signal.SIGHUP)
        self.wait_for_log("tls: certificate and key reloaded")
        after = served_serial(self.https, self.ca.path)
        self.assertNotEqual(after, before)
        self.assertEqual(after, self.ca.serial)
        # The connection opened before the reload goes on.
        ws.send_json(announce(ih, b"K" * 20))
        self.assertEqual(ws.recv_json()["incomplete"], 1)
        # A broken pair (a key that is not the certificate's) is refused;
        # the renewed pair stays in use.
        _, other_key = self.ca.issue("stray")
        shutil.copy(other_key, self.key)
        self.server.proc.send_signal(signal.SIGHUP)
        self.wait_for_log("tls: certificate not reloaded, keeping the old one")
        self.assertEqual(served_serial(self.https, self.ca.path), after)
        shutil.copy(key, self.key)

    def wait_for_log(self, text, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.server.stderr_tail(1 << 20):
                return
            time.sleep(0.05)
        self.fail("no %r in the log:\n%s" % (text, self.server.stderr_tail()))


class StartupErrors(unittest.TestCase):
    def run_serve(self, *args):
        return subprocess.run([cairn_binary(), "serve", "--listen", "127.0.0.1:0",
                               "--admin-listen", "off", *args],
                              capture_output=True, text=True, timeout=20,
                              stdin=subprocess.DEVNULL)

    def test_errors_name_the_file_and_what_was_expected(self):
        with tempfile.TemporaryDirectory(prefix="cairn-tls-") as tmp:
            ca = TestCA(tmp)
            cert, key = ca.issue("server")
            _, stray = ca.issue("stray")
            missing = os.path.join(tmp, "missing.pem")
            cases = [
                (["--tls-listen", "127.0.0.1:0"],
                 "tls.listen needs tls.cert_file and tls.key_file"),
                (["--tls-cert", cert, "--tls-key", key],
                 "tls.listen (--tls-listen) is empty"),
                (["--tls-listen", "127.0.0.1:0", "--tls-cert", missing, "--tls-key", key],
                 'tls.cert_file "%s" cannot be read: No such file or directory' % missing),
                (["--tls-listen", "127.0.0.1:0", "--tls-cert", key, "--tls-key", key],
                 "(expected PEM: the server's certificate first, then its chain)"),
                (["--tls-listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", stray],
                 'tls.key_file "%s" is not the key of the certificate in "%s"' % (stray, cert)),
            ]
            for args, message in cases:
                r = self.run_serve(*args)
                self.assertNotEqual(r.returncode, 0, args)
                self.assertIn(message, r.stderr, args)
                self.assertNotIn("listening", r.stdout)


if __name__ == "__main__":
    unittest.main()
