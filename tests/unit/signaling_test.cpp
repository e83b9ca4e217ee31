#include "tracker/signaling.hpp"

#include <gtest/gtest.h>

#include <set>

#include "support/ids.hpp"

namespace cairn::tracker {
namespace {

using test::id_of;

const core::InfoHash kHash = id_of<core::InfoHash>(1);

ConnectionId conn(std::uint32_t n) { return {n % 2, n, 1}; }
core::PeerId peer(std::uint32_t n) { return id_of<core::PeerId>(n); }
core::OfferId offer(std::uint32_t n) { return id_of<core::OfferId>(n); }

class Signaling : public ::testing::Test {
 protected:
  SignalingSwarms swarms{SignalingLimits{}};
  std::vector<OfferTarget> targets;

  core::Result<store::SwarmCounts, SignalingError> announce(
      std::uint32_t n, core::Event event = core::Event::none, bool seeder = false,
      std::vector<core::OfferId> offers = {}, core::Seconds now = 100, std::uint64_t random = 7) {
    return swarms.announce({kHash, peer(n), conn(n), event, seeder, true}, offers, now, random,
                           targets);
  }
};

TEST_F(Signaling, PeersJoinAndAreCounted) {
  ASSERT_TRUE(announce(1, core::Event::started).has_value());
  ASSERT_TRUE(announce(2, core::Event::started, true).has_value());
  auto c = announce(3);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(*c, (store::SwarmCounts{1, 2, 0}));
  EXPECT_EQ(swarms.counts(kHash), (store::SwarmCounts{1, 2, 0}));
  EXPECT_FALSE(swarms.empty());
  // Seeding later moves the peer; completed counts one download, once.
  announce(3, core::Event::completed, true);
  announce(3, core::Event::completed, true);
  EXPECT_EQ(swarms.counts(kHash), (store::SwarmCounts{2, 1, 1}));
}

TEST_F(Signaling, OffersGoToDistinctOtherPeersAtMostMaxOffers) {
  for (std::uint32_t n = 1; n <= 30; ++n) announce(n);
  std::vector<core::OfferId> offers;
  for (std::uint32_t i = 0; i < 15; ++i) offers.push_back(offer(i));
  ASSERT_TRUE(announce(1, core::Event::none, false, offers).has_value());
  ASSERT_EQ(targets.size(), 10u);  // max_offers
  std::set<std::uint32_t> slots, indices;
  for (const auto& t : targets) {
    EXPECT_NE(t.peer_id, peer(1));
    EXPECT_EQ(t.to, conn(t.to.slot));
    EXPECT_EQ(t.peer_id, peer(t.to.slot));
    slots.insert(t.to.slot);
    indices.insert(t.offer);
  }
  EXPECT_EQ(slots.size(), 10u);
  EXPECT_EQ(indices, (std::set<std::uint32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST_F(Signaling, FewerPeersThanOffersGetOneEach) {
  announce(1);
  announce(2);
  announce(3);
  ASSERT_TRUE(announce(3, core::Event::none, false, {offer(1), offer(2), offer(3)}).has_value());
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_NE(targets[0].peer_id, targets[1].peer_id);
  // Alone in a swarm: nobody to send to.
  SignalingSwarms alone{SignalingLimits{}};
  ASSERT_TRUE(
      alone.announce({kHash, peer(1), conn(1)}, std::vector{offer(1)}, 1, 1, targets).has_value());
  EXPECT_TRUE(targets.empty());
}

TEST_F(Signaling, TheChoiceIsRandom) {
  for (std::uint32_t n = 1; n <= 50; ++n) announce(n);
  std::set<std::uint32_t> seen;
  for (std::uint32_t r = 0; r < 50; ++r) {
    announce(1, core::Event::none, false, {offer(r)}, 100, r);
    ASSERT_EQ(targets.size(), 1u);
    seen.insert(targets[0].to.slot);
  }
  EXPECT_GT(seen.size(), 20u);
}

TEST_F(Signaling, AnAnswerReachesTheOffererOnceAndOnlyFromTheReceiver) {
  announce(1);
  announce(2);
  announce(3);
  ASSERT_TRUE(announce(1, core::Event::none, false, {offer(9), offer(8)}, 100).has_value());
  ASSERT_EQ(targets.size(), 2u);
  const auto receiver = targets[0];  // got offer(9)
  const std::uint32_t other = receiver.to.slot == 2 ? 3 : 2;
  // Someone who was not sent this offer, with its own id: refused.
  EXPECT_EQ(swarms.answer(kHash, peer(other), conn(other), peer(1), offer(9), 101).error(),
            SignalingError::no_such_offer);
  // The receiver's id from another connection: refused.
  EXPECT_EQ(swarms.answer(kHash, receiver.peer_id, conn(77), peer(1), offer(9), 101).error(),
            SignalingError::not_in_swarm);
  auto to = swarms.answer(kHash, receiver.peer_id, receiver.to, peer(1), offer(9), 101);
  ASSERT_TRUE(to.has_value());
  EXPECT_EQ(*to, conn(1));
  // Once only.
  EXPECT_EQ(swarms.answer(kHash, receiver.peer_id, receiver.to, peer(1), offer(9), 102).error(),
            SignalingError::no_such_offer);
  // Unknown offerer, unknown torrent.
  EXPECT_EQ(swarms.answer(kHash, receiver.peer_id, receiver.to, peer(55), offer(9), 102).error(),
            SignalingError::no_such_offer);
  EXPECT_EQ(
      swarms.answer(id_of<core::InfoHash>(2), receiver.peer_id, receiver.to, peer(1), offer(9), 102)
          .error(),
      SignalingError::not_in_swarm);
}

TEST_F(Signaling, OffersExpireAfterTheirTtl) {
  announce(1);
  announce(2);
  announce(1, core::Event::none, false, {offer(5)}, 100);
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(swarms.answer(kHash, peer(2), conn(2), peer(1), offer(5), 100 + 120).error(),
            SignalingError::no_such_offer);
  announce(1, core::Event::none, false, {offer(6)}, 300);
  EXPECT_TRUE(swarms.answer(kHash, peer(2), conn(2), peer(1), offer(6), 300 + 119).has_value());
}

TEST_F(Signaling, OutstandingOffersPerPeerAreCapped) {
  announce(1);
  announce(2);
  // 4 x max_offers are remembered; the oldest go first.
  for (std::uint32_t i = 0; i < 41; ++i) announce(1, core::Event::none, false, {offer(i)}, 100);
  EXPECT_EQ(swarms.stats().offers_pending, 40u);
  EXPECT_EQ(swarms.answer(kHash, peer(2), conn(2), peer(1), offer(0), 101).error(),
            SignalingError::no_such_offer);
  EXPECT_TRUE(swarms.answer(kHash, peer(2), conn(2), peer(1), offer(40), 101).has_value());
}

TEST_F(Signaling, APeerIdBelongsToItsConnection) {
  announce(1);
  auto r = swarms.announce({kHash, peer(1), conn(2)}, {}, 100, 1, targets);
  EXPECT_EQ(r.error(), SignalingError::peer_id_in_use);
  // Nor can another connection stop it.
  swarms.announce({kHash, peer(1), conn(2), core::Event::stopped}, {}, 100, 1, targets);
  EXPECT_EQ(swarms.counts(kHash).leechers, 1u);
  swarms.leave(kHash, peer(1), conn(2));
  EXPECT_EQ(swarms.counts(kHash).leechers, 1u);
}

// Where an offer or answer from another node goes: the peer's connection
// while it is in the swarm here, nothing otherwise.
TEST_F(Signaling, WhereFindsALocalPeersConnection) {
  EXPECT_FALSE(swarms.where(kHash, peer(1)).has_value());
  ASSERT_TRUE(announce(1, core::Event::started).has_value());
  ASSERT_TRUE(swarms.where(kHash, peer(1)).has_value());
  EXPECT_EQ(*swarms.where(kHash, peer(1)), conn(1));
  EXPECT_FALSE(swarms.where(kHash, peer(2)).has_value());
  EXPECT_FALSE(swarms.where(id_of<core::InfoHash>(2), peer(1)).has_value());
  swarms.leave(kHash, peer(1), conn(1));
  EXPECT_FALSE(swarms.where(kHash, peer(1)).has_value());
}

TEST_F(Signaling, StoppedAndLeaveRemoveThePeerAndEmptySwarms) {
  announce(1);
  announce(2, core::Event::none, true);
  announce(1, core::Event::stopped);
  EXPECT_EQ(swarms.counts(kHash), (store::SwarmCounts{1, 0, 0}));
  swarms.leave(kHash, peer(2), conn(2));
  EXPECT_EQ(swarms.counts(kHash), store::SwarmCounts{});
  EXPECT_TRUE(swarms.empty());
  EXPECT_EQ(swarms.stats().torrents, 0u);
  // Stopping a peer of an unknown swarm makes none.
  announce(9, core::Event::stopped);
  EXPECT_TRUE(swarms.empty());
}

TEST_F(Signaling, ExpireRemovesSilentPeers) {
  announce(1, core::Event::none, false, {}, 100);
  announce(2, core::Event::none, false, {}, 500);
  EXPECT_EQ(swarms.expire(100 + 599), 0u);
  EXPECT_EQ(swarms.expire(100 + 600), 1u);
  EXPECT_EQ(swarms.counts(kHash).leechers, 1u);
  EXPECT_EQ(swarms.expire(500 + 600), 1u);
  EXPECT_TRUE(swarms.empty());
}

TEST_F(Signaling, CapsAndTheMemoryGuard) {
  SignalingLimits limits;
  limits.max_torrents = 1;
  limits.max_peers_per_torrent = 2;
  SignalingSwarms capped(limits);
  auto go = [&](std::uint32_t torrent, std::uint32_t n, bool may_grow = true) {
    return capped.announce(
        {id_of<core::InfoHash>(torrent), peer(n), conn(n), core::Event::none, false, may_grow},
        std::vector{offer(n)}, 1, 1, targets);
  };
  ASSERT_TRUE(go(1, 1).has_value());
  EXPECT_EQ(go(2, 1).error(), SignalingError::torrent_limit);
  ASSERT_TRUE(go(1, 2).has_value());
  EXPECT_EQ(targets.size(), 1u);
  // A third peer gets counts, but is not stored and its offers go nowhere.
  auto third = go(1, 3);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->leechers, 2u);
  EXPECT_TRUE(targets.empty());
  // At the memory cap, known peers go on; new ones are not stored.
  ASSERT_TRUE(go(1, 1, false).has_value());
  EXPECT_EQ(targets.size(), 1u);
  SignalingSwarms empty{SignalingLimits{}};
  EXPECT_EQ(
      empty.announce({kHash, peer(1), conn(1), core::Event::none, false, false}, {}, 1, 1, targets)
          .error(),
      SignalingError::torrent_limit);
}

TEST(JoinedTorrentsTest, OnePeerIdPerTorrentAndACap) {
  JoinedTorrents joined;
  const auto h1 = id_of<core::InfoHash>(1), h2 = id_of<core::InfoHash>(2),
             h3 = id_of<core::InfoHash>(3);
  EXPECT_EQ(joined.join(h1, peer(1), 2), JoinedTorrents::Join::added);
  EXPECT_EQ(joined.join(h1, peer(1), 2), JoinedTorrents::Join::known);
  EXPECT_EQ(joined.join(h1, peer(2), 2), JoinedTorrents::Join::other_peer_id);
  // The same peer id on another torrent is fine (the JS client shares one).
  EXPECT_EQ(joined.join(h2, peer(1), 2), JoinedTorrents::Join::added);
  EXPECT_EQ(joined.join(h3, peer(1), 2), JoinedTorrents::Join::too_many);
  EXPECT_TRUE(joined.holds(h2, peer(1)));
  EXPECT_FALSE(joined.holds(h2, peer(2)));
  joined.remove(h1);
  EXPECT_EQ(joined.entries().size(), 1u);
  EXPECT_EQ(joined.join(h1, peer(2), 2), JoinedTorrents::Join::added);
}

}  // namespace
}  // namespace cairn::tracker
