// The DHT node's bounded state: the routing table, the verification queue
// and the ping cookies.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "support/endpoints.hpp"
#include "tracker/dht/ping_cookies.hpp"
#include "tracker/dht/routing_table.hpp"
#include "tracker/dht/verify_queue.hpp"

using namespace cairn;
using namespace cairn::tracker::dht;

namespace {

// An id whose first four bytes are `top` (big-endian), the rest `fill`.
NodeId id_at(std::uint32_t top, std::uint8_t fill = 0) {
  NodeId id;
  id.bytes.fill(fill);
  for (int i = 0; i < 4; ++i) id.bytes[i] = static_cast<std::uint8_t>(top >> (24 - 8 * i));
  return id;
}

core::Endpoint global_v4(std::uint32_t n, std::uint16_t port = 6881) {
  const std::uint8_t b[4] = {203, 0, static_cast<std::uint8_t>(n >> 8),
                             static_cast<std::uint8_t>(n)};
  return {core::Address::v4(b), port};
}

const core::Endpoint kRequester = global_v4(9999, 1);

std::vector<Node> closest(RoutingTable& t, const NodeId& target, std::size_t n,
                          core::Millis now_ms = 0, Scope scope = Scope::global,
                          const core::Endpoint& requester = kRequester) {
  std::vector<Node> out(n);
  out.resize(t.closest(target, requester, scope, now_ms, out));
  return out;
}

std::array<std::uint8_t, 16> key(std::uint8_t k) {
  std::array<std::uint8_t, 16> a{};
  a.fill(k);
  return a;
}

}  // namespace

TEST(RoutingTable, CapacityIsFixedAndStated) {
  RoutingTable t({1000, 0});
  EXPECT_EQ(t.capacity(), 1024u);  // 128 buckets of 8
  EXPECT_EQ(sizeof(Node), 48u);
  const std::size_t bytes = t.memory_bytes();
  for (std::uint32_t i = 0; i < 100'000; ++i) t.insert(id_at(i * 2654435761u), global_v4(i), i);
  EXPECT_EQ(t.size(), 1024u);
  EXPECT_EQ(t.memory_bytes(), bytes);
}

TEST(RoutingTable, ClosestComesInXorOrder) {
  RoutingTable t({4096, 0});
  std::vector<NodeId> ids;
  for (std::uint32_t i = 0; i < 300; ++i) {
    ids.push_back(id_at(i * 0x01000193u * 7919u, static_cast<std::uint8_t>(i)));
    t.insert(ids.back(), global_v4(i), 1);
  }
  for (std::uint32_t probe = 0; probe < 50; ++probe) {
    const NodeId target = id_at(probe * 0x9e3779b9u, 0x5a);
    auto got = closest(t, target, 16);
    ASSERT_EQ(got.size(), 16u);
    auto sorted = ids;
    std::sort(sorted.begin(), sorted.end(), [&](const NodeId& a, const NodeId& b) {
      return distance(target, a) < distance(target, b);
    });
    for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(got[i].id, sorted[i]) << probe << " " << i;
  }
}

TEST(RoutingTable, OneSlotPerAddressPerBucket) {
  RoutingTable t({64, 0});
  const auto ep = global_v4(1);
  EXPECT_EQ(t.insert(id_at(0x10000000), ep, 1), RoutingTable::Inserted::added);
  core::Endpoint other_port = ep;
  other_port.port = 7000;
  EXPECT_EQ(t.insert(id_at(0x10000001), other_port, 2), RoutingTable::Inserted::updated);
  EXPECT_EQ(t.size(), 1u);
  auto got = closest(t, id_at(0x10000000), 8);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].endpoint, other_port);
  EXPECT_EQ(got[0].verified, 2u);
}

TEST(RoutingTable, AFullBucketReplacesTheNodeVerifiedLongestAgo) {
  RoutingTable t({8, 0});  // one bucket
  for (std::uint32_t i = 0; i < 8; ++i) t.insert(id_at(i << 24), global_v4(i), 100 + i);
  EXPECT_EQ(t.insert(id_at(0x42000000), global_v4(50), 200), RoutingTable::Inserted::replaced);
  EXPECT_EQ(t.size(), 8u);
  std::set<core::Endpoint> eps;
  for (const auto& n : closest(t, id_at(0), 8)) eps.insert(n.endpoint);
  EXPECT_FALSE(eps.count(global_v4(0)));  // verified at 100: the oldest
  EXPECT_TRUE(eps.count(global_v4(50)));
}

TEST(RoutingTable, HandsOutNodesOnlyToRequestersThatCanReachThem) {
  RoutingTable t({64, 0});
  t.insert(id_at(0x01000000), global_v4(1), 1);
  t.insert(id_at(0x02000000), test::v4(2), 1);  // 10.0.0.2: a private network
  const std::uint8_t lo[4] = {127, 0, 0, 3};
  t.insert(id_at(0x03000000), {core::Address::v4(lo), 6881}, 1);
  EXPECT_EQ(closest(t, id_at(0), 8, 0, Scope::global).size(), 1u);
  EXPECT_EQ(closest(t, id_at(0), 8, 0, Scope::site).size(), 2u);
  EXPECT_EQ(closest(t, id_at(0), 8, 0, Scope::host).size(), 3u);
  // Nor is a requester handed its own entry.
  EXPECT_EQ(closest(t, id_at(0), 8, 0, Scope::global, global_v4(1)).size(), 0u);
}

TEST(RoutingTable, HandOutIsRateLimitedPerNode) {
  RoutingTable t({64, 6});  // 6 a minute: one per 10 s, a burst of 6
  t.insert(id_at(0x01000000), global_v4(1), 1);
  t.insert(id_at(0xf1000000), global_v4(2), 1);  // far from the target
  // Six times the closest node, then six times the farther one.
  for (int i = 0; i < 12; ++i) {
    auto got = closest(t, id_at(0x01000000), 1, 1000);
    ASSERT_EQ(got.size(), 1u) << i;
    EXPECT_EQ(got[0].endpoint, global_v4(i < 6 ? 1 : 2)) << i;
  }
  EXPECT_EQ(closest(t, id_at(0x01000000), 1, 1000).size(), 0u);
  // Budget comes back at the rate: one more each 10 s.
  auto later = closest(t, id_at(0x01000000), 2, 1000 + 10'000);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[0].endpoint, global_v4(1));
  EXPECT_EQ(closest(t, id_at(0x01000000), 2, 1000 + 10'000).size(), 0u);
}

TEST(RoutingTable, EmptyTableAndSmallTables) {
  RoutingTable t({1, 0});
  EXPECT_EQ(t.capacity(), 8u);
  EXPECT_TRUE(closest(t, id_at(5), 8).empty());
  t.insert(id_at(0xffffffff), global_v4(1), 1);
  EXPECT_EQ(closest(t, id_at(0), 8).size(), 1u);
}

TEST(VerifyQueue, NodesComeDueAfterTheDelay) {
  VerifyQueue q(16, 900, key(1));
  EXPECT_EQ(q.add(id_at(1), global_v4(1), 100), VerifyQueue::Added::queued);
  EXPECT_EQ(q.add(id_at(2), global_v4(2), 150), VerifyQueue::Added::queued);
  std::array<PendingNode, 4> out;
  EXPECT_EQ(q.take_due(999, out), 0u);
  ASSERT_EQ(q.take_due(1000, out), 1u);
  EXPECT_EQ(out[0].endpoint, global_v4(1));
  EXPECT_EQ(out[0].id, id_at(1));
  EXPECT_EQ(q.take_due(5000, out), 1u);
  EXPECT_EQ(q.size(), 0u);
}

TEST(VerifyQueue, OneEntryPerAddressAtATime) {
  VerifyQueue q(16, 10, key(2));
  EXPECT_EQ(q.add(id_at(1), global_v4(1), 0), VerifyQueue::Added::queued);
  EXPECT_EQ(q.add(id_at(2), global_v4(1, 7000), 1), VerifyQueue::Added::duplicate);
  std::array<PendingNode, 4> out;
  EXPECT_EQ(q.take_due(10, out), 1u);
  EXPECT_EQ(q.add(id_at(2), global_v4(1, 7000), 11), VerifyQueue::Added::queued);  // once popped
}

TEST(VerifyQueue, BoundedMemoryUnderAFlood) {
  VerifyQueue q(100, 10, key(3));
  const std::size_t bytes = q.memory_bytes();
  int full = 0;
  for (std::uint32_t i = 0; i < 10'000; ++i)
    full += q.add(id_at(i), global_v4(i), 0) == VerifyQueue::Added::full;
  EXPECT_EQ(q.size(), 100u);
  EXPECT_EQ(full, 9900);
  EXPECT_EQ(q.memory_bytes(), bytes);
  std::array<PendingNode, 64> out;
  EXPECT_EQ(q.take_due(10, out), 64u);  // at most out.size() per call
  EXPECT_EQ(q.take_due(10, out), 36u);
  EXPECT_EQ(q.add(id_at(1), global_v4(20'000), 11), VerifyQueue::Added::queued);
}

TEST(PingCookies, ValidForTheEndpointAndIdTheyWereIssuedTo) {
  PingCookies cookies(key(4));
  const auto c = cookies.issue(global_v4(1), id_at(1), 1000);
  const std::string_view t(reinterpret_cast<const char*>(c.data()), c.size());
  EXPECT_TRUE(cookies.valid(t, global_v4(1), id_at(1), 1000));
  EXPECT_FALSE(cookies.valid(t, global_v4(2), id_at(1), 1000));        // other address
  EXPECT_FALSE(cookies.valid(t, global_v4(1, 1234), id_at(1), 1000));  // other port
  EXPECT_FALSE(cookies.valid(t, global_v4(1), id_at(2), 1000));        // other id
  EXPECT_FALSE(cookies.valid(t.substr(1), global_v4(1), id_at(1), 1000));
  EXPECT_FALSE(PingCookies(key(5)).valid(t, global_v4(1), id_at(1), 1000));  // other secret
}

TEST(PingCookies, AcceptedInTheirSlotAndTheNext) {
  PingCookies cookies(key(6));
  const core::Seconds issued = 10 * PingCookies::kSlotSeconds + 30;
  const auto c = cookies.issue(global_v4(1), id_at(1), issued);
  const std::string_view t(reinterpret_cast<const char*>(c.data()), c.size());
  EXPECT_TRUE(cookies.valid(t, global_v4(1), id_at(1), 11 * PingCookies::kSlotSeconds + 59));
  EXPECT_FALSE(cookies.valid(t, global_v4(1), id_at(1), 12 * PingCookies::kSlotSeconds));
}
