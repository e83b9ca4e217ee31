#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "codec/punch.hpp"
#include "support/endpoints.hpp"
#include "support/ids.hpp"

using namespace cairn::codec::punch;
using cairn::codec::udp::ErrorResponse;
using cairn::codec::udp::ResponseError;
using cairn::core::Endpoint;
using cairn::core::RecordId;
using cairn::core::TopicId;

namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr Header kHeader{0x8102030405060708, 0xcafebabe};
const TopicId kTopic = cairn::test::id_of<TopicId>(0x20);
const Token kToken = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
const Bytes kPayload = {'h', 'e', 'l', 'l', 'o'};

RecordId id_of_size(std::size_t size) { return cairn::test::record_id_of(3, size); }

std::vector<Request> requests() {
  std::vector<Request> v;
  for (std::size_t size : {16, 32}) {
    v.push_back(SessionRequest{kHeader, kTopic, id_of_size(size), false});
    v.push_back(SessionRequest{kHeader, kTopic, id_of_size(size), true});
    v.push_back(ConnectRequest{kHeader, kTopic, id_of_size(size)});
  }
  v.push_back(ReadyRequest{kHeader, 0x1122334455667788, kToken, false});
  v.push_back(ReadyRequest{kHeader, 0x1122334455667788, kToken, true});
  v.push_back(RelayRequest{kHeader, 42, kToken, kPayload});
  return v;
}

std::vector<Answer> answers() {
  std::vector<Answer> v;
  for (const Endpoint& e : {cairn::test::v4(7, 40000), cairn::test::v6(7, 40001)}) {
    v.push_back(SessionAnswer{9, 15, 45, e, true});
    v.push_back(Offer{9, 77, Role::target, true, kToken, kTopic, e, id_of_size(16), 60});
    v.push_back(Offer{0, 77, Role::requester, false, kToken, kTopic, e, id_of_size(32), 1});
  }
  v.push_back(Sync{9, 77, 25, 50});
  v.push_back(Relayed{77, kPayload});
  v.push_back(ErrorResponse{9, "not_found"});
  return v;
}

Bytes encode(const Request& r) {
  Bytes out(1500);
  out.resize(encode_request(r, out));
  return out;
}

Bytes encode(const Answer& a) {
  Bytes out(1500);
  out.resize(encode_answer(a, out));
  return out;
}

}  // namespace

TEST(PunchCodec, RequestsRoundTrip) {
  for (const auto& r : requests()) {
    Bytes b = encode(r);
    ASSERT_FALSE(b.empty());
    EXPECT_TRUE(is_punch(b));
    auto back = parse_request(b);
    ASSERT_TRUE(back.has_value());
    ASSERT_EQ(back->index(), r.index());
    EXPECT_EQ(encode(*back), b);  // one spelling per request
  }
}

TEST(PunchCodec, RequestSizesAreAsDocumented) {
  EXPECT_EQ(encode(SessionRequest{kHeader, kTopic, id_of_size(16), false}).size(), 54u);
  EXPECT_EQ(encode(ConnectRequest{kHeader, kTopic, id_of_size(16)}).size(), 53u);
  EXPECT_EQ(encode(ReadyRequest{kHeader, 1, kToken, false}).size(), 41u);
  EXPECT_EQ(encode(RelayRequest{kHeader, 1, kToken, kPayload}).size(), 40u + kPayload.size());
}

TEST(PunchCodec, AnswersRoundTrip) {
  for (const auto& a : answers()) {
    Bytes b = encode(a);
    ASSERT_FALSE(b.empty());
    auto back = parse_answer(b);
    ASSERT_TRUE(back.has_value());
    ASSERT_EQ(back->index(), a.index());
    EXPECT_EQ(encode(*back), b);
  }
  auto offer = parse_answer(encode(answers()[1]));
  const auto& o = std::get<Offer>(*offer);
  EXPECT_EQ(o.attempt, 77u);
  EXPECT_EQ(o.role, Role::target);
  EXPECT_TRUE(o.relay);
  EXPECT_EQ(o.token, kToken);
  EXPECT_EQ(o.topic, kTopic);
  EXPECT_EQ(o.peer, cairn::test::v4(7, 40000));
  EXPECT_EQ(o.peer_id, id_of_size(16));
  EXPECT_EQ(o.expires_in, 60);
}

// An answer to a peer that proved its address with a connection id may be
// larger than its request, but the session answer never is, and a relayed
// datagram is always smaller than the one it came in as.
TEST(PunchCodec, AnswerSizes) {
  EXPECT_EQ(encode(SessionAnswer{1, 15, 45, cairn::test::v4(1), false}).size(), 20u);
  EXPECT_EQ(encode(SessionAnswer{1, 15, 45, cairn::test::v6(1), false}).size(), 32u);
  EXPECT_EQ(encode(Sync{1, 2, 3, 4}).size(), 20u);
  RelayRequest r{kHeader, 42, kToken, kPayload};
  Bytes out(100);
  EXPECT_EQ(encode_relayed(r, out) + 24, encode(r).size());
}

TEST(PunchCodec, EveryTruncationOfARequestIsRefused) {
  for (const auto& r : requests()) {
    Bytes whole = encode(r);
    for (std::size_t n = 0; n < whole.size(); ++n) {
      Bytes cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
      auto parsed = parse_request(cut);
      // A relay request cut inside its payload is still one, shorter.
      if (std::holds_alternative<RelayRequest>(r) && n > 40) continue;
      EXPECT_FALSE(parsed.has_value()) << n;
      // Answered (bad_request) only when the header is there to answer.
      if (!parsed) {
        EXPECT_EQ(parsed.error().sendable, n >= 16) << n;
      }
    }
  }
}

TEST(PunchCodec, TrailingBytesAndUnknownFlagsAreRefused) {
  for (const auto& r : requests()) {
    Bytes b = encode(r);
    if (std::holds_alternative<RelayRequest>(r)) continue;  // the payload runs to the end
    b.push_back(0);
    EXPECT_FALSE(parse_request(b).has_value());
  }
  Bytes session = encode(SessionRequest{kHeader, kTopic, id_of_size(16), false});
  session.back() = 2;
  EXPECT_FALSE(parse_request(session).has_value());
  Bytes ready = encode(ReadyRequest{kHeader, 1, kToken, false});
  ready.back() = 0x80;
  EXPECT_FALSE(parse_request(ready).has_value());
  Bytes bad_id = encode(ConnectRequest{kHeader, kTopic, id_of_size(16)});
  bad_id[36] = 17;  // an id length that is neither 16 nor 32
  EXPECT_FALSE(parse_request(bad_id).has_value());
}

TEST(PunchCodec, RelayPayloadIsBounded) {
  Bytes big(kMaxPayload + 1, 'x');
  Bytes out(1500);
  EXPECT_EQ(encode_request(RelayRequest{kHeader, 1, kToken, big}, out), 0u);
  Bytes max(kMaxPayload, 'x');
  std::size_t n = encode_request(RelayRequest{kHeader, 1, kToken, max}, out);
  ASSERT_GT(n, 0u);
  out.resize(n);
  EXPECT_TRUE(parse_request(out).has_value());
  out.push_back('x');
  EXPECT_FALSE(parse_request(out).has_value());
}

TEST(PunchCodec, OtherActionsAreNotPunch) {
  Bytes b = encode(ConnectRequest{kHeader, kTopic, id_of_size(16)});
  for (int action : {0, 1, 2, 3, 16, 19, 24}) {
    b[11] = static_cast<std::uint8_t>(action);
    EXPECT_FALSE(is_punch(b));
    auto parsed = parse_request(b);
    ASSERT_FALSE(parsed.has_value());
    EXPECT_FALSE(parsed.error().sendable);
  }
}

TEST(PunchCodec, EveryTruncationOfAnAnswerIsCleanlyRefused) {
  for (const auto& a : answers()) {
    Bytes whole = encode(a);
    for (std::size_t n = 0; n < whole.size(); ++n) {
      Bytes cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
      auto parsed = parse_answer(cut);
      bool shorter_still_whole = (std::holds_alternative<Relayed>(a) && n > 16) ||
                                 (std::holds_alternative<ErrorResponse>(a) && n >= 8);
      if (!shorter_still_whole) {
        EXPECT_FALSE(parsed.has_value()) << n;
      }
    }
  }
  Bytes unknown = encode(Sync{1, 2, 3, 4});
  unknown[3] = 30;
  EXPECT_EQ(parse_answer(unknown).error(), ResponseError::unknown_action);
}

TEST(PunchCodec, PeerMessagesAreAuthenticated) {
  PeerKey key = peer_key(kToken);
  PeerMessage m{PeerType::data, Role::target, 77, 3, kPayload};
  Bytes out(1500);
  std::size_t n = encode_peer_message(m, key, out);
  ASSERT_EQ(n, kPeerOverhead + kPayload.size());
  out.resize(n);
  auto back = parse_peer_message(out, key);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->type, PeerType::data);
  EXPECT_EQ(back->sender, Role::target);
  EXPECT_EQ(back->attempt, 77u);
  EXPECT_EQ(back->seq, 3);
  EXPECT_EQ(Bytes(back->payload.begin(), back->payload.end()), kPayload);
  for (std::size_t i = 0; i < out.size(); ++i) {
    Bytes b = out;
    b[i] ^= 1;
    EXPECT_FALSE(parse_peer_message(b, key).has_value()) << i;
  }
  Token other = kToken;
  other[0] ^= 1;
  EXPECT_FALSE(parse_peer_message(out, peer_key(other)).has_value());
}

TEST(PunchCodec, TheSecretChangesThePeerKey) {
  std::array<std::uint8_t, 32> secret{};
  secret[0] = 1;
  EXPECT_NE(peer_key(kToken), peer_key(kToken, secret));
  EXPECT_EQ(peer_key(kToken, secret), peer_key(kToken, secret));
}

TEST(PunchCodec, ProbesCarryNoPayload) {
  Bytes out(100);
  PeerMessage probe{PeerType::probe, Role::requester, 1, 0, kPayload};
  EXPECT_EQ(encode_peer_message(probe, peer_key(kToken), out), 0u);
  probe.payload = {};
  EXPECT_EQ(encode_peer_message(probe, peer_key(kToken), out), kPeerOverhead);
}

TEST(PunchCodec, RandomGarbageNeverCrashes) {
  std::mt19937 rng(5);
  PeerKey key = peer_key(kToken);
  for (int round = 0; round < 20000; ++round) {
    Bytes b(rng() % 120);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    if (b.size() >= 12) b[11] = static_cast<std::uint8_t>(20 + rng() % 4), b[8] = b[9] = b[10] = 0;
    (void)parse_request(b);
    if (b.size() >= 4) b[3] = static_cast<std::uint8_t>(20 + rng() % 4), b[0] = b[1] = b[2] = 0;
    (void)parse_answer(b);
    (void)parse_peer_message(b, key);
  }
}
