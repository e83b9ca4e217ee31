#pragma once
// The memory cap (server.max_resident_mb). The guard measures the process's
// resident memory through a function it is given, and while that is at the
// cap, announces store no new torrent or peer (peers already stored keep
// being served). It measures on every `sample_every`-th announce of each
// thread, so the threads that make the store grow also keep the reading
// fresh however busy the machine is, and whenever the server's
// housekeeping asks (after expiry has freed memory, say). Two water marks
// give it hysteresis, so a tracker at its cap does not flap:
//
//   full from   high = 90 % of the cap  (the rest absorbs what arrives
//                                        between two measurements)
//   clear below low  = 80 % of the cap
//
// full() is one relaxed atomic load: announces read it without a lock.
#include <atomic>
#include <cstdint>

namespace cairn::tracker {

class MemoryGuard {
 public:
  using Measure = std::uint64_t (*)();  // resident bytes now
  static constexpr unsigned sample_every = 1024;

  MemoryGuard() = default;
  MemoryGuard(std::uint64_t cap_bytes, Measure resident)
      : high_(cap_bytes / 10 * 9), low_(cap_bytes / 10 * 8), measure_(resident) {}

  bool enabled() const { return high_ != 0; }
  bool full() const { return full_.load(std::memory_order_relaxed); }

  // full(), after measuring if this thread's turn has come.
  bool full_for_announce() {
    if (!enabled()) return false;
    thread_local unsigned countdown = 0;
    if (countdown-- == 0) {
      countdown = sample_every - 1;
      measure();
    }
    return full();
  }

  void measure() {
    if (enabled()) update(measure_());
  }
  void update(std::uint64_t resident_bytes) {
    const bool now = full() ? resident_bytes >= low_ : resident_bytes >= high_;
    full_.store(now, std::memory_order_relaxed);
  }

 private:
  std::uint64_t high_ = 0, low_ = 0;
  Measure measure_ = nullptr;
  std::atomic<bool> full_{false};
};

}  // namespace cairn::tracker
