#include <gtest/gtest.h>

#include "core/endpoint.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"

using namespace cairn::core;

TEST(Ids, HexRoundTrip) {
  auto id = InfoHash::from_hex("0123456789abcdefABCDEF0123456789abcdef01");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->hex(), "0123456789abcdefabcdef0123456789abcdef01");
  EXPECT_FALSE(InfoHash::from_hex("0123"));
  EXPECT_FALSE(InfoHash::from_hex("zz23456789abcdefABCDEF0123456789abcdef01"));
}

TEST(Endpoint, ParsesBothFamilies) {
  auto a = Endpoint::parse("1.2.3.4:6969");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family(), Family::v4);
  EXPECT_EQ(a->port, 6969);
  EXPECT_EQ(a->to_string(), "1.2.3.4:6969");
  auto b = Endpoint::parse("[::1]:80");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->family(), Family::v6);
  EXPECT_EQ(b->to_string(), "[::1]:80");
  EXPECT_FALSE(Endpoint::parse("::1:80"));
  EXPECT_FALSE(Endpoint::parse("1.2.3.4:65536"));
  EXPECT_FALSE(Endpoint::parse("1.2.3.4"));
  EXPECT_FALSE(Endpoint::parse("host:80"));
}

TEST(Endpoint, MappedV6IsV4) {
  auto a = Address::parse("::ffff:10.0.0.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family, Family::v4);
  EXPECT_EQ(a->to_string(), "10.0.0.1");
}

TEST(Endpoint, CompactForm) {
  auto e = *Endpoint::parse("1.2.3.4:258");
  std::uint8_t out[6];
  e.write_compact(out);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[3], 4);
  EXPECT_EQ(out[4], 1);
  EXPECT_EQ(out[5], 2);
}

TEST(Network, Contains) {
  auto n = *Network::parse("10.0.0.0/8");
  EXPECT_TRUE(n.contains(*Address::parse("10.200.1.1")));
  EXPECT_FALSE(n.contains(*Address::parse("11.0.0.1")));
  EXPECT_FALSE(n.contains(*Address::parse("::1")));
  auto h = *Network::parse("::1");
  EXPECT_EQ(h.prefix, 128);
  EXPECT_TRUE(h.contains(*Address::parse("::1")));
  auto odd = *Network::parse("192.168.4.0/22");
  EXPECT_TRUE(odd.contains(*Address::parse("192.168.7.255")));
  EXPECT_FALSE(odd.contains(*Address::parse("192.168.8.0")));
  EXPECT_FALSE(Network::parse("10.0.0.0/33"));
  EXPECT_FALSE(Network::parse("10.0.0.0/"));
}

TEST(Rng, BelowStaysInRange) {
  Rng rng(42);
  for (int i = 0; i < 10000; ++i) EXPECT_LT(rng.below(7), 7u);
}
