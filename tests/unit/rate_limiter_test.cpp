#include <gtest/gtest.h>

#include <cstdint>

#include "support/endpoints.hpp"
#include "tracker/rate_limiter.hpp"

using cairn::core::Address;
using cairn::core::Millis;
using cairn::core::Network;
using cairn::test::v4_address;
using cairn::tracker::RateLimitConfig;
using cairn::tracker::RateLimiter;

namespace {

constexpr std::array<std::uint8_t, 16> kKey{1, 2, 3};
const Address kClient = *Address::parse("192.0.2.7");
const Address kOther = *Address::parse("198.51.100.9");

RateLimitConfig config(std::uint32_t per_second, std::uint32_t burst) {
  RateLimitConfig c;
  c.per_second = per_second;
  c.burst = burst;
  c.slots = 1 << 16;
  c.trusted.clear();
  return c;
}

// How many of `n` requests at one instant are allowed.
int allowed_of(RateLimiter& limiter, const Address& a, Millis now, int n) {
  int allowed = 0;
  for (int i = 0; i < n; ++i) allowed += limiter.allow(a, now);
  return allowed;
}

}  // namespace

TEST(RateLimiter, FullBucketAllowsTheBurstThenRefuses) {
  RateLimiter limiter(config(10, 25), kKey);
  EXPECT_EQ(allowed_of(limiter, kClient, 1000, 100), 25);
  EXPECT_FALSE(limiter.allow(kClient, 1000));
}

TEST(RateLimiter, RefillsAtTheRate) {
  RateLimiter limiter(config(10, 25), kKey);
  allowed_of(limiter, kClient, 1000, 100);
  EXPECT_EQ(allowed_of(limiter, kClient, 1250, 100), 2);   // 250 ms at 10/s: 2.5 requests
  EXPECT_EQ(allowed_of(limiter, kClient, 1500, 100), 3);   // the half carried over
  EXPECT_EQ(allowed_of(limiter, kClient, 2500, 100), 10);  // one second: 10
}

TEST(RateLimiter, RefillStopsAtTheBurst) {
  RateLimiter limiter(config(10, 25), kKey);
  allowed_of(limiter, kClient, 1000, 100);
  EXPECT_EQ(allowed_of(limiter, kClient, 1'000'000, 100), 25);  // a long pause saves no more
}

TEST(RateLimiter, WaitSaysWhenTheNextRequestIsTaken) {
  RateLimiter limiter(config(4, 3), kKey);  // a token every 250 ms
  EXPECT_EQ(limiter.wait(kClient, 1000), 0u);
  allowed_of(limiter, kClient, 1000, 3);
  EXPECT_EQ(limiter.wait(kClient, 1000), 250u);
  EXPECT_EQ(limiter.wait(kClient, 1100), 150u);
  EXPECT_FALSE(limiter.allow(kClient, 1249));
  EXPECT_EQ(limiter.wait(kClient, 1249), 1u);
  EXPECT_EQ(limiter.wait(kClient, 1250), 0u);
  EXPECT_TRUE(limiter.allow(kClient, 1250));
  EXPECT_EQ(limiter.wait(kClient, 1250), 250u);
  EXPECT_EQ(limiter.wait(kOther, 1250), 0u);  // its own bucket
}

TEST(RateLimiter, WaitIsZeroWhenNothingIsLimited) {
  auto c = config(1, 1);
  c.trusted = {*Network::parse("10.0.0.0/8")};
  RateLimiter limiter(c, kKey);
  const Address trusted = *Address::parse("10.1.2.3");
  allowed_of(limiter, trusted, 1000, 10);
  EXPECT_EQ(limiter.wait(trusted, 1000), 0u);
  RateLimiter off(config(0, 1), kKey);
  allowed_of(off, kClient, 1000, 10);
  EXPECT_EQ(off.wait(kClient, 1000), 0u);
}

TEST(RateLimiter, SteadyClientUnderTheRateIsNeverRefused) {
  RateLimiter limiter(config(10, 1), kKey);
  for (Millis now = 1000; now < 60'000; now += 100) EXPECT_TRUE(limiter.allow(kClient, now)) << now;
}

TEST(RateLimiter, RefusedRequestsCostNothing) {
  RateLimiter limiter(config(10, 5), kKey);
  for (Millis now = 1000; now < 11'000; now += 100) {
    allowed_of(limiter, kClient, now, 50);  // hammering does not push the refill back
  }
  EXPECT_EQ(allowed_of(limiter, kClient, 11'500, 100), 5);
}

TEST(RateLimiter, AddressesHaveTheirOwnBuckets) {
  RateLimiter limiter(config(1, 3), kKey);
  EXPECT_EQ(allowed_of(limiter, kClient, 1000, 10), 3);
  EXPECT_EQ(allowed_of(limiter, kOther, 1000, 10), 3);
}

TEST(RateLimiter, Ipv6KeyedByItsSlash64) {
  RateLimiter limiter(config(1, 3), kKey);
  EXPECT_EQ(allowed_of(limiter, *Address::parse("2001:db8:1:2::1"), 1000, 2), 2);
  EXPECT_EQ(allowed_of(limiter, *Address::parse("2001:db8:1:2:ffff::9"), 1000, 10), 1);
  EXPECT_EQ(allowed_of(limiter, *Address::parse("2001:db8:1:3::1"), 1000, 10), 3);
}

TEST(RateLimiter, TrustedNetworksBypass) {
  auto c = config(1, 1);
  c.trusted = {*Network::parse("10.0.0.0/8"), *Network::parse("::1/128")};
  RateLimiter limiter(c, kKey);
  EXPECT_EQ(allowed_of(limiter, *Address::parse("10.1.2.3"), 1000, 1000), 1000);
  EXPECT_EQ(allowed_of(limiter, *Address::parse("::1"), 1000, 1000), 1000);
  EXPECT_EQ(allowed_of(limiter, *Address::parse("11.1.2.3"), 1000, 1000), 1);
}

TEST(RateLimiter, ZeroRateIsOff) {
  RateLimiter limiter(config(0, 1), kKey);
  EXPECT_FALSE(limiter.enabled());
  EXPECT_EQ(limiter.memory_bytes(), 0u);
  EXPECT_EQ(allowed_of(limiter, kClient, 1000, 10'000), 10'000);
}

TEST(RateLimiter, TableSizeIsAPowerOfTwo) {
  auto c = config(1, 1);
  c.slots = 1000;
  EXPECT_EQ(RateLimiter(c, kKey).slot_count(), 1024u);
}

TEST(RateLimiter, MemoryStaysConstantUnderAMillionAddresses) {
  auto c = config(50, 500);
  c.slots = 4096;
  RateLimiter limiter(c, kKey);
  auto before = limiter.memory_bytes();
  EXPECT_EQ(before, 4096 * sizeof(std::uint64_t));
  for (std::uint32_t i = 0; i < 1'000'000; ++i) limiter.allow(v4_address(i), 1000 + i / 1000);
  EXPECT_EQ(limiter.memory_bytes(), before);
  EXPECT_EQ(limiter.slot_count(), 4096u);
}

TEST(RateLimiter, CollisionsShareABucketAndNeverExceedTheLimit) {
  // Spoofing many addresses into one bucket buys no more than one burst.
  auto c = config(1, 10);
  c.slots = 1;  // rounded to 1: every address shares one bucket
  RateLimiter limiter(c, kKey);
  int allowed = 0;
  for (std::uint32_t i = 0; i < 1000; ++i) allowed += limiter.allow(v4_address(i), 1000);
  EXPECT_EQ(allowed, 10);
}
