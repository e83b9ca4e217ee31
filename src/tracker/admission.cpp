#include "tracker/admission.hpp"

#include <algorithm>

namespace cairn::tracker {

bool admit(const core::Address& client, const RequestContext& ctx,
           std::atomic<std::uint64_t>& refused) {
  if (ctx.state.limiter.allow(client, ctx.now_ms)) return true;
  Counters::bump(refused);
  return false;
}

std::uint32_t retry_after(const core::Address& client, const RequestContext& ctx) {
  const core::Millis wait = ctx.state.limiter.wait(client, ctx.now_ms);
  return static_cast<std::uint32_t>(std::clamp<core::Millis>((wait + 999) / 1000, 1, 3600));
}

bool admit_torrent(const core::InfoHash& info_hash, const RequestContext& ctx) {
  if (ctx.state.access.allows(info_hash)) return true;
  count_error(TrackerError::torrent_not_allowed, ctx.state.counters);
  return false;
}

void count_error(TrackerError e, Counters& counters) {
  Counters::bump(e == TrackerError::torrent_not_allowed ? counters.torrents_refused
                                                        : counters.tracker_full);
}

store::SwarmCounts scrape_or_zeros(const Tracker& tracker, const core::InfoHash& info_hash,
                                   const RequestContext& ctx) {
  auto counts = tracker.scrape(info_hash, ctx.state.access);
  if (counts) return *counts;
  count_error(counts.error(), ctx.state.counters);
  return {};
}

}  // namespace cairn::tracker
