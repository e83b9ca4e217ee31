"""The admin listener (admin.listen): /metrics in the Prometheus format,
checked by Debian's promtool and scraped by a real Prometheus server;
/stats.json against the traffic the test sent; the dashboard's files; and
the dashboard itself rendered in headless Chromium (tests/js/admin_dashboard.mjs).

Run: CAIRN_BIN=build/apps/cairn/cairn /usr/bin/python3 tests/integration/test_admin.py -v
"""

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairn_harness import (CairnServer, UdpTracker, cairn_binary, http_announce, http_get,  # noqa: E402
                           random_hash, random_peer_id, fresh_port)

HERE = os.path.dirname(os.path.abspath(__file__))
JS = os.path.normpath(os.path.join(HERE, "..", "js"))
MEMORY_CAP_MB = 4096  # far above what the test's server holds
POLL_TIMEOUT = 30.0  # seconds to wait for Prometheus to scrape, or a census to show


def require(tool, package):
    """The path of `tool`, or a failure naming the Debian package to install."""
    path = shutil.which(tool)
    if not path:
        raise AssertionError("%s not found: install the Debian package %s "
                             "(scripts/install-deps.sh)" % (tool, package))
    return path


def parse_metrics(text):
    """Prometheus text -> {(name, frozenset(labels)): value}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        name, _, rest = series.partition("{")
        labels = frozenset()
        if rest:
            pairs = [p for p in rest.rstrip("}").split(",") if p]
            labels = frozenset(tuple(p.split("=", 1)) for p in pairs)
            labels = frozenset((k, v.strip('"')) for k, v in labels)
        out[(name, labels)] = float(value)
    return out


def requests_of(metrics, protocol, kind, family):
    return metrics[("cairn_requests_total",
                    frozenset({("protocol", protocol), ("kind", kind), ("family", family)}))]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AdminServer(unittest.TestCase):
    """One cairn with an admin listener on an ephemeral loopback port."""

    @classmethod
    def setUpClass(cls):
        cls.server = CairnServer({"server": {"workers": 2, "max_resident_mb": MEMORY_CAP_MB}},
                                 admin_listens=["127.0.0.1:0"]).start()
        cls.admin = cls.server.admin4

    @classmethod
    def tearDownClass(cls):
        cls.server.stop(check=True)

    def get(self, target):
        return http_get(self.admin, target)

    def metrics(self):
        r = self.get("/metrics")
        self.assertEqual(r.status, 200, r.body)
        return r.body.decode()

    def stats(self, target="/stats.json"):
        r = self.get(target)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers["content-type"], "application/json")
        return json.loads(r.body)


class AdminListenerTest(AdminServer):
    def test_listens_apart_from_the_tracker(self):
        self.assertNotEqual(self.admin[1], self.server.http4[1])
        # The tracker's own port does not serve the admin pages.
        self.assertEqual(http_get(self.server.http4, "/metrics").status, 404)
        self.assertEqual(http_get(self.server.http4, "/stats.json").status, 404)

    def test_promtool_accepts_the_metrics(self):
        promtool = require("promtool", "prometheus")
        r = self.get("/metrics")
        self.assertEqual(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        check = subprocess.run([promtool, "check", "metrics"], input=r.body,
                               capture_output=True, timeout=30)
        self.assertEqual(check.returncode, 0,
                         "promtool check metrics: %s%s" % (check.stdout.decode(),
                                                           check.stderr.decode()))
        text = r.body.decode()
        for name in ("cairn_requests_total", "cairn_errors_total", "cairn_dropped_total",
                     "cairn_rate_limited_total", "cairn_connection_id_failures_total",
                     "cairn_bytes_total", "cairn_store_torrents", "cairn_store_seeders",
                     "cairn_store_leechers", "cairn_store_records",
                     "cairn_peers_per_torrent_bucket", "cairn_request_duration_seconds_bucket",
                     "cairn_memory_resident_bytes", "cairn_memory_cap_full",
                     "cairn_snapshot_duration_seconds", "cairn_snapshot_bytes"):
            self.assertIn("\n" + name, text, "no %s in /metrics" % name)

    def test_memory_against_the_cap(self):
        m = parse_metrics(self.metrics())
        self.assertEqual(m[("cairn_memory_cap_bytes", frozenset())], MEMORY_CAP_MB << 20)
        self.assertEqual(m[("cairn_memory_cap_full", frozenset())], 0)
        resident = m[("cairn_memory_resident_bytes", frozenset())]
        with open("/proc/%d/status" % self.server.proc.pid) as f:
            rss = [int(l.split()[1]) * 1024 for l in f if l.startswith("VmRSS:")][0]
        self.assertGreater(resident, 1 << 20)
        self.assertLess(abs(resident - rss), 64 << 20, "resident %d, VmRSS %d" % (resident, rss))

    def test_requests_are_counted_by_protocol_kind_and_family(self):
        before = parse_metrics(self.metrics())
        h = random_hash()
        with UdpTracker(self.server.udp4) as u4, UdpTracker(self.server.udp6) as u6:
            for _ in range(3):
                u4.announce(h, random_peer_id(), fresh_port())
            u6.announce(h, random_peer_id(), fresh_port())
            u6.scrape([h])
        for _ in range(2):
            http_announce(self.server.http4, h, random_peer_id(), fresh_port())
        after = parse_metrics(self.metrics())

        def delta(protocol, kind, family):
            return (requests_of(after, protocol, kind, family)
                    - requests_of(before, protocol, kind, family))
        self.assertEqual(delta("udp", "announce", "ipv4"), 3)
        self.assertEqual(delta("udp", "connect", "ipv4"), 1)
        self.assertEqual(delta("udp", "announce", "ipv6"), 1)
        self.assertEqual(delta("udp", "scrape", "ipv6"), 1)
        self.assertEqual(delta("http", "announce", "ipv4"), 2)
        self.assertEqual(delta("http", "announce", "ipv6"), 0)
        udp_in = ("cairn_bytes_total", frozenset({("transport", "udp"), ("direction", "in")}))
        # 2 connects (16 bytes), 4 announces (98), 1 scrape of one hash (36)
        self.assertEqual(after[udp_in] - before[udp_in], 2 * 16 + 4 * 98 + 36)
        count = ("cairn_request_duration_seconds_count", frozenset({("transport", "udp")}))
        self.assertEqual(after[count] - before[count], 2 + 4 + 1)

    def test_errors_are_counted_by_reason(self):
        before = parse_metrics(self.metrics())
        with UdpTracker(self.server.udp4) as u:
            u.connect()
            pkt, _ = u.announce_packet(random_hash(), random_peer_id(), fresh_port(),
                                       conn_id=0x1234)
            u.replies_to(pkt)
        after = parse_metrics(self.metrics())
        key = ("cairn_errors_total",
               frozenset({("protocol", "udp"), ("reason", "bad_connection_id")}))
        self.assertEqual(after[key] - before[key], 1)
        key = ("cairn_connection_id_failures_total", frozenset({("protocol", "udp")}))
        self.assertEqual(after[key] - before[key], 1)

    def test_stats_json_matches_what_was_announced(self):
        before = self.stats()["metrics"]
        busy, quiet = random_hash(), random_hash()
        with UdpTracker(self.server.udp4) as u:
            for _ in range(2):
                u.announce(busy, random_peer_id(), fresh_port(), left=0)  # seeders
            for _ in range(5):
                u.announce(busy, random_peer_id(), fresh_port(), left=10)
        http_announce(self.server.http4, quiet, random_peer_id(), fresh_port(), left=0)
        # The census behind top and the histogram is at most a second old.
        deadline = time.monotonic() + POLL_TIMEOUT
        while True:
            stats = self.stats("/stats.json?top=1")
            m = stats["metrics"]
            if (stats["top"] and stats["top"][0]["info_hash"] == busy.hex()
                    and m["peers_per_torrent"]["count"] == m["store_torrents"]):
                break
            self.assertLess(time.monotonic(), deadline,
                            "no census of the announces: top %r, %r"
                            % (stats["top"], m["peers_per_torrent"]))
            time.sleep(0.2)
        self.assertEqual(m["store_torrents"] - before["store_torrents"], 2)
        self.assertEqual(m["store_seeders"] - before["store_seeders"], 3)
        self.assertEqual(m["store_leechers"] - before["store_leechers"], 5)
        self.assertEqual(m["store_peers"] - before["store_peers"], 8)
        self.assertEqual(stats["top"], [{"info_hash": busy.hex(), "seeders": 2, "leechers": 5,
                                         "downloaded": 0}])
        announces = sum(r["value"] for r in m["requests"] if r["kind"] == "announce")
        announces_before = sum(r["value"] for r in before["requests"] if r["kind"] == "announce")
        self.assertEqual(announces - announces_before, 8)
        histogram = m["peers_per_torrent"]
        self.assertEqual(len(histogram["buckets"]), len(histogram["bounds"]) + 1)
        self.assertEqual(histogram["count"], m["store_torrents"])

    def test_top_is_capped_and_checked(self):
        self.assertLessEqual(len(self.stats("/stats.json?top=100")["top"]), 100)
        self.assertEqual(self.stats("/stats.json?top=0")["top"], [])
        for bad in ("101", "-1", "x", ""):
            r = self.get("/stats.json?top=" + bad)
            self.assertEqual(r.status, 400, bad)
            self.assertIn(b"top must be a whole number from 0 to 100", r.body)

    def test_dashboard_files_are_served_from_the_binary(self):
        page = self.get("/")
        self.assertEqual(page.status, 200)
        self.assertEqual(page.headers["content-type"], "text/html; charset=utf-8")
        self.assertIn(b'<script src="/dashboard.js">', page.body)
        script = self.get("/dashboard.js")
        self.assertEqual(script.headers["content-type"], "text/javascript; charset=utf-8")
        self.assertIn(b"/stats.json", script.body)
        self.assertEqual(self.get("/dashboard.css").status, 200)
        missing = self.get("/nothing-here")
        self.assertEqual(missing.status, 404)
        self.assertIn(b"/metrics", missing.body)
        # Nothing from elsewhere: no CDN, no internet.
        self.assertNotIn(b"http://", page.body + script.body)
        self.assertNotIn(b"https://", page.body + script.body)

    def test_grafana_dashboard_queries_parse_and_name_served_metrics(self):
        promtool = require("promtool", "prometheus")
        with open(os.path.join(HERE, "..", "..", "contrib", "grafana", "cairn.json")) as f:
            dashboard = json.load(f)
        exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
        self.assertGreater(len(exprs), 10)
        served = set(re.findall(r"^(cairn_\w+)", self.metrics(), re.M))
        for expr in exprs:
            for name in re.findall(r"\b(cairn_\w+)", expr):
                self.assertIn(name, served, "the dashboard's %r names no metric Cairn serves"
                              % expr)
        # Every query is valid PromQL: promtool checks them as recording rules.
        with tempfile.TemporaryDirectory(prefix="cairn-grafana-") as tmp:
            rules = os.path.join(tmp, "rules.yml")
            with open(rules, "w") as f:
                f.write("groups:\n  - name: grafana\n    rules:\n")
                for i, expr in enumerate(exprs):
                    concrete = expr.replace("$instance", ".*").replace("$job", ".*")
                    f.write("      - record: grafana_panel_%d\n        expr: %s\n"
                            % (i, json.dumps(concrete)))
            check = subprocess.run([promtool, "check", "rules", rules], capture_output=True,
                                   timeout=30)
            self.assertEqual(check.returncode, 0, check.stdout.decode() + check.stderr.decode())

    def test_a_flood_of_connections_is_capped_per_address(self):
        # 16 connections per address (AdminListener): those beyond are closed
        # at once, and another address is still served meanwhile.
        held = []
        try:
            for _ in range(24):
                held.append(socket.create_connection(self.admin))
            closed, deadline = set(), time.monotonic() + 5
            while len(closed) < 24 - 16 and time.monotonic() < deadline:
                ready, _, _ = select.select([s for s in held if s not in closed], [], [], 0.2)
                for s in ready:
                    try:
                        if s.recv(1) == b"":
                            closed.add(s)
                    except ConnectionResetError:
                        closed.add(s)
            self.assertEqual(len(closed), 24 - 16)
            # The others are open and still served.
            opened = [s for s in held if s not in closed]
            opened[0].sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            opened[0].settimeout(5)
            self.assertTrue(opened[0].recv(4096).startswith(b"HTTP/1.1 200"))
            r = http_get(self.admin, "/health", source="127.0.0.2")
            self.assertEqual(r.status, 200)
        finally:
            for s in held:
                s.close()

    def test_other_methods_are_refused(self):
        with socket.create_connection(self.admin) as s:
            s.sendall(b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 405"))


class AdminConfigTest(unittest.TestCase):
    def test_off_means_no_listener(self):
        with CairnServer({"admin": {"listen": []}}, extra_args=[]) as s:
            self.assertIsNone(s.admin4)
            self.assertFalse([l for l in s.listening if l[0] == "admin"])

    def test_config_key_is_read(self):
        port = free_port()
        with tempfile.TemporaryDirectory(prefix="cairn-admin-") as tmp:
            cfg = os.path.join(tmp, "cairn.toml")
            with open(cfg, "w") as f:
                f.write('[admin]\nlisten = ["127.0.0.1:%d"]\n' % port)
            proc = subprocess.Popen([cairn_binary(), "serve", "--config", cfg, "--listen",
                                     "127.0.0.1:0"], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            try:
                lines = [proc.stdout.readline().decode().strip() for _ in range(3)]
                self.assertIn("listening admin 127.0.0.1:%d" % port, lines)
                self.assertEqual(http_get(("127.0.0.1", port), "/health").status, 200)
            finally:
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(timeout=10), 0)

    def test_a_port_in_use_is_refused(self):
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            port = holder.getsockname()[1]
            p = subprocess.run([cairn_binary(), "serve", "--listen", "127.0.0.1:0",
                                "--admin-listen", "127.0.0.1:%d" % port],
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
            self.assertEqual(p.returncode, 1)
            self.assertEqual(p.stdout, b"")
            self.assertEqual(p.stderr.decode(),
                             "cairn: cannot listen on admin 127.0.0.1:%d: address already in use "
                             "(by another process)\n" % port)

    def test_a_bad_address_is_refused(self):
        p = subprocess.run([cairn_binary(), "serve", "--admin-listen", "localhost:6970"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr.decode(), "cairn: --admin-listen localhost:6970: not an "
                         "address:port (IPv6 in brackets)\n")


class SnapshotMetricsTest(unittest.TestCase):
    def test_snapshot_saves_are_measured(self):
        with tempfile.TemporaryDirectory(prefix="cairn-admin-state-") as tmp:
            state = os.path.join(tmp, "state.bin")
            with CairnServer({"server": {"snapshot_interval": 1}}, extra_args=["--state", state],
                             admin_listens=["127.0.0.1:0"]) as s:
                with UdpTracker(s.udp4) as u:
                    u.announce(random_hash(), random_peer_id(), fresh_port(), left=0)
                saved = ("cairn_snapshots_total", frozenset({("outcome", "saved")}))
                deadline = time.monotonic() + POLL_TIMEOUT
                while True:
                    m = parse_metrics(http_get(s.admin4, "/metrics").body.decode())
                    if m[saved] >= 1 and m[("cairn_snapshot_bytes", frozenset())] > 0:
                        break
                    self.assertLess(time.monotonic(), deadline, "no snapshot measured")
                    time.sleep(0.2)
                # The size is that of a file saved since (the last save's).
                self.assertGreater(os.path.getsize(state), 0)
                failed = ("cairn_snapshots_total", frozenset({("outcome", "failed")}))
                self.assertEqual(m[failed], 0)
                self.assertGreaterEqual(m[("cairn_snapshot_duration_seconds", frozenset())], 0)


class Prometheus:
    """A Prometheus server on a loopback port, scraping `target` every second,
    its data in a temporary folder; stopped by stop() whatever happened."""

    def __init__(self, target):
        self.binary = require("prometheus", "prometheus")
        self.tmp = tempfile.TemporaryDirectory(prefix="cairn-prometheus-")
        config = os.path.join(self.tmp.name, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: cairn\n    static_configs:\n"
                    "      - targets: ['%s:%d']\n" % target)
        self.port = free_port()
        self.log = open(os.path.join(self.tmp.name, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            [self.binary, "--config.file=" + config,
             "--storage.tsdb.path=" + os.path.join(self.tmp.name, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)

    def log_tail(self):
        with open(os.path.join(self.tmp.name, "prometheus.log"), "rb") as f:
            return f.read()[-3000:].decode("utf-8", "replace")

    def api(self, path):
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.port, path), timeout=5) as r:
            return r.status, r.read()

    def wait_ready(self):
        deadline = time.monotonic() + POLL_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("prometheus exited with %r\n%s"
                                     % (self.proc.returncode, self.log_tail()))
            try:
                if self.api("/-/ready")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("prometheus not ready within %.0fs\n%s"
                             % (POLL_TIMEOUT, self.log_tail()))

    def query(self, expr):
        """The value of an instant query with one result, or None."""
        status, body = self.api("/api/v1/query?query=" + urllib.request.quote(expr))
        reply = json.loads(body)
        assert reply["status"] == "success", reply
        result = reply["data"]["result"]
        return float(result[0]["value"][1]) if len(result) == 1 else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.tmp.cleanup()


class PrometheusScrapeTest(AdminServer):
    def test_prometheus_scrapes_cairn(self):
        prometheus = Prometheus(self.admin)
        self.addCleanup(prometheus.stop)
        prometheus.wait_ready()
        h = random_hash()
        udp, http = 7, 4
        with UdpTracker(self.server.udp4) as u:
            for _ in range(udp):
                u.announce(h, random_peer_id(), fresh_port())
        for _ in range(http):
            http_announce(self.server.http4, h, random_peer_id(), fresh_port())
        # What this server counted is exactly this test's traffic (the class's
        # server serves this test only).
        expected = {
            'up{job="cairn"}': 1,
            'sum(cairn_requests_total{protocol="udp",kind="announce"})': udp,
            'sum(cairn_requests_total{protocol="http",kind="announce"})': http,
            'cairn_store_torrents': 1,
            'cairn_store_peers': udp + http,
        }
        deadline = time.monotonic() + POLL_TIMEOUT
        while True:
            seen = {expr: prometheus.query(expr) for expr in expected}
            if seen == expected:
                break
            if time.monotonic() > deadline:
                self.fail("Prometheus saw %r, expected %r\n%s"
                          % (seen, expected, prometheus.log_tail()))
            time.sleep(0.5)


class DashboardInChromiumTest(AdminServer):
    def test_dashboard_shows_the_live_torrent_count(self):
        node = require("node", "nodejs")
        require("chromium", "chromium")
        if not os.path.isdir(os.path.join(JS, "node_modules", "playwright-core")):
            raise AssertionError("tests/js/node_modules is missing: run scripts/install-deps.sh")
        torrents = 3
        with UdpTracker(self.server.udp4) as u:
            for _ in range(torrents):
                u.announce(random_hash(), random_peer_id(), fresh_port(), left=0)
        with tempfile.TemporaryDirectory(prefix="cairn-dashboard-") as tmp:
            shot = os.path.join(tmp, "dashboard.png")
            url = "http://%s:%d/" % self.admin
            r = subprocess.run([node, os.path.join(JS, "admin_dashboard.mjs"), url,
                                str(torrents), shot], capture_output=True, text=True,
                               timeout=150, cwd=JS)
            self.assertEqual(r.returncode, 0, "dashboard: %s%s" % (r.stdout, r.stderr))
            shown = json.loads(r.stdout.strip().splitlines()[-1])
            self.assertEqual(shown["torrents"], str(torrents))
            self.assertEqual(len(shown["top"]), torrents)
            self.assertEqual(shown["foreign"], [], "the page loaded something from elsewhere")
            self.assertEqual(shown["errors"], [])
            self.assertTrue(shown["status"].startswith("live"), shown["status"])
            with open(shot, "rb") as f:
                png = f.read()
            self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
            self.assertGreater(len(png), 10000)  # a page drawn, not a blank
            keep = os.environ.get("CAIRN_DASHBOARD_SCREENSHOT")
            if keep:
                shutil.copy(shot, keep)


if __name__ == "__main__":
    unittest.main()
