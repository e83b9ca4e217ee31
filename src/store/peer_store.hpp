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
// - announce_batch and scrape_batch have the outcome of the same calls made
//   one by one, in order; they exist so that a UDP receive batch costs a
//   remote backend one pipelined exchange instead of a round trip per
//   request. By default they loop over announce and scrape.
// - `now` is supplied by the caller from a monotonic clock (threads may lag
//   each other by a few seconds); a store never reads a clock.
// - All methods are safe to call from many threads at once.
// - A store that keeps its state in this process can offer snapshots()
//   (store/snapshots.hpp), for the server's state file; one whose state
//   lives elsewhere (a Redis cluster) returns nullptr.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/endpoint.hpp"
#include "core/event.hpp"
#include "core/ids.hpp"
#include "core/peer.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

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

// busy: a store that lives elsewhere (a Redis cluster) could not do the
// operation now (unreachable, failing over); the client should retry.
enum class StoreError : std::uint8_t { torrent_limit = 1, busy };

struct StoreStats {
  std::uint64_t torrents = 0;
  std::uint64_t peers_v4 = 0;
  std::uint64_t peers_v6 = 0;
  std::uint64_t seeders = 0;
};

// One announce's outcome in a batch: what announce() would have returned,
// and where its peers are in the batch's peer vector.
struct AnnounceResult {
  core::Result<SwarmCounts, StoreError> counts = SwarmCounts{};
  std::uint32_t first_peer = 0;
  std::uint32_t peer_count = 0;

  std::span<const PeerInfo> peers(std::span<const PeerInfo> all) const {
    return all.subspan(first_peer, peer_count);
  }
};

class SwarmSnapshots;

class PeerStore {
 public:
  virtual ~PeerStore() = default;

  // Applies the announce and appends up to numwant other peers to `out`
  // (cleared first). Returns the swarm's counts after the update.
  virtual core::Result<SwarmCounts, StoreError> announce(const Announce& a,
                                                         std::vector<PeerInfo>& out) = 0;

  // Applies batch[i] as announce() would, for every i in order, and sets
  // results[i] (results.size() == batch.size()). The peers of all of them
  // go to `out` (cleared first), each announce's as one run:
  // results[i].peers(out).
  virtual void announce_batch(std::span<const Announce> batch, std::vector<PeerInfo>& out,
                              std::span<AnnounceResult> results);

  // Counts for one swarm; zeros for an unknown one.
  virtual SwarmCounts scrape(const core::InfoHash& info_hash) const = 0;

  // counts[i] = scrape(info_hashes[i]) (counts.size() == info_hashes.size()).
  virtual void scrape_batch(std::span<const core::InfoHash> info_hashes,
                            std::span<SwarmCounts> counts) const;

  // Removes peers with last_seen + peer_ttl <= now (a peer lives exactly
  // peer_ttl seconds after its last announce) and drops swarms left with no
  // peers; returns how many peers it removed.
  virtual std::uint64_t expire(core::Seconds now) = 0;

  virtual StoreStats stats() const = 0;

  // The store's snapshot capability, or nullptr if it has none.
  virtual SwarmSnapshots* snapshots() { return nullptr; }
};

}  // namespace cairn::store
