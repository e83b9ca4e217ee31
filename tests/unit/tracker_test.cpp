#include <gtest/gtest.h>

#include <array>

#include "tracker/tracker.hpp"

using namespace cairn;

namespace {

// Records what the tracker asks of the store.
class RecordingStore : public store::PeerStore {
 public:
  store::Announce last;
  mutable store::Lookup last_lookup;
  bool full = false;
  bool busy = false;  // lookups and scrapes fail as a cluster that cannot answer does

  using store::PeerStore::announce;
  core::Result<store::SwarmCounts, store::StoreError> announce(const store::Announce& a,
                                                               core::PeerList& out) override {
    last = a;
    out.clear();
    if (full) return store::StoreError::torrent_limit;
    return store::SwarmCounts{3, 4, 5};
  }
  store::Counted lookup(const store::Lookup& l, core::PeerList& out) const override {
    last_lookup = l;
    out.clear();
    if (busy) return store::StoreError::busy;
    out.push_back(core::PeerInfo{}, false);
    return store::SwarmCounts{6, 7, 8};
  }
  store::Counted scrape(const core::InfoHash&) const override {
    if (busy) return store::StoreError::busy;
    return store::SwarmCounts{1, 2, 3};
  }
  std::uint64_t expire(core::Seconds) override { return 0; }
  store::StoreStats stats() const override { return {}; }
  void list_swarms(const SwarmPage&) const override {}  // holds no swarm
};

struct TrackerTest : ::testing::Test {
  RecordingStore store;
  tracker::Policy policy{
      .announce_interval = 600, .min_interval = 60, .numwant_default = 30, .numwant_max = 80};
  static inline std::uint64_t resident = 0;
  tracker::MemoryGuard memory{1000, [] { return resident; }};
  tracker::Tracker tracker{policy, store, memory};
  core::Rng rng{1};
  core::PeerList peers;
  tracker::AccessList open_list{tracker::AccessMode::off, {}};
  tracker::AccessView access{open_list};

  std::uint32_t numwant_for(std::optional<std::int64_t> requested) {
    tracker::AnnounceRequest r;
    r.numwant = tracker.numwant(requested);
    r.now = 100;
    EXPECT_TRUE(tracker.announce(r, rng, peers, access));
    return store.last.numwant;
  }

  core::Result<tracker::AnnounceResponse, tracker::TrackerError> announce_any() {
    tracker::AnnounceRequest r;
    r.now = 1;
    return tracker.announce(r, rng, peers, access);
  }
};

}  // namespace

TEST_F(TrackerTest, NumwantDefaultAndCap) {
  EXPECT_EQ(numwant_for(std::nullopt), 30u);
  EXPECT_EQ(numwant_for(-1), 30u);
  EXPECT_EQ(numwant_for(0), 0u);
  EXPECT_EQ(numwant_for(10), 10u);
  EXPECT_EQ(numwant_for(80), 80u);
  EXPECT_EQ(numwant_for(81), 80u);
  EXPECT_EQ(numwant_for(std::int64_t{1} << 31), 80u);
  EXPECT_EQ(numwant_for(INT64_MAX), 80u);
}

TEST_F(TrackerTest, PassesRequestAndTimeThrough) {
  tracker::AnnounceRequest r;
  r.info_hash.bytes[0] = 7;
  r.endpoint = *core::Endpoint::parse("[2001:db8::1]:51413");
  r.event = core::Event::completed;
  r.seeder = true;
  r.want_v4 = false;
  r.now = 1234;
  auto reply = tracker.announce(r, rng, peers, access);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->interval, 600u);
  EXPECT_EQ(reply->min_interval, 60u);
  EXPECT_EQ(reply->counts, (store::SwarmCounts{3, 4, 5}));
  EXPECT_EQ(store.last.info_hash, r.info_hash);
  EXPECT_EQ(store.last.endpoint, r.endpoint);
  EXPECT_EQ(store.last.event, core::Event::completed);
  EXPECT_TRUE(store.last.seeder);
  EXPECT_FALSE(store.last.want_v4);
  EXPECT_TRUE(store.last.want_v6);
  EXPECT_EQ(store.last.now, 1234u);
}

TEST_F(TrackerTest, FullStoreIsTrackerFull) {
  store.full = true;
  auto reply = announce_any();
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error(), tracker::TrackerError::tracker_full);
  EXPECT_EQ(tracker::error_text(reply.error()), "tracker is full");
}

// The guard measures on an announce of each thread now and then, so a
// flood cannot outrun it.
TEST_F(TrackerTest, MemoryGuardMeasuresAsAnnouncesComeAndStopsGrowth) {
  auto announces_until = [&](bool may_grow) {
    for (unsigned i = 1; i <= tracker::MemoryGuard::sample_every; ++i) {
      EXPECT_TRUE(announce_any());
      if (store.last.may_grow == may_grow) return i;
    }
    return 0u;
  };
  resident = 100;
  EXPECT_TRUE(announce_any());
  EXPECT_TRUE(store.last.may_grow);
  resident = 900;  // 90 % of 1000
  EXPECT_GT(announces_until(false), 0u);
  resident = 850;  // between the marks: still full
  EXPECT_EQ(announces_until(true), 0u);
  resident = 799;
  EXPECT_GT(announces_until(true), 0u);
}

TEST(MemoryGuard, FullFromHighWaterUntilBelowLowWater) {
  tracker::MemoryGuard guard(1000, [] { return std::uint64_t{0}; });
  EXPECT_TRUE(guard.enabled());
  guard.update(899);
  EXPECT_FALSE(guard.full());
  guard.update(900);
  EXPECT_TRUE(guard.full());
  guard.update(800);  // between the marks: still full
  EXPECT_TRUE(guard.full());
  guard.update(799);
  EXPECT_FALSE(guard.full());
  guard.update(899);  // between the marks: still accepting
  EXPECT_FALSE(guard.full());
  guard.measure();  // reads 0
  EXPECT_FALSE(guard.full());
}

TEST(MemoryGuard, NoCapIsNeverFull) {
  tracker::MemoryGuard guard;
  EXPECT_FALSE(guard.enabled());
  for (unsigned i = 0; i < 2 * tracker::MemoryGuard::sample_every; ++i)
    EXPECT_FALSE(guard.full_for_announce());
}

TEST_F(TrackerTest, LookupAsksTheStoreWithinTheNumwantCap) {
  core::InfoHash h;
  h.bytes[0] = 9;
  auto counts = tracker.lookup(h, 500, false, true, rng, peers, access);
  ASSERT_TRUE(counts);
  EXPECT_EQ(*counts, (store::SwarmCounts{6, 7, 8}));
  EXPECT_EQ(peers.view().size(), 1u);
  EXPECT_EQ(store.last_lookup.info_hash, h);
  EXPECT_EQ(store.last_lookup.numwant, 80u);
  EXPECT_FALSE(store.last_lookup.want_v4);
  EXPECT_TRUE(store.last_lookup.want_v6);
  EXPECT_TRUE(tracker.lookup(h, 5, true, false, rng, peers, access));
  EXPECT_EQ(store.last_lookup.numwant, 5u);
}

TEST_F(TrackerTest, LookupOfARefusedTorrentHasNoPeers) {
  core::InfoHash h;
  tracker::InfoHashSet listed{h};
  tracker::AccessList black(tracker::AccessMode::blacklist, listed);
  tracker::AccessView view(black);
  store.last_lookup = {};
  auto counts = tracker.lookup(h, 5, true, true, rng, peers, view);
  ASSERT_FALSE(counts);
  EXPECT_EQ(counts.error(), tracker::TrackerError::torrent_not_allowed);
  EXPECT_TRUE(peers.view().empty());
  EXPECT_EQ(store.last_lookup.numwant, 0u);  // the store was not asked
}

TEST_F(TrackerTest, ScrapeAsksTheStore) {
  auto counts = tracker.scrape({}, access);
  ASSERT_TRUE(counts);
  EXPECT_EQ(*counts, (store::SwarmCounts{1, 2, 3}));
}

TEST_F(TrackerTest, WhitelistRefusesUnlistedTorrents) {
  core::InfoHash listed, other;
  listed.bytes[0] = 1;
  other.bytes[0] = 2;
  tracker::AccessList list{tracker::AccessMode::whitelist, {listed}};
  tracker::AccessView view{list};
  tracker::AnnounceRequest r;
  r.info_hash = other;
  store.last = {};
  auto reply = tracker.announce(r, rng, peers, view);
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error(), tracker::TrackerError::torrent_not_allowed);
  EXPECT_EQ(tracker::error_text(reply.error()), "torrent not allowed");
  EXPECT_EQ(store.last.info_hash, core::InfoHash{})
      << "a refused announce must not reach the store";
  EXPECT_FALSE(tracker.scrape(other, view));
  r.info_hash = listed;
  EXPECT_TRUE(tracker.announce(r, rng, peers, view));
  EXPECT_TRUE(tracker.scrape(listed, view));
}

TEST_F(TrackerTest, BlacklistRefusesListedTorrents) {
  core::InfoHash listed, other;
  listed.bytes[0] = 1;
  other.bytes[0] = 2;
  tracker::AccessList list{tracker::AccessMode::blacklist, {listed}};
  tracker::AccessView view{list};
  tracker::AnnounceRequest r;
  r.info_hash = listed;
  EXPECT_FALSE(tracker.announce(r, rng, peers, view));
  EXPECT_FALSE(tracker.scrape(listed, view));
  r.info_hash = other;
  EXPECT_TRUE(tracker.announce(r, rng, peers, view));
  EXPECT_TRUE(tracker.scrape(other, view));
}

// WebSocket peers are in the same swarms for counts: an HTTP or UDP
// announce reply and a scrape add them to the store's.
TEST_F(TrackerTest, CountsIncludeWebSocketPeers) {
  tracker::SignalingSwarms signaling{tracker::SignalingLimits{}};
  tracker::Tracker with_ws{policy, store, memory, &signaling};
  core::InfoHash h;
  h.bytes[0] = 7;
  std::vector<tracker::OfferTarget> targets;
  core::PeerId p1, p2;
  p2.bytes[0] = 1;
  ASSERT_TRUE(signaling.announce({h, p1, {0, 1, 1}, core::Event::none, true}, {}, 1, 1, targets)
                  .has_value());
  ASSERT_TRUE(
      signaling.announce({h, p2, {0, 2, 1}, core::Event::completed, false}, {}, 1, 1, targets)
          .has_value());
  tracker::AnnounceRequest r;
  r.info_hash = h;
  auto reply = with_ws.announce(r, rng, peers, access);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->counts, (store::SwarmCounts{3 + 1, 4 + 1, 5 + 1}));
  // A UDP receive batch too.
  std::array<tracker::AnnounceRequest, 1> batch{r};
  std::array<store::AnnounceResult, 1> results;
  with_ws.announce_batch(batch, rng, peers, results);
  ASSERT_TRUE(results[0].counts.has_value());
  EXPECT_EQ(*results[0].counts, (store::SwarmCounts{3 + 1, 4 + 1, 5 + 1}));
  EXPECT_EQ(*with_ws.scrape(h, access), (store::SwarmCounts{1 + 1, 2 + 1, 3 + 1}));
  // Another torrent has none of them.
  core::InfoHash other;
  EXPECT_EQ(*with_ws.scrape(other, access), (store::SwarmCounts{1, 2, 3}));
  // A multi-hash scrape (UDP, HTTP, WebSocket) in one store call too.
  const std::array<core::InfoHash, 2> both{h, other};
  std::array<store::Counted, 2> counts;
  with_ws.scrape_batch(both, counts);
  ASSERT_TRUE(counts[0] && counts[1]);
  EXPECT_EQ(*counts[0], (store::SwarmCounts{1 + 1, 2 + 1, 3 + 1}));
  EXPECT_EQ(*counts[1], (store::SwarmCounts{1, 2, 3}));
}

// A store that cannot answer (a Redis cluster unreachable) makes scrapes
// and look-ups busy, never zeros a client would take for counts.
TEST_F(TrackerTest, BusyStoreMakesScrapeAndLookupBusy) {
  store.busy = true;
  core::InfoHash h;
  auto scraped = tracker.scrape(h, access);
  ASSERT_FALSE(scraped);
  EXPECT_EQ(scraped.error(), tracker::TrackerError::busy);
  EXPECT_EQ(tracker::error_text(scraped.error()), "tracker busy, retry");
  auto found = tracker.lookup(h, 5, true, true, rng, peers, access);
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error(), tracker::TrackerError::busy);
  EXPECT_TRUE(peers.view().empty());
  const std::array<core::InfoHash, 1> one{h};
  std::array<store::Counted, 1> counts;
  tracker.scrape_batch(one, counts);
  ASSERT_FALSE(counts[0]);
  EXPECT_EQ(counts[0].error(), store::StoreError::busy);
}
