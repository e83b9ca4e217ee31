#pragma once
// Per-client-address request rate limit: a token bucket per address, kept as
// GCRA (the "generic cell rate algorithm": one theoretical-arrival time per
// bucket instead of a token count and a time stamp; same behaviour, 8 bytes).
//
// Memory is fixed at construction: a direct-mapped table of `slots` buckets
// indexed by a keyed hash (SipHash) of the address. Addresses that collide
// share a bucket instead of evicting each other, so no address ever gets more
// than the limit, a flood of spoofed addresses cannot grow the table, and an
// attacker who cannot see the key cannot aim collisions at a victim. With the
// default limits an innocent address sharing a slot with a busy one notices
// nothing until that slot sees more than the rate on its own.
//
// IPv6 clients are keyed by their /64: one household or host gets a /64,
// and rotating through it must not multiply the limit.
//
// Not thread-safe: one limiter per worker thread (shared-nothing). Pure:
// time comes in as `now`.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/endpoint.hpp"
#include "core/time.hpp"

namespace cairn::tracker {

struct RateLimitConfig {
  std::uint32_t per_second = 50;       // sustained requests per second; 0 turns limiting off
  std::uint32_t burst = 500;           // requests allowed at once from a full bucket; >= 1
  std::uint32_t slots = 65536;         // buckets per limiter, rounded up to a power of two
  std::vector<core::Network> trusted;  // never limited
};

class RateLimiter {
 public:
  explicit RateLimiter(const RateLimitConfig& config);  // random hash key
  RateLimiter(const RateLimitConfig& config, const std::array<std::uint8_t, 16>& key);

  // Takes one request from the client's bucket; false means refuse it.
  bool allow(const core::Address& client, core::Millis now);
  // How long until allow() takes the client's next request (0: now), for a
  // refusal's Retry-After. Changes nothing.
  core::Millis wait(const core::Address& client, core::Millis now) const;

  bool enabled() const { return !tat_.empty(); }
  std::size_t slot_count() const { return tat_.size(); }
  // Bytes held, for tests and stats: constant after construction.
  std::size_t memory_bytes() const {
    return tat_.capacity() * sizeof(std::uint64_t) + trusted_.capacity() * sizeof(core::Network);
  }

 private:
  bool trusted(const core::Address& client) const;
  std::size_t slot_of(const core::Address& client) const;

  std::vector<std::uint64_t> tat_;  // per slot: theoretical arrival time, microseconds
  std::uint64_t interval_us_ = 0;   // one request's worth of time
  std::uint64_t tolerance_us_ = 0;  // how far ahead of now a bucket may run: (burst - 1) intervals
  std::vector<core::Network> trusted_;
  std::array<std::uint8_t, 16> key_{};
};

}  // namespace cairn::tracker
