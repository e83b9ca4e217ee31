"""Test harness for running the real `cairn` binary over real sockets.

Standard library only. Used by test_http.py, test_udp.py and the interop
tests. The binary comes from the CAIRN_BIN environment variable (CTest sets
it); without it, the default build location relative to this file is tried.

Pieces:
  CairnServer     start `cairn serve` with a temp TOML config and
                  --listen 127.0.0.1:0 --listen [::1]:0 (and no admin
                  listener unless admin_listens names addresses), read the
                  "listening ..." lines (with a timeout), stop with SIGTERM
                  and check the exit code is 0; optionally under an fd
                  limit of its own, and open_fds() counts what it holds.
                  sweep(ahead) runs the server's expiry sweep now, as of
                  `ahead` seconds from now (the test hook
                  CAIRN_TEST_SWEEP_FILE): no sleeping through TTLs.
  bdecode         a tiny strict bencode decoder (bytes keys, bytes strings).
  http_request    raw HTTP/1.x over a socket (one request, or several on
                  one keep-alive connection via HttpConnection).
  UdpTracker      BEP 15 over a UDP socket (connect/announce/scrape), and
                  replies_to(): every reply a packet got, read up to a
                  connect sent after it (no waiting out a silence).
  check_health    an ordinary client from an address of its own still gets
                  correct answers over UDP and HTTP; ServerTestCase runs it
                  after every test of a class with HEALTH_CHECK = True.
"""

import os
import random
import resource
import select
import signal
import socket
import struct
import subprocess
import unittest
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.normpath(os.path.join(HERE, "..", "..", "build", "apps", "cairn", "cairn"))

START_TIMEOUT = 15.0  # seconds to wait for all "listening" lines
STOP_TIMEOUT = 10.0   # seconds to wait for exit after SIGTERM
SWEEP_TIMEOUT = 10.0  # seconds to wait for a requested sweep


def cairn_binary():
    path = os.environ.get("CAIRN_BIN") or DEFAULT_BIN
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise RuntimeError(
            "cairn binary not found at %r: build the `cairn` target or set CAIRN_BIN" % path)
    return path


# ---------------------------------------------------------------------------
# TOML config


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(v)


def toml_config(sections):
    """{'tracker': {'announce_interval': 1800}, 'http': {...}} -> TOML text."""
    out = []
    for name, table in sections.items():
        out.append("[%s]" % name)
        for k, v in table.items():
            out.append("%s = %s" % (k, toml_value(v)))
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# The server process


_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the child before exec: get SIGKILL if the test process dies (e.g.
    killed by a CTest timeout), so no server outlives its test."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:
        pass


def _child_setup(fd_limit):
    def setup():
        _die_with_parent()
        if fd_limit is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))
    return setup


class ServerError(AssertionError):
    pass


def _parse_hostport(text):
    """'127.0.0.1:41234' or '[::1]:41235' -> (host, port, family)."""
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
        return host, int(port), socket.AF_INET6
    host, _, port = text.rpartition(":")
    return host, int(port), socket.AF_INET


class CairnServer:
    """A running `cairn serve`.

    Attributes after start(): http4, udp4, http6, udp6 -- (host, port) tuples
    for 127.0.0.1 and ::1 (None if that listen address was not asked for),
    https4 and https6 for `tls_listens` (--tls-listen; the certificate and
    key go in `config` or `extra_args`), admin4 and admin6 for
    `admin_listens` (--admin-listen; without any, `--admin-listen off`, so
    parallel tests never meet on the default 127.0.0.1:6970),
    and `listening`, the list of (proto, host, port, family) read from stdout.
    """

    def __init__(self, config=None, listens=("127.0.0.1:0", "[::1]:0"), extra_args=(),
                 fd_limit=None, dht_listens=(), tls_listens=(), prefix=(), admin_listens=()):
        """fd_limit: the server's RLIMIT_NOFILE, soft and hard (default: inherited).
        dht_listens: addresses for --dht-listen; then dht4/dht6 are set too.
        tls_listens: addresses for --tls-listen; then https4/https6 are set too.
        prefix: a command that runs the server, e.g. ("ip", "netns", "exec", NS)."""
        self.prefix = list(prefix)
        self.config = config or {}
        self.listens = list(listens)
        self.dht_listens = list(dht_listens)
        self.tls_listens = list(tls_listens)
        self.admin_listens = list(admin_listens)
        self.extra_args = list(extra_args)
        self.fd_limit = fd_limit
        self.proc = None
        self.tmp = None
        self.listening = []
        self.http4 = self.udp4 = self.http6 = self.udp6 = None
        self.dht4 = self.dht6 = None
        self.https4 = self.https6 = None
        self.admin4 = self.admin6 = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop(check=exc_type is None)
        return False

    def start(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="cairn-it-")
        cfg_path = os.path.join(self.tmp.name, "cairn.toml")
        with open(cfg_path, "w") as f:
            f.write(toml_config(self.config))
        self.stderr_path = os.path.join(self.tmp.name, "stderr.log")
        self._stderr = open(self.stderr_path, "wb")
        args = self.prefix + [cairn_binary(), "serve", "--config", cfg_path]
        for l in self.listens:
            args += ["--listen", l]
        for l in self.dht_listens:
            args += ["--dht-listen", l]
        for l in self.tls_listens:
            args += ["--tls-listen", l]
        for l in self.admin_listens or ["off"]:
            args += ["--admin-listen", l]
        args += self.extra_args
        self.sweep_path = os.path.join(self.tmp.name, "sweep-request")
        env = dict(os.environ, CAIRN_TEST_SWEEP_FILE=self.sweep_path)
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._stderr, env=env,
                                     preexec_fn=_child_setup(self.fd_limit))
        # one udp and one http line per --listen, one https line per
        # --tls-listen, one dht line per --dht-listen, one admin line per
        # --admin-listen
        want = (2 * len(self.listens) + len(self.tls_listens) + len(self.dht_listens)
                + len(self.admin_listens))
        lines = self._read_lines(want, START_TIMEOUT)
        for line in lines:
            parts = line.split()
            if (len(parts) != 3 or parts[0] != "listening"
                    or parts[1] not in ("udp", "http", "https", "dht", "admin")):
                self._fail("unexpected stdout line %r" % line)
            host, port, fam = _parse_hostport(parts[2])
            if port == 0:
                self._fail("listening line with port 0: %r" % line)
            self.listening.append((parts[1], host, port, fam))
        for proto, host, port, fam in self.listening:
            key = proto + ("4" if fam == socket.AF_INET else "6")
            setattr(self, key, (host, port))
        # For port 0, UDP and HTTP of one --listen share the port number.
        for fam in ("4", "6"):
            u, h = getattr(self, "udp" + fam), getattr(self, "http" + fam)
            if (u is None) != (h is None):
                self._fail("only one of udp/http listening for IPv%s: %r" % (fam, self.listening))
            if u and h and u[1] != h[1]:
                self._fail("udp and http ports differ for IPv%s: %r" % (fam, self.listening))
        return self

    def _read_lines(self, count, timeout):
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + timeout
        while buf.count(b"\n") < count:
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail("timed out after %.0fs waiting for %d listening lines; got %r"
                           % (timeout, count, buf))
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                self.proc.wait(timeout=5)
                self._fail("cairn exited (code %r) before printing %d listening lines; got %r"
                           % (self.proc.returncode, count, buf))
            buf += chunk
        lines = buf.decode("utf-8", "replace").split("\n")
        return [l.strip() for l in lines[:count]]

    def stderr_tail(self, n=4000):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def _fail(self, msg):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        tail = self.stderr_tail()
        self.kill()
        raise ServerError(msg + "\n--- cairn stderr ---\n" + tail)

    def sweep(self, ahead=0):
        """Has the server expire peers and records as of `ahead` seconds from
        now, and returns once it has (its clock does not move)."""
        tmp = self.sweep_path + ".new"
        with open(tmp, "w") as f:
            f.write("%d\n" % ahead)
        os.replace(tmp, self.sweep_path)  # the server never reads half a request
        deadline = time.monotonic() + SWEEP_TIMEOUT
        while os.path.exists(self.sweep_path):
            if time.monotonic() > deadline or not self.alive():
                self._fail("no sweep within %.0fs of the request" % SWEEP_TIMEOUT)
            time.sleep(0.01)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def open_fds(self):
        """How many file descriptors the server process holds now."""
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._cleanup()

    def stop(self, check=True):
        """SIGTERM, wait, and (if check) assert a clean exit with code 0."""
        if self.proc is None:
            return
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                tail = self.stderr_tail()
                self._cleanup()
                if check:
                    raise ServerError("cairn did not exit within %.0fs of SIGTERM\n%s"
                                      % (STOP_TIMEOUT, tail))
                return
            died_early = False
        else:
            died_early = True
        tail = self.stderr_tail()
        self._cleanup()
        if check and (died_early or rc != 0):
            raise ServerError("cairn %s with code %r (expected 0 after SIGTERM)\n%s"
                              % ("died before SIGTERM" if died_early else "exited", rc, tail))

    def _cleanup(self):
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        if getattr(self, "_stderr", None):
            self._stderr.close()
            self._stderr = None
        if self.tmp:
            self.final_log = self.stderr_tail(1 << 20)  # the whole log, kept past the temp dir
            self.tmp.cleanup()
            self.tmp = None


# ---------------------------------------------------------------------------
# Bencode


class BencodeError(ValueError):
    pass


def bdecode(data):
    """Strict decoder: the whole input must be one value."""
    if not isinstance(data, (bytes, bytearray)):
        raise BencodeError("not bytes")
    value, end = _bdecode(bytes(data), 0)
    if end != len(data):
        raise BencodeError("trailing data at %d" % end)
    return value


def _bdecode(d, i):
    if i >= len(d):
        raise BencodeError("truncated")
    c = d[i:i + 1]
    if c == b"i":
        end = d.index(b"e", i)
        text = d[i + 1:end]
        if not text or text == b"-0" or (text.lstrip(b"-").startswith(b"0") and text.lstrip(b"-") != b"0"):
            raise BencodeError("bad integer %r" % text)
        return int(text), end + 1
    if c == b"l":
        i += 1
        out = []
        while d[i:i + 1] != b"e":
            v, i = _bdecode(d, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        last = None
        while d[i:i + 1] != b"e":
            k, i = _bdecode(d, i)
            if not isinstance(k, bytes):
                raise BencodeError("non-string key")
            if last is not None and k <= last:
                raise BencodeError("keys not sorted/unique: %r after %r" % (k, last))
            last = k
            v, i = _bdecode(d, i)
            out[k] = v
        return out, i + 1
    if c.isdigit():
        colon = d.index(b":", i)
        n = int(d[i:colon])
        start = colon + 1
        if start + n > len(d):
            raise BencodeError("string past end")
        return d[start:start + n], start + n
    raise BencodeError("bad byte %r at %d" % (c, i))


def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"
    raise TypeError(v)


# ---------------------------------------------------------------------------
# Peers


def parse_compact4(blob):
    assert len(blob) % 6 == 0, "compact peers length %d not a multiple of 6" % len(blob)
    return [(socket.inet_ntop(socket.AF_INET, blob[i:i + 4]),
             struct.unpack("!H", blob[i + 4:i + 6])[0]) for i in range(0, len(blob), 6)]


def parse_compact6(blob):
    assert len(blob) % 18 == 0, "compact peers6 length %d not a multiple of 18" % len(blob)
    return [(socket.inet_ntop(socket.AF_INET6, blob[i:i + 16]),
             struct.unpack("!H", blob[i + 16:i + 18])[0]) for i in range(0, len(blob), 18)]


def peers_of(reply):
    """Every (ip, port) of a compact HTTP announce reply, both families."""
    return set(parse_compact4(reply[b"peers"])) | set(parse_compact6(reply[b"peers6"]))


def random_hash():
    return os.urandom(20)


def random_peer_id():
    return b"-CT0001-" + os.urandom(12)


_next_port = [random.randint(10000, 20000)]


def fresh_port():
    """A distinct peer port for announces (never bound; the tracker only records it)."""
    _next_port[0] += 1
    if _next_port[0] > 65000:
        _next_port[0] = 10000
    return _next_port[0]


# ---------------------------------------------------------------------------
# HTTP


def pct(b):
    """Percent-encode every byte (valid for any binary parameter)."""
    return "".join("%%%02X" % x for x in b)


def announce_query(info_hash, peer_id, port, uploaded=0, downloaded=0, left=1000, event=None,
                   compact=None, numwant=None, no_peer_id=None, extra=()):
    parts = []
    if info_hash is not None:
        parts.append("info_hash=" + pct(info_hash))
    if peer_id is not None:
        parts.append("peer_id=" + pct(peer_id))
    if port is not None:
        parts.append("port=%s" % port)
    parts += ["uploaded=%d" % uploaded, "downloaded=%d" % downloaded, "left=%d" % left]
    if event is not None:
        parts.append("event=" + event)
    if compact is not None:
        parts.append("compact=%d" % compact)
    if numwant is not None:
        parts.append("numwant=%d" % numwant)
    if no_peer_id is not None:
        parts.append("no_peer_id=%d" % no_peer_id)
    parts += list(extra)
    return "&".join(parts)


class HttpResponse:
    def __init__(self, version, status, reason, headers, body):
        self.version, self.status, self.reason = version, status, reason
        self.headers = headers  # dict, lower-case names
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def bdecoded(self):
        return bdecode(self.body)

    def __repr__(self):
        return "<HTTP %s %s %r>" % (self.status, self.reason, self.body[:200])


class SocketClient:
    """Closes its socket `sock` on close() or at the end of a with block."""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


class HttpConnection(SocketClient):
    """One TCP connection; send raw requests and read framed responses."""

    def __init__(self, addr, timeout=5.0, source=None):
        """source: local address to connect from (e.g. "127.0.0.2"; all of
        127/8 is local), to appear as a different client."""
        fam = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        if source:
            self.sock.bind((source, 0))
        self.sock.connect(addr)
        self.buf = b""
        self.addr = addr


    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def get(self, target, version="HTTP/1.1", headers=None):
        return self.request("GET", target, version=version, headers=headers)

    def request(self, method, target, version="HTTP/1.1", headers=None, body=b""):
        """Any method; a body gets its Content-Length. The answer to HEAD is
        read as having no body, whatever its Content-Length says."""
        host = "[%s]:%d" % self.addr if ":" in self.addr[0] else "%s:%d" % self.addr
        lines = ["%s %s %s" % (method, target, version), "Host: " + host]
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        if body:
            lines.append("Content-Length: %d" % len(body))
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return self.read_response(head=method == "HEAD")

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed by server")
        self.buf += chunk

    def read_response(self, head=False):
        """The next response; head: it answers a HEAD, so it has no body."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head_bytes, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head_bytes.decode("latin-1").split("\r\n")
        version, status, reason = (lines[0].split(" ", 2) + [""])[:3]
        headers = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            headers[k.strip().lower()] = v.strip()
        if head:
            body = b""
        elif "content-length" in headers:
            n = int(headers["content-length"])
            while len(self.buf) < n:
                self._fill()
            body, self.buf = self.buf[:n], self.buf[n:]
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = b""
            while True:
                while b"\r\n" not in self.buf:
                    self._fill()
                size_line, self.buf = self.buf.split(b"\r\n", 1)
                n = int(size_line.split(b";")[0], 16)
                while len(self.buf) < n + 2:
                    self._fill()
                body += self.buf[:n]
                self.buf = self.buf[n + 2:]
                if n == 0:
                    break
        else:
            try:
                while True:
                    self._fill()
            except EOFError:
                pass
            body, self.buf = self.buf, b""
        return HttpResponse(version, int(status), reason, headers, body)

    def closed_by_peer(self, timeout=3.0):
        """True if the server closes the connection (EOF) within timeout, with
        no further bytes. A reset also counts as closed."""
        if self.buf:
            return False
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        return data == b""


def http_get(addr, target, headers=None, version="HTTP/1.1", source=None):
    with HttpConnection(addr, source=source) as c:
        return c.get(target, version=version, headers=headers)


def http_announce(addr, info_hash, peer_id, port, headers=None, source=None, **kw):
    r = http_get(addr, "/announce?" + announce_query(info_hash, peer_id, port, **kw), headers,
                 source=source)
    assert r.status == 200, "announce: HTTP %s %r" % (r.status, r.body)
    return bdecode(r.body)


def http_scrape(addr, hashes, source=None):
    q = "&".join("info_hash=" + pct(h) for h in hashes)
    r = http_get(addr, "/scrape?" + q, source=source)
    assert r.status == 200, "scrape: HTTP %s %r" % (r.status, r.body)
    return bdecode(r.body)


# ---------------------------------------------------------------------------
# UDP (BEP 15)

PROTOCOL_ID = 0x41727101980
ACT_CONNECT, ACT_ANNOUNCE, ACT_SCRAPE, ACT_ERROR = 0, 1, 2, 3
EVENTS = {None: 0, "none": 0, "completed": 1, "started": 2, "stopped": 3}


class UdpTracker(SocketClient):
    """A client socket talking BEP 15 to one tracker address."""

    def __init__(self, addr, timeout=2.0, source=None):
        self.addr = addr
        self.family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        self.sock = socket.socket(self.family, socket.SOCK_DGRAM)
        self.sock.bind((source or ("::1" if self.family == socket.AF_INET6 else "127.0.0.1"), 0))
        self.sock.settimeout(timeout)
        self.timeout = timeout
        self.conn_id = None


    def tid(self):
        return random.getrandbits(32)

    def send(self, data):
        self.sock.sendto(data, self.addr)

    def recv(self, timeout=None):
        """Next datagram from the tracker, or None on timeout."""
        self.sock.settimeout(self.timeout if timeout is None else timeout)
        try:
            while True:
                data, src = self.sock.recvfrom(65536)
                if src[1] == self.addr[1]:  # from the tracker's port
                    return data
        except socket.timeout:
            return None

    def exchange(self, data, timeout=None):
        self.send(data)
        return self.recv(timeout)

    def replies_to(self, data):
        """Every datagram the tracker sends back for `data`: sends it, then
        a connect with a transaction id of its own, and returns what came
        before that connect's reply. A socket's packets are handled in the
        order sent, so a silence needs no timeout to be seen."""
        self.send(data)
        marker = self.tid()
        self.send(struct.pack("!QII", PROTOCOL_ID, ACT_CONNECT, marker))
        replies = []
        while True:
            r = self.recv()
            assert r is not None, "no reply to the connect sent after %r" % data[:40]
            if len(r) == 16 and struct.unpack("!II", r[:8]) == (ACT_CONNECT, marker):
                return replies
            replies.append(r)

    def connect(self):
        t = self.tid()
        r = self.exchange(struct.pack("!QII", PROTOCOL_ID, ACT_CONNECT, t))
        assert r is not None, "no reply to connect"
        assert len(r) >= 16, "connect reply too short: %r" % r
        action, rt, cid = struct.unpack("!IIQ", r[:16])
        assert action == ACT_CONNECT and rt == t, "bad connect reply %r" % r
        self.conn_id = cid
        return cid

    def announce_packet(self, info_hash, peer_id, port, event=None, left=1000, downloaded=0,
                        uploaded=0, numwant=-1, key=0, ip=0, conn_id=None, tid=None, options=b""):
        cid = self.conn_id if conn_id is None else conn_id
        t = self.tid() if tid is None else tid
        pkt = struct.pack("!QII20s20sQQQIIIiH", cid, ACT_ANNOUNCE, t, info_hash, peer_id,
                          downloaded, left, uploaded, EVENTS[event], ip, key, numwant, port)
        assert len(pkt) == 98
        return pkt + options, t

    def announce(self, info_hash, peer_id, port, **kw):
        if self.conn_id is None:
            self.connect()
        pkt, t = self.announce_packet(info_hash, peer_id, port, **kw)
        r = self.exchange(pkt)
        assert r is not None, "no reply to announce"
        return parse_announce_reply(r, t, self.family)

    def scrape_packet(self, hashes, conn_id=None, tid=None):
        cid = self.conn_id if conn_id is None else conn_id
        t = self.tid() if tid is None else tid
        return struct.pack("!QII", cid, ACT_SCRAPE, t) + b"".join(hashes), t

    def scrape(self, hashes):
        if self.conn_id is None:
            self.connect()
        pkt, t = self.scrape_packet(hashes)
        r = self.exchange(pkt)
        assert r is not None, "no reply to scrape"
        action, rt = struct.unpack("!II", r[:8])
        if action == ACT_ERROR:
            raise AssertionError("scrape error reply: %r" % r[8:])
        assert action == ACT_SCRAPE and rt == t, "bad scrape reply header %r" % r[:8]
        body = r[8:]
        assert len(body) == 12 * len(hashes), \
            "scrape reply carries %d bytes for %d hashes" % (len(body), len(hashes))
        return [struct.unpack("!III", body[i:i + 12]) for i in range(0, len(body), 12)]


class UdpAnnounceReply:
    def __init__(self, interval, leechers, seeders, peers):
        self.interval, self.leechers, self.seeders, self.peers = interval, leechers, seeders, peers
        self.raw_peers_len = None


def parse_announce_reply(r, t, family):
    action, rt = struct.unpack("!II", r[:8])
    if action == ACT_ERROR:
        raise AssertionError("announce error reply: %r" % r[8:])
    assert action == ACT_ANNOUNCE, "announce reply action %d" % action
    assert rt == t, "announce reply transaction id %08x, sent %08x" % (rt, t)
    assert len(r) >= 20, "announce reply too short (%d)" % len(r)
    interval, leechers, seeders = struct.unpack("!III", r[8:20])
    blob = r[20:]
    size = 18 if family == socket.AF_INET6 else 6
    assert len(blob) % size == 0, \
        "announce reply peer block of %d bytes is not a multiple of %d" % (len(blob), size)
    peers = parse_compact6(blob) if size == 18 else parse_compact4(blob)
    rep = UdpAnnounceReply(interval, leechers, seeders, peers)
    rep.raw_peers_len = len(blob)
    return rep


def assert_small_or_no_reply(testcase, client, request, what):
    """Sends `request`; the tracker may stay silent or send one error reply,
    never anything larger than the request (no amplification). Returns the
    reply or None."""
    replies = client.replies_to(request)
    testcase.assertLessEqual(len(replies), 1, "%s: %d replies" % (what, len(replies)))
    if not replies:
        return None
    r = replies[0]
    testcase.assertLessEqual(len(r), len(request),
                             "%s: reply of %d bytes to a %d-byte request (amplification): %r"
                             % (what, len(r), len(request), r))
    testcase.assertGreaterEqual(len(r), 8, "%s: runt reply %r" % (what, r))
    testcase.assertEqual(struct.unpack("!I", r[:4])[0], ACT_ERROR,
                         "%s: only an error reply is allowed, got %r" % (what, r))
    return r


# The health check's client address: no test sends from it.
HEALTH_SOURCE = "127.0.0.254"


def failure_of(response):
    """The failure reason of an HTTP 200 bencoded reply, or None."""
    assert response.status == 200, "failures are HTTP 200: %r" % response
    reason = bdecode(response.body).get(b"failure reason")
    return reason.decode() if reason is not None else None


def check_health(server, source=HEALTH_SOURCE):
    """An ordinary client still gets correct answers: on a fresh torrent, a
    seeder over UDP and a leecher over HTTP (and one over IPv6 when it is
    served) see each other and exact counts, UDP and HTTP scrapes agree, and
    once all stop the torrent scrapes as zeros. Raises AssertionError."""
    h = random_hash()
    seeder, leecher, leecher6 = fresh_port(), fresh_port(), fresh_port()
    seeder_id, leecher_id, leecher6_id = random_peer_id(), random_peer_id(), random_peer_id()
    with UdpTracker(server.udp4, source=source) as u:
        r = u.announce(h, seeder_id, seeder, left=0, event="started")
        assert (r.leechers, r.seeders, r.peers) == (0, 1, []), \
            "health: first UDP announce got %r" % ((r.leechers, r.seeders, r.peers),)
        d = http_announce(server.http4, h, leecher_id, leecher, source=source, left=10,
                          event="started")
        assert b"failure reason" not in d, "health: HTTP announce failed: %r" % d
        assert (d[b"complete"], d[b"incomplete"]) == (1, 1), "health: HTTP counts %r" % d
        assert (parse_compact4(d[b"peers"]), d[b"peers6"]) == ([(source, seeder)], b""), \
            "health: HTTP peers %r" % d
        leechers = 1
        if server.udp6:
            with UdpTracker(server.udp6) as u6:
                r = u6.announce(h, leecher6_id, leecher6, left=10)
                assert (r.leechers, r.seeders, r.peers) == (2, 1, []), \
                    "health: UDP over IPv6 got %r" % ((r.leechers, r.seeders, r.peers),)
                leechers = 2
        counts = u.scrape([h])
        assert counts == [(1, 0, leechers)], "health: UDP scrape %r" % counts
        files = http_scrape(server.http4, [h], source=source)[b"files"]
        assert files[h] == {b"complete": 1, b"downloaded": 0, b"incomplete": leechers}, \
            "health: HTTP scrape %r" % files
        u.announce(h, seeder_id, seeder, event="stopped")
        http_announce(server.http4, h, leecher_id, leecher, source=source, event="stopped")
        if server.udp6:
            with UdpTracker(server.udp6) as u6:
                u6.announce(h, leecher6_id, leecher6, event="stopped")
        assert u.scrape([h]) == [(0, 0, 0)], "health: peers left after stopping"


class ServerTestCase(unittest.TestCase):
    """One `cairn serve` per test class, started with CONFIG; stopping it at
    the end asserts that SIGTERM ends it with exit code 0. With HEALTH_CHECK,
    every test is followed by check_health: whatever a test threw at the
    server, other clients must still be served correctly."""
    CONFIG = {}
    DHT_LISTENS = ()  # --dht-listen addresses
    HEALTH_CHECK = False
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = CairnServer(cls.CONFIG, dht_listens=cls.DHT_LISTENS).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop(check=True)

    def setUp(self):
        self.assertTrue(self.server.alive(), "cairn is not running (crashed in an earlier test?)\n"
                        + self.server.stderr_tail())

    def tearDown(self):
        if self.HEALTH_CHECK:
            self.assertTrue(self.server.alive(), "cairn died\n" + self.server.stderr_tail())
            check_health(self.server)

    def udp_client(self, v6=False, source=None):
        """A UdpTracker to this class's server, closed when the test ends."""
        c = UdpTracker(self.server.udp6 if v6 else self.server.udp4, source=source)
        self.addCleanup(c.close)
        return c

    def udp_look(self, info_hash, v6=False):
        """The announce reply a new UDP client (numwant 200) gets for the
        torrent; it stops at once, leaving no trace but its count in the
        reply's leechers."""
        c = self.udp_client(v6)
        pid, port = random_peer_id(), fresh_port()
        r = c.announce(info_hash, pid, port, numwant=200)
        c.announce(info_hash, pid, port, event="stopped")
        return r

    def udp_scrape(self, info_hash, v6=False):
        """(seeders, completed, leechers) of one torrent, from a fresh client."""
        return self.udp_client(v6).scrape([info_hash])[0]
