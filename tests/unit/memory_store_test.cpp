#include "store/memory/memory_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "store_suite.hpp"

namespace cairn::store::testing {
namespace {

StoreFactory memory_store(std::size_t shards) {
  return [shards](const Limits& limits) { return std::make_unique<MemoryStore>(limits, shards); };
}

// One shard puts every swarm behind one lock and in one map; two and the
// default spread them.
INSTANTIATE_TEST_SUITE_P(Memory, StoreSuite,
                         ::testing::Values(StoreBackend{"default_shards", memory_store(0)},
                                           StoreBackend{"one_shard", memory_store(1)},
                                           StoreBackend{"two_shards", memory_store(2)}),
                         store_backend_name);

Announce make_announce(const core::InfoHash& ih, const core::Endpoint& ep, std::uint64_t n,
                       core::Seconds now) {
  Announce a;
  a.info_hash = ih;
  a.peer_id = peer_id(n);
  a.endpoint = ep;
  a.numwant = 30;
  a.now = now;
  a.random = mix(n + now);
  return a;
}

TEST(MemoryStore, ShardCountIsAPowerOfTwo) {
  EXPECT_EQ(MemoryStore(Limits{}).shard_count(), MemoryStore::default_shard_count);
  EXPECT_EQ(MemoryStore(Limits{}, 1).shard_count(), 1u);
  EXPECT_EQ(MemoryStore(Limits{}, 3).shard_count(), 4u);
  EXPECT_EQ(MemoryStore(Limits{}, 64).shard_count(), 64u);
}

TEST(MemoryStore, ForEachSwarmSeesEveryPeerWithItsState) {
  MemoryStore store(Limits{}, 4);
  std::vector<PeerInfo> out;
  for (std::uint32_t t = 0; t < 20; ++t) {
    for (std::uint32_t i = 0; i <= t % 3; ++i) {
      auto a = make_announce(torrent(t), i == 1 ? v6(i) : v4(i), i, 100 + t);
      a.seeder = i == 0;
      a.event = i == 0 ? core::Event::completed : core::Event::started;
      ASSERT_TRUE(store.announce(a, out).has_value());
    }
  }
  std::map<core::InfoHash, std::size_t> seen;
  store.for_each_swarm(
      [&](const core::InfoHash& ih, const SwarmCounts& counts, std::span<const StoredPeer> peers) {
        seen[ih] = peers.size();
        EXPECT_EQ(counts, store.scrape(ih));
        EXPECT_EQ(counts.seeders + counts.leechers, peers.size());
        for (const StoredPeer& p : peers) {
          const std::uint32_t i = p.peer.endpoint.family() == core::Family::v4
                                      ? p.peer.endpoint.address.bytes[3]
                                      : p.peer.endpoint.address.bytes[15];
          EXPECT_EQ(p.peer.peer_id, peer_id(i));
          EXPECT_EQ(p.seeder, i == 0);
          EXPECT_EQ(p.completed, i == 0);
        }
      });
  ASSERT_EQ(seen.size(), 20u);
  for (std::uint32_t t = 0; t < 20; ++t) EXPECT_EQ(seen[torrent(t)], t % 3 + 1u);
}

TEST(MemoryStore, ForEachSwarmReportsLastSeen) {
  MemoryStore store(Limits{}, 1);
  std::vector<PeerInfo> out;
  ASSERT_TRUE(store.announce(make_announce(torrent(1), v4(1), 1, 500), out).has_value());
  ASSERT_TRUE(store.announce(make_announce(torrent(1), v4(2), 2, 90'000), out).has_value());
  std::map<core::Endpoint, core::Seconds> last_seen;
  store.for_each_swarm(
      [&](const core::InfoHash&, const SwarmCounts&, std::span<const StoredPeer> peers) {
        for (const auto& p : peers) last_seen[p.peer.endpoint] = p.last_seen;
      });
  EXPECT_EQ(last_seen[v4(2)], 90'000u);
  // Rebased past a stamp's range: an old peer reads as at least rebase_keep old.
  EXPECT_LE(last_seen[v4(1)], 90'000u - Swarm::rebase_keep);
}

// Workers announce, complete and stop their own peers while a cleaner
// expires with a short TTL; then every worker re-announces all its peers, so
// the final state is known exactly whatever the interleaving was.
TEST(MemoryStore, ConcurrentAnnounceAndExpireKeepExactCounts) {
  constexpr int threads = 4, ops = 50'000;
  constexpr std::uint32_t peers_per_thread = 500, torrents = 200;
  Limits limits;
  limits.peer_ttl = 5;
  MemoryStore store(limits, 16);
  std::atomic<core::Seconds> clock{1000};
  std::atomic<int> running{threads};
  auto endpoint = [](std::uint32_t id) { return id % 4 == 0 ? v6(id) : v4(id); };
  auto worker = [&](int t) {
    std::mt19937_64 rng(t);
    std::vector<PeerInfo> out;
    for (int op = 0; op < ops; ++op) {
      if (op % 1000 == 0) clock.fetch_add(1);
      const std::uint32_t id = t * 1000 + static_cast<std::uint32_t>(rng() % peers_per_thread);
      auto a = make_announce(torrent(id % torrents), endpoint(id), id, clock.load());
      a.seeder = rng() % 2;
      a.event = static_cast<core::Event>(rng() % 4);
      a.random = rng();
      (void)store.announce(a, out);
    }
    const core::Seconds final_now = 1'000'000;
    for (std::uint32_t i = 0; i < peers_per_thread; ++i) {
      const std::uint32_t id = t * 1000 + i;
      auto a = make_announce(torrent(id % torrents), endpoint(id), id, final_now);
      a.seeder = id % 3 == 0;
      EXPECT_TRUE(store.announce(a, out).has_value());
    }
    running.fetch_sub(1);
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  std::thread cleaner([&] {
    while (running.load() > 0) store.expire(clock.load());
  });
  for (auto& th : pool) th.join();
  cleaner.join();

  EXPECT_EQ(store.expire(1'000'000), 0u);
  std::uint64_t v4_expected = 0, v6_expected = 0, seeders_expected = 0;
  for (int t = 0; t < threads; ++t) {
    for (std::uint32_t i = 0; i < peers_per_thread; ++i) {
      const std::uint32_t id = t * 1000 + i;
      (id % 4 == 0 ? v6_expected : v4_expected) += 1;
      seeders_expected += id % 3 == 0;
    }
  }
  const StoreStats st = store.stats();
  EXPECT_EQ(st.torrents, torrents);
  EXPECT_EQ(st.peers_v4, v4_expected);
  EXPECT_EQ(st.peers_v6, v6_expected);
  EXPECT_EQ(st.seeders, seeders_expected);
  std::uint64_t swarms = 0, peers = 0, seeders = 0;
  store.for_each_swarm(
      [&](const core::InfoHash&, const SwarmCounts& c, std::span<const StoredPeer> ps) {
        ++swarms;
        peers += ps.size();
        seeders += c.seeders;
      });
  EXPECT_EQ(swarms, torrents);
  EXPECT_EQ(peers, v4_expected + v6_expected);
  EXPECT_EQ(seeders, seeders_expected);
  EXPECT_EQ(store.expire(1'000'005), v4_expected + v6_expected);
  EXPECT_EQ(store.stats().torrents, 0u);
  EXPECT_EQ(store.stats().peers_v4 + store.stats().peers_v6 + store.stats().seeders, 0u);
}

TEST(MemoryStore, TtlAboveRebaseWindowIsCapped) {
  Limits limits;
  limits.peer_ttl = 100'000;
  MemoryStore store(limits, 1);
  std::vector<PeerInfo> out;
  ASSERT_TRUE(store.announce(make_announce(torrent(1), v4(1), 1, 10), out).has_value());
  EXPECT_EQ(store.expire(10 + Swarm::rebase_keep - 1), 0u);
  EXPECT_EQ(store.expire(10 + Swarm::rebase_keep), 1u);
}

}  // namespace
}  // namespace cairn::store::testing
