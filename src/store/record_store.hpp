#pragma once
// RecordStore: rendezvous records (docs/rendezvous.md) behind one interface,
// apart from the BitTorrent swarms of PeerStore so those keep their compact
// layout and speed. The embedded default is MemoryRecordStore
// (store/memory); every backend must pass tests/unit/record_store_suite.hpp.
//
// Contract:
// - A record is keyed by (topic, id). Its body is stored and returned as
//   given; the store never parses it (the tracker checks it before).
// - Ownership, decided atomically with the update:
//   - an unsigned record (id of 16 bytes) belongs to the source address that
//     created it: a put or remove for it from any other address fails with
//     not_owner;
//   - a signed record (id = a 32-byte public key; the tracker has verified
//     the signature) is replaced or removed only with a higher `seq` than
//     any the store has seen for that (topic, id), else stale_sequence. That
//     highest seq outlives the record by Limits::tombstone_ttl (after a
//     remove or expiry), so replays stay refused.
//   - Those rules come before the caps: a refused replay is stale_sequence
//     even where a cap would also refuse it. Removing a record that is not
//     there is not_found and changes nothing (a signed remove whose seq a
//     tombstone holds is stale_sequence).
// - A put creates or replaces the record, renews its TTL
//   (expires_at = now + ttl) and gives it a new version. Versions are per
//   topic (no store-wide counter, which a cluster would make one hot key):
//   they increase within the topic, so "the topic's records with version
//   > v" is "registered there since v". A topic's versions run on from a
//   start drawn when the topic is created, so a version from another store,
//   or from an earlier life of the topic (dropped once empty, then created
//   again), falls outside the range it has given out; lookup reads such a
//   version as 0.
// - Caps, checked only when a put would add a record: records per topic
//   (topic_full), records per source address across topics, IPv6 per /64
//   (address_quota; a replaced record moves to its new source's count, even
//   past that source's cap), and
//   topics (tracker_full; also when the put says may_grow = false, the
//   memory cap). A replace never fails on a cap it does not grow. A topic
//   counts (max_topics, stats) while it holds a record or a tombstone.
// - expire(now) removes records with expires_at <= now (and tombstones past
//   their time) and drops topics left empty. A tombstone's time runs from
//   the remove, or from the record's expires_at, not from the sweep.
// - put and remove see their topic as expire(now) would leave it (a record
//   past its time is gone: its id is free, its seq lives on as a
//   tombstone), so their outcome never depends on when a sweep last ran.
//   lookup has no `now` and may still visit such a record; the caller
//   judges by expires_at.
// - `now` comes from the caller's monotonic clock; a store never reads one.
// - All methods are safe to call from many threads at once.
// - A store that keeps its state in this process can offer snapshots()
//   (store/snapshots.hpp); one whose state lives elsewhere returns nullptr.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/endpoint.hpp"
#include "core/ids.hpp"
#include "core/record_id.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace cairn::store {

class RecordSnapshots;

struct RecordLimits {
  std::uint32_t max_records_per_topic = 1000;
  std::uint32_t max_records_per_address = 100;
  std::uint32_t max_topics = 1'000'000;
  core::Seconds tombstone_ttl = 3600;  // the tracker sets it to rendezvous.max_ttl
};

// One record as the store holds it.
struct StoredRecord {
  core::RecordId id;
  core::Address source;          // of its last put
  std::string body;              // canonical, as registered
  std::uint64_t seq = 0;         // signed records
  core::Signature signature{};   // signed records
  core::Seconds registered = 0;  // `now` of its last put
  core::Seconds expires_at = 0;
  std::uint64_t version = 0;  // assigned by the store
  bool is_signed() const { return id.is_public_key(); }
};

struct RecordPut {
  core::TopicId topic;
  core::RecordId id;
  core::Address source;
  std::string_view body;
  std::uint64_t seq = 0;        // signed records
  core::Signature signature{};  // signed records
  core::Seconds now = 0;
  core::Seconds ttl = 0;  // granted by the tracker
  bool may_grow = true;   // false: fail with tracker_full rather than add
};

enum class RecordStoreError : std::uint8_t {
  topic_full = 1,
  address_quota,
  tracker_full,
  not_owner,
  stale_sequence,
  not_found,
  busy,  // a store that lives elsewhere could not do it now; the client should retry
};

struct RecordStats {
  std::uint64_t topics = 0;
  std::uint64_t records = 0;
  std::uint64_t tombstones = 0;
};

class RecordStore {
 public:
  virtual ~RecordStore() = default;

  // Returns the version given to the record.
  virtual core::Result<std::uint64_t, RecordStoreError> put(const RecordPut& put) = 0;

  // `seq` is the signed remove's sequence (ignored for unsigned records).
  virtual core::Result<void, RecordStoreError> remove(const core::TopicId& topic,
                                                      const core::RecordId& id,
                                                      const core::Address& source,
                                                      std::uint64_t seq, core::Seconds now) = 0;

  // Calls `visit` for the topic's records with version > after_version
  // (read as 0 if the topic has not given it out), in ascending version
  // order, under the topic's lock (so `visit` must be quick and must not
  // call the store); it returns false to stop early. Returns the last
  // version the topic gave out (0 if there is no such topic): a look-up
  // that visited everything continues from there. busy when a store that
  // lives elsewhere cannot read the topic now (what it visited before that
  // is then no answer).
  using Visitor = std::function<bool(const StoredRecord&)>;
  virtual core::Result<std::uint64_t, RecordStoreError> lookup(const core::TopicId& topic,
                                                               std::uint64_t after_version,
                                                               const Visitor& visit) const = 0;

  // Removes records and tombstones whose time has passed; returns how many
  // records it removed.
  virtual std::uint64_t expire(core::Seconds now) = 0;

  virtual RecordStats stats() const = 0;

  // A number drawn when the store was made: cursors (epoch + version) from
  // another store or an earlier process read as none. (Per-topic version
  // ranges tell those apart too, so a store shared by several processes
  // can give each the same epoch.)
  virtual std::uint32_t epoch() const = 0;

  // The store's snapshot capability, or nullptr if it has none.
  virtual RecordSnapshots* snapshots() { return nullptr; }
};

}  // namespace cairn::store
