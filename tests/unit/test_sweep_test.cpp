#include "server/test_sweep.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include "support/temp_path.hpp"

using cairn::core::Seconds;
using namespace cairn::server;

TEST(TestSweep, ParsesWholeSeconds) {
  EXPECT_EQ(parse_sweep_ahead("0"), Seconds{0});
  EXPECT_EQ(parse_sweep_ahead("5\n"), Seconds{5});
  EXPECT_EQ(parse_sweep_ahead("3600\r\n"), kMaxSweepAhead);
  for (const char* bad : {"", "\n", "-1", "+1", " 5", "5 ", "5s", "1.5", "3601", "99999999999"})
    EXPECT_EQ(parse_sweep_ahead(bad), std::nullopt) << bad;
}

namespace {

// A request file in the test's temp dir.
std::string request_path() { return cairn::test::temp_path(".sweep"); }

void write(const std::string& path, const char* text) { std::ofstream(path) << text; }

bool exists(const std::string& path) { return std::ifstream(path).good(); }

}  // namespace

TEST(TestSweep, ARequestSweepsOnceAndIsDeleted) {
  const std::string path = request_path();
  std::remove(path.c_str());
  TestSweepFile file(path);
  std::vector<Seconds> sweeps;
  auto record = [&](Seconds ahead) { sweeps.push_back(ahead); };
  EXPECT_FALSE(file.poll(record));  // nothing waiting
  write(path, "7\n");
  EXPECT_TRUE(file.poll(record));
  EXPECT_FALSE(exists(path));
  EXPECT_FALSE(file.poll(record));
  EXPECT_EQ(sweeps, std::vector<Seconds>{7});
}

TEST(TestSweep, ABadRequestIsDroppedWithoutASweep) {
  const std::string path = request_path();
  TestSweepFile file(path);
  write(path, "soon");
  bool swept = false;
  EXPECT_TRUE(file.poll([&](Seconds) { swept = true; }));
  EXPECT_FALSE(swept);
  EXPECT_FALSE(exists(path));
}

TEST(TestSweep, InactiveWithoutAPath) {
  TestSweepFile none("");
  EXPECT_FALSE(none.active());
  EXPECT_FALSE(none.poll([](Seconds) { ADD_FAILURE() << "swept"; }));
}
