// frontend/full_scrape.hpp: what a full scrape holds (every swarm with a
// peer, BitTorrent and WebSocket peers counted together) and who gets it.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "frontend/full_scrape.hpp"
#include "store/memory/memory_store.hpp"

namespace cairn::frontend {
namespace {

core::InfoHash hash(std::uint8_t n) {
  core::InfoHash h;
  h.bytes.fill(n);
  return h;
}

struct FullScrapeTest : ::testing::Test {
  void announce(std::uint8_t torrent, std::uint16_t port, bool seeder) {
    store::Announce a;
    a.info_hash = hash(torrent);
    a.peer_id.bytes.fill(static_cast<std::uint8_t>(port));
    a.endpoint = *core::Endpoint::parse("192.0.2.1:" + std::to_string(port));
    a.seeder = seeder;
    a.now = 10;
    std::vector<store::PeerInfo> out;
    ASSERT_TRUE(store.announce(a, out).has_value());
  }
  void join_ws(std::uint8_t torrent, std::uint8_t peer, bool seeder) {
    tracker::SignalAnnounce a;
    a.info_hash = hash(torrent);
    a.peer_id.bytes.fill(peer);
    a.connection = {0, peer, 1};
    a.seeder = seeder;
    std::vector<tracker::OfferTarget> targets;
    ASSERT_TRUE(signaling.announce(a, {}, 10, 1, targets).has_value());
  }

  store::MemoryStore store{store::Limits{}};
  tracker::MemoryGuard memory;
  tracker::SignalingSwarms signaling{tracker::SignalingLimits{}};
  tracker::Tracker tracker{tracker::Policy{}, store, memory, &signaling};
};

TEST_F(FullScrapeTest, ListsEverySwarmWithWebSocketPeersAddedIn) {
  announce(1, 1000, true);
  announce(1, 1001, false);
  announce(2, 1000, false);
  join_ws(2, 7, true);   // a swarm with both kinds of peers: one entry
  join_ws(3, 8, false);  // WebSocket peers only
  const auto bodies = FullScrape::build(tracker);
  EXPECT_EQ(bodies->torrents, 3u);
  // d5:filesd 20-byte hash d8:complete.. e ... ee, hashes in order.
  std::string expected = "d5:filesd";
  const auto file = [&](std::uint8_t n, int complete, int incomplete) {
    expected += "20:" + std::string(20, static_cast<char>(n)) + "d8:completei" +
                std::to_string(complete) + "e10:downloadedi0e10:incompletei" +
                std::to_string(incomplete) + "ee";
  };
  file(1, 1, 1);
  file(2, 1, 1);
  file(3, 0, 1);
  expected += "ee";
  EXPECT_EQ(bodies->bencoded, expected);
  EXPECT_FALSE(bodies->gzipped.empty());
  EXPECT_NE(bodies->ws_json.find("\"action\":\"scrape\""), std::string::npos);
  EXPECT_NE(bodies->ws_json.find("\"complete\":1,\"incomplete\":1"), std::string::npos);
}

TEST_F(FullScrapeTest, AnEmptyTrackerHasAnEmptyFilesDictionary) {
  EXPECT_EQ(FullScrape::build(tracker)->bencoded, "d5:filesdee");
}

TEST_F(FullScrapeTest, NotReadyUntilPublishedThenOncePerAddressPerInterval) {
  FullScrape full(30);
  const auto me = *core::Address::parse("192.0.2.9");
  auto first = full.take(me, 100);
  EXPECT_FALSE(first.bodies);
  EXPECT_EQ(first.refusal, kFullScrapeNotReady);
  full.publish(FullScrape::build(tracker), 100);
  EXPECT_TRUE(full.take(me, 100).bodies);  // not-ready did not use the address's turn
  const auto again = full.take(me, 110);
  EXPECT_FALSE(again.bodies);
  EXPECT_EQ(again.refusal, kFullScrapeTooSoon);
  EXPECT_TRUE(full.take(*core::Address::parse("192.0.2.10"), 110).bodies);
  EXPECT_TRUE(full.take(me, 130).bodies);
  // A HEAD is neither limited nor counted.
  EXPECT_TRUE(full.take(me, 131, true).bodies);
  EXPECT_FALSE(full.take(me, 131).bodies);
  EXPECT_TRUE(full.take(*core::Address::parse("192.0.2.11"), 131, true).bodies);
  EXPECT_TRUE(full.take(*core::Address::parse("192.0.2.11"), 131).bodies);
}

// Built on demand: a request asks for a build only when there is none or
// the last is an interval old; a stale build is served up to two intervals
// old, and after that the request is told to retry.
TEST_F(FullScrapeTest, BuiltOnlyWhenAskedAndServedWhileYoungEnough) {
  FullScrape full(30);
  EXPECT_FALSE(full.demanded());  // nobody asked: nothing to build
  const auto me = *core::Address::parse("192.0.2.9");
  EXPECT_EQ(full.take(me, 100).refusal, kFullScrapeNotReady);
  EXPECT_TRUE(full.demanded());
  EXPECT_TRUE(full.wait_for_demand());  // the task's wait returns at once
  full.publish(FullScrape::build(tracker), 100);
  EXPECT_FALSE(full.demanded());
  EXPECT_TRUE(full.take(me, 100).bodies);
  EXPECT_TRUE(full.take(*core::Address::parse("192.0.2.10"), 129).bodies);
  EXPECT_FALSE(full.demanded());  // young enough: no rebuild
  // An interval old: still served, and a rebuild asked for.
  EXPECT_TRUE(full.take(*core::Address::parse("192.0.2.11"), 130).bodies);
  EXPECT_TRUE(full.demanded());
  EXPECT_TRUE(full.take(*core::Address::parse("192.0.2.12"), 159).bodies);
  // Two intervals old: too stale to hand out.
  const auto stale = full.take(*core::Address::parse("192.0.2.13"), 160);
  EXPECT_FALSE(stale.bodies);
  EXPECT_EQ(stale.refusal, kFullScrapeNotReady);
  full.publish(FullScrape::build(tracker), 161);
  EXPECT_TRUE(full.take(*core::Address::parse("192.0.2.13"), 161).bodies);
  EXPECT_FALSE(full.demanded());
  // A failed build clears the demand; the next stale request asks again.
  EXPECT_TRUE(full.take(*core::Address::parse("192.0.2.14"), 191).bodies);
  full.build_failed();
  EXPECT_FALSE(full.demanded());
  EXPECT_TRUE(full.take(*core::Address::parse("192.0.2.15"), 192).bodies);
  EXPECT_TRUE(full.demanded());
  full.stop_waiting();
  EXPECT_FALSE(full.wait_for_demand());
}

}  // namespace
}  // namespace cairn::frontend
