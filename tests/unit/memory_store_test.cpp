#include "store/memory/memory_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "core/random.hpp"
#include "store/memory/big_block.hpp"
#include "store/memory/block_pool.hpp"
#include "store/memory/swarm.hpp"

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

TEST(MemoryStore, OffersSnapshots) {
  MemoryStore store(Limits{});
  EXPECT_EQ(store.snapshots(), static_cast<SwarmSnapshots*>(&store));
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

// One swarm's announce moves the shard's time base for every swarm in it;
// the others' peers keep their exact expiry.
TEST(MemoryStore, ShardRebaseKeepsOtherSwarmsExact) {
  Limits limits;
  limits.peer_ttl = 14'000;
  MemoryStore store(limits, 1);
  std::vector<PeerInfo> out;
  ASSERT_TRUE(store.announce(make_announce(torrent(1), v4(1), 1, 5'000), out).has_value());
  ASSERT_TRUE(store.announce(make_announce(torrent(2), v6(1), 1, 5'000), out).has_value());
  // Past a stamp's range from the first base: the shard rebases here.
  ASSERT_TRUE(store.announce(make_announce(torrent(1), v4(2), 2, 18'999), out).has_value());
  EXPECT_EQ(store.expire(18'999), 0u);
  EXPECT_EQ(store.expire(19'000), 2u);  // both peers of t = 5000, to the second
  EXPECT_EQ(store.scrape(torrent(2)), SwarmCounts{});
  EXPECT_EQ(ok(store.scrape(torrent(1))).leechers, 1u);
  // A sweep long after moves the base ahead of need; the survivor still
  // expires at 18999 + ttl.
  EXPECT_EQ(store.expire(32'998), 0u);
  EXPECT_EQ(store.expire(32'999), 1u);
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
  pool.reserve(threads);
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

// --- BlockPool ---

TEST(BlockPool, ReusesFreedBlocksOfTheSameClass) {
  BlockPool pool(32, 28, 25);
  void* a = pool.allocate(3);
  void* b = pool.allocate(3);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  pool.release(a, 3);
  EXPECT_EQ(pool.free_bytes(), pool.block_size(3));
  EXPECT_NE(pool.allocate(4), a);  // another class does not take it
  EXPECT_EQ(pool.allocate(3), a);
  EXPECT_EQ(pool.free_bytes(), 0u);
  EXPECT_EQ(pool.live_bytes(), 2 * pool.block_size(3) + pool.block_size(4));
}

// Fills a block with bytes derived from its tag, and checks them.
void fill(void* block, std::size_t size, std::uint32_t tag) {
  auto* p = static_cast<std::uint8_t*>(block);
  for (std::size_t i = 0; i < size; ++i) p[i] = static_cast<std::uint8_t>(mix(tag * 1000 + i));
}
bool holds(const void* block, std::size_t size, std::uint32_t tag) {
  const auto* p = static_cast<const std::uint8_t*>(block);
  for (std::size_t i = 0; i < size; ++i)
    if (p[i] != static_cast<std::uint8_t>(mix(tag * 1000 + i))) return false;
  return true;
}

// Blocks grow and shrink one class at a time in random order, across many
// chunks, with compaction whenever the pool asks for it: every block keeps
// its bytes, and the pool's byte counts match the live blocks.
TEST(BlockPool, RandomGrowthAndShrinkKeepContentsThroughCompaction) {
  BlockPool pool(32, 28, 25);
  struct Block {
    void* p;
    unsigned c;
    std::uint32_t tag;
  };
  std::vector<Block> blocks;
  std::mt19937 rng(11);
  std::uint32_t next_tag = 0;
  int compactions = 0;
  for (int step = 0; step < 20'000; ++step) {
    const auto r = static_cast<unsigned>(rng() % 10);
    if (blocks.empty() || r == 0) {
      Block b{pool.allocate(0), 0, next_tag++};
      ASSERT_NE(b.p, nullptr);
      fill(b.p, pool.block_size(0), b.tag);
      blocks.push_back(b);
    } else {
      Block& b = blocks[rng() % blocks.size()];
      const unsigned c = r < 6 ? std::min(b.c + 1, 24u) : (b.c == 0 ? 0 : b.c - 1);
      if (r == 9 && b.c == 0) {  // drop it
        ASSERT_TRUE(holds(b.p, pool.block_size(0), b.tag));
        pool.release(b.p, 0);
        b = blocks.back();
        blocks.pop_back();
      } else {
        void* fresh = pool.allocate(c);
        ASSERT_NE(fresh, nullptr);
        ASSERT_TRUE(holds(b.p, pool.block_size(b.c), b.tag));
        pool.release(b.p, b.c);
        b = {fresh, c, next_tag++};
        fill(b.p, pool.block_size(c), b.tag);
      }
    }
    if (pool.wants_compaction()) {
      ++compactions;
      pool.compact([&](auto&& move) {
        for (Block& b : blocks) b.p = move(b.p, b.c);
      });
      ASSERT_EQ(pool.free_bytes() < pool.block_size(24) * 64, true);
    }
    std::size_t live = 0;
    for (const Block& b : blocks) live += pool.block_size(b.c);
    ASSERT_EQ(pool.live_bytes(), live);
  }
  EXPECT_GT(compactions, 0);
  for (const Block& b : blocks) EXPECT_TRUE(holds(b.p, pool.block_size(b.c), b.tag));
}

// A compaction leaves the ends of its chunks free (no block fitted there);
// another compaction would leave them again, so they never ask for one:
// only what is freed after it counts. (Counting them had shards that
// compact every few announces, a quarter of a UDP announce's instructions
// in callgrind; docs/benchmarks.md.)
TEST(BlockPool, TheEndsOfCompactedChunksDoNotAskForACompaction) {
  BlockPool pool(28, 28, 25);  // Swarm::make_pool's classes: 2 of the largest fill a chunk
  std::vector<void*> blocks;
  for (int i = 0; i < 8; ++i) blocks.push_back(pool.allocate(24));
  pool.compact([&](auto&& move) {
    for (void*& b : blocks) b = move(b, 24);
  });
  ASSERT_GT(pool.free_bytes(), 512u);  // the chunks' ends, above the slack floor
  EXPECT_FALSE(pool.wants_compaction());
  pool.release(blocks.back(), 24);
  EXPECT_TRUE(pool.wants_compaction());  // 700 freed bytes past the floor
}

TEST(BlockPool, CompactingAnEmptyPoolFreesEverything) {
  BlockPool pool(32, 28, 25);
  for (int i = 0; i < 100; ++i) pool.release(pool.allocate(24), 24);
  EXPECT_EQ(pool.live_bytes(), 0u);
  pool.compact([](auto&&) {});
  EXPECT_EQ(pool.free_bytes(), 0u);
  void* p = pool.allocate(5);
  ASSERT_NE(p, nullptr);
  pool.release(p, 5);
}

// --- big_block ---

TEST(BigBlock, ResizeKeepsContentsAcrossTheMapThreshold) {
  const std::size_t sizes[] = {1000,
                               big_block::map_threshold - 1,
                               big_block::map_threshold,
                               3 * big_block::map_threshold + 5,
                               2000,
                               700};
  std::size_t size = 700;
  void* p = big_block::allocate(size);
  ASSERT_NE(p, nullptr);
  fill(p, size, 1);
  for (std::size_t to : sizes) {
    void* q = big_block::resize(p, size, to);
    ASSERT_NE(q, nullptr);
    EXPECT_TRUE(holds(q, std::min(size, to), 1)) << size << " -> " << to;
    p = q;
    size = to;
    fill(p, size, 1);
  }
  big_block::release(p, size);
}

// --- swarms against a model ---

// Many swarms of both families grow past the small limit and shrink again
// by random joins, re-announces, stops and expiry; after every round each
// swarm's peers, ids, flags and counts equal a plain map's.
// Random announces and expiry against a model, `ops` a round; torrents 8
// to 11 hold up to `big` endpoints.
void churn_against_model(std::uint32_t big, int ops) {
  Limits limits;
  limits.peer_ttl = 30;
  MemoryStore store(limits, 2);
  struct Peer {
    std::uint64_t id;
    core::Seconds last_seen;
    bool seeder;
    bool completed;
  };
  using ModelSwarm = std::map<core::Endpoint, Peer>;
  std::map<core::InfoHash, ModelSwarm> model;
  std::map<core::InfoHash, std::uint32_t> downloaded;
  std::mt19937_64 rng(5);
  std::vector<PeerInfo> out;
  core::Seconds now = 1000;
  for (int round = 0; round < 40; ++round) {
    for (int op = 0; op < ops; ++op) {
      const std::uint32_t t = static_cast<std::uint32_t>(rng() % 12);
      const std::uint32_t limit = t < 4 ? 6 : (t < 8 ? 30 : big);  // small, at the limit, large
      const std::uint32_t p = static_cast<std::uint32_t>(rng() % limit);
      const core::Endpoint ep = p % 3 == 0 ? v6(p) : v4(p);
      const std::uint64_t n = rng() % 1000;
      auto a = make_announce(torrent(t), ep, n, now);
      a.seeder = rng() % 2;
      const unsigned e = static_cast<unsigned>(rng() % 10);
      a.event = e < 3 ? core::Event::stopped : (e < 4 ? core::Event::completed : core::Event::none);
      ASSERT_TRUE(store.announce(a, out).has_value());
      ModelSwarm& sw = model[a.info_hash];
      if (a.event == core::Event::stopped) {
        sw.erase(ep);
        continue;
      }
      auto it = sw.try_emplace(ep, Peer{0, 0, false, false}).first;
      it->second.id = n;
      it->second.last_seen = now;
      it->second.seeder = a.seeder;
      if (a.event == core::Event::completed && !it->second.completed) {
        it->second.completed = true;
        ++downloaded[a.info_hash];
      }
    }
    now += 7;
    if (round % 3 == 2) {
      store.expire(now);
      for (auto& [ih, sw] : model)
        std::erase_if(sw, [&](const auto& kv) { return kv.second.last_seen + 30 <= now; });
    }
    std::size_t swarms = 0;
    store.for_each_swarm([&](const core::InfoHash& ih, const SwarmCounts& counts,
                             std::span<const StoredPeer> peers) {
      ++swarms;
      const ModelSwarm& sw = model[ih];
      ASSERT_EQ(peers.size(), sw.size());
      std::uint32_t seeders = 0;
      for (const StoredPeer& sp : peers) {
        auto it = sw.find(sp.peer.endpoint);
        ASSERT_NE(it, sw.end());
        EXPECT_EQ(sp.peer.peer_id, peer_id(it->second.id));
        EXPECT_EQ(sp.last_seen, it->second.last_seen);
        EXPECT_EQ(sp.seeder, it->second.seeder);
        EXPECT_EQ(sp.completed, it->second.completed);
        seeders += sp.seeder;
      }
      EXPECT_EQ(counts.seeders, seeders);
      EXPECT_EQ(counts.leechers, peers.size() - seeders);
      EXPECT_EQ(counts.downloaded, downloaded[ih]);
    });
    std::size_t nonempty = 0;
    for (const auto& [ih, sw] : model) nonempty += !sw.empty();
    EXPECT_GE(swarms, nonempty);  // stopped-empty swarms stay until expire
  }
}

TEST(MemoryStore, RandomChurnMatchesAModel) { churn_against_model(80, 1500); }

// Families past Swarm::gone_from (about 1,500 live IPv4 peers in each big
// torrent), where leaves leave gone records.
TEST(MemoryStore, RandomChurnInHugeSwarmsMatchesAModel) { churn_against_model(4000, 12000); }

}  // namespace
}  // namespace cairn::store::testing

namespace cairn::store::testing {
namespace {

core::PeerId by_endpoint_id(std::span<const PeerInfo> peers, const core::Endpoint& ep) {
  for (const PeerInfo& p : peers)
    if (p.endpoint == ep) return p.peer_id;
  return {};
}

// Big IPv4 swarms are searched by interpolation first: endpoints bunched in
// a few narrow ranges (the worst case for it) must still be found exactly,
// so re-announcing every peer adds none.
TEST(MemoryStore, ReannouncesInSkewedBigSwarmFindEveryPeer) {
  MemoryStore store(Limits{});
  std::vector<PeerInfo> out;
  std::vector<core::Endpoint> endpoints;
  core::Rng rng(5);
  for (int i = 0; i < 3000; ++i) {
    core::Endpoint ep;
    std::uint8_t a[4] = {static_cast<std::uint8_t>(i % 3 == 0 ? 1 : 250), 0,
                         static_cast<std::uint8_t>(rng.below(4)),
                         static_cast<std::uint8_t>(rng.below(256))};
    ep.address = core::Address::v4(a);
    ep.port = static_cast<std::uint16_t>(1 + rng.below(65535));
    endpoints.push_back(ep);
  }
  std::sort(endpoints.begin(), endpoints.end());
  endpoints.erase(std::unique(endpoints.begin(), endpoints.end()), endpoints.end());
  for (int round = 0; round < 2; ++round) {
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
      auto counts = store.announce(make_announce(torrent(1), endpoints[i], i, 100 + round), out);
      ASSERT_TRUE(counts.has_value());
      ASSERT_EQ(counts->leechers, round == 0 ? i + 1 : endpoints.size());
    }
  }
  EXPECT_EQ(store.stats().peers_v4, endpoints.size());
}

// A peer that stops in a large swarm keeps its slot until the next sweep
// (Swarm: "Leaves"); no reply, lookup, count or snapshot may show it, and
// it comes back, with ids and the random selection intact, on re-announce.
TEST(MemoryStore, PeersThatLeftABigSwarmAreNeverHandedOut) {
  MemoryStore store(Limits{}, 1);
  std::vector<PeerInfo> out;
  constexpr std::uint32_t peers = 2 * (Swarm::gone_from + 50);  // both families past it
  const auto endpoint = [](std::uint32_t i) { return i % 2 == 0 ? v4(i) : v6(i); };
  for (std::uint32_t i = 0; i < peers; ++i)
    ASSERT_TRUE(store.announce(make_announce(torrent(1), endpoint(i), i, 100), out));
  for (std::uint32_t i = 0; i < peers; i += 3) {
    auto a = make_announce(torrent(1), endpoint(i), i, 101);
    a.event = core::Event::stopped;
    ASSERT_TRUE(store.announce(a, out));
  }
  std::set<core::Endpoint> stopped;
  for (std::uint32_t i = 0; i < peers; i += 3) stopped.insert(endpoint(i));
  const auto left = [&](const core::Endpoint& ep) { return stopped.count(ep) != 0; };
  const std::uint32_t live = peers - (peers + 2) / 3;
  std::map<core::Endpoint, int> seen;
  for (std::uint32_t r = 0; r < 3000; ++r) {
    auto a = make_announce(torrent(1), endpoint(1 + 3 * (r % 600)), r, 102);
    a.numwant = 20;
    a.random = mix(r);
    auto counts = store.announce(a, out);
    ASSERT_TRUE(counts.has_value());
    EXPECT_EQ(counts->leechers, live);
    ASSERT_EQ(out.size(), 20u);
    std::set<core::Endpoint> distinct;
    for (const PeerInfo& p : out) {
      EXPECT_FALSE(left(p.endpoint));
      EXPECT_NE(p.endpoint, a.endpoint);
      distinct.insert(p.endpoint);
      ++seen[p.endpoint];
    }
    EXPECT_EQ(distinct.size(), out.size());
  }
  EXPECT_EQ(seen.size(), live);  // a random start over the live peers reaches every one
  Lookup l{torrent(1), peers, true, true, 7, true};
  ASSERT_EQ(store.lookup(l, out)->leechers, live);
  EXPECT_EQ(out.size(), live);
  for (const PeerInfo& p : out) EXPECT_FALSE(left(p.endpoint));
  std::size_t stored = 0;
  store.for_each_swarm(
      [&](const core::InfoHash&, const SwarmCounts& counts, std::span<const StoredPeer> swarm) {
        stored = swarm.size();
        EXPECT_EQ(counts.leechers, live);
        for (const StoredPeer& sp : swarm) EXPECT_FALSE(left(sp.peer.endpoint));
      });
  EXPECT_EQ(stored, live);
  EXPECT_EQ(store.stats().peers_v4 + store.stats().peers_v6, live);
  auto back = make_announce(torrent(1), endpoint(0), 999, 103);
  back.seeder = true;
  auto counts = store.announce(back, out);
  ASSERT_TRUE(counts.has_value());
  EXPECT_EQ(counts->seeders, 1u);
  EXPECT_EQ(counts->leechers, live);
  ASSERT_EQ(store.lookup(l, out)->seeders, 1u);
  EXPECT_EQ(by_endpoint_id(out, endpoint(0)), peer_id(999));
}

// Gone slots count toward nothing a client sees: a swarm at its peer cap
// takes as many new peers as left it, at any endpoint, and not one more.
TEST(MemoryStore, PeersThatLeftABigSwarmFreeTheirPlaceUnderTheCap) {
  Limits limits;
  constexpr std::uint32_t cap = Swarm::gone_from + 76;
  limits.max_peers_per_torrent = cap;
  MemoryStore store(limits, 1);
  std::vector<PeerInfo> out;
  for (std::uint32_t i = 0; i < cap; ++i)
    ASSERT_TRUE(store.announce(make_announce(torrent(1), v4(i), i, 100), out));
  for (std::uint32_t i = 0; i < cap; i += 4) {
    auto a = make_announce(torrent(1), v4(i), i, 101);
    a.event = core::Event::stopped;
    ASSERT_TRUE(store.announce(a, out));
  }
  const std::uint32_t left = cap / 4;
  for (std::uint32_t i = 0; i < left + 10; ++i) {
    auto counts = store.announce(make_announce(torrent(1), v4(10'000 + i), i, 102), out);
    ASSERT_TRUE(counts.has_value());
    EXPECT_EQ(counts->leechers, std::min(cap, cap - left + i + 1));
  }
  Lookup l{torrent(1), cap, true, true, 7, false};
  EXPECT_EQ(store.lookup(l, out)->leechers, cap);
  EXPECT_EQ(out.size(), cap);
  EXPECT_EQ(store.stats().peers_v4, cap);
}

}  // namespace
}  // namespace cairn::store::testing
