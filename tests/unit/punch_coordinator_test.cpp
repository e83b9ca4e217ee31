#include "tracker/punch_coordinator.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <set>
#include <string_view>
#include <vector>

#include "codec/rendezvous_record.hpp"
#include "frontend/record_format.hpp"
#include "store/memory/memory_record_store.hpp"
#include "support/endpoints.hpp"
#include "support/ids.hpp"

using namespace cairn;
namespace punch = core::punch;
using punch::Role;
using tracker::PunchError;
using tracker::PunchEvent;
using tracker::PunchOutcome;

namespace {

const core::TopicId kTopic = test::id_of<core::TopicId>(1);
const core::Endpoint kA = test::v4(1, 40001);  // behind one NAT
const core::Endpoint kB = test::v4(2, 40002);  // behind another
const core::Endpoint kC = test::v4(3, 40003);
constexpr core::Millis kStart = 1'000'000;

core::RecordId rid(std::uint32_t n) { return test::unsigned_id_of(n); }

tracker::PunchSecrets secrets() {
  tracker::PunchSecrets s;
  s.token_key.fill(7);
  s.id_key.fill(9);
  return s;
}

std::string body() {
  codec::rv::Record r;
  r.addresses = {":7000"};
  return *codec::rv::encode_body(r);
}

PunchError error_of(const PunchOutcome& o) {
  auto* r = o.reply ? std::get_if<tracker::PunchRefusal>(&*o.reply) : nullptr;
  return r ? r->error : PunchError{};
}

template <class T>
const T& reply_as(const PunchOutcome& o) {
  EXPECT_TRUE(o.reply && std::holds_alternative<T>(*o.reply));
  return std::get<T>(*o.reply);
}

template <class T>
const T& other_as(const PunchOutcome& o) {
  EXPECT_TRUE(o.other && std::holds_alternative<T>(o.other->answer));
  return std::get<T>(o.other->answer);
}

struct PunchTest : ::testing::Test {
  PunchTest() { EXPECT_GE(sodium_init(), 0); }

  store::MemoryRecordStore store{store::RecordLimits{}};
  tracker::MemoryGuard memory;
  tracker::Rendezvous rendezvous{{}, store, memory, frontend::record_format()};
  tracker::AccessList no_list{tracker::AccessMode::off, {}};
  tracker::AccessView access{no_list};
  tracker::PunchPolicy policy;
  std::unique_ptr<tracker::PunchCoordinator> coordinator = make();

  std::unique_ptr<tracker::PunchCoordinator> make() {
    return std::make_unique<tracker::PunchCoordinator>(policy, rendezvous, secrets());
  }
  void remake() { coordinator = make(); }

  void record(std::uint32_t n, const core::Endpoint& from) {
    auto granted = rendezvous.register_record({kTopic, rid(n), body(), 600, {}, from.address},
                                              kStart / 1000, access);
    ASSERT_TRUE(granted.has_value());
  }
  PunchOutcome session(std::uint32_t n, const core::Endpoint& from, core::Millis now = kStart,
                       bool closing = false) {
    return coordinator->session({{1, 100 + n}, kTopic, rid(n), closing}, from, now, access);
  }
  PunchOutcome connect(const core::Endpoint& from, std::uint32_t target,
                       core::Millis now = kStart) {
    return coordinator->connect({{1, 200}, kTopic, rid(target)}, from, now, access);
  }
  PunchOutcome ready(const core::Endpoint& from, const punch::Offer& o, core::Millis now,
                     bool refuse = false, std::uint32_t txid = 300) {
    return coordinator->ready({{1, txid}, o.attempt, o.token, refuse}, from, now);
  }
  PunchOutcome relay(const core::Endpoint& from, const punch::Offer& o, core::Millis now,
                     std::span<const std::uint8_t> payload) {
    return coordinator->relay({{1, 400}, o.attempt, o.token, payload}, from, now);
  }

  // A and B hold records and sessions; A connects to B. Returns A's offer.
  punch::Offer introduce(PunchOutcome* out = nullptr) {
    record(1, kA);
    record(2, kB);
    EXPECT_EQ(session(1, kA).event, PunchEvent::session_opened);
    EXPECT_EQ(session(2, kB).event, PunchEvent::session_opened);
    auto o = connect(kA, 2);
    if (out) *out = o;
    return reply_as<punch::Offer>(o);
  }
};

}  // namespace

TEST_F(PunchTest, OnlyTheRecordsHolderOpensItsSession) {
  EXPECT_EQ(error_of(session(1, kA)), PunchError::not_found);
  record(1, kA);
  EXPECT_EQ(error_of(session(1, kC)), PunchError::not_owner);  // another address
  auto ok = session(1, kA);
  EXPECT_EQ(ok.event, PunchEvent::session_opened);
  const auto& a = reply_as<punch::SessionAnswer>(ok);
  EXPECT_EQ(a.observed, kA);
  EXPECT_EQ(a.keepalive, 15);
  EXPECT_EQ(a.session_ttl, 45);
  EXPECT_FALSE(a.relay);
  // The same address from another port (a new socket, or the NAT's new
  // mapping) holds the record too, and takes the session over.
  core::Endpoint moved{kA.address, 50000};
  EXPECT_EQ(session(1, moved).event, PunchEvent::session_opened);
  EXPECT_EQ(coordinator->stats().sessions, 1u);
}

TEST_F(PunchTest, KeepAlivesKeepASessionAndItEndsWithout) {
  introduce();
  // Refreshed at 40 s: alive at 80 s, gone at 86 s (45 s after the refresh).
  EXPECT_EQ(session(2, kB, kStart + 40'000).event, PunchEvent::session_refreshed);
  EXPECT_EQ(session(1, kA, kStart + 40'000).event, PunchEvent::session_refreshed);
  EXPECT_EQ(error_of(connect(kA, 2, kStart + 84'000)), PunchError{});
  EXPECT_EQ(error_of(connect(kA, 2, kStart + 86'000)), PunchError::no_session);
  coordinator->expire(kStart + 150'000);  // the attempt made at 84 s has ended too
  EXPECT_EQ(coordinator->stats().sessions, 0u);
  EXPECT_EQ(coordinator->stats().attempts, 0u);
}

TEST_F(PunchTest, ClosingEndsTheSession) {
  record(1, kA);
  session(1, kA);
  auto closed = session(1, kA, kStart, true);
  EXPECT_EQ(closed.event, PunchEvent::session_closed);
  EXPECT_EQ(reply_as<punch::SessionAnswer>(closed).session_ttl, 0);
  EXPECT_EQ(coordinator->stats().sessions, 0u);
}

TEST_F(PunchTest, ConnectNeedsBothSessions) {
  record(1, kA);
  record(2, kB);
  EXPECT_EQ(error_of(connect(kA, 2)), PunchError::no_session);
  session(1, kA);
  EXPECT_EQ(error_of(connect(kA, 2)), PunchError::not_found);  // B keeps no session
  EXPECT_EQ(error_of(connect(kA, 1)), PunchError::self);
  core::Endpoint v6 = test::v6(2, 40002);
  record(3, v6);
  session(3, v6);
  EXPECT_EQ(error_of(connect(kA, 3)), PunchError::family_mismatch);
}

TEST_F(PunchTest, OffersCarryTheOtherSideAndOneTokenBindingBoth) {
  PunchOutcome out;
  auto mine = introduce(&out);
  EXPECT_EQ(out.event, PunchEvent::attempt_started);
  EXPECT_EQ(mine.transaction_id, 200u);
  EXPECT_EQ(mine.role, Role::requester);
  EXPECT_EQ(mine.peer, kB);
  EXPECT_EQ(mine.peer_id, rid(2));
  EXPECT_EQ(mine.expires_in, 60);
  ASSERT_TRUE(out.other);
  EXPECT_EQ(out.other->to, kB);
  const auto& theirs = other_as<punch::Offer>(out);
  EXPECT_EQ(theirs.transaction_id, 0u);  // unasked
  EXPECT_EQ(theirs.role, Role::target);
  EXPECT_EQ(theirs.peer, kA);
  EXPECT_EQ(theirs.peer_id, rid(1));
  EXPECT_EQ(theirs.attempt, mine.attempt);
  EXPECT_EQ(theirs.token, mine.token);
  core::Millis expires = kStart + 60'000;
  EXPECT_EQ(mine.token, tracker::punch_token(secrets(), mine.attempt, kA, kB, expires));
  EXPECT_NE(mine.token, tracker::punch_token(secrets(), mine.attempt, kA, kC, expires));
  EXPECT_NE(mine.token, tracker::punch_token(secrets(), mine.attempt, kC, kB, expires));
}

TEST_F(PunchTest, SyncTimesBothStartsTogether) {
  auto o = introduce();
  // A answers 10 ms after its offer, B 50 ms after: A waits (50 - 10) / 2.
  EXPECT_FALSE(ready(kA, o, kStart + 10, false, 301).reply);  // waits for B
  auto both = ready(kB, o, kStart + 50, false, 302);
  EXPECT_EQ(both.event, PunchEvent::synced);
  const auto& to_b = reply_as<punch::Sync>(both);
  EXPECT_EQ(to_b.transaction_id, 302u);
  EXPECT_EQ(to_b.delay_ms, 0);
  EXPECT_EQ(to_b.rtt_ms, 50);
  ASSERT_TRUE(both.other);
  EXPECT_EQ(both.other->to, kA);
  const auto& to_a = other_as<punch::Sync>(both);
  EXPECT_EQ(to_a.transaction_id, 301u);
  EXPECT_EQ(to_a.delay_ms, 20);
  EXPECT_EQ(to_a.rtt_ms, 10);
  // A repeated ready after the sync: start at once.
  auto late = ready(kA, o, kStart + 300, false, 303);
  const auto& again = reply_as<punch::Sync>(late);
  EXPECT_EQ(again.delay_ms, 0);
  EXPECT_EQ(again.transaction_id, 303u);
}

TEST_F(PunchTest, ReadyNeedsTheTokenAndOneOfTheTwoEndpoints) {
  auto o = introduce();
  auto forged = o;
  forged.token[0] ^= 1;
  EXPECT_EQ(error_of(ready(kA, forged, kStart + 1)), PunchError::unknown_attempt);
  EXPECT_EQ(error_of(ready(kC, o, kStart + 1)), PunchError::unknown_attempt);
  EXPECT_EQ(error_of(ready({kA.address, 1}, o, kStart + 1)), PunchError::unknown_attempt);
  // The token lives token_ttl (60 s).
  EXPECT_EQ(error_of(ready(kA, o, kStart + 60'000)), PunchError::unknown_attempt);
}

TEST_F(PunchTest, ASilentTargetIsOfferedAgainThenNotResponding) {
  auto o = introduce();
  auto waiting = ready(kA, o, kStart + 500);
  EXPECT_FALSE(waiting.reply);
  ASSERT_TRUE(waiting.other);
  EXPECT_EQ(waiting.other->to, kB);
  EXPECT_EQ(other_as<punch::Offer>(waiting).role, Role::target);  // B's offer again
  EXPECT_EQ(error_of(ready(kA, o, kStart + 2001)), PunchError::not_responding);
  EXPECT_EQ(error_of(ready(kB, o, kStart + 2100)), PunchError::not_responding);  // too late
}

TEST_F(PunchTest, ARefusalReachesTheRequester) {
  auto o = introduce();
  EXPECT_FALSE(ready(kA, o, kStart + 5, false, 301).reply);
  auto refused = ready(kB, o, kStart + 6, true);
  EXPECT_EQ(error_of(refused), PunchError::refused);
  ASSERT_TRUE(refused.other);
  EXPECT_EQ(refused.other->to, kA);
  const auto& to_a = other_as<tracker::PunchRefusal>(refused);
  EXPECT_EQ(to_a.transaction_id, 301u);
  EXPECT_EQ(to_a.error, PunchError::refused);
  EXPECT_EQ(error_of(ready(kA, o, kStart + 7)), PunchError::refused);
}

TEST_F(PunchTest, ConnectsFromBothSidesMeetInOneAttempt) {
  auto o = introduce();
  auto glare = connect(kB, 1, kStart + 3);
  EXPECT_EQ(glare.event, PunchEvent::none);
  const auto& b = reply_as<punch::Offer>(glare);
  EXPECT_EQ(b.attempt, o.attempt);
  EXPECT_EQ(b.role, Role::target);
  EXPECT_EQ(b.peer, kA);
  // A repeated connect gets the same offer again, and counts once.
  EXPECT_EQ(reply_as<punch::Offer>(connect(kA, 2, kStart + 4)).attempt, o.attempt);
  EXPECT_EQ(coordinator->stats().attempts, 1u);
}

TEST_F(PunchTest, AttemptsPerSessionPerMinute) {
  policy.session_attempts_per_minute = 2;
  policy.address_attempts_per_minute = 100;
  remake();
  record(1, kA);
  session(1, kA);
  for (std::uint32_t n = 2; n <= 4; ++n) {
    core::Endpoint e = test::v4(n + 10, 40000);
    record(n, e);
    session(n, e);
  }
  EXPECT_EQ(error_of(connect(kA, 2)), PunchError{});
  EXPECT_EQ(error_of(connect(kA, 3)), PunchError{});
  EXPECT_EQ(error_of(connect(kA, 4)), PunchError::too_many_attempts);
  for (std::uint32_t n = 1; n <= 4; ++n)
    session(n, n == 1 ? kA : test::v4(n + 10, 40000), kStart + 59'000);
  EXPECT_EQ(error_of(connect(kA, 4, kStart + 60'000)), PunchError{});  // a new minute
}

TEST_F(PunchTest, AttemptsPerAddressAcrossSockets) {
  policy.address_attempts_per_minute = 1;
  remake();
  record(1, kA);
  record(2, kB);
  record(3, kC);
  core::Endpoint a2{kA.address, 40009};
  record(4, a2);
  session(1, kA);
  session(2, kB);
  session(3, kC);
  session(4, a2);
  EXPECT_EQ(error_of(connect(kA, 2)), PunchError{});
  EXPECT_EQ(error_of(connect(a2, 3)), PunchError::too_many_attempts);  // same address
  EXPECT_EQ(error_of(connect(kC, 2)), PunchError{});                   // another one
}

TEST_F(PunchTest, PendingAttemptsPerTarget) {
  policy.pending_per_target = 1;
  remake();
  auto o = introduce();
  record(3, kC);
  session(3, kC);
  EXPECT_EQ(error_of(connect(kC, 2)), PunchError::busy);
  ready(kA, o, kStart + 1);
  ready(kB, o, kStart + 2);  // synced: no longer pending
  EXPECT_EQ(error_of(connect(kC, 2, kStart + 3)), PunchError{});
}

TEST_F(PunchTest, SessionsAreCapped) {
  policy.max_sessions = 1;
  remake();
  record(1, kA);
  record(2, kB);
  EXPECT_EQ(error_of(session(1, kA)), PunchError{});
  EXPECT_EQ(error_of(session(2, kB)), PunchError::tracker_full);
}

TEST_F(PunchTest, AccessListDecidesForTopics) {
  tracker::AccessList list{tracker::AccessMode::whitelist, {}};
  tracker::AccessView view{list};
  tracker::Rendezvous closed{
      {.access = tracker::TopicAccess::access_list}, store, memory, frontend::record_format()};
  tracker::PunchCoordinator c{policy, closed, secrets()};
  record(1, kA);
  auto o = c.session({{1, 1}, kTopic, rid(1), false}, kA, kStart, view);
  EXPECT_EQ(error_of(o), PunchError::topic_not_allowed);
  EXPECT_EQ(error_of(c.connect({{1, 1}, kTopic, rid(1)}, kA, kStart, view)),
            PunchError::topic_not_allowed);
}

TEST_F(PunchTest, RelayIsOffUnlessConfigured) {
  auto o = introduce();
  ready(kA, o, kStart + 1);
  ready(kB, o, kStart + 2);
  const std::uint8_t payload[] = {1, 2, 3};
  EXPECT_EQ(error_of(relay(kA, o, kStart + 3, payload)), PunchError::relay_unavailable);
}

TEST_F(PunchTest, RelayForwardsBetweenTheTwoEndpointsWithinItsCaps) {
  policy.relay = true;
  policy.relay_bytes_per_pair = 3000;
  policy.relay_rate_per_pair = 1000;  // bytes per second, a burst of one second's worth
  remake();
  auto o = introduce();
  EXPECT_TRUE(o.relay);
  std::vector<std::uint8_t> payload(600, 'x');
  EXPECT_EQ(error_of(relay(kA, o, kStart + 1, payload)), PunchError::relay_unavailable);
  ready(kA, o, kStart + 1);
  ready(kB, o, kStart + 2);
  auto forwarded = relay(kA, o, kStart + 3, payload);
  EXPECT_EQ(forwarded.event, PunchEvent::relayed);
  EXPECT_FALSE(forwarded.reply);
  ASSERT_TRUE(forwarded.other);
  EXPECT_EQ(forwarded.other->to, kB);
  const auto& r = other_as<punch::Relayed>(forwarded);
  EXPECT_EQ(r.attempt, o.attempt);
  EXPECT_EQ(r.payload.size(), 600u);
  EXPECT_EQ(relay(kB, o, kStart + 4, std::span(payload).first(300)).other->to, kA);
  // 900 of the 1,000-byte burst used: 600 more are over the rate, dropped.
  EXPECT_EQ(relay(kA, o, kStart + 5, payload).event, PunchEvent::relay_dropped);
  // A second later the bucket is full again; the 3,000-byte total then ends it.
  EXPECT_EQ(relay(kA, o, kStart + 1100, payload).event, PunchEvent::relayed);
  EXPECT_EQ(relay(kA, o, kStart + 2200, payload).event, PunchEvent::relayed);
  EXPECT_EQ(relay(kA, o, kStart + 3300, payload).event, PunchEvent::relayed);
  EXPECT_EQ(error_of(relay(kA, o, kStart + 4400, payload)), PunchError::relay_exhausted);
  // Only the two endpoints, only with the token.
  EXPECT_EQ(error_of(relay(kC, o, kStart + 5, payload)), PunchError::unknown_attempt);
  auto forged = o;
  forged.token[15] ^= 1;
  EXPECT_EQ(error_of(relay(kA, forged, kStart + 5, payload)), PunchError::unknown_attempt);
}

// The codes a refusal carries on the wire (docs/rendezvous.md): one each.
TEST(PunchErrorCodes, AreDistinctAndDocumented) {
  std::set<std::string_view> seen;
  for (int i = 1; i <= static_cast<int>(PunchError::tracker_full); ++i)
    EXPECT_TRUE(seen.insert(tracker::error_code(static_cast<PunchError>(i))).second) << i;
  EXPECT_EQ(tracker::error_code(PunchError::not_found), "not_found");
  EXPECT_EQ(tracker::error_code(PunchError::refused), "refused");
  EXPECT_EQ(tracker::error_code(PunchError::tracker_full), "tracker_full");
}
