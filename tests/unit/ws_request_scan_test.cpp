#include "codec/ws_request_scan.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <random>
#include <string>
#include <vector>

#include "codec/ws_tracker.hpp"

namespace cairn::codec::ws {
namespace {

namespace json = boost::json;

std::string js(std::uint8_t fill, std::uint8_t first = 0) {
  std::array<std::uint8_t, 20> id{};
  id.fill(fill);
  id[0] = first;
  std::string out;
  append_id(out, id);
  return out;
}

bool same_json(std::string_view a, std::string_view b) {
  return json::parse(json::string_view(a.data(), a.size())) ==
         json::parse(json::string_view(b.data(), b.size()));
}

// The fast path's request against the general parser's, field by field.
void expect_same(const Request& fast, const Request& general, const std::string& text) {
  ASSERT_EQ(fast.kind, general.kind) << text;
  if (fast.kind == MessageKind::scrape) {
    EXPECT_EQ(fast.scrape.full, general.scrape.full) << text;
    EXPECT_EQ(fast.scrape.info_hashes, general.scrape.info_hashes) << text;
    return;
  }
  if (fast.kind == MessageKind::answer) {
    const auto &f = fast.answer, &g = general.answer;
    EXPECT_EQ(f.info_hash, g.info_hash) << text;
    EXPECT_EQ(f.peer_id, g.peer_id) << text;
    EXPECT_EQ(f.to_peer_id, g.to_peer_id) << text;
    EXPECT_EQ(f.offer_id, g.offer_id) << text;
    EXPECT_TRUE(same_json(f.answer, g.answer)) << text;
    return;
  }
  const auto &f = fast.announce, &g = general.announce;
  EXPECT_EQ(f.info_hash, g.info_hash) << text;
  EXPECT_EQ(f.peer_id, g.peer_id) << text;
  EXPECT_EQ(f.event, g.event) << text;
  EXPECT_EQ(f.seeder, g.seeder) << text;
  ASSERT_EQ(f.offers.size(), g.offers.size()) << text;
  for (std::size_t i = 0; i < f.offers.size(); ++i) {
    EXPECT_EQ(f.offers[i].offer_id, g.offers[i].offer_id) << text;
    EXPECT_TRUE(same_json(f.offers[i].offer, g.offers[i].offer)) << text;
  }
}

// Whether the fast path decided `text`; where it did, the general parser
// must have accepted it and read the same request.
bool decided_alike(const std::string& text) {
  Request fast;
  if (!scan_request(text, fast)) return false;
  RequestParser general;
  Request slow;
  const bool accepted = general.parse_general(text, slow).has_value();
  EXPECT_TRUE(accepted) << "the fast path accepted what the general parser refuses: " << text;
  if (accepted) expect_same(fast, slow, text);
  return true;
}

const std::string kOffer = R"({"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"})";

std::string announce(const std::string& extra) {
  return R"({"action":"announce","info_hash":)" + js(0xAA, 0x80) + R"(,"peer_id":)" +
         js(0x01, 0x1f) + extra + "}";
}

std::string offers(int n) {
  std::string out = R"(,"offers":[)";
  for (int i = 0; i < n; ++i) {
    if (i) out.push_back(',');
    out.append(R"({"offer":)").append(kOffer).append(R"(,"offer_id":)");
    out.append(js(static_cast<std::uint8_t>(0x10 + i))).push_back('}');
  }
  out.push_back(']');
  return out;
}

// What real clients send: the JS client, the WebTorrent client, and
// cairn load. The fast path must take every one of these.
std::vector<std::string> common() {
  return {
      announce(R"(,"numwant":10,"uploaded":0,"downloaded":0,"left":0,"event":"started")" +
               offers(10)),
      announce(R"(,"left":null,"event":"completed")"),
      announce(R"(,"left":12345,"event":"update","numwant":0)" + offers(1)),
      announce(R"(,"event":"stopped","left":-0,"trackerid":"x")"),
      announce(R"(,"to_peer_id":)" + js(0x02) + R"(,"answer":{"type":"answer","sdp":"x"},)" +
               R"("offer_id":)" + js(0x10)),
      // An answer's event and left are not read.
      announce(R"(,"to_peer_id":)" + js(0x02) + R"(,"answer":{},"offer_id":)" + js(0x10) +
               R"(,"event":7,"left":"x","offers":null)"),
      R"({"action":"scrape","info_hash":)" + js(0xAB) + "}",
      R"({"action":"scrape","info_hash":[)" + js(0xAB) + "," + js(0xAC, 0xFF) + "]}",
      R"({"action":"scrape"})",
      R"({"action":"scrape","info_hash":null})",
      " {\n\t\"action\" : \"announce\" , \"info_hash\":" + js(0xAA) + ",\"peer_id\":" + js(1) +
          ",\"offers\":[ ],\"left\":0.0e0} \r\n",
      announce(R"(,"offers":[{"offer_id":)" + js(3) +
               R"(,"x":[1,{"y":true}],"offer":{"a":[false,null,-1.5e+3,"\u00e9\n"]}}])"),
  };
}

TEST(FastPath, TakesWhatRealClientsSendAndReadsItAsTheGeneralParser) {
  for (const auto& text : common()) EXPECT_TRUE(decided_alike(text)) << text;
}

TEST(FastPath, RelaysOffersAndAnswersByteForByte) {
  Request r;
  const auto text = announce(R"(,"left":0)" + offers(2));
  ASSERT_TRUE(scan_request(text, r));
  ASSERT_EQ(r.announce.offers.size(), 2u);
  EXPECT_EQ(r.announce.offers[1].offer, kOffer);
  const auto spaced = announce(R"(,"to_peer_id":)" + js(2) + R"(,"answer": { "sdp" : "\/x" } ,)" +
                               R"("offer_id":)" + js(3));
  ASSERT_TRUE(scan_request(spaced, r));
  EXPECT_EQ(r.answer.answer, R"({ "sdp" : "\/x" })");
}

TEST(FastPath, IdsWithEscapesDecodeAsTheGeneralParserReadsThem) {
  // \u00XX for every latin1 code point, and the short escapes.
  std::string id = "\"";
  for (int i = 0; i < 14; ++i) id += "\\u00" + std::string(1, "0123456789abcdef"[i]) + "f";
  id += R"(\"\\\/\b\f\n)";
  id += "\"";
  const auto text =
      R"({"action":"announce","info_hash":)" + id + R"(,"peer_id":)" + js(1) + R"(,"left":1})";
  EXPECT_TRUE(decided_alike(text));
}

// Rare shapes are left to the general parser; refusals always are.
TEST(FastPath, GivesUpOnWhatItDoesNotDecide) {
  const std::vector<std::string> left_alone = {
      announce(R"(,"left":1,"left":0)"),          // a member twice
      R"({"act\u0069on":"scrape"})",              // an escaped key
      announce(R"(,"left":1e-400)"),              // may round to zero
      announce(R"(,"x":[[[[[[[[[[1]]]]]]]]]])"),  // deep
      announce(R"(,"x":"\ud83d\ude00")"),         // a surrogate pair
      announce(R"(,"event":"bogus")"),            // refusals
      announce(offers(1) + R"(,"answer":{},"to_peer_id":)" + js(2) + R"(,"offer_id":)" + js(3)),
      R"({"action":"scrape","info_hash":"short"})",
      R"({"action":"announce"})",
      announce("") + " x",
      announce(R"(,"x":01)"),
      announce(R"(,"x":"a)"
               "\x01"
               R"(")"),
      announce(R"(,"x":")"
               "\xc0\xaf"
               R"(")"),
      "",
      "[]",
  };
  for (const auto& text : left_alone) {
    Request r;
    EXPECT_FALSE(scan_request(text, r)) << text;
  }
}

// Every message real clients send, cut short or with one byte changed:
// wherever the fast path still decides, it decides as the general parser.
TEST(FastPath, AgreesWithTheGeneralParserOnDamagedMessages) {
  std::mt19937 rng(7);
  const std::string bytes = "{}[]\":,\\ -+.eE0123456789tfnul\x01\x80\xc3\xff";
  int decided = 0;
  for (const auto& text : common()) {
    for (std::size_t cut = 0; cut <= text.size(); ++cut) decided_alike(text.substr(0, cut));
    for (int round = 0; round < 2000; ++round) {
      std::string damaged = text;
      const std::size_t at = rng() % damaged.size();
      const char b = bytes[rng() % bytes.size()];
      switch (rng() % 3) {
        case 0:
          damaged[at] = b;
          break;
        case 1:
          damaged.insert(at, 1, b);
          break;
        default:
          damaged.erase(at, 1);
      }
      decided += decided_alike(damaged);
    }
  }
  EXPECT_GT(decided, 0);  // some damage (in an offer's text, say) still reads
}

}  // namespace
}  // namespace cairn::codec::ws
