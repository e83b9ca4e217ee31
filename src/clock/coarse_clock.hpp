#pragma once
// The process's clock. Its own layer, linked only by net/ and server/, so an
// include of it from codec/, store/ or tracker/ fails to build: those layers
// are handed `now` (core/time.hpp) instead.
#include <atomic>
#include <chrono>

#include "core/time.hpp"

namespace cairn::clock {

using core::Millis;
using core::Seconds;

// Monotonic time since an arbitrary start, read once per batch of work
// (opentracker's trick: a cached coarse clock costs nothing per request).
// Both readings advance only when tick() runs (every 250 ms in the server),
// and both start `start` seconds in (at least one, so 0 can mean "never").
// The server starts later than that, so a peer restored from a snapshot
// with an age up to the peer TTL still has a last-seen time past zero.
class CoarseClock {
 public:
  explicit CoarseClock(Seconds start = 1)
      : start_(std::chrono::steady_clock::now()), offset_ms_(Millis{start < 1 ? 1 : start} * 1000) {
    tick();
  }
  Seconds now() const { return now_.load(std::memory_order_relaxed); }
  // The same time scale as now_ms(), read from the system clock now: for
  // the few things 250 ms steps are too coarse for (hole punching's
  // round-trip times). A system call's worth, so once per batch at most.
  Millis precise_ms() const {
    auto elapsed = std::chrono::steady_clock::now() - start_;
    return static_cast<Millis>(
               std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()) +
           offset_ms_;
  }
  Millis now_ms() const { return now_ms_.load(std::memory_order_relaxed); }
  void tick() {
    auto ms = precise_ms();
    now_ms_.store(ms, std::memory_order_relaxed);
    now_.store(static_cast<Seconds>(ms / 1000), std::memory_order_relaxed);
  }

 private:
  std::chrono::steady_clock::time_point start_;
  Millis offset_ms_;
  std::atomic<Seconds> now_{0};
  std::atomic<Millis> now_ms_{0};
};

}  // namespace cairn::clock
