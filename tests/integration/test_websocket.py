"""The WebSocket (WebTorrent) tracker over real sockets: the handshake,
offer and answer routing, refusals, close = stopped, one socket for many
torrents, slow readers, limits on frames, and counts shared with the HTTP
tracker."""

import os
import socket
import struct
import time
import unittest

from cairn_harness import CairnServer, http_announce
from ws_client import Closed, WsClient, announce, answer, lat, scrape, unlat

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
ANSWER = {"type": "answer", "sdp": "v=0\r\na=answer\r\n"}


def h(n):
    """An id whose bytes cover awkward latin1 values: controls, quotes, 0x80+."""
    return bytes([n, 0x00, 0x22, 0x5C, 0x7F, 0x80, 0xFF, 0x0A]) + bytes(range(200, 212))


def pid(n):
    return bytes([0xC3, n]) + b"-peer-id-%02d-xxxxxx" % n


def oid(n):
    return bytes([0xF0 | (n & 0xF)]) + os.urandom(19)


class WebSocketTracker(unittest.TestCase):
    CONFIG = {"ws": {"ping_interval": 1, "idle_timeout": 3, "send_timeout": 2,
                     "max_queue": 65536, "max_message": 8192, "max_frame": 8192}}

    @classmethod
    def setUpClass(cls):
        cls.server = CairnServer(config=cls.CONFIG).start()
        cls.addr = cls.server.http4

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def connect(self, path="/"):
        ws = WsClient(self.addr, path=path)
        self.assertEqual(ws.status, 101)
        self.addCleanup(ws.sock.close)
        return ws

    def join(self, ws, info_hash, peer_id, **kw):
        ws.send_json(announce(info_hash, peer_id, event="started", **kw))
        reply = ws.recv_json()
        self.assertEqual(reply["action"], "announce", reply)
        self.assertNotIn("failure reason", reply)
        return reply

    def test_handshake_on_both_paths_and_refusals(self):
        self.connect("/")
        self.connect("/announce")
        bad = WsClient(self.addr, handshake=False)
        self.addCleanup(bad.sock.close)
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        bad.sock.sendall(("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: "
                          "Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 8\r\n\r\n"
                          % key).encode())
        head = bad._read_head()
        self.assertIn(b"426", head.split(b"\r\n")[0])
        self.assertIn(b"Sec-WebSocket-Version: 13", head)
        # No extension is agreed, whatever the client offers.
        ws = WsClient(self.addr, handshake=False)
        self.addCleanup(ws.sock.close)
        ws.handshake("/", self.addr, extra=b"Sec-WebSocket-Extensions: permessage-deflate\r\n")
        self.assertEqual(ws.status, 101)
        self.assertNotIn("sec-websocket-extensions", ws.headers)

    def test_offer_and_answer_are_routed(self):
        ih = h(1)
        a, b = self.connect(), self.connect()
        self.join(b, ih, pid(2))
        o = oid(1)
        a.send_json(announce(ih, pid(1), event="started", offers=[(o, OFFER)]))
        reply = a.recv_json()
        self.assertEqual((reply["complete"], reply["incomplete"]), (0, 2))
        self.assertEqual(unlat(reply["info_hash"]), ih)
        self.assertEqual(reply["interval"], 120)
        offer = b.recv_json()
        self.assertEqual(offer, {"action": "announce", "info_hash": lat(ih), "peer_id": lat(pid(1)),
                                 "offer": OFFER, "offer_id": lat(o)})
        b.send_json(answer(ih, pid(2), pid(1), o, ANSWER))
        got = a.recv_json()
        self.assertEqual(got, {"action": "announce", "info_hash": lat(ih), "peer_id": lat(pid(2)),
                               "answer": ANSWER, "offer_id": lat(o)})
        # No reply to the answer itself; a second answer to the same offer is refused.
        self.assertTrue(b.no_message_within(0.3))
        b.send_json(answer(ih, pid(2), pid(1), o, ANSWER))
        err = b.recv_json()
        self.assertEqual(err["action"], "announce")
        self.assertEqual(unlat(err["info_hash"]), ih)
        self.assertIn("no such offer", err["failure reason"])

    def test_answer_without_a_matching_offer(self):
        ih = h(2)
        a, b = self.connect(), self.connect()
        self.join(a, ih, pid(1))
        self.join(b, ih, pid(2))
        b.send_json(answer(ih, pid(2), pid(1), oid(9), ANSWER))
        err = b.recv_json()
        self.assertEqual((err["action"], unlat(err["info_hash"])), ("announce", ih))
        self.assertIn("no such offer", err["failure reason"])
        self.assertTrue(a.no_message_within(0.3))
        # An answer for a torrent this connection never announced.
        b.send_json(answer(h(99), pid(2), pid(1), oid(9), ANSWER))
        self.assertIn("has not announced", b.recv_json()["failure reason"])

    def test_close_is_stopped_for_every_torrent_of_the_socket(self):
        a, watcher = self.connect(), self.connect()
        hashes = [h(10), h(11), h(12)]
        for ih in hashes:  # one socket, many torrents, the same peer id
            self.join(a, ih, pid(1))
        watcher.send_json(scrape(*hashes))
        files = watcher.recv_json()["files"]
        self.assertEqual([files[lat(ih)]["incomplete"] for ih in hashes], [1, 1, 1])
        a.close()
        deadline = time.monotonic() + 5
        while True:
            watcher.send_json(scrape(*hashes))
            files = watcher.recv_json()["files"]
            if all(files[lat(ih)]["incomplete"] == 0 for ih in hashes):
                break
            self.assertLess(time.monotonic(), deadline, files)
            time.sleep(0.05)

    def test_second_peer_id_for_a_torrent_is_refused(self):
        ws = self.connect()
        self.join(ws, h(20), pid(1))
        ws.send_json(announce(h(20), pid(2), event="started"))
        err = ws.recv_json()
        self.assertIn("one peer_id per torrent", err["failure reason"])
        self.assertEqual(unlat(err["info_hash"]), h(20))
        # Another connection cannot take the id either.
        other = self.connect()
        other.send_json(announce(h(20), pid(1), event="started"))
        self.assertIn("in use by another connection", other.recv_json()["failure reason"])

    def test_what_real_clients_send_is_accepted(self):
        ws = self.connect()
        # WebTorrent: completed (no offers) before started (with offers), left null.
        ws.send_json(announce(h(30), pid(1), event="completed", left=0))
        self.assertEqual(ws.recv_json()["complete"], 1)
        ws.send_json(announce(h(30), pid(1), event="started", left=None, offers=[(oid(1), OFFER)],
                              uploaded=0, downloaded=0, trackerid=None))
        reply = ws.recv_json()
        self.assertEqual((reply["complete"], reply["incomplete"]), (0, 1))

    def test_malformed_messages_get_an_error_and_the_socket_stays(self):
        ws = self.connect()
        for text, reason in [("not json", "invalid message"),
                             ('{"action":"connect"}', "invalid action"),
                             ('{"action":"announce","info_hash":"short"}', "invalid info_hash")]:
            ws.send_text(text)
            self.assertIn(reason, ws.recv_json()["failure reason"], text)
        # An id with a code point past U+00FF.
        ws.send_text('{"action":"announce","info_hash":"%s","peer_id":"%s"}'
                     % ("\u0100" * 20, "a" * 20))
        err = ws.recv_json()
        self.assertEqual(err["action"], "announce")
        self.assertIn("invalid info_hash", err["failure reason"])
        self.join(ws, h(40), pid(1))  # still served

    def test_oversize_and_malformed_frames_close_with_their_codes(self):
        ws = self.connect()
        ws.send_raw(WsClient.frame(0x1, b"x" * 9000))
        self.assertEqual(ws.expect_close(), 1009)
        ws = self.connect()
        ws.send_raw(WsClient.frame(0x1, b"{}", mask=False))  # clients must mask
        self.assertEqual(ws.expect_close(), 1002)
        ws = self.connect()
        ws.send_raw(WsClient.frame(0x1, b"{}", rsv=0x40))  # no extension was agreed
        self.assertEqual(ws.expect_close(), 1002)
        ws = self.connect()
        ws.send_raw(WsClient.frame(0x1, b"\xc3\x28"))  # not UTF-8
        self.assertEqual(ws.expect_close(), 1007)
        # A declared 1 GiB frame is refused from its header.
        ws = self.connect()
        ws.send_raw(struct.pack("!BBQ", 0x82, 0xFF, 1 << 30) + b"\0\0\0\0")
        self.assertEqual(ws.expect_close(), 1009)

    def test_ping_close_handshake_and_idle_timeout(self):
        ws = self.connect()
        ws.send_raw(WsClient.frame(0x9, b"hi"))
        fin, op, payload = ws.recv_frame()
        self.assertEqual((op, payload), (0xA, b"hi"))
        ws.send_raw(WsClient.frame(0x8, struct.pack("!H", 1000)))
        self.assertEqual(ws.expect_close(), 1000)
        # A silent client is pinged, then closed.
        quiet = self.connect()
        quiet.sock.settimeout(10)
        fin, op, _ = quiet.recv_frame()
        self.assertEqual(op, 0x9)
        self.assertIsNone(quiet.expect_close(timeout=10))

    def test_slow_reader_does_not_stall_others_and_is_closed(self):
        ih = h(50)
        slow = WsClient(self.addr)
        slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.addCleanup(slow.sock.close)
        self.join(slow, ih, pid(1))
        fast = self.connect()
        self.join(fast, ih, pid(2))
        sender = self.connect()
        big = {"type": "offer", "sdp": "x" * 3000}
        # Far more than the slow reader's queue (64 KiB) and socket buffers:
        # what does not fit is dropped (counted: connections_deliveries_dropped).
        for i in range(400):
            sender.send_json(announce(ih, pid(3), offers=[(oid(i), big), (oid(i + 1), big)]))
            sender.recv_json()
            self.assertEqual(fast.recv_json()["peer_id"], lat(pid(3)))
        # The slow one stayed stuck past send_timeout: closed; the others go on.
        self.assertIsNone(self._closed_within(slow, 4.5, keep_alive=(fast, sender)))
        sender.send_json(announce(ih, pid(3)))
        self.assertEqual(sender.recv_json()["incomplete"], 2)

    def _closed_within(self, ws, seconds, keep_alive=()):
        """None if the server closed `ws` within `seconds` of not reading it
        (what it sent before then drains, then EOF); the `keep_alive`
        connections answer pings all the while."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:  # not reading `ws`: its queue stays stuck
            for other in keep_alive:
                other.no_message_within(0.2)
        # Its socket buffers drain at most a few hundred KiB, slowly (a
        # 4 KiB window): read in short turns, the others kept alive.
        ws.sock.settimeout(0.2)
        drain_until = time.monotonic() + 10
        try:
            while time.monotonic() < drain_until:
                try:
                    if not ws.sock.recv(1 << 20):
                        return None
                except socket.timeout:
                    for other in keep_alive:
                        other.no_message_within(0.05)
            return "still open"
        except (ConnectionResetError, BrokenPipeError):
            return None

    def test_counts_are_shared_with_the_http_tracker(self):
        ih = h(60)
        ws = self.connect()
        self.join(ws, ih, pid(1), left=0)
        reply = http_announce(self.addr, ih, b"-HT0001-abcdefghijkl", 6881)
        self.assertEqual((reply[b"complete"], reply[b"incomplete"]), (1, 1))
        # The HTTP peer is counted for the browser, but never sent offers.
        ws.send_json(announce(ih, pid(1), offers=[(oid(1), OFFER)], left=0))
        reply = ws.recv_json()
        self.assertEqual((reply["complete"], reply["incomplete"]), (1, 1))
        self.assertTrue(ws.no_message_within(0.3))


class PerAddressLimit(unittest.TestCase):
    def test_one_address_cannot_hold_every_connection(self):
        # Loopback is trusted by default; here it is not.
        config = {"http": {"max_connections_per_address": 3},
                  "rate_limit": {"trusted_networks": []}}
        with CairnServer(config=config) as server:
            held = [socket.create_connection(server.http4) for _ in range(3)]
            # Each one answered, so the server has accepted it: with a queue
            # per worker, the extra one could otherwise be accepted first.
            for s in held:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                s.settimeout(5)
                self.assertIn(b"200", s.recv(4096))
            extra = socket.create_connection(server.http4)
            extra.settimeout(5)
            self.assertEqual(extra.recv(1), b"")  # closed at once
            # Over IPv6 the same limit is another address's.
            six = socket.create_connection(server.http6)
            six.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            six.settimeout(5)
            self.assertIn(b"200", six.recv(4096))
            held[0].close()
            time.sleep(0.2)
            again = socket.create_connection(server.http4)
            again.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            again.settimeout(5)
            self.assertIn(b"200", again.recv(4096))
            for s in held[1:] + [extra, six, again]:
                s.close()


if __name__ == "__main__":
    unittest.main()
