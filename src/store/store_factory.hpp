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
  bool redis_tls = false;                 // TLS to every node
  std::string redis_ca_file;    // PEM CAs the nodes' certificates chain to; "": the system's
  std::string redis_cert_file;  // a client certificate (PEM) to present; "": none
  std::string redis_key_file;   // its private key
};

// What the backends share beyond their settings. The caller gives the
// clock offset; the factory keeps here what the stores of one backend
// share (the Redis cluster client, made by the first make_* that needs
// it), so make both stores with the same StoreEnv.
struct StoreEnv {
  // Wall-clock seconds minus the process clock's: stores shared by several
  // processes add it to every `now`, so all of them count time alike.
  std::int64_t clock_offset = 0;
  std::shared_ptr<redis::RedisLink> redis;  // the factory's; opaque to the caller
};

bool is_backend(std::string_view name);
// The backends this build knows, for error messages: "memory", "redis".
std::string backend_choices();

// Start-up only: throw std::invalid_argument, naming the known backends,
// for an unknown `config.backend`; for "redis", std::runtime_error saying
// what is missing from the settings or, if no node answers, naming each
// seed and why.
std::unique_ptr<PeerStore> make_peer_store(const StoreConfig& config, const Limits& limits,
                                           StoreEnv& env);
std::unique_ptr<RecordStore> make_record_store(const StoreConfig& config,
                                               const RecordLimits& limits, StoreEnv& env);

// The same, each with an environment of its own (tests, tools).
inline std::unique_ptr<PeerStore> make_peer_store(const StoreConfig& config, const Limits& limits) {
  StoreEnv env;
  return make_peer_store(config, limits, env);
}
inline std::unique_ptr<RecordStore> make_record_store(const StoreConfig& config,
                                                      const RecordLimits& limits) {
  StoreEnv env;
  return make_record_store(config, limits, env);
}

// What `cairn serve --check-config` can check of the backend without
// connecting to anything: the files it reads (redis: the password file).
// Throws std::runtime_error naming the key and the file.
void check_store_files(const StoreConfig& config);

}  // namespace cairn::store
