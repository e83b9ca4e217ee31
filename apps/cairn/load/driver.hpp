#pragma once
// What every driver thread (UDP or HTTP) is given and hands back.
#include <atomic>
#include <cstdint>
#include <vector>

#include "load/options.hpp"
#include "load/run_clock.hpp"
#include "load/stats.hpp"
#include "load/traffic.hpp"
#include "load/workload.hpp"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace cairn::load {

// This thread drives lanes [first_lane, first_lane + lane_count) out of
// total_lanes; lane = one UDP socket or one HTTP connection slot.
struct DriverSetup {
  const Options* options = nullptr;
  const Workload* workload = nullptr;
  std::vector<std::uint8_t>* stopped = nullptr;  // per-peer state, lanes own disjoint peers
  std::uint32_t first_lane = 0;
  std::uint32_t lane_count = 0;
  std::uint32_t total_lanes = 0;
  RunClock clock;
  ssl_ctx_st* tls = nullptr;                      // wss: the client context all threads share
  std::atomic<std::uint32_t>* settled = nullptr;  // ws preload: lanes announced or given up

  Traffic traffic_for(std::uint32_t lane) const;
};

struct DriverResult {
  Stats stats;
  Micros finished = 0;  // when the thread stopped
};

// Where an event at `now` is counted: the real stats inside the measured
// window, a scratch copy (never reported) during warm-up.
class StatsSink {
 public:
  explicit StatsSink(const RunClock& clock) : clock_(clock) {}
  Stats& at(Micros now) { return clock_.measuring(now) ? stats_ : scratch_; }
  Stats& result() { return stats_; }

 private:
  RunClock clock_;
  Stats stats_, scratch_;
};

}  // namespace cairn::load
