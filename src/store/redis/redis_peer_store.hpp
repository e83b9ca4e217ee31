#pragma once
// RedisPeerStore: the swarms in a Redis Cluster, shared by every Cairn node
// that points at it (docs/architecture.md, "Redis Cluster"). Pure: it
// builds script calls (peer_scripts.hpp) and reads their replies; the
// RedisLink it is given does the I/O.
//
// Each announce is one script call, on its swarm's slot: one round trip,
// O(numwant + a bounded trim). A batch is one pipelined exchange. Beyond
// the PeerStore contract:
// - `now` has options.clock_offset added, so that every node of a
//   cluster counts time alike (the server passes Unix time minus its own
//   monotonic clock); Announce::random picks the record a family's
//   draw starts at (a run of its packed peers, peer_scripts.hpp).
// - A call the cluster cannot answer in the link's time bound fails with
//   StoreError::busy (announce, lookup and scrape alike).
// - max_torrents is checked against the torrent count summed by this
//   store's last sweep plus what it created since: exact for one node,
//   approximate (high by what other nodes created since) for several.
// - expire() sweeps the slots this store's calls left work in, and every
//   options.full_scan_every seconds all of them (sweep.hpp); it is what
//   keeps stats() exact. Swarm keys also carry a TTL (peer_ttl +
//   options.grace), so a cluster no node sweeps any more still empties
//   itself; a sweep that finds a swarm gone that way makes its slot's
//   counts again.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/peer_store.hpp"
#include "store/redis/link.hpp"
#include "store/redis/sweep.hpp"

namespace cairn::store::redis {

struct RedisOptions {
  std::string name_space = "cairn";  // key prefix: several trackers may share a cluster
  std::int64_t clock_offset = 0;     // added to every `now`
  core::Seconds grace = 3600;        // key TTLs: this long past the data's own life
  // expire() looks at every slot this often (seconds of `now`), for work
  // other nodes left; otherwise only at slots its own calls saw due.
  std::int64_t full_scan_every = 300;
};

class RedisPeerStore final : public PeerStore {
 public:
  RedisPeerStore(std::shared_ptr<RedisLink> link, RedisOptions options, Limits limits);

  using PeerStore::announce;
  using PeerStore::lookup;
  core::Result<SwarmCounts, StoreError> announce(const Announce& a, core::PeerList& out) override;
  void announce_batch(std::span<const Announce> batch, core::PeerList& out,
                      std::span<AnnounceResult> results) override;
  Counted lookup(const Lookup& l, core::PeerList& out) const override;
  Counted scrape(const core::InfoHash& info_hash) const override;
  // Each hash busy or not by itself: one master down fails only its slots.
  void scrape_batch(std::span<const core::InfoHash> info_hashes,
                    std::span<Counted> counts) const override;
  std::uint64_t expire(core::Seconds now) override;
  StoreStats stats() const override;
  // Reads each slot's swarm index (NS:x{S}) with ZRANGE, a block of slots
  // per exchange, then scrapes the swarms found: one page per block.
  void list_swarms(const SwarmPage& visit) const override;
  const RemoteCounters* remote_counters() const override { return link_->counters(); }

  // Calls that failed (no reply in time, or an error reply): each became
  // StoreError::busy.
  std::uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  void add_announce(Batch& batch, const Announce& a, bool may_create) const;
  // Reads call i's reply into results[i] and appends its peers to out;
  // returns the status (0 ok, 1 refused, 2 may not create), or -1 on failure.
  int read_announce(const Replies& replies, std::size_t i, bool want_ids, core::PeerList& out,
                    AnnounceResult& result);
  // Announces that found their swarm new when it could not be created
  // (phase one of a batch near the cap): each again, in order, one by one.
  void redo_new_swarms(std::span<const Announce> batch, core::PeerList& out,
                       std::span<AnnounceResult> results);
  // A reply's news: swarms created and dropped, when its slot is next due.
  void account(std::uint16_t slot, std::int64_t created, std::int64_t dropped, std::int64_t due);
  bool may_create(std::size_t creations) const;
  void fail() const { failures_.fetch_add(1, std::memory_order_relaxed); }

  std::shared_ptr<RedisLink> link_;  // shared with the other store of the factory
  RedisOptions options_;
  Limits limits_;
  // Torrents as the last sweep counted them, and created since by this
  // store (less those its calls dropped), for max_torrents.
  std::atomic<std::int64_t> swept_torrents_{0};
  std::atomic<std::int64_t> torrents_since_{0};
  DueSlots due_;
  mutable std::atomic<std::uint64_t> failures_{0};
};

}  // namespace cairn::store::redis
