"""Interop with JavaScript peers nobody here wrote (tests/js, npm packages
locked in its package-lock.json): the npm bittorrent-tracker Client over
ws:// and wss:// (start, update, scrape, stop; two clients find each other
and open a WebRTC data channel), and two WebTorrent peers in headless
Chromium exchanging a file through Cairn, their only tracker.

The whole test runs in a network namespace of its own with only loopback
up (it re-runs itself under `unshare --net`), so the browsers and WebRTC
can reach nothing but 127.0.0.1 and ::1."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from cairn_harness import CairnServer
from tls_certs import TestCA

HERE = os.path.dirname(os.path.abspath(__file__))
JS = os.path.join(HERE, "..", "js")
IN_NAMESPACE = "CAIRN_TEST_NETNS"


def require_tools():
    for tool, package in (("node", "nodejs"), ("chromium", "chromium")):
        if shutil.which(tool) is None:
            raise RuntimeError("the interop test needs %s (Debian package %s; "
                               "scripts/install-deps.sh installs it)" % (tool, package))
    if not os.path.isdir(os.path.join(JS, "node_modules", "bittorrent-tracker")):
        raise RuntimeError("tests/js/node_modules is missing: run scripts/install-deps.sh "
                           "(npm ci in tests/js)")


def node(script, url, env=None, timeout=150):
    r = subprocess.run(["node", os.path.join(JS, script), url], capture_output=True, text=True,
                       timeout=timeout, env=dict(os.environ, **(env or {})), cwd=JS)
    return r.returncode, r.stdout + r.stderr


class JsInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_tools()
        cls.tmp = tempfile.TemporaryDirectory(prefix="cairn-js-")
        cls.ca = TestCA(cls.tmp.name)
        cert, key = cls.ca.issue("server")
        cls.server = CairnServer(config={"tls": {"cert_file": cert, "key_file": key}},
                                 listens=("127.0.0.1:0",),
                                 tls_listens=("127.0.0.1:0",)).start()
        cls.ws = "ws://127.0.0.1:%d" % cls.server.http4[1]
        # The certificate names localhost (and 127.0.0.1).
        cls.wss = "wss://localhost:%d" % cls.server.https4[1]
        cls.ca_env = {"NODE_EXTRA_CA_CERTS": cls.ca.path}

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def run_js(self, script, url, env=None):
        code, out = node(script, url, env)
        self.assertEqual(code, 0, "%s %s:\n%s\n--- cairn stderr ---\n%s"
                         % (script, url, out, self.server.stderr_tail()))
        self.assertIn("ok: ", out)
        return out

    def test_bittorrent_tracker_client_ws(self):
        out = self.run_js("tracker_clients.mjs", self.ws)
        self.assertIn("ok: done", out)

    def test_bittorrent_tracker_client_wss(self):
        out = self.run_js("tracker_clients.mjs", self.wss, self.ca_env)
        self.assertIn("ok: done", out)

    def test_webtorrent_browsers_exchange_a_file_ws(self):
        out = self.run_js("browser_transfer.mjs", self.ws)
        self.assertIn("SHA-256 matches", out)

    def test_webtorrent_browsers_exchange_a_file_wss(self):
        out = self.run_js("browser_transfer.mjs", self.wss)
        self.assertIn("SHA-256 matches", out)


def main():
    if os.environ.get(IN_NAMESPACE) != "1":
        if shutil.which("unshare") is None:
            raise SystemExit("the interop test needs unshare (util-linux) to run in a network "
                             "namespace of its own")
        inner = "ip link set lo up && exec %s %s" % (
            sys.executable, " ".join(map(repr, [os.path.abspath(__file__)] + sys.argv[1:])))
        r = subprocess.run(["unshare", "--net", "--map-root-user", "--", "sh", "-c", inner],
                           env=dict(os.environ, **{IN_NAMESPACE: "1"}))
        raise SystemExit(r.returncode)
    unittest.main()


if __name__ == "__main__":
    main()
