#include "tracker/admission.hpp"

#include <algorithm>

namespace cairn::tracker {

std::uint32_t retry_after(const core::Address& client, const RequestContext& ctx) {
  const core::Millis wait = ctx.state.limiter.wait(client, ctx.now_ms);
  return static_cast<std::uint32_t>(std::clamp<core::Millis>((wait + 999) / 1000, 1, 3600));
}

void count_error(TrackerError e, WorkerCounters& counters) {
  switch (e) {
    case TrackerError::torrent_not_allowed:
      return tracker::bump(counters.tracker.torrents_refused);
    case TrackerError::busy:
      return tracker::bump(counters.tracker.busy);
    case TrackerError::tracker_full:
      break;
  }
  tracker::bump(counters.tracker.full);
}

store::SwarmCounts scrape_or_zeros(const Tracker& tracker, const core::InfoHash& info_hash,
                                   const RequestContext& ctx) {
  auto counts = tracker.scrape(info_hash, ctx.state.access);
  if (counts) return *counts;
  count_error(counts.error(), ctx.state.counters);
  return {};
}

}  // namespace cairn::tracker
