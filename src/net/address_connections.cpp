#include "net/address_connections.hpp"

#include <algorithm>
#include <cstring>

namespace cairn::net {

std::size_t AddressConnections::KeyHash::operator()(const Key& k) const noexcept {
  // Not keyed: an attacker steering collisions only slows its own shard's
  // accepts; the counts stay exact.
  std::uint64_t a, b;
  std::memcpy(&a, k.bytes.data(), 8);
  std::memcpy(&b, k.bytes.data() + 8, 8);
  std::uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15)) * 0xbf58476d1ce4e5b9;
  return static_cast<std::size_t>(h ^ (h >> 31));
}

AddressConnections::Key AddressConnections::key_of(const core::Address& a) {
  Key k;
  // IPv6 by its /64; byte 15 tells the families apart (an IPv4 key's is 4).
  const std::size_t size = a.family == core::Family::v4 ? 4 : 8;
  std::memcpy(k.bytes.data(), a.bytes.data(), size);
  k.bytes[15] = static_cast<std::uint8_t>(size);
  return k;
}

bool AddressConnections::counted(const core::Address& a) const {
  return max_ > 0 && std::none_of(trusted_.begin(), trusted_.end(),
                                  [&](const core::Network& n) { return n.contains(a); });
}

bool AddressConnections::take(const core::Address& a) {
  if (!counted(a)) return true;
  const Key k = key_of(a);
  Shard& s = shards_[KeyHash{}(k) % kShards];
  std::lock_guard lock(s.mutex);
  auto& n = s.open[k];
  if (n >= max_) return false;
  ++n;
  return true;
}

void AddressConnections::give_back(const core::Address& a) {
  if (!counted(a)) return;
  const Key k = key_of(a);
  Shard& s = shards_[KeyHash{}(k) % kShards];
  std::lock_guard lock(s.mutex);
  auto it = s.open.find(k);
  if (it == s.open.end()) return;
  if (--it->second == 0) s.open.erase(it);
}

}  // namespace cairn::net
