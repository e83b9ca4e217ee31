#include <gtest/gtest.h>

#include <stdexcept>

#include "tracker/connection_ids.hpp"

#include "codec/stun.hpp"

using cairn::core::Address;
using cairn::tracker::ConnectionIds;

namespace {
const Address kClient = *Address::parse("192.0.2.7");
const Address kOther = *Address::parse("192.0.2.8");
constexpr auto kSlot = ConnectionIds::kSlotSeconds;
}  // namespace

TEST(ConnectionIds, ValidForAtLeastOneSlot) {
  ConnectionIds ids;
  for (cairn::core::Seconds issued : {kSlot * 10, kSlot * 10 + kSlot - 1}) {
    auto id = ids.issue(kClient, issued);
    EXPECT_TRUE(ids.valid(id, kClient, issued));
    EXPECT_TRUE(ids.valid(id, kClient, issued + kSlot));  // late reuse still accepted
  }
}

TEST(ConnectionIds, ExpiresAfterTwoSlots) {
  ConnectionIds ids;
  auto id = ids.issue(kClient, kSlot * 10);
  EXPECT_FALSE(ids.valid(id, kClient, kSlot * 12));
}

TEST(ConnectionIds, BoundToAddress) {
  ConnectionIds ids;
  auto id = ids.issue(kClient, 1000);
  EXPECT_FALSE(ids.valid(id, kOther, 1000));
  EXPECT_FALSE(ids.valid(id, *Address::parse("::1"), 1000));
}

TEST(ConnectionIds, ForgedAndForeignIdsRejected) {
  ConnectionIds ids;
  ConnectionIds other_server;  // different secret
  auto id = ids.issue(kClient, 1000);
  EXPECT_FALSE(other_server.valid(id, kClient, 1000));
  EXPECT_FALSE(ids.valid(id ^ 1, kClient, 1000));
  EXPECT_FALSE(ids.valid(0, kClient, 1000));
}

TEST(ConnectionIds, ConfiguredSlotLength) {
  constexpr cairn::core::Seconds slot = 1;
  ConnectionIds ids(slot);
  auto id = ids.issue(kClient, 500);
  EXPECT_TRUE(ids.valid(id, kClient, 500));
  EXPECT_TRUE(ids.valid(id, kClient, 501));   // the next slot
  EXPECT_FALSE(ids.valid(id, kClient, 502));  // two slots on
  // The default keeps BEP 15's two minutes: still valid a slot later.
  ConnectionIds standard;
  auto long_lived = standard.issue(kClient, 500);
  EXPECT_TRUE(standard.valid(long_lived, kClient, 502));
  EXPECT_TRUE(standard.valid(long_lived, kClient, 500 + kSlot - 1));
}

TEST(ConnectionIds, ZeroSlotRefused) {
  EXPECT_THROW(ConnectionIds(0), std::invalid_argument);
  EXPECT_THROW(ConnectionIds({}, 0), std::invalid_argument);
}

// STUN shares the UDP port (codec/stun.hpp): a STUN message starts with two
// zero bits, and every id Cairn issues starts, on the wire, with a one.
TEST(ConnectionIds, NoIssuedIdCanStartAStunMessage) {
  ConnectionIds ids;
  for (std::uint32_t n = 0; n < 100000; ++n) {
    std::uint8_t b[4] = {192, 0, 2, static_cast<std::uint8_t>(n)};
    auto id = ids.issue(Address::v4(b), n);
    ASSERT_NE(id >> 62, 0u) << "id " << id;
    // A scrape of one hash whose id would also need the cookie and a
    // fitting length: is_stun refuses it already on the first byte.
    std::uint8_t packet[36] = {};
    for (int i = 0; i < 8; ++i) packet[i] = static_cast<std::uint8_t>(id >> (56 - 8 * i));
    packet[11] = 2;
    ASSERT_FALSE(cairn::codec::stun::is_stun(packet));
  }
}

// Two nodes with the same secrets but process clocks started apart (their
// offsets to wall time differ) accept each other's ids.
TEST(ConnectionIds, NodesSharingSecretsAcceptEachOthersIds) {
  const ConnectionIds::Secret secret{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  const ConnectionIds a({secret}, kSlot, 1'800'000'000 - 100);
  const ConnectionIds b({secret}, kSlot, 1'800'000'000 - 5000);
  // The same wall-clock moment: 200 s on a's clock, 5100 s on b's.
  const auto id = a.issue(kClient, 200);
  EXPECT_TRUE(b.valid(id, kClient, 5100));
  EXPECT_TRUE(b.valid(id, kClient, 5100 + kSlot));
  EXPECT_FALSE(b.valid(id, kClient, 5100 + 3 * kSlot));
  EXPECT_FALSE(b.valid(id, kOther, 5100));
  // Without the offset, b's slots are others: the id would be refused.
  const ConnectionIds unaligned({secret}, kSlot, 0);
  EXPECT_FALSE(unaligned.valid(id, kClient, 5100));
}

// Rotation: a node that lists the new secret first issues under it and
// still accepts ids issued under the old one; a node that dropped the old
// one refuses those.
TEST(ConnectionIds, RotationAcceptsTheOldSecretWhileListed) {
  const ConnectionIds::Secret old_secret{1}, new_secret{2};
  const ConnectionIds before({old_secret}, kSlot, 0);
  const ConnectionIds during({new_secret, old_secret}, kSlot, 0);
  const ConnectionIds after({new_secret}, kSlot, 0);
  const auto old_id = before.issue(kClient, 1000);
  EXPECT_TRUE(during.valid(old_id, kClient, 1000));
  EXPECT_FALSE(after.valid(old_id, kClient, 1000));
  const auto new_id = during.issue(kClient, 1000);
  EXPECT_NE(new_id, old_id);
  EXPECT_TRUE(after.valid(new_id, kClient, 1000));
  EXPECT_FALSE(before.valid(new_id, kClient, 1000));
  EXPECT_THROW(ConnectionIds(std::vector<ConnectionIds::Secret>{}, kSlot, 0),
               std::invalid_argument);
}
