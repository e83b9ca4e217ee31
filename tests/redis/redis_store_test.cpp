// The shared store contract suites, unchanged, against RedisPeerStore and
// RedisRecordStore on a real Redis Cluster. The cluster's seed nodes come
// from CAIRN_REDIS_SEEDS ("HOST:PORT,..."), which with_redis_cluster.py
// sets after starting one; without it the binary fails at once (it never
// skips). Each store gets a namespace of its own, so stores made side by
// side (the batch tests compare two) share nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>

#include "record_store_suite.hpp"
#include "redis/cluster_client.hpp"
#include "server/metrics.hpp"
#include "store/redis/redis_peer_store.hpp"
#include "store/redis/redis_record_store.hpp"
#include "store/remote_counters.hpp"
#include "store/store_factory.hpp"
#include "store_suite.hpp"

namespace cairn::store::testing {
namespace {

std::vector<redis::NodeAddress> seeds() {
  const char* text = std::getenv("CAIRN_REDIS_SEEDS");
  if (text == nullptr || *text == '\0')
    throw std::runtime_error(
        "CAIRN_REDIS_SEEDS is not set: run this test through tests/redis/with_redis_cluster.py, "
        "which starts a Redis Cluster and sets it");
  std::vector<redis::NodeAddress> out;
  std::string all(text);
  for (std::size_t at = 0; at <= all.size();) {
    const std::size_t comma = std::min(all.find(',', at), all.size());
    auto node = redis::NodeAddress::parse(std::string_view(all).substr(at, comma - at), "");
    if (!node) throw std::runtime_error("CAIRN_REDIS_SEEDS: not HOST:PORT: " + all);
    out.push_back(*node);
    at = comma + 1;
  }
  return out;
}

std::shared_ptr<::cairn::redis::ClusterClient> cluster() {
  static const auto client = std::make_shared<::cairn::redis::ClusterClient>([] {
    ::cairn::redis::ClusterOptions o;
    o.seeds = seeds();
    o.timeout = std::chrono::seconds(5);  // a loaded test machine, not a failover
    return o;
  }());
  return client;
}

std::string fresh_namespace() {
  static std::atomic<int> n{0};
  return "test" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

std::unique_ptr<PeerStore> make_redis_peer_store(const Limits& limits) {
  redis::RedisOptions o;
  o.name_space = fresh_namespace();
  return std::make_unique<redis::RedisPeerStore>(cluster(), o, limits);
}

std::unique_ptr<RecordStore> make_redis_record_store(const RecordLimits& limits) {
  redis::RedisOptions o;
  o.name_space = fresh_namespace();
  return std::make_unique<redis::RedisRecordStore>(cluster(), o, limits);
}

INSTANTIATE_TEST_SUITE_P(Redis, StoreSuite,
                         ::testing::Values(StoreBackend{"redis", make_redis_peer_store}),
                         store_backend_name);
INSTANTIATE_TEST_SUITE_P(Redis, RecordStoreSuite,
                         ::testing::Values(RecordStoreBackend{"redis", make_redis_record_store}),
                         record_store_backend_name);

std::set<core::Endpoint> endpoints_of(const std::vector<PeerInfo>& peers) {
  std::set<core::Endpoint> out;
  for (const PeerInfo& p : peers) out.insert(p.endpoint);
  return out;
}

// What the client counted so far: round trips and commands.
struct Sent {
  std::uint64_t round_trips, commands;
  static Sent now() {
    const RemoteCounters& c = *cluster()->counters();
    return {c.round_trips.load(), c.commands.load()};
  }
  Sent since(const Sent& before) const {
    return {round_trips - before.round_trips, commands - before.commands};
  }
};

std::vector<Announce> batch_of(std::size_t n, core::Seconds now) {
  std::vector<Announce> batch;
  for (std::size_t i = 0; i < n; ++i) {
    Announce a;
    a.info_hash = torrent(1000 + i);  // spread over the slots, so over every master
    a.peer_id = peer_id(i);
    a.endpoint = v4(static_cast<std::uint32_t>(i));
    a.numwant = 50;
    a.now = now;
    a.random = i;
    batch.push_back(a);
  }
  return batch;
}

// A UDP receive batch (up to 64 requests) reaches the store as one
// announce_batch or scrape_batch: it costs one pipelined round trip per
// master, not one per request; a single announce is one round trip.
TEST(RedisRoundTrips, ABatchIsOneRoundTripPerMaster) {
  const auto masters = cluster()->masters().size();
  ASSERT_EQ(masters, 3u);
  redis::RedisPeerStore store(
      cluster(),
      [] {
        redis::RedisOptions o;
        o.name_space = fresh_namespace();
        return o;
      }(),
      Limits{});
  core::PeerList peers;
  std::vector<AnnounceResult> results(64);
  // Once first, so every master has the script (the first call of a script
  // on a node is answered NOSCRIPT and sent again as EVAL: one more round).
  store.announce_batch(batch_of(64, 1000), peers, results);

  Sent before = Sent::now();
  store.announce_batch(batch_of(64, 1001), peers, results);
  Sent sent = Sent::now().since(before);
  for (const AnnounceResult& r : results) ASSERT_TRUE(r.counts.has_value());
  EXPECT_EQ(sent.round_trips, masters);
  EXPECT_EQ(sent.commands, 64u);

  std::vector<core::InfoHash> hashes;
  for (std::size_t i = 0; i < 64; ++i) hashes.push_back(torrent(1000 + i));
  std::vector<Counted> counts(hashes.size());
  store.scrape_batch(hashes, counts);  // the scrape script, once
  before = Sent::now();
  store.scrape_batch(hashes, counts);
  sent = Sent::now().since(before);
  for (const Counted& c : counts) EXPECT_EQ(c, (SwarmCounts{0, 1, 0}));
  EXPECT_EQ(sent.round_trips, masters);
  EXPECT_EQ(sent.commands, 64u);

  before = Sent::now();
  ASSERT_TRUE(store.announce(batch_of(1, 1002)[0], peers).has_value());
  sent = Sent::now().since(before);
  EXPECT_EQ(sent.round_trips, 1u);
  EXPECT_EQ(sent.commands, 1u);
}

// A swarm bigger than a draw gives a run of its packed array from a random
// record (a proper slice, wrapping), where the shared suites' small swarms
// mostly give all of it: the same contract, checked here. Many draws reach
// every peer, none returns the caller or a peer twice, ids come with their
// peers when asked for, and a second family fills from its own array.
TEST(RedisDraw, BigSwarmsKeepTheSelectionContract) {
  auto store = make_redis_peer_store(Limits{});
  constexpr std::uint32_t kPeers = 300;
  const auto announce_as = [](std::uint32_t n, std::uint64_t random, std::uint32_t numwant) {
    Announce a;
    a.info_hash = torrent(7);
    a.peer_id = peer_id(n);
    a.endpoint = n < 1000 ? v4(n) : v6(n);
    a.numwant = numwant;
    a.now = 1000;
    a.random = random;
    return a;
  };
  std::vector<PeerInfo> out;
  for (std::uint32_t n = 0; n < kPeers; ++n)
    ASSERT_TRUE(store->announce(announce_as(n, n, 0), out).has_value());
  std::set<core::Endpoint> seen;
  for (std::uint64_t r = 0; r < 200; ++r) {
    for (bool ids : {false, true}) {
      auto a = announce_as(static_cast<std::uint32_t>(r % kPeers), mix(r), 50);
      a.want_peer_ids = ids;
      ASSERT_EQ(store->announce(a, out), (SwarmCounts{0, kPeers, 0}));
      ASSERT_EQ(out.size(), 50u);
      std::set<core::Endpoint> eps;
      for (const PeerInfo& p : out) {
        EXPECT_TRUE(eps.insert(p.endpoint).second) << "duplicate peer";
        EXPECT_NE(p.endpoint, a.endpoint) << "requester returned";
        const std::uint32_t n = p.endpoint.address.bytes[3] + 256u * p.endpoint.address.bytes[2];
        EXPECT_EQ(p.endpoint, v4(n));
        if (ids) {
          EXPECT_EQ(p.peer_id, peer_id(n));
        }
        seen.insert(p.endpoint);
      }
    }
  }
  EXPECT_EQ(seen.size(), kPeers);
  Lookup l{torrent(7), 60, true, false, 12345};
  l.want_peer_ids = true;
  ASSERT_EQ(store->lookup(l, out), (SwarmCounts{0, kPeers, 0}));
  ASSERT_EQ(out.size(), 60u);
  for (const PeerInfo& p : out)
    EXPECT_EQ(p.peer_id, peer_id(p.endpoint.address.bytes[3] + 256u * p.endpoint.address.bytes[2]));
  // A second family: the IPv4 array's run, then the IPv6 array's one peer.
  ASSERT_TRUE(store->announce(announce_as(1000, 1, 0), out).has_value());
  auto a = announce_as(0, 99, 50);
  a.want_v6 = true;
  ASSERT_EQ(store->announce(a, out), (SwarmCounts{0, kPeers + 1, 0}));
  EXPECT_EQ(out.size(), 50u);
  EXPECT_EQ(endpoints_of(out).size(), 50u);
}

// The server registers the client's counters as the "redis" block, beside
// the stores' gauges (server/metrics.cpp).
TEST(RedisMetrics, TheClientsCountersAreTheRedisBlock) {
  StoreConfig config;
  config.backend = "redis";
  config.redis_nodes = {seeds().front().to_string()};
  config.redis_namespace = fresh_namespace();
  StoreEnv env;
  auto peers = make_peer_store(config, Limits{}, env);
  auto records = make_record_store(config, RecordLimits{}, env);
  ASSERT_NE(peers->remote_counters(), nullptr);
  core::PeerList out;
  ASSERT_TRUE(peers->announce(batch_of(1, 1000)[0], out).has_value());
  tracker::MetricsRegistry registry;
  const tracker::SignalingSwarms signaling{tracker::SignalingLimits{}};
  server::register_metrics(registry, {}, *peers, *records, signaling);
  std::map<std::string, std::uint64_t> rows;
  for (const auto& row : registry.rows()) rows[row.name] = row.value;
  for (const char* name :
       {"redis_round_trips", "redis_commands", "redis_unanswered", "redis_error_replies",
        "redis_redirections", "redis_reconnects", "redis_map_refreshes", "redis_failovers"})
    EXPECT_TRUE(rows.count(name)) << name;
  EXPECT_GE(rows["redis_round_trips"], 1u);
  EXPECT_GE(rows["redis_commands"], 1u);
  EXPECT_GE(rows["redis_map_refreshes"], 1u);  // the one read at start
  EXPECT_EQ(rows["redis_unanswered"], 0u);
}

}  // namespace
}  // namespace cairn::store::testing
