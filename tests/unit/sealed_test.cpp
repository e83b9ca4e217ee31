#include <gtest/gtest.h>

#include <string>

#include "client/sealed.hpp"
#include "core/ids.hpp"
#include "support/bytes.hpp"

using namespace cairn;
using test::hex;
using test::unhex;

namespace {

// The vectors of docs/rendezvous.md ("Sealed records"), computed there with
// libsodium from Python (tests/integration/rendezvous_harness.py), so two
// implementations of the documented construction agree.
constexpr std::string_view kSecret = "correct horse battery staple";
constexpr std::string_view kTopic = "24e72bfdbd9388e5f698733b5716c9b66d18dcf9";
constexpr std::string_view kKey =
    "eb95d330d9565ed8c212502c4ed8969c670ed23b19ff685a2229995cc447a58b";
constexpr std::string_view kPlain = "0100103230332e302e3131332e373a37303030";
constexpr std::string_view kSealed =
    "000102030405060708090a0b0c0d0e0f1011121314151617d33db063010307920f79effda4a90153aaf6e7e2"
    "000505f0c52e6d23dc080360c4abc6";

std::array<std::uint8_t, client::kSealNonceBytes> vector_nonce() {
  std::array<std::uint8_t, client::kSealNonceBytes> n;
  for (std::size_t i = 0; i < n.size(); ++i) n[i] = static_cast<std::uint8_t>(i);
  return n;
}

}  // namespace

TEST(Sealed, DerivationMatchesTheDocumentedVectors) {
  auto keys = client::derive_sealed_keys(kSecret);
  EXPECT_EQ(keys.topic.hex(), kTopic);
  EXPECT_EQ(core::to_hex(keys.key), kKey);
}

TEST(Sealed, SealMatchesTheDocumentedVector) {
  auto keys = client::derive_sealed_keys(kSecret);
  const auto nonce = vector_nonce();
  EXPECT_EQ(hex(client::seal(keys, unhex(kPlain), &nonce)), kSealed);
  EXPECT_EQ(client::open_sealed(keys, unhex(kSealed)), unhex(kPlain));
}

TEST(Sealed, RoundTripWithRandomNonces) {
  auto keys = client::derive_sealed_keys("another secret");
  auto a = client::seal(keys, "hello"), b = client::seal(keys, "hello");
  EXPECT_NE(a, b);  // a fresh nonce each time
  EXPECT_EQ(a.size(), 5 + client::kSealOverhead);
  EXPECT_EQ(client::open_sealed(keys, a), "hello");
  EXPECT_EQ(client::open_sealed(keys, b), "hello");
}

TEST(Sealed, WhatFailsAuthenticationDoesNotOpen) {
  auto keys = client::derive_sealed_keys(kSecret);
  const std::string sealed = unhex(kSealed);
  EXPECT_FALSE(client::open_sealed(client::derive_sealed_keys("wrong"), sealed));
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string flipped = sealed;
    flipped[i] ^= 1;
    EXPECT_FALSE(client::open_sealed(keys, flipped)) << i;
  }
  for (std::size_t cut = 0; cut < sealed.size(); ++cut)
    EXPECT_FALSE(client::open_sealed(keys, sealed.substr(0, cut))) << cut;
  // Sealed under another topic (the associated data) does not open either.
  auto other = keys;
  other.topic.bytes[0] ^= 1;
  EXPECT_FALSE(client::open_sealed(other, sealed));
}
