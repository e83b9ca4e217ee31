#include "tracker/tracker.hpp"

#include <boost/unordered/unordered_flat_map.hpp>

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
    case TrackerError::passkey_missing:
      // Short enough for an error reply to a one-hash UDP scrape (36 bytes).
      return "passkey required";
    case TrackerError::passkey_refused:
      return "unknown or disabled passkey";
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
  return AnnounceResponse{announce_interval(), min_interval(),
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

void Tracker::list_swarms(std::vector<store::SwarmEntry>& out) const {
  out.clear();
  store_.list_swarms([&](std::span<const store::SwarmEntry> page) {
    out.insert(out.end(), page.begin(), page.end());
  });
  if (!signaling_ || signaling_->empty()) return;
  // A swarm may have peers in both: one entry, the counts added up.
  boost::unordered_flat_map<core::InfoHash, std::size_t, core::Id20Hash> at;
  at.reserve(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) at.emplace(out[i].info_hash, i);
  signaling_->list([&](std::span<const store::SwarmEntry> page) {
    for (const auto& ws : page) {
      auto [it, added] = at.emplace(ws.info_hash, out.size());
      if (added) {
        out.push_back(ws);
        continue;
      }
      auto& c = out[it->second].counts;
      c.seeders += ws.counts.seeders;
      c.leechers += ws.counts.leechers;
      c.downloaded += ws.counts.downloaded;
    }
  });
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
