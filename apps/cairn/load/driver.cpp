#include "load/driver.hpp"

namespace cairn::load {

// --requests N is split evenly over all lanes (the first N % lanes get one
// more), so the total is exact without any shared counter.
Traffic DriverSetup::traffic_for(std::uint32_t lane) const {
  TrafficMix mix;
  mix.scrape_ratio = options->scrape_ratio;
  mix.preload = options->preload;
  if (options->requests > 0 && !options->preload)
    mix.quota = options->requests / total_lanes + (lane < options->requests % total_lanes ? 1 : 0);
  auto span = LaneSpan::of(lane, total_lanes, *workload);
  return Traffic(*workload, *stopped, span, mix,
                 mix64(options->seed ^ (0x6c616e65ull << 32) ^ lane));
}

}  // namespace cairn::load
