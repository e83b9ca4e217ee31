#pragma once
// What one worker thread owns and reuses across requests, so the hot path
// allocates nothing once warm: its random state, scratch buffers, counters,
// its rate-limit table and its view of the access list.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/peer.hpp"
#include "core/random.hpp"
#include "tracker/access_list.hpp"
#include "tracker/rate_limiter.hpp"

namespace cairn::net {

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
  // Connections refused because their address held http.max_connections_per_address.
  std::atomic<std::uint64_t> connections_refused_per_address{0};
  // TLS connections closed for a failed handshake or a bad record.
  std::atomic<std::uint64_t> tls_failures{0};
  // WebSocket tracker (net/ws_session.hpp).
  std::atomic<std::uint64_t> ws_connections{0};  // handshakes accepted
  std::atomic<std::uint64_t> ws_messages{0};     // messages read
  std::atomic<std::uint64_t> ws_announces{0};
  std::atomic<std::uint64_t> ws_answers{0};
  std::atomic<std::uint64_t> ws_scrapes{0};
  std::atomic<std::uint64_t> ws_refused{0};         // answered with a failure reason
  std::atomic<std::uint64_t> ws_offers_relayed{0};  // queued for their receiver
  std::atomic<std::uint64_t> ws_answers_relayed{0};
  std::atomic<std::uint64_t> ws_relays_dropped{0};   // receiver's queue full, or gone
  std::atomic<std::uint64_t> ws_protocol_errors{0};  // closed for a frame RFC 6455 forbids
  std::atomic<std::uint64_t> ws_timeouts{0};         // silent past ws.idle_timeout
  std::atomic<std::uint64_t> ws_slow_readers{0};     // closed: queue stuck past ws.send_timeout

  static void bump(std::atomic<std::uint64_t>& c) {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
};

struct WorkerState {
  WorkerState(std::uint64_t seed, const tracker::RateLimitConfig& rate_limit,
              const tracker::AccessList& access_list)
      : rng(seed), limiter(rate_limit), access(access_list) {}
  core::Rng rng;
  tracker::RateLimiter limiter;  // per worker: see docs/architecture.md
  tracker::AccessView access;
  std::vector<core::PeerInfo> peers;  // selection scratch
  std::string body;                   // HTTP reply body scratch
  Counters counters;
};

}  // namespace cairn::net
