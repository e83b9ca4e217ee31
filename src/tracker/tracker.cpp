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

std::uint32_t Tracker::numwant(const std::optional<std::int64_t>& requested) const {
  if (!requested || *requested < 0) return std::min(policy_.numwant_default, policy_.numwant_max);
  return static_cast<std::uint32_t>(std::min<std::int64_t>(*requested, policy_.numwant_max));
}

core::Result<AnnounceResponse, TrackerError> Tracker::announce(const AnnounceRequest& request,
                                                               core::Seconds now, core::Rng& rng,
                                                               std::vector<core::PeerInfo>& peers,
                                                               AccessView& access) {
  if (!access.allows(request.info_hash)) {
    peers.clear();
    return TrackerError::torrent_not_allowed;
  }
  store::Announce a;
  a.info_hash = request.info_hash;
  a.peer_id = request.peer_id;
  a.endpoint = request.endpoint;
  a.event = request.event;
  a.seeder = request.seeder;
  a.numwant = numwant(request.numwant);
  a.want_v4 = request.want_v4;
  a.want_v6 = request.want_v6;
  a.now = now;
  a.random = rng.next();
  a.may_grow = !memory_.full_for_announce();
  auto counts = store_.announce(a, peers);
  if (!counts)
    return counts.error() == store::StoreError::busy ? TrackerError::busy
                                                     : TrackerError::tracker_full;
  return AnnounceResponse{policy_.announce_interval, policy_.min_interval, *counts};
}

core::Result<store::SwarmCounts, TrackerError> Tracker::scrape(const core::InfoHash& info_hash,
                                                               AccessView& access) const {
  if (!access.allows(info_hash)) return TrackerError::torrent_not_allowed;
  return store_.scrape(info_hash);
}

}  // namespace cairn::tracker
