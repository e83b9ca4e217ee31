#pragma once
// The counters of a store whose state lives elsewhere (a Redis cluster):
// what its client did to reach it. One block per client, shared by every
// thread that calls the store, so each is bumped with fetch_add, once per
// exchange or event, never per request. The server registers the block
// (server/metrics.cpp) when PeerStore::remote_counters() offers one; its
// rows are summed and written like a worker block's
// (tracker::MetricsRegistry::add_blocks).
#include <atomic>
#include <cstdint>

namespace cairn::store {

struct RemoteCounters {
  using Counter = std::atomic<std::uint64_t>;
  // round_trips: one per node per exchange round (a batch of calls sent
  // pipelined to one node and its replies read); commands: calls sent.
  Counter round_trips, commands, unanswered, error_replies, redirections, reconnects, map_refreshes,
      failovers;

  static void add(Counter& c, std::uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }

  template <typename F>
  void each(F&& f) const {
    f("round_trips", "exchanges with one Redis node: a pipelined batch out, its replies in",
      round_trips);
    f("commands", "commands sent to Redis (script calls, ASKING, reads)", commands);
    f("unanswered", "calls left without a reply in time (answered \"tracker busy, retry\")",
      unanswered);
    f("error_replies", "calls Redis answered with an error that no retry fixed", error_replies);
    f("redirections", "MOVED and ASK replies followed", redirections);
    f("reconnects", "connections to a Redis node opened again after one was lost", reconnects);
    f("map_refreshes", "slot maps read (CLUSTER SHARDS or SLOTS)", map_refreshes);
    f("failovers", "slot maps read that moved slots to other masters (a failover, a resharding)",
      failovers);
  }
};

}  // namespace cairn::store
