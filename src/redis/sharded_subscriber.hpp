#pragma once
// Sharded pub/sub (Redis 7.0: SSUBSCRIBE, SPUBLISH) on a Redis Cluster: a
// channel lives on the shard of its hash slot (a channel named under a
// swarm's hash tag, "NS:w{HEX}...", lives with the swarm), and is
// subscribed to on the master that serves that slot. The building block
// for relaying WebSocket offers and answers between Cairn nodes (issue
// 14); publishing is a plain SPUBLISH through the ClusterClient.
//
// One thread of its own holds one connection per master it subscribes on
// (the ClusterClient's options: credentials, TLS) and hands each message
// to `on_message` on that thread. It follows the cluster: a channel whose
// slot moved (Redis sends SUNSUBSCRIBE, or a MOVED reply), or whose
// connection broke, is subscribed again on the slot's master once the
// ClusterClient's map names one. Messages published while a channel is
// not subscribed are lost (pub/sub keeps nothing): a publisher that expects
// a reply on a channel waits for it with wait_subscribed() first.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "redis/cluster_client.hpp"

namespace cairn::redis {

class ShardedSubscriber {
 public:
  using OnMessage = std::function<void(std::string_view channel, std::string_view payload)>;

  ShardedSubscriber(std::shared_ptr<ClusterClient> cluster, OnMessage on_message);
  ~ShardedSubscriber();  // stop()
  ShardedSubscriber(const ShardedSubscriber&) = delete;
  ShardedSubscriber& operator=(const ShardedSubscriber&) = delete;

  // Thread-safe; they wake the subscriber's thread, which sends them at once.
  void subscribe(std::string channel);
  void unsubscribe(std::string channel);
  // Until Redis has confirmed `channel` (true), or `deadline`, or stop()
  // (false). Thread-safe.
  bool wait_subscribed(const std::string& channel, std::chrono::steady_clock::time_point deadline);
  // Stops the thread and closes its connections; no on_message after it.
  // Idempotent; waiters return false.
  void stop();
  // Whether every channel asked for is subscribed now (for tests).
  bool settled() const { return settled_.load(std::memory_order_acquire); }

 private:
  struct Link;     // a connection to one master and its channels
  struct Channel;  // a channel wanted, and where it is subscribed

  void run();
  void apply_changes();
  void place(Channel& c);
  void read(Link& link);
  void drop(Link& link);
  void confirm(Channel& c, bool confirmed);
  void wake();
  Link& link_to(const store::redis::NodeAddress& node);

  std::shared_ptr<ClusterClient> cluster_;
  OnMessage on_message_;
  std::mutex mutex_;  // changes_, confirmed_
  std::condition_variable confirmed_changed_;
  std::vector<std::pair<std::string, bool>> changes_;  // (channel, subscribe?)
  std::set<std::string, std::less<>> confirmed_;       // what Redis acknowledged
  int wake_fd_ = -1;                                   // an eventfd in the poll set
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<Channel> channels_;
  std::atomic<bool> settled_{true};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace cairn::redis
