"""A small WebSocket client (RFC 6455) for the integration tests, standard
library only: the handshake, masked frames out, frames in (pings answered),
and the WebTorrent tracker's JSON with 20-byte ids as latin1 strings.

  ws = WsClient(("127.0.0.1", port))            # ws://, path "/"
  ws = WsClient(addr, tls_context=ctx)          # wss://
  ws.send_json({"action": "announce", "info_hash": lat(h), ...})
  msg = ws.recv_json()                           # dict, ids as latin1 str
"""

import base64
import hashlib
import json
import os
import socket
import ssl
import struct
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def lat(b):
    """20 bytes as the latin1 string the JS client sends."""
    return b.decode("latin-1")


def unlat(s):
    return s.encode("latin-1")


class Closed(Exception):
    """The server closed: .code is its close code (None: no close frame)."""

    def __init__(self, code):
        super().__init__("closed with %r" % (code,))
        self.code = code


class WsClient:
    def __init__(self, addr, path="/", tls_context=None, timeout=5.0, handshake=True,
                 server_hostname="localhost"):
        fam = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        raw = socket.create_connection(addr, timeout=timeout)
        self.sock = (tls_context.wrap_socket(raw, server_hostname=server_hostname)
                     if tls_context else raw)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.status = None
        self.headers = {}
        self.close_code = None
        if handshake:
            self.handshake(path, addr)

    # -- handshake ---------------------------------------------------------

    def handshake(self, path, addr, key=None, extra=b""):
        key = key or base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n" % (path, addr[0], addr[1], key)).encode()
        self.sock.sendall(req + extra + b"\r\n")
        head = self._read_head()
        lines = head.split(b"\r\n")
        self.status = int(lines[0].split()[1])
        for l in lines[1:]:
            if b":" in l:
                k, v = l.split(b":", 1)
                self.headers[k.strip().lower().decode()] = v.strip().decode()
        if self.status == 101:
            want = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
            if self.headers.get("sec-websocket-accept") != want:
                raise AssertionError("bad Sec-WebSocket-Accept: %r" % self.headers)
        return self.status

    def _read_head(self):
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed(None)
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        return head

    # -- frames ------------------------------------------------------------

    @staticmethod
    def frame(opcode, payload, fin=True, mask=True, rsv=0):
        b0 = (0x80 if fin else 0) | rsv | opcode
        n = len(payload)
        mbit = 0x80 if mask else 0
        if n < 126:
            head = struct.pack("!BB", b0, mbit | n)
        elif n < 65536:
            head = struct.pack("!BBH", b0, mbit | 126, n)
        else:
            head = struct.pack("!BBQ", b0, mbit | 127, n)
        if not mask:
            return head + payload
        key = os.urandom(4)
        body = bytes(c ^ key[i % 4] for i, c in enumerate(payload))
        return head + key + body

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_text(self, text):
        self.sock.sendall(self.frame(0x1, text.encode("utf-8")))

    def send_json(self, obj):
        self.send_text(json.dumps(obj, ensure_ascii=False))

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed(self.close_code)
            self.buf += chunk

    def recv_frame(self):
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        n = b1 & 0x7F
        at = 2
        if n == 126:
            self._need(4)
            n = struct.unpack("!H", self.buf[2:4])[0]
            at = 4
        elif n == 127:
            self._need(10)
            n = struct.unpack("!Q", self.buf[2:10])[0]
            at = 10
        if b1 & 0x80:
            raise AssertionError("the server masked a frame")
        self._need(at + n)
        payload = self.buf[at:at + n]
        self.buf = self.buf[at + n:]
        return b0 & 0x80 != 0, b0 & 0x0F, payload

    def recv_message(self, answer_pings=True):
        """The next text message (str); raises Closed on a close frame."""
        while True:
            fin, op, payload = self.recv_frame()
            if op == 0x9 and answer_pings:
                self.sock.sendall(self.frame(0xA, payload))
                continue
            if op == 0xA:
                continue
            if op == 0x8:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise Closed(self.close_code)
            return payload.decode("utf-8")

    def recv_json(self):
        return json.loads(self.recv_message())

    def expect_close(self, timeout=5.0):
        """Reads until the server's close frame (returns its code) or EOF (None)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                self.recv_message()
        except Closed as c:
            return c.code
        except (ConnectionResetError, BrokenPipeError):
            return None

    def no_message_within(self, seconds):
        """True if nothing arrives for `seconds`."""
        self.sock.settimeout(seconds)
        try:
            self.recv_message()
            return False
        except socket.timeout:
            return True
        finally:
            self.sock.settimeout(5.0)

    def close(self):
        try:
            self.sock.sendall(self.frame(0x8, struct.pack("!H", 1000)))
        except OSError:
            pass
        self.sock.close()


def announce(info_hash, peer_id, event=None, left=None, offers=None, **extra):
    msg = {"action": "announce", "info_hash": lat(info_hash), "peer_id": lat(peer_id),
           "numwant": len(offers or []), "left": left}
    if event:
        msg["event"] = event
    if offers is not None:
        msg["offers"] = [{"offer": o, "offer_id": lat(i)} for i, o in offers]
    msg.update(extra)
    return msg


def answer(info_hash, peer_id, to_peer_id, offer_id, sdp):
    return {"action": "announce", "info_hash": lat(info_hash), "peer_id": lat(peer_id),
            "to_peer_id": lat(to_peer_id), "offer_id": lat(offer_id), "answer": sdp}


def scrape(*hashes):
    msg = {"action": "scrape"}
    if hashes:
        msg["info_hash"] = [lat(h) for h in hashes]
    return msg
