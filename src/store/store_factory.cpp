// Built as cairn_store_factory (src/redis/CMakeLists.txt), above the
// store and redis layers, since it makes the Redis Cluster client.
#include "store/store_factory.hpp"

#include <stdexcept>

#include "redis/from_config.hpp"

#include "store/memory/memory_record_store.hpp"
#include "store/memory/memory_store.hpp"
#include "store/redis/redis_peer_store.hpp"
#include "store/redis/redis_record_store.hpp"

namespace cairn::store {

namespace {

struct Backend {
  std::string_view name;
  std::unique_ptr<PeerStore> (*make_peers)(const StoreConfig&, const Limits&, StoreEnv&);
  std::unique_ptr<RecordStore> (*make_records)(const StoreConfig&, const RecordLimits&, StoreEnv&);
};

// The cluster client both Redis stores share: made by the first of them.
std::shared_ptr<redis::RedisLink> redis_link(const StoreConfig& config, StoreEnv& env) {
  if (!env.redis) env.redis = ::cairn::redis::make_cluster_client(config);
  return env.redis;
}

redis::RedisOptions redis_options(const StoreConfig& config, const StoreEnv& env) {
  redis::RedisOptions o;
  o.name_space = config.redis_namespace;
  o.clock_offset = env.clock_offset;
  return o;
}

// Every backend, once.
constexpr Backend backends[] = {
    {"memory",
     [](const StoreConfig&, const Limits& limits, StoreEnv&) -> std::unique_ptr<PeerStore> {
       return std::make_unique<MemoryStore>(limits);
     },
     [](const StoreConfig&, const RecordLimits& limits, StoreEnv&) -> std::unique_ptr<RecordStore> {
       return std::make_unique<MemoryRecordStore>(limits);
     }},
    {"redis",
     [](const StoreConfig& config, const Limits& limits,
        StoreEnv& env) -> std::unique_ptr<PeerStore> {
       return std::make_unique<redis::RedisPeerStore>(redis_link(config, env),
                                                      redis_options(config, env), limits);
     },
     [](const StoreConfig& config, const RecordLimits& limits,
        StoreEnv& env) -> std::unique_ptr<RecordStore> {
       return std::make_unique<redis::RedisRecordStore>(redis_link(config, env),
                                                        redis_options(config, env), limits);
     }},
};

const Backend* find(std::string_view name) {
  for (const Backend& b : backends)
    if (b.name == name) return &b;
  return nullptr;
}

const Backend& backend(std::string_view name) {
  if (const Backend* b = find(name)) return *b;
  std::string what = "unknown store backend \"";
  what.append(name).append("\" (expected ").append(backend_choices()).append(")");
  throw std::invalid_argument(what);
}

}  // namespace

bool is_backend(std::string_view name) { return find(name) != nullptr; }

std::string backend_choices() {
  std::string out;
  for (const Backend& b : backends) {
    if (!out.empty()) out += ", ";
    out.append("\"").append(b.name).append("\"");
  }
  return out;
}

std::unique_ptr<PeerStore> make_peer_store(const StoreConfig& config, const Limits& limits,
                                           StoreEnv& env) {
  return backend(config.backend).make_peers(config, limits, env);
}

std::unique_ptr<RecordStore> make_record_store(const StoreConfig& config,
                                               const RecordLimits& limits, StoreEnv& env) {
  return backend(config.backend).make_records(config, limits, env);
}

void check_store_files(const StoreConfig& config) {
  if (config.backend == "redis" && !config.redis_password_file.empty())
    cairn::redis::read_password(config.redis_password_file);
}

}  // namespace cairn::store
