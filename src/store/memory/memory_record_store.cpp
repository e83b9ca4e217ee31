#include "store/memory/memory_record_store.hpp"

#include <algorithm>
#include <bit>
#include <boost/unordered/unordered_flat_map.hpp>
#include <limits>
#include <mutex>
#include <vector>

namespace cairn::store {

namespace {

constexpr core::Seconds never = std::numeric_limits<core::Seconds>::max();

// `at + ttl`, saturating: a time that does not fit is "never".
core::Seconds later(core::Seconds at, core::Seconds ttl) {
  return at > never - ttl ? never : at + ttl;
}

// The map mixes the hash again (it is not marked avalanching), so its slots
// stay independent of the bits that picked the shard.
struct TopicHash {
  const HashKey* key = nullptr;
  std::size_t operator()(const core::TopicId& t) const { return keyed_hash(t.bytes, *key); }
};

void add(std::atomic<std::uint64_t>& counter, std::int64_t delta) {
  counter.store(counter.load(std::memory_order_relaxed) + static_cast<std::uint64_t>(delta),
                std::memory_order_relaxed);
}

template <class T>
T* find_id(std::vector<T>& items, const core::RecordId& id) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& t) { return t.id == id; });
  return it == items.end() ? nullptr : &*it;
}

// Every field of a put but the id, which the record already has.
void assign(StoredRecord& r, const RecordPut& p, std::uint64_t version) {
  r.source = p.source;
  r.body.assign(p.body);
  r.seq = p.seq;
  r.signature = p.signature;
  r.registered = p.now;
  r.expires_at = later(p.now, p.ttl);
  r.version = version;
}

}  // namespace

struct MemoryRecordStore::Topic {
  std::vector<StoredRecord> records;  // ascending version
  std::vector<RecordTombstone> tombstones;
  // The versions given out so far: [first_version, last_version], empty
  // (last one below first) until the first put.
  std::uint64_t first_version = 0;
  std::uint64_t last_version = 0;
  // Nothing here is due before this: a lower bound (a renewal may push a
  // record's time later), made exact by each sweep, so sweeps skip topics
  // with nothing due without reading their records.
  core::Seconds next_due = never;

  explicit Topic(std::uint64_t start) : first_version(start), last_version(start - 1) {}
  std::uint64_t next_version() { return ++last_version; }
  bool gave_out(std::uint64_t version) const {
    return version >= first_version && version <= last_version;
  }

  bool empty() const { return records.empty() && tombstones.empty(); }
  StoredRecord* find(const core::RecordId& id) { return find_id(records, id); }
  RecordTombstone* find_tombstone(const core::RecordId& id) { return find_id(tombstones, id); }
  bool holds(const core::RecordId& id) {
    return find(id) != nullptr || find_tombstone(id) != nullptr;
  }
  void due_at(core::Seconds t) { next_due = std::min(next_due, t); }
  void recompute_due() {
    next_due = never;
    for (const auto& r : records) due_at(r.expires_at);
    for (const auto& t : tombstones) due_at(t.until);
  }
};

// Padded to a cache line so neighbouring shards' locks do not false-share.
struct alignas(64) MemoryRecordStore::Shard {
  using Map = boost::unordered_flat_map<core::TopicId, Topic, TopicHash>;
  // A topic's sizes before an operation, to count what it changed.
  struct Sizes {
    std::size_t records, tombstones;
  };

  mutable std::mutex mutex;
  Map topics;
  std::uint64_t start_seed = 0;  // drawn at start; advanced for each topic made
  // Written only under `mutex`; atomic so stats() can read them without it.
  std::atomic<std::uint64_t> records{0};
  std::atomic<std::uint64_t> tombstones{0};

  static Sizes sizes(const Topic& t) { return {t.records.size(), t.tombstones.size()}; }
  // A new, empty topic whose versions start anywhere in [1, 2^62]: far
  // from any earlier life's range, with 2^62 versions left above it.
  Map::iterator make_topic(const core::TopicId& id) {
    start_seed += 0x9e3779b97f4a7c15;  // SplitMix64
    std::uint64_t x = start_seed;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
    x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
    x ^= x >> 31;
    return topics.try_emplace(id, (x >> 2) + 1).first;
  }
  void recount(const Sizes& before, const Topic& after) {
    add(records, static_cast<std::int64_t>(after.records.size() - before.records));
    add(tombstones, static_cast<std::int64_t>(after.tombstones.size() - before.tombstones));
  }
  // Brings the counts up to date and drops the topic if the operation left
  // it empty; returns whether it did.
  bool settle(Map::iterator it, const Sizes& before) {
    recount(before, it->second);
    if (!it->second.empty()) return false;
    topics.erase(it);
    return true;
  }
};

MemoryRecordStore::MemoryRecordStore(RecordLimits limits, std::size_t shard_count)
    : limits_(limits),
      mask_(std::bit_ceil(shard_count == 0 ? default_shard_count : shard_count) - 1),
      hash_key_(random_hash_key()),
      epoch_(randombytes_random()),
      shards_(new Shard[mask_ + 1]),
      quota_(mask_ + 1, hash_key_) {
  for (std::size_t i = 0; i <= mask_; ++i) {
    shards_[i].topics = Shard::Map(0, TopicHash{&hash_key_});
    randombytes_buf(&shards_[i].start_seed, sizeof shards_[i].start_seed);
  }
}

MemoryRecordStore::~MemoryRecordStore() = default;

MemoryRecordStore::Shard& MemoryRecordStore::shard_for(const core::TopicId& topic) const {
  return shards_[keyed_hash(topic.bytes, hash_key_) & mask_];
}

bool MemoryRecordStore::take_topic_slot() {
  if (topics_.fetch_add(1, std::memory_order_relaxed) < limits_.max_topics) return true;
  topics_.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

core::Result<std::uint64_t, RecordStoreError> MemoryRecordStore::put(const RecordPut& p) {
  Shard& shard = shard_for(p.topic);
  std::lock_guard lock(shard.mutex);
  auto it = shard.topics.find(p.topic);
  if (it == shard.topics.end()) {
    // A put into a new topic always adds a record, and a topic.
    if (!p.may_grow || !take_topic_slot()) return RecordStoreError::tracker_full;
    it = shard.make_topic(p.topic);
  }
  const Shard::Sizes before = Shard::sizes(it->second);
  expire_topic(it->second, p.now);
  auto result = put_into(it->second, p);
  if (shard.settle(it, before)) topics_.fetch_sub(1, std::memory_order_relaxed);
  return result;
}

core::Result<std::uint64_t, RecordStoreError> MemoryRecordStore::put_into(Topic& topic,
                                                                          const RecordPut& p) {
  StoredRecord* held = topic.find(p.id);
  if (held == nullptr) return add_record(topic, p);
  if (!held->is_signed() && held->source != p.source) return RecordStoreError::not_owner;
  if (held->is_signed() && p.seq <= held->seq) return RecordStoreError::stale_sequence;
  // A signed record counts against whoever registered it last.
  if (!AddressQuota::same_unit(held->source, p.source)) {
    quota_.release(held->source);
    quota_.add(p.source);
  }
  const std::uint64_t version = topic.next_version();
  assign(*held, p, version);
  topic.due_at(held->expires_at);
  std::rotate(held, held + 1, topic.records.data() + topic.records.size());  // to the end
  return version;
}

// Rules of the record first (a replay is refused whatever the caps), then
// the caps, cheapest first.
core::Result<std::uint64_t, RecordStoreError> MemoryRecordStore::add_record(Topic& topic,
                                                                            const RecordPut& p) {
  const RecordTombstone* tombstone = topic.find_tombstone(p.id);
  if (tombstone != nullptr && p.seq <= tombstone->seq) return RecordStoreError::stale_sequence;
  if (!p.may_grow) return RecordStoreError::tracker_full;
  if (topic.records.size() >= limits_.max_records_per_topic) return RecordStoreError::topic_full;
  if (!quota_.try_add(p.source, limits_.max_records_per_address))
    return RecordStoreError::address_quota;
  // The record holds the highest seq from now on.
  if (tombstone != nullptr)
    topic.tombstones.erase(topic.tombstones.begin() + (tombstone - topic.tombstones.data()));
  StoredRecord& r = topic.records.emplace_back();
  r.id = p.id;
  const std::uint64_t version = topic.next_version();
  assign(r, p, version);
  topic.due_at(r.expires_at);
  return version;
}

core::Result<void, RecordStoreError> MemoryRecordStore::remove(const core::TopicId& topic_id,
                                                               const core::RecordId& id,
                                                               const core::Address& source,
                                                               std::uint64_t seq,
                                                               core::Seconds now) {
  Shard& shard = shard_for(topic_id);
  std::lock_guard lock(shard.mutex);
  auto it = shard.topics.find(topic_id);
  if (it == shard.topics.end()) return RecordStoreError::not_found;
  const Shard::Sizes before = Shard::sizes(it->second);
  expire_topic(it->second, now);
  auto result = remove_from(it->second, id, source, seq, now);
  if (shard.settle(it, before)) topics_.fetch_sub(1, std::memory_order_relaxed);
  return result;
}

core::Result<void, RecordStoreError> MemoryRecordStore::remove_from(Topic& topic,
                                                                    const core::RecordId& id,
                                                                    const core::Address& source,
                                                                    std::uint64_t seq,
                                                                    core::Seconds now) {
  StoredRecord* held = topic.find(id);
  if (id.is_public_key()) {
    const RecordTombstone* tombstone = topic.find_tombstone(id);
    if ((held != nullptr && seq <= held->seq) || (tombstone != nullptr && seq <= tombstone->seq))
      return RecordStoreError::stale_sequence;
  }
  if (held == nullptr) return RecordStoreError::not_found;
  if (!held->is_signed() && held->source != source) return RecordStoreError::not_owner;
  forget(topic, *held, seq, later(now, limits_.tombstone_ttl), now);
  topic.records.erase(topic.records.begin() + (held - topic.records.data()));
  return {};
}

void MemoryRecordStore::forget(Topic& topic, const StoredRecord& r, std::uint64_t seq,
                               core::Seconds until, core::Seconds now) {
  quota_.release(r.source);
  if (!r.is_signed() || until <= now) return;
  topic.tombstones.push_back({r.id, seq, until});
  topic.due_at(until);
}

// A record's tombstone lives from its expiry, not from the sweep that finds
// it, so a late sweep lengthens nothing.
std::uint64_t MemoryRecordStore::expire_topic(Topic& topic, core::Seconds now) {
  if (now < topic.next_due) return 0;
  std::erase_if(topic.tombstones, [&](const RecordTombstone& t) { return t.until <= now; });
  const std::size_t removed = std::erase_if(topic.records, [&](const StoredRecord& r) {
    if (r.expires_at > now) return false;
    forget(topic, r, r.seq, later(r.expires_at, limits_.tombstone_ttl), now);
    return true;
  });
  topic.recompute_due();
  return removed;
}

core::Result<std::uint64_t, RecordStoreError> MemoryRecordStore::lookup(
    const core::TopicId& topic, std::uint64_t after_version, const Visitor& visit) const {
  Shard& shard = shard_for(topic);
  std::lock_guard lock(shard.mutex);
  auto it = shard.topics.find(topic);
  if (it == shard.topics.end()) return std::uint64_t{0};
  const Topic& held = it->second;
  const std::uint64_t after = held.gave_out(after_version) ? after_version : 0;
  auto from =
      std::upper_bound(held.records.begin(), held.records.end(), after,
                       [](std::uint64_t v, const StoredRecord& r) { return v < r.version; });
  for (; from != held.records.end(); ++from) {
    if (!visit(*from)) break;
  }
  return held.last_version;
}

std::uint64_t MemoryRecordStore::expire(core::Seconds now) {
  std::uint64_t removed = 0;
  for (std::size_t i = 0; i <= mask_; ++i) {
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mutex);
    const std::size_t dropped = boost::unordered::erase_if(shard.topics, [&](auto& entry) {
      Topic& topic = entry.second;
      const Shard::Sizes before = Shard::sizes(topic);
      removed += expire_topic(topic, now);
      shard.recount(before, topic);
      return topic.empty();
    });
    topics_.fetch_sub(dropped, std::memory_order_relaxed);
  }
  return removed;
}

RecordStats MemoryRecordStore::stats() const {
  RecordStats s;
  s.topics = topics_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i <= mask_; ++i) {
    s.records += shards_[i].records.load(std::memory_order_relaxed);
    s.tombstones += shards_[i].tombstones.load(std::memory_order_relaxed);
  }
  return s;
}

void MemoryRecordStore::for_each(const TopicVisitor& visit) const {
  struct Copy {
    core::TopicId topic;
    std::size_t records_end, tombstones_end;  // of its items in the vectors below
  };
  std::vector<Copy> topics;
  std::vector<StoredRecord> records;
  std::vector<RecordTombstone> tombstones;
  for (std::size_t i = 0; i <= mask_; ++i) {
    topics.clear();
    records.clear();
    tombstones.clear();
    {
      std::lock_guard lock(shards_[i].mutex);
      for (const auto& [id, topic] : shards_[i].topics) {
        records.insert(records.end(), topic.records.begin(), topic.records.end());
        tombstones.insert(tombstones.end(), topic.tombstones.begin(), topic.tombstones.end());
        topics.push_back({id, records.size(), tombstones.size()});
      }
    }
    std::size_t r = 0, t = 0;
    for (const Copy& c : topics) {
      visit(c.topic, std::span<const StoredRecord>(records).subspan(r, c.records_end - r),
            std::span<const RecordTombstone>(tombstones).subspan(t, c.tombstones_end - t));
      r = c.records_end;
      t = c.tombstones_end;
    }
  }
}

core::Result<std::uint32_t, RecordStoreError> MemoryRecordStore::restore(
    const core::TopicId& topic_id, std::span<const StoredRecord> records,
    std::span<const RecordTombstone> tombstones) {
  if (records.empty() && tombstones.empty()) return 0u;
  Shard& shard = shard_for(topic_id);
  std::lock_guard lock(shard.mutex);
  auto it = shard.topics.find(topic_id);
  if (it == shard.topics.end()) {
    if (!take_topic_slot()) return RecordStoreError::tracker_full;
    it = shard.make_topic(topic_id);
  }
  Topic& topic = it->second;
  const Shard::Sizes before = Shard::sizes(topic);
  for (const StoredRecord& r : records) {
    if (topic.holds(r.id) || topic.records.size() >= limits_.max_records_per_topic ||
        !quota_.try_add(r.source, limits_.max_records_per_address))
      continue;
    StoredRecord& added = topic.records.emplace_back(r);
    added.version = topic.next_version();
    topic.due_at(added.expires_at);
  }
  for (const RecordTombstone& t : tombstones) {
    if (!t.id.is_public_key() || topic.holds(t.id)) continue;  // only signed records leave one
    topic.tombstones.push_back(t);
    topic.due_at(t.until);
  }
  const auto stored = static_cast<std::uint32_t>(topic.records.size() - before.records);
  if (shard.settle(it, before)) topics_.fetch_sub(1, std::memory_order_relaxed);
  return stored;
}

}  // namespace cairn::store
