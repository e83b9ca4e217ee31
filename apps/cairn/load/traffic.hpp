#pragma once
// What one lane (a UDP socket or an HTTP connection) sends next. Peers are
// split between lanes so that a lane only speaks for peers of the source
// address it is bound to, and each peer's announce state (stopped or not) is
// touched by one lane only: no sharing between threads.
#include <cstdint>
#include <vector>

#include "core/event.hpp"
#include "core/random.hpp"
#include "load/workload.hpp"

namespace cairn::load {

// Lane g of `lanes` (a multiple of the address count) owns the peers
// first, first + stride, ... below the peer count.
struct LaneSpan {
  std::uint32_t address = 0;
  std::uint32_t first = 0;
  std::uint32_t stride = 1;
  std::uint32_t count = 0;

  static LaneSpan of(std::uint32_t lane, std::uint32_t lanes, const Workload& w);
  std::uint32_t peer(std::uint32_t i) const { return first + stride * i; }
};

struct PlannedRequest {
  static constexpr std::uint32_t kMaxScrape = 4;
  enum class Kind : std::uint8_t { announce, scrape };
  Kind kind = Kind::announce;
  core::Event event = core::Event::none;
  bool seeder = false;                      // left = 0
  std::uint8_t hash_count = 0;              // scrape
  std::uint8_t attempts = 0;                // preload retries
  std::uint32_t peer = 0;                   // announce
  std::uint32_t torrents[kMaxScrape] = {};  // scrape
};

struct TrafficMix {
  double scrape_ratio = 0.1;
  bool preload = false;              // every peer of the lane once, event=started
  std::uint64_t quota = UINT64_MAX;  // requests this lane may plan (not counting retries)
};

class Traffic {
 public:
  Traffic(const Workload& workload, std::vector<std::uint8_t>& stopped, LaneSpan span,
          const TrafficMix& mix, std::uint64_t rng_seed);

  // False when the lane has nothing more to send (quota spent, preload done).
  bool next(PlannedRequest& out);
  // A preload announce that got no reply: try it again, a few times.
  // False when the peer is given up (counted as lost).
  bool retry(const PlannedRequest& r);
  std::uint32_t address() const { return span_.address; }
  bool exhausted() const { return planned_ >= mix_.quota && retries_.empty(); }

 private:
  void plan_announce(std::uint32_t peer, PlannedRequest& out);
  void plan_scrape(PlannedRequest& out);

  const Workload& workload_;
  std::vector<std::uint8_t>& stopped_;  // per peer; this lane writes only its own peers
  LaneSpan span_;
  TrafficMix mix_;
  core::Rng rng_;
  std::uint64_t planned_ = 0;
  std::vector<PlannedRequest> retries_;
};

}  // namespace cairn::load
