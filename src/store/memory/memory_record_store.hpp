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

namespace cairn::store {

// The highest seq of a signed record that is gone (removed or expired),
// remembered until `until` so a replayed registration or removal stays
// refused.
struct RecordTombstone {
  core::RecordId id;
  std::uint64_t seq = 0;
  core::Seconds until = 0;
  friend bool operator==(const RecordTombstone&, const RecordTombstone&) = default;
};

class MemoryRecordStore final : public RecordStore {
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
  std::uint64_t lookup(const core::TopicId& topic, std::uint64_t after_version,
                       const Visitor& visit) const override;
  std::uint64_t expire(core::Seconds now) override;
  RecordStats stats() const override;
  std::uint32_t epoch() const override { return epoch_; }

  // Calls `visit` once per topic with a copy of its records (in version
  // order) and tombstones, taken one shard at a time under that shard's
  // lock and handed over outside it (for the snapshot writer).
  using TopicVisitor = std::function<void(const core::TopicId&, std::span<const StoredRecord>,
                                          std::span<const RecordTombstone>)>;
  void for_each(const TopicVisitor& visit) const;

  // Puts back a topic read from a snapshot: its records with their sources,
  // seqs, signatures and times (each gets a new version, in the order
  // given) and its tombstones. The caps apply as to puts: a new topic
  // beyond max_topics is refused with tracker_full; records beyond
  // max_records_per_topic or their address's quota are not stored, nor is
  // a record or tombstone whose id the topic already holds (the store is
  // meant to be empty). Returns the records stored.
  core::Result<std::uint32_t, RecordStoreError> restore(
      const core::TopicId& topic, std::span<const StoredRecord> records,
      std::span<const RecordTombstone> tombstones);

  std::size_t shard_count() const { return mask_ + 1; }

 private:
  struct Topic;
  struct Shard;

  Shard& shard_for(const core::TopicId& topic) const;
  bool take_topic_slot();
  std::uint64_t next_version() { return versions_.fetch_add(1, std::memory_order_relaxed) + 1; }

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
  alignas(64) std::atomic<std::uint64_t> versions_{0};
  alignas(64) std::atomic<std::uint64_t> topics_{0};
};

}  // namespace cairn::store
