#include "tracker/tracker.hpp"

#include <algorithm>

namespace cairn::tracker {

std::string_view error_text(TrackerError e) {
  switch (e) {
    case TrackerError::tracker_full:
      return "tracker is full";
    case TrackerError::torrent_not_allowed:
      return "torrent not allowed";
    case TrackerError::busy:
      return "tracker busy, retry";
  }
  return "internal error";
}

TrackerError from_store(store::StoreError e) {
  return e == store::StoreError::busy ? TrackerError::busy : TrackerError::tracker_full;
}

void Tracker::enrich(AnnounceRequest& request, core::Rng& rng) {
  request.random = rng.next();
  request.may_grow = !memory_.full_for_announce();
}

core::Result<AnnounceResponse, TrackerError> Tracker::announce(AnnounceRequest& request,
                                                               core::Rng& rng,
                                                               core::PeerList& peers,
                                                               AccessView& access) {
  if (!access.allows(request.info_hash)) {
    peers.clear();
    return TrackerError::torrent_not_allowed;
  }
  enrich(request, rng);
  auto counts = store_.announce(request, peers);
  if (!counts) return from_store(counts.error());
  return AnnounceResponse{policy_.announce_interval, policy_.min_interval,
                          with_signaling(request.info_hash, *counts)};
}

void Tracker::announce_batch(std::span<AnnounceRequest> batch, core::Rng& rng,
                             core::PeerList& peers, std::span<store::AnnounceResult> results) {
  for (auto& request : batch) enrich(request, rng);
  store_.announce_batch(batch, peers, results);
  if (!signaling_ || signaling_->empty()) return;
  for (std::size_t i = 0; i < batch.size() && i < results.size(); ++i)
    if (results[i].counts)
      *results[i].counts = with_signaling(batch[i].info_hash, *results[i].counts);
}

core::Result<store::SwarmCounts, TrackerError> Tracker::lookup(const core::InfoHash& info_hash,
                                                               std::uint32_t numwant, bool want_v4,
                                                               bool want_v6, core::Rng& rng,
                                                               core::PeerList& peers,
                                                               AccessView& access) const {
  if (!access.allows(info_hash)) {
    peers.clear();
    return TrackerError::torrent_not_allowed;
  }
  const store::Lookup l{info_hash, std::min(numwant, policy_.numwant_max), want_v4, want_v6,
                        rng.next()};
  auto counts = store_.lookup(l, peers);
  if (!counts) return from_store(counts.error());
  return *counts;
}

core::Result<store::SwarmCounts, TrackerError> Tracker::scrape(const core::InfoHash& info_hash,
                                                               AccessView& access) const {
  if (!access.allows(info_hash)) return TrackerError::torrent_not_allowed;
  const auto counts = store_.scrape(info_hash);
  if (!counts) return from_store(counts.error());
  return with_signaling(info_hash, *counts);
}

void Tracker::scrape_batch(std::span<const core::InfoHash> hashes,
                           std::span<store::Counted> counts) const {
  store_.scrape_batch(hashes, counts);
  for (std::size_t i = 0; i < hashes.size(); ++i)
    if (counts[i]) *counts[i] = with_signaling(hashes[i], *counts[i]);
}

store::SwarmCounts Tracker::with_signaling(const core::InfoHash& info_hash,
                                           store::SwarmCounts counts) const {
  // A tracker no browser uses pays one relaxed load.
  if (!signaling_ || signaling_->empty()) return counts;
  const auto ws = signaling_->counts(info_hash);
  counts.seeders += ws.seeders;
  counts.leechers += ws.leechers;
  counts.downloaded += ws.downloaded;
  return counts;
}

}  // namespace cairn::tracker
