#!/usr/bin/python3
"""The rendezvous API of the real `cairn serve` binary, call by call and
error by error as docs/rendezvous.md describes it: register, look up,
remove and whoami over HTTP (JSON) and UDP (binary); TTL grants; ownership
of unsigned records; signed records (seq rules, replays, tombstones), with
signatures checked here through libsodium; every limit; expiry; and that
records survive a restart.

Different clients are different loopback source addresses (all of 127/8 is
local).

Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_rendezvous.py [-v]
"""

import base64
import os
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairn_harness import ACT_ERROR, CairnServer, ServerTestCase  # noqa: E402
from rendezvous_harness import (ACT_LOOKUP, ACT_REGISTER, ACT_UNREGISTER, ACT_WHOAMI,  # noqa: E402
                                RendezvousUdp, Signer, api, b64, body_of, error_code,
                                parse_lookup, random_id, random_topic, records_path,
                                register_message, remove_message, verify)

TTLS = {"min_ttl": 2, "max_ttl": 30, "default_ttl": 10}


def register(addr, topic, doc, source=None):
    return api(addr, "POST", records_path(topic), doc, source=source)


def lookup(addr, topic, query="", source=None):
    status, doc = api(addr, "GET", records_path(topic) + query, source=source)
    assert status == 200, (status, doc)
    return doc


def signed_doc(signer, topic, seq, ttl=0, **fields):
    """A signed registration: the body the server will build from `fields`
    is signed over the documented message."""
    body = body_of(**fields)
    doc = {"public_key": signer.key.hex(), "seq": seq,
           "signature": signer.sign(register_message(topic, seq, ttl, body)).hex()}
    if ttl:
        doc["ttl"] = ttl
    if fields.get("addresses"):
        doc["addresses"] = list(fields["addresses"])
    return doc


class HttpApi(ServerTestCase):
    CONFIG = {"rendezvous": TTLS}

    def test_register_then_lookup_fills_the_source_address(self):
        topic, rid = random_topic(), random_id()
        status, doc = register(self.server.http4, topic, {
            "id": rid.hex(), "addresses": [":7000", "wss://relay.example/abc"],
            "meta": {"up": 10_000_000, "down": 50_000_000, "protocols": ["webrtc", "tcp"],
                     "tags": {"app": "chat", "v": "2"}},
            "ttl": 20})
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["id"], rid.hex())
        self.assertEqual(doc["ttl"], 20)
        self.assertEqual(doc["reannounce_after"], 10)
        self.assertTrue(doc["observed"].startswith("127.0.0.1:"), doc)
        found = lookup(self.server.http4, topic)
        self.assertEqual(len(found["records"]), 1)
        r = found["records"][0]
        self.assertEqual(r["id"], rid.hex())
        self.assertEqual(r["addresses"], ["127.0.0.1:7000", "wss://relay.example/abc"])
        self.assertEqual(r["meta"]["up"], 10_000_000)
        self.assertEqual(r["meta"]["down"], 50_000_000)
        self.assertEqual(r["meta"]["protocols"], ["webrtc", "tcp"])
        self.assertEqual(r["meta"]["tags"], {"app": "chat", "v": "2"})
        self.assertLessEqual(r["last_seen"], 1)
        self.assertGreaterEqual(r["expires_in"], 19)
        self.assertFalse(found.get("more", False))

    def test_ttl_is_granted_within_bounds(self):
        topic = random_topic()
        for asked, granted in ((1, 2), (None, 10), (25, 25), (99_999, 30)):
            doc = {"id": random_id().hex(), "addresses": [":1"]}
            if asked is not None:
                doc["ttl"] = asked
            status, reply = register(self.server.http4, topic, doc)
            self.assertEqual((status, reply["ttl"], reply["reannounce_after"]), (200, granted, granted // 2))

    def test_replace_keeps_one_record_and_other_addresses_are_refused(self):
        topic, rid = random_topic(), random_id().hex()
        register(self.server.http4, topic, {"id": rid, "addresses": [":1"]})
        status, _ = register(self.server.http4, topic, {"id": rid, "addresses": [":2"]})
        self.assertEqual(status, 200)
        records = lookup(self.server.http4, topic)["records"]
        self.assertEqual([r["addresses"] for r in records], [["127.0.0.1:2"]])
        status, doc = register(self.server.http4, topic, {"id": rid, "addresses": [":3"]}, source="127.0.0.2")
        self.assertEqual((status, error_code(doc)), (403, "not_owner"))
        status, doc = api(self.server.http4, "DELETE", records_path(topic, "/" + rid), source="127.0.0.2")
        self.assertEqual((status, error_code(doc)), (403, "not_owner"))
        status, doc = api(self.server.http4, "DELETE", records_path(topic, "/" + rid))
        self.assertEqual((status, doc), (200, {"removed": True}))
        status, doc = api(self.server.http4, "DELETE", records_path(topic, "/" + rid))
        self.assertEqual((status, error_code(doc)), (404, "not_found"))
        self.assertEqual(lookup(self.server.http4, topic)["records"], [])

    def test_capability_limit_more_and_cursor(self):
        topic = random_topic()
        ids = []
        for i in range(5):
            rid = random_id().hex()
            ids.append(rid)
            register(self.server.http4, topic, {"id": rid, "addresses": [":%d" % (1000 + i)],
                                                "meta": {"protocols": ["webrtc" if i % 2 else "tcp"]}})
        webrtc = lookup(self.server.http4, topic, "?capability=webrtc")["records"]
        self.assertEqual([r["id"] for r in webrtc], [ids[1], ids[3]])
        page = lookup(self.server.http4, topic, "?limit=2")
        self.assertTrue(page["more"])
        self.assertEqual([r["id"] for r in page["records"]], ids[:2])
        rest = lookup(self.server.http4, topic, "?limit=10&cursor=" + page["cursor"])
        self.assertEqual([r["id"] for r in rest["records"]], ids[2:])
        self.assertFalse(rest.get("more", False))
        # Only what is new since the last look-up: a renewal counts as new.
        nothing = lookup(self.server.http4, topic, "?cursor=" + rest["cursor"])
        self.assertEqual(nothing["records"], [])
        register(self.server.http4, topic, {"id": ids[0], "addresses": [":1000"]})
        again = lookup(self.server.http4, topic, "?cursor=" + nothing["cursor"])
        self.assertEqual([r["id"] for r in again["records"]], [ids[0]])

    def test_whoami(self):
        status, doc = api(self.server.http4, "GET", "/v1/whoami", source="127.0.0.9")
        self.assertEqual(status, 200)
        self.assertEqual(doc["address"], "127.0.0.9")
        self.assertGreater(doc["port"], 0)
        status, doc = api(self.server.http6, "GET", "/v1/whoami")
        self.assertEqual((status, doc["address"]), (200, "::1"))

    def test_errors(self):
        topic = records_path(random_topic())
        cases = [
            ("POST", "/v1/topics/xyz/records", {"id": random_id().hex()}, None, 400, "bad_topic"),
            ("POST", topic, None, b"{not json", 400, "bad_request"),
            ("POST", topic, {"id": random_id().hex(), "colour": "red"}, None, 400, "bad_request"),
            ("POST", topic, {"addresses": [":1"]}, None, 400, "bad_request"),  # no id
            ("POST", topic, {"id": "00ff"}, None, 400, "bad_request"),
            ("POST", topic, {"id": random_id().hex(), "ttl": -1}, None, 400, "bad_request"),
            ("POST", topic, {"id": random_id().hex(), "addresses": ["x" * 256]}, None, 400, "bad_record"),
            ("POST", topic, {"id": random_id().hex(), "meta": {"protocols": ["no spaces"]}}, None, 400,
             "bad_record"),
            ("POST", topic, {"id": random_id().hex(), "addresses": [":%d" % i for i in range(9)]}, None,
             400, "bad_record"),
            ("POST", topic, {"id": random_id().hex(), "sealed": b64(b"x" * 1025)}, None, 413,
             "record_too_large"),
            ("GET", "/v1/nothing", None, None, 404, "not_found"),
            ("DELETE", topic, None, None, 405, "method_not_allowed"),
            ("PUT", topic, None, None, 405, "method_not_allowed"),
            ("POST", "/v1/whoami", {}, None, 405, "method_not_allowed"),
            ("DELETE", records_path(random_topic(), "/zz"), None, None, 400, "bad_request"),
        ]
        for method, path, body, raw, status, code in cases:
            got, doc = api(self.server.http4, method, path, body, raw=raw)
            self.assertEqual((got, error_code(doc)), (status, code), (method, path, body, raw, doc))

    def test_errors_name_what_was_wrong(self):
        """Each error's message names the member, parameter or rule and what
        was expected; a name the client sent comes back printable and short."""
        topic, rid, key = records_path(random_topic()), random_id().hex(), Signer().key.hex()
        signed = '"public_key", "seq" and "signature"'
        u32 = "need an integer from 0 to 4294967295"
        cases = [
            ({"id": rid, "adresses": [":1"]}, 'unknown member "adresses"'),
            ({"id": rid, "meta": {"protocol": ["tcp"]}}, 'unknown member "meta.protocol"'),
            ({"id": rid, "x" * 100: 1}, 'unknown member "%s..."' % ("x" * 32)),
            ({"id": rid, "a\u00e9\u0001": 1}, 'unknown member "a???"'),
            ({"id": rid, "ttl": -1}, 'member "ttl": ' + u32),
            ({"id": rid, "ttl": "60"}, 'member "ttl": ' + u32),
            ({"id": rid, "meta": {"up": 1.5}},
             'member "meta.up": need an integer from 0 to 18446744073709551615'),
            ({"id": rid, "meta": {"tags": {"k": 1}}},
             'member "meta.tags": need an object of strings'),
            ({"id": rid, "addresses": ":1"}, 'member "addresses": need an array of strings'),
            ({"id": rid, "sealed": "not base64"}, 'member "sealed": need base64 (standard, padded)'),
            ({"id": "00ff"}, 'member "id": need 32 hex digits'),
            ({"id": key}, 'member "id": 64 hex digits are a public key; a signed record sends '
                          + signed),
            ({"addresses": [":1"]}, 'missing member "id" (or %s for a signed record)' % signed),
            ({"public_key": key, "seq": 1},
             'missing member "signature": a signed record needs ' + signed),
            ({"id": rid, "public_key": key}, 'give either "id" or %s, not both' % signed),
            (b"{not json", "the body is not JSON"),
            (b"[1]", "the body is not a JSON object"),
            ({"id": rid, "meta": {"tags": {"a": {"b": "c"}}}},
             "the body nests objects or arrays deeper than a record does"),
            ({"id": rid, "addresses": ["host:80"]},
             "an address is not ip:port, [ipv6]:port, :port or a URL "
             "(at most 255 bytes, no control characters)"),
            ({"id": rid, "addresses": [":%d" % i for i in range(9)]}, "more than 8 addresses"),
            ({"id": rid, "meta": {"protocols": ["no spaces"]}},
             "a protocol is not 1-32 letters, digits or .+-_/"),
            ({"id": rid, "sealed": b64(b"x" * 1025)}, "sealed is over 1,024 bytes"),
        ]
        for body, message in cases:
            raw = body if isinstance(body, bytes) else None
            got, doc = api(self.server.http4, "POST", topic, None if raw else body, raw=raw)
            self.assertEqual(doc["error"]["message"], message, (body, doc))
        for method, path, message in (
                ("GET", topic + "?limt=5", 'unknown parameter "limt"'),
                ("GET", topic + "?limit=5&limit=6", 'parameter "limit" given twice'),
                ("GET", topic + "?limit=-1", 'parameter "limit": need a number'),
                ("GET", topic + "?capability=a%20b",
                 'parameter "capability": need 1-32 letters, digits or .+-_/'),
                ("GET", topic + "?cursor=zz",
                 'parameter "cursor": need the 24 hex digits of an earlier answer\'s cursor'),
                ("GET", topic + "?limit=%zz",
                 "the query string is not well-formed: check its percent-encoding"),
                ("DELETE", topic + "/" + rid + "?seq=1",
                 'parameters "seq" and "signature" go together'),
                ("DELETE", topic + "/" + rid + "?seq=x&signature=00",
                 'parameter "seq": need an integer from 0 to 18446744073709551615')):
            got, doc = api(self.server.http4, method, path)
            self.assertEqual((got, doc["error"]["message"]), (400, message), (method, path, doc))

    def test_body_over_the_http_limit_is_413(self):
        big = {"id": random_id().hex(), "addresses": [":1"], "meta": {"tags": {"k": "v" * 9000}}}
        status, _ = register(self.server.http4, random_topic(), big)
        self.assertEqual(status, 413)

    def test_expiry(self):
        topic = random_topic()
        register(self.server.http4, topic, {"id": random_id().hex(), "addresses": [":1"], "ttl": 30})
        self.server.sweep(ahead=20)  # within its TTL
        self.assertEqual(len(lookup(self.server.http4, topic)["records"]), 1)
        self.server.sweep(ahead=30)  # past it
        self.assertEqual(lookup(self.server.http4, topic)["records"], [])


class SignedRecords(ServerTestCase):
    CONFIG = {"rendezvous": TTLS}

    def test_signed_register_replace_replay_and_remove(self):
        topic, me = random_topic(), Signer()
        status, doc = register(self.server.http4, topic, signed_doc(me, topic, 1, addresses=[":7"]))
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["id"], me.key.hex())
        [r] = lookup(self.server.http4, topic)["records"]
        self.assertEqual((r["public_key"], r["seq"]), (me.key.hex(), 1))
        # Anyone can check the record without trusting the tracker.
        self.assertTrue(verify(me.key, bytes.fromhex(r["signature"]),
                               register_message(topic, 1, 0, base64.b64decode(r["body"]))))
        # A higher seq replaces it, from any address.
        status, _ = register(self.server.http4, topic, signed_doc(me, topic, 5, addresses=[":8"]),
                             source="127.0.0.3")
        self.assertEqual(status, 200)
        [r] = lookup(self.server.http4, topic)["records"]
        self.assertEqual((r["seq"], r["addresses"]), (5, ["127.0.0.3:8"]))
        for seq in (5, 4):  # a replay, and a lower one
            status, doc = register(self.server.http4, topic, signed_doc(me, topic, seq, addresses=[":9"]))
            self.assertEqual((status, error_code(doc)), (409, "stale_sequence"))
        # A signed remove; afterwards an old registration stays refused.
        sig = me.sign(remove_message(topic, 6)).hex()
        status, doc = api(self.server.http4, "DELETE",
                          records_path(topic, "/%s?seq=6&signature=%s" % (me.key.hex(), sig)))
        self.assertEqual((status, doc), (200, {"removed": True}))
        self.assertEqual(lookup(self.server.http4, topic)["records"], [])
        status, doc = register(self.server.http4, topic, signed_doc(me, topic, 5, addresses=[":8"]))
        self.assertEqual((status, error_code(doc)), (409, "stale_sequence"))
        status, doc = api(self.server.http4, "DELETE",
                          records_path(topic, "/%s?seq=6&signature=%s" % (me.key.hex(), sig)))
        self.assertEqual((status, error_code(doc)), (409, "stale_sequence"))
        self.assertEqual(register(self.server.http4, topic, signed_doc(me, topic, 7, addresses=[":9"]))[0], 200)

    def test_bad_signatures(self):
        topic, me, other = random_topic(), Signer(), Signer()
        doc = signed_doc(me, topic, 1, addresses=[":7"])
        doc["public_key"] = other.key.hex()  # signed by someone else
        self.assertEqual(error_code(register(self.server.http4, topic, doc)[1]), "bad_signature")
        doc = signed_doc(me, topic, 1, addresses=[":7"])
        doc["addresses"] = [":8"]  # changed after signing
        self.assertEqual(error_code(register(self.server.http4, topic, doc)[1]), "bad_signature")
        doc = signed_doc(me, random_topic(), 1, addresses=[":7"])  # signed for another topic
        self.assertEqual(error_code(register(self.server.http4, topic, doc)[1]), "bad_signature")
        self.assertEqual(register(self.server.http4, topic, signed_doc(me, topic, 1, addresses=[":7"]))[0], 200)
        bad = other.sign(remove_message(topic, 2)).hex()
        status, doc = api(self.server.http4, "DELETE",
                          records_path(topic, "/%s?seq=2&signature=%s" % (me.key.hex(), bad)))
        self.assertEqual((status, error_code(doc)), (403, "bad_signature"))
        # A public key is no unsigned id, and deleting a signed record needs a signature.
        status, doc = register(self.server.http4, topic, {"id": me.key.hex(), "addresses": [":1"]})
        self.assertEqual((status, error_code(doc)), (400, "bad_request"))
        status, doc = api(self.server.http4, "DELETE", records_path(topic, "/" + me.key.hex()))
        self.assertEqual((status, error_code(doc)), (403, "bad_signature"))
        self.assertEqual(len(lookup(self.server.http4, topic)["records"]), 1)


def new_record(addr, topic, source):
    return register(addr, topic, {"id": random_id().hex(), "addresses": [":1"]}, source=source)


class Limits(ServerTestCase):
    # One worker: a rate limit holds per worker (docs/architecture.md).
    CONFIG = {"server": {"workers": 1},
              "rendezvous": dict(TTLS, max_records_per_topic=3, max_records_per_address=5),
              "rate_limit": {"trusted_networks": ["127.0.0.0/24"], "requests_per_second": 2, "burst": 10}}

    def test_records_per_topic(self):
        topic = random_topic()
        for i in range(3):
            self.assertEqual(new_record(self.server.http4, topic, "127.0.0.%d" % (10 + i))[0], 200)
        status, doc = new_record(self.server.http4, topic, "127.0.0.20")
        self.assertEqual((status, error_code(doc)), (409, "topic_full"))

    def test_records_per_address(self):
        source, topics = "127.0.0.30", [random_topic() for _ in range(3)]
        for t in (topics[0], topics[0], topics[1], topics[1], topics[2]):
            self.assertEqual(new_record(self.server.http4, t, source)[0], 200)
        status, doc = new_record(self.server.http4, topics[2], source)
        self.assertEqual((status, error_code(doc)), (429, "address_quota"))
        self.assertEqual(new_record(self.server.http4, topics[2], "127.0.0.31")[0], 200)

    def test_rate_limit(self):
        # 127.0.1.x is outside the trusted /24.
        codes = [api(self.server.http4, "GET", "/v1/whoami", source="127.0.1.1")[0] for _ in range(14)]
        self.assertEqual(codes[:10], [200] * 10)
        self.assertIn(429, codes[10:])
        status, doc = api(self.server.http4, "GET", "/v1/whoami", source="127.0.1.1")
        self.assertEqual((status, error_code(doc)), (429, "rate_limited"))


class TopicCap(ServerTestCase):
    CONFIG = {"rendezvous": dict(TTLS, max_topics=2)}

    def test_topics(self):
        held = random_topic()
        self.assertEqual(new_record(self.server.http4, held, None)[0], 200)
        self.assertEqual(new_record(self.server.http4, random_topic(), None)[0], 200)
        status, doc = new_record(self.server.http4, random_topic(), None)
        self.assertEqual((status, error_code(doc)), (503, "tracker_full"))
        self.assertEqual(new_record(self.server.http4, held, None)[0], 200)  # a topic held takes more


class UdpApi(ServerTestCase):
    CONFIG = {"rendezvous": TTLS}

    def test_register_lookup_unregister_whoami(self):
        topic, rid = random_topic(), random_id()
        with RendezvousUdp(self.server.udp4) as c:
            action, rest, _, _ = c.register(topic, rid, body_of(addresses=[":7000"], protocols=["utp"]), ttl=20)
            self.assertEqual(action, ACT_REGISTER, rest)
            self.assertEqual(struct.unpack("!II", rest), (20, 10))
            action, rest, _, size = c.lookup(topic)
            self.assertEqual(action, ACT_LOOKUP)
            cursor, more, records = parse_lookup(rest)
            self.assertFalse(more)
            self.assertEqual(len(records), 1)
            self.assertEqual((records[0]["id"], records[0]["source"]), (rid, "127.0.0.1"))
            self.assertEqual(records[0]["body"], body_of(addresses=[":7000"], protocols=["utp"]))
            # HTTP sees the same record, address filled in.
            [r] = lookup(self.server.http4, topic)["records"]
            self.assertEqual(r["addresses"], ["127.0.0.1:7000"])
            action, rest, _, _ = c.whoami()
            self.assertEqual(action, ACT_WHOAMI)
            self.assertEqual(rest[0], 4)
            self.assertEqual(rest[1:5], bytes([127, 0, 0, 1]))
            self.assertEqual(struct.unpack("!H", rest[5:7])[0], c.sock.getsockname()[1])
            action, rest, _, _ = c.unregister(topic, rid)
            self.assertEqual((action, rest), (ACT_UNREGISTER, b""))
            self.assertEqual(lookup(self.server.http4, topic)["records"], [])

    def test_without_a_connection_id_nothing_changes(self):
        topic = random_topic()
        with RendezvousUdp(self.server.udp4) as c:
            answer = c.register(topic, random_id(), body_of(addresses=[":1"]), conn_id=0x1234)
            self.assertIsNotNone(answer)
            action, rest, sent, got = answer
            self.assertEqual((action, rest), (ACT_ERROR, b"invalid connection id"))
            self.assertLessEqual(got, sent)
        self.assertEqual(lookup(self.server.http4, topic)["records"], [])

    def test_errors_are_codes_and_never_larger_than_the_request(self):
        topic = random_topic()
        with RendezvousUdp(self.server.udp4) as c:
            action, rest, sent, got = c.register(topic, random_id(), b"\x09\x00\x01x")  # unknown field
            self.assertEqual((action, rest.decode()), (ACT_ERROR, "bad_record"))
            self.assertLessEqual(got, sent)
            me = Signer()
            action, rest, _, _ = c.register(topic, me.key, body_of(addresses=[":1"]), signed=(1, b"\0" * 64))
            self.assertEqual((action, rest.decode()), (ACT_ERROR, "bad_signature"))

    def test_lookup_answers_fit_1200_bytes_and_page_through_everything(self):
        topic = random_topic()
        ids = set()
        for i in range(40):
            rid = random_id()
            ids.add(rid)
            register(self.server.http4, topic, {"id": rid.hex(), "addresses": ["203.0.113.%d:%d" % (i, 5000 + i)],
                                                "meta": {"tags": {"pad": "p" * 40}}})
        seen, cursor = [], b"\0" * 12
        with RendezvousUdp(self.server.udp4) as c:
            for _ in range(40):
                action, rest, _, size = c.lookup(topic, cursor=cursor)
                self.assertEqual(action, ACT_LOOKUP)
                self.assertLessEqual(size, 1200)
                cursor, more, records = parse_lookup(rest)
                self.assertGreater(len(records), 0)
                seen += [r["id"] for r in records]
                if not more:
                    break
        self.assertEqual(len(seen), 40)
        self.assertEqual(set(seen), ids)

    def test_signed_over_udp(self):
        topic, me = random_topic(), Signer()
        body = body_of(addresses=[":9"])
        with RendezvousUdp(self.server.udp4) as c:
            sig = me.sign(register_message(topic, 3, 0, body))
            action, rest, _, _ = c.register(topic, me.key, body, signed=(3, sig))
            self.assertEqual(action, ACT_REGISTER, rest)
            action, rest, _, _ = c.register(topic, me.key, body, signed=(3, sig))  # replayed
            self.assertEqual((action, rest.decode()), (ACT_ERROR, "stale_sequence"))
            _, rest, _, _ = c.lookup(topic)
            [r] = parse_lookup(rest)[2]
            self.assertEqual((r["id"], r["seq"], r["body"]), (me.key, 3, body))
            self.assertTrue(verify(me.key, r["signature"], register_message(topic, 3, 0, r["body"])))
            action, rest, _, _ = c.unregister(topic, me.key, signed=(4, me.sign(remove_message(topic, 4))))
            self.assertEqual(action, ACT_UNREGISTER, rest)


class Restart(unittest.TestCase):
    def test_records_survive_a_restart(self):
        with tempfile.TemporaryDirectory(prefix="cairn-rv-") as d:
            state = os.path.join(d, "state.bin")
            config = {"rendezvous": TTLS}
            topic, rid, me = random_topic(), random_id(), Signer()
            with CairnServer(config, extra_args=["--state", state]) as s:
                register(s.http4, topic, {"id": rid.hex(), "addresses": [":1"], "ttl": 30})
                register(s.http4, topic, signed_doc(me, topic, 9, addresses=[":2"]))
            with CairnServer(config, extra_args=["--state", state]) as s:
                records = {r["id"]: r for r in lookup(s.http4, topic)["records"]}
                self.assertEqual(set(records), {rid.hex(), me.key.hex()})
                self.assertEqual(records[rid.hex()]["addresses"], ["127.0.0.1:1"])
                self.assertLessEqual(records[rid.hex()]["expires_in"], 30)
                # The signed record's sequence came back too: a replay stays refused.
                status, doc = register(s.http4, topic, signed_doc(me, topic, 9, addresses=[":2"]))
                self.assertEqual((status, error_code(doc)), (409, "stale_sequence"))


if __name__ == "__main__":
    unittest.main()
