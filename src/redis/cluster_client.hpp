#pragma once
// The Redis Cluster client: a RedisLink over sockets. It keeps the slot
// map (CLUSTER SHARDS, or CLUSTER SLOTS from older servers), sends each
// batch pipelined to the masters that serve its slots, follows MOVED and
// ASK (store/redis/redirect.hpp decides), reconnects, and refreshes the
// map when the cluster changes under it (a failover, a resharding).
//
// Bounded: exec() returns by `timeout` after it started, whatever the
// cluster does; a call without a reply by then is left unanswered (the
// stores turn that into "tracker busy, retry"). A node that refused a
// connection is not tried again for `down_time`: calls for its slots fail
// at once meanwhile instead of each waiting, and the map is refreshed so a
// replica that took over is found. A call whose bytes may have reached a
// node whose connection then broke is never sent again (it may have run);
// it is left unanswered.
//
// Threads: any number call exec() at once. Each takes a session (its own
// connection to each node) from a pool and gives it back; the map is
// shared, replaced whole under a mutex.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "redis/connection.hpp"
#include "store/redis/link.hpp"
#include "store/redis/slot_map.hpp"

namespace cairn::redis {

struct ClusterOptions {
  std::vector<store::redis::NodeAddress> seeds;  // some nodes; the rest is discovered
  Credentials credentials;
  std::chrono::milliseconds timeout{1000};  // one exec(), start to end
  std::chrono::milliseconds down_time{250};
  std::shared_ptr<const TlsClient> tls;  // null: plain TCP
};

class ClusterClient final : public store::redis::RedisLink {
 public:
  // Reads the slot map from the first seed that answers. Throws
  // std::runtime_error, naming every seed and why it failed, if none does
  // within startup_timeout.
  explicit ClusterClient(ClusterOptions options,
                         std::chrono::milliseconds startup_timeout = std::chrono::seconds(5));
  ~ClusterClient() override;

  void exec(const store::redis::Batch& batch, store::redis::Replies& replies) override;
  const store::RemoteCounters* counters() const override { return &counters_; }

  // For tests and logs: the masters the map names now, and how many slots
  // have one.
  std::vector<store::redis::NodeAddress> masters() const;
  std::size_t slots_covered() const;

  // For a client of its own beside this one (sharded pub/sub,
  // redis/sharded_subscriber.hpp): the master that serves `slot` now, and
  // a fresh read of the map (at most every 100 ms, whoever asks) when it
  // moved.
  std::optional<store::redis::NodeAddress> master_of(std::uint16_t slot) const;
  void refresh_map();
  const ClusterOptions& options() const { return options_; }

 private:
  struct Session;
  struct Exchange;

  // Sends what the round routed and reads the replies, until each group
  // is answered, its connection breaks, or the exec's time is up.
  void exchange(Session& s, Exchange& x);
  std::unique_ptr<Session> take_session();
  void give_back(std::unique_ptr<Session> s);
  std::shared_ptr<const store::redis::SlotMap> map() const;
  // Reads the map again, at most every 100 ms whoever asks; true if it
  // got one (within `deadline`).
  bool refresh(Session& s, Clock::time_point deadline, bool force, std::string* why = nullptr);
  bool is_down(const store::redis::NodeAddress& node, Clock::time_point now) const;
  void mark_down(const store::redis::NodeAddress& node, const std::string& why);
  void mark_up(const store::redis::NodeAddress& node);

  // Opens `conn` if it is not open; counts a reconnection.
  bool ensure(Connection& conn, Clock::time_point deadline, std::string& error);

  ClusterOptions options_;
  store::RemoteCounters counters_;
  mutable std::mutex mutex_;  // map_, sessions_, down_, last_refresh_
  std::shared_ptr<const store::redis::SlotMap> map_;
  std::vector<std::unique_ptr<Session>> sessions_;
  struct Down {
    store::redis::NodeAddress node;
    Clock::time_point until;
  };
  std::vector<Down> down_;
  Clock::time_point last_refresh_{};
};

}  // namespace cairn::redis
