// Sharded pub/sub on the test cluster (run through with_redis_cluster.py,
// which sets CAIRN_REDIS_SEEDS): channels under different hash tags live on
// different masters; a ShardedSubscriber gets what a ClusterClient
// SPUBLISHes to each, and nothing more once it unsubscribed.
#include "redis/sharded_subscriber.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "redis/cluster_client.hpp"
#include "store/redis/key_slot.hpp"
#include "store/redis/link.hpp"

using namespace cairn;
using namespace std::chrono_literals;
using store::redis::NodeAddress;

namespace {

std::shared_ptr<redis::ClusterClient> cluster() {
  const char* text = std::getenv("CAIRN_REDIS_SEEDS");
  if (text == nullptr || *text == '\0')
    throw std::runtime_error(
        "CAIRN_REDIS_SEEDS is not set: run this test through tests/redis/with_redis_cluster.py, "
        "which starts a Redis Cluster and sets it");
  redis::ClusterOptions o;
  const std::string all(text);
  for (std::size_t at = 0; at <= all.size();) {
    const std::size_t comma = std::min(all.find(',', at), all.size());
    auto node = NodeAddress::parse(std::string_view(all).substr(at, comma - at), "");
    if (!node) throw std::runtime_error("CAIRN_REDIS_SEEDS: not HOST:PORT: " + all);
    o.seeds.push_back(*node);
    at = comma + 1;
  }
  o.timeout = 5s;  // a loaded test machine
  return std::make_shared<redis::ClusterClient>(std::move(o));
}

// SPUBLISH through the cluster client: how many subscribers got it.
std::int64_t publish(redis::ClusterClient& c, const std::string& channel,
                     const std::string& payload) {
  store::redis::Batch batch;
  store::redis::Replies replies;
  batch.command(store::redis::key_slot(channel));
  batch.arg("SPUBLISH");
  batch.arg(channel);
  batch.arg(payload);
  c.exec(batch, replies);
  if (!replies.answered(0) || replies.at(0).type() != codec::resp::Type::integer) return -1;
  return replies.at(0).integer();
}

struct Received {
  std::mutex mutex;
  std::condition_variable changed;
  std::multimap<std::string, std::string> messages;

  void add(std::string_view channel, std::string_view payload) {
    std::lock_guard lock(mutex);
    messages.emplace(channel, payload);
    changed.notify_all();
  }
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return messages.size() >= count; });
  }
};

bool settle(const redis::ShardedSubscriber& s) {
  for (int i = 0; i < 200 && !s.settled(); ++i) std::this_thread::sleep_for(50ms);
  return s.settled();
}

}  // namespace

TEST(ShardedPubSub, MessagesOnEveryShardReachTheSubscriber) {
  auto client = cluster();
  ASSERT_EQ(client->masters().size(), 3u);
  // Hash tags on the three masters.
  std::vector<std::string> channels;
  std::set<std::string> masters;
  for (int i = 0; channels.size() < 3 && i < 1000; ++i) {
    const std::string name = "test:w{" + std::to_string(i) + "}:node";
    const auto m = client->master_of(store::redis::key_slot(name));
    ASSERT_TRUE(m.has_value());
    if (masters.insert(m->to_string()).second) channels.push_back(name);
  }
  ASSERT_EQ(channels.size(), 3u);

  Received got;
  redis::ShardedSubscriber sub(client,
                               [&](std::string_view c, std::string_view p) { got.add(c, p); });
  for (const auto& c : channels) sub.subscribe(c);
  ASSERT_TRUE(settle(sub)) << "the subscriptions were not confirmed";
  for (const auto& c : channels) EXPECT_EQ(publish(*client, c, "hello " + c), 1) << c;
  ASSERT_TRUE(got.wait_for(3, 5s));
  for (const auto& c : channels) {
    auto [a, b] = got.messages.equal_range(c);
    ASSERT_EQ(std::distance(a, b), 1) << c;
    EXPECT_EQ(a->second, "hello " + c);
  }

  // Unsubscribed: Redis delivers to nobody; the others still arrive.
  sub.unsubscribe(channels[0]);
  for (int i = 0; i < 100 && publish(*client, channels[0], "x") != 0; ++i)
    std::this_thread::sleep_for(50ms);
  EXPECT_EQ(publish(*client, channels[0], "gone"), 0);
  EXPECT_EQ(publish(*client, channels[1], "again"), 1);
  ASSERT_TRUE(got.wait_for(4, 5s));
  std::lock_guard lock(got.mutex);
  for (const auto& [c, p] : got.messages) EXPECT_NE(p, "gone");
}

// A publisher that expects a reply on a channel waits for the subscription
// first: what is published once wait_subscribed() says yes arrives, with no
// sleep between (the subscriber is woken, not polled). stop() releases a
// waiter at once, with a no.
TEST(ShardedPubSub, WhatIsPublishedOnceSubscribedArrives) {
  auto client = cluster();
  Received got;
  redis::ShardedSubscriber sub(client,
                               [&](std::string_view c, std::string_view p) { got.add(c, p); });
  for (int i = 0; i < 20; ++i) {
    const std::string channel = "test:w{wait" + std::to_string(i) + "}:node";
    sub.subscribe(channel);
    ASSERT_TRUE(sub.wait_subscribed(channel, std::chrono::steady_clock::now() + 5s)) << channel;
    ASSERT_EQ(publish(*client, channel, channel), 1) << channel;
  }
  ASSERT_TRUE(got.wait_for(20, 5s));

  const std::string never = "test:w{never}:node";  // not asked for: never confirmed
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    sub.stop();
  });
  const auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(sub.wait_subscribed(never, started + 30s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  stopper.join();
  EXPECT_FALSE(sub.wait_subscribed("test:w{wait0}:node", std::chrono::steady_clock::now() + 1s))
      << "a stopped subscriber confirms nothing";
}

// The master of a channel's slot dies (SHUTDOWN NOSAVE, sent to it through
// the slot): its replica takes over, the subscriber's link breaks, and the
// channel is subscribed again on the new master by itself.
TEST(ShardedPubSub, AChannelFollowsAFailover) {
  auto client = cluster();
  const std::string channel = "test:w{failover}:node";
  const std::uint16_t slot = store::redis::key_slot(channel);
  const auto old_master = client->master_of(slot);
  ASSERT_TRUE(old_master.has_value());

  Received got;
  redis::ShardedSubscriber sub(client,
                               [&](std::string_view c, std::string_view p) { got.add(c, p); });
  sub.subscribe(channel);
  ASSERT_TRUE(settle(sub));
  ASSERT_EQ(publish(*client, channel, "before"), 1);
  ASSERT_TRUE(got.wait_for(1, 5s));

  store::redis::Batch batch;
  store::redis::Replies replies;
  batch.command(slot);
  batch.arg("SHUTDOWN");
  batch.arg("NOSAVE");
  client->exec(batch, replies);  // no reply: the node is gone

  // Until a replica serves the slot and the subscriber is on it: each try
  // publishes, and only a delivered message counts.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  bool moved = false, delivered = false;
  while (std::chrono::steady_clock::now() < deadline && !delivered) {
    client->refresh_map();
    const auto now_master = client->master_of(slot);
    moved = moved || (now_master && !(*now_master == *old_master));
    if (moved && publish(*client, channel, "after") == 1) delivered = got.wait_for(2, 5s);
    if (!delivered) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(moved) << "no replica took over the slot";
  ASSERT_TRUE(delivered) << "the subscriber did not follow the failover";
  std::lock_guard lock(got.mutex);
  auto [a, b] = got.messages.equal_range(channel);
  ASSERT_EQ(std::distance(a, b), 2);
  EXPECT_EQ(std::next(a)->second, "after");
}
