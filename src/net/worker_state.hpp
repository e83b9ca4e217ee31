#pragma once
// What one worker thread owns and reuses across requests, so the hot path
// allocates nothing once warm: its random state, scratch buffers, counters.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/peer.hpp"
#include "core/random.hpp"

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
  std::atomic<std::uint64_t> http_timeouts{0};
  std::atomic<std::uint64_t> tracker_full{0};

  static void bump(std::atomic<std::uint64_t>& c) { c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
};

struct WorkerState {
  explicit WorkerState(std::uint64_t seed) : rng(seed) {}
  core::Rng rng;
  std::vector<core::PeerInfo> peers;  // selection scratch
  std::string body;                   // HTTP reply body scratch
  Counters counters;
};

}  // namespace cairn::net
