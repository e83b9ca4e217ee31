#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace cairn::test {

// A path in the test's temp dir named after the running test and this
// process: CTest runs tests in parallel, and several builds of the suite
// (the sanitizer lanes, other checkouts) may run the same test at once.
inline std::string temp_path(const std::string& suffix) {
  return ::testing::TempDir() + "cairn_" + std::to_string(::getpid()) + "_" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name() + suffix;
}

}  // namespace cairn::test
