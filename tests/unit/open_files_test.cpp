#include "server/open_files.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include "net/http_listener.hpp"

using cairn::server::connections_that_fit;
using cairn::server::raise_open_files_limit;

TEST(OpenFiles, ConnectionsGetWhatIsLeft) {
  // 1024 fds, 2 workers x 2 addresses: 64 + 2 per listener + 4 per worker kept back.
  EXPECT_EQ(connections_that_fit(1024, 2, 2), 1024u - 64 - 8 - 8);
  EXPECT_EQ(connections_that_fit(1024, 1, 1), 1024u - 64 - 2 - 4);
}

// The cap is the process's, not each listener's: the default (10000) fits
// the common limits whatever the machine's cores, so a default start does
// not warn. 20000 is what `make run` met on a 2-core machine, 524288
// systemd's default hard limit.
TEST(OpenFiles, DefaultCapFitsCommonLimits) {
  const std::size_t default_cap = cairn::net::HttpConnectionLimits{}.max_connections;
  EXPECT_GE(connections_that_fit(20000, 2, 2), default_cap);
  EXPECT_GE(connections_that_fit(20000, 64, 2), default_cap);
  EXPECT_GE(connections_that_fit(524288, 256, 2), default_cap);
}

TEST(OpenFiles, NeverZero) {
  EXPECT_EQ(connections_that_fit(10, 4, 2), 1u);
  EXPECT_EQ(connections_that_fit(0, 1, 1), 1u);
}

TEST(OpenFiles, SoftLimitRaisedToHard) {
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
  if (before.rlim_max == RLIM_INFINITY || before.rlim_max < 256)
    GTEST_SKIP() << "hard limit unusable";
  rlimit lowered{128, before.rlim_max};
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
  EXPECT_EQ(raise_open_files_limit(), before.rlim_max);
  rlimit after{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_EQ(after.rlim_cur, before.rlim_max);
}
