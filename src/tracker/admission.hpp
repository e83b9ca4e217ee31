#pragma once
// The admission step: the policy every frontend applies to a request the
// same way, whichever protocol carried it (chihaya's pre-hooks, in one
// place). A frontend calls admit() once per request before any work, then
// the torrent checks as it meets info hashes, and reports failures through
// count_error(). A new frontend (WebSocket, KRPC) calls the same functions
// and so inherits the rate limit, the access list and their counters.
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>

#include "core/endpoint.hpp"
#include "core/ids.hpp"
#include "core/passkey.hpp"
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
  if (ctx.state.access_log) ctx.state.access_log->refused(client, "rate limit exceeded", ctx.now);
  return false;
}

// Whole seconds until `client`'s next request is taken, 1 to 3600: an
// HTTP refusal's Retry-After.
std::uint32_t retry_after(const core::Address& client, const RequestContext& ctx);

// Counts a tracker error against the worker.
void count_error(TrackerError e, WorkerCounters& counters);

// Private mode (tracker.mode = "private"): the user the request's passkey
// names (the frontend finds it: the HTTP path, BEP 41 URL data), or
// passkey_missing / passkey_refused (unknown or disabled), counted; the
// request must then touch nothing. Public mode: no user, whatever was
// sent. One hash-map probe in the worker's snapshot, no lock.
core::Result<std::optional<UserId>, TrackerError> admit_private_user(
    const std::optional<core::Passkey>& passkey, const RequestContext& ctx);
// Inline, so public mode costs a test (every UDP announce asks).
inline core::Result<std::optional<UserId>, TrackerError> admit_user(
    const std::optional<core::Passkey>& passkey, const RequestContext& ctx) {
  if (!ctx.state.private_mode) return std::optional<UserId>{};
  return admit_private_user(passkey, ctx);
}
// Whether admit_user reads a passkey at all: a frontend need not look for
// one in public mode.
inline bool reads_passkeys(const RequestContext& ctx) { return ctx.state.private_mode != nullptr; }

// Hands an admitted announce to the accounting (private mode; a no-op in
// public mode). Call it only once the announce is admitted.
void record_announce(const AnnounceRecord& r, const RequestContext& ctx);

// Whether the access list (and in private mode with private.allow_list,
// the registered torrents) lets this torrent be announced or scraped; a
// refusal is counted. Announces of a batch are checked here before they
// reach Tracker::announce_batch.
inline bool admit_torrent(const core::InfoHash& info_hash, const RequestContext& ctx) {
  if (ctx.state.access.allows(info_hash) &&
      (!ctx.state.private_mode || ctx.state.private_mode->allows(info_hash)))
    return true;
  count_error(TrackerError::torrent_not_allowed, ctx.state.counters);
  // The socket's peer: behind a trusted proxy, the proxy's address.
  if (ctx.state.access_log)
    ctx.state.access_log->refused(ctx.source.address, error_text(TrackerError::torrent_not_allowed),
                                  ctx.now, &info_hash);
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
