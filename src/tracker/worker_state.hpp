#pragma once
// What one worker thread owns and reuses across requests, so the hot path
// allocates nothing once warm: its random state, scratch buffers, counters,
// its rate-limit table, its view of the access list, and its way to write
// to taken-over connections.
#include <atomic>
#include <cstdint>
#include <string>

#include "core/compact_peers.hpp"
#include "core/random.hpp"
#include "tracker/access_list.hpp"
#include "tracker/connection_router.hpp"
#include "tracker/rate_limiter.hpp"

namespace cairn::tracker {

// Per-worker counters: written by one thread (relaxed), summed by readers.
struct Counters {
  std::atomic<std::uint64_t> udp_received{0};
  std::atomic<std::uint64_t> udp_connects{0};
  std::atomic<std::uint64_t> udp_announces{0};
  std::atomic<std::uint64_t> udp_scrapes{0};
  std::atomic<std::uint64_t> udp_bad_connection_id{0};
  std::atomic<std::uint64_t> udp_malformed{0};
  std::atomic<std::uint64_t> udp_send_dropped{0};
  std::atomic<std::uint64_t> http_connections{0};
  std::atomic<std::uint64_t> http_connections_refused{0};
  std::atomic<std::uint64_t> http_requests{0};
  std::atomic<std::uint64_t> http_announces{0};
  std::atomic<std::uint64_t> http_scrapes{0};
  std::atomic<std::uint64_t> http_bad_requests{0};
  std::atomic<std::uint64_t> http_bad_forwarded{0};  // a trusted proxy's header named no address
  std::atomic<std::uint64_t> http_timeouts{0};
  std::atomic<std::uint64_t> tracker_full{0};
  std::atomic<std::uint64_t> udp_rate_limited{0};   // dropped unanswered
  std::atomic<std::uint64_t> http_rate_limited{0};  // answered "rate limit exceeded"
  std::atomic<std::uint64_t> torrents_refused{
      0};  // announces and scraped hashes the access list refused
  std::atomic<std::uint64_t> rendezvous_registers{0};  // HTTP and UDP
  std::atomic<std::uint64_t> rendezvous_lookups{0};
  std::atomic<std::uint64_t> rendezvous_unregisters{0};
  std::atomic<std::uint64_t> rendezvous_refused{0};  // answered with an error code
  std::atomic<std::uint64_t> stun_requests{0};       // Binding requests (answered or not)
  std::atomic<std::uint64_t> stun_unanswered{0};     // no answer fitted (nat.stun, 420 size)
  std::atomic<std::uint64_t> stun_malformed{0};      // bad attributes or FINGERPRINT
  std::atomic<std::uint64_t> stun_ignored{0};        // indications, answers, other methods
  std::atomic<std::uint64_t> punch_sessions{0};      // opened (or moved to a new socket)
  std::atomic<std::uint64_t> punch_keepalives{0};
  std::atomic<std::uint64_t> punch_attempts{0};
  std::atomic<std::uint64_t> punch_synced{0};
  std::atomic<std::uint64_t> punch_relayed{0};        // datagrams forwarded
  std::atomic<std::uint64_t> punch_relay_dropped{0};  // over the pair's rate
  std::atomic<std::uint64_t> punch_refused{0};        // answered with an error code
  // Connections taken over by another protocol (frontend/connection.hpp).
  std::atomic<std::uint64_t> connections_taken_over{0};
  std::atomic<std::uint64_t> deliveries_dropped{0};   // for a connection gone, or its queue full
  std::atomic<std::uint64_t> slow_readers{0};         // queue not emptied for send_timeout
  std::atomic<std::uint64_t> taken_over_timeouts{0};  // silent past idle_timeout

  static void bump(std::atomic<std::uint64_t>& c) {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
};

struct WorkerState {
  WorkerState(std::uint64_t seed, const RateLimitConfig& rate_limit, const AccessList& access_list)
      : rng(seed), limiter(rate_limit), access(access_list) {}
  core::Rng rng;
  RateLimiter limiter;  // per worker: see docs/architecture.md
  AccessView access;
  core::PeerList peers;  // selection scratch, in wire form
  std::string body;      // HTTP reply body scratch
  Counters counters;
  // Writes to taken-over connections, this worker's or another's; set by
  // the worker (null in tests that serve plain requests only).
  ConnectionRouter* connections = nullptr;
};

}  // namespace cairn::tracker
