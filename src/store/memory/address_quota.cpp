#include "store/memory/address_quota.hpp"

#include <array>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstring>
#include <limits>
#include <mutex>

namespace cairn::store {

struct AddressQuota::Unit {
  std::array<std::uint8_t, 1 + 8> bytes{};  // family, then 4 or 8 address bytes

  explicit Unit(const core::Address& a) {
    bytes[0] = static_cast<std::uint8_t>(a.family);
    std::memcpy(bytes.data() + 1, a.bytes.data(), a.family == core::Family::v4 ? 4 : 8);
  }
  friend bool operator==(const Unit&, const Unit&) = default;
};

// Padded to a cache line so neighbouring shards' locks do not false-share.
struct alignas(64) AddressQuota::Shard {
  // The map mixes the hash again (it is not marked avalanching), so its
  // slots stay independent of the bits that picked the shard.
  struct Hash {
    const HashKey* key = nullptr;
    std::size_t operator()(const Unit& u) const { return keyed_hash(u.bytes, *key); }
  };
  mutable std::mutex mutex;
  boost::unordered_flat_map<Unit, std::uint32_t, Hash> counts;  // none is 0
};

AddressQuota::AddressQuota(std::size_t shard_count, const HashKey& key)
    : mask_(shard_count - 1), key_(key), shards_(new Shard[shard_count]) {
  for (std::size_t i = 0; i <= mask_; ++i)
    shards_[i].counts = decltype(Shard::counts)(0, Shard::Hash{&key_});
}

AddressQuota::~AddressQuota() = default;

AddressQuota::Shard& AddressQuota::shard_for(const Unit& unit) const {
  return shards_[keyed_hash(unit.bytes, key_) & mask_];
}

bool AddressQuota::try_add(const core::Address& source, std::uint32_t max) {
  const Unit unit(source);
  Shard& shard = shard_for(unit);
  std::lock_guard lock(shard.mutex);
  auto it = shard.counts.find(unit);
  const std::uint32_t held = it == shard.counts.end() ? 0 : it->second;
  if (held >= max) return false;
  if (it == shard.counts.end())
    shard.counts.emplace(unit, 1);
  else
    ++it->second;
  return true;
}

void AddressQuota::add(const core::Address& source) {
  try_add(source, std::numeric_limits<std::uint32_t>::max());
}

void AddressQuota::release(const core::Address& source) {
  const Unit unit(source);
  Shard& shard = shard_for(unit);
  std::lock_guard lock(shard.mutex);
  auto it = shard.counts.find(unit);
  if (it != shard.counts.end() && --it->second == 0) shard.counts.erase(it);
}

std::uint32_t AddressQuota::count(const core::Address& source) const {
  const Unit unit(source);
  const Shard& shard = shard_for(unit);
  std::lock_guard lock(shard.mutex);
  auto it = shard.counts.find(unit);
  return it == shard.counts.end() ? 0 : it->second;
}

bool AddressQuota::same_unit(const core::Address& a, const core::Address& b) {
  return Unit(a) == Unit(b);
}

}  // namespace cairn::store
