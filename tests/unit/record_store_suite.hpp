#pragma once
// The RecordStore contract as one value-parameterized suite: every backend
// instantiates it with a factory, e.g.
//
//   INSTANTIATE_TEST_SUITE_P(Memory, RecordStoreSuite,
//       ::testing::Values(RecordStoreBackend{"memory", make_memory_record_store}),
//       record_store_backend_name);
//
// Include it from exactly one .cpp per test binary (it defines the tests).
// Its helpers are the fixture's own members, so it can share a binary with
// store_suite.hpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/record_store.hpp"
#include "support/endpoints.hpp"
#include "support/ids.hpp"
#include "support/store_results.hpp"

namespace cairn::store::testing {

using RecordStoreFactory = std::function<std::unique_ptr<RecordStore>(const RecordLimits&)>;

struct RecordStoreBackend {
  std::string name;
  RecordStoreFactory make;
};
inline void PrintTo(const RecordStoreBackend& b, std::ostream* os) { *os << b.name; }
inline std::string record_store_backend_name(
    const ::testing::TestParamInfo<RecordStoreBackend>& info) {
  return info.param.name;
}

class RecordStoreSuite : public ::testing::TestWithParam<RecordStoreBackend> {
 protected:
  static constexpr core::Seconds t0 = 1000;
  static constexpr core::Seconds ttl = 600;

  std::unique_ptr<RecordStore> make(RecordLimits limits = {}) { return GetParam().make(limits); }

  // Distinct ids and addresses from small integers (tests/unit/support).
  static core::TopicId topic(std::uint32_t n) { return test::id_of<core::TopicId>(n); }
  static core::RecordId unsigned_id(std::uint32_t n) { return test::unsigned_id_of(n); }
  static core::RecordId key(std::uint32_t n) { return test::key_id_of(n); }
  static core::Address v4(std::uint32_t n) { return test::v4_address(n); }
  // 2001:db8:0:NET::HOST: hosts of one `net` share a /64.
  static core::Address v6(std::uint32_t net, std::uint32_t host) {
    return test::v6_address(net, host);
  }

  static RecordPut put(const core::TopicId& t, const core::RecordId& id,
                       const core::Address& source, core::Seconds now = t0, std::uint64_t seq = 0,
                       std::string_view body = "body") {
    RecordPut p;
    p.topic = t;
    p.id = id;
    p.source = source;
    p.body = body;
    p.seq = seq;
    if (id.is_public_key()) p.signature.fill(static_cast<std::uint8_t>(seq));
    p.now = now;
    p.ttl = ttl;
    return p;
  }
  // A put that must succeed; returns its version.
  static std::uint64_t ok(RecordStore& s, const RecordPut& p) {
    auto r = s.put(p);
    EXPECT_TRUE(r.has_value()) << "refused: " << static_cast<int>(r.error());
    return r.has_value() ? *r : 0;
  }
  // A put that must fail; returns why.
  static RecordStoreError refused(RecordStore& s, const RecordPut& p) {
    auto r = s.put(p);
    EXPECT_FALSE(r.has_value()) << "accepted as version " << *r;
    return r.has_value() ? RecordStoreError{} : r.error();
  }
  static RecordStoreError remove_refused(RecordStore& s, const core::TopicId& t,
                                         const core::RecordId& id, const core::Address& source,
                                         std::uint64_t seq, core::Seconds now) {
    auto r = s.remove(t, id, source, seq, now);
    EXPECT_FALSE(r.has_value()) << "removed";
    return r.has_value() ? RecordStoreError{} : r.error();
  }
  // The topic's records after `after`, as visited.
  static std::vector<StoredRecord> records(const RecordStore& s, const core::TopicId& t,
                                           std::uint64_t after = 0) {
    std::vector<StoredRecord> out;
    const auto read = s.lookup(t, after, [&](const StoredRecord& r) {
      out.push_back(r);
      return true;
    });
    EXPECT_TRUE(read) << "the look-up failed";
    return out;
  }
  static std::vector<core::RecordId> ids(const RecordStore& s, const core::TopicId& t,
                                         std::uint64_t after = 0) {
    std::vector<core::RecordId> out;
    for (const auto& r : records(s, t, after)) out.push_back(r.id);
    return out;
  }
  static void expect_stats(const RecordStore& s, std::uint64_t topics, std::uint64_t records,
                           std::uint64_t tombstones) {
    const RecordStats st = s.stats();
    EXPECT_EQ(st.topics, topics);
    EXPECT_EQ(st.records, records);
    EXPECT_EQ(st.tombstones, tombstones);
  }
};

// --- records, versions and look-ups ---

TEST_P(RecordStoreSuite, EmptyStoreHasNothing) {
  auto s = make();
  EXPECT_EQ(s->lookup(topic(1), 0, [](const StoredRecord&) { return true; }), 0u);
  EXPECT_TRUE(records(*s, topic(1)).empty());
  expect_stats(*s, 0, 0, 0);
  EXPECT_EQ(s->expire(1'000'000), 0u);
  EXPECT_EQ(remove_refused(*s, topic(1), unsigned_id(1), v4(1), 0, t0),
            RecordStoreError::not_found);
}

TEST_P(RecordStoreSuite, PutStoresEveryFieldAsGiven) {
  auto s = make();
  const std::string body("\x01\x00\x05:7000\0binary", 15);
  auto p = put(topic(1), key(1), v6(1, 1), t0, 42, body);
  const std::uint64_t version = ok(*s, p);
  EXPECT_GT(version, 0u);
  const auto got = records(*s, topic(1));
  ASSERT_EQ(got.size(), 1u);
  const StoredRecord& r = got[0];
  EXPECT_EQ(r.id, key(1));
  EXPECT_TRUE(r.is_signed());
  EXPECT_EQ(r.source, v6(1, 1));
  EXPECT_EQ(r.body, body);
  EXPECT_EQ(r.seq, 42u);
  EXPECT_EQ(r.signature, p.signature);
  EXPECT_EQ(r.registered, t0);
  EXPECT_EQ(r.expires_at, t0 + ttl);
  EXPECT_EQ(r.version, version);
  expect_stats(*s, 1, 1, 0);
}

TEST_P(RecordStoreSuite, ReplaceRenewsInPlaceOfAdding) {
  auto s = make();
  const std::uint64_t first = ok(*s, put(topic(1), unsigned_id(1), v4(1), t0, 0, "old"));
  auto again = put(topic(1), unsigned_id(1), v4(1), t0 + 100, 0, "new");
  again.ttl = 60;
  const std::uint64_t second = ok(*s, again);
  EXPECT_GT(second, first);
  const auto got = records(*s, topic(1));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "new");
  EXPECT_EQ(got[0].registered, t0 + 100);
  EXPECT_EQ(got[0].expires_at, t0 + 160);  // the new TTL, even when shorter
  EXPECT_EQ(got[0].version, second);
  expect_stats(*s, 1, 1, 0);
}

// Versions are per topic: no counter all topics share (a hot key on a
// cluster).
TEST_P(RecordStoreSuite, VersionsIncreaseWithinATopic) {
  auto s = make();
  std::map<std::uint32_t, std::uint64_t> last;
  for (std::uint32_t i = 0; i < 50; ++i) {
    const std::uint64_t v = ok(*s, put(topic(i % 7), unsigned_id(i % 11), v4(i % 11)));
    EXPECT_GT(v, last[i % 7]);
    last[i % 7] = v;
  }
}

// A version says where a look-up stands in one topic; anywhere else it
// reads as none.
TEST_P(RecordStoreSuite, AVersionFromAnotherTopicReadsAsNone) {
  auto s = make();
  ok(*s, put(topic(2), unsigned_id(1), v4(1)));
  std::uint64_t elsewhere = 0;
  for (std::uint32_t i = 0; i < 20; ++i) elsewhere = ok(*s, put(topic(1), unsigned_id(i), v4(i)));
  EXPECT_EQ(ids(*s, topic(2), elsewhere), std::vector{unsigned_id(1)});
}

// A topic dropped once empty and made again: a cursor from its first life
// must not hide the records of its second.
TEST_P(RecordStoreSuite, AVersionFromAnEarlierLifeOfATopicReadsAsNone) {
  auto s = make();
  for (std::uint32_t life = 0; life < 20; ++life) {
    const core::Seconds now = t0 + life;
    std::uint64_t before = 0;
    for (std::uint32_t i = 0; i < 5; ++i)
      before = ok(*s, put(topic(1), unsigned_id(i), v4(i), now));
    for (std::uint32_t i = 0; i < 5; ++i)
      ASSERT_TRUE(s->remove(topic(1), unsigned_id(i), v4(i), 0, now).has_value());
    expect_stats(*s, 0, 0, 0);
    const std::uint64_t after = ok(*s, put(topic(1), unsigned_id(9), v4(9), now));
    EXPECT_EQ(ids(*s, topic(1), before), std::vector{unsigned_id(9)});
    EXPECT_EQ(s->lookup(topic(1), before, [](const StoredRecord&) { return true; }), after);
    ASSERT_TRUE(s->remove(topic(1), unsigned_id(9), v4(9), 0, now).has_value());
  }
}

TEST_P(RecordStoreSuite, LookupInVersionOrderAfterACursor) {
  auto s = make();
  const std::uint64_t a = ok(*s, put(topic(1), unsigned_id(1), v4(1)));
  const std::uint64_t b = ok(*s, put(topic(1), unsigned_id(2), v4(2)));
  ok(*s, put(topic(2), unsigned_id(9), v4(9)));  // another topic's versions in between
  const std::uint64_t c = ok(*s, put(topic(1), unsigned_id(3), v4(3)));
  const std::uint64_t a2 =
      ok(*s, put(topic(1), unsigned_id(1), v4(1), t0 + 1));  // moves to the end
  EXPECT_EQ(ids(*s, topic(1)), (std::vector{unsigned_id(2), unsigned_id(3), unsigned_id(1)}));
  EXPECT_EQ(ids(*s, topic(1), a), (std::vector{unsigned_id(2), unsigned_id(3), unsigned_id(1)}));
  EXPECT_EQ(ids(*s, topic(1), b), (std::vector{unsigned_id(3), unsigned_id(1)}));
  EXPECT_EQ(ids(*s, topic(1), c), (std::vector{unsigned_id(1)}));
  EXPECT_TRUE(ids(*s, topic(1), a2).empty());
  std::uint64_t previous = 0;
  const auto highest = s->lookup(topic(1), 0, [&](const StoredRecord& r) {
    EXPECT_GT(r.version, previous);
    previous = r.version;
    return true;
  });
  EXPECT_EQ(highest, a2);
  EXPECT_EQ(s->lookup(topic(1), a2, [](const StoredRecord&) { return true; }), a2);
}

TEST_P(RecordStoreSuite, LookupStopsWhenTheVisitorSaysSo) {
  auto s = make();
  std::uint64_t highest = 0;
  for (std::uint32_t i = 0; i < 10; ++i) highest = ok(*s, put(topic(1), unsigned_id(i), v4(i)));
  int visits = 0;
  const auto returned = s->lookup(topic(1), 0, [&](const StoredRecord& r) {
    EXPECT_EQ(r.id, unsigned_id(static_cast<std::uint32_t>(visits)));
    return ++visits < 3;
  });
  EXPECT_EQ(visits, 3);
  EXPECT_EQ(returned, highest);  // the topic's highest, not the last visited
}

TEST_P(RecordStoreSuite, TopicsAreApart) {
  auto s = make();
  ok(*s, put(topic(1), unsigned_id(1), v4(1), t0, 0, "one"));
  ok(*s, put(topic(2), unsigned_id(1), v4(2), t0, 0, "two"));  // same id, other owner
  EXPECT_EQ(records(*s, topic(1)).at(0).body, "one");
  EXPECT_EQ(records(*s, topic(2)).at(0).body, "two");
  ASSERT_TRUE(s->remove(topic(1), unsigned_id(1), v4(1), 0, t0).has_value());
  EXPECT_EQ(records(*s, topic(2)).size(), 1u);
  expect_stats(*s, 1, 1, 0);
}

// --- ownership ---

TEST_P(RecordStoreSuite, UnsignedRecordsBelongToTheirAddress) {
  auto s = make();
  ok(*s, put(topic(1), unsigned_id(1), v4(1), t0, 0, "mine"));
  EXPECT_EQ(refused(*s, put(topic(1), unsigned_id(1), v4(2), t0 + 1, 0, "theirs")),
            RecordStoreError::not_owner);
  EXPECT_EQ(remove_refused(*s, topic(1), unsigned_id(1), v4(2), 0, t0 + 1),
            RecordStoreError::not_owner);
  const auto got = records(*s, topic(1));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "mine");
  EXPECT_EQ(got[0].registered, t0);
  // The owner is the address, not its /64.
  ok(*s, put(topic(1), unsigned_id(2), v6(1, 1)));
  EXPECT_EQ(refused(*s, put(topic(1), unsigned_id(2), v6(1, 2))), RecordStoreError::not_owner);
  EXPECT_TRUE(s->remove(topic(1), unsigned_id(1), v4(1), 0, t0 + 2).has_value());
  EXPECT_EQ(remove_refused(*s, topic(1), unsigned_id(1), v4(1), 0, t0 + 2),
            RecordStoreError::not_found);
  expect_stats(*s, 1, 1, 0);
}

TEST_P(RecordStoreSuite, SignedRecordsNeedAHigherSeqFromAnyAddress) {
  auto s = make();
  ok(*s, put(topic(1), key(1), v4(1), t0, 5, "five"));
  EXPECT_EQ(refused(*s, put(topic(1), key(1), v4(1), t0, 5, "again")),
            RecordStoreError::stale_sequence);
  EXPECT_EQ(refused(*s, put(topic(1), key(1), v4(1), t0, 4, "older")),
            RecordStoreError::stale_sequence);
  EXPECT_EQ(records(*s, topic(1)).at(0).body, "five");
  ok(*s, put(topic(1), key(1), v4(2), t0 + 1, 6, "six"));  // another address holds the key too
  const auto got = records(*s, topic(1));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].source, v4(2));
  EXPECT_EQ(got[0].seq, 6u);
  EXPECT_EQ(got[0].signature, put(topic(1), key(1), v4(2), t0, 6).signature);
  EXPECT_EQ(remove_refused(*s, topic(1), key(1), v4(3), 6, t0 + 2),
            RecordStoreError::stale_sequence);
  EXPECT_TRUE(s->remove(topic(1), key(1), v4(3), 7, t0 + 2).has_value());
  expect_stats(*s, 1, 0, 1);
}

TEST_P(RecordStoreSuite, SeqOutlivesARemoveByTheTombstoneTtl) {
  RecordLimits limits;
  limits.tombstone_ttl = 300;
  auto s = make(limits);
  ok(*s, put(topic(1), key(1), v4(1), t0, 5));
  ASSERT_TRUE(s->remove(topic(1), key(1), v4(1), 8, t0 + 10).has_value());
  EXPECT_TRUE(records(*s, topic(1)).empty());
  // The remove's seq is the highest seen: replays of it or of older puts fail.
  for (std::uint64_t seq : {5u, 7u, 8u})
    EXPECT_EQ(refused(*s, put(topic(1), key(1), v4(1), t0 + 309, seq)),
              RecordStoreError::stale_sequence);
  EXPECT_EQ(remove_refused(*s, topic(1), key(1), v4(1), 8, t0 + 309),
            RecordStoreError::stale_sequence);
  EXPECT_EQ(remove_refused(*s, topic(1), key(1), v4(1), 9, t0 + 309),
            RecordStoreError::not_found);  // higher, but nothing to remove
  EXPECT_EQ(s->expire(t0 + 309), 0u);
  expect_stats(*s, 1, 0, 1);
  s->expire(t0 + 310);
  expect_stats(*s, 0, 0, 0);
  ok(*s, put(topic(1), key(1), v4(1), t0 + 310, 5));  // forgotten: accepted again
}

TEST_P(RecordStoreSuite, SeqOutlivesAnExpiryByTheTombstoneTtl) {
  RecordLimits limits;
  limits.tombstone_ttl = 300;
  auto s = make(limits);
  ok(*s, put(topic(1), key(1), v4(1), t0, 5));  // expires at t0 + 600
  EXPECT_EQ(s->expire(t0 + ttl + 100), 1u);     // a late sweep
  expect_stats(*s, 1, 0, 1);
  // The tombstone's time runs from the expiry, not from the sweep.
  EXPECT_EQ(refused(*s, put(topic(1), key(1), v4(1), t0 + ttl + 299, 5)),
            RecordStoreError::stale_sequence);
  ok(*s, put(topic(1), key(1), v4(1), t0 + ttl + 300, 5));
  expect_stats(*s, 1, 1, 0);
}

TEST_P(RecordStoreSuite, ALaterPutAfterATombstoneTakesItsPlace) {
  auto s = make();
  ok(*s, put(topic(1), key(1), v4(1), t0, 5));
  ASSERT_TRUE(s->remove(topic(1), key(1), v4(1), 6, t0).has_value());
  ok(*s, put(topic(1), key(1), v4(2), t0 + 1, 7));
  expect_stats(*s, 1, 1, 0);
  EXPECT_EQ(refused(*s, put(topic(1), key(1), v4(2), t0 + 2, 7)), RecordStoreError::stale_sequence);
}

TEST_P(RecordStoreSuite, RemoveOfWhatIsNotThere) {
  auto s = make();
  ok(*s, put(topic(1), unsigned_id(1), v4(1)));
  EXPECT_EQ(remove_refused(*s, topic(2), unsigned_id(1), v4(1), 0, t0),
            RecordStoreError::not_found);
  EXPECT_EQ(remove_refused(*s, topic(1), unsigned_id(2), v4(1), 0, t0),
            RecordStoreError::not_found);
  EXPECT_EQ(remove_refused(*s, topic(1), key(2), v4(1), 1, t0), RecordStoreError::not_found);
  expect_stats(*s, 1, 1, 0);  // no tombstone for a key never held
}

// --- caps ---

TEST_P(RecordStoreSuite, TopicFullRefusesNewRecordsOnly) {
  RecordLimits limits;
  limits.max_records_per_topic = 3;
  auto s = make(limits);
  for (std::uint32_t i = 0; i < 3; ++i) ok(*s, put(topic(1), unsigned_id(i), v4(i)));
  EXPECT_EQ(refused(*s, put(topic(1), unsigned_id(3), v4(3))), RecordStoreError::topic_full);
  ok(*s, put(topic(1), unsigned_id(1), v4(1), t0 + 1));  // a replace
  ok(*s, put(topic(2), unsigned_id(3), v4(3)));          // another topic
  ASSERT_TRUE(s->remove(topic(1), unsigned_id(0), v4(0), 0, t0 + 2).has_value());
  ok(*s, put(topic(1), unsigned_id(3), v4(3), t0 + 2));
  expect_stats(*s, 2, 4, 0);
}

TEST_P(RecordStoreSuite, AddressQuotaCountsAcrossTopicsAndIpv6By64) {
  RecordLimits limits;
  limits.max_records_per_address = 2;
  auto s = make(limits);
  ok(*s, put(topic(1), unsigned_id(1), v4(1)));
  ok(*s, put(topic(2), unsigned_id(2), v4(1)));
  EXPECT_EQ(refused(*s, put(topic(3), unsigned_id(3), v4(1))), RecordStoreError::address_quota);
  ok(*s, put(topic(3), unsigned_id(3), v4(2)));
  ok(*s, put(topic(1), unsigned_id(1), v4(1), t0 + 1));  // a replace
  // One /64 is one count, whatever the host.
  ok(*s, put(topic(1), unsigned_id(10), v6(7, 1)));
  ok(*s, put(topic(2), unsigned_id(11), v6(7, 2)));
  EXPECT_EQ(refused(*s, put(topic(3), unsigned_id(12), v6(7, 3))), RecordStoreError::address_quota);
  ok(*s, put(topic(3), unsigned_id(12), v6(8, 3)));
  // A remove gives the count back.
  ASSERT_TRUE(s->remove(topic(2), unsigned_id(11), v6(7, 2), 0, t0 + 2).has_value());
  ok(*s, put(topic(3), unsigned_id(13), v6(7, 9), t0 + 2));
  // So does an expiry.
  ok(*s, put(topic(4), unsigned_id(20), v4(5), t0 + ttl - 1));
  s->expire(t0 + ttl + 1);
  ok(*s, put(topic(4), unsigned_id(21), v4(1), t0 + ttl + 1));
  ok(*s, put(topic(4), unsigned_id(22), v4(1), t0 + ttl + 1));
  EXPECT_EQ(refused(*s, put(topic(4), unsigned_id(23), v4(1), t0 + ttl + 1)),
            RecordStoreError::address_quota);
}

TEST_P(RecordStoreSuite, QuotaMovesWithASignedRecordToItsNewSource) {
  RecordLimits limits;
  limits.max_records_per_address = 1;
  auto s = make(limits);
  ok(*s, put(topic(1), key(1), v4(1), t0, 1));
  ok(*s, put(topic(2), unsigned_id(2), v4(2)));
  ok(*s, put(topic(1), key(1), v4(2), t0 + 1, 2));       // re-registered from a full address
  ok(*s, put(topic(3), unsigned_id(3), v4(1), t0 + 1));  // the old source's count is free
  EXPECT_EQ(refused(*s, put(topic(3), unsigned_id(4), v4(2), t0 + 1)),
            RecordStoreError::address_quota);
  // The moved record counted: with one of its two records gone, v4(2) is
  // still at its quota, and only with both gone below it.
  ASSERT_TRUE(s->remove(topic(1), key(1), v4(9), 3, t0 + 2).has_value());
  EXPECT_EQ(refused(*s, put(topic(3), unsigned_id(4), v4(2), t0 + 2)),
            RecordStoreError::address_quota);
  ASSERT_TRUE(s->remove(topic(2), unsigned_id(2), v4(2), 0, t0 + 2).has_value());
  ok(*s, put(topic(3), unsigned_id(4), v4(2), t0 + 2));
  ok(*s, put(topic(1), key(5), v4(6), t0 + 2, 1));
  ok(*s, put(topic(1), key(5), v6(1, 1), t0 + 3, 2));    // a move from v4 to v6
  ok(*s, put(topic(4), unsigned_id(6), v4(6), t0 + 3));  // v4(6) is free again
  EXPECT_EQ(refused(*s, put(topic(4), unsigned_id(7), v6(1, 2), t0 + 3)),
            RecordStoreError::address_quota);
}

TEST_P(RecordStoreSuite, TopicCapRefusesNewTopicsOnly) {
  RecordLimits limits;
  limits.max_topics = 2;
  auto s = make(limits);
  ok(*s, put(topic(1), unsigned_id(1), v4(1)));
  ok(*s, put(topic(2), key(2), v4(2), t0, 1));
  EXPECT_EQ(refused(*s, put(topic(3), unsigned_id(3), v4(3))), RecordStoreError::tracker_full);
  ok(*s, put(topic(1), unsigned_id(3), v4(3)));  // held topics still grow
  expect_stats(*s, 2, 3, 0);
  // A topic holding only a tombstone still counts.
  ASSERT_TRUE(s->remove(topic(2), key(2), v4(2), 2, t0).has_value());
  EXPECT_EQ(refused(*s, put(topic(3), unsigned_id(3), v4(3))), RecordStoreError::tracker_full);
  ASSERT_TRUE(s->remove(topic(1), unsigned_id(1), v4(1), 0, t0).has_value());
  ASSERT_TRUE(s->remove(topic(1), unsigned_id(3), v4(3), 0, t0).has_value());
  s->expire(t0 + 1);
  expect_stats(*s, 1, 0, 1);
  ok(*s, put(topic(3), unsigned_id(3), v4(3), t0 + 1));
}

TEST_P(RecordStoreSuite, NoGrowthRefusesNewRecordsAndServesTheRest) {
  auto s = make();
  ok(*s, put(topic(1), unsigned_id(1), v4(1)));
  auto held = put(topic(2), unsigned_id(2), v4(2));
  held.may_grow = false;
  EXPECT_EQ(refused(*s, held), RecordStoreError::tracker_full);  // a new topic
  held = put(topic(1), unsigned_id(2), v4(2));
  held.may_grow = false;
  EXPECT_EQ(refused(*s, held), RecordStoreError::tracker_full);  // a new record
  held = put(topic(1), unsigned_id(1), v4(1), t0 + 1, 0, "renewed");
  held.may_grow = false;
  ok(*s, held);  // a replace
  EXPECT_EQ(records(*s, topic(1)).at(0).body, "renewed");
  expect_stats(*s, 1, 1, 0);
}

TEST_P(RecordStoreSuite, AReplaceNeverFailsACap) {
  RecordLimits limits;
  limits.max_records_per_topic = 1;
  limits.max_records_per_address = 1;
  limits.max_topics = 1;
  auto s = make(limits);
  ok(*s, put(topic(1), key(1), v4(1), t0, 1));
  EXPECT_EQ(refused(*s, put(topic(1), unsigned_id(2), v4(2))), RecordStoreError::topic_full);
  EXPECT_EQ(refused(*s, put(topic(2), unsigned_id(2), v4(2))), RecordStoreError::tracker_full);
  ok(*s, put(topic(1), key(1), v4(1), t0 + 1, 2));
  ok(*s, put(topic(1), key(1), v4(2), t0 + 2, 3));
  expect_stats(*s, 1, 1, 0);
}

TEST_P(RecordStoreSuite, RulesComeBeforeCaps) {
  RecordLimits limits;
  limits.max_records_per_topic = 1;
  auto s = make(limits);
  ok(*s, put(topic(1), key(1), v4(1), t0, 5));
  ASSERT_TRUE(s->remove(topic(1), key(1), v4(1), 6, t0).has_value());
  ok(*s, put(topic(1), unsigned_id(2), v4(2)));  // the topic is full again
  EXPECT_EQ(refused(*s, put(topic(1), key(1), v4(1), t0, 6)), RecordStoreError::stale_sequence);
  EXPECT_EQ(refused(*s, put(topic(1), key(1), v4(1), t0, 7)), RecordStoreError::topic_full);
  auto held = put(topic(1), key(1), v4(1), t0, 6);
  held.may_grow = false;
  EXPECT_EQ(refused(*s, held), RecordStoreError::stale_sequence);
}

// --- expiry ---

TEST_P(RecordStoreSuite, ExpiryIsExactToTheSecond) {
  auto s = make();
  ok(*s, put(topic(1), unsigned_id(1), v4(1)));
  ok(*s, put(topic(1), unsigned_id(2), v4(2), t0 + 10));
  EXPECT_EQ(s->expire(t0 + ttl - 1), 0u);
  EXPECT_EQ(records(*s, topic(1)).size(), 2u);
  EXPECT_EQ(s->expire(t0 + ttl), 1u);  // expires_at <= now: gone
  EXPECT_EQ(ids(*s, topic(1)), std::vector{unsigned_id(2)});
  EXPECT_EQ(s->expire(t0 + ttl + 9), 0u);
  EXPECT_EQ(s->expire(t0 + ttl + 10), 1u);
  expect_stats(*s, 0, 0, 0);  // the topic went with its last record
  EXPECT_EQ(s->lookup(topic(1), 0, [](const StoredRecord&) { return true; }), 0u);
}

TEST_P(RecordStoreSuite, ARenewalMovesTheExpiry) {
  auto s = make();
  ok(*s, put(topic(1), unsigned_id(1), v4(1)));
  ok(*s, put(topic(1), unsigned_id(1), v4(1), t0 + 500));
  EXPECT_EQ(s->expire(t0 + ttl), 0u);
  EXPECT_EQ(s->expire(t0 + 500 + ttl - 1), 0u);
  EXPECT_EQ(s->expire(t0 + 500 + ttl), 1u);
  auto shorter = put(topic(2), unsigned_id(1), v4(1), t0);
  ok(*s, shorter);
  shorter.ttl = 60;
  shorter.now = t0 + 10;
  ok(*s, shorter);
  EXPECT_EQ(s->expire(t0 + 69), 0u);
  EXPECT_EQ(s->expire(t0 + 70), 1u);
}

// put and remove judge by `now`, whenever the last sweep ran.
TEST_P(RecordStoreSuite, PutAndRemoveSeeExpiredRecordsAsGone) {
  RecordLimits limits;
  limits.max_records_per_topic = 1;
  auto s = make(limits);
  ok(*s, put(topic(1), unsigned_id(1), v4(1)));
  EXPECT_EQ(remove_refused(*s, topic(1), unsigned_id(1), v4(1), 0, t0 + ttl),
            RecordStoreError::not_found);
  ok(*s, put(topic(1), unsigned_id(2), v4(2)));
  // Past its time, the record neither fills the topic nor keeps its owner.
  ok(*s, put(topic(1), unsigned_id(2), v4(3), t0 + ttl, 0, "new owner"));
  ok(*s, put(topic(2), key(1), v4(1), t0, 4));
  EXPECT_EQ(refused(*s, put(topic(2), key(1), v4(1), t0 + ttl, 4)),
            RecordStoreError::stale_sequence);  // its seq is a tombstone now
  ok(*s, put(topic(2), key(1), v4(1), t0 + ttl, 5));
  expect_stats(*s, 2, 2, 0);
}

TEST_P(RecordStoreSuite, StatsFollowTopicsRecordsAndTombstones) {
  RecordLimits limits;
  limits.tombstone_ttl = 100;
  auto s = make(limits);
  for (std::uint32_t t = 0; t < 20; ++t)
    for (std::uint32_t i = 0; i <= t % 4; ++i)
      ok(*s, put(topic(t), i % 2 ? key(i) : unsigned_id(i), v4(t * 10 + i), t0, 1));
  expect_stats(*s, 20, 50, 0);
  for (std::uint32_t t = 0; t < 20; t += 2)
    ASSERT_TRUE(s->remove(topic(t), unsigned_id(0), v4(t * 10), 0, t0).has_value());
  s->expire(t0);
  // Topics 0 and 4, ... held only that record; signed ones leave tombstones.
  expect_stats(*s, 15, 40, 0);
  s->expire(t0 + ttl);
  expect_stats(*s, 15, 0, 20);
  s->expire(t0 + ttl + 100);
  expect_stats(*s, 0, 0, 0);
}

TEST_P(RecordStoreSuite, EpochIsFixedPerStoreAndDrawnForEach) {
  auto a = make(), b = make(), c = make();
  EXPECT_EQ(a->epoch(), a->epoch());
  EXPECT_FALSE(a->epoch() == b->epoch() && b->epoch() == c->epoch());
}

// Threads putting, removing, looking up and expiring at once: counts, the
// quota and version order stay exact.
TEST_P(RecordStoreSuite, ConcurrentPutsRemovesAndExpiryKeepExactCounts) {
  constexpr int threads = 4, ops = 50'000;
  constexpr std::uint32_t topics = 50, ids_per_thread = 200, kept = 30;
  RecordLimits limits;
  limits.max_records_per_address = 60;
  limits.tombstone_ttl = 10;
  auto s = make(limits);
  std::atomic<core::Seconds> clock{t0};
  std::atomic<int> running{threads};
  constexpr core::Seconds final_now = 1'000'000;
  // Each thread has its own ids and addresses: v4 for even threads, one
  // /64 with a host per id for odd ones.
  auto source = [](int t, std::uint32_t i) {
    return t % 2 == 0 ? v4(static_cast<std::uint32_t>(t) << 8 | (i % 3)) : v6(t, i);
  };
  auto record_id = [](int t, std::uint32_t i) {
    const std::uint32_t n = static_cast<std::uint32_t>(t) * 1000 + i;
    return i % 2 ? key(n) : unsigned_id(n);
  };
  auto worker = [&](int t) {
    std::mt19937_64 rng(t);
    std::uint64_t seq = 1;
    for (int op = 0; op < ops; ++op) {
      if (op % 500 == 0) clock.fetch_add(1);
      const core::Seconds now = clock.load();
      const std::uint32_t i = static_cast<std::uint32_t>(rng() % ids_per_thread);
      const core::TopicId where = topic(i % topics);
      switch (rng() % 4) {
        case 0:
        case 1: {
          auto p = put(where, record_id(t, i), source(t, i), now, ++seq);
          p.ttl = static_cast<core::Seconds>(1 + rng() % 5);
          (void)s->put(p);
          break;
        }
        case 2:
          (void)s->remove(where, record_id(t, i), source(t, i), ++seq, now);
          break;
        default: {
          std::uint64_t last = 0;
          const auto highest = s->lookup(where, 0, [&](const StoredRecord& r) {
            EXPECT_GT(r.version, last);
            last = r.version;
            return true;
          });
          ASSERT_TRUE(highest);
          EXPECT_GE(*highest, last);
        }
      }
    }
    // Everything above has expired by final_now; this thread's own records
    // are swept first, so none counts against its quota.
    s->expire(final_now);
    for (std::uint32_t i = 0; i < kept; ++i) {
      auto p = put(topic(i % topics), record_id(t, i), source(t, i), final_now, ++seq);
      EXPECT_TRUE(s->put(p).has_value());
    }
    running.fetch_sub(1);
  };
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  std::thread cleaner([&] {
    while (running.load() > 0) s->expire(clock.load());
  });
  for (auto& th : pool) th.join();
  cleaner.join();

  EXPECT_EQ(s->expire(final_now), 0u);
  expect_stats(*s, kept, threads * kept, 0);
  for (std::uint32_t n = 0; n < topics; ++n) {
    const auto got = records(*s, topic(n));
    EXPECT_EQ(got.size(), n < kept ? threads : 0u);
    for (std::size_t k = 1; k < got.size(); ++k) EXPECT_GT(got[k].version, got[k - 1].version);
  }
  // The quota counted each kept record once and nothing else: an even
  // thread's three addresses hold 10 each, an odd thread's /64 holds 30.
  for (int t = 0; t < threads; ++t) {
    const std::uint32_t room = limits.max_records_per_address - (t % 2 == 0 ? 10 : kept);
    for (std::uint32_t k = 0; k < room; ++k)
      ok(*s, put(topic(1000 + t), unsigned_id(50'000 + k), source(t, 0), final_now));
    EXPECT_EQ(refused(*s, put(topic(1000 + t), unsigned_id(60'000), source(t, 0), final_now)),
              RecordStoreError::address_quota);
  }
  s->expire(final_now + ttl + limits.tombstone_ttl);
  expect_stats(*s, 0, 0, 0);
}

}  // namespace cairn::store::testing
