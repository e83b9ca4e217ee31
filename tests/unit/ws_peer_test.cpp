// The load generator's simulated browser peer (apps/cairn/load/ws_peer):
// what it sends parses as the tracker parses it, and what it accepts from
// the tracker is exactly what a correct tracker would send it.
#include "load/ws_peer.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <deque>
#include <string>

#include "codec/ws_tracker.hpp"

namespace cairn::load {
namespace {

namespace ws = codec::ws;

// Two torrents, peers spread over them by Zipf: peers 0.. share torrents.
Workload small_workload() {
  WorkloadShape shape;
  shape.seed = 3;
  shape.torrents = 2;
  shape.peers = 40;
  shape.seeders = 0.25;
  shape.cover_all = false;
  return Workload(shape);
}

// Two peers of one torrent and one of the other.
struct Cast {
  std::uint32_t a = 0, b = 0, stranger = 0;
};
Cast cast_of(const Workload& w) {
  Cast c;
  for (std::uint32_t p = w.peer_count() - 1; p > 0; --p)
    (w.torrent_of(p) == w.torrent_of(0) ? c.b : c.stranger) = p;
  EXPECT_TRUE(c.b != 0 && c.stranger != 0);
  return c;
}

const WsPeerMix kNoScrapes{10, 0.0};

// Reads requests as the tracker does, keeping every text it read: the
// offers of an announce are views into it.
struct Reader {
  ws::RequestParser parser;
  std::deque<std::string> texts;
};

// The announce `peer` sends, as the tracker reads it; its offers' objects
// stay valid as long as `reader`.
ws::AnnounceIn announce_of(WsPeer& peer, Reader& reader, bool offers = true) {
  std::string& text = reader.texts.emplace_back();
  EXPECT_EQ(peer.next_request(offers, text), WsPeer::Sent::announce);
  ws::Request request;
  EXPECT_TRUE(reader.parser.parse(text, request)) << text;
  EXPECT_EQ(request.kind, ws::MessageKind::announce);
  return request.announce;
}

std::string reply(const core::InfoHash& h, std::uint32_t complete, std::uint32_t incomplete) {
  std::string out;
  ws::encode_announce_reply(h, 120, complete, incomplete, out);
  return out;
}

TEST(WsPeer, AnnouncesStartedWithItsOffersThenUpdates) {
  auto w = small_workload();
  WsPeer peer(w, 0, kNoScrapes, 1);
  Reader parser;
  auto first = announce_of(peer, parser);
  EXPECT_EQ(first.info_hash, w.hash(w.torrent_of(0)));
  EXPECT_EQ(first.peer_id, w.peer_id(0));
  EXPECT_EQ(first.event, core::Event::started);
  EXPECT_EQ(first.offers.size(), 10u);
  EXPECT_EQ(first.seeder, w.seeder(0));
  EXPECT_NE(first.offers[0].offer_id, first.offers[1].offer_id);
  std::string ignored;
  EXPECT_EQ(peer.on_message(reply(first.info_hash, 1, 0), ignored), WsPeer::Got::announce_reply);
  auto second = announce_of(peer, parser, false);
  EXPECT_EQ(second.event, core::Event::none);
  EXPECT_TRUE(second.offers.empty());
  peer.restart();
  EXPECT_EQ(announce_of(peer, parser).event, core::Event::started);
}

TEST(WsPeer, ScrapesItsTorrentAmongOthers) {
  auto w = small_workload();
  WsPeer peer(w, 0, WsPeerMix{10, 1.0}, 1);
  Reader parser;
  announce_of(peer, parser);  // the first request is always the announce
  std::string text;
  ASSERT_EQ(peer.next_request(true, text), WsPeer::Sent::scrape);
  ws::Request request;
  ASSERT_TRUE(parser.parser.parse(text, request)) << text;
  ASSERT_EQ(request.kind, ws::MessageKind::scrape);
  ASSERT_FALSE(request.scrape.info_hashes.empty());
  EXPECT_EQ(request.scrape.info_hashes[0], w.hash(w.torrent_of(0)));
}

// An offer relayed from b reaches a, which answers b; the answer relayed to
// b is one of b's offers. Anything else is invalid.
TEST(WsPeer, OffersAreAnsweredAndAnswersMatched) {
  auto w = small_workload();
  auto cast = cast_of(w);
  WsPeer a(w, cast.a, kNoScrapes, 1), b(w, cast.b, kNoScrapes, 2),
      stranger(w, cast.stranger, kNoScrapes, 3);
  Reader parser;
  auto offered = announce_of(b, parser);
  const auto hash = offered.info_hash;
  std::string relayed;
  ws::encode_offer(hash, offered.peer_id, offered.offers[0].offer_id, offered.offers[0].offer,
                   relayed);
  std::string answer;
  ASSERT_EQ(a.on_message(relayed, answer), WsPeer::Got::offer);
  ws::Request request;
  ws::RequestParser answer_parser;
  ASSERT_TRUE(answer_parser.parse(answer, request)) << answer;
  ASSERT_EQ(request.kind, ws::MessageKind::answer);
  EXPECT_EQ(request.answer.peer_id, w.peer_id(cast.a));
  EXPECT_EQ(request.answer.to_peer_id, w.peer_id(cast.b));
  EXPECT_EQ(request.answer.offer_id, offered.offers[0].offer_id);

  std::string back;
  ws::encode_answer(hash, request.answer.peer_id, request.answer.offer_id, request.answer.answer,
                    back);
  std::string none;
  EXPECT_EQ(b.on_message(back, none), WsPeer::Got::answer);
  EXPECT_TRUE(none.empty());
  // An answer from b to an offer a never made (it is b's own).
  std::string not_mine;
  ws::encode_answer(hash, w.peer_id(cast.b), offered.offers[2].offer_id, request.answer.answer,
                    not_mine);
  EXPECT_EQ(a.on_message(not_mine, none), WsPeer::Got::invalid);
  // An answer for another torrent.
  EXPECT_EQ(stranger.on_message(back, none), WsPeer::Got::invalid);
  // An offer from a peer of another torrent, or from itself.
  std::string foreign;
  ws::encode_offer(hash, w.peer_id(cast.stranger), offered.offers[1].offer_id,
                   offered.offers[1].offer, foreign);
  EXPECT_EQ(a.on_message(foreign, none), WsPeer::Got::invalid);
  EXPECT_EQ(b.on_message(relayed, none), WsPeer::Got::invalid);
}

// b's ten offers reached the three other peers of its swarm: it waits for
// three answers before it offers again.
TEST(WsPeer, AwaitsTheAnswersTheSwarmCanGive) {
  auto w = small_workload();
  auto cast = cast_of(w);
  WsPeer a(w, cast.a, kNoScrapes, 1), b(w, cast.b, kNoScrapes, 2);
  Reader parser;
  auto offered = announce_of(b, parser);
  std::string none;
  ASSERT_EQ(b.on_message(reply(offered.info_hash, 1, 3), none), WsPeer::Got::announce_reply);
  EXPECT_FALSE(b.answered());
  for (int i = 0; i < 3; ++i) {
    std::string relayed, answer, back;
    ws::encode_offer(offered.info_hash, offered.peer_id, offered.offers[i].offer_id,
                     offered.offers[i].offer, relayed);
    ASSERT_EQ(a.on_message(relayed, answer), WsPeer::Got::offer);
    const std::string object = R"({"type":"answer","sdp":"x"})";
    ws::encode_answer(offered.info_hash, w.peer_id(cast.a), offered.offers[i].offer_id, object,
                      back);
    ASSERT_EQ(b.on_message(back, none), WsPeer::Got::answer);
  }
  EXPECT_TRUE(b.answered());
  // Alone in its swarm: nothing to wait for.
  announce_of(b, parser);
  ASSERT_EQ(b.on_message(reply(offered.info_hash, 1, 0), none), WsPeer::Got::announce_reply);
  EXPECT_TRUE(b.answered());
  announce_of(b, parser);
  ASSERT_EQ(b.on_message(reply(offered.info_hash, 0, 5), none), WsPeer::Got::announce_reply);
  EXPECT_EQ(b.stop_awaiting(), 4u);
  EXPECT_TRUE(b.answered());
}

TEST(WsPeer, RepliesForAnotherTorrentErrorsAndGarbage) {
  auto w = small_workload();
  auto cast = cast_of(w);
  WsPeer a(w, cast.a, kNoScrapes, 1);
  std::string none, error;
  EXPECT_EQ(a.on_message(reply(w.hash(w.torrent_of(cast.stranger)), 1, 0), none),
            WsPeer::Got::invalid);
  ws::encode_error(ws::Action::announce, w.hash(w.torrent_of(cast.a)), "no such offer", error);
  EXPECT_EQ(a.on_message(error, none), WsPeer::Got::error);
  EXPECT_EQ(a.on_message("{", none), WsPeer::Got::invalid);
  EXPECT_EQ(a.on_message("[]", none), WsPeer::Got::invalid);
  EXPECT_EQ(a.on_message(R"({"action":"announce"})", none), WsPeer::Got::invalid);
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace cairn::load
