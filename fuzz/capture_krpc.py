#!/usr/bin/python3
"""Captures the KRPC packets a real client sends, as fuzz seeds.

A python3-libtorrent session on 127.0.0.2 is told that the only DHT
bootstrap node is a socket of this script on 127.0.0.1. The script answers
its queries as a DHT node would (with a token, so libtorrent goes on to
announce), and sends it every query of BEP 5 plus an unknown method and a
malformed one, so that its replies and errors are captured too. One file
per kind of packet goes to the directory given (default: the krpc seed
corpus beside this script). Loopback only; done in a few seconds.

Run: /usr/bin/python3 fuzz/capture_krpc.py [OUT_DIR]
"""

import os
import socket
import sys
import time

import libtorrent as lt

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "corpus", "krpc")
NODE_ID = bytes(range(20))
INFO_HASH = bytes(range(100, 120))


# What the script asks libtorrent; "cp" + the name marks each reply.
QUERIES = (
    (b"cpping", b"ping", {}),
    (b"cpfind_node", b"find_node", {b"target": INFO_HASH, b"want": [b"n4", b"n6"]}),
    (b"cpget_peers", b"get_peers", {b"info_hash": INFO_HASH}),
    (b"cpunknown", b"no_such_method", {}),
    # a token libtorrent never gave: its error reply
    (b"cpbad", b"announce_peer", {b"info_hash": INFO_HASH, b"port": 1, b"token": b"forged"}),
)


def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    return b"d" + b"".join(bencode(k) + bencode(v[k]) for k in sorted(v)) + b"e"


def field(packet, key):
    """The string value of a short key in a packet (enough for t, y, q)."""
    tag = b"1:%s" % key
    i = packet.find(tag)
    if i < 0:
        return b""
    rest = packet[i + len(tag):]
    n, _, rest = rest.partition(b":")
    return rest[:int(n)] if n.isdigit() else b""


def main():
    os.makedirs(OUT, exist_ok=True)
    node = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    node.bind(("127.0.0.1", 0))
    node.settimeout(0.2)
    ses = lt.session({
        "listen_interfaces": "127.0.0.2:0",
        "enable_dht": True,
        "dht_bootstrap_nodes": "127.0.0.1:%d" % node.getsockname()[1],
        "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "dht_restrict_routing_ips": False, "dht_restrict_search_ips": False,
        "dht_block_ratelimit": 1000,
    })
    atp = lt.parse_magnet_uri("magnet:?xt=urn:btih:" + INFO_HASH.hex())
    atp.save_path = "/tmp"
    ses.add_torrent(atp)
    captured = {}
    client = None
    sent = False
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(captured) < 11:
        try:
            packet, src = node.recvfrom(2048)
        except socket.timeout:
            continue
        y, t, q = field(packet, b"y"), field(packet, b"t"), field(packet, b"q")
        kind = {b"q": "query_" + q.decode(errors="replace"), b"r": "reply", b"e": "error"}
        name = kind.get(y, "other")
        if y in (b"r", b"e") and t.startswith(b"cp"):
            name = "%s_to_%s" % (name, t[2:].decode())
        captured.setdefault(name, packet)
        client = src
        if y == b"q":
            r = {b"id": NODE_ID}
            if q in (b"find_node", b"get_peers"):
                r[b"nodes"] = b""
            if q == b"get_peers":
                r[b"token"] = b"tok3n"
            ip = socket.inet_aton(src[0]) + src[1].to_bytes(2, "big")
            node.sendto(bencode({b"t": t, b"y": b"r", b"r": r, b"ip": ip}), src)
        if client and not sent:
            sent = True
            for tid, q, extra in QUERIES:
                args = {b"id": NODE_ID}
                args.update(extra)
                node.sendto(bencode({b"t": tid, b"y": b"q", b"q": q, b"a": args}), client)
    for name, packet in sorted(captured.items()):
        with open(os.path.join(OUT, "libtorrent_" + name), "wb") as f:
            f.write(packet)
        print("%-32s %4d bytes" % (name, len(packet)))
    del ses


if __name__ == "__main__":
    main()
