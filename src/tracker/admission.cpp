#include "tracker/admission.hpp"

#include <algorithm>
#include <cassert>
#include <vector>

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
    case TrackerError::passkey_missing:
    case TrackerError::passkey_refused:
      return tracker::bump(counters.private_mode.passkeys_refused);
    case TrackerError::tracker_full:
      break;
  }
  tracker::bump(counters.tracker.full);
}

core::Result<std::optional<UserId>, TrackerError> admit_private_user(
    const std::optional<core::Passkey>& passkey, const RequestContext& ctx) {
  PrivateWorker* p = ctx.state.private_mode;
  if (!p) return std::optional<UserId>{};
  TrackerError e = TrackerError::passkey_missing;
  if (passkey) {
    if (const UserId* user = p->user(*passkey)) return std::optional<UserId>{*user};
    e = TrackerError::passkey_refused;
  }
  count_error(e, ctx.state.counters);
  return e;
}

void record_announce(const AnnounceRecord& r, const RequestContext& ctx) {
  if (ctx.state.private_mode && !ctx.state.private_mode->record(r))
    tracker::bump(ctx.state.counters.private_mode.not_credited);
}

core::Result<store::SwarmCounts, TrackerError> scrape_or_zeros(const Tracker& tracker,
                                                               const core::InfoHash& info_hash,
                                                               const RequestContext& ctx) {
  auto counts = tracker.scrape(info_hash, ctx.state.access);
  if (counts) return *counts;
  count_error(counts.error(), ctx.state.counters);
  if (counts.error() == TrackerError::busy) return counts.error();
  return store::SwarmCounts{};
}

core::Result<void, TrackerError> scrape_or_zeros(const Tracker& tracker,
                                                 std::span<const core::InfoHash> hashes,
                                                 std::span<store::SwarmCounts> counts,
                                                 const RequestContext& ctx) {
  assert(counts.size() == hashes.size());
  // A worker's scratch: warm, a scrape allocates nothing.
  thread_local std::vector<core::InfoHash> admitted;
  thread_local std::vector<store::Counted> found;
  thread_local std::vector<bool> allowed;
  admitted.clear();
  allowed.assign(hashes.size(), false);
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    allowed[i] = admit_torrent(hashes[i], ctx);
    if (allowed[i]) admitted.push_back(hashes[i]);
  }
  found.resize(admitted.size());
  if (!admitted.empty()) tracker.scrape_batch(admitted, found);
  for (const store::Counted& f : found) {
    if (f) continue;
    count_error(TrackerError::busy, ctx.state.counters);
    return TrackerError::busy;
  }
  for (std::size_t i = 0, next = 0; i < hashes.size(); ++i)
    counts[i] = allowed[i] ? *found[next++] : store::SwarmCounts{};
  return {};
}

}  // namespace cairn::tracker
