#include "store/store_factory.hpp"

#include <stdexcept>

#include "store/memory/memory_record_store.hpp"
#include "store/memory/memory_store.hpp"

namespace cairn::store {

namespace {

struct Backend {
  std::string_view name;
  std::unique_ptr<PeerStore> (*make_peers)(const StoreConfig&, const Limits&);
  std::unique_ptr<RecordStore> (*make_records)(const StoreConfig&, const RecordLimits&);
};

// Every backend, once.
constexpr Backend backends[] = {
    {"memory",
     [](const StoreConfig&, const Limits& limits) -> std::unique_ptr<PeerStore> {
       return std::make_unique<MemoryStore>(limits);
     },
     [](const StoreConfig&, const RecordLimits& limits) -> std::unique_ptr<RecordStore> {
       return std::make_unique<MemoryRecordStore>(limits);
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

std::unique_ptr<PeerStore> make_peer_store(const StoreConfig& config, const Limits& limits) {
  return backend(config.backend).make_peers(config, limits);
}

std::unique_ptr<RecordStore> make_record_store(const StoreConfig& config,
                                               const RecordLimits& limits) {
  return backend(config.backend).make_records(config, limits);
}

}  // namespace cairn::store
