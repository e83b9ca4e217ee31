#include <gtest/gtest.h>
#include <sodium.h>

#include <vector>

#include "codec/rendezvous_json.hpp"  // rv::SignedBy, Cursor, FoundRecord
#include "codec/rendezvous_record.hpp"
#include "frontend/record_format.hpp"
#include "store/memory/memory_record_store.hpp"
#include "support/ids.hpp"
#include "tracker/rendezvous.hpp"

using namespace cairn;
namespace rv = codec::rv;
using tracker::RendezvousError;

namespace {

struct Key {
  std::array<std::uint8_t, 32> pk;
  std::array<std::uint8_t, 64> sk;
  Key() { crypto_sign_keypair(pk.data(), sk.data()); }
  core::RecordId id() const { return *core::RecordId::from_bytes(pk); }
  rv::SignedBy sign(std::string_view message, std::uint64_t seq) const {
    rv::SignedBy s{seq, {}};
    crypto_sign_detached(s.signature.data(), nullptr,
                         reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                         sk.data());
    return s;
  }
};

core::TopicId topic(std::uint8_t n) { return test::id_of<core::TopicId>(n); }
core::RecordId random_id(std::uint8_t n) { return test::unsigned_id_of(n); }

std::string body(std::vector<std::string> addresses, std::vector<std::string> protocols = {}) {
  rv::Record r;
  r.addresses = std::move(addresses);
  r.protocols = std::move(protocols);
  return *rv::encode_body(r);
}

const core::Address kHere = *core::Address::parse("192.0.2.1");

tracker::LookupCall call(const core::TopicId& t, std::uint32_t limit = 50,
                         std::string_view capability = "",
                         std::optional<rv::Cursor> cursor = std::nullopt) {
  return {t, limit, capability, cursor};
}

struct RendezvousTest : ::testing::Test {
  RendezvousTest() { EXPECT_GE(sodium_init(), 0); }
  store::MemoryRecordStore store{store::RecordLimits{}};
  tracker::MemoryGuard memory;
  tracker::Rendezvous rendezvous{{.min_ttl = 60, .max_ttl = 600, .default_ttl = 120},
                                 store,
                                 memory,
                                 frontend::record_format()};
  tracker::AccessList no_list{tracker::AccessMode::off, {}};
  tracker::AccessView access{no_list};

  core::Result<tracker::Granted, RendezvousError> put(const core::TopicId& t,
                                                      const core::RecordId& id,
                                                      const std::string& b, std::uint32_t ttl = 0,
                                                      std::optional<rv::SignedBy> signed_by = {},
                                                      core::Seconds now = 1000) {
    return rendezvous.register_record({t, id, b, ttl, signed_by, kHere}, now, access);
  }

  std::vector<rv::FoundRecord> all(const tracker::LookupCall& call, core::Seconds now,
                                   tracker::LookupOutcome* outcome = nullptr) {
    std::vector<rv::FoundRecord> out;
    auto o = rendezvous.lookup(call, now, access, [&](const rv::FoundRecord& f) {
      out.push_back(f);
      return true;
    });
    EXPECT_TRUE(o);
    if (outcome && o) *outcome = *o;
    return out;
  }
};

}  // namespace

TEST_F(RendezvousTest, GrantsTtlWithinBoundsAndSaysWhenToComeBack) {
  const std::string b = body({":1"});
  EXPECT_EQ(put(topic(1), random_id(1), b, 0)->ttl, 120u);
  EXPECT_EQ(put(topic(1), random_id(2), b, 5)->ttl, 60u);
  EXPECT_EQ(put(topic(1), random_id(3), b, 9999)->ttl, 600u);
  auto g = put(topic(1), random_id(4), b, 300);
  EXPECT_EQ(g->ttl, 300u);
  EXPECT_EQ(g->reannounce_after, 150u);
}

TEST_F(RendezvousTest, OnlyCanonicalBodiesAreStored) {
  std::string reordered = body({}, {"tcp"}) + body({":1"});  // a protocol before an address
  EXPECT_EQ(put(topic(1), random_id(1), reordered).error(), RendezvousError::bad_record);
  EXPECT_EQ(put(topic(1), random_id(1), std::string(rv::kMaxBody + 1, '\x01')).error(),
            RendezvousError::record_too_large);
  EXPECT_TRUE(all(call(topic(1)), 1000).empty());
}

TEST_F(RendezvousTest, SignaturesCoverTopicSeqTtlAndBody) {
  Key k;
  const std::string b = body({":7"});
  auto message = [&](std::uint64_t seq, std::uint32_t ttl) {
    return rv::register_message(topic(1).view(), seq, ttl, b);
  };
  EXPECT_TRUE(put(topic(1), k.id(), b, 300, k.sign(message(1, 300), 1)));
  // Any field other than what was signed fails.
  EXPECT_EQ(put(topic(2), k.id(), b, 300, k.sign(message(2, 300), 2)).error(),
            RendezvousError::bad_signature);
  EXPECT_EQ(put(topic(1), k.id(), b, 200, k.sign(message(2, 300), 2)).error(),
            RendezvousError::bad_signature);
  EXPECT_EQ(put(topic(1), k.id(), body({":8"}), 300, k.sign(message(2, 300), 2)).error(),
            RendezvousError::bad_signature);
  auto resigned = k.sign(message(2, 300), 2);
  resigned.seq = 3;
  EXPECT_EQ(put(topic(1), k.id(), b, 300, resigned).error(), RendezvousError::bad_signature);
  // A key without a signature, or a random id with one, is not a signed record.
  EXPECT_EQ(put(topic(1), k.id(), b).error(), RendezvousError::bad_signature);
  EXPECT_EQ(put(topic(1), random_id(1), b, 300, k.sign(message(2, 300), 2)).error(),
            RendezvousError::bad_signature);
  // Replays and lower sequence numbers, then a signed remove.
  EXPECT_EQ(put(topic(1), k.id(), b, 300, k.sign(message(1, 300), 1)).error(),
            RendezvousError::stale_sequence);
  EXPECT_TRUE(put(topic(1), k.id(), b, 300, k.sign(message(2, 300), 2)));
  auto remove = k.sign(rv::remove_message(topic(1).view(), 3), 3);
  EXPECT_FALSE(rendezvous.unregister(topic(1), k.id(), std::nullopt, kHere, 1000, access));
  EXPECT_TRUE(rendezvous.unregister(topic(1), k.id(), remove, kHere, 1000, access));
  EXPECT_EQ(rendezvous.unregister(topic(1), k.id(), remove, kHere, 1000, access).error(),
            RendezvousError::stale_sequence);
}

TEST_F(RendezvousTest, LookupFiltersPagesAndHidesExpiredRecords) {
  for (std::uint8_t i = 0; i < 6; ++i)
    ASSERT_TRUE(put(topic(1), random_id(i), body({":1"}, {i % 2 ? "webrtc" : "tcp"}), 60));
  ASSERT_TRUE(put(topic(1), random_id(9), body({":1"}, {"webrtc"}), 600, {}, 1030));
  tracker::LookupOutcome o;
  auto page = all(call(topic(1), 2, "webrtc"), 1050, &o);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].id, random_id(1));
  EXPECT_EQ(page[1].id, random_id(3));
  EXPECT_TRUE(o.more);
  auto rest = all(call(topic(1), 10, "webrtc", o.cursor), 1050, &o);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].id, random_id(5));
  EXPECT_EQ(rest[1].id, random_id(9));
  EXPECT_FALSE(o.more);
  EXPECT_EQ(rest[1].last_seen, 20u);
  EXPECT_EQ(rest[1].expires_in, 580u);
  // Past the first records' TTL, before any sweep: they are not handed out.
  auto later = all(call(topic(1), 10), 1060);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].id, random_id(9));
  // A cursor from another store reads from the start.
  rv::Cursor foreign{store.epoch() + 1, o.cursor.version};
  EXPECT_EQ(all(call(topic(1), 10, "", foreign), 1060).size(), 1u);
}

// A topic emptied and made again starts a new range of versions: a cursor
// from its earlier life gets the new records once, then the cursor it is
// handed moves on.
TEST_F(RendezvousTest, ACursorFromAnEarlierLifeOfATopicSeesItsNewRecordsOnce) {
  const std::string b = body({":1"});
  for (std::uint8_t life = 0; life < 20; ++life) {
    ASSERT_TRUE(put(topic(1), random_id(1), b));
    ASSERT_TRUE(put(topic(1), random_id(2), b));
    tracker::LookupOutcome old;
    ASSERT_EQ(all(call(topic(1)), 1000, &old).size(), 2u);
    for (std::uint8_t i : {std::uint8_t{1}, std::uint8_t{2}})
      ASSERT_TRUE(rendezvous.unregister(topic(1), random_id(i), std::nullopt, kHere, 1000, access));
    ASSERT_TRUE(put(topic(1), random_id(3), b));
    tracker::LookupOutcome next;
    const auto found = all(call(topic(1), 50, "", old.cursor), 1000, &next);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].id, random_id(3));
    EXPECT_TRUE(all(call(topic(1), 50, "", next.cursor), 1000).empty());
    ASSERT_TRUE(rendezvous.unregister(topic(1), random_id(3), std::nullopt, kHere, 1000, access));
  }
}

TEST_F(RendezvousTest, ASinkThatIsFullEndsTheAnswerWithMore) {
  for (std::uint8_t i = 0; i < 3; ++i) ASSERT_TRUE(put(topic(1), random_id(i), body({":1"})));
  std::vector<core::RecordId> taken;
  auto o = *rendezvous.lookup(call(topic(1)), 1000, access, [&](const rv::FoundRecord& f) {
    if (taken.size() == 2) return false;
    taken.push_back(f.id);
    return true;
  });
  EXPECT_EQ(taken.size(), 2u);
  EXPECT_TRUE(o.more);
  EXPECT_EQ(o.returned, 2u);
  auto rest = all(call(topic(1), 50, "", o.cursor), 1000);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].id, random_id(2));
}

TEST_F(RendezvousTest, MemoryCapRefusesNewRecordsOnly) {
  static std::uint64_t resident = 0;
  tracker::MemoryGuard guard(1000, [] { return resident; });
  tracker::Rendezvous capped({}, store, guard, frontend::record_format());
  const std::string b = body({":1"});
  ASSERT_TRUE(capped.register_record({topic(1), random_id(1), b, 0, {}, kHere}, 1000, access));
  resident = 950;
  guard.measure();
  EXPECT_EQ(capped.register_record({topic(1), random_id(2), b, 0, {}, kHere}, 1000, access).error(),
            RendezvousError::tracker_full);
  EXPECT_TRUE(capped.register_record({topic(1), random_id(1), b, 0, {}, kHere}, 1000,
                                     access));  // a renewal
}

// A closed tracker is not an open record store: with TopicAccess::access_list
// the tracker's access list decides, for every call, before the store.
TEST_F(RendezvousTest, AccessListDecidesWhichTopicsAreServed) {
  const std::string b = body({":1"});
  ASSERT_TRUE(put(topic(2), random_id(1), b));  // stored while the API was open
  tracker::InfoHashSet listed{core::InfoHash::from_bytes(topic(1).view())};
  tracker::AccessList whitelist{tracker::AccessMode::whitelist, listed};
  tracker::AccessView view{whitelist};
  tracker::RendezvousPolicy policy;
  policy.access = tracker::TopicAccess::access_list;
  tracker::Rendezvous closed(policy, store, memory, frontend::record_format());
  auto lookup = [&](const core::TopicId& t) {
    return closed.lookup(call(t), 1000, view, [](const rv::FoundRecord&) { return true; });
  };
  const auto refused = RendezvousError::topic_not_allowed;

  EXPECT_TRUE(closed.register_record({topic(1), random_id(1), b, 0, {}, kHere}, 1000, view));
  EXPECT_TRUE(lookup(topic(1)));
  EXPECT_EQ(closed.register_record({topic(2), random_id(2), b, 0, {}, kHere}, 1000, view).error(),
            refused);
  EXPECT_EQ(lookup(topic(2)).error(), refused);
  EXPECT_EQ(closed.unregister(topic(2), random_id(1), std::nullopt, kHere, 1000, view).error(),
            refused);
  EXPECT_EQ(all(call(topic(2)), 1000).size(), 1u) << "nothing of the refused topic was touched";
  EXPECT_EQ(tracker::error_code(refused), "topic_not_allowed");

  whitelist.replace({});  // a reload (SIGHUP) applies to the next call
  EXPECT_EQ(lookup(topic(1)).error(), refused);
  tracker::AccessList blacklist{tracker::AccessMode::blacklist, listed};
  tracker::AccessView black_view{blacklist};
  EXPECT_EQ(
      closed.register_record({topic(1), random_id(3), b, 0, {}, kHere}, 1000, black_view).error(),
      refused);
  EXPECT_TRUE(closed.register_record({topic(3), random_id(3), b, 0, {}, kHere}, 1000, black_view));
  // Open (the default) ignores the list.
  EXPECT_TRUE(rendezvous.register_record({topic(2), random_id(4), b, 0, {}, kHere}, 1000, view));
}

TEST(TopicAccess, ParsesItsNames) {
  EXPECT_EQ(tracker::parse_topic_access("open"), tracker::TopicAccess::open);
  EXPECT_EQ(tracker::parse_topic_access("access_list"), tracker::TopicAccess::access_list);
  EXPECT_EQ(tracker::parse_topic_access("whitelist"), std::nullopt);
  EXPECT_EQ(tracker::to_string(tracker::TopicAccess::access_list), "access_list");
}
