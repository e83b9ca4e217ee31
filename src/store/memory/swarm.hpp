#pragma once
// The peers of one info hash, as MemoryStore keeps them. A Swarm is an
// owning 8-byte handle to one heap block
//
//   [Header: info hash, time base, counts, capacities: 48 bytes]
//   [v4 records: cap[0] x 28 bytes][v6 records: cap[1] x 40 bytes]
//
// each family sorted by endpoint (see peer_record.hpp). The shard's hash set
// holds only the handle: a hash slot costs ~1.5x its size (the table's load
// factor), so everything else lives in the block, where it costs 1x. Small
// swarms (most of them) get exact-fit arrays; big ones grow by 1/16 so slack
// stays low, and shrink with hysteresis so a swarm hovering at a size does
// not copy on every join and leave.
//
// Time: each record holds a 14-bit stamp, seconds since the swarm's base.
// When a new stamp would not fit, the swarm rebases (rewrites its stamps),
// keeping `rebase_keep` seconds of history; older peers clamp to the new
// base, which is still past any TTL up to rebase_keep, so expiry stays exact
// to the second whatever the gap between expire calls.
//
// Not thread-safe: the owning shard's lock guards it.
#include <cstdint>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/peer_store.hpp"

namespace cairn::store {

// One peer with everything a snapshot needs to restore it.
struct StoredPeer {
  PeerInfo peer;
  core::Seconds last_seen = 0;
  bool seeder = false;
  bool completed = false;
};

class Swarm {
 public:
  // The longest TTL for which expiry is exact (3 h 59 min); a rebase
  // happens at most every (max stamp - rebase_keep) = 34 minutes.
  static constexpr core::Seconds rebase_keep = 0x3800;

  // Changes to the store-wide counters caused by one operation.
  struct Delta {
    std::int64_t peers[2] = {0, 0};  // v4, v6
    std::int64_t seeders = 0;
  };

  // An empty swarm; an empty handle if memory ran out.
  static Swarm create(const core::InfoHash& info_hash, core::Seconds now);
  Swarm(Swarm&& other) noexcept : h_(other.h_) { other.h_ = nullptr; }
  Swarm& operator=(Swarm&& other) noexcept;
  Swarm(const Swarm&) = delete;
  Swarm& operator=(const Swarm&) = delete;
  ~Swarm();

  explicit operator bool() const { return h_ != nullptr; }
  const core::InfoHash& info_hash() const { return h_->info_hash; }

  // Applies `a` and appends the selected peers to `out`; a new peer is not
  // stored when the swarm already holds `max_peers`.
  SwarmCounts announce(const Announce& a, std::uint32_t max_peers, std::vector<PeerInfo>& out,
                       Delta& delta);
  // Removes peers with last_seen + ttl <= now; returns how many.
  std::uint32_t expire(core::Seconds now, core::Seconds ttl, Delta& delta);

  SwarmCounts counts() const {
    return {h_->seeders, h_->n[0] + h_->n[1] - h_->seeders, h_->downloaded};
  }
  bool empty() const { return h_->n[0] + h_->n[1] == 0; }
  void collect(std::vector<StoredPeer>& out) const;

 private:
  struct Header {
    core::InfoHash info_hash;
    core::Seconds base;  // stamps count seconds from here
    std::uint32_t n[2];  // peers per family
    std::uint32_t cap[2];
    std::uint32_t seeders;
    std::uint32_t downloaded;
  };
  static_assert(sizeof(Header) == 48);
  static constexpr std::uint32_t npos = UINT32_MAX;

  explicit Swarm(Header* h) : h_(h) {}
  std::uint8_t* records(int family) const;
  std::uint8_t* record(int family, std::uint32_t i) const;

  // Index of the record with this key, or of where it would go.
  std::uint32_t lower_bound(int family, const std::uint8_t* key, bool& found) const;
  std::uint32_t insert(int family, std::uint32_t pos, const Announce& a, std::uint16_t stamp,
                       Delta& delta);
  void update(std::uint8_t* rec, int family, const Announce& a, std::uint16_t stamp, Delta& delta);
  void erase(int family, std::uint32_t pos, Delta& delta);
  bool relayout(std::uint32_t cap_v4, std::uint32_t cap_v6);
  void shrink_to_fit_loosely();
  std::uint16_t stamp_for(core::Seconds now);
  void select(const Announce& a, int own, std::uint32_t self, std::vector<PeerInfo>& out) const;
  std::uint32_t take(int family, std::uint32_t skip, std::uint32_t want, std::uint32_t random,
                     std::vector<PeerInfo>& out) const;

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
