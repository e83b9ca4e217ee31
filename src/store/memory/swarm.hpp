#pragma once
// The peers of one info hash, as MemoryStore keeps them. A Swarm is an
// 8-byte handle to one block
//
//   small: [Header 28 bytes][payload: capacity bytes]
//   large: [Header 28 bytes][Large 16 bytes][payload: capacity bytes]
//   payload: [v4 records, 28 bytes each ->   ...   <- v6 records, 40 bytes each]
//
// each family sorted by endpoint (see peer_record.hpp); v4 records fill the
// payload from its start and v6 records end at its end, so one capacity in
// bytes covers both and no per-family capacity is stored. The shard's hash
// set holds only the handle: a hash slot costs ~1.5x its size (the table's
// load factor), so everything else lives in the block, where it costs 1x.
//
// Small swarms (payload up to small_capacity bytes, i.e. 24 IPv4 or 16 IPv6
// peers; most torrents) live in the shard's BlockPool with capacities in
// steps of one IPv4 record: they grow to exactly what they need and shrink
// once two records' room is free (so a join and a leave around one size do
// not copy back and forth), with no malloc header, and their counts fit in
// the header's last bytes. Larger swarms get blocks of their own
// (big_block.hpp) with a Large extension holding 32-bit counts; they grow
// by 1/16 so slack stays low, and shrink with hysteresis likewise.
//
// A Swarm does not free its block when destroyed (it has no pool to give it
// back to): its owner calls release() first.
//
// Leaves: a family of fewer than gone_from records closes the gap a
// leaving peer leaves at once. A bigger one instead stamps the record gone
// (record::gone_stamp) and keeps its slot until the next expiry sweep,
// which packs the array anyway: closing the gap would move half of the
// family's array under the shard lock (a 70,000-peer swarm is 2 MB), and a
// peer that comes back takes its slot again without moving anything, and a
// new one whose place is within gone_reach records of a gone one takes that
// slot, moving only the records in between. n() counts slots, live()
// peers; every count a caller sees (counts(), the store-wide deltas, the
// peer cap) is of live peers, and selection and snapshots skip gone
// records. Below gone_from the move costs less than gone records do:
// selection tests each record it copies, on every announce until the sweep.
//
// Time: each record holds a 14-bit stamp, seconds since a base that the
// owner keeps for many swarms (MemoryStore: one per shard, so no swarm pays
// 4 bytes for its own) and passes in. Before a new stamp would not fit, the
// owner moves the base up and rebase()s every swarm that counts from it,
// keeping `rebase_keep` seconds of history; older peers clamp to the new
// base, which is still past any TTL up to rebase_keep, so expiry stays exact
// to the second whatever the gap between expire calls.
//
// Not thread-safe: the owning shard's lock guards it and its pool.
#include <cassert>
#include <cstdint>
#include <vector>

#include "core/compact_peers.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "store/memory/block_pool.hpp"
#include "store/peer_store.hpp"
#include "store/snapshots.hpp"

namespace cairn::store {

class Swarm {
 public:
  // The longest TTL for which expiry is exact (3 h 59 min); a rebase
  // happens at most every (max stamp - rebase_keep) = 34 minutes.
  static constexpr core::Seconds rebase_keep = 0x3800;

  // Small swarms' payload capacities are multiples of one IPv4 record, up
  // to 24 of them (16 IPv6 records fit too).
  static constexpr std::size_t capacity_step = 28;
  static constexpr unsigned small_classes = 25;  // capacities 0 to 24 steps
  static constexpr std::size_t small_capacity = capacity_step * (small_classes - 1);
  // Records of one family from which a leave leaves a gone record (see
  // "Leaves" above): an IPv4 leave would move 14 KB on average.
  static constexpr std::uint32_t gone_from = 1024;
  // How far from a new peer's place a join looks for a gone slot to take
  // (at most 64 records, 1.8 KB of IPv4 ones, move instead of half the family).
  static constexpr std::uint32_t gone_reach = 64;

  // The pool every swarm of one shard draws its small blocks from.
  static BlockPool make_pool();

  // Changes to the store-wide counters caused by one operation.
  struct Delta {
    std::int64_t peers[2] = {0, 0};  // v4, v6
    std::int64_t seeders = 0;
  };

  // An empty swarm; an empty handle if memory ran out.
  static Swarm create(const core::InfoHash& info_hash, BlockPool& pool);
  Swarm(Swarm&& other) noexcept : h_(other.h_) { other.h_ = nullptr; }
  Swarm& operator=(Swarm&& other) noexcept {
    assert(h_ == nullptr);
    h_ = other.h_;
    other.h_ = nullptr;
    return *this;
  }
  Swarm(const Swarm&) = delete;
  Swarm& operator=(const Swarm&) = delete;
  ~Swarm() { assert(h_ == nullptr); }  // release() first

  // Gives the block back (to `pool` if small) and empties the handle.
  void release(BlockPool& pool);

  explicit operator bool() const { return h_ != nullptr; }
  const core::InfoHash& info_hash() const { return h_->info_hash; }

  // Whether `now` has a stamp from `base` (else the owner must rebase first).
  static bool fits(core::Seconds now, core::Seconds base) {
    return now < base || now - base <= max_stamp();
  }
  // Applies `a` and appends the selected peers to `out`; a new peer is not
  // stored when the swarm already holds `max_peers` or `a.may_grow` is false.
  // fits(a.now, base) must hold.
  SwarmCounts announce(const Announce& a, core::Seconds base, std::uint32_t max_peers,
                       BlockPool& pool, core::PeerList& out, Delta& delta);
  // Appends up to l.numwant peers of the families asked for to `out`.
  void lookup(const Lookup& l, core::PeerList& out) const;
  // Removes peers with last_seen + ttl <= now; returns how many.
  std::uint32_t expire(core::Seconds now, core::Seconds ttl, core::Seconds base, BlockPool& pool,
                       Delta& delta);
  // For an owner moving its base `shift` seconds up: every stamp drops by
  // `shift`, to no less than 0.
  void rebase(core::Seconds shift);

  // Asks the CPU for the cache lines an announce reads after the header's
  // (which finding the swarm has read): a small swarm's records, a large
  // swarm's first and last records of each family, where its search
  // starts. Never faults, changes nothing.
  void prefetch() const;

  SwarmCounts counts() const { return {seeders(), live(0) + live(1) - seeders(), h_->downloaded}; }
  bool empty() const { return live(0) + live(1) == 0; }
  void collect(core::Seconds base, std::vector<StoredPeer>& out) const;
  // For a restored snapshot: the download count it recorded.
  void set_downloaded(std::uint32_t downloaded) { h_->downloaded = downloaded; }

  // For BlockPool::compact: hands a small swarm's block to `move` and keeps
  // the address it returns.
  template <class Move>
  void relocate(Move&& move) {
    if (!large()) h_ = static_cast<Header*>(move(h_, h_->size_class));
  }

 private:
  struct Header {
    core::InfoHash info_hash;
    std::uint32_t downloaded;
    std::uint8_t small_n[2];  // peers per family, small swarms only
    std::uint8_t small_seeders;
    std::uint8_t size_class;  // the pool's class, or large_class
  };
  static_assert(sizeof(Header) == 28 && alignof(Header) <= 4);
  static core::Seconds max_stamp();
  struct Large {
    std::uint32_t n[2];  // slots per family, gone ones included
    std::uint32_t seeders;
    std::uint32_t capacity;  // payload bytes
    std::uint32_t gone[2];   // slots per family whose peer has left
  };
  static constexpr std::uint8_t large_class = 0xFF;
  static std::size_t large_bytes(std::size_t capacity) {
    return sizeof(Header) + sizeof(Large) + capacity;
  }
  static constexpr std::uint32_t npos = UINT32_MAX;

  explicit Swarm(Header* h) : h_(h) {}
  bool large() const { return h_->size_class == large_class; }
  Large& big() const { return *reinterpret_cast<Large*>(h_ + 1); }
  std::uint32_t n(int family) const { return large() ? big().n[family] : h_->small_n[family]; }
  std::uint32_t gone(int family) const { return large() ? big().gone[family] : 0; }
  std::uint32_t live(int family) const { return n(family) - gone(family); }
  void set_n(int family, std::uint32_t v);
  std::uint32_t seeders() const { return large() ? big().seeders : h_->small_seeders; }
  void add_seeders(int step, Delta& delta);
  std::size_t capacity() const;
  std::size_t used() const;
  std::uint8_t* payload() const;
  std::uint8_t* records(int family) const;
  std::uint8_t* record(int family, std::uint32_t i) const;

  // Index of the record with this key, or of where it would go.
  std::uint32_t lower_bound(int family, const std::uint8_t* key, bool& found) const;
  std::uint32_t insert(int family, std::uint32_t pos, const Announce& a, std::uint16_t stamp,
                       BlockPool& pool, Delta& delta);
  void update(std::uint8_t* rec, int family, const Announce& a, std::uint16_t stamp, Delta& delta);
  void erase(int family, std::uint32_t pos, BlockPool& pool, Delta& delta);
  void mark_gone(std::uint8_t* rec, int family, Delta& delta);
  std::uint32_t revive(int family, std::uint32_t pos, const Announce& a, std::uint16_t stamp,
                       Delta& delta);
  std::uint32_t take_gone_slot(int family, std::uint32_t pos);
  // Drops the gone records and the live ones `dead(record, family)` picks,
  // each family staying sorted; returns how many live ones it dropped.
  template <class Dead>
  std::uint32_t pack(Dead dead, Delta& delta);
  bool resize(std::size_t capacity, BlockPool& pool);
  bool move_to_new_block(std::size_t capacity, BlockPool& pool);
  bool resize_large(std::size_t capacity);
  void shrink_to_fit_loosely(BlockPool& pool);
  // Appends up to `numwant` peers, family `own` first, never record `self`
  // of that family (npos: none), with their ids if `ids`.
  void select(std::uint32_t numwant, const bool (&want)[2], std::uint64_t random, bool ids, int own,
              std::uint32_t self, core::PeerList& out) const;
  template <int Family, bool Ids>
  std::uint32_t take(std::uint32_t skip, std::uint32_t want, std::uint32_t random,
                     core::PeerList& out) const;

  Header* h_;
};

static_assert(sizeof(Swarm) == 8);

// Hash and equality that let a set of swarms be searched by info hash.
struct SwarmHash {
  using is_transparent = void;
  std::size_t operator()(const core::InfoHash& h) const noexcept { return core::Id20Hash{}(h); }
  std::size_t operator()(const Swarm& s) const noexcept { return (*this)(s.info_hash()); }
};
struct SwarmEqual {
  using is_transparent = void;
  static const core::InfoHash& key(const core::InfoHash& h) { return h; }
  static const core::InfoHash& key(const Swarm& s) { return s.info_hash(); }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return key(a) == key(b);
  }
};

}  // namespace cairn::store
