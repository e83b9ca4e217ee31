#include <gtest/gtest.h>

#include "tracker/tracker.hpp"

using namespace cairn;

namespace {

// Records what the tracker asks of the store.
class RecordingStore : public store::PeerStore {
 public:
  store::Announce last;
  bool full = false;

  core::Result<store::SwarmCounts, store::StoreError> announce(const store::Announce& a,
                                                               std::vector<core::PeerInfo>& out) override {
    last = a;
    out.clear();
    if (full) return store::StoreError::torrent_limit;
    return store::SwarmCounts{3, 4, 5};
  }
  store::SwarmCounts scrape(const core::InfoHash&) const override { return {1, 2, 3}; }
  std::uint64_t expire(core::Seconds) override { return 0; }
  store::StoreStats stats() const override { return {}; }
};

struct TrackerTest : ::testing::Test {
  RecordingStore store;
  tracker::Policy policy{.announce_interval = 600, .min_interval = 60, .numwant_default = 30, .numwant_max = 80};
  tracker::Tracker tracker{policy, store};
  core::Rng rng{1};
  std::vector<core::PeerInfo> peers;

  std::uint32_t numwant_for(std::optional<std::int64_t> requested) {
    tracker::AnnounceRequest r;
    r.numwant = requested;
    EXPECT_TRUE(tracker.announce(r, 100, rng, peers));
    return store.last.numwant;
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
  auto reply = tracker.announce(r, 1234, rng, peers);
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
  auto reply = tracker.announce({}, 1, rng, peers);
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error(), tracker::TrackerError::tracker_full);
  EXPECT_EQ(tracker::error_text(reply.error()), "tracker is full");
}

TEST_F(TrackerTest, ScrapeAsksTheStore) {
  EXPECT_EQ(tracker.scrape({}), (store::SwarmCounts{1, 2, 3}));
}
