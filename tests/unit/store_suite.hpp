#pragma once
// The PeerStore contract as one value-parameterized suite: every backend
// instantiates it with a factory, e.g.
//
//   INSTANTIATE_TEST_SUITE_P(Memory, StoreSuite,
//       ::testing::Values(StoreBackend{"memory", make_memory_store}),
//       store_backend_name);
//
// Include it from exactly one .cpp per test binary (it defines the tests).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "store/peer_store.hpp"
#include "support/endpoints.hpp"
#include "support/store_results.hpp"

namespace cairn::store::testing {

using StoreFactory = std::function<std::unique_ptr<PeerStore>(const Limits&)>;

struct StoreBackend {
  std::string name;
  StoreFactory make;
};
inline void PrintTo(const StoreBackend& b, std::ostream* os) { *os << b.name; }
inline std::string store_backend_name(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

// Distinct, well-spread ids and endpoints from small integers.
inline std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}
template <class Id>
Id make_id(std::uint64_t n, std::uint64_t salt) {
  Id id;
  for (std::size_t i = 0; i < Id::size; ++i) {
    id.bytes[i] = static_cast<std::uint8_t>(mix(n * 31 + salt + i / 8) >> (8 * (i % 8)));
  }
  return id;
}
inline core::InfoHash torrent(std::uint64_t n) { return make_id<core::InfoHash>(n, 1); }
inline core::PeerId peer_id(std::uint64_t n) { return make_id<core::PeerId>(n, 2); }
using cairn::test::v4;
using cairn::test::v6;

class StoreSuite : public ::testing::TestWithParam<StoreBackend> {
 protected:
  std::unique_ptr<PeerStore> make(Limits limits = {}) { return GetParam().make(limits); }

  // An announce from peer `n` at endpoint `ep` with no event, leeching.
  static Announce announce(const core::InfoHash& ih, const core::Endpoint& ep, std::uint64_t n,
                           core::Seconds now = 1000, std::uint32_t numwant = 50) {
    Announce a;
    a.info_hash = ih;
    a.peer_id = peer_id(n);
    a.endpoint = ep;
    a.numwant = numwant;
    a.now = now;
    a.random = mix(n ^ now);
    return a;
  }
  // Runs an announce that must succeed and returns its counts.
  static SwarmCounts run(PeerStore& s, const Announce& a, std::vector<PeerInfo>& out) {
    auto r = s.announce(a, out);
    EXPECT_TRUE(r.has_value());
    return r.has_value() ? *r : SwarmCounts{};
  }
  static SwarmCounts run(PeerStore& s, const Announce& a) {
    std::vector<PeerInfo> out;
    return run(s, a, out);
  }
  static std::map<core::Endpoint, core::PeerId> by_endpoint(std::span<const PeerInfo> peers) {
    std::map<core::Endpoint, core::PeerId> out;
    for (const auto& p : peers) out.emplace(p.endpoint, p.peer_id);
    return out;
  }
  static std::set<core::Endpoint> endpoints(std::span<const PeerInfo> peers) {
    std::set<core::Endpoint> eps;
    for (const auto& p : peers) eps.insert(p.endpoint);
    return eps;
  }
};

TEST_P(StoreSuite, EmptyStoreHasNothing) {
  auto s = make();
  EXPECT_EQ(s->scrape(torrent(1)), SwarmCounts{});
  const StoreStats st = s->stats();
  EXPECT_EQ(st.torrents, 0u);
  EXPECT_EQ(st.peers_v4 + st.peers_v6 + st.seeders, 0u);
  EXPECT_EQ(s->expire(1'000'000), 0u);
}

TEST_P(StoreSuite, FirstAnnounceGetsNoPeersAndCountsItself) {
  auto s = make();
  std::vector<PeerInfo> out{PeerInfo{}};  // announce must clear it
  EXPECT_EQ(run(*s, announce(torrent(1), v4(1), 1), out), (SwarmCounts{0, 1, 0}));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s->scrape(torrent(1)), (SwarmCounts{0, 1, 0}));
  EXPECT_EQ(s->stats().torrents, 1u);
  EXPECT_EQ(s->stats().peers_v4, 1u);
}

TEST_P(StoreSuite, ReturnsEveryOtherPeerWithItsId) {
  auto s = make();
  for (std::uint32_t i = 0; i < 10; ++i) run(*s, announce(torrent(1), v4(i), i));
  std::vector<PeerInfo> out;
  run(*s, announce(torrent(1), v4(3), 3), out);
  ASSERT_EQ(out.size(), 9u);
  std::set<core::Endpoint> seen;
  for (const auto& p : out) {
    const std::uint32_t n = p.endpoint.address.bytes[3];
    EXPECT_NE(n, 3u);
    EXPECT_EQ(p.endpoint, v4(n));
    EXPECT_EQ(p.peer_id, peer_id(n));
    EXPECT_TRUE(seen.insert(p.endpoint).second);
  }
}

// Many random swarms, requesters old and new, numwant from 0 to past the size.
TEST_P(StoreSuite, SelectionNeverReturnsRequesterOrDuplicates) {
  auto s = make();
  std::mt19937_64 rng(42);
  std::vector<PeerInfo> out;
  for (std::uint32_t t = 0; t < 60; ++t) {
    const std::uint32_t size = 1 + static_cast<std::uint32_t>(rng() % 70);
    const auto port = static_cast<std::uint16_t>(1000 + t);
    for (std::uint32_t i = 0; i < size; ++i) run(*s, announce(torrent(t), v4(i, port), i));
    for (int trial = 0; trial < 20; ++trial) {
      const std::uint32_t who = static_cast<std::uint32_t>(rng() % (size + 5));  // maybe new
      auto a = announce(torrent(t), v4(who, port), who);
      a.numwant = static_cast<std::uint32_t>(rng() % 80);
      a.random = rng();
      run(*s, a, out);
      std::set<core::Endpoint> eps = endpoints(out);
      EXPECT_EQ(eps.size(), out.size()) << "duplicate peer";
      EXPECT_FALSE(eps.count(a.endpoint)) << "requester returned";
      for (const auto& p : out) EXPECT_EQ(p.peer_id, peer_id(p.endpoint.address.bytes[3]));
      const SwarmCounts counts = ok(s->scrape(torrent(t)));
      const std::uint32_t others = counts.seeders + counts.leechers - 1;
      EXPECT_EQ(out.size(), std::min(a.numwant, others));
    }
  }
}

TEST_P(StoreSuite, SelectionReachesEveryPeer) {
  auto s = make();
  for (std::uint32_t i = 0; i < 40; ++i) run(*s, announce(torrent(1), v4(i), i));
  std::set<core::Endpoint> seen;
  std::vector<PeerInfo> out;
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    auto a = announce(torrent(1), v4(0), 0);
    a.numwant = 5;
    a.random = rng();
    run(*s, a, out);
    ASSERT_EQ(out.size(), 5u);
    for (const auto& p : out) seen.insert(p.endpoint);
  }
  EXPECT_EQ(seen.size(), 39u);
}

TEST_P(StoreSuite, NumwantZeroStillAnnounces) {
  auto s = make();
  run(*s, announce(torrent(1), v4(1), 1));
  std::vector<PeerInfo> out;
  EXPECT_EQ(run(*s, announce(torrent(1), v4(2), 2, 1000, 0), out), (SwarmCounts{0, 2, 0}));
  EXPECT_TRUE(out.empty());
}

TEST_P(StoreSuite, NumwantLargerThanSwarmReturnsAllOthers) {
  auto s = make();
  for (std::uint32_t i = 0; i < 5; ++i) run(*s, announce(torrent(1), v4(i), i));
  std::vector<PeerInfo> out;
  run(*s, announce(torrent(1), v4(9), 9, 1000, 1000), out);
  EXPECT_EQ(endpoints(out), (std::set<core::Endpoint>{v4(0), v4(1), v4(2), v4(3), v4(4)}));
}

TEST_P(StoreSuite, ReannounceUpdatesInsteadOfAdding) {
  auto s = make();
  run(*s, announce(torrent(1), v4(1), 1));
  run(*s, announce(torrent(1), v4(1), 1));
  EXPECT_EQ(run(*s, announce(torrent(1), v4(1), 77)), (SwarmCounts{0, 1, 0}));  // new peer id
  EXPECT_EQ(s->stats().peers_v4, 1u);
  std::vector<PeerInfo> out;
  run(*s, announce(torrent(1), v4(2), 2), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].peer_id, peer_id(77));
}

TEST_P(StoreSuite, SamePortDifferentHostsAndSameHostDifferentPortsAreDistinct) {
  auto s = make();
  run(*s, announce(torrent(1), v4(1, 1), 1));
  run(*s, announce(torrent(1), v4(1, 2), 2));
  run(*s, announce(torrent(1), v4(2, 1), 3));
  EXPECT_EQ(ok(s->scrape(torrent(1))).leechers, 3u);
}

TEST_P(StoreSuite, SeederAndLeecherCountsFollowTransitions) {
  auto s = make();
  auto seed = announce(torrent(1), v4(1), 1);
  seed.seeder = true;
  EXPECT_EQ(run(*s, seed), (SwarmCounts{1, 0, 0}));
  EXPECT_EQ(run(*s, announce(torrent(1), v4(2), 2)), (SwarmCounts{1, 1, 0}));
  auto done = announce(torrent(1), v4(2), 2);
  done.seeder = true;
  EXPECT_EQ(run(*s, done), (SwarmCounts{2, 0, 0}));
  EXPECT_EQ(s->stats().seeders, 2u);
  EXPECT_EQ(run(*s, announce(torrent(1), v4(1), 1)), (SwarmCounts{1, 1, 0}));  // back to leeching
  EXPECT_EQ(s->stats().seeders, 1u);
}

TEST_P(StoreSuite, CompletedCountsOncePerPeer) {
  auto s = make();
  auto a = announce(torrent(1), v4(1), 1);
  run(*s, a);
  a.event = core::Event::completed;
  a.seeder = true;
  EXPECT_EQ(run(*s, a), (SwarmCounts{1, 0, 1}));
  EXPECT_EQ(run(*s, a), (SwarmCounts{1, 0, 1}));  // a repeated completed
  auto b = announce(torrent(1), v4(2), 2);
  b.event = core::Event::completed;  // completed on its first announce counts too
  b.seeder = true;
  EXPECT_EQ(run(*s, b), (SwarmCounts{2, 0, 2}));
  EXPECT_EQ(ok(s->scrape(torrent(1))).downloaded, 2u);
}

TEST_P(StoreSuite, StoppedRemovesPeerAndReturnsNoPeers) {
  auto s = make();
  for (std::uint32_t i = 0; i < 4; ++i) run(*s, announce(torrent(1), v4(i), i));
  auto stop = announce(torrent(1), v4(2), 2);
  stop.event = core::Event::stopped;
  std::vector<PeerInfo> out;
  EXPECT_EQ(run(*s, stop, out), (SwarmCounts{0, 3, 0}));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s->stats().peers_v4, 3u);
  run(*s, announce(torrent(1), v4(0), 0), out);
  EXPECT_EQ(endpoints(out), (std::set<core::Endpoint>{v4(1), v4(3)}));
}

TEST_P(StoreSuite, StoppedSeederLowersSeeders) {
  auto s = make();
  auto a = announce(torrent(1), v4(1), 1);
  a.seeder = true;
  run(*s, a);
  run(*s, announce(torrent(1), v4(2), 2));
  a.event = core::Event::stopped;
  EXPECT_EQ(run(*s, a), (SwarmCounts{0, 1, 0}));
  EXPECT_EQ(s->stats().seeders, 0u);
}

TEST_P(StoreSuite, StoppedForUnknownPeerIsANoOp) {
  auto s = make();
  run(*s, announce(torrent(1), v4(1), 1));
  auto stop = announce(torrent(1), v4(2), 2);
  stop.event = core::Event::stopped;
  EXPECT_EQ(run(*s, stop), (SwarmCounts{0, 1, 0}));
  EXPECT_EQ(s->stats().peers_v4, 1u);
}

TEST_P(StoreSuite, StoppedForUnknownTorrentCreatesNothing) {
  Limits limits;
  limits.max_torrents = 1;
  auto s = make(limits);
  run(*s, announce(torrent(1), v4(1), 1));
  auto stop = announce(torrent(2), v4(1), 1);
  stop.event = core::Event::stopped;
  std::vector<PeerInfo> out;
  auto r = s->announce(stop, out);  // no torrent_limit: nothing would be created
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, SwarmCounts{});
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s->stats().torrents, 1u);
  EXPECT_EQ(s->scrape(torrent(2)), SwarmCounts{});
}

TEST_P(StoreSuite, ExpiryIsExactAtTheTtl) {
  Limits limits;
  limits.peer_ttl = 50;
  auto s = make(limits);
  run(*s, announce(torrent(1), v4(1), 1, 100));
  EXPECT_EQ(s->expire(149), 0u);  // alive for peer_ttl seconds after its announce
  EXPECT_EQ(ok(s->scrape(torrent(1))).leechers, 1u);
  EXPECT_EQ(s->expire(150), 1u);  // last_seen + peer_ttl <= now: gone
  EXPECT_EQ(s->scrape(torrent(1)), SwarmCounts{});
  EXPECT_EQ(s->stats().torrents, 0u);
  EXPECT_EQ(s->stats().peers_v4, 0u);
}

TEST_P(StoreSuite, ExpiryKeepsRefreshedPeersAndCountsSeeders) {
  Limits limits;
  limits.peer_ttl = 100;
  auto s = make(limits);
  auto seed = announce(torrent(1), v4(1), 1, 1000);
  seed.seeder = true;
  run(*s, seed);
  auto seed6 = announce(torrent(1), v6(2), 2, 1000);
  seed6.seeder = true;
  run(*s, seed6);
  run(*s, announce(torrent(1), v4(3), 3, 1000));
  run(*s, announce(torrent(1), v4(3), 3, 1060));  // refreshed
  run(*s, announce(torrent(2), v4(1), 1, 1000));
  EXPECT_EQ(s->expire(1100), 3u);
  EXPECT_EQ(s->scrape(torrent(1)), (SwarmCounts{0, 1, 0}));
  EXPECT_EQ(s->scrape(torrent(2)), SwarmCounts{});
  const StoreStats st = s->stats();
  EXPECT_EQ(st.torrents, 1u);
  EXPECT_EQ(st.peers_v4, 1u);
  EXPECT_EQ(st.peers_v6, 0u);
  EXPECT_EQ(st.seeders, 0u);
  EXPECT_EQ(s->expire(1159), 0u);
  EXPECT_EQ(s->expire(1160), 1u);
}

TEST_P(StoreSuite, ExpiryDropsSwarmsEmptiedByStopped) {
  auto s = make();
  auto a = announce(torrent(1), v4(1), 1, 1000);
  run(*s, a);
  a.event = core::Event::stopped;
  run(*s, a);
  s->expire(1001);
  EXPECT_EQ(s->stats().torrents, 0u);
}

// Time keeps its meaning across long gaps between expire calls.
TEST_P(StoreSuite, ExpiryExactAfterLongGaps) {
  Limits limits;
  limits.peer_ttl = 3600;
  auto s = make(limits);
  run(*s, announce(torrent(1), v4(1), 1, 10));
  run(*s, announce(torrent(1), v4(2), 2, 200'000));  // days later, no expire between
  EXPECT_EQ(s->expire(200'000), 1u);
  EXPECT_EQ(s->expire(203'599), 0u);
  run(*s, announce(torrent(1), v4(3), 3, 500'000));
  EXPECT_EQ(s->expire(500'000), 1u);
  EXPECT_EQ(s->expire(503'599), 0u);
  EXPECT_EQ(s->expire(503'600), 1u);
  EXPECT_EQ(s->stats().torrents, 0u);
}

// Peers of different ages in one swarm over hours of announces (time only
// moves forward): each leaves exactly peer_ttl seconds after its own last
// announce.
TEST_P(StoreSuite, ExpiryExactForMixedAgesOverHours) {
  Limits limits;
  limits.peer_ttl = 3600;
  auto s = make(limits);
  run(*s, announce(torrent(1), v4(1), 1, 1000));
  run(*s, announce(torrent(1), v4(2), 2, 17'000));
  run(*s, announce(torrent(1), v6(3), 3, 18'000));
  EXPECT_EQ(s->expire(18'000), 1u);  // peer 1
  run(*s, announce(torrent(1), v4(5), 5, 20'000));
  EXPECT_EQ(s->expire(20'599), 0u);
  EXPECT_EQ(s->expire(20'600), 1u);  // peer 2
  EXPECT_EQ(s->expire(21'599), 0u);
  EXPECT_EQ(s->expire(21'600), 1u);  // peer 3
  run(*s, announce(torrent(1), v4(4), 4, 22'000));
  EXPECT_EQ(s->expire(23'599), 0u);
  EXPECT_EQ(s->expire(23'600), 1u);  // peer 5
  EXPECT_EQ(ok(s->scrape(torrent(1))).leechers, 1u);
  EXPECT_EQ(s->expire(25'599), 0u);
  EXPECT_EQ(s->expire(25'600), 1u);  // peer 4
}

TEST_P(StoreSuite, TorrentCapRefusesNewSwarmsOnly) {
  Limits limits;
  limits.max_torrents = 2;
  limits.peer_ttl = 100;
  auto s = make(limits);
  run(*s, announce(torrent(1), v4(1), 1, 1000));
  run(*s, announce(torrent(2), v4(1), 1, 1050));
  std::vector<PeerInfo> out;
  auto r = s->announce(announce(torrent(3), v4(1), 1, 1050), out);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), StoreError::torrent_limit);
  EXPECT_EQ(s->stats().torrents, 2u);
  EXPECT_EQ(s->scrape(torrent(3)), SwarmCounts{});
  EXPECT_EQ(run(*s, announce(torrent(1), v4(2), 2, 1050)), (SwarmCounts{0, 2, 0}));
  s->expire(1100);  // torrent 1 still has peer 2; nothing frees up
  EXPECT_FALSE(s->announce(announce(torrent(3), v4(1), 1, 1100), out).has_value());
  s->expire(1150);  // everything gone
  EXPECT_TRUE(s->announce(announce(torrent(3), v4(1), 1, 1150), out).has_value());
}

TEST_P(StoreSuite, PeerCapStoresNoMoreButStillAnswers) {
  Limits limits;
  limits.max_peers_per_torrent = 3;
  auto s = make(limits);
  for (std::uint32_t i = 0; i < 3; ++i) run(*s, announce(torrent(1), v4(i), i));
  std::vector<PeerInfo> out;
  EXPECT_EQ(run(*s, announce(torrent(1), v6(9), 9), out), (SwarmCounts{0, 3, 0}));
  EXPECT_EQ(out.size(), 3u);
  EXPECT_EQ(s->stats().peers_v6, 0u);
  EXPECT_EQ(run(*s, announce(torrent(1), v4(1), 1), out), (SwarmCounts{0, 3, 0}));  // known peer
  EXPECT_EQ(out.size(), 2u);
  auto stop = announce(torrent(1), v4(0), 0);
  stop.event = core::Event::stopped;
  run(*s, stop);
  EXPECT_EQ(run(*s, announce(torrent(1), v6(9), 9)), (SwarmCounts{0, 3, 0}));
  EXPECT_EQ(s->stats().peers_v6, 1u);
}

TEST_P(StoreSuite, NoGrowthStoresNothingNewButServesWhatIsStored) {
  auto s = make();
  run(*s, announce(torrent(1), v4(1), 1));
  run(*s, announce(torrent(1), v4(2), 2));
  auto held = announce(torrent(2), v4(1), 1);
  held.may_grow = false;
  std::vector<PeerInfo> out;
  auto r = s->announce(held, out);  // a new torrent
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), StoreError::torrent_limit);
  EXPECT_EQ(s->stats().torrents, 1u);
  held = announce(torrent(1), v6(3), 3);  // a new peer: answered, not stored
  held.may_grow = false;
  EXPECT_EQ(run(*s, held, out), (SwarmCounts{0, 2, 0}));
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(s->stats().peers_v6, 0u);
  held = announce(torrent(1), v4(1), 1);  // a stored peer still updates
  held.may_grow = false;
  held.seeder = true;
  EXPECT_EQ(run(*s, held, out), (SwarmCounts{1, 1, 0}));
  EXPECT_EQ(out.size(), 1u);
  held.event = core::Event::stopped;  // and may leave
  run(*s, held);
  EXPECT_EQ(s->scrape(torrent(1)), (SwarmCounts{0, 1, 0}));
}

TEST_P(StoreSuite, FamiliesAreKeptApart) {
  auto s = make();
  for (std::uint32_t i = 0; i < 3; ++i) run(*s, announce(torrent(1), v4(i), i));
  for (std::uint32_t i = 0; i < 2; ++i) run(*s, announce(torrent(1), v6(i), 10 + i));
  EXPECT_EQ(s->scrape(torrent(1)), (SwarmCounts{0, 5, 0}));
  EXPECT_EQ(s->stats().peers_v4, 3u);
  EXPECT_EQ(s->stats().peers_v6, 2u);
  std::vector<PeerInfo> out;
  auto a = announce(torrent(1), v4(0), 0);
  a.want_v6 = false;
  run(*s, a, out);
  EXPECT_EQ(endpoints(out), (std::set<core::Endpoint>{v4(1), v4(2)}));
  a.want_v4 = false;
  a.want_v6 = true;
  run(*s, a, out);
  EXPECT_EQ(endpoints(out), (std::set<core::Endpoint>{v6(0), v6(1)}));
  for (const auto& p : out) EXPECT_EQ(p.peer_id, peer_id(10 + p.endpoint.address.bytes[15]));
  a.want_v4 = a.want_v6 = false;
  run(*s, a, out);
  EXPECT_TRUE(out.empty());
}

// lookup: what announce would hand out, without joining or refreshing.
TEST_P(StoreSuite, LookupOfAnUnknownSwarmCreatesNothing) {
  auto s = make();
  Lookup l{torrent(1), 50, true, true, 7};
  std::vector<PeerInfo> out{PeerInfo{}};  // lookup must clear it
  EXPECT_EQ(s->lookup(l, out), SwarmCounts{});
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s->stats().torrents, 0u);
}

TEST_P(StoreSuite, LookupReturnsPeersAndChangesNothing) {
  auto s = make();
  for (std::uint32_t i = 0; i < 3; ++i) run(*s, announce(torrent(1), v4(i), i, 1000));
  auto seeder = announce(torrent(1), v4(9), 9, 1000);
  seeder.seeder = true;
  run(*s, seeder);
  std::vector<PeerInfo> out;
  EXPECT_EQ(s->lookup(Lookup{torrent(1), 50, true, true, 1}, out), (SwarmCounts{1, 3, 0}));
  EXPECT_EQ(
      by_endpoint(out),
      (std::map<core::Endpoint, core::PeerId>{
          {v4(0), peer_id(0)}, {v4(1), peer_id(1)}, {v4(2), peer_id(2)}, {v4(9), peer_id(9)}}));
  EXPECT_EQ(s->scrape(torrent(1)), (SwarmCounts{1, 3, 0}));
  EXPECT_EQ(s->stats().peers_v4, 4u);
  // No refresh: every peer still expires at its own announce's TTL.
  const Limits limits;
  EXPECT_EQ(s->expire(1000 + limits.peer_ttl), 4u);
  EXPECT_EQ(s->lookup(Lookup{torrent(1), 50, true, true, 1}, out), SwarmCounts{});
  EXPECT_TRUE(out.empty());
}

TEST_P(StoreSuite, LookupHonoursNumwantAndFamilies) {
  auto s = make();
  for (std::uint32_t i = 0; i < 6; ++i) run(*s, announce(torrent(1), v4(i), i));
  for (std::uint32_t i = 0; i < 4; ++i) run(*s, announce(torrent(1), v6(i), 10 + i));
  std::vector<PeerInfo> out;
  for (std::uint64_t r = 0; r < 20; ++r) {
    s->lookup(Lookup{torrent(1), 3, true, false, mix(r)}, out);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(endpoints(out).size(), 3u);
    for (const auto& p : out) EXPECT_EQ(p.endpoint.family(), core::Family::v4);
  }
  s->lookup(Lookup{torrent(1), 50, false, true, 1}, out);
  EXPECT_EQ(endpoints(out), (std::set<core::Endpoint>{v6(0), v6(1), v6(2), v6(3)}));
  s->lookup(Lookup{torrent(1), 8, true, true, 1}, out);  // IPv4 first
  ASSERT_EQ(out.size(), 8u);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(out[i].endpoint.family(), core::Family::v4);
  s->lookup(Lookup{torrent(1), 0, true, true, 1}, out);
  EXPECT_TRUE(out.empty());
}

TEST_P(StoreSuite, BothFamiliesFillFromOwnFamilyFirst) {
  auto s = make();
  for (std::uint32_t i = 0; i < 4; ++i) run(*s, announce(torrent(1), v4(i), i));
  for (std::uint32_t i = 0; i < 4; ++i) run(*s, announce(torrent(1), v6(i), 10 + i));
  std::vector<PeerInfo> out;
  for (std::uint64_t r = 0; r < 20; ++r) {
    auto a = announce(torrent(1), v6(0), 10, 1000, 5);
    a.random = mix(r);
    run(*s, a, out);
    ASSERT_EQ(out.size(), 5u);
    std::size_t own = 0;
    for (const auto& p : out) own += p.endpoint.family() == core::Family::v6;
    EXPECT_EQ(own, 3u);  // all three other v6 peers, then two v4
    EXPECT_EQ(endpoints(out).size(), 5u);
    EXPECT_FALSE(endpoints(out).count(v6(0)));
  }
  auto a = announce(torrent(1), v4(0), 0, 1000, 2);
  run(*s, a, out);
  ASSERT_EQ(out.size(), 2u);
  for (const auto& p : out) EXPECT_EQ(p.endpoint.family(), core::Family::v4);
}

TEST_P(StoreSuite, MappedAddressesAreIpv4Peers) {
  auto s = make();
  const std::uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 7};
  const core::Endpoint ep{core::Address::v6(mapped), 6881};
  ASSERT_EQ(ep.family(), core::Family::v4);
  run(*s, announce(torrent(1), ep, 1));
  EXPECT_EQ(s->stats().peers_v4, 1u);
  EXPECT_EQ(s->stats().peers_v6, 0u);
  run(*s, announce(torrent(1), v4(7), 2));  // 10.0.0.7:6881: the same peer
  EXPECT_EQ(ok(s->scrape(torrent(1))).leechers, 1u);
}

// Peers leave the store as the compact entries a reply copies (address,
// then port, big-endian), with ids only when the announce asks for them.
TEST_P(StoreSuite, PeersComeInWireFormWithIdsOnlyWhenAsked) {
  auto s = make();
  for (std::uint32_t i = 0; i < 3; ++i)
    run(*s, announce(torrent(1), v4(i, static_cast<std::uint16_t>(6881 + i)), i));
  for (std::uint32_t i = 0; i < 2; ++i) run(*s, announce(torrent(1), v6(i, 443), 10 + i));
  auto a = announce(torrent(1), v4(9), 9);
  for (bool ids : {false, true}) {
    SCOPED_TRACE(ids);
    a.want_peer_ids = ids;
    core::PeerList out;
    ASSERT_TRUE(s->announce(a, out).has_value());
    const core::CompactPeers peers = out.view();
    ASSERT_EQ(peers.count(core::Family::v4), 3u);
    ASSERT_EQ(peers.count(core::Family::v6), 2u);
    EXPECT_EQ(peers.has_ids(core::Family::v4), ids);
    EXPECT_EQ(peers.has_ids(core::Family::v6), ids);
    std::map<core::Endpoint, core::PeerId> expected;
    for (std::uint32_t i = 0; i < 3; ++i)
      expected[v4(i, static_cast<std::uint16_t>(6881 + i))] = peer_id(i);
    for (std::uint32_t i = 0; i < 2; ++i) expected[v6(i, 443)] = peer_id(10 + i);
    for (core::Family f : {core::Family::v4, core::Family::v6}) {
      for (std::size_t i = 0; i < peers.count(f); ++i) {
        const core::Endpoint ep = peers.endpoint(f, i);
        ASSERT_TRUE(expected.count(ep)) << ep.to_string();
        std::uint8_t wire[18];
        ep.write_compact(wire);
        const auto entry =
            peers.compact(f).subspan(i * core::compact_size(f), core::compact_size(f));
        EXPECT_TRUE(std::equal(entry.begin(), entry.end(), wire));
        EXPECT_EQ(peers.peer_id(f, i), ids ? expected[ep] : core::PeerId{});
      }
    }
  }
}

TEST_P(StoreSuite, StatsSumAcrossTorrents) {
  auto s = make();
  for (std::uint32_t t = 0; t < 50; ++t) {
    for (std::uint32_t i = 0; i <= t % 5; ++i) {
      auto a = announce(torrent(t), i % 2 ? v6(i) : v4(i), i);
      a.seeder = i == 0;
      run(*s, a);
    }
  }
  const StoreStats st = s->stats();
  EXPECT_EQ(st.torrents, 50u);
  EXPECT_EQ(st.peers_v4 + st.peers_v6, 150u);
  EXPECT_EQ(st.peers_v6, 60u);  // i = 1, 3 in torrents with 2..5 peers
  EXPECT_EQ(st.seeders, 50u);
}

// A big swarm filled and emptied in random order keeps exact counts.
TEST_P(StoreSuite, LargeSwarmJoinsAndLeaves) {
  auto s = make();
  std::vector<std::uint32_t> ids(3000);
  for (std::uint32_t i = 0; i < ids.size(); ++i) ids[i] = i;
  std::mt19937 rng(3);
  std::shuffle(ids.begin(), ids.end(), rng);
  for (auto i : ids) run(*s, announce(torrent(1), i % 3 ? v4(i) : v6(i), i, 1000, 0));
  EXPECT_EQ(ok(s->scrape(torrent(1))).leechers, 3000u);
  std::vector<PeerInfo> out;
  run(*s, announce(torrent(1), v4(1), 1, 1000, 200), out);
  EXPECT_EQ(endpoints(out).size(), 200u);
  std::shuffle(ids.begin(), ids.end(), rng);
  for (std::size_t k = 0; k < 2500; ++k) {
    auto a = announce(torrent(1), ids[k] % 3 ? v4(ids[k]) : v6(ids[k]), ids[k]);
    a.event = core::Event::stopped;
    run(*s, a);
  }
  EXPECT_EQ(ok(s->scrape(torrent(1))).leechers, 500u);
  auto a = announce(torrent(1), v4(999'999), 1, 1000, 1000);
  run(*s, a, out);
  EXPECT_EQ(out.size(), 500u);
  const auto returned = endpoints(out);
  for (std::size_t k = 2500; k < 3000; ++k) {
    EXPECT_TRUE(returned.count(ids[k] % 3 ? v4(ids[k]) : v6(ids[k])));
  }
}

// --- batches ---

// A UDP receive batch's worth of announces, mixed: joins and re-announces
// in both families, completions, stops, seeders, numwant from none to all,
// one family or both, with peer ids or without, new torrents beyond the cap
// and under the memory cap.
inline std::vector<Announce> mixed_batch() {
  std::mt19937_64 rng(9);
  std::vector<Announce> batch;
  for (std::uint32_t i = 0; i < 64; ++i) {
    const auto who = static_cast<std::uint32_t>(rng() % 12);
    Announce a;
    a.info_hash = torrent(rng() % 6);
    a.peer_id = peer_id(who);
    a.endpoint = who % 4 == 3 ? v6(who) : v4(who);
    a.now = 1000 + i;
    a.random = rng();
    a.numwant = i % 8 == 7 ? static_cast<std::uint32_t>(rng() % 3) : 50;
    a.want_v4 = rng() % 4 != 0;
    a.want_v6 = rng() % 4 != 1;
    a.may_grow = i % 16 != 5;
    a.want_peer_ids = i % 3 != 1;
    switch (rng() % 8) {
      case 0:
        a.event = core::Event::completed;
        break;
      case 1:
        a.event = core::Event::stopped;
        break;
      case 2:
        a.event = core::Event::started;
        break;
      default:
        break;
    }
    a.seeder = a.event == core::Event::completed || rng() % 3 == 0;
    batch.push_back(a);
  }
  return batch;
}

TEST_P(StoreSuite, AnnounceBatchIsTheSameAnnouncesOneByOne) {
  Limits limits;
  limits.max_torrents = 4;
  auto alone = make(limits), batched = make(limits);
  const std::vector<Announce> batch = mixed_batch();
  core::PeerList out;
  out.push_back(PeerInfo{}, true);  // announce_batch must clear it
  std::vector<AnnounceResult> results(batch.size());
  batched->announce_batch(batch, out, results);
  core::PeerList::Mark next;
  std::uint32_t refused = 0, answered = 0;
  std::vector<PeerInfo> expected_peers;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    SCOPED_TRACE(i);
    const auto expected = alone->announce(batch[i], expected_peers);
    const AnnounceResult& r = results[i];
    ASSERT_EQ(r.counts.has_value(), expected.has_value());
    if (expected.has_value()) {
      EXPECT_EQ(*r.counts, *expected);
    } else {
      EXPECT_EQ(r.counts.error(), expected.error());
      ++refused;
    }
    EXPECT_EQ(r.begin, next);  // each announce's peers follow the previous one's
    next = r.end;
    const std::vector<PeerInfo> got = r.peers(out).decode();
    ASSERT_EQ(got.size(), expected_peers.size());
    answered += got.empty() ? 0 : 1;
    // Which peers is the store's choice when numwant is below the swarm.
    if (batch[i].numwant == 50) {
      EXPECT_EQ(by_endpoint(got), by_endpoint(expected_peers));
    }
    EXPECT_FALSE(endpoints(got).count(batch[i].endpoint));
  }
  EXPECT_EQ(next, out.mark());
  EXPECT_GT(refused, 0u);  // the batch reaches the caps
  EXPECT_GT(answered, 10u);
  for (std::uint64_t t = 0; t < 6; ++t)
    EXPECT_EQ(batched->scrape(torrent(t)), alone->scrape(torrent(t)));
  const StoreStats a = alone->stats(), b = batched->stats();
  EXPECT_EQ(b.torrents, a.torrents);
  EXPECT_EQ(b.peers_v4, a.peers_v4);
  EXPECT_EQ(b.peers_v6, a.peers_v6);
  EXPECT_EQ(b.seeders, a.seeders);
}

TEST_P(StoreSuite, AnEmptyBatchDoesNothing) {
  auto s = make();
  core::PeerList out;
  out.push_back(PeerInfo{}, true);
  s->announce_batch({}, out, {});
  EXPECT_TRUE(out.view().empty());
  s->scrape_batch({}, {});
  EXPECT_EQ(s->stats().torrents, 0u);
}

// A prefetch is a hint: known or unknown swarms, it changes nothing a
// later announce, scrape or stats() sees.
TEST_P(StoreSuite, PrefetchChangesNothing) {
  auto hinted = make(), plain = make();
  for (std::uint32_t i = 0; i < 30; ++i) {
    run(*hinted, announce(torrent(1), v4(i), i));
    run(*plain, announce(torrent(1), v4(i), i));
  }
  const std::vector<core::InfoHash> hashes = {torrent(1), torrent(2), torrent(1)};
  hinted->prefetch(hashes);
  hinted->prefetch({});
  EXPECT_EQ(hinted->stats().torrents, 1u);  // no swarm made for torrent(2)
  EXPECT_EQ(hinted->scrape(torrent(2)), SwarmCounts{});
  std::vector<PeerInfo> a_peers, b_peers;
  const auto a = announce(torrent(1), v4(99), 99);
  EXPECT_EQ(run(*hinted, a, a_peers), run(*plain, a, b_peers));
  EXPECT_EQ(endpoints(a_peers), endpoints(b_peers));
  EXPECT_EQ(hinted->scrape(torrent(1)), plain->scrape(torrent(1)));
}

TEST_P(StoreSuite, ScrapeBatchIsTheSameScrapesOneByOne) {
  auto s = make();
  for (std::uint32_t t = 0; t < 5; ++t) {
    for (std::uint32_t i = 0; i <= t; ++i) {
      auto a = announce(torrent(t), v4(i), i);
      a.seeder = i % 2 == 0;
      a.event = i == 1 ? core::Event::completed : core::Event::none;
      run(*s, a);
    }
  }
  const std::vector<core::InfoHash> hashes = {torrent(3), torrent(9), torrent(0), torrent(3),
                                              torrent(4)};
  std::vector<Counted> counts(hashes.size(), SwarmCounts{9, 9, 9});
  s->scrape_batch(hashes, counts);
  for (std::size_t i = 0; i < hashes.size(); ++i) EXPECT_EQ(counts[i], s->scrape(hashes[i])) << i;
  EXPECT_EQ(counts[1], SwarmCounts{});  // unknown
  EXPECT_EQ(counts[4], (SwarmCounts{3, 2, 1}));
}

TEST_P(StoreSuite, ListSwarmsGivesEverySwarmWithPeersOnceWithItsCounts) {
  auto s = make();
  std::map<core::InfoHash, SwarmCounts> expected;
  for (std::uint32_t t = 0; t < 300; ++t) {
    for (std::uint32_t i = 0; i <= t % 4; ++i) {
      auto a = announce(torrent(t), i % 2 ? v6(i) : v4(i), i);
      a.seeder = i == 0;
      a.event = i == 1 ? core::Event::completed : core::Event::none;
      run(*s, a);
    }
    expected[torrent(t)] = ok(s->scrape(torrent(t)));
  }
  // A swarm its only peer left: no peer, so not listed (even before a sweep).
  auto gone = announce(torrent(1000), v4(1), 1);
  run(*s, gone);
  gone.event = core::Event::stopped;
  run(*s, gone);
  std::map<core::InfoHash, SwarmCounts> listed;
  std::size_t entries = 0;
  s->list_swarms([&](std::span<const SwarmEntry> page) {
    EXPECT_FALSE(page.empty());
    for (const auto& e : page) listed[e.info_hash] = e.counts, ++entries;
  });
  EXPECT_EQ(entries, expected.size());  // each once
  EXPECT_EQ(listed, expected);
  EXPECT_EQ(listed.at(torrent(3)), (SwarmCounts{1, 3, 1}));
}

TEST_P(StoreSuite, ListSwarmsOfAnEmptyStoreVisitsNothing) {
  auto s = make();
  bool visited = false;
  s->list_swarms([&](std::span<const SwarmEntry>) { visited = true; });
  EXPECT_FALSE(visited);
}

}  // namespace cairn::store::testing
