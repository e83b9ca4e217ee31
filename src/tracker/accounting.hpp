#pragma once
// The accounting state machine private trackers rely on (Ocelot, XBT), per
// (user, torrent, peer id):
// - the first announce, or a `started`, sets the baseline: no credit;
// - a later announce credits what its counters grew by since the last one;
// - a counter that went down (the client restarted its session) resets
//   the baseline without credit;
// - `completed` records one snatch per peer;
// - `stopped` credits its growth and forgets the peer.
// Pure and single-threaded: the private tracker's background task feeds it
// the workers' records in order and collects the credit per (user, torrent).
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <functional>

#include "core/time.hpp"
#include "tracker/private_mode.hpp"

namespace cairn::tracker {

struct Credit {
  std::uint64_t uploaded = 0;
  std::uint64_t downloaded = 0;
  std::uint32_t snatches = 0;
  bool empty() const { return uploaded == 0 && downloaded == 0 && snatches == 0; }
  Credit& operator+=(const Credit& c) {
    uploaded += c.uploaded;
    downloaded += c.downloaded;
    snatches += c.snatches;
    return *this;
  }
};

struct UserTorrent {
  UserId user = 0;
  core::InfoHash info_hash;
  bool operator==(const UserTorrent&) const = default;
};

struct UserTorrentHash {
  std::size_t operator()(const UserTorrent& k) const noexcept {
    return core::Id20Hash{}(k.info_hash) ^ (std::size_t{k.user} * 0x9E3779B97F4A7C15ull);
  }
};

class Ledger {
 public:
  // What `r` earns its user on its torrent (credit may be empty).
  Credit apply(const AnnounceRecord& r, core::Seconds now);
  // Forgets peers not heard from since `before` (gone without a stopped);
  // returns how many.
  std::size_t expire(core::Seconds before);
  // Calls f(user, torrents) for every user with a live peer: how many
  // distinct torrents that user is active on.
  void each_active(const std::function<void(UserId, std::uint32_t)>& f) const;
  std::size_t peers() const { return peers_.size(); }

 private:
  struct Key {
    UserTorrent torrent;
    core::PeerId peer_id;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      return UserTorrentHash{}(k.torrent) ^ core::Id20Hash{}(k.peer_id);
    }
  };
  struct Baseline {
    std::uint64_t uploaded = 0;
    std::uint64_t downloaded = 0;
    core::Seconds seen = 0;
    bool snatched = false;
  };
  boost::unordered_flat_map<Key, Baseline, KeyHash> peers_;
};

}  // namespace cairn::tracker
