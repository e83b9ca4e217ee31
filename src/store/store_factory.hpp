#pragma once
// Where a store backend is chosen: the one registration point. A new
// backend (a Redis cluster, say) adds a row to the table in
// store_factory.cpp and its settings to StoreConfig; nothing else that
// uses a store changes.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/peer_store.hpp"
#include "store/record_store.hpp"

namespace cairn::store {

namespace redis {
class RedisLink;
}

// The `[store]` section of the configuration.
struct StoreConfig {
  std::string backend = "memory";
  // "redis": some of the cluster's nodes, "HOST:PORT" each (the rest is
  // discovered), and how to reach them.
  std::vector<std::string> redis_nodes;
  std::string redis_user;                 // ACL user; "" is the default user
  std::string redis_password_file;        // its first line is the password; "" sends no AUTH
  std::string redis_namespace = "cairn";  // key prefix: several trackers may share a cluster
  std::uint32_t redis_timeout_ms = 1000;  // most one batch of calls may take
};

// What a backend whose state lives outside the process needs from it.
struct StoreEnv {
  redis::RedisLink* redis = nullptr;  // "redis": the cluster client (src/redis/), the server's
  // Wall-clock seconds minus the process clock's: stores shared by several
  // processes add it to every `now`, so all of them count time alike.
  std::int64_t clock_offset = 0;
};

bool is_backend(std::string_view name);
// The backends this build knows, for error messages: "memory", "redis".
std::string backend_choices();

// Start-up only: throw std::invalid_argument, naming the known backends,
// for an unknown `config.backend`, or for "redis" without env.redis;
// RedisRecordStore throws std::runtime_error if the cluster does not answer.
std::unique_ptr<PeerStore> make_peer_store(const StoreConfig& config, const Limits& limits,
                                           const StoreEnv& env = {});
std::unique_ptr<RecordStore> make_record_store(const StoreConfig& config,
                                               const RecordLimits& limits,
                                               const StoreEnv& env = {});

}  // namespace cairn::store
