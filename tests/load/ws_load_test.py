#!/usr/bin/python3
"""`cairn load --mode ws` and `--mode wss` against a real `cairn serve`
(plain HTTP and a TLS listener with a test CA's certificate made now).

1. Each mode for about two seconds with a few hundred connections: every
   connection upgraded, no invalid reply, no tracker error, no timeout, and
   announces, scrapes, offers and answers all flowed (every offer answered,
   answers came back to the peers that offered).
2. A ws preload with --hold: the "held" line comes once every connection
   has announced, and an HTTP scrape of every torrent then counts them all;
   after the generator exits (its connections closed) it counts none.

Uses the integration tests' harness. CAIRN_BIN names the binary.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from cairn_harness import CairnServer, bdecode, cairn_binary  # noqa: E402
from tls_certs import TestCA  # noqa: E402

CONNECTIONS = 128  # per thread: 16 per source address over both
RUN = ["--connections", str(CONNECTIONS), "--threads", "2", "--warmup", "0.5", "--duration", "2",
       "--timeout-ms", "5000", "--json"]


def target(endpoint):
    return "%s:%d" % endpoint


def run_load(*args, timeout=60):
    cmd = [cairn_binary(), "load", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError("%s exited %d: %s%s" % (" ".join(cmd), done.returncode, done.stdout,
                                                     done.stderr))
    return done.stdout, json.loads(done.stdout.strip().splitlines()[-1])


def swarm_peers(server):
    """Peers over every torrent of the ws workload, by HTTP scrape (which
    counts WebSocket peers too)."""
    hashes = subprocess.run([cairn_binary(), "load", "--mode", "ws", "--print-hashes"],
                            capture_output=True, text=True, check=True).stdout.split()
    total = 0
    for at in range(0, len(hashes), 50):
        query = "&".join("info_hash=" + urllib.parse.quote(bytes.fromhex(h), safe="")
                         for h in hashes[at:at + 50])
        url = "http://%s/scrape?%s" % (target(server.http4), query)
        with urllib.request.urlopen(url, timeout=10) as reply:
            files = bdecode(reply.read())[b"files"]
        total += sum(f[b"complete"] + f[b"incomplete"] for f in files.values())
    return total


class WsLoad(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="cairn-wsload-")
        cert, key = TestCA(cls.tmp.name).issue("server")
        cls.server = CairnServer(config={"tls": {"cert_file": cert, "key_file": key}},
                                 listens=("127.0.0.1:0",), tls_listens=("127.0.0.1:0",)).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.tmp.cleanup()

    def check_run(self, mode, endpoint):
        text, r = run_load("--mode", mode, "--target", target(endpoint), *RUN)
        print(text, end="")
        self.assertEqual(r["opened"], r["lanes"], "every connection upgrades once")
        for key in ("invalid", "errors", "timeouts", "reconnects", "unanswered"):
            self.assertEqual(r[key], 0, "%s: %s" % (key, text))
        for key in ("announces", "scrapes", "offers", "answers"):
            self.assertGreater(r[key], 0, "%s: %s" % (key, text))
        self.assertEqual(r["answers_sent"], r["offers"], "every offer received is answered")
        self.assertEqual(r["responses"], r["announces"] + r["scrapes"] + r["offers"] + r["answers"])

    def test_ws(self):
        self.check_run("ws", self.server.http4)

    def test_wss(self):
        self.check_run("wss", self.server.https4)

    def test_preload_holds_connections(self):
        cmd = [cairn_binary(), "load", "--mode", "ws", "--target", target(self.server.http4),
               "--connections", str(CONNECTIONS), "--preload", "--hold", "30", "--json"]
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as gen:
            try:
                line = gen.stdout.readline()
                self.assertTrue(line.startswith("held:"), "first line %r" % line)
                self.assertEqual(swarm_peers(self.server), CONNECTIONS)
            finally:
                gen.terminate()
                gen.wait(timeout=10)
        deadline = time.monotonic() + 10
        while swarm_peers(self.server) != 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(swarm_peers(self.server), 0, "closed connections leave their swarms")


if __name__ == "__main__":
    unittest.main(verbosity=2)
