#pragma once
// The admission step: the policy every frontend applies to a request the
// same way, whichever protocol carried it (chihaya's pre-hooks, in one
// place). A frontend calls admit() once per request before any work, then
// the torrent checks as it meets info hashes, and reports failures through
// count_error(). A new frontend (WebSocket, KRPC) calls the same functions
// and so inherits the rate limit, the access list and their counters.
#include <atomic>
#include <cstdint>
#include <span>

#include "core/endpoint.hpp"
#include "core/ids.hpp"
#include "store/peer_store.hpp"
#include "tracker/request_context.hpp"
#include "tracker/tracker.hpp"

namespace cairn::tracker {

// Whether `client` is within its rate limit; a refusal bumps `refused`
// (each frontend counts its refusals apart: UDP drops, HTTP answers).
// Inline, as admit_torrent: both run for every packet.
inline bool admit(const core::Address& client, const RequestContext& ctx, Counter& refused) {
  if (ctx.state.limiter.allow(client, ctx.now_ms)) return true;
  tracker::bump(refused);
  return false;
}

// Whole seconds until `client`'s next request is taken, 1 to 3600: an
// HTTP refusal's Retry-After.
std::uint32_t retry_after(const core::Address& client, const RequestContext& ctx);

// Whether the access list lets this torrent be announced or scraped; a
// refusal is counted. Announces of a batch are checked here before they
// reach Tracker::announce_batch.
// Counts a tracker error against the worker.
void count_error(TrackerError e, WorkerCounters& counters);

inline bool admit_torrent(const core::InfoHash& info_hash, const RequestContext& ctx) {
  if (ctx.state.access.allows(info_hash)) return true;
  count_error(TrackerError::torrent_not_allowed, ctx.state.counters);
  return false;
}

// A scrape's counts, where a refused torrent reads as unknown (zeros, like
// a hash never announced) and is counted. busy (counted) when the store
// cannot answer now: the frontend answers its fixed "tracker busy, retry"
// failure, never made-up zeros.
core::Result<store::SwarmCounts, TrackerError> scrape_or_zeros(const Tracker& tracker,
                                                               const core::InfoHash& info_hash,
                                                               const RequestContext& ctx);

// The same for every hash of a multi-hash scrape (counts.size() ==
// hashes.size()), the admitted ones in one Tracker::scrape_batch call.
// busy (counted once) if the store could not read any one of them: the
// whole scrape is then refused, so no client takes a zero for a count.
core::Result<void, TrackerError> scrape_or_zeros(const Tracker& tracker,
                                                 std::span<const core::InfoHash> hashes,
                                                 std::span<store::SwarmCounts> counts,
                                                 const RequestContext& ctx);

}  // namespace cairn::tracker
