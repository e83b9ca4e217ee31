#!/usr/bin/python3
"""Start-up and shutdown safety of `cairn serve`, as a new operator meets it:
a second process on a port already in use, bind errors, the state file
(missing folder, someone else's file, a second process on it, a failed final
save), a log pipe whose reader went away, and the HTTP connection cap against
the open-files limit.

A refused start must exit non-zero with one line on stderr that says what
was wrong, print no "listening" line, and touch nothing.

Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_startup.py [-v]
"""

import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairn_harness import (CairnServer, HttpConnection, UdpTracker, cairn_binary,  # noqa: E402
                           http_announce, http_scrape, random_hash, random_peer_id,
                           toml_config)

# Keeps the connection cap far below any open-files limit, so a refused
# start has nothing to warn about and its one line is all of stderr.
QUIET = {"http": {"max_connections": 100}}
REFUSE_TIMEOUT = 10.0  # seconds a refused start may take to exit


class Refusal:
    """A `cairn serve` expected to refuse to start: its exit code and output."""

    def __init__(self, testcase, args, config=QUIET):
        with tempfile.TemporaryDirectory(prefix="cairn-refuse-") as tmp:
            cfg = os.path.join(tmp, "cairn.toml")
            with open(cfg, "w") as f:
                f.write(toml_config(config))
            # No admin listener unless a test asks: parallel tests must not
            # meet on 127.0.0.1:6970.
            admin = [] if "--admin-listen" in args else ["--admin-listen", "off"]
            proc = subprocess.Popen([cairn_binary(), "serve", "--config", cfg] + admin + list(args),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            try:
                out, err = proc.communicate(timeout=REFUSE_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
                testcase.fail("cairn started instead of refusing to (%s)\nstdout: %r\nstderr: %r"
                              % (" ".join(args), out, err))
        self.code = proc.returncode
        self.stdout = out.decode("utf-8", "replace")
        self.stderr = err.decode("utf-8", "replace")

    def check(self, testcase, line):
        """Exit code 1, nothing on stdout, and stderr exactly `line`."""
        testcase.assertEqual((self.code, self.stdout, self.stderr), (1, "", "cairn: " + line + "\n"))


class PortInUseTest(unittest.TestCase):
    def test_second_instance_on_the_same_port_is_refused(self):
        # Both would bind with SO_REUSEPORT, so only a check of its own
        # stops the second from sharing the port and the traffic.
        with CairnServer(QUIET, listens=["127.0.0.1:0"]) as first:
            host, port = first.udp4
            r = Refusal(self, ["--listen", "%s:%d" % (host, port)])
            r.check(self, "cannot listen on udp 127.0.0.1:%d: "
                          "address already in use (by another process)" % port)
            # The first one serves on, alone.
            self.assertNotIn(b"failure reason",
                             http_announce(first.http4, random_hash(), random_peer_id(), 7000))

    def test_a_port_held_for_tcp_only_is_refused(self):
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as holder:
            holder.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            holder.bind(("::1", 0))
            holder.listen()
            port = holder.getsockname()[1]
            r = Refusal(self, ["--listen", "[::1]:%d" % port])
            r.check(self, "cannot listen on http [::1]:%d: "
                          "address already in use (by another process)" % port)

    def test_own_workers_share_the_port(self):
        with CairnServer({"server": {"workers": 4}}) as s:
            with UdpTracker(s.udp4) as u:
                h = random_hash()
                u.announce(h, random_peer_id(), 7001, left=0)
                self.assertEqual(u.scrape([h]), [(1, 0, 0)])
            self.assertEqual(http_scrape(s.http6, [h])[b"files"][h][b"complete"], 1)

    def test_a_dht_port_in_use_is_refused(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
            holder.bind(("127.0.0.1", 0))
            port = holder.getsockname()[1]
            r = Refusal(self, ["--listen", "127.0.0.1:0", "--dht-listen", "127.0.0.1:%d" % port])
            r.check(self, "cannot listen on dht 127.0.0.1:%d: "
                          "address already in use (by another process)" % port)

    def test_a_bad_dht_listen_address_is_refused(self):
        r = Refusal(self, ["--listen", "127.0.0.1:0", "--dht-listen", "localhost:6881"])
        r.check(self, "--dht-listen localhost:6881: not an address:port (IPv6 in brackets)")

    def test_overlapping_listen_addresses_are_refused(self):
        port = free_port()
        r = Refusal(self, ["--listen", "0.0.0.0:%d" % port, "--listen", "127.0.0.1:%d" % port])
        r.check(self, "listen addresses 0.0.0.0:%d and 127.0.0.1:%d overlap; give each port "
                      "once per address family" % (port, port))


class BindErrorTest(unittest.TestCase):
    def test_an_address_of_no_interface(self):
        # 192.0.2.1 (TEST-NET-1) is on no interface of a test machine.
        r = Refusal(self, ["--listen", "192.0.2.1:6969"])
        r.check(self, "cannot listen on udp 192.0.2.1:6969: "
                      "cannot assign requested address (no interface of this machine has it)")


class StateFileStartTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="cairn-state-")
        self.addCleanup(self.dir.cleanup)
        self.path = os.path.join(self.dir.name, "state.bin")

    def test_missing_folder_fails_at_start(self):
        path = os.path.join(self.dir.name, "missing", "state.bin")
        r = Refusal(self, ["--listen", "127.0.0.1:0", "--state", path])
        r.check(self, "state file %s: folder %s: No such file or directory; create it or "
                      "choose another path" % (path, os.path.dirname(path)))

    def test_folder_that_is_a_file_fails_at_start(self):
        with open(self.path, "wb"):
            pass
        path = os.path.join(self.path, "state.bin")
        r = Refusal(self, ["--listen", "127.0.0.1:0", "--state", path])
        r.check(self, "state file %s: %s is not a folder" % (path, self.path))

    def test_a_file_that_is_not_a_cairn_state_file_is_not_touched(self):
        content = b"#!/bin/sh\necho an operator's script\n"
        with open(self.path, "wb") as f:
            f.write(content)
        r = Refusal(self, ["--listen", "127.0.0.1:0", "--state", self.path])
        r.check(self, "%s is not a Cairn state file; move it away or choose another path"
                % self.path)
        with open(self.path, "rb") as f:
            self.assertEqual(f.read(), content)

    def test_a_folder_at_the_path_is_refused(self):
        os.mkdir(self.path)
        r = Refusal(self, ["--listen", "127.0.0.1:0", "--state", self.path])
        r.check(self, "%s is not a regular file; choose another path" % self.path)

    def test_damaged_cairn_state_file_starts_empty(self):
        # Cut short after its magic: Cairn's, damaged, so logged and replaced.
        with open(self.path, "wb") as f:
            f.write(b"CAIRNSNP\x02\x00")
        with CairnServer(QUIET, extra_args=["--state", self.path]) as s:
            http_announce(s.http4, random_hash(), random_peer_id(), 7002)
        self.assertIn("unreadable: truncated; starting empty", s.final_log)
        with open(self.path, "rb") as f:
            self.assertEqual(f.read(8), b"CAIRNSNP")
        self.assertGreater(os.path.getsize(self.path), 10)

    def test_second_process_on_the_same_state_file_is_refused(self):
        with CairnServer(QUIET, listens=["127.0.0.1:0"], extra_args=["--state", self.path]):
            r = Refusal(self, ["--listen", "127.0.0.1:0", "--state", self.path])
            r.check(self, "state file %s is in use by another process (it holds %s.lock); give "
                          "each tracker a state file of its own" % (self.path, self.path))
        # Free again once the first has stopped.
        with CairnServer(QUIET, listens=["127.0.0.1:0"], extra_args=["--state", self.path]):
            pass

    def test_failed_final_save_exits_non_zero(self):
        folder = os.path.join(self.dir.name, "going")
        os.mkdir(folder)
        path = os.path.join(folder, "state.bin")
        s = CairnServer(QUIET, listens=["127.0.0.1:0"], extra_args=["--state", path]).start()
        try:
            http_announce(s.http4, random_hash(), random_peer_id(), 7003)
            shutil.rmtree(folder)
            s.proc.send_signal(signal.SIGTERM)
            code = s.proc.wait(timeout=10)
        finally:
            s.kill()
        self.assertEqual(code, 1, s.final_log)
        self.assertIn("state not saved to %s" % path, s.final_log)


class LogPipeTest(unittest.TestCase):
    """`cairn serve 2>&1 | head -5`: the reader of the tracker's output goes
    away. Writes to the pipe must fail quietly; the tracker serves on, and
    on SIGTERM saves its state and exits 0."""

    def test_tracker_outlives_its_log_reader(self):
        tmp = tempfile.TemporaryDirectory(prefix="cairn-pipe-")
        self.addCleanup(tmp.cleanup)
        path = os.path.join(tmp.name, "state.bin")
        read_end, write_end = os.pipe()
        proc = subprocess.Popen(
            [cairn_binary(), "serve", "--listen", "127.0.0.1:0", "--admin-listen", "off", "--state",
             path],
            stdin=subprocess.DEVNULL, stdout=write_end, stderr=write_end)
        os.close(write_end)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        port = read_port(read_end)
        os.close(read_end)  # `head` has seen its lines and exits
        h = random_hash()
        reply = http_announce(("127.0.0.1", port), h, random_peer_id(), 7004, left=0)
        self.assertNotIn(b"failure reason", reply)
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=10), 0)
        with open(path, "rb") as f:
            self.assertEqual(f.read(8), b"CAIRNSNP")
        # The state it saved has the peer.
        with CairnServer(QUIET, listens=["127.0.0.1:0"], extra_args=["--state", path]) as s:
            self.assertEqual(http_scrape(s.http4, [h])[b"files"][h][b"complete"], 1)


class ConnectionCapTest(unittest.TestCase):
    def test_default_cap_fits_the_open_files_limit(self):
        # Four workers on two addresses, as on a 4-core machine: the default
        # cap is the process's, so it fits a limit a little above it.
        limit = 12000
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if hard != resource.RLIM_INFINITY and hard < limit:
            self.fail("this test needs an open-files hard limit of at least %d (ulimit -Hn); "
                      "it is %d" % (limit, hard))
        with CairnServer({"server": {"workers": 4}}, fd_limit=limit) as s:
            log = s.stderr_tail()  # a warning comes before the listening lines
        # The harness's own test hook warns that it is set; nothing else may.
        warnings = [l for l in log.splitlines()
                    if "warn" in l and "CAIRN_TEST_SWEEP_FILE" not in l]
        self.assertEqual(warnings, [])
        self.assertNotIn("does not fit", log)

    def test_cap_holds_for_the_whole_process(self):
        cap = 12
        with CairnServer({"server": {"workers": 2}, "http": {"max_connections": cap}}) as s:
            held = []
            try:
                # Half on each address, each one answered, so accepted.
                for i in range(cap):
                    c = HttpConnection(s.http4 if i % 2 else s.http6)
                    held.append(c)
                    self.assertEqual(c.get("/scrape").status, 200)
                for addr in (s.http4, s.http6):
                    with HttpConnection(addr) as extra:
                        self.assertTrue(extra.closed_by_peer(timeout=3.0),
                                        "connection %d over the cap kept" % (cap + 1))
                held.pop().close()
                deadline = time.monotonic() + 5
                while True:  # the server sees the close soon after
                    with HttpConnection(s.http4) as again:
                        try:
                            if again.get("/scrape").status == 200:
                                break
                        except (EOFError, ConnectionResetError):
                            pass
                    self.assertLess(time.monotonic(), deadline, "a freed place never reused")
                    time.sleep(0.05)
            finally:
                for c in held:
                    c.close()


def free_port():
    """A port free for UDP and TCP on 127.0.0.1 just now. The kernel picks a
    free UDP port; its TCP twin may be taken by a test running beside this
    one, so a few are tried."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise AssertionError("no port free for both UDP and TCP in 50 tries")


def read_port(fd, timeout=15.0):
    """The port of the "listening http" line the tracker writes to fd."""
    buf = b""
    deadline = time.monotonic() + timeout
    while b"listening http " not in buf or not buf.split(b"listening http ", 1)[1].count(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError("no listening line within %.0fs: %r" % (timeout, buf))
        chunk = os.read(fd, 4096)
        if not chunk:
            raise AssertionError("cairn closed its output before listening: %r" % buf)
        buf += chunk
    line = buf.split(b"listening http ", 1)[1].split(b"\n", 1)[0].decode()
    return int(line.rpartition(":")[2])


if __name__ == "__main__":
    unittest.main()
