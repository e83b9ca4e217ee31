#pragma once
// Time as the tracker sees it: whole seconds. Layers below net/ never read a
// clock; they are handed `now`, so tests drive time by hand.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace cairn::core {

using Seconds = std::uint32_t;

// Monotonic seconds since an arbitrary start, read once per batch of work
// (opentracker's trick: a cached coarse clock costs nothing per request).
class CoarseClock {
 public:
  CoarseClock() : start_(std::chrono::steady_clock::now()) { tick(); }
  Seconds now() const { return now_.load(std::memory_order_relaxed); }
  void tick() {
    auto elapsed = std::chrono::steady_clock::now() - start_;
    now_.store(static_cast<Seconds>(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count()) + 1,
               std::memory_order_relaxed);
  }

 private:
  std::chrono::steady_clock::time_point start_;
  std::atomic<Seconds> now_{0};
};

}  // namespace cairn::core
