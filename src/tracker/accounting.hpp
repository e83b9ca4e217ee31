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
#include <cstring>
#include <functional>
#include <span>

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

// Every byte counts: peer ids begin with the client's tag ("-qB4500-"),
// so a hash of their first bytes (core::Id20Hash's, fine for info hashes)
// would put all of one client's peers in one bucket.
inline std::uint64_t mix_bytes(std::uint64_t h, std::span<const std::uint8_t, 20> b) {
  for (std::size_t i = 0; i < 20; i += 4) {
    std::uint32_t w;
    std::memcpy(&w, b.data() + i, 4);
    h = (h ^ w) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
  }
  return h;
}

struct UserTorrentHash {
  std::size_t operator()(const UserTorrent& k) const noexcept {
    return mix_bytes(k.user, k.info_hash.bytes);
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
      return mix_bytes(UserTorrentHash{}(k.torrent), k.peer_id.bytes);
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
