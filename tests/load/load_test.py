#!/usr/bin/python3
"""Runs `cairn load` against `cairn serve` on loopback.

1. A UDP preload of a small workload; an HTTP scrape of every info hash must
   then count exactly the peers that were announced.
2. Each mode for about two seconds: no invalid reply, some responses (dht:
   against the DHT node, whose get_peers replies carry the preloaded peers).

Standard library only. CAIRN_BIN names the binary.
"""
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request

CAIRN = os.environ.get("CAIRN_BIN", "cairn")
TORRENTS, PEERS, SEED = 1000, 5000, 11
WORKLOAD = ["--torrents", str(TORRENTS), "--peers", str(PEERS), "--seed", str(SEED)]


def bdecode(data, i=0):
    """Returns (value, next index); enough of BEP 3 for scrape replies."""
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1:end]), end + 1
    if c == b"l":
        items, i = [], i + 1
        while data[i:i + 1] != b"e":
            v, i = bdecode(data, i)
            items.append(v)
        return items, i + 1
    if c == b"d":
        d, i = {}, i + 1
        while data[i:i + 1] != b"e":
            k, i = bdecode(data, i)
            d[k], i = bdecode(data, i)
        return d, i + 1
    colon = data.index(b":", i)
    n = int(data[i:colon])
    return data[colon + 1:colon + 1 + n], colon + 1 + n


def start_server():
    server = subprocess.Popen([CAIRN, "serve", "--listen", "127.0.0.1:0", "--dht-listen",
                               "127.0.0.1:0", "--admin-listen", "off"], stdout=subprocess.PIPE, text=True)
    ports = {}
    while len(ports) < 3:
        line = server.stdout.readline()
        if not line:
            sys.exit("cairn serve exited before listening")
        if line.startswith("listening "):
            proto, endpoint = line.split()[1:3]
            ports[proto] = endpoint
    return server, ports


def run_load(target, *args):
    cmd = [CAIRN, "load", "--target", target, "--json", *WORKLOAD, *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    print(done.stdout, end="")
    if done.returncode not in (0, 2):
        sys.exit(f"{' '.join(cmd)} failed: {done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def scrape_total(http_endpoint):
    hashes = subprocess.run([CAIRN, "load", "--print-hashes", *WORKLOAD], capture_output=True,
                            text=True, check=True).stdout.split()
    assert len(hashes) == TORRENTS, len(hashes)
    total = 0
    for at in range(0, len(hashes), 50):
        query = "&".join("info_hash=" + urllib.parse.quote(bytes.fromhex(h), safe="")
                         for h in hashes[at:at + 50])
        with urllib.request.urlopen(f"http://{http_endpoint}/scrape?{query}", timeout=10) as reply:
            files = bdecode(reply.read())[0][b"files"]
        total += sum(f[b"complete"] + f[b"incomplete"] for f in files.values())
    return total


def main():
    server, ports = start_server()
    failures = []
    try:
        pre = run_load(ports["udp"], "--mode", "udp", "--preload")
        if pre["invalid"] or pre["announces"] != PEERS:
            failures.append(f"preload: {pre}")
        total = scrape_total(ports["http"])
        if total != PEERS:
            failures.append(f"preload: scrapes count {total} peers, expected {PEERS}")
        for mode in ("udp", "udp-connect", "http", "http-close", "dht"):
            target = ports["udp"] if mode.startswith("udp") else ports[mode.split("-")[0]]
            r = run_load(target, "--mode", mode, "--warmup", "0.3", "--duration", "2")
            if r["invalid"] or r["responses"] == 0:
                failures.append(f"{mode}: {r}")
            if mode == "dht" and not (r["pings"] and r["find_nodes"] and r["get_peers"]
                                      and r["peers_per_reply"] > 0):
                failures.append(f"dht: a kind of query got no valid reply, or no values: {r}")
            if mode == "http" and r["reconnects"]:
                failures.append(f"http: cairn keeps connections alive, yet {r['reconnects']} reconnects")
    finally:
        server.terminate()
        server.wait(timeout=30)
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
