#include "store/memory/memory_store.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <boost/unordered/unordered_flat_set.hpp>
#include <cassert>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

namespace cairn::store {

// Padded to a cache line so neighbouring shards' locks do not false-share.
struct alignas(64) MemoryStore::Shard {
  mutable std::mutex mutex;
  // Small swarm blocks; declared before the set, whose handles point into it.
  BlockPool pool = Swarm::make_pool();
  // A set of 8-byte handles searched by the info hash inside each block: a
  // map keyed by the hash would spend ~30 more bytes per torrent in slots.
  boost::unordered_flat_set<Swarm, SwarmHash, SwarmEqual> swarms;
  // Written only under `mutex`; atomic so stats() can read them without it.
  // Plain loads and stores suffice (no locked add), and most announces
  // change nothing.
  std::atomic<std::uint64_t> peers[2] = {0, 0};
  std::atomic<std::uint64_t> seeders{0};
  // Every swarm's stamps count seconds from here (see Swarm).
  core::Seconds base = 0;

  ~Shard() {
    for (const Swarm& s : swarms) const_cast<Swarm&>(s).release(pool);
  }

  void apply(const Swarm::Delta& d) {
    for (int f = 0; f < 2; ++f) add(peers[f], d.peers[f]);
    add(seeders, d.seeders);
  }
  static void add(std::atomic<std::uint64_t>& counter, std::int64_t delta) {
    if (delta == 0) return;
    counter.store(counter.load(std::memory_order_relaxed) + static_cast<std::uint64_t>(delta),
                  std::memory_order_relaxed);
  }

  // Moves the base up before `now + slack` would not fit a stamp: every
  // swarm's stamps are rewritten, about once every half hour; the sweep
  // does it ahead of time (slack), so announces almost never have to.
  void rebase_for(core::Seconds now, core::Seconds slack = 0) {
    if (Swarm::fits(now + slack, base)) return;
    const core::Seconds new_base = now - Swarm::rebase_keep;
    for (const Swarm& s : swarms) const_cast<Swarm&>(s).rebase(new_base - base);
    base = new_base;
  }

  // Gives the pool's hoarded free blocks back once they are worth a copy of
  // the shard's small swarms (see BlockPool).
  void compact_if_loose() {
    if (!pool.wants_compaction()) return;
    pool.compact([this](auto&& move) {
      for (const Swarm& s : swarms) const_cast<Swarm&>(s).relocate(move);
    });
  }
};

namespace {

// Set elements are const so their key cannot change under the set; a swarm's
// key, the info hash in its header, never changes (not even when its block
// moves), so its peers and its block's address may.
Swarm& mutable_swarm(const Swarm& s) { return const_cast<Swarm&>(s); }

}  // namespace

MemoryStore::MemoryStore(Limits limits, std::size_t shard_count)
    : limits_(limits),
      mask_(std::bit_ceil(shard_count == 0 ? default_shard_count : shard_count) - 1),
      shards_(new Shard[mask_ + 1]) {
  limits_.peer_ttl = std::min(limits_.peer_ttl, Swarm::rebase_keep);
}

MemoryStore::~MemoryStore() = default;

// The set hashes an id's first 8 bytes; shards use a multiplicative hash of
// its last 8, so the two stay independent, and ids that are random only in
// some bytes (a load generator's, with a counter at the end) still spread
// over every shard (the raw last 4 bytes put `cairn load`'s 100,000
// torrents in 2 of 1024 shards).
MemoryStore::Shard& MemoryStore::shard_for(const core::InfoHash& info_hash) const {
  std::uint64_t h;
  std::memcpy(&h, info_hash.bytes.data() + core::InfoHash::size - sizeof h, sizeof h);
  return shards_[(h * 0x9e3779b97f4a7c15) >> 32 & mask_];
}

core::Result<SwarmCounts, StoreError> MemoryStore::announce(const Announce& a,
                                                            core::PeerList& out) {
  out.clear();
  return announce_appending(a, out);
}

void MemoryStore::announce_batch(std::span<const Announce> batch, core::PeerList& out,
                                 std::span<AnnounceResult> results) {
  assert(results.size() == batch.size());
  out.clear();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (i % kPrefetchRun == 0)
      prefetch_announces(batch.subspan(i, std::min(kPrefetchRun, batch.size() - i)));
    results[i].begin = out.mark();
    results[i].counts = announce_appending(batch[i], out);
    results[i].end = out.mark();
  }
}

core::Result<SwarmCounts, StoreError> MemoryStore::announce_appending(const Announce& a,
                                                                      core::PeerList& out) {
  Shard& shard = shard_for(a.info_hash);
  Swarm::Delta delta;
  std::lock_guard lock(shard.mutex);
  shard.rebase_for(a.now);
  auto it = shard.swarms.find(a.info_hash);
  if (it == shard.swarms.end()) {
    if (a.event == core::Event::stopped) return SwarmCounts{};
    if (!a.may_grow) return StoreError::torrent_limit;
    if (torrents_.fetch_add(1, std::memory_order_relaxed) >= limits_.max_torrents) {
      torrents_.fetch_sub(1, std::memory_order_relaxed);
      return StoreError::torrent_limit;
    }
    Swarm created = Swarm::create(a.info_hash, shard.pool);
    if (!created) {  // out of memory: refuse the torrent as the cap would
      torrents_.fetch_sub(1, std::memory_order_relaxed);
      return StoreError::torrent_limit;
    }
    it = shard.swarms.insert(std::move(created)).first;
  }
  const SwarmCounts counts = mutable_swarm(*it).announce(
      a, shard.base, limits_.max_peers_per_torrent, shard.pool, out, delta);
  shard.apply(delta);
  shard.compact_if_loose();
  return counts;
}

Counted MemoryStore::lookup(const Lookup& l, core::PeerList& out) const {
  out.clear();
  Shard& shard = shard_for(l.info_hash);
  std::lock_guard lock(shard.mutex);
  auto it = shard.swarms.find(l.info_hash);
  if (it == shard.swarms.end()) return SwarmCounts{};
  it->lookup(l, out);
  return it->counts();
}

void MemoryStore::prefetch(std::span<const core::InfoHash> info_hashes) const {
  for (const core::InfoHash& h : info_hashes) {
    Shard& shard = shard_for(h);
    std::lock_guard lock(shard.mutex);
    auto it = shard.swarms.find(h);
    if (it != shard.swarms.end()) it->prefetch();
  }
}

void MemoryStore::prefetch_announces(std::span<const Announce> run) const {
  std::array<core::InfoHash, kPrefetchRun> hashes;
  for (std::size_t i = 0; i < run.size(); ++i) hashes[i] = run[i].info_hash;
  prefetch(std::span(hashes.data(), run.size()));
}

Counted MemoryStore::scrape(const core::InfoHash& info_hash) const {
  Shard& shard = shard_for(info_hash);
  std::lock_guard lock(shard.mutex);
  auto it = shard.swarms.find(info_hash);
  return it == shard.swarms.end() ? SwarmCounts{} : it->counts();
}

// How far ahead of need a sweep moves a shard's base: the half hour a base
// lasts minus room for a late sweep.
constexpr core::Seconds rebase_ahead = 1024;

std::uint64_t MemoryStore::expire(core::Seconds now) {
  std::uint64_t removed = 0;
  for (std::size_t i = 0; i <= mask_; ++i) {
    Shard& shard = shards_[i];
    Swarm::Delta delta;
    std::lock_guard lock(shard.mutex);
    shard.rebase_for(now, rebase_ahead);
    const std::size_t dropped = boost::unordered::erase_if(shard.swarms, [&](const Swarm& s) {
      Swarm& swarm = mutable_swarm(s);
      removed += swarm.expire(now, limits_.peer_ttl, shard.base, shard.pool, delta);
      if (!swarm.empty()) return false;
      swarm.release(shard.pool);
      return true;
    });
    shard.apply(delta);
    shard.compact_if_loose();
    torrents_.fetch_sub(dropped, std::memory_order_relaxed);
  }
  return removed;
}

StoreStats MemoryStore::stats() const {
  StoreStats s;
  s.torrents = torrents_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i <= mask_; ++i) {
    s.peers_v4 += shards_[i].peers[0].load(std::memory_order_relaxed);
    s.peers_v6 += shards_[i].peers[1].load(std::memory_order_relaxed);
    s.seeders += shards_[i].seeders.load(std::memory_order_relaxed);
  }
  return s;
}

void MemoryStore::list_swarms(const SwarmPage& visit) const {
  std::vector<SwarmEntry> page;
  for (std::size_t i = 0; i <= mask_; ++i) {
    page.clear();
    {
      std::lock_guard lock(shards_[i].mutex);
      page.reserve(shards_[i].swarms.size());
      for (const Swarm& swarm : shards_[i].swarms) {
        const SwarmCounts counts = swarm.counts();
        // Emptied by `stopped`, waiting for the next sweep to drop it.
        if (counts.seeders + counts.leechers > 0) page.push_back({swarm.info_hash(), counts});
      }
    }
    if (!page.empty()) visit(page);
  }
}

MemoryStore::PoolBytes MemoryStore::pool_bytes() const {
  PoolBytes b;
  for (std::size_t i = 0; i <= mask_; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    b.live += shards_[i].pool.live_bytes();
    b.free += shards_[i].pool.free_bytes();
  }
  return b;
}

namespace {

// v4 ascending and v6 descending by endpoint: each insert then lands at its
// family's free end of the block (v4 records grow up, v6 records down), so
// restoring a big swarm moves no records.
std::vector<StoredPeer> in_insert_order(std::span<const StoredPeer> peers) {
  std::vector<StoredPeer> sorted(peers.begin(), peers.end());
  std::sort(sorted.begin(), sorted.end(), [](const StoredPeer& a, const StoredPeer& b) {
    const auto& x = a.peer.endpoint;
    const auto& y = b.peer.endpoint;
    if (x.family() != y.family()) return x.family() == core::Family::v4;
    return x.family() == core::Family::v4 ? x < y : y < x;
  });
  return sorted;
}

}  // namespace

core::Result<std::uint32_t, StoreError> MemoryStore::restore_swarm(
    const core::InfoHash& info_hash, std::uint32_t downloaded, std::span<const StoredPeer> peers) {
  if (peers.empty()) return 0u;
  const std::vector<StoredPeer> sorted = in_insert_order(peers);
  core::Seconds newest = 0;
  for (const auto& p : sorted) newest = std::max(newest, p.last_seen);
  Shard& shard = shard_for(info_hash);
  Swarm::Delta delta;
  std::lock_guard lock(shard.mutex);
  // Peers older than the base then read as the base: still past any TTL.
  shard.rebase_for(newest);
  auto it = shard.swarms.find(info_hash);
  if (it == shard.swarms.end()) {
    if (torrents_.fetch_add(1, std::memory_order_relaxed) >= limits_.max_torrents) {
      torrents_.fetch_sub(1, std::memory_order_relaxed);
      return StoreError::torrent_limit;
    }
    Swarm created = Swarm::create(info_hash, shard.pool);
    if (!created) {
      torrents_.fetch_sub(1, std::memory_order_relaxed);
      return StoreError::torrent_limit;
    }
    it = shard.swarms.insert(std::move(created)).first;
  }
  Swarm& swarm = mutable_swarm(*it);
  const std::uint32_t held = swarm.counts().downloaded;
  // Each peer goes in as its own last announce (numwant 0: nothing is
  // selected); a `completed` one sets its flag, and the count is then put
  // back to the recorded one.
  core::PeerList none;
  Announce a;
  a.info_hash = info_hash;
  for (const StoredPeer& p : sorted) {
    a.peer_id = p.peer.peer_id;
    a.endpoint = p.peer.endpoint;
    a.event = p.completed ? core::Event::completed : core::Event::none;
    a.seeder = p.seeder;
    a.now = p.last_seen;
    swarm.announce(a, shard.base, limits_.max_peers_per_torrent, shard.pool, none, delta);
  }
  swarm.set_downloaded(std::max(held, downloaded));
  shard.apply(delta);
  return static_cast<std::uint32_t>(delta.peers[0] + delta.peers[1]);
}

void MemoryStore::for_each_swarm(const SwarmVisitor& visit) const {
  struct Copy {
    core::InfoHash info_hash;
    SwarmCounts counts;
    std::size_t end;  // of its peers in `peers`
  };
  std::vector<Copy> swarms;
  std::vector<StoredPeer> peers;
  for (std::size_t i = 0; i <= mask_; ++i) {
    swarms.clear();
    peers.clear();
    {
      std::lock_guard lock(shards_[i].mutex);
      for (const Swarm& swarm : shards_[i].swarms) {
        swarm.collect(shards_[i].base, peers);
        swarms.push_back({swarm.info_hash(), swarm.counts(), peers.size()});
      }
    }
    std::size_t begin = 0;
    for (const Copy& c : swarms) {
      visit(c.info_hash, c.counts,
            std::span<const StoredPeer>(peers).subspan(begin, c.end - begin));
      begin = c.end;
    }
  }
}

}  // namespace cairn::store
