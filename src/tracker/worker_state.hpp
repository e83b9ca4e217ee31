#pragma once
// What one worker thread owns and reuses across requests, so the hot path
// allocates nothing once warm: its random state, scratch buffers, counters,
// its rate-limit table, its view of the access list, and its way to write
// to taken-over connections.
#include <cstdint>
#include <string>

#include "core/compact_peers.hpp"
#include "core/random.hpp"
#include "tracker/access_list.hpp"
#include "tracker/access_log.hpp"
#include "tracker/connection_router.hpp"
#include "tracker/counters.hpp"
#include "tracker/private_mode.hpp"
#include "tracker/rate_limiter.hpp"

namespace cairn::tracker {

struct WorkerState {
  WorkerState(std::uint64_t seed, const RateLimitConfig& rate_limit, const AccessList& access_list)
      : rng(seed), limiter(rate_limit), access(access_list) {}
  core::Rng rng;
  RateLimiter limiter;  // per worker: see docs/architecture.md
  AccessView access;
  core::PeerList peers;     // selection scratch, in wire form
  std::string body;         // HTTP reply body scratch
  WorkerCounters counters;  // summed by the server's MetricsRegistry
  // Writes to taken-over connections, this worker's or another's; set by
  // the worker (null in tests that serve plain requests only).
  ConnectionRouter* connections = nullptr;
  // Private mode's passkeys, allow-list and accounting buffer; null in
  // public mode (set by the server before the worker starts).
  PrivateWorker* private_mode = nullptr;
  // The process's access log (server.access_log); null when it is off.
  AccessLog* access_log = nullptr;
};

}  // namespace cairn::tracker
