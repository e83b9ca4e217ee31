#include "tracker/dht/node_id.hpp"

#include <gtest/gtest.h>

#include "support/bytes.hpp"

using namespace cairn;
using namespace cairn::tracker::dht;

namespace {

core::Address ip(std::string_view text) { return *core::Address::parse(text); }

NodeId id_hex(std::string_view hex) { return *NodeId::from_hex(hex); }

std::array<std::uint8_t, 20> random_bytes(std::uint8_t seed) {
  std::array<std::uint8_t, 20> r;
  for (std::size_t i = 0; i < r.size(); ++i) r[i] = static_cast<std::uint8_t>(seed * 37 + i * 11);
  return r;
}

}  // namespace

// The five test vectors of BEP 42: address, the random r (the id's last
// byte), and an example id whose first 21 bits the address fixes.
TEST(Bep42, TestVectors) {
  struct Vector {
    const char* ip;
    const char* id;
  };
  const Vector vectors[] = {
      {"124.31.75.21", "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401"},
      {"21.75.31.124", "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256"},
      {"65.23.51.170", "a5d43220bc8f112a3d426c84764f8c2a1150e616"},
      {"84.124.73.14", "1b0321dd1bb1fe518101ceef99462b947a01ff41"},
      {"43.213.53.83", "e56f6cbf5b7c4be0237986d5243b87aa6d51305a"},
  };
  for (const auto& v : vectors) {
    const NodeId id = id_hex(v.id);
    EXPECT_TRUE(bep42_valid(id, ip(v.ip))) << v.ip;
    // The bold prefix of the BEP's table is the CRC's first 21 bits.
    const std::uint32_t crc = bep42_prefix(ip(v.ip), id.bytes[19] & 7);
    EXPECT_EQ(
        crc >> 11,
        (std::uint32_t{id.bytes[0]} << 16 | std::uint32_t{id.bytes[1]} << 8 | id.bytes[2]) >> 3)
        << v.ip;
    // Any of the 21 bits, or r, changed: invalid.
    for (int bit = 0; bit < 21; ++bit) {
      NodeId bad = id;
      bad.bytes[bit / 8] ^= static_cast<std::uint8_t>(0x80 >> (bit % 8));
      EXPECT_FALSE(bep42_valid(bad, ip(v.ip))) << v.ip << " bit " << bit;
    }
    NodeId other_r = id;
    other_r.bytes[19] ^= 1;
    EXPECT_FALSE(bep42_valid(other_r, ip(v.ip))) << v.ip;
    // The free bits are free.
    NodeId free = id;
    free.bytes[2] ^= 0x07;
    free.bytes[10] ^= 0xff;
    free.bytes[19] ^= 0xf8;
    EXPECT_TRUE(bep42_valid(free, ip(v.ip))) << v.ip;
  }
}

TEST(Bep42, GeneratedIdsAreValidForTheirAddressOnly) {
  for (const char* text : {"124.31.75.21", "8.8.4.4", "2001:db8:1:2::7", "2a00:1450::1"}) {
    for (std::uint8_t seed = 0; seed < 16; ++seed) {
      const NodeId id = bep42_id(ip(text), random_bytes(seed));
      EXPECT_TRUE(bep42_valid(id, ip(text))) << text;
    }
  }
  // Only the masked bits count (0x03 0x0f 0x3f 0xff): 128 & 3 == 124 & 3,
  // 125 & 3 differs, and every bit of the last octet counts.
  const NodeId id = bep42_id(ip("124.31.75.21"), random_bytes(1));
  EXPECT_TRUE(bep42_valid(id, ip("128.31.75.21")));
  EXPECT_TRUE(bep42_valid(id, ip("124.15.75.21")));
  EXPECT_FALSE(bep42_valid(id, ip("125.31.75.21")));
  int valid = 0;
  for (int last = 0; last < 256; ++last)
    valid += bep42_valid(id, ip("124.31.75." + std::to_string(last)));
  EXPECT_EQ(valid, 1);
}

TEST(Bep42, IPv6UsesTheHigh64Bits) {
  const NodeId id = bep42_id(ip("2001:db8:1:2::7"), random_bytes(3));
  EXPECT_TRUE(bep42_valid(id, ip("2001:db8:1:2:ffff:ffff:ffff:ffff")));  // same /64
  EXPECT_FALSE(bep42_valid(id, ip("2001:db8:1:3::7")));
}

TEST(Bep42, LocalAddressesAreExempt) {
  const NodeId any = id_hex("0000000000000000000000000000000000000000");
  for (const char* local : {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                            "169.254.3.4", "127.0.0.2", "::1", "fe80::1", "fd00::5"})
    EXPECT_TRUE(bep42_valid(any, ip(local))) << local;
  for (const char* global : {"172.32.0.1", "11.0.0.1", "8.8.8.8", "2001:db8::1", "fec0::1"})
    EXPECT_FALSE(bep42_valid(any, ip(global))) << global;
}

TEST(Bep42, OwnIdIsValidForAGlobalExternalAddress) {
  const auto random = random_bytes(5);
  const NodeId own = own_node_id(ip("203.0.113.5"), random);
  EXPECT_TRUE(bep42_valid(own, ip("203.0.113.5")));
  EXPECT_FALSE(bep42_valid(own, ip("203.0.113.6")));
  // No address, or a local one: the random bytes unchanged.
  const NodeId plain = NodeId::from_bytes(std::span<const std::uint8_t, 20>(random));
  EXPECT_EQ(own_node_id(std::nullopt, random), plain);
  EXPECT_EQ(own_node_id(ip("127.0.0.1"), random), plain);
}

TEST(Scope, OrdersHostSiteGlobal) {
  EXPECT_EQ(scope_of(ip("127.0.0.1")), Scope::host);
  EXPECT_EQ(scope_of(ip("::1")), Scope::host);
  EXPECT_EQ(scope_of(ip("10.200.0.2")), Scope::site);
  EXPECT_EQ(scope_of(ip("fe80::2")), Scope::site);
  EXPECT_EQ(scope_of(ip("fc00::2")), Scope::site);
  EXPECT_EQ(scope_of(ip("203.0.113.9")), Scope::global);
  EXPECT_EQ(scope_of(ip("::ffff:127.0.0.1")), Scope::host);  // mapped: IPv4
  EXPECT_LT(Scope::global, Scope::site);
  EXPECT_LT(Scope::site, Scope::host);
}

TEST(Distance, IsXorComparedBigEndian) {
  const NodeId a = id_hex("ff00000000000000000000000000000000000000");
  const NodeId b = id_hex("0f00000000000000000000000000000000000001");
  const auto d = distance(a, b);
  EXPECT_EQ(test::hex({reinterpret_cast<const char*>(d.data()), d.size()}),
            "f000000000000000000000000000000000000001");
  EXPECT_EQ(distance(a, a), (std::array<std::uint8_t, 20>{}));
}
