#pragma once
// RedisRecordStore: rendezvous records in a Redis Cluster, shared by every
// Cairn node on it. Pure like RedisPeerStore (record_scripts.hpp has the
// layout); the RedisLink does the I/O. Beyond the RecordStore contract:
// - A renewal or any refused put is one round trip; a put that adds a
//   record takes its address's quota count first (three); a remove, or a
//   put that found records expired, gives counts back (one more).
// - `now` has options.clock_offset added, as in RedisPeerStore.
// - epoch() is kept in the cluster (NS:epoch), so every node of it gives
//   the same one and a cursor from one node works on another.
// - A call the cluster cannot answer in time fails with
//   RecordStoreError::busy (lookup too).
// - max_topics is checked like RedisPeerStore's max_torrents: against the
//   last sweep's count plus what this store made since.
// - A put or remove trims at most 1000 expired records of its topic
//   first; a sweep takes the rest.
#include <atomic>
#include <cstdint>
#include <string>

#include "store/record_store.hpp"
#include "store/redis/link.hpp"
#include "store/redis/redis_peer_store.hpp"

namespace cairn::store::redis {

class RedisRecordStore final : public RecordStore {
 public:
  // Reads (or sets) the namespace's epoch and counts the topics; throws
  // std::runtime_error if the cluster does not answer.
  RedisRecordStore(std::shared_ptr<RedisLink> link, RedisOptions options, RecordLimits limits);

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

  std::uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  struct Change;
  void add_put(Batch& b, const RecordPut& p, bool reserved, bool may_create) const;
  // Applies a put's or remove's reply to the local topic count; false if
  // it is no reply of theirs.
  bool read_change(const Replies& replies, std::size_t i, std::uint16_t slot, Change& c);
  // Gives back the quota counts a change released (and moves one), in one
  // exchange.
  void settle_quota(const Change& c, const core::Address* to);
  bool may_create() const;
  std::int64_t shared(core::Seconds now) const {
    return static_cast<std::int64_t>(now) + options_.clock_offset;
  }
  std::int64_t key_ttl() const;
  void fail() const { failures_.fetch_add(1, std::memory_order_relaxed); }

  std::shared_ptr<RedisLink> link_;  // shared with the other store of the factory
  RedisOptions options_;
  RecordLimits limits_;
  std::uint32_t epoch_ = 0;
  std::atomic<std::int64_t> swept_topics_{0};
  std::atomic<std::int64_t> topics_since_{0};
  DueSlots due_;
  mutable std::atomic<std::uint64_t> failures_{0};
};

}  // namespace cairn::store::redis
