#include "codec/ws_tracker.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "support/ids.hpp"

namespace cairn::codec::ws {
namespace {

namespace json = boost::json;

std::array<std::uint8_t, 20> filled(std::uint8_t b) {
  std::array<std::uint8_t, 20> id{};
  id.fill(b);
  return id;
}

// What JSON.parse would make of the encoded id, as UTF-8.
std::string as_parsed(const std::string& literal) {
  auto v = json::parse(literal);
  return std::string(v.get_string().data(), v.get_string().size());
}

template <class Id>
Id id_from(std::array<std::uint8_t, 20> b) {
  return Id::from_bytes(std::span<const std::uint8_t, 20>(b));
}

core::InfoHash hash_of(std::uint8_t b) { return id_from<core::InfoHash>(filled(b)); }
core::PeerId peer_of(std::uint8_t b) { return id_from<core::PeerId>(filled(b)); }
core::OfferId offer_of(std::uint8_t b) { return id_from<core::OfferId>(filled(b)); }

// A JSON string literal of `id` as a JavaScript binary string: each byte its
// code point, written by JSON.stringify rules.
std::string js(std::array<std::uint8_t, 20> id) {
  std::string out;
  append_id(out, id);
  return out;
}

TEST(Ids, EveryByteValueRoundTripsAtEveryPosition) {
  for (int b = 0; b < 256; ++b) {
    for (std::size_t at = 0; at < 20; ++at) {
      auto id = filled('a');
      id[at] = static_cast<std::uint8_t>(b);
      std::string literal = js(id);
      auto back = decode_id(as_parsed(literal));
      ASSERT_TRUE(back.has_value()) << b << " at " << at << ": " << literal;
      EXPECT_EQ(*back, id) << b;
    }
  }
}

TEST(Ids, EncodesAsJsonStringifyWould) {
  auto id = filled('a');
  id[0] = 0x00;
  id[1] = 0x1f;
  id[2] = '"';
  id[3] = '\\';
  id[4] = 0x7f;
  id[5] = 0x80;
  id[6] = 0xff;
  EXPECT_EQ(js(id), "\"\\u0000\\u001f\\\"\\\\\x7f\xc2\x80\xc3\xbf" + std::string(13, 'a') + "\"");
}

TEST(Ids, RefusesAnythingElse) {
  EXPECT_FALSE(decode_id(std::string(19, 'a')).has_value());
  EXPECT_FALSE(decode_id(std::string(21, 'a')).has_value());
  EXPECT_FALSE(decode_id("").has_value());
  // U+0100 and U+20AC are past latin1; a lone lead byte; an overlong form.
  EXPECT_FALSE(decode_id(std::string(19, 'a') + "\xc4\x80").has_value());
  EXPECT_FALSE(decode_id(std::string(18, 'a') + "\xe2\x82\xac").has_value());
  EXPECT_FALSE(decode_id(std::string(19, 'a') + "\xc3").has_value());
  EXPECT_FALSE(decode_id(std::string(19, 'a') + "\xc1\xbf").has_value());
  // 20 code points of which some take two bytes are 20 bytes.
  EXPECT_TRUE(decode_id(std::string(19, 'a') + "\xc3\xbf").has_value());
}

// ------------------------------------------------------------ requests

// Keeps the text: a request's offers and answer are views into it.
struct Parsed {
  std::string text;
  RequestParser parser;
  Request request;
  core::Result<void, Refusal> result;
  explicit Parsed(std::string t) : text(std::move(t)), result(parser.parse(text, request)) {}
};

std::string announce_text(std::string extra = "") {
  return "{\"action\":\"announce\",\"info_hash\":" + js(filled(0xAA)) +
         ",\"peer_id\":" + js(filled(0x01)) + extra + "}";
}

TEST(Requests, AnnounceWithOffers) {
  std::string text = announce_text(
      ",\"event\":\"started\",\"left\":0,\"numwant\":2,\"uploaded\":0,\"trackerid\":\"x\","
      "\"offers\":[{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"},\"offer_id\":" +
      js(filled(0x10)) + "},{\"offer\":{},\"offer_id\":" + js(filled(0x11)) + "}]");
  Parsed p(text);
  ASSERT_TRUE(p.result.has_value());
  ASSERT_EQ(p.request.kind, MessageKind::announce);
  const auto& a = p.request.announce;
  EXPECT_EQ(a.info_hash, hash_of(0xAA));
  EXPECT_EQ(a.peer_id, peer_of(0x01));
  EXPECT_EQ(a.event, core::Event::started);
  EXPECT_TRUE(a.seeder);
  ASSERT_EQ(a.offers.size(), 2u);
  EXPECT_EQ(a.offers[0].offer_id, offer_of(0x10));
  EXPECT_EQ(a.offers[0].offer, R"({"type":"offer","sdp":"v=0\r\n"})");
  EXPECT_EQ(a.offers[1].offer_id, offer_of(0x11));
}

TEST(Requests, WhatTheWebTorrentClientSends) {
  // left null while it has no metadata; completed without offers; update.
  Parsed null_left(announce_text(",\"left\":null,\"event\":\"started\""));
  ASSERT_TRUE(null_left.result.has_value());
  EXPECT_FALSE(null_left.request.announce.seeder);
  Parsed completed(announce_text(",\"left\":0,\"event\":\"completed\""));
  ASSERT_TRUE(completed.result.has_value());
  EXPECT_EQ(completed.request.announce.event, core::Event::completed);
  EXPECT_TRUE(completed.request.announce.offers.empty());
  Parsed update(announce_text(",\"left\":1.5e9,\"event\":\"update\",\"offers\":null"));
  ASSERT_TRUE(update.result.has_value());
  EXPECT_EQ(update.request.announce.event, core::Event::none);
  EXPECT_FALSE(update.request.announce.seeder);
  Parsed bare(announce_text());
  ASSERT_TRUE(bare.result.has_value());
  EXPECT_EQ(bare.request.announce.event, core::Event::none);
}

TEST(Requests, Answer) {
  Parsed p(announce_text(
      ",\"to_peer_id\":" + js(filled(0x02)) +
      ",\"answer\":{\"type\":\"answer\",\"sdp\":\"x\"},\"offer_id\":" + js(filled(0x10))));
  ASSERT_TRUE(p.result.has_value());
  ASSERT_EQ(p.request.kind, MessageKind::answer);
  const auto& a = p.request.answer;
  EXPECT_EQ(a.info_hash, hash_of(0xAA));
  EXPECT_EQ(a.peer_id, peer_of(0x01));
  EXPECT_EQ(a.to_peer_id, peer_of(0x02));
  EXPECT_EQ(a.offer_id, offer_of(0x10));
  EXPECT_EQ(a.answer, R"({"type":"answer","sdp":"x"})");
}

TEST(Requests, ScrapeOneManyOrAll) {
  Parsed one("{\"action\":\"scrape\",\"info_hash\":" + js(filled(0xAA)) + "}");
  ASSERT_TRUE(one.result.has_value());
  ASSERT_EQ(one.request.kind, MessageKind::scrape);
  EXPECT_FALSE(one.request.scrape.full);
  EXPECT_EQ(one.request.scrape.info_hashes, std::vector<core::InfoHash>{hash_of(0xAA)});
  Parsed many("{\"action\":\"scrape\",\"info_hash\":[" + js(filled(1)) + "," + js(filled(2)) +
              "]}");
  ASSERT_TRUE(many.result.has_value());
  EXPECT_EQ(many.request.scrape.info_hashes, (std::vector<core::InfoHash>{hash_of(1), hash_of(2)}));
  for (std::string all :
       {"{\"action\":\"scrape\"}", "{\"action\":\"scrape\",\"info_hash\":null}"}) {
    Parsed p(all);
    ASSERT_TRUE(p.result.has_value()) << all;
    EXPECT_TRUE(p.request.scrape.full) << all;
  }
  Parsed none("{\"action\":\"scrape\",\"info_hash\":[]}");
  ASSERT_TRUE(none.result.has_value());
  EXPECT_FALSE(none.request.scrape.full);
  EXPECT_TRUE(none.request.scrape.info_hashes.empty());
}

// Each refusal, with what the reply can say about it.
TEST(Requests, Refusals) {
  struct Case {
    std::string text;
    MessageError error;
    std::optional<Action> action;
    bool has_info_hash;
  };
  const std::string ih = js(filled(0xAA)), pid = js(filled(1)), oid = js(filled(0x10));
  std::string offers65 = ",\"offers\":[";
  for (int i = 0; i < 65; ++i)
    offers65 += (i ? "," : "") + std::string("{\"offer\":{},\"offer_id\":") + oid + "}";
  offers65 += "]";
  std::string hashes101 = "[";
  for (int i = 0; i < 101; ++i) hashes101 += (i ? "," : "") + ih;
  hashes101 += "]";
  const std::vector<Case> cases{
      {"not json", MessageError::not_json, std::nullopt, false},
      {"{\"action\":\"announce\"", MessageError::not_json, std::nullopt, false},
      {"{\"action\":\"scrape\",\"x\":\"\xc3\x28\"}", MessageError::not_json, std::nullopt, false},
      {std::string(40, '[') + std::string(40, ']'), MessageError::not_json, std::nullopt, false},
      {"[]", MessageError::not_object, std::nullopt, false},
      {"{}", MessageError::bad_action, std::nullopt, false},
      {"{\"action\":\"connect\"}", MessageError::bad_action, std::nullopt, false},
      {"{\"action\":1}", MessageError::bad_action, std::nullopt, false},
      {"{\"action\":\"announce\",\"info_hash\":\"short\"}", MessageError::bad_info_hash,
       Action::announce, false},
      {"{\"action\":\"announce\",\"info_hash\":" + ih + "}", MessageError::bad_peer_id,
       Action::announce, true},
      {announce_text(",\"event\":\"begun\""), MessageError::bad_event, Action::announce, true},
      {announce_text(",\"event\":3"), MessageError::bad_event, Action::announce, true},
      {announce_text(",\"left\":\"0\""), MessageError::bad_left, Action::announce, true},
      {announce_text(",\"offers\":{}"), MessageError::bad_offers, Action::announce, true},
      {announce_text(",\"offers\":[{\"offer\":{}}]"), MessageError::bad_offers, Action::announce,
       true},
      {announce_text(",\"offers\":[{\"offer\":\"sdp\",\"offer_id\":" + oid + "}]"),
       MessageError::bad_offers, Action::announce, true},
      {announce_text(",\"offers\":[{\"offer\":{},\"offer_id\":\"short\"}]"),
       MessageError::bad_offers, Action::announce, true},
      {announce_text(offers65), MessageError::too_many_offers, Action::announce, true},
      {announce_text(",\"answer\":\"sdp\",\"to_peer_id\":" + pid + ",\"offer_id\":" + oid),
       MessageError::bad_answer, Action::announce, true},
      {announce_text(",\"answer\":{},\"offer_id\":" + oid), MessageError::bad_answer,
       Action::announce, true},
      {announce_text(",\"answer\":{},\"to_peer_id\":" + pid), MessageError::bad_answer,
       Action::announce, true},
      {announce_text(",\"answer\":{},\"to_peer_id\":" + pid + ",\"offer_id\":" + oid +
                     ",\"offers\":[]"),
       MessageError::answer_with_offers, Action::announce, true},
      {"{\"action\":\"scrape\",\"info_hash\":" + hashes101 + "}",
       MessageError::too_many_info_hashes, Action::scrape, false},
      {"{\"action\":\"scrape\",\"info_hash\":[" + ih + ",7]}", MessageError::bad_info_hash,
       Action::scrape, false},
      {"{\"action\":\"scrape\",\"info_hash\":{}}", MessageError::bad_info_hash, Action::scrape,
       false},
  };
  for (const auto& c : cases) {
    Parsed p(c.text);
    ASSERT_FALSE(p.result.has_value()) << c.text;
    EXPECT_EQ(p.result.error().error, c.error) << c.text;
    EXPECT_EQ(p.result.error().action, c.action) << c.text;
    EXPECT_EQ(p.result.error().info_hash.has_value(), c.has_info_hash) << c.text;
    if (c.has_info_hash) {
      EXPECT_EQ(*p.result.error().info_hash, hash_of(0xAA));
    }
    EXPECT_FALSE(failure_text(c.error).empty());
  }
}

TEST(Requests, TheParserIsReusedWithoutCarryingState) {
  RequestParser parser;
  Request r;
  ASSERT_TRUE(
      parser
          .parse(announce_text(",\"offers\":[{\"offer\":{},\"offer_id\":" + js(filled(3)) + "}]"),
                 r)
          .has_value());
  EXPECT_EQ(r.announce.offers.size(), 1u);
  ASSERT_TRUE(parser.parse(announce_text(), r).has_value());
  EXPECT_TRUE(r.announce.offers.empty());
  // A message larger than the arena still parses.
  std::string big = announce_text(",\"offers\":[{\"offer\":{\"sdp\":\"" + std::string(40000, 's') +
                                  "\"},\"offer_id\":" + js(filled(3)) + "}]");
  ASSERT_TRUE(parser.parse(big, r).has_value());
  EXPECT_EQ(r.announce.offers.size(), 1u);
}

// ------------------------------------------------------------ replies

TEST(Replies, AnnounceReplyIsWhatBittorrentTrackerSends) {
  std::string out;
  encode_announce_reply(hash_of('h'), 120, 3, 4, out);
  EXPECT_EQ(out,
            "{\"action\":\"announce\",\"interval\":120,\"info_hash\":\"hhhhhhhhhhhhhhhhhhhh\","
            "\"complete\":3,\"incomplete\":4}");
  auto back = parse_server_message(out);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->kind, ServerKind::announce_reply);
  EXPECT_EQ(back->interval, 120u);
  EXPECT_EQ(back->complete, 3u);
  EXPECT_EQ(back->incomplete, 4u);
}

TEST(Replies, OffersAndAnswersCarryTheObjectAsSent) {
  auto sdp =
      json::parse(R"({"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n","n":[1,2]})");
  std::string out;
  encode_offer(hash_of(0xAA), peer_of(0x81), offer_of(0x00), json::serialize(sdp), out);
  auto back = parse_server_message(out);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->kind, ServerKind::offer);
  EXPECT_EQ(*back->info_hash, hash_of(0xAA));
  EXPECT_EQ(back->peer_id, peer_of(0x81));
  EXPECT_EQ(back->offer_id, offer_of(0x00));
  EXPECT_EQ(json::parse(back->sdp_json), sdp);
  out.clear();
  encode_answer(hash_of(1), peer_of(2), offer_of(3), json::serialize(sdp), out);
  back = parse_server_message(out);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->kind, ServerKind::answer);
  EXPECT_EQ(json::parse(back->sdp_json), sdp);
}

TEST(Replies, ScrapeReplyKeysFilesByBinaryHash) {
  std::vector<ScrapeFileOut> files{{hash_of(0xFF), 1, 2, 3}, {hash_of(0x00), 0, 0, 0}};
  std::string out;
  encode_scrape_reply(files, out);
  auto back = parse_server_message(out);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->kind, ServerKind::scrape_reply);
  ASSERT_EQ(back->files.size(), 2u);
  EXPECT_EQ(back->files[0].info_hash, hash_of(0xFF));
  EXPECT_EQ(back->files[0].complete, 1u);
  EXPECT_EQ(back->files[0].incomplete, 2u);
  EXPECT_EQ(back->files[0].downloaded, 3u);
  EXPECT_EQ(back->files[1].info_hash, hash_of(0x00));
}

TEST(Replies, ErrorsCarryActionAndInfoHashWhenKnown) {
  std::string out;
  encode_error(Action::announce, hash_of('h'), "torrent not allowed", out);
  EXPECT_EQ(out,
            "{\"action\":\"announce\",\"info_hash\":\"hhhhhhhhhhhhhhhhhhhh\","
            "\"failure reason\":\"torrent not allowed\"}");
  out.clear();
  encode_error(std::nullopt, std::nullopt, failure_text(MessageError::bad_action), out);
  auto back = parse_server_message(out);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->kind, ServerKind::error);
  EXPECT_EQ(back->failure, failure_text(MessageError::bad_action));
  EXPECT_FALSE(back->action.has_value());
}

// What the load generator and tests send parses on the server as sent.
TEST(ClientSide, RequestsRoundTrip) {
  const std::pair<core::OfferId, std::string_view> offers[] = {
      {offer_of(0xC0), R"({"type":"offer","sdp":"x"})"}};
  AnnounceOut a{hash_of(0x7F), peer_of(0x22), core::Event::started, 0, 5, offers};
  std::string out;
  encode_announce_request(a, out);
  Parsed p(out);
  ASSERT_TRUE(p.result.has_value()) << out;
  EXPECT_EQ(p.request.announce.info_hash, hash_of(0x7F));
  EXPECT_EQ(p.request.announce.event, core::Event::started);
  EXPECT_TRUE(p.request.announce.seeder);
  ASSERT_EQ(p.request.announce.offers.size(), 1u);
  EXPECT_EQ(p.request.announce.offers[0].offer_id, offer_of(0xC0));

  out.clear();
  encode_answer_request(hash_of(1), peer_of(2), peer_of(3), offer_of(4), "{\"sdp\":\"y\"}", out);
  Parsed answer(out);
  ASSERT_TRUE(answer.result.has_value()) << out;
  EXPECT_EQ(answer.request.kind, MessageKind::answer);
  EXPECT_EQ(answer.request.answer.to_peer_id, peer_of(3));

  out.clear();
  const core::InfoHash hashes[] = {hash_of(9)};
  encode_scrape_request(hashes, out);
  Parsed scrape(out);
  ASSERT_TRUE(scrape.result.has_value());
  EXPECT_EQ(scrape.request.scrape.info_hashes, std::vector<core::InfoHash>{hash_of(9)});
}

}  // namespace
}  // namespace cairn::codec::ws
