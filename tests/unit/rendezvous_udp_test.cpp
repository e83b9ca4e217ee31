#include "codec/rendezvous_udp.hpp"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>
#include <vector>

#include "support/ids.hpp"

using namespace cairn::codec::rvudp;
using cairn::codec::rv::Cursor;
using cairn::codec::rv::FoundRecord;
using cairn::codec::rv::SignedBy;
using cairn::codec::udp::ErrorResponse;
using cairn::codec::udp::ResponseError;
using cairn::core::Address;
using cairn::core::Endpoint;
using cairn::core::RecordId;
using cairn::core::Signature;
using cairn::core::TopicId;

namespace {

using Bytes = std::vector<std::uint8_t>;

TopicId topic() { return cairn::test::id_of<TopicId>(0x10); }

RecordId id_of_size(std::size_t size, std::uint8_t seed) {
  return cairn::test::record_id_of(seed, size);
}

SignedBy signed_by(std::uint64_t seq) {
  SignedBy s{seq, {}};
  for (std::size_t i = 0; i < s.signature.size(); ++i)
    s.signature[i] = static_cast<std::uint8_t>(0xc0 ^ i);
  return s;
}

constexpr Header kHeader{0x0102030405060708, 0xcafebabe};
const std::string kBody = std::string("\x01\x00\x05:7000", 8);

RegisterRequest register_request(bool is_signed) {
  RegisterRequest r;
  r.header = kHeader;
  r.topic = topic();
  r.ttl = 300;
  r.id = id_of_size(is_signed ? 32 : 16, 1);
  if (is_signed) r.signed_by = signed_by(0xfedcba9876543210);
  r.body = kBody;
  return r;
}

UnregisterRequest unregister_request(bool is_signed) {
  UnregisterRequest r;
  r.header = kHeader;
  r.topic = topic();
  r.id = id_of_size(is_signed ? 32 : 16, 2);
  if (is_signed) r.signed_by = signed_by(7);
  return r;
}

LookupRequest lookup_request(bool with_cursor) {
  LookupRequest r;
  r.header = kHeader;
  r.topic = topic();
  r.limit = 20;
  if (with_cursor) r.cursor = Cursor{0x6a1f03c2, 42};
  r.capability = "webrtc";
  return r;
}

template <class R, class Encode>
Bytes encode(const R& r, Encode encoder) {
  Bytes out(cairn::codec::udp::kMaxPacket);
  out.resize(encoder(r, out));
  EXPECT_FALSE(out.empty());
  return out;
}

template <class T>
T parsed(const Bytes& packet) {
  auto r = parse_request(packet);
  EXPECT_TRUE(r.has_value()) << (r.has_value() ? "" : r.error().message);
  EXPECT_TRUE(r.has_value() && std::holds_alternative<T>(*r));
  return r.has_value() && std::holds_alternative<T>(*r) ? std::get<T>(*r) : T{};
}

cairn::codec::udp::ParseError error_of(const Bytes& packet) {
  auto r = parse_request(packet);
  EXPECT_FALSE(r.has_value());
  return r.has_value() ? cairn::codec::udp::ParseError{} : r.error();
}

void expect_bad_request(const Bytes& packet) {
  auto e = error_of(packet);
  EXPECT_TRUE(e.sendable);
  EXPECT_EQ(e.transaction_id, kHeader.transaction_id);
  EXPECT_EQ(e.message, "bad_request");
}

std::vector<Bytes> every_request() {
  return {encode(register_request(false), encode_register_request),
          encode(register_request(true), encode_register_request),
          encode(lookup_request(false), encode_lookup_request),
          encode(lookup_request(true), encode_lookup_request),
          encode(unregister_request(false), encode_unregister_request),
          encode(unregister_request(true), encode_unregister_request),
          encode(kHeader, encode_whoami_request)};
}

FoundRecord found(std::size_t id_size, std::string_view source, std::size_t body_size,
                  bool is_signed) {
  FoundRecord f;
  f.id = id_of_size(id_size, 3);
  f.source = *Address::parse(source);
  f.body = std::string(body_size, 'b');
  f.last_seen = 12;
  f.expires_in = 288;
  if (is_signed) f.signed_by = signed_by(99);
  return f;
}

void expect_same(const FoundRecord& a, const FoundRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.signed_by, b.signed_by);
  EXPECT_EQ(a.last_seen, b.last_seen);
  EXPECT_EQ(a.expires_in, b.expires_in);
}

template <class T>
T response_of(const Bytes& packet) {
  auto r = parse_response(packet);
  EXPECT_TRUE(r.has_value());
  EXPECT_TRUE(r.has_value() && std::holds_alternative<T>(*r));
  return r.has_value() && std::holds_alternative<T>(*r) ? std::get<T>(*r) : T{};
}

Bytes finished(LookupResponseWriter& w, Bytes& out, const Cursor& cursor, bool more) {
  out.resize(w.finish(cursor, more));
  return out;
}

}  // namespace

TEST(RendezvousUdp, IsRendezvous) {
  Bytes p(16);
  for (std::uint8_t action : std::to_array<std::uint8_t>({16, 17, 18, 19})) {
    p[11] = action;
    EXPECT_TRUE(is_rendezvous(p)) << int(action);
  }
  for (std::uint8_t action : std::to_array<std::uint8_t>({0, 1, 2, 3, 15, 20})) {
    p[11] = action;
    EXPECT_FALSE(is_rendezvous(p)) << int(action);
  }
  p[11] = 16;
  p[10] = 1;  // 0x0110
  EXPECT_FALSE(is_rendezvous(p));
  EXPECT_FALSE(is_rendezvous(Bytes(11)));
}

TEST(RendezvousUdp, RegisterRoundTrips) {
  for (bool is_signed : {false, true}) {
    auto want = register_request(is_signed);
    auto packet = encode(want, encode_register_request);
    EXPECT_EQ(packet.size(),
              16u + 20 + 4 + 1 + want.id.size + 1 + (is_signed ? 72 : 0) + 2 + kBody.size());
    auto r = parsed<RegisterRequest>(packet);
    EXPECT_EQ(r.header.connection_id, kHeader.connection_id);
    EXPECT_EQ(r.header.transaction_id, kHeader.transaction_id);
    EXPECT_EQ(r.topic, want.topic);
    EXPECT_EQ(r.ttl, 300u);
    EXPECT_EQ(r.id, want.id);
    EXPECT_EQ(r.signed_by, want.signed_by);
    EXPECT_EQ(r.body, kBody);
  }
}

TEST(RendezvousUdp, RegisterWireLayout) {
  auto p = encode(register_request(false), encode_register_request);
  Bytes head(p.begin(), p.begin() + 16);
  EXPECT_EQ(head, (Bytes{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 16, 0xca, 0xfe, 0xba, 0xbe}));
  EXPECT_EQ(p[16], 0x10);                                                  // topic
  EXPECT_EQ((Bytes{p[36], p[37], p[38], p[39]}), (Bytes{0, 0, 1, 0x2c}));  // ttl 300
  EXPECT_EQ(p[40], 16);                                                    // id length
  EXPECT_EQ(p[57], 0);                                                     // flags: unsigned
  EXPECT_EQ((Bytes{p[58], p[59]}), (Bytes{0, 8}));                         // body length
  EXPECT_EQ(p.size(), 60u + 8);
}

TEST(RendezvousUdp, LookupRoundTrips) {
  for (bool with_cursor : {false, true}) {
    auto want = lookup_request(with_cursor);
    auto packet = encode(want, encode_lookup_request);  // the capability views into it
    auto r = parsed<LookupRequest>(packet);
    EXPECT_EQ(r.topic, want.topic);
    EXPECT_EQ(r.limit, 20);
    EXPECT_EQ(r.cursor, want.cursor);
    EXPECT_EQ(r.capability, "webrtc");
  }
  auto any = lookup_request(false);
  any.capability = "";
  any.limit = 0;
  auto packet = encode(any, encode_lookup_request);
  auto r = parsed<LookupRequest>(packet);
  EXPECT_EQ(r.capability, "");
  EXPECT_EQ(r.limit, 0);
  any.capability = "a b";  // not a protocol name
  expect_bad_request(encode(any, encode_lookup_request));
  any.capability = std::string(256, 'x');
  Bytes out(1500);
  EXPECT_EQ(encode_lookup_request(any, out), 0u);  // its length does not fit the byte
}

TEST(RendezvousUdp, UnregisterRoundTrips) {
  for (bool is_signed : {false, true}) {
    auto want = unregister_request(is_signed);
    auto r = parsed<UnregisterRequest>(encode(want, encode_unregister_request));
    EXPECT_EQ(r.topic, want.topic);
    EXPECT_EQ(r.id, want.id);
    EXPECT_EQ(r.signed_by, want.signed_by);
  }
}

TEST(RendezvousUdp, WhoamiRoundTrips) {
  auto packet = encode(kHeader, encode_whoami_request);
  EXPECT_EQ(packet.size(), 16u);
  auto r = parsed<WhoamiRequest>(packet);
  EXPECT_EQ(r.header.connection_id, kHeader.connection_id);
  EXPECT_EQ(r.header.transaction_id, kHeader.transaction_id);
}

TEST(RendezvousUdp, EveryTruncationIsRefused) {
  for (const auto& full : every_request()) {
    for (std::size_t n = 0; n < full.size(); ++n) {
      Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
      auto e = error_of(cut);
      EXPECT_EQ(e.sendable, n >= 16) << n;  // a transaction id and a rendezvous action
      EXPECT_EQ(e.message, "bad_request");
    }
  }
}

TEST(RendezvousUdp, TrailingBytesAreRefused) {
  for (auto packet : every_request()) {
    packet.push_back(0);
    expect_bad_request(packet);
  }
}

TEST(RendezvousUdp, OversizeAndForeignPacketsAreNotAnswered) {
  auto big = encode(register_request(false), encode_register_request);
  big.resize(cairn::codec::udp::kMaxPacket + 1);
  EXPECT_FALSE(error_of(big).sendable);
  auto announce = encode(kHeader, encode_whoami_request);
  announce[11] = 1;  // BEP 15 announce: udp::parse_request's
  auto e = error_of(announce);
  EXPECT_FALSE(e.sendable);
  EXPECT_EQ(e.transaction_id, kHeader.transaction_id);
}

TEST(RendezvousUdp, IdsAndFlags) {
  auto packet = encode(register_request(false), encode_register_request);
  auto with = [&](std::size_t at, std::uint8_t v) {
    Bytes p = packet;
    p[at] = v;
    return p;
  };
  expect_bad_request(with(57, 1));  // signed flag on a 16-byte id
  expect_bad_request(with(57, 2));  // an unknown flag
  expect_bad_request(with(57, 0x80));
  expect_bad_request(with(40, 20));  // neither 16 nor 32
  expect_bad_request(with(40, 0));
  // A 32-byte id must be signed.
  auto s = register_request(true);
  auto signed_packet = encode(s, encode_register_request);
  signed_packet[16 + 20 + 4 + 1 + 32] = 0;
  expect_bad_request(signed_packet);
  // The body length says more than the packet holds.
  expect_bad_request(with(59, 9));
}

TEST(RendezvousUdp, RegisterBodyAtTheLimitOfAPacket) {
  auto r = register_request(true);
  std::string body(1500 - (16 + 20 + 4 + 1 + 32 + 1 + 72 + 2), 'x');
  r.body = body;
  auto packet = encode(r, encode_register_request);
  EXPECT_EQ(packet.size(), 1500u);
  EXPECT_EQ(parsed<RegisterRequest>(packet).body.size(), body.size());
  body.push_back('x');
  r.body = body;
  Bytes out(2000);
  out.resize(encode_register_request(r, out));
  EXPECT_FALSE(error_of(out).sendable);  // over kMaxPacket
}

TEST(RendezvousUdp, SmallResponses) {
  Bytes out(64);
  ASSERT_EQ(encode_register_response(9, 300, 150, out), 16u);
  auto reg = response_of<RegisterResponse>(Bytes(out.begin(), out.begin() + 16));
  EXPECT_EQ(reg.transaction_id, 9u);
  EXPECT_EQ(reg.ttl, 300u);
  EXPECT_EQ(reg.reannounce_after, 150u);
  ASSERT_EQ(encode_unregister_response(10, out), 8u);
  EXPECT_EQ(response_of<UnregisterResponse>(Bytes(out.begin(), out.begin() + 8)).transaction_id,
            10u);
  EXPECT_EQ(encode_register_response(9, 300, 150, std::span(out.data(), 15)), 0u);
  EXPECT_EQ(encode_unregister_response(9, std::span(out.data(), 7)), 0u);
  EXPECT_EQ(parse_response(Bytes(out.begin(), out.begin() + 7)).error(), ResponseError::truncated);
  ASSERT_EQ(encode_register_response(9, 300, 150, out), 16u);
  EXPECT_EQ(parse_response(Bytes(out.begin(), out.begin() + 15)).error(), ResponseError::truncated);
}

TEST(RendezvousUdp, WhoamiV4AndV6) {
  Bytes out(64);
  auto v4 = *Endpoint::parse("203.0.113.7:51234");
  ASSERT_EQ(encode_whoami_response(5, v4, out), 15u);
  EXPECT_EQ((Bytes(out.begin(), out.begin() + 15)),
            (Bytes{0, 0, 0, 19, 0, 0, 0, 5, 4, 203, 0, 113, 7, 0xc8, 0x22}));
  EXPECT_EQ(response_of<WhoamiResponse>(Bytes(out.begin(), out.begin() + 15)).observed, v4);
  auto v6 = *Endpoint::parse("[2001:db8::7]:443");
  ASSERT_EQ(encode_whoami_response(6, v6, out), 27u);
  auto r = response_of<WhoamiResponse>(Bytes(out.begin(), out.begin() + 27));
  EXPECT_EQ(r.transaction_id, 6u);
  EXPECT_EQ(r.observed, v6);
  EXPECT_EQ(encode_whoami_response(6, v6, std::span(out.data(), 26)), 0u);
  for (std::size_t n = 8; n < 27; ++n)
    EXPECT_EQ(
        parse_response(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n))).error(),
        ResponseError::truncated)
        << n;
  out[8] = 5;  // neither family
  EXPECT_EQ(parse_response(Bytes(out.begin(), out.begin() + 27)).error(),
            ResponseError::bad_peer_list);
}

TEST(RendezvousUdp, LookupResponseRoundTrips) {
  Bytes out(kMaxReply);
  LookupResponseWriter w(77, out);
  std::vector<FoundRecord> records{found(16, "203.0.113.7", 10, false),
                                   found(32, "2001:db8::7", 0, true),
                                   found(32, "192.0.2.1", 300, true), found(16, "::1", 1, false)};
  for (const auto& r : records) EXPECT_TRUE(w.add(r));
  EXPECT_EQ(w.count(), 4u);
  auto packet = finished(w, out, Cursor{1, 2}, true);
  auto r = response_of<LookupResponse>(packet);
  EXPECT_EQ(r.transaction_id, 77u);
  EXPECT_EQ(r.cursor, (Cursor{1, 2}));
  EXPECT_TRUE(r.more);
  ASSERT_EQ(r.records.size(), records.size());
  for (std::size_t i = 0; i < records.size(); ++i) expect_same(r.records[i], records[i]);
  // Every cut of the answer is refused: the header, or a record list that
  // does not add up.
  for (std::size_t n = 0; n < packet.size(); ++n)
    EXPECT_FALSE(
        parse_response(Bytes(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(n)))
            .has_value())
        << n;
}

TEST(RendezvousUdp, LookupResponseEmpty) {
  Bytes out(100);
  LookupResponseWriter w(1, out);
  auto packet = finished(w, out, Cursor{}, false);
  EXPECT_EQ(packet, (Bytes{0, 0, 0, 17, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  auto r = response_of<LookupResponse>(packet);
  EXPECT_FALSE(r.more);
  EXPECT_TRUE(r.records.empty());
}

TEST(RendezvousUdp, LookupResponseFillsExactlyToTheLimit) {
  // 22 bytes of header, then 1 + 16 + 1 + 4 + 4 + 4 + 2 + body per unsigned v4 record.
  Bytes out(2000);
  LookupResponseWriter w(1, out);
  EXPECT_FALSE(w.add(found(16, "192.0.2.1", kMaxReply - 22 - 32 + 1, false)));  // one byte over
  EXPECT_EQ(w.count(), 0u);
  EXPECT_TRUE(w.add(found(16, "192.0.2.1", kMaxReply - 22 - 32, false)));
  EXPECT_FALSE(w.add(found(16, "192.0.2.1", 0, false)));  // nothing more fits
  auto packet = finished(w, out, Cursor{}, true);
  EXPECT_EQ(packet.size(), kMaxReply);  // never past kMaxReply, however large `out` is
  EXPECT_EQ(response_of<LookupResponse>(packet).records.size(), 1u);

  // A smaller `out` is the limit instead.
  Bytes small(22 + 32 + 5 + 32 + 5);
  LookupResponseWriter s(1, small);
  EXPECT_TRUE(s.add(found(16, "192.0.2.1", 5, false)));
  EXPECT_TRUE(s.add(found(16, "192.0.2.1", 5, false)));
  EXPECT_FALSE(s.add(found(16, "192.0.2.1", 0, false)));
  EXPECT_EQ(s.finish(Cursor{}, false), small.size());

  // Too small for the header: no answer at all.
  Bytes tiny(21);
  LookupResponseWriter t(1, tiny);
  EXPECT_FALSE(t.add(found(16, "192.0.2.1", 0, false)));
  EXPECT_EQ(t.finish(Cursor{}, false), 0u);
}

TEST(RendezvousUdp, LookupResponseMalformedRecords) {
  Bytes out(kMaxReply);
  LookupResponseWriter w(1, out);
  ASSERT_TRUE(w.add(found(16, "192.0.2.1", 3, false)));
  auto packet = finished(w, out, Cursor{}, false);
  auto with = [&](std::size_t at, std::uint8_t v) {
    Bytes p = packet;
    p[at] = v;
    return p;
  };
  EXPECT_EQ(parse_response(with(22, 20)).error(), ResponseError::bad_peer_list);  // id length
  EXPECT_EQ(parse_response(with(22 + 17, 4)).error(),
            ResponseError::bad_peer_list);  // unknown flag
  EXPECT_EQ(parse_response(with(21, 2)).error(),
            ResponseError::bad_peer_list);  // count past the end
  auto extra = packet;
  extra.push_back(0);  // bytes after the last record: a newer tracker's, ignored
  EXPECT_TRUE(parse_response(extra).has_value());
}

TEST(RendezvousUdp, ErrorAndUnknownResponses) {
  Bytes out(64);
  auto n = cairn::codec::udp::encode_error_response(4, "bad_request", out);
  Bytes packet(out.begin(),
               out.begin() + static_cast<std::ptrdiff_t>(n));  // the message views into it
  auto e = response_of<ErrorResponse>(packet);
  EXPECT_EQ(e.transaction_id, 4u);
  EXPECT_EQ(e.message, "bad_request");
  out[3] = 1;  // a BEP 15 announce is not a rendezvous answer
  EXPECT_EQ(parse_response(Bytes(out.begin(), out.begin() + 20)).error(),
            ResponseError::unknown_action);
}

TEST(RendezvousUdp, RandomPacketsNeverCrash) {
  std::mt19937 rng(3);
  auto seeds = every_request();
  for (int i = 0; i < 20000; ++i) {
    Bytes p;
    if (i % 2 == 0) {
      p.resize(rng() % 256);
      for (auto& b : p) b = static_cast<std::uint8_t>(rng());
      if (p.size() >= 12) {  // mostly rendezvous actions, or the parser stops at once
        p[8] = p[9] = p[10] = 0;
        p[11] = static_cast<std::uint8_t>(16 + rng() % 4);
      }
    } else {
      p = seeds[rng() % seeds.size()];
      for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k)
        p[rng() % p.size()] = static_cast<std::uint8_t>(rng());
    }
    (void)parse_request(p);
    (void)parse_response(p);
  }
}
