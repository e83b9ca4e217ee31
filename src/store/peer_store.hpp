#pragma once
// PeerStore: the swarm state behind one interface. The embedded default is
// MemoryStore (store/memory); a Redis Cluster backend will sit behind the
// same interface, and every backend must pass tests/unit/store_suite.
//
// Contract:
// - A swarm is keyed by a 20-byte info hash. A peer within it is keyed by its
//   endpoint (address and port); re-announcing from the same endpoint updates
//   the peer (peer id, seeder state, last-seen time) instead of adding one.
// - IPv4 and IPv6 peers are kept apart; `announce` returns up to `numwant`
//   other peers drawn at random from the families the caller asks for, never
//   the announcing peer itself and never the same peer twice.
// - Event::stopped removes the peer at once and returns no peers.
//   Event::completed counts one download for the swarm (once per peer).
// - Peers not seen for `Limits::peer_ttl` seconds are removed by `expire`,
//   which the server calls from a cleaner thread; it locks a small part of the
//   state at a time so announces never wait long behind it. A swarm left
//   with no peers is dropped.
// - Caps (Limits): a new swarm beyond max_torrents is refused with
//   StoreError::torrent_limit; a new peer beyond max_peers_per_torrent is not
//   stored, but still receives peers and counts (StoreError is not raised).
//   An announce with `may_grow` false (the process is at its memory cap)
//   is treated as if both caps were reached: no new swarm, no new peer;
//   peers already stored are updated and answered as usual.
// - `now` is supplied by the caller from a monotonic clock (threads may lag
//   each other by a few seconds); a store never reads a clock.
// - All methods are safe to call from many threads at once.
#include <cstdint>
#include <functional>
#include <vector>

#include "core/clock.hpp"
#include "core/endpoint.hpp"
#include "core/event.hpp"
#include "core/ids.hpp"
#include "core/peer.hpp"
#include "core/result.hpp"

namespace cairn::store {

struct Limits {
  core::Seconds peer_ttl = 2700;
  std::uint32_t max_torrents = 10'000'000;
  std::uint32_t max_peers_per_torrent = 100'000;
};

struct Announce {
  core::InfoHash info_hash;
  core::PeerId peer_id;
  core::Endpoint endpoint;
  core::Event event = core::Event::none;
  bool seeder = false;  // left == 0
  std::uint32_t numwant = 0;
  bool want_v4 = true;  // which families the reply can carry
  bool want_v6 = true;
  core::Seconds now = 0;
  std::uint64_t random = 0;  // seeds peer selection; the caller's per-thread Rng
  bool may_grow = true;      // false: store no new swarm or peer (memory cap)
};

struct SwarmCounts {
  std::uint32_t seeders = 0;
  std::uint32_t leechers = 0;
  std::uint32_t downloaded = 0;  // `completed` events seen
  friend bool operator==(const SwarmCounts&, const SwarmCounts&) = default;
};

using core::PeerInfo;

enum class StoreError : std::uint8_t { torrent_limit = 1 };

struct StoreStats {
  std::uint64_t torrents = 0;
  std::uint64_t peers_v4 = 0;
  std::uint64_t peers_v6 = 0;
  std::uint64_t seeders = 0;
};

class PeerStore {
 public:
  virtual ~PeerStore() = default;

  // Applies the announce and appends up to numwant other peers to `out`
  // (cleared first). Returns the swarm's counts after the update.
  virtual core::Result<SwarmCounts, StoreError> announce(const Announce& a,
                                                         std::vector<PeerInfo>& out) = 0;

  // Counts for one swarm; zeros for an unknown one.
  virtual SwarmCounts scrape(const core::InfoHash& info_hash) const = 0;

  // Removes peers with last_seen + peer_ttl <= now (a peer lives exactly
  // peer_ttl seconds after its last announce) and drops swarms left with no
  // peers; returns how many peers it removed.
  virtual std::uint64_t expire(core::Seconds now) = 0;

  virtual StoreStats stats() const = 0;
};

}  // namespace cairn::store
