#pragma once
// MemoryRecordStore: the embedded RecordStore. Topics live in a power-of-two
// number of shards; each shard is one mutex and one flat map from topic to
// its records (a small vector in version order) and the tombstones of its
// signed records, so a lock covers one topic's operation. Applications pick
// topics (they are not uniformly random like info hashes), so shards and
// maps are chosen by a keyed hash (SipHash under a key drawn at start) that
// a client cannot aim at one shard or one hash slot.
//
// The address quota is an AddressQuota, with shards and locks of its own.
// Lock order: a topic shard's lock first, then one of the quota's (never
// two of them at once; the quota takes no other lock), so the count and the
// record change together as one put or remove.
//
// Versions are per topic, each topic's starting at a point drawn (per
// shard, from a seed drawn at start) when the topic is made, so no counter
// is shared by all threads and a version from an earlier life of a topic
// is not taken for one of its current life.
//
// A record costs a StoredRecord (176 bytes), its body (past the 15 bytes
// std::string keeps inline), the vector's spare room and its share of the
// topic's entry and of the quota's; measured, 380 bytes a record with a
// 40-byte body, 10 records a topic, each from its own address. Records are
// far rarer than peers, so they stay plain structs rather than packed
// bytes, and a put finds its record by a linear search of its topic (a
// replace took 130 to 260 ns in topics of 1 to 10 records, 16 us in one of
// 1,000, the cap).
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>

#include "store/memory/address_quota.hpp"
#include "store/memory/keyed_hash.hpp"
#include "store/record_store.hpp"
#include "store/snapshots.hpp"

namespace cairn::store {

class MemoryRecordStore final : public RecordStore, public RecordSnapshots {
 public:
  // Enough locks that threads rarely meet on one; topics are fewer than
  // torrents, so fewer than MemoryStore's.
  static constexpr std::size_t default_shard_count = 64;

  // shard_count is rounded up to a power of two; 0 picks the default.
  explicit MemoryRecordStore(RecordLimits limits, std::size_t shard_count = 0);
  ~MemoryRecordStore() override;
  MemoryRecordStore(const MemoryRecordStore&) = delete;
  MemoryRecordStore& operator=(const MemoryRecordStore&) = delete;

  core::Result<std::uint64_t, RecordStoreError> put(const RecordPut& put) override;
  core::Result<void, RecordStoreError> remove(const core::TopicId& topic, const core::RecordId& id,
                                              const core::Address& source, std::uint64_t seq,
                                              core::Seconds now) override;
  core::Result<std::uint64_t, RecordStoreError> lookup(const core::TopicId& topic,
                                                       std::uint64_t after_version,
                                                       const Visitor& visit) const override;
  std::uint64_t expire(core::Seconds now) override;
  RecordStats stats() const override;
  std::uint32_t epoch() const override { return epoch_; }
  RecordSnapshots* snapshots() override { return this; }

  // Snapshots: one shard at a time (RecordSnapshots).
  void for_each(const TopicVisitor& visit) const override;
  core::Result<std::uint32_t, RecordStoreError> restore(
      const core::TopicId& topic, std::span<const StoredRecord> records,
      std::span<const RecordTombstone> tombstones) override;

  std::size_t shard_count() const { return mask_ + 1; }

 private:
  struct Topic;
  struct Shard;

  Shard& shard_for(const core::TopicId& topic) const;
  bool take_topic_slot();

  // One topic's side of an operation, under its shard's lock.
  core::Result<std::uint64_t, RecordStoreError> put_into(Topic& topic, const RecordPut& put);
  core::Result<std::uint64_t, RecordStoreError> add_record(Topic& topic, const RecordPut& put);
  core::Result<void, RecordStoreError> remove_from(Topic& topic, const core::RecordId& id,
                                                   const core::Address& source, std::uint64_t seq,
                                                   core::Seconds now);
  void forget(Topic& topic, const StoredRecord& record, std::uint64_t seq, core::Seconds until,
              core::Seconds now);
  std::uint64_t expire_topic(Topic& topic, core::Seconds now);

  RecordLimits limits_;
  std::size_t mask_;
  HashKey hash_key_;  // drawn before epoch_: drawing it initialises libsodium
  std::uint32_t epoch_;
  std::unique_ptr<Shard[]> shards_;
  AddressQuota quota_;
  alignas(64) std::atomic<std::uint64_t> topics_{0};
};

}  // namespace cairn::store
