"""Test helpers for the rendezvous API (docs/rendezvous.md), standard library
only: JSON calls over HTTP with any method, the binary body and UDP
messages, and Ed25519 signing and the sealed-record construction through
libsodium with ctypes (the same library the server and client link), so the
tests check the documented constructions independently of the C++ code.
"""

import base64
import ctypes
import ctypes.util
import json
import os
import socket
import struct

from cairn_harness import ACT_ERROR, HttpConnection, UdpTracker

ACT_REGISTER, ACT_LOOKUP, ACT_UNREGISTER, ACT_WHOAMI = 16, 17, 18, 19
FIELD_ADDRESS, FIELD_UP, FIELD_DOWN, FIELD_PROTOCOL, FIELD_TAG, FIELD_SEALED = 1, 2, 3, 4, 5, 6


def random_topic():
    return os.urandom(20)


def random_id():
    return os.urandom(16)


# ---------------------------------------------------------------------------
# HTTP


def api(addr, method, path, body=None, source=None, raw=None):
    """One request on a fresh connection: (status, decoded JSON or None)."""
    with HttpConnection(addr, source=source) as c:
        host = "[%s]:%d" % addr if ":" in addr[0] else "%s:%d" % addr
        payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        head = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, path, host)
        if payload or method == "POST":
            head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(payload)
        c.send(head.encode() + b"\r\n" + payload)
        r = c.read_response()
    try:
        doc = json.loads(r.body) if r.body else None
    except ValueError:
        doc = None
    return r.status, doc


def records_path(topic, suffix=""):
    return "/v1/topics/%s/records%s" % (topic.hex(), suffix)


def error_code(doc):
    return doc["error"]["code"] if doc and "error" in doc else None


# ---------------------------------------------------------------------------
# The record body


def field(kind, value):
    return struct.pack("!BH", kind, len(value)) + value


def body_of(addresses=(), up=None, down=None, protocols=(), tags=(), sealed=None):
    out = b"".join(field(FIELD_ADDRESS, a.encode()) for a in addresses)
    if up is not None:
        out += field(FIELD_UP, struct.pack("!Q", up))
    if down is not None:
        out += field(FIELD_DOWN, struct.pack("!Q", down))
    out += b"".join(field(FIELD_PROTOCOL, p.encode()) for p in protocols)
    out += b"".join(field(FIELD_TAG, k.encode() + b"\0" + v.encode()) for k, v in tags)
    if sealed is not None:
        out += field(FIELD_SEALED, sealed)
    return out


def addresses_of(body):
    out, i = [], 0
    while i < len(body):
        kind, n = struct.unpack("!BH", body[i:i + 3])
        if kind == FIELD_ADDRESS:
            out.append(body[i + 3:i + 3 + n].decode())
        i += 3 + n
    return out


# ---------------------------------------------------------------------------
# libsodium


def _sodium():
    name = ctypes.util.find_library("sodium") or "libsodium.so.23"
    lib = ctypes.CDLL(name)
    assert lib.sodium_init() >= 0
    return lib


SODIUM = _sodium()


class Signer:
    """An Ed25519 key pair; signs the register and remove messages."""

    def __init__(self):
        self.public = ctypes.create_string_buffer(32)
        self.secret = ctypes.create_string_buffer(64)
        SODIUM.crypto_sign_keypair(self.public, self.secret)
        self.key = self.public.raw

    def sign(self, message):
        sig = ctypes.create_string_buffer(64)
        SODIUM.crypto_sign_detached(sig, None, message, ctypes.c_ulonglong(len(message)), self.secret)
        return sig.raw


def verify(public_key, signature, message):
    return SODIUM.crypto_sign_verify_detached(signature, message, ctypes.c_ulonglong(len(message)),
                                              public_key) == 0


def register_message(topic, seq, ttl, body):
    return b"cairn-rv1 register\0" + topic + struct.pack("!QI", seq, ttl) + body


def remove_message(topic, seq):
    return b"cairn-rv1 remove\0" + topic + struct.pack("!Q", seq)


def keyed_blake2b(key, message, size):
    out = ctypes.create_string_buffer(size)
    SODIUM.crypto_generichash(out, ctypes.c_size_t(size), message, ctypes.c_ulonglong(len(message)),
                              key, ctypes.c_size_t(len(key)))
    return out.raw


def sealed_keys(secret):
    return (keyed_blake2b(b"cairn sealed topic v1", secret, 20),
            keyed_blake2b(b"cairn sealed key v1", secret, 32))


def open_sealed(secret, sealed):
    """The plaintext of a sealed record, or None if it does not open."""
    topic, key = sealed_keys(secret)
    nonce, box = sealed[:24], sealed[24:]
    if len(box) < 16:
        return None
    plain = ctypes.create_string_buffer(len(box) - 16)
    n = ctypes.c_ulonglong(0)
    rc = SODIUM.crypto_aead_xchacha20poly1305_ietf_decrypt(
        plain, ctypes.byref(n), None, box, ctypes.c_ulonglong(len(box)), topic,
        ctypes.c_ulonglong(len(topic)), nonce, key)
    return plain.raw[:n.value] if rc == 0 else None


def b64(data):
    return base64.b64encode(data).decode()


# ---------------------------------------------------------------------------
# UDP


class RendezvousUdp(UdpTracker):
    """BEP 15 connect, then the rendezvous actions."""

    def call(self, action, payload, conn_id=None):
        """(action, transaction ok, rest of the answer) or None on silence."""
        if self.conn_id is None and conn_id is None:
            self.connect()
        cid = self.conn_id if conn_id is None else conn_id
        t = self.tid()
        packet = struct.pack("!QII", cid, action, t) + payload
        r = self.exchange(packet)
        if r is None:
            return None
        got, rt = struct.unpack("!II", r[:8])
        assert rt == t, "transaction id %08x, sent %08x" % (rt, t)
        return got, r[8:], len(packet), len(r)

    def register(self, topic, rid, body, ttl=0, signed=None, conn_id=None):
        flags = 1 if signed else 0
        payload = topic + struct.pack("!IB", ttl, len(rid)) + rid + bytes([flags])
        if signed:
            payload += struct.pack("!Q", signed[0]) + signed[1]
        payload += struct.pack("!H", len(body)) + body
        return self.call(ACT_REGISTER, payload, conn_id)

    def lookup(self, topic, limit=0, cursor=b"\0" * 12, capability=b""):
        return self.call(ACT_LOOKUP, topic + bytes([limit]) + cursor + bytes([len(capability)]) + capability)

    def unregister(self, topic, rid, signed=None):
        payload = topic + bytes([len(rid)]) + rid + bytes([1 if signed else 0])
        if signed:
            payload += struct.pack("!Q", signed[0]) + signed[1]
        return self.call(ACT_UNREGISTER, payload)

    def whoami(self):
        return self.call(ACT_WHOAMI, b"")


def parse_lookup(rest):
    """cursor, more, [records as dicts] of a UDP look-up answer."""
    cursor, flags, count = rest[:12], rest[12], rest[13]
    i, out = 14, []
    for _ in range(count):
        idlen = rest[i]
        rid = rest[i + 1:i + 1 + idlen]
        i += 1 + idlen
        rflags = rest[i]
        i += 1
        alen = 16 if rflags & 2 else 4
        source = socket.inet_ntop(socket.AF_INET6 if rflags & 2 else socket.AF_INET, rest[i:i + alen])
        i += alen
        last_seen, expires_in = struct.unpack("!II", rest[i:i + 8])
        i += 8
        rec = {"id": rid, "source": source, "last_seen": last_seen, "expires_in": expires_in}
        if rflags & 1:
            rec["seq"], rec["signature"] = struct.unpack("!Q", rest[i:i + 8])[0], rest[i + 8:i + 72]
            i += 72
        (blen,) = struct.unpack("!H", rest[i:i + 2])
        rec["body"] = rest[i + 2:i + 2 + blen]
        i += 2 + blen
        out.append(rec)
    assert i == len(rest), "look-up answer has %d bytes after its records" % (len(rest) - i)
    return cursor, bool(flags & 1), out


def error_text(answer):
    action, rest = answer[0], answer[1]
    return rest.decode() if action == ACT_ERROR else None
