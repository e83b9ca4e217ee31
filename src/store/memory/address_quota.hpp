#pragma once
// AddressQuota: how many records each source address holds across all
// topics, for RecordLimits::max_records_per_address. IPv6 addresses count
// by their /64 (one host's usual allocation), IPv4 addresses one by one.
// The counts live in a power-of-two number of shards, each one lock and
// one flat map, chosen by a keyed hash so clients cannot aim their
// addresses at one slot. A lock is held only to read or change one count;
// callers may call in while holding a lock of their own
// (MemoryRecordStore holds a topic shard's), so no code here calls out.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/endpoint.hpp"
#include "store/memory/keyed_hash.hpp"

namespace cairn::store {

class AddressQuota {
 public:
  // shard_count must be a power of two.
  AddressQuota(std::size_t shard_count, const HashKey& key);
  ~AddressQuota();
  AddressQuota(const AddressQuota&) = delete;
  AddressQuota& operator=(const AddressQuota&) = delete;

  // Counts one more record for `source`, unless it holds `max` already.
  bool try_add(const core::Address& source, std::uint32_t max);
  // Counts one more whatever it holds: a replaced record moving to its new
  // source never fails on the quota.
  void add(const core::Address& source);
  void release(const core::Address& source);
  std::uint32_t count(const core::Address& source) const;

  // Whether two addresses share one count.
  static bool same_unit(const core::Address& a, const core::Address& b);

 private:
  struct Unit;
  struct Shard;
  Shard& shard_for(const Unit& unit) const;

  std::size_t mask_;
  HashKey key_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace cairn::store
