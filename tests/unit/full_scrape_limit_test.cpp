// tracker/full_scrape_limit.hpp (one full scrape per address per interval,
// bounded memory) and tracker/access_log.hpp (its rate cap).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tracker/access_log.hpp"
#include "tracker/full_scrape_limit.hpp"

namespace cairn::tracker {
namespace {

core::Address addr(const char* text) { return *core::Address::parse(text); }

TEST(FullScrapeLimit, OncePerIntervalPerAddress) {
  FullScrapeLimit limit(30);
  EXPECT_TRUE(limit.admit(addr("192.0.2.1"), 100));
  EXPECT_FALSE(limit.admit(addr("192.0.2.1"), 100));
  EXPECT_FALSE(limit.admit(addr("192.0.2.1"), 129));
  EXPECT_TRUE(limit.admit(addr("192.0.2.2"), 101));
  EXPECT_TRUE(limit.admit(addr("192.0.2.1"), 130));  // exactly one interval later
  EXPECT_FALSE(limit.admit(addr("192.0.2.1"), 131));
}

TEST(FullScrapeLimit, AnIpv6HostIsItsSlash64) {
  FullScrapeLimit limit(30);
  EXPECT_TRUE(limit.admit(addr("2001:db8:1:2::1"), 0));
  EXPECT_FALSE(limit.admit(addr("2001:db8:1:2:ffff::9"), 1));
  EXPECT_TRUE(limit.admit(addr("2001:db8:1:3::1"), 1));
  // An IPv4 address and an IPv6 one with the same first bytes are apart.
  EXPECT_TRUE(limit.admit(addr("32.1.13.184"), 1));
}

TEST(FullScrapeLimit, AFullTableRefusesNewAddressesUntilItDrains) {
  FullScrapeLimit limit(30, 4);
  const char* four[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"};
  for (const char* a : four) EXPECT_TRUE(limit.admit(addr(a), 10));
  EXPECT_FALSE(limit.admit(addr("192.0.2.5"), 20));  // all four still within the interval
  EXPECT_TRUE(limit.admit(addr("192.0.2.5"), 40));   // they expired: dropped, room made
  EXPECT_FALSE(limit.admit(addr("192.0.2.5"), 41));
}

TEST(AccessLog, WritesAtMostItsCapASecondAndReportsTheRest) {
  std::vector<std::string> lines;
  AccessLog log(2, [&](const std::string& l) { lines.push_back(l); });
  core::InfoHash h;
  h.bytes.fill(0xab);
  for (int i = 0; i < 5; ++i) log.refused(addr("192.0.2.7"), "rate limit exceeded", 100);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "refused 192.0.2.7: rate limit exceeded");
  EXPECT_EQ(log.suppressed(), 3u);
  log.refused(addr("2001:db8::7"), "torrent not allowed", 101, &h);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2], "refused 2001:db8::7: torrent not allowed, info_hash " + h.hex() +
                          " (3 refusals not logged before this one: over 2 lines a second)");
  log.refused(addr("192.0.2.7"), "rate limit exceeded", 101);
  EXPECT_EQ(lines.back(), "refused 192.0.2.7: rate limit exceeded");  // reported once only
}

}  // namespace
}  // namespace cairn::tracker
