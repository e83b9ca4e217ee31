#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "core/compact_peers.hpp"
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

// Every prefix length of both families against a bit-by-bit reference,
// on addresses that differ from the base in one bit on each side of it.
TEST(Network, ContainsAgreesWithABitwiseReferenceAtEveryPrefix) {
  const auto bit = [](const Address& a, unsigned i) { return (a.bytes[i / 8] >> (7 - i % 8)) & 1; };
  Rng rng(9);
  for (const Family family : {Family::v4, Family::v6}) {
    const unsigned width = family == Family::v4 ? 32 : 128;
    for (unsigned prefix = 0; prefix <= width; ++prefix) {
      Network n;
      n.base.family = family;
      for (unsigned i = 0; i < width / 8; ++i)
        n.base.bytes[i] = static_cast<std::uint8_t>(rng.below(256));
      n.prefix = static_cast<std::uint8_t>(prefix);
      for (unsigned flip = 0; flip < width; ++flip) {
        Address a = n.base;
        a.bytes[flip / 8] ^= static_cast<std::uint8_t>(0x80 >> (flip % 8));
        bool inside = true;
        for (unsigned i = 0; i < prefix; ++i) inside = inside && bit(a, i) == bit(n.base, i);
        EXPECT_EQ(n.contains(a), inside) << n.to_string() << " " << a.to_string();
      }
      EXPECT_TRUE(n.contains(n.base));
    }
  }
}

TEST(Rng, BelowStaysInRange) {
  Rng rng(42);
  for (int i = 0; i < 10000; ++i) EXPECT_LT(rng.below(7), 7u);
}

namespace {
PeerInfo wire_peer(const char* endpoint, std::uint8_t id) {
  PeerInfo p{*Endpoint::parse(endpoint), {}};
  p.peer_id.bytes.fill(id);
  return p;
}
}  // namespace

TEST(PeerList, HoldsCompactEntriesPerFamily) {
  const std::vector<PeerInfo> peers = {wire_peer("1.2.3.4:6881", 1),
                                       wire_peer("[2001:db8::1]:443", 2),
                                       wire_peer("10.0.0.1:65535", 3)};
  const PeerList list(peers);
  const CompactPeers v = list.view();
  EXPECT_EQ(v.size(), 3u);
  EXPECT_EQ(v.count(Family::v4), 2u);
  EXPECT_EQ(v.count(Family::v6), 1u);
  const std::uint8_t v4[12] = {1, 2, 3, 4, 0x1a, 0xe1, 10, 0, 0, 1, 0xff, 0xff};
  ASSERT_EQ(v.compact(Family::v4).size(), sizeof v4);
  EXPECT_TRUE(std::equal(v4, v4 + sizeof v4, v.compact(Family::v4).begin()));
  ASSERT_EQ(v.compact(Family::v6).size(), 18u);
  EXPECT_EQ(v.endpoint(Family::v6, 0), peers[1].endpoint);
  EXPECT_EQ(v.peer_id(Family::v4, 1), peers[2].peer_id);
  const std::vector<PeerInfo> decoded = v.decode();  // IPv4 first
  ASSERT_EQ(decoded.size(), 3u);
  EXPECT_EQ(decoded[0].endpoint, peers[0].endpoint);
  EXPECT_EQ(decoded[1].endpoint, peers[2].endpoint);
  EXPECT_EQ(decoded[2].endpoint, peers[1].endpoint);
  EXPECT_EQ(decoded[2].peer_id, peers[1].peer_id);
}

TEST(PeerList, MarksDelimitRunsWithAndWithoutIds) {
  PeerList list;
  const PeerList::Mark start = list.mark();
  list.push_back(wire_peer("1.2.3.4:1", 1), false);
  const PeerList::Mark middle = list.mark();
  list.push_back(wire_peer("1.2.3.5:2", 2), true);
  list.push_back(wire_peer("[::2]:3", 3), true);
  const CompactPeers first = list.between(start, middle),
                     second = list.between(middle, list.mark());
  EXPECT_EQ(first.size(), 1u);
  EXPECT_FALSE(first.has_ids(Family::v4));
  EXPECT_EQ(first.peer_id(Family::v4, 0), PeerId{});
  EXPECT_EQ(second.size(), 2u);
  EXPECT_TRUE(second.has_ids(Family::v4));
  EXPECT_TRUE(second.has_ids(Family::v6));
  EXPECT_EQ(second.endpoint(Family::v4, 0), *Endpoint::parse("1.2.3.5:2"));
  EXPECT_EQ(second.peer_id(Family::v6, 0), wire_peer("[::2]:3", 3).peer_id);
  list.clear();
  EXPECT_TRUE(list.view().empty());
  EXPECT_EQ(list.mark(), PeerList::Mark{});
}

TEST(PeerList, KeepsWhatItHeldWhenItGrows) {
  PeerList list;
  for (std::uint32_t i = 0; i < 5000; ++i) {
    const std::uint8_t b[4] = {10, static_cast<std::uint8_t>(i >> 16),
                               static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
    PeerInfo p{{Address::v4(b), static_cast<std::uint16_t>(i)}, {}};
    p.peer_id.bytes[0] = static_cast<std::uint8_t>(i);
    list.push_back(p, true);
  }
  const CompactPeers v = list.view();
  ASSERT_EQ(v.count(Family::v4), 5000u);
  for (std::uint32_t i = 0; i < 5000; i += 999) {
    EXPECT_EQ(v.endpoint(Family::v4, i).port, i);
    EXPECT_EQ(v.peer_id(Family::v4, i).bytes[0], static_cast<std::uint8_t>(i));
  }
}
