"""Running Cairn as a service: `serve --check-config` on good and bad
configurations; systemd's notification protocol seen through a fake
NOTIFY_SOCKET (READY=1 only once the ports answer, WATCHDOG=1, RELOADING=1,
STOPPING=1); `--log-format json`; SIGHUP applying live keys and naming the
rest; the periodic summary line; the access log and its rate cap; and the
packaging: `cmake --install` into a temporary prefix (binary, unit, man
page), `systemd-analyze verify` on the installed unit, `man -l` on the page.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from cairn_harness import (CairnServer, UdpTracker, cairn_binary, fresh_port, http_announce,
                           http_get, random_hash, random_peer_id, toml_config)
from tls_certs import TestCA

SOURCE_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def run_cairn(*args, timeout=30):
    return subprocess.run([cairn_binary(), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def need_tool(name, package):
    """The path of `name`, or a failure naming the package that has it."""
    path = shutil.which(name)
    if path is None:
        raise AssertionError("%s not found: install the Debian package %s "
                             "(scripts/install-deps.sh does)" % (name, package))
    return path


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))


class CheckConfigTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="cairn-check-")
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def good_config(self):
        ca = TestCA(self.dir)
        cert, key = ca.issue("server")
        self.write("allowed.txt", "# torrents\n" + "ab" * 20 + "\n")
        self.write("secrets.txt", "00112233445566778899aabbccddeeff\n")
        return {"server": {"listen": ["127.0.0.1:0"], "log_format": "json", "state_file": "state",
                           "summary_interval": 60, "access_log": True},
                "tracker": {"access_mode": "whitelist", "access_list": "allowed.txt",
                            "full_scrape_interval": 60},
                "tls": {"listen": ["127.0.0.1:0"], "cert_file": cert, "key_file": key},
                "udp": {"connection_id_secret_file": "secrets.txt"}}

    def check(self, config):
        path = self.write("cairn.toml", toml_config(config))
        return path, run_cairn("serve", "--check-config", "--config", path)

    def test_a_good_configuration_is_valid_and_nothing_is_bound(self):
        path, r = self.check(self.good_config())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "%s: the configuration is valid" % path)
        # The defaults, without --config, are valid too.
        r = run_cairn("serve", "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_each_bad_file_is_named_with_its_key(self):
        cases = []
        c = self.good_config()
        c["tls"]["cert_file"] = os.path.join(self.dir, "missing-cert.pem")
        cases.append((c, ["tls.cert_file", "missing-cert.pem"]))
        c = self.good_config()
        c["tls"]["key_file"] = self.write("not-a-key.pem", "hello\n")
        cases.append((c, ["not-a-key.pem"]))
        c = self.good_config()
        c["udp"]["connection_id_secret_file"] = self.write("bad-secrets.txt", "xyz\n")
        cases.append((c, ["udp.connection_id_secret_file", "bad-secrets.txt"]))
        c = self.good_config()
        c["tracker"]["access_list"] = "no-such-list.txt"
        cases.append((c, ["tracker.access_list", "no-such-list.txt"]))
        c = self.good_config()
        c["tracker"]["access_list"] = self.write("bad-list.txt", "not a hash\n")
        cases.append((c, ["bad-list.txt:1"]))
        c = self.good_config()
        c["store"] = {"backend": "redis", "redis_nodes": ["127.0.0.1:1"],
                      "redis_password_file": os.path.join(self.dir, "no-password")}
        cases.append((c, ["store.redis_password_file", "no-password"]))
        c = self.good_config()
        c["server"]["state_file"] = os.path.join(self.dir, "no-such-folder", "state")
        cases.append((c, ["server.state_file", "no-such-folder", "does not exist"]))
        c = self.good_config()
        c["server"]["log_format"] = "xml"
        cases.append((c, ["server.log_format", "text, json"]))
        c = self.good_config()
        c["tracker"]["no_such_key"] = 1
        cases.append((c, ["unknown key 'tracker.no_such_key'"]))
        for config, words in cases:
            _, r = self.check(config)
            self.assertEqual(r.returncode, 1, (words, r.stdout, r.stderr))
            self.assertNotIn("valid", r.stdout)
            for w in words:
                self.assertIn(w, r.stderr, words)


class NotifySocket:
    """A unix datagram socket standing in for systemd's NOTIFY_SOCKET."""

    def __init__(self, folder):
        self.path = os.path.join(folder, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages = []

    def receive(self, timeout):
        """The next message's lines as a dict, or None after `timeout`."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
        self.messages.append(fields)
        return fields

    def wait(self, key, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.receive(max(0.01, deadline - time.monotonic()))
            if m and key in m:
                return m
        raise AssertionError("no %s within %.0f s; got %r" % (key, timeout, self.messages))

    def close(self):
        self.sock.close()


class SystemdNotifyTest(unittest.TestCase):
    def test_ready_after_the_ports_answer_then_watchdog_reload_and_stop(self):
        tmp = tempfile.TemporaryDirectory(prefix="cairn-notify-")
        self.addCleanup(tmp.cleanup)
        notify = NotifySocket(tmp.name)
        self.addCleanup(notify.close)
        config = os.path.join(tmp.name, "cairn.toml")
        with open(config, "w") as f:
            f.write(toml_config({"server": {"listen": ["127.0.0.1:0"]}}))
        env = dict(os.environ, NOTIFY_SOCKET=notify.path, WATCHDOG_USEC="1000000")
        env.pop("WATCHDOG_PID", None)
        proc = subprocess.Popen([cairn_binary(), "serve", "--config", config],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=env)
        self.addCleanup(proc.stderr.close)
        self.addCleanup(proc.stdout.close)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        ready = notify.wait("READY", 15)
        self.assertEqual(ready["READY"], "1")
        self.assertIn("serving", ready.get("STATUS", ""))
        # READY came after the listening lines, and the ports answer now.
        os.set_blocking(proc.stdout.fileno(), False)
        out = proc.stdout.read().decode()
        lines = dict(line.split()[1:] for line in out.splitlines() if line.startswith("listening"))
        self.assertIn("udp", lines, out)
        host, port = lines["http"].rsplit(":", 1)
        self.assertEqual(http_get((host, int(port)), "/health").body, b"ok")
        with UdpTracker((host, int(port))) as u:
            self.assertEqual(len(u.announce(random_hash(), random_peer_id(), fresh_port()).peers),
                             0)
        # The watchdog: a ping every half of WATCHDOG_USEC (0.5 s).
        began = time.monotonic()
        notify.wait("WATCHDOG", 3)
        notify.wait("WATCHDOG", 3)
        self.assertLess(time.monotonic() - began, 3)
        # SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1 again.
        proc.send_signal(signal.SIGHUP)
        reloading = notify.wait("RELOADING", 5)
        self.assertTrue(reloading["MONOTONIC_USEC"].isdigit())
        notify.wait("READY", 5)
        proc.send_signal(signal.SIGTERM)
        notify.wait("STOPPING", 5)
        self.assertEqual(proc.wait(timeout=10), 0, proc.stderr.read().decode())


class LogTest(unittest.TestCase):
    def config_path(self, server):
        return os.path.join(server.tmp.name, "cairn.toml")

    def test_json_log_lines_each_parse(self):
        with CairnServer(listens=["127.0.0.1:0"], extra_args=["--log-format", "json"],
                         config={"server": {"summary_interval": 1}}) as s:
            http_announce(s.http4, random_hash(), random_peer_id(), fresh_port())
            wait_for(lambda: "summary:" in s.stderr_tail(), 10, "a summary line")
        lines = [l for l in s.final_log.splitlines() if l.strip()]
        self.assertGreater(len(lines), 3)
        for line in lines:
            obj = json.loads(line)
            self.assertEqual(set(obj), {"time", "level", "logger", "message"}, line)
            self.assertRegex(obj["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertTrue(any(json.loads(l)["message"].startswith("serving with") for l in lines))

    def test_summary_line_counts_the_traffic(self):
        with CairnServer(listens=["127.0.0.1:0"], config={"server": {"summary_interval": 1}}) as s:
            for _ in range(5):
                http_announce(s.http4, random_hash(), random_peer_id(), fresh_port())
            http_get(s.http4, "/announce?info_hash=short")  # an error: a bad request

            def counted():
                m = re.findall(r"summary: (\d+) requests in the last \d+ s \([\d.]+/s; (\d+) in all\),"
                               r" (\d+) torrents, (\d+) peers \((\d+) seeders\), (\d+) errors in the"
                               r" last \d+ s \((\d+) in all\)", s.stderr_tail(1 << 16))
                return m and int(m[-1][1]) >= 6 and int(m[-1][2]) == 5 and int(m[-1][6]) >= 1
            wait_for(counted, 10, "a summary with 6 requests, 5 torrents and an error")

    def test_sighup_applies_live_keys_and_names_the_rest(self):
        # A full scrape rebuild logs at debug level every 5 s: the sign the
        # new level acts.
        with CairnServer(listens=["127.0.0.1:0"],
                         config={"server": {"log_level": "info", "summary_interval": 0},
                                 "tracker": {"full_scrape_interval": 5}}) as s:
            h = random_hash()
            self.assertEqual(http_announce(s.http4, h, random_peer_id(), fresh_port())[b"interval"],
                             1800)
            time.sleep(1.5)
            self.assertNotIn("summary:", s.stderr_tail())
            with open(self.config_path(s), "w") as f:
                f.write(toml_config({"server": {"log_level": "debug", "summary_interval": 1},
                                     "tracker": {"full_scrape_interval": 5,
                                                 "announce_interval": 1200, "min_interval": 600,
                                                 "numwant_max": 100}}))
            s.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: "reload: applied" in s.stderr_tail(), 10, "the reload line")
            log = s.stderr_tail()
            self.assertIn("reload: applied server.log_level, server.summary_interval, "
                          "tracker.announce_interval, tracker.min_interval", log)
            self.assertIn("needs a restart: tracker.numwant_max", log)
            # The new intervals, level and summary interval act: replies over
            # HTTP and UDP, summaries every second, debug lines.
            reply = http_announce(s.http4, h, random_peer_id(), fresh_port())
            self.assertEqual((reply[b"interval"], reply[b"min interval"]), (1200, 600))
            with UdpTracker(s.udp4) as u:
                self.assertEqual(u.announce(h, random_peer_id(), fresh_port()).interval, 1200)
            wait_for(lambda: s.stderr_tail().count("summary:") >= 2, 10, "summary lines")
            # An announce interval beyond the running peer_ttl (2700) waits for
            # a restart, with the new peer_ttl it needs.
            with open(self.config_path(s), "w") as f:
                f.write(toml_config({"server": {"log_level": "debug", "summary_interval": 1},
                                     "tracker": {"full_scrape_interval": 5,
                                                 "announce_interval": 3600, "min_interval": 600,
                                                 "peer_ttl": 5400, "numwant_max": 100}}))
            s.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: "tracker.announce_interval, tracker.peer_ttl" in s.stderr_tail(), 10,
                     "the interval named as needing a restart")
            self.assertEqual(http_announce(s.http4, h, random_peer_id(), fresh_port())[b"interval"],
                             1200)
            # A file that does not load changes nothing.
            with open(self.config_path(s), "w") as f:
                f.write("[server]\nlog_level = 7\n")
            s.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: "configuration not applied" in s.stderr_tail(), 10,
                     "the refused reload")
            self.assertIn("log_level must be one of", s.stderr_tail())
            # The full scrape is built when asked for, and logged at debug level.
            def built_and_logged():
                http_get(s.http4, "/scrape")
                return "[debug] full scrape:" in s.stderr_tail(1 << 16)
            wait_for(built_and_logged, 8, "a debug line")


    def test_sighup_applies_a_new_rate_limit(self):
        def refused(s, source, n):
            replies = [http_announce(s.http4, random_hash(), random_peer_id(), fresh_port(),
                                     source=source) for _ in range(n)]
            return sum(b"failure reason" in r for r in replies)

        loose = {"rate_limit": {"requests_per_second": 1000, "burst": 1000,
                                "trusted_networks": []}}
        with CairnServer(listens=["127.0.0.1:0"], config=loose) as s:
            self.assertEqual(refused(s, "127.0.0.11", 20), 0)
            with open(self.config_path(s), "w") as f:
                f.write(toml_config({"rate_limit": {"requests_per_second": 1, "burst": 2,
                                                    "trusted_networks": []}}))
            s.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: "reload: applied rate_limit.requests_per_second, rate_limit.burst"
                     in s.stderr_tail(), 10, "the reload line naming the rate limit")
            # Each worker allows a burst of 2, then 1 a second: 20 at once
            # from one address cannot all pass whichever workers take them.
            self.assertGreater(refused(s, "127.0.0.12", 20), 0)
            # And back: a looser limit lets everything through again.
            with open(self.config_path(s), "w") as f:
                f.write(toml_config(loose))
            s.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: s.stderr_tail().count("rate_limit.requests_per_second") >= 2, 10,
                     "the second reload line")
            self.assertEqual(refused(s, "127.0.0.12", 20), 0)


class AccessLogTest(unittest.TestCase):
    LIMITED = {"rate_limit": {"requests_per_second": 1, "burst": 1, "trusted_networks": []}}

    def flood(self, s, source, n):
        for _ in range(n):
            http_get(s.http4, "/announce?info_hash=x", source=source)

    def test_refused_requests_are_logged_within_the_cap(self):
        config = dict(self.LIMITED, server={"access_log": True, "access_log_per_second": 3})
        with CairnServer(listens=["127.0.0.1:0"], config=config) as s:
            self.flood(s, "127.0.0.7", 40)
            with UdpTracker(s.udp4, source="127.0.0.8") as u:
                for _ in range(5):
                    u.send(b"\x00" * 16)
            wait_for(lambda: "refused 127.0.0.7: rate limit exceeded" in s.stderr_tail(), 5,
                     "an access log line")
            # The cap: at most 3 lines a second, and the rest reported.
            # A second later (each worker has a token again: the limit is per
            # address and worker) more refusals: the first one logged says
            # how many were left out.
            time.sleep(1.1)
            self.flood(s, "127.0.0.7", 10)
            wait_for(lambda: "refusals not logged" in s.stderr_tail(1 << 16), 5,
                     "the suppressed count")
            lines = [l for l in s.stderr_tail(1 << 16).splitlines() if "refused 127.0.0." in l]
            self.assertLess(len(lines), 20, "the cap held")

    def test_access_list_refusals_name_the_torrent(self):
        tmp = tempfile.TemporaryDirectory(prefix="cairn-access-")
        self.addCleanup(tmp.cleanup)
        listed = os.path.join(tmp.name, "allowed.txt")
        with open(listed, "w") as f:
            f.write("ab" * 20 + "\n")
        config = {"server": {"access_log": True},
                  "tracker": {"access_mode": "whitelist", "access_list": listed}}
        with CairnServer(listens=["127.0.0.1:0"], config=config) as s:
            h = random_hash()
            reply = http_announce(s.http4, h, random_peer_id(), fresh_port(), source="127.0.0.9")
            self.assertEqual(reply[b"failure reason"], b"torrent not allowed")
            with UdpTracker(s.udp4, source="127.0.0.10") as u:
                u.scrape([h])
            for who in ("127.0.0.9", "127.0.0.10"):
                line = "refused %s: torrent not allowed, info_hash %s" % (who, h.hex())
                wait_for(lambda: line in s.stderr_tail(1 << 16), 5, line)

    def test_off_by_default(self):
        with CairnServer(listens=["127.0.0.1:0"], config=self.LIMITED) as s:
            self.flood(s, "127.0.0.7", 20)
            time.sleep(0.5)
            self.assertNotIn("127.0.0.7", s.stderr_tail(1 << 16))


class PackagingTest(unittest.TestCase):
    def test_install_verify_unit_and_render_man_page(self):
        build = os.environ.get("CAIRN_BUILD_DIR")
        self.assertTrue(build, "CAIRN_BUILD_DIR must name the build folder (ctest sets it)")
        cmake = need_tool("cmake", "cmake")
        tmp = tempfile.TemporaryDirectory(prefix="cairn-install-")
        self.addCleanup(tmp.cleanup)
        prefix = tmp.name
        r = subprocess.run([cmake, "--install", build, "--prefix", prefix],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        binary = os.path.join(prefix, "bin", "cairn")
        unit = os.path.join(prefix, "lib", "systemd", "system", "cairn.service")
        page = os.path.join(prefix, "share", "man", "man1", "cairn.1")
        for path in (binary, unit, page):
            self.assertTrue(os.path.isfile(path), path)
        self.assertTrue(os.access(binary, os.X_OK))
        self.assertTrue(subprocess.run([binary, "--version"], capture_output=True,
                                       text=True).stdout.startswith("cairn "))

        with open(unit) as f:
            text = f.read()
        self.assertNotIn("@CAIRN_", text, "a placeholder was left unconfigured")
        exec_start = re.search(r"^ExecStart=(\S+) serve ", text, re.M)
        self.assertTrue(exec_start and exec_start.group(1).endswith("/bin/cairn"), text)
        for line in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "NoNewPrivileges=yes",
                     "ProtectSystem=strict", "StateDirectory=cairn", "User=cairn"):
            self.assertIn(line + "\n", text)
        self.assertRegex(text, r"(?m)^LimitNOFILE=\d+$")
        self.assertRegex(text, r"(?m)^WatchdogSec=\d+s$")

        # systemd-analyze checks the unit against this systemd, with its
        # ExecStart pointed at the installed binary (the configured prefix
        # is not this temporary one) and man:cairn(1) found under the prefix.
        analyze = need_tool("systemd-analyze", "systemd")
        need_tool("man", "man-db")
        verified = os.path.join(prefix, "cairn.service")
        with open(verified, "w") as f:
            f.write(text.replace(exec_start.group(1), binary))
        env = dict(os.environ, MANPATH=os.path.join(prefix, "share", "man"))
        r = subprocess.run([analyze, "verify", verified], capture_output=True, text=True, env=env,
                           timeout=60)
        self.assertEqual(r.returncode, 0, "systemd-analyze verify:\n" + r.stdout + r.stderr)
        self.assertEqual(r.stderr.strip(), "", "systemd-analyze warned")

        # man -l renders the page without a warning, with the sections an
        # operator looks for.
        r = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="80"),
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.strip(), "", "man warned")
        for heading in ("NAME", "SYNOPSIS", "OPTIONS", "SIGNALS", "SYSTEMD", "EXIT STATUS"):
            self.assertIn("\n" + heading + "\n", r.stdout)
        self.assertIn("--check-config", r.stdout)


if __name__ == "__main__":
    unittest.main()
