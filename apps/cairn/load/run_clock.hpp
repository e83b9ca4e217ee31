#pragma once
// When a driver thread counts, and when it stops. With --duration the
// window is [start + warmup, start + warmup + duration); with --requests or
// --preload everything counts and the thread stops when its lanes are done.
#include <chrono>
#include <cstdint>

namespace cairn::load {

using Micros = std::int64_t;

inline Micros now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct RunClock {
  Micros start = 0;
  Micros measure_from = 0;
  Micros stop_at = INT64_MAX;  // INT64_MAX: run until the lanes are exhausted

  static RunClock timed(Micros start, double warmup_s, double duration_s) {
    auto from = start + static_cast<Micros>(warmup_s * 1e6);
    return {start, from, from + static_cast<Micros>(duration_s * 1e6)};
  }
  static RunClock counted(Micros start) { return {start, start, INT64_MAX}; }

  bool measuring(Micros now) const { return now >= measure_from && now < stop_at; }
  bool over(Micros now) const { return now >= stop_at; }
};

}  // namespace cairn::load
