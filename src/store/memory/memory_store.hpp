#pragma once
// MemoryStore: the embedded PeerStore. Swarms live in a power-of-two number
// of shards chosen by info hash; each shard is one mutex and one flat hash
// map, so a lock covers one swarm operation and threads announcing to
// different torrents rarely meet. Peers are packed wire-like records (see
// swarm.hpp), 28 bytes per IPv4 peer plus its share of the swarm's block;
// each shard keeps its small swarms' blocks in a BlockPool.
//
// Counters for stats() live per shard (written under the shard's lock, so
// they never bounce between cores) and are summed when read; the torrent
// count is one global atomic because max_torrents needs it on every new swarm.
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>

#include "store/memory/swarm.hpp"
#include "store/peer_store.hpp"
#include "store/snapshots.hpp"

namespace cairn::store {

class MemoryStore final : public PeerStore, public SwarmSnapshots {
 public:
  // Enough locks that threads rarely meet on one; more would cost memory
  // (each shard's pool and hash table has a partly used end: at 1M peers
  // over 100k torrents, bench/store_memory measured 36.3 bytes per peer
  // with 1024 shards, 34.6 with 256, 34.5 with 128 and 34.7 with 64, where
  // each shard's table doubles in bigger steps).
  static constexpr std::size_t default_shard_count = 128;

  // shard_count is rounded up to a power of two; 0 picks the default.
  // Limits::peer_ttl is capped at Swarm::rebase_keep (14336 s, about 4 hours).
  explicit MemoryStore(Limits limits, std::size_t shard_count = 0);
  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  using PeerStore::announce;
  core::Result<SwarmCounts, StoreError> announce(const Announce& a, core::PeerList& out) override;
  // Prefetches the batch, then one announce after another (each takes its
  // shard's lock on its own), appending to `out` as it goes: no copy.
  void announce_batch(std::span<const Announce> batch, core::PeerList& out,
                      std::span<AnnounceResult> results) override;
  using PeerStore::lookup;
  Counted lookup(const Lookup& l, core::PeerList& out) const override;
  // Finds each swarm under its shard's lock (which reads the table's slot
  // and the swarm's first cache line) and asks the CPU for the lines an
  // announce reads next. These finds are short enough that the CPU runs
  // several at once, so a batch pays for its cache misses about once
  // instead of once per request (docs/benchmarks.md).
  void prefetch(std::span<const core::InfoHash> info_hashes) const override;
  Counted scrape(const core::InfoHash& info_hash) const override;
  std::uint64_t expire(core::Seconds now) override;
  StoreStats stats() const override;
  // One page per shard, copied under its lock and visited after.
  void list_swarms(const SwarmPage& visit) const override;
  SwarmSnapshots* snapshots() override { return this; }

  // Snapshots: one shard at a time (SwarmSnapshots).
  void for_each_swarm(const SwarmVisitor& visit) const override;
  core::Result<std::uint32_t, StoreError> restore_swarm(const core::InfoHash& info_hash,
                                                        std::uint32_t downloaded,
                                                        std::span<const StoredPeer> peers) override;

  std::size_t shard_count() const { return mask_ + 1; }

  // Bytes of small swarm blocks in use and free in the shards' pools (for
  // bench/store_memory).
  struct PoolBytes {
    std::uint64_t live = 0;
    std::uint64_t free = 0;
  };
  PoolBytes pool_bytes() const;

 private:
  struct Shard;
  Shard& shard_for(const core::InfoHash& info_hash) const;
  // Announces of a batch are prefetched this many at a time: about what
  // the CPU's cache misses in flight can use.
  static constexpr std::size_t kPrefetchRun = 64;
  void prefetch_announces(std::span<const Announce> run) const;
  // announce() without clearing `out`: appends the peers.
  core::Result<SwarmCounts, StoreError> announce_appending(const Announce& a, core::PeerList& out);

  Limits limits_;
  std::size_t mask_;
  std::unique_ptr<Shard[]> shards_;
  alignas(64) std::atomic<std::uint64_t> torrents_{0};
};

}  // namespace cairn::store
