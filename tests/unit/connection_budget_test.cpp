// The process-wide HTTP connection cap that every listener draws from.
#include "net/connection_budget.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

using cairn::net::ConnectionBudget;

TEST(ConnectionBudget, AdmitsUpToTheCap) {
  ConnectionBudget budget(3);
  EXPECT_TRUE(budget.take());
  EXPECT_TRUE(budget.take());
  EXPECT_TRUE(budget.take());
  EXPECT_FALSE(budget.take());
  EXPECT_EQ(budget.open(), 3u);  // a refusal takes nothing
  budget.give_back();
  EXPECT_TRUE(budget.take());
  EXPECT_FALSE(budget.take());
}

// Listeners on several workers take and give back at once; the count never
// passes the cap and ends where it started.
TEST(ConnectionBudget, SharedByThreadsNeverExceedsTheCap) {
  constexpr std::size_t cap = 50;
  ConnectionBudget budget(cap);
  std::vector<std::thread> threads;
  std::atomic<bool> exceeded{false};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        if (!budget.take()) continue;
        if (budget.open() > cap) exceeded = true;
        budget.give_back();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(exceeded);
  EXPECT_EQ(budget.open(), 0u);
}
