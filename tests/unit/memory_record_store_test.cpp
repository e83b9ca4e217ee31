#include "store/memory/memory_record_store.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "record_store_contents.hpp"
#include "record_store_suite.hpp"
#include "store/memory/address_quota.hpp"

namespace cairn::store::testing {
namespace {

RecordStoreFactory memory_record_store(std::size_t shards) {
  return [shards](const RecordLimits& limits) {
    return std::make_unique<MemoryRecordStore>(limits, shards);
  };
}

// One shard puts every topic behind one lock and in one map; two and the
// default spread them.
INSTANTIATE_TEST_SUITE_P(
    Memory, RecordStoreSuite,
    ::testing::Values(RecordStoreBackend{"default_shards", memory_record_store(0)},
                      RecordStoreBackend{"one_shard", memory_record_store(1)},
                      RecordStoreBackend{"two_shards", memory_record_store(2)}),
    record_store_backend_name);

// The suite's helpers, for tests outside it.
struct Helpers : RecordStoreSuite {
  using RecordStoreSuite::key;
  using RecordStoreSuite::put;
  using RecordStoreSuite::records;
  using RecordStoreSuite::t0;
  using RecordStoreSuite::topic;
  using RecordStoreSuite::ttl;
  using RecordStoreSuite::unsigned_id;
  using RecordStoreSuite::v4;
  using RecordStoreSuite::v6;
};
using H = Helpers;

// Everything of a record but its version.
void expect_same_record(const StoredRecord& a, const StoredRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.signature, b.signature);
  EXPECT_EQ(a.registered, b.registered);
  EXPECT_EQ(a.expires_at, b.expires_at);
}

// A store with 30 topics of 1 to 5 records, signed and unsigned, and a
// tombstone in every third topic.
void fill(MemoryRecordStore& s) {
  for (std::uint32_t t = 0; t < 30; ++t) {
    for (std::uint32_t i = 0; i <= t % 5; ++i) {
      const auto id = i % 2 ? H::key(t * 10 + i) : H::unsigned_id(t * 10 + i);
      ASSERT_TRUE(
          s.put(H::put(H::topic(t), id, H::v6(t, i), H::t0 + i, 3 + i, "body")).has_value());
    }
    if (t % 3 == 0) {
      const auto gone = H::key(900 + t);
      ASSERT_TRUE(s.put(H::put(H::topic(t), gone, H::v4(t), H::t0, 1)).has_value());
      ASSERT_TRUE(s.remove(H::topic(t), gone, H::v4(t), 2, H::t0 + 5).has_value());
    }
  }
}

TEST(MemoryRecordStore, ShardCountIsAPowerOfTwo) {
  EXPECT_EQ(MemoryRecordStore(RecordLimits{}).shard_count(),
            MemoryRecordStore::default_shard_count);
  EXPECT_EQ(MemoryRecordStore(RecordLimits{}, 1).shard_count(), 1u);
  EXPECT_EQ(MemoryRecordStore(RecordLimits{}, 5).shard_count(), 8u);
}

// Each topic counts its own versions: puts elsewhere take none of them.
TEST(MemoryRecordStore, PutsToOneTopicLeaveAnothersVersionsAlone) {
  MemoryRecordStore s(RecordLimits{});
  const std::uint64_t first = *s.put(H::put(H::topic(1), H::unsigned_id(1), H::v4(1)));
  for (std::uint32_t i = 0; i < 100; ++i)
    ASSERT_TRUE(s.put(H::put(H::topic(2 + i % 3), H::unsigned_id(i), H::v4(i))).has_value());
  EXPECT_EQ(*s.put(H::put(H::topic(1), H::unsigned_id(2), H::v4(2))), first + 1);
}

TEST(MemoryRecordStore, OffersSnapshots) {
  MemoryRecordStore s(RecordLimits{});
  EXPECT_EQ(s.snapshots(), static_cast<RecordSnapshots*>(&s));
}

TEST(MemoryRecordStore, ForEachSeesEveryTopicInVersionOrder) {
  MemoryRecordStore s(RecordLimits{}, 4);
  fill(s);
  const auto copies = contents(s);
  ASSERT_EQ(copies.size(), 30u);
  std::uint64_t records = 0, tombstones = 0;
  for (const auto& [t, copy] : copies) {
    const auto held = H::records(s, t);
    ASSERT_EQ(copy.records.size(), held.size());
    for (std::size_t i = 0; i < held.size(); ++i) {
      expect_same_record(copy.records[i], held[i]);
      EXPECT_EQ(copy.records[i].version, held[i].version);
    }
    records += copy.records.size();
    tombstones += copy.tombstones.size();
    for (const auto& tomb : copy.tombstones) {
      EXPECT_EQ(tomb.seq, 2u);
      EXPECT_EQ(tomb.until, H::t0 + 5 + RecordLimits{}.tombstone_ttl);
    }
  }
  EXPECT_EQ(records, s.stats().records);
  EXPECT_EQ(tombstones, 10u);
  EXPECT_EQ(tombstones, s.stats().tombstones);
}

TEST(MemoryRecordStore, RestoreOfForEachGivesTheSameStore) {
  MemoryRecordStore a(RecordLimits{});
  fill(a);
  MemoryRecordStore b(RecordLimits{});
  std::uint64_t stored = 0;
  a.for_each([&](const core::TopicId& t, std::span<const StoredRecord> records,
                 std::span<const RecordTombstone> tombstones) {
    auto r = b.restore(t, records, tombstones);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, records.size());
    stored += *r;
  });
  EXPECT_EQ(stored, a.stats().records);
  EXPECT_EQ(b.stats().topics, a.stats().topics);
  EXPECT_EQ(b.stats().records, a.stats().records);
  EXPECT_EQ(b.stats().tombstones, a.stats().tombstones);
  const auto before = contents(a), after = contents(b);
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [t, copy] : before) {
    const TopicContents& back = after.at(t);
    ASSERT_EQ(back.records.size(), copy.records.size());
    for (std::size_t i = 0; i < copy.records.size(); ++i) {
      expect_same_record(back.records[i], copy.records[i]);
      if (i > 0) {
        EXPECT_GT(back.records[i].version, back.records[i - 1].version);
      }
    }
    EXPECT_EQ(back.tombstones, copy.tombstones);
  }
}

TEST(MemoryRecordStore, RestoredRecordsBehaveAsPutOnes) {
  RecordLimits limits;
  limits.max_records_per_address = 2;
  MemoryRecordStore s(limits);
  StoredRecord mine;
  mine.id = H::unsigned_id(1);
  mine.source = H::v4(1);
  mine.registered = 900;
  mine.expires_at = 1100;
  StoredRecord theirs = mine;
  theirs.id = H::key(2);
  theirs.seq = 9;
  theirs.expires_at = 1200;
  const std::vector<RecordTombstone> tombstones = {{H::key(3), 4, 1050}};
  ASSERT_EQ(*s.restore(H::topic(1), std::vector{mine, theirs}, tombstones), 2u);
  // Ownership and seqs as registered; the address's quota is used up.
  EXPECT_EQ(s.put(H::put(H::topic(1), H::unsigned_id(1), H::v4(2), 1000)).error(),
            RecordStoreError::not_owner);
  EXPECT_EQ(s.put(H::put(H::topic(1), H::key(2), H::v4(2), 1000, 9)).error(),
            RecordStoreError::stale_sequence);
  EXPECT_EQ(s.put(H::put(H::topic(1), H::key(3), H::v4(2), 1000, 4)).error(),
            RecordStoreError::stale_sequence);
  EXPECT_EQ(s.put(H::put(H::topic(2), H::unsigned_id(5), H::v4(1), 1000)).error(),
            RecordStoreError::address_quota);
  // Times exact: the tombstone goes at 1050, the records at 1100 and 1200.
  EXPECT_EQ(s.expire(1099), 0u);
  EXPECT_EQ(s.stats().tombstones, 0u);
  EXPECT_EQ(s.expire(1100), 1u);
  EXPECT_EQ(s.expire(1199), 0u);
  EXPECT_EQ(s.expire(1200), 1u);
  EXPECT_EQ(s.stats().tombstones, 1u);  // key(2)'s, from its expiry
  EXPECT_TRUE(s.put(H::put(H::topic(3), H::unsigned_id(5), H::v4(1), 1200)).has_value());
}

TEST(MemoryRecordStore, RestoreKeepsTheCaps) {
  RecordLimits limits;
  limits.max_topics = 2;
  limits.max_records_per_topic = 3;
  limits.max_records_per_address = 4;
  MemoryRecordStore s(limits);
  std::vector<StoredRecord> records(5);
  for (std::uint32_t i = 0; i < records.size(); ++i) {
    records[i].id = H::unsigned_id(i);
    records[i].source = H::v6(1, i);  // one /64
    records[i].expires_at = 2000;
  }
  EXPECT_EQ(*s.restore(H::topic(1), records, {}), 3u);  // the topic's cap
  EXPECT_EQ(*s.restore(H::topic(2), records, {}), 1u);  // the /64's quota
  EXPECT_EQ(s.restore(H::topic(3), records, {}).error(), RecordStoreError::tracker_full);
  EXPECT_EQ(s.stats().topics, 2u);
  EXPECT_EQ(s.stats().records, 4u);
  // Nothing to restore creates no topic.
  MemoryRecordStore t(limits);
  EXPECT_EQ(*t.restore(H::topic(1), {}, {}), 0u);
  EXPECT_EQ(t.stats().topics, 0u);
}

// A snapshot is checked, but not against the store: repeated ids (and a
// tombstone for what cannot have one) must not break its invariants.
TEST(MemoryRecordStore, RestoreSkipsWhatTheTopicHolds) {
  MemoryRecordStore s(RecordLimits{});
  StoredRecord r;
  r.id = H::key(1);
  r.source = H::v4(1);
  r.seq = 5;
  r.expires_at = 2000;
  ASSERT_TRUE(s.put(H::put(H::topic(1), H::unsigned_id(7), H::v4(7))).has_value());
  const std::vector<RecordTombstone> tombstones = {{H::key(1), 9, 3000},
                                                   {H::key(2), 1, 3000},
                                                   {H::key(2), 2, 3000},
                                                   {H::unsigned_id(3), 1, 3000}};
  EXPECT_EQ(*s.restore(H::topic(1), std::vector{r, r}, tombstones), 1u);
  const auto copy = contents(s).at(H::topic(1));
  ASSERT_EQ(copy.records.size(), 2u);
  EXPECT_EQ(copy.records[0].id, H::unsigned_id(7));  // held before: restored ones come after
  EXPECT_EQ(copy.records[1].id, H::key(1));
  EXPECT_GT(copy.records[1].version, copy.records[0].version);
  EXPECT_EQ(copy.tombstones, (std::vector<RecordTombstone>{{H::key(2), 1, 3000}}));
  EXPECT_EQ(s.stats().records, 2u);
  EXPECT_EQ(s.stats().tombstones, 1u);
  ASSERT_TRUE(s.remove(H::topic(1), H::key(1), H::v4(1), 6, 1000).has_value());
  EXPECT_EQ(s.stats().records, 1u);
}

// --- AddressQuota ---

TEST(AddressQuota, CountsIpv4ByAddressAndIpv6By64) {
  AddressQuota q(4, random_hash_key());
  EXPECT_TRUE(q.try_add(H::v4(1), 2));
  EXPECT_TRUE(q.try_add(H::v4(1), 2));
  EXPECT_FALSE(q.try_add(H::v4(1), 2));
  EXPECT_TRUE(q.try_add(H::v4(2), 2));
  EXPECT_EQ(q.count(H::v4(1)), 2u);
  EXPECT_TRUE(q.try_add(H::v6(1, 1), 2));
  EXPECT_TRUE(q.try_add(H::v6(1, 2), 2));
  EXPECT_FALSE(q.try_add(H::v6(1, 3), 2));
  EXPECT_EQ(q.count(H::v6(1, 99)), 2u);
  EXPECT_EQ(q.count(H::v6(2, 1)), 0u);
  q.add(H::v6(1, 4));  // past the cap
  EXPECT_EQ(q.count(H::v6(1, 1)), 3u);
  for (int i = 0; i < 3; ++i) q.release(H::v6(1, 5));
  EXPECT_EQ(q.count(H::v6(1, 1)), 0u);
  q.release(H::v6(1, 1));  // nothing held: no underflow
  EXPECT_EQ(q.count(H::v6(1, 1)), 0u);
  EXPECT_FALSE(q.try_add(H::v4(9), 0));
  EXPECT_EQ(q.count(H::v4(9)), 0u);
}

TEST(AddressQuota, SameUnit) {
  EXPECT_TRUE(AddressQuota::same_unit(H::v6(1, 1), H::v6(1, 2)));
  EXPECT_FALSE(AddressQuota::same_unit(H::v6(1, 1), H::v6(2, 1)));
  EXPECT_FALSE(AddressQuota::same_unit(H::v4(1), H::v4(2)));
  const std::uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
  EXPECT_TRUE(AddressQuota::same_unit(core::Address::v6(mapped), H::v4(1)));
  // An IPv4 address is not the /64 whose first bytes it shares.
  core::Address v6 = H::v4(1);
  v6.family = core::Family::v6;
  EXPECT_FALSE(AddressQuota::same_unit(v6, H::v4(1)));
}

}  // namespace
}  // namespace cairn::store::testing
