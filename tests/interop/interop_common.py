"""Shared pieces for the interop tests: real BitTorrent clients that can find
each other only through the tracker under test.

Tracker under test: env CAIRN_INTEROP_TRACKER = "cairn" (default; the binary
from CAIRN_BIN, see ../integration/cairn_harness.py) or "opentracker"
(Debian's /usr/bin/opentracker: whitelist-only, IPv4-only, so it is given an
access.whitelist holding the test torrent's info hash).

Every client is told not to discover peers any other way: no DHT (except
aria2, whose UDP tracker support rides on its DHT socket -- it gets an empty
routing table and no entry point), no LSD, no PEX, no UPnP/NAT-PMP. Only
127.0.0.1 / ::1 are used, ports are ephemeral, and each test has a hard
deadline after which every child process is killed.
"""

import ctypes
import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import cairn_harness  # noqa: E402

try:
    import libtorrent as lt
except ImportError as e:  # fail loudly, never skip
    raise SystemExit("interop tests need the libtorrent Python module (Debian's "
                     "python3-libtorrent, run with /usr/bin/python3): %s" % e)

TEST_DEADLINE = 90.0  # seconds, per test, hard
CONTENT_SIZE = 3 * 1024 * 1024 + 12345  # not a multiple of the piece size
PIECE_SIZE = 256 * 1024

TRACKER = os.environ.get("CAIRN_INTEROP_TRACKER", "cairn")


def need_program(path):
    """A client the test needs: a clear failure (never a skip) when missing."""
    found = shutil.which(path)
    if not found:
        raise AssertionError("interop test needs %s, which is not installed "
                             "(Debian packages: transmission-cli, aria2, opentracker)" % path)
    return found


def _kernel_port_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def _binds(port, kinds, host):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        for kind in kinds:
            with socket.socket(fam, kind) as s:
                s.bind((host, port))
        return True
    except OSError:
        return False


def _port_outside_the_kernels_range(kinds, host):
    """A port free right now, for programs that cannot be told to bind port
    0 and report it. Drawn below the kernel's ephemeral range: a port the
    kernel picked (what binding port 0 gives) can be handed again at once
    to any other socket of the parallel tests, e.g. an outgoing
    connection, and the program then fails to bind it."""
    low, _ = _kernel_port_range()
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(10000, max(low, 10001))
        if _binds(port, kinds, host):
            return port
    raise RuntimeError("no free port below the ephemeral range")


def free_port(kind=socket.SOCK_STREAM, host="127.0.0.1"):
    """A port free for `kind` on `host` right now."""
    return _port_outside_the_kernels_range((kind,), host)


def free_tcp_udp_port(host="127.0.0.1"):
    """A port free for both TCP and UDP on `host`."""
    return _port_outside_the_kernels_range((socket.SOCK_STREAM, socket.SOCK_DGRAM), host)


# ---------------------------------------------------------------------------
# Child processes: die with us (PR_SET_PDEATHSIG), killed at the deadline.

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _child_setup():
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.setsid()


class Children:
    def __init__(self):
        self.procs = []

    def spawn(self, args, log_path, **kw):
        log = open(log_path, "wb")
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             preexec_fn=_child_setup, **kw)
        p._log = log
        p._log_path = log_path
        self.procs.append(p)
        return p

    def kill_all(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)  # its own session: only its group
                except ProcessLookupError:
                    pass
                p.wait()
            p._log.close()
        self.procs = []


def log_tail(path, n=8000):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode("utf-8", "replace")
    except OSError:
        return "(no log)"


# ---------------------------------------------------------------------------
# Content and torrents


def make_content(directory, name="payload.bin", size=CONTENT_SIZE):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path


def sha1_file(path):
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Torrent:
    """A v1 torrent of one file. The info hash does not depend on the tracker
    URL (announce lives outside the info dict), so it is known before the
    tracker starts -- opentracker needs it in its whitelist at start-up."""

    def __init__(self, content_path, hybrid=False):
        self.content_path = content_path
        self.name = os.path.basename(content_path)
        # create_torrent keeps a reference to the file_storage: keep it alive.
        self.fs = fs = lt.file_storage()
        lt.add_files(fs, content_path)
        flags = 0 if hybrid else lt.create_torrent.v1_only
        self.ct = lt.create_torrent(fs, PIECE_SIZE, flags)
        lt.set_piece_hashes(self.ct, os.path.dirname(content_path))
        info = lt.torrent_info(lt.bencode(self.ct.generate()))
        self.info_hash_hex = str(info.info_hash())
        self.info_hash = bytes.fromhex(self.info_hash_hex)
        # Every 20-byte hash a client announces: the v1 hash and, for a
        # hybrid (BEP 52) torrent, the SHA-256 v2 hash truncated to 20 bytes.
        self.announce_hashes = [self.info_hash]
        if hybrid:
            v2 = info.info_hashes().v2
            self.v2_truncated = bytes.fromhex(str(v2))[:20]
            assert not v2.is_all_zeros()
            self.announce_hashes.append(self.v2_truncated)

    def write(self, path, tracker_url):
        self.ct.add_tracker(tracker_url, 0)
        data = lt.bencode(self.ct.generate())
        with open(path, "wb") as f:
            f.write(data)
        ti = lt.torrent_info(path)
        assert str(ti.info_hash()) == self.info_hash_hex
        return path


# ---------------------------------------------------------------------------
# Trackers under test


class CairnTracker:
    name = "cairn"

    def __init__(self, workdir, info_hashes, config=None, dht_listens=()):
        """config: sections merged over the tracker's; dht_listens: --dht-listen
        addresses (then dht4/dht6 are the DHT node's (host, port))."""
        sections = {"tracker": {"announce_interval": 30, "min_interval": 5}}
        sections.update(config or {})
        self.server = cairn_harness.CairnServer(
            sections, listens=["127.0.0.1:0", "[::1]:0"], dht_listens=dht_listens).start()
        self.dht4, self.dht6 = self.server.dht4, self.server.dht6
        host, port = self.server.http4
        self.http_url = "http://127.0.0.1:%d/announce" % port
        self.udp_url = "udp://127.0.0.1:%d/announce" % self.server.udp4[1]
        self.http6_url = "http://[::1]:%d/announce" % self.server.http6[1]
        self.udp6_url = "udp://[::1]:%d/announce" % self.server.udp6[1]

    def check_alive(self):
        if not self.server.alive():
            raise AssertionError("cairn died:\n" + self.server.stderr_tail())

    def log(self):
        return self.server.stderr_tail()

    def stop(self):
        self.server.stop(check=True)


class OpenTracker:
    name = "opentracker"

    def __init__(self, workdir, info_hashes):
        exe = need_program("/usr/bin/opentracker")
        wl = os.path.join(workdir, "access.whitelist")
        with open(wl, "w") as f:
            for h in info_hashes:
                f.write(h.hex() + "\n")
        self.port = free_tcp_udp_port()
        conf = os.path.join(workdir, "opentracker.conf")
        with open(conf, "w") as f:
            f.write("listen.tcp_udp 127.0.0.1:%d\n" % self.port)
            # Started as root, opentracker drops to user "nobody" before it
            # reads the whitelist: the path must be readable by everyone
            # (see InteropCase.setUp, which makes the temp dir 0755).
            f.write("access.whitelist %s\n" % wl)
        self.children = Children()
        self.log_path = os.path.join(workdir, "opentracker.log")
        self.proc = self.children.spawn([exe, "-f", conf], self.log_path, cwd=workdir)
        # Ready when the TCP port accepts (opentracker prints nothing on start).
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("opentracker exited: " + log_tail(self.log_path))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("opentracker did not start listening")
                time.sleep(0.05)
        self.http_url = "http://127.0.0.1:%d/announce" % self.port
        self.udp_url = "udp://127.0.0.1:%d/announce" % self.port
        self.http6_url = self.udp6_url = None  # Debian's build is IPv4-only

    def check_alive(self):
        if self.proc.poll() is not None:
            raise AssertionError("opentracker died: " + log_tail(self.log_path))

    def log(self):
        return log_tail(self.log_path)

    def stop(self):
        self.children.kill_all()


TRACKERS = {"cairn": CairnTracker, "opentracker": OpenTracker}


def start_tracker(workdir, info_hashes):
    if TRACKER not in TRACKERS:
        raise SystemExit("CAIRN_INTEROP_TRACKER must be one of %s" % sorted(TRACKERS))
    return TRACKERS[TRACKER](workdir, info_hashes)


# ---------------------------------------------------------------------------
# libtorrent


def lt_session(name, listen="127.0.0.1:0"):
    """A libtorrent session that can only learn peers from trackers and that
    accepts peers on loopback."""
    settings = {
        "listen_interfaces": listen,
        "outgoing_interfaces": "",
        # peer discovery other than the tracker: off
        "enable_dht": False,
        "dht_bootstrap_nodes": "",
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        # Every peer here is 127.0.0.1 (or ::1). libtorrent by default keeps
        # one connection per IP, so a third client in a swarm would be
        # refused; the two-peer swarms of these tests work without it (checked),
        # it is set so adding peers does not silently break a test.
        "allow_multiple_connections_per_ip": True,
        # TCP only: aria2 has no uTP, and a uTP attempt that times out only
        # delays the TCP one.
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        # ssrf_mitigation stays at its default (on), as in real clients: it
        # lets a loopback tracker through only when its path is /announce,
        # which both trackers use.
        "announce_to_all_trackers": True,
        "announce_to_all_tiers": True,
        # no rate limits / local-peer exemptions to worry about
        "rate_limit_ip_overhead": False,
        "upload_rate_limit": 0,
        "download_rate_limit": 0,
        # an idle downloader should ask again soon if its first announce
        # found nobody (the tracker's min interval still applies)
        "min_announce_interval": 5,
        "user_agent": "cairn-interop/" + name,
        "peer_fingerprint": "-CI0001-",
        "alert_mask": (lt.alert.category_t.error_notification
                       | lt.alert.category_t.status_notification
                       | lt.alert.category_t.tracker_notification
                       | lt.alert.category_t.connect_notification
                       | lt.alert.category_t.peer_notification),
    }
    # flags=0: no default plugins, so no ut_pex (and no ut_metadata/smart_ban).
    s = lt.session(settings, 0)
    return s


def lt_listen_port(session):
    return session.listen_port()


def lt_add(session, torrent_path, save_path, seed=False):
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(torrent_path)
    atp.save_path = save_path
    flags = lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex
    if seed:
        flags |= lt.torrent_flags.seed_mode
    atp.flags = (atp.flags | flags) & ~lt.torrent_flags.paused & ~lt.torrent_flags.auto_managed
    return session.add_torrent(atp)


class AlertLog:
    """Collects a session's alerts as text (for failure messages) and tracker
    replies (to show peers came from the tracker)."""

    def __init__(self, session, name):
        self.session, self.name = session, name
        self.lines = []
        self.tracker_replies = 0
        self.tracker_peers = 0
        self.tracker_errors = []

    def pump(self):
        for a in self.session.pop_alerts():
            self.lines.append("%s: %s: %s" % (self.name, type(a).__name__, a.message()))
            if isinstance(a, lt.tracker_reply_alert):
                self.tracker_replies += 1
                self.tracker_peers += a.num_peers
            elif isinstance(a, (lt.tracker_error_alert,)):
                self.tracker_errors.append(a.message())

    def tail(self, n=40):
        return "\n".join(self.lines[-n:])


class InteropCase(unittest.TestCase):
    """Temp dir, tracker, children and a hard per-test deadline (SIGALRM)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-interop-")
        os.chmod(self.tmp, 0o755)  # opentracker reads its whitelist as "nobody"
        self.children = Children()
        self.tracker = None
        self.sessions = []
        self.deadline = time.monotonic() + TEST_DEADLINE
        signal.signal(signal.SIGALRM, self._alarm)
        signal.alarm(int(TEST_DEADLINE) + 5)

    def _alarm(self, signum, frame):
        raise TimeoutError("hard test deadline of %.0fs passed" % TEST_DEADLINE)

    def tearDown(self):
        signal.alarm(0)
        self.children.kill_all()
        for s in self.sessions:
            try:
                s.pause()
            except Exception:
                pass
        self.sessions = []
        import gc
        gc.collect()  # destroy the sessions now, not during the next test
        try:
            if self.tracker:
                self.tracker.stop()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def dir(self, name):
        p = os.path.join(self.tmp, name)
        os.makedirs(p, exist_ok=True)
        return p

    def prepare(self, size=CONTENT_SIZE, hybrid=False):
        """Content in seed/, its torrent, and the tracker started for it."""
        seed_dir = self.dir("seed")
        content = make_content(seed_dir, size=size)
        self.torrent = Torrent(content, hybrid=hybrid)
        self.tracker = start_tracker(self.dir("tracker"), self.torrent.announce_hashes)
        self.content = content
        self.content_sha1 = sha1_file(content)
        return seed_dir

    def torrent_file(self, url, name="t.torrent"):
        return self.torrent.write(os.path.join(self.tmp, name), url)

    def session(self, name, listen="127.0.0.1:0"):
        s = lt_session(name, listen)
        self.sessions.append(s)
        return s

    def time_left(self):
        return self.deadline - time.monotonic()

    def wait_until(self, cond, what, logs=(), poll=0.2, procs=()):
        while True:
            for l in logs:
                l.pump()
            if cond():
                return
            self.tracker.check_alive()
            if self.time_left() <= 0:
                msg = ["timed out (%.0fs) waiting for %s (tracker: %s)" % (TEST_DEADLINE, what,
                                                                          self.tracker.name)]
                for l in logs:
                    msg.append("--- %s alerts ---\n%s" % (l.name, l.tail()))
                for p in procs:
                    msg.append("--- %s ---\n%s" % (os.path.basename(p._log_path),
                                                   log_tail(p._log_path)))
                msg.append("--- tracker log ---\n" + self.tracker.log())
                raise AssertionError("\n".join(msg))
            time.sleep(poll)

    def scrape(self, info_hash):
        """(complete, downloaded, incomplete) from the tracker's HTTP scrape."""
        host, port = self.tracker.http_url.split("/")[2].rsplit(":", 1)
        files = cairn_harness.http_scrape((host, int(port)), [info_hash]).get(b"files", {})
        f = files.get(info_hash, {})
        return f.get(b"complete", 0), f.get(b"downloaded", 0), f.get(b"incomplete", 0)

    def wait_for_swarm(self, seeders=0, leechers=0):
        """Poll the tracker's HTTP scrape until the swarm has at least this
        many seeders and leechers: a client has announced. Used before adding
        a libtorrent downloader when the seeder is a client that does not
        connect out to leechers by itself, so the downloader's first
        announce already returns the seeder."""
        http = self.tracker.http_url.split("/")[2]
        host, port = http.rsplit(":", 1)
        addr = (host, int(port))
        h = self.torrent.info_hash

        def ok():
            files = cairn_harness.http_scrape(addr, [h]).get(b"files", {})
            f = files.get(h, {})
            return f.get(b"complete", 0) >= seeders and f.get(b"incomplete", 0) >= leechers

        self.wait_until(ok, "the tracker to list %d seeder(s), %d leecher(s)" % (seeders, leechers),
                        procs=self.children.procs, poll=0.2)

    def leech_from_seeder(self, seeder, name, tfile, scheme):
        """A libtorrent leecher downloads the torrent from `seeder`, a client
        process that already announced itself as the swarm's seeder."""
        self.wait_for_swarm(seeders=1)
        leecher = self.session("leecher")
        llog = AlertLog(leecher, "libtorrent-leecher")
        down = self.dir("down")
        lh = lt_add(leecher, tfile, down)

        def done():
            if seeder.poll() is not None:
                raise AssertionError("%s seeder exited early (%s)\n%s"
                                     % (name, seeder.returncode, log_tail(seeder._log_path)))
            return lh.status().is_seeding

        self.wait_until(done, "libtorrent download from %s over %s" % (name, scheme), [llog],
                        procs=[seeder])
        self.assertSameContent(os.path.join(down, self.torrent.name))
        self.assertGreater(llog.tracker_peers, 0, "the leecher's tracker replies carried no peer")
        self.tracker.check_alive()

    def assertSameContent(self, path):
        self.assertTrue(os.path.exists(path), "downloaded file missing: %s" % path)
        self.assertEqual(sha1_file(path), self.content_sha1, "downloaded content differs")


def main():
    """Run a test module. With no test names, each test runs in its own
    process: libtorrent keeps UDP tracker connection ids in a process-wide
    cache keyed by the tracker's IP address (not its port), so a test that
    follows another UDP test in the same process presents a stale id to a
    new tracker on 127.0.0.1, gets an error, and loses tens of seconds to
    retries and back-off. CTest registers each test separately anyway."""
    import __main__
    args = sys.argv[1:]
    if any(not a.startswith("-") for a in args):
        unittest.main(module=__main__)
        return
    names = [t.id().split(".", 1)[1] for t in _iter_tests(
        unittest.defaultTestLoader.loadTestsFromModule(__main__))]
    failed = []
    for name in names:
        rc = subprocess.call([sys.executable, os.path.abspath(__main__.__file__), name] + args)
        if rc != 0:
            failed.append(name)
    print("%d passed, %d failed" % (len(names) - len(failed), len(failed)))
    for name in failed:
        print("FAILED: " + name)
    sys.exit(1 if failed else 0)


def _iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _iter_tests(t)
        else:
            yield t
