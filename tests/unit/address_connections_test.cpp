#include "net/address_connections.hpp"

#include <gtest/gtest.h>

namespace cairn::net {
namespace {

core::Address addr(const char* text) { return *core::Address::parse(text); }

TEST(AddressConnections, CapsEachAddressAndGivesBack) {
  AddressConnections limit(2, {});
  EXPECT_TRUE(limit.take(addr("203.0.113.5")));
  EXPECT_TRUE(limit.take(addr("203.0.113.5")));
  EXPECT_FALSE(limit.take(addr("203.0.113.5")));
  EXPECT_TRUE(limit.take(addr("203.0.113.6")));  // another address has its own
  limit.give_back(addr("203.0.113.5"));
  EXPECT_TRUE(limit.take(addr("203.0.113.5")));
}

TEST(AddressConnections, Ipv6CountsPerSlash64) {
  AddressConnections limit(1, {});
  EXPECT_TRUE(limit.take(addr("2001:db8:1:2::1")));
  EXPECT_FALSE(limit.take(addr("2001:db8:1:2::ffff")));
  EXPECT_TRUE(limit.take(addr("2001:db8:1:3::1")));
  // An IPv4 address whose bytes begin an IPv6 prefix is another key.
  AddressConnections mixed(1, {});
  EXPECT_TRUE(mixed.take(addr("32.1.13.184")));  // 20 01 0d b8
  EXPECT_TRUE(mixed.take(addr("2001:db8::")));
}

TEST(AddressConnections, TrustedNetworksAndZeroAreUnlimited) {
  AddressConnections limit(1, {*core::Network::parse("127.0.0.0/8")});
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limit.take(addr("127.0.0.1")));
  AddressConnections off(0, {});
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(off.take(addr("203.0.113.5")));
}

}  // namespace
}  // namespace cairn::net
