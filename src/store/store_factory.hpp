#pragma once
// Where a store backend is chosen: the one registration point. A new
// backend (a Redis cluster, say) adds a row to the table in
// store_factory.cpp and its settings to StoreConfig; nothing else that
// uses a store changes.
#include <memory>
#include <string>
#include <string_view>

#include "store/peer_store.hpp"
#include "store/record_store.hpp"

namespace cairn::store {

// The `[store]` section of the configuration.
struct StoreConfig {
  std::string backend = "memory";
};

bool is_backend(std::string_view name);
// The backends this build knows, for error messages: "memory", "redis".
std::string backend_choices();

// Start-up only: throw std::invalid_argument, naming the known backends,
// for an unknown `config.backend`.
std::unique_ptr<PeerStore> make_peer_store(const StoreConfig& config, const Limits& limits);
std::unique_ptr<RecordStore> make_record_store(const StoreConfig& config,
                                               const RecordLimits& limits);

}  // namespace cairn::store
