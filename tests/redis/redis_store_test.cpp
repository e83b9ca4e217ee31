// The shared store contract suites, unchanged, against RedisPeerStore and
// RedisRecordStore on a real Redis Cluster. The cluster's seed nodes come
// from CAIRN_REDIS_SEEDS ("HOST:PORT,..."), which with_redis_cluster.py
// sets after starting one; without it the binary fails at once (it never
// skips). Each store gets a namespace of its own, so stores made side by
// side (the batch tests compare two) share nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "record_store_suite.hpp"
#include "redis/cluster_client.hpp"
#include "store/redis/redis_peer_store.hpp"
#include "store/redis/redis_record_store.hpp"
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

}  // namespace
}  // namespace cairn::store::testing
