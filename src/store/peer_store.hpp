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
// - `lookup` returns up to `numwant` peers of a swarm, drawn as announce
//   draws them, and changes nothing (the DHT's get_peers asks without
//   joining).
// - Every operation that answers a client (announce, lookup, scrape) fails
//   with StoreError::busy, never with made-up zeros, when a store that
//   lives elsewhere cannot do it now; the memory store never fails so.
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
// - Peers leave the store in wire form (core/compact_peers.hpp): per
//   family, the compact entries a reply carries (6 bytes per IPv4 peer, 18
//   per IPv6 peer), and each one's peer id only when the announce asks for
//   them (`want_peer_ids`: only the HTTP dictionary reply lists ids). A
//   remote backend keeps its peers in the same layout and hands back byte
//   strings (one of entries per family, one of ids when asked) that are
//   appended as they are; building a compact reply is then one copy.
// - prefetch is a hint with no outcome at all.
// - announce_batch and scrape_batch have the outcome of the same calls made
//   one by one, in order; they exist so that a UDP receive batch costs a
//   remote backend one pipelined exchange instead of a round trip per
//   request. By default they loop over announce and scrape.
// - `now` is supplied by the caller from a monotonic clock (threads may lag
//   each other by a few seconds); a store never reads a clock.
// - All methods are safe to call from many threads at once.
// - list_swarms hands out every swarm that has a peer, with its counts, a
//   page at a time, for the full scrape (a background task, never the hot
//   path). It is not a snapshot: a swarm created or dropped while it runs
//   may be listed or not, and each page's counts are those of its moment.
// - A store that keeps its state in this process can offer snapshots()
//   (store/snapshots.hpp), for the server's state file; one whose state
//   lives elsewhere (a Redis cluster) returns nullptr.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/compact_peers.hpp"
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
  bool want_peer_ids = true;  // false: the reply lists endpoints only (compact, BEP 15)
  core::Seconds now = 0;
  std::uint64_t random = 0;  // seeds peer selection; the caller's per-thread Rng
  bool may_grow = true;      // false: store no new swarm or peer (memory cap)
};

// A read-only request for a swarm's peers.
struct Lookup {
  core::InfoHash info_hash;
  std::uint32_t numwant = 0;
  bool want_v4 = true;  // which families the reply can carry
  bool want_v6 = true;
  std::uint64_t random = 0;  // seeds peer selection
  bool want_peer_ids = false;
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

// One swarm in a listing (list_swarms).
struct SwarmEntry {
  core::InfoHash info_hash;
  SwarmCounts counts;
};

struct StoreStats {
  std::uint64_t torrents = 0;
  std::uint64_t peers_v4 = 0;
  std::uint64_t peers_v6 = 0;
  std::uint64_t seeders = 0;
};

// A swarm's counts, or why they could not be read (busy).
using Counted = core::Result<SwarmCounts, StoreError>;

// One announce's outcome in a batch: what announce() would have returned,
// and where its peers are in the batch's peer list.
struct AnnounceResult {
  core::Result<SwarmCounts, StoreError> counts = SwarmCounts{};
  core::PeerList::Mark begin;
  core::PeerList::Mark end;

  core::CompactPeers peers(const core::PeerList& all) const { return all.between(begin, end); }
};

class SwarmSnapshots;
struct RemoteCounters;

class PeerStore {
 public:
  virtual ~PeerStore() = default;

  // Applies the announce and appends up to numwant other peers to `out`
  // (cleared first), with their ids if a.want_peer_ids. Returns the
  // swarm's counts after the update.
  virtual core::Result<SwarmCounts, StoreError> announce(const Announce& a,
                                                         core::PeerList& out) = 0;

  // The same with the peers decoded (IPv4 first): for tests and tools.
  core::Result<SwarmCounts, StoreError> announce(const Announce& a, std::vector<PeerInfo>& out);

  // Applies batch[i] as announce() would, for every i in order, and sets
  // results[i] (results.size() == batch.size()). The peers of all of them
  // go to `out` (cleared first), each announce's as one run:
  // results[i].peers(out).
  virtual void announce_batch(std::span<const Announce> batch, core::PeerList& out,
                              std::span<AnnounceResult> results);

  // Appends up to l.numwant peers of the swarm to `out` (cleared first),
  // IPv4 first when both families are wanted, with their ids if
  // l.want_peer_ids, and changes nothing. Returns the swarm's counts;
  // zeros, and no peers, for an unknown swarm; busy (and no peers) when
  // the store cannot read it now.
  virtual Counted lookup(const Lookup& l, core::PeerList& out) const = 0;

  // The same with the peers decoded (IPv4 first) and their ids: for tests
  // and tools.
  Counted lookup(const Lookup& l, std::vector<PeerInfo>& out) const;

  // A hint that the caller is about to announce to or scrape these swarms
  // (a UDP receive batch's): a store may start fetching them. The memory
  // store brings each swarm into the CPU cache, so that a batch's cache
  // misses overlap instead of stalling one request at a time; a store with
  // nothing to gain ignores it (the default). Changes nothing.
  virtual void prefetch(std::span<const core::InfoHash> info_hashes) const;

  // Counts for one swarm; zeros for an unknown one; busy when the store
  // cannot read it now.
  virtual Counted scrape(const core::InfoHash& info_hash) const = 0;

  // counts[i] = scrape(info_hashes[i]) (counts.size() == info_hashes.size()).
  virtual void scrape_batch(std::span<const core::InfoHash> info_hashes,
                            std::span<Counted> counts) const;

  // Removes peers with last_seen + peer_ttl <= now (a peer lives exactly
  // peer_ttl seconds after its last announce) and drops swarms left with no
  // peers; returns how many peers it removed.
  virtual std::uint64_t expire(core::Seconds now) = 0;

  virtual StoreStats stats() const = 0;

  // Calls `visit` with every swarm that has at least one peer, in pages of
  // any size and in no order; each swarm once. Holds no lock while `visit`
  // runs, so visiting may take its time.
  using SwarmPage = std::function<void(std::span<const SwarmEntry>)>;
  virtual void list_swarms(const SwarmPage& visit) const = 0;

  // The store's snapshot capability, or nullptr if it has none.
  virtual SwarmSnapshots* snapshots() { return nullptr; }

  // A remote store's client counters (store/remote_counters.hpp), or
  // nullptr for a store in this process. The record store of the same
  // backend shares the client, so these count its calls too.
  virtual const RemoteCounters* remote_counters() const { return nullptr; }
};

}  // namespace cairn::store
