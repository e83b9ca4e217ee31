#include "store/memory/swarm.hpp"

#include <cstdlib>
#include <cstring>

#include "store/memory/peer_record.hpp"

namespace cairn::store {
namespace {

// Capacity for `needed` records: exact for small swarms, where malloc's own
// rounding already gives some room, and 1/16 spare above that so a big swarm
// resizes only every few thousand joins.
std::uint32_t grown(std::uint32_t needed) { return needed <= 16 ? needed : needed + needed / 16; }

// Shrink only well below the capacity, so joins and leaves around one size
// do not copy the block back and forth.
bool too_loose(std::uint32_t n, std::uint32_t cap) { return cap <= 16 ? n < cap : n + n / 8 < cap; }

}  // namespace

Swarm Swarm::create(const core::InfoHash& info_hash, core::Seconds now) {
  auto* h = static_cast<Header*>(std::malloc(sizeof(Header)));  // no-throw on the hot path
  if (h != nullptr) *h = Header{info_hash, now, {0, 0}, {0, 0}, 0, 0};
  return Swarm(h);
}

Swarm& Swarm::operator=(Swarm&& other) noexcept {
  if (this != &other) {
    std::free(h_);
    h_ = other.h_;
    other.h_ = nullptr;
  }
  return *this;
}

Swarm::~Swarm() { std::free(h_); }

std::uint8_t* Swarm::records(int family) const {
  return reinterpret_cast<std::uint8_t*>(h_ + 1) + (family == 0 ? 0 : h_->cap[0] * record::size(0));
}

std::uint8_t* Swarm::record(int family, std::uint32_t i) const {
  return records(family) + std::size_t{i} * record::size(family);
}

std::uint32_t Swarm::lower_bound(int family, const std::uint8_t* key, bool& found) const {
  std::uint32_t lo = 0, hi = h_->n[family];
  const std::uint8_t* recs = hi == 0 ? nullptr : records(family);
  while (lo < hi) {
    const std::uint32_t mid = lo + (hi - lo) / 2;
    const int c =
        std::memcmp(recs + std::size_t{mid} * record::size(family), key, record::key_size(family));
    if (c < 0) {
      lo = mid + 1;
    } else if (c > 0) {
      hi = mid;
    } else {
      found = true;
      return mid;
    }
  }
  found = false;
  return lo;
}

// Resizes the block to the given capacities (each at least the family's
// size). realloc, so a big block (mmapped by malloc) grows by remapping pages
// instead of copying and leaves no hole behind; the v6 array moves inside it.
bool Swarm::relayout(std::uint32_t cap_v4, std::uint32_t cap_v6) {
  const std::size_t bytes = sizeof(Header) + std::size_t{cap_v4} * record::size(0) +
                            std::size_t{cap_v6} * record::size(1);
  const std::size_t v6_bytes = std::size_t{h_->n[1]} * record::size(1);
  const std::size_t v6_from = sizeof(Header) + std::size_t{h_->cap[0]} * record::size(0);
  const std::size_t v6_to = sizeof(Header) + std::size_t{cap_v4} * record::size(0);
  if (v6_to < v6_from) {
    // Only a shrink moves v6 down. Move first: if realloc then fails, the
    // old, larger block still holds everything at the new offsets.
    auto* base = reinterpret_cast<std::uint8_t*>(h_);
    std::memmove(base + v6_to, base + v6_from, v6_bytes);
    h_->cap[0] = cap_v4;
    h_->cap[1] = cap_v6;
    if (auto* smaller = static_cast<Header*>(std::realloc(h_, bytes))) h_ = smaller;
    return true;
  }
  auto* fresh = static_cast<Header*>(std::realloc(h_, bytes));  // no-throw on the hot path
  if (fresh == nullptr) return false;
  auto* base = reinterpret_cast<std::uint8_t*>(fresh);
  std::memmove(base + v6_to, base + v6_from, v6_bytes);
  fresh->cap[0] = cap_v4;
  fresh->cap[1] = cap_v6;
  h_ = fresh;
  return true;
}

void Swarm::shrink_to_fit_loosely() {
  std::uint32_t cap[2] = {h_->cap[0], h_->cap[1]};
  bool change = false;
  for (int f = 0; f < 2; ++f) {
    if (too_loose(h_->n[f], cap[f])) {
      cap[f] = grown(h_->n[f]);
      change = true;
    }
  }
  if (change) relayout(cap[0], cap[1]);
}

std::uint16_t Swarm::stamp_for(core::Seconds now) {
  if (now < h_->base) return 0;  // a caller's slightly stale clock: close enough
  if (now - h_->base > record::max_stamp) {
    const core::Seconds new_base = now - rebase_keep;
    const core::Seconds shift = new_base - h_->base;
    for (int f = 0; f < 2; ++f) {
      for (std::uint32_t i = 0; i < h_->n[f]; ++i) {
        std::uint8_t* rec = record(f, i);
        const std::uint16_t s = record::stamp(rec, f);
        record::set_stamp(rec, f, s > shift ? static_cast<std::uint16_t>(s - shift) : 0);
      }
    }
    h_->base = new_base;
  }
  return static_cast<std::uint16_t>(now - h_->base);
}

SwarmCounts Swarm::announce(const Announce& a, std::uint32_t max_peers, std::vector<PeerInfo>& out,
                            Delta& delta) {
  const int f = record::family_index(a.endpoint.family());
  std::uint8_t key[record::max_size];
  a.endpoint.write_compact(key);
  bool found = false;
  const std::uint32_t pos = lower_bound(f, key, found);
  if (a.event == core::Event::stopped) {
    if (found) erase(f, pos, delta);
    return counts();
  }
  const std::uint16_t stamp = stamp_for(a.now);
  std::uint32_t self = npos;
  if (found) {
    update(record(f, pos), f, a, stamp, delta);
    self = pos;
  } else if (h_->n[0] + h_->n[1] < max_peers) {
    self = insert(f, pos, a, stamp, delta);
  }
  select(a, f, self, out);
  return counts();
}

void Swarm::update(std::uint8_t* rec, int family, const Announce& a, std::uint16_t stamp,
                   Delta& delta) {
  std::memcpy(rec + record::id_offset(family), a.peer_id.bytes.data(), core::PeerId::size);
  std::uint16_t flags = record::flags(rec, family);
  if (a.seeder != ((flags & record::flag_seeder) != 0)) {
    const int step = a.seeder ? 1 : -1;
    h_->seeders += step;
    delta.seeders += step;
    flags ^= record::flag_seeder;
  }
  if (a.event == core::Event::completed && (flags & record::flag_completed) == 0) {
    ++h_->downloaded;
    flags |= record::flag_completed;
  }
  record::set_state(rec, family, static_cast<std::uint16_t>(stamp << record::flag_bits | flags));
}

// Returns the new record's index, or npos if the block could not grow.
std::uint32_t Swarm::insert(int family, std::uint32_t pos, const Announce& a, std::uint16_t stamp,
                            Delta& delta) {
  if (h_->n[family] == h_->cap[family]) {
    std::uint32_t cap[2] = {h_->cap[0], h_->cap[1]};
    cap[family] = grown(h_->n[family] + 1);
    if (!relayout(cap[0], cap[1])) return npos;
  }
  const std::size_t size = record::size(family);
  std::uint8_t* rec = record(family, pos);
  std::memmove(rec + size, rec, (h_->n[family] - pos) * size);
  a.endpoint.write_compact(rec);
  record::set_state(rec, family, 0);
  update(rec, family, a, stamp, delta);
  ++h_->n[family];
  ++delta.peers[family];
  return pos;
}

void Swarm::erase(int family, std::uint32_t pos, Delta& delta) {
  const std::size_t size = record::size(family);
  std::uint8_t* rec = record(family, pos);
  if (record::flags(rec, family) & record::flag_seeder) {
    --h_->seeders;
    --delta.seeders;
  }
  std::memmove(rec, rec + size, (h_->n[family] - pos - 1) * size);
  --h_->n[family];
  --delta.peers[family];
  shrink_to_fit_loosely();
}

std::uint32_t Swarm::expire(core::Seconds now, core::Seconds ttl, Delta& delta) {
  std::uint32_t removed = 0;
  for (int f = 0; f < 2; ++f) {
    if (h_->n[f] == 0) continue;
    const std::size_t size = record::size(f);
    std::uint8_t* recs = records(f);
    std::uint32_t kept = 0;
    for (std::uint32_t i = 0; i < h_->n[f]; ++i) {
      std::uint8_t* rec = recs + i * size;
      const std::uint64_t last_seen = std::uint64_t{h_->base} + record::stamp(rec, f);
      if (last_seen + ttl <= now) {
        if (record::flags(rec, f) & record::flag_seeder) {
          --h_->seeders;
          --delta.seeders;
        }
        continue;
      }
      if (kept != i) std::memmove(recs + kept * size, rec, size);
      ++kept;
    }
    removed += h_->n[f] - kept;
    delta.peers[f] -= h_->n[f] - kept;
    h_->n[f] = kept;
  }
  if (removed > 0) shrink_to_fit_loosely();
  return removed;
}

void Swarm::select(const Announce& a, int own, std::uint32_t self,
                   std::vector<PeerInfo>& out) const {
  const bool want[2] = {a.want_v4, a.want_v6};
  std::uint32_t left = a.numwant;
  const int order[2] = {own, 1 - own};
  for (int i = 0; i < 2 && left > 0; ++i) {
    const int f = order[i];
    if (!want[f]) continue;
    // Independent halves of the caller's random word for the two families.
    const auto random = static_cast<std::uint32_t>(i == 0 ? a.random : a.random >> 32);
    left -= take(f, f == own ? self : npos, left, random, out);
  }
}

// Appends up to `want` records of one family other than `skip`: all of them
// if that is few enough, else a run starting at a random index and wrapping
// around (opentracker's choice: random enough, and a sequential read).
std::uint32_t Swarm::take(int family, std::uint32_t skip, std::uint32_t want, std::uint32_t random,
                          std::vector<PeerInfo>& out) const {
  const std::uint32_t n = h_->n[family];
  const std::uint32_t others = n - (skip < n ? 1 : 0);
  if (others == 0) return 0;
  const std::uint8_t* recs = records(family);
  const std::size_t size = record::size(family);
  if (others <= want) {
    for (std::uint32_t i = 0; i < n; ++i) {
      if (i != skip) out.push_back(record::read_peer(recs + i * size, family));
    }
    return others;
  }
  std::uint32_t i = static_cast<std::uint32_t>((std::uint64_t{random} * n) >> 32);
  for (std::uint32_t taken = 0; taken < want;) {
    if (i != skip) {
      out.push_back(record::read_peer(recs + i * size, family));
      ++taken;
    }
    if (++i == n) i = 0;
  }
  return want;
}

void Swarm::collect(std::vector<StoredPeer>& out) const {
  for (int f = 0; f < 2; ++f) {
    for (std::uint32_t i = 0; i < h_->n[f]; ++i) {
      const std::uint8_t* rec = record(f, i);
      const std::uint16_t flags = record::flags(rec, f);
      out.push_back({record::read_peer(rec, f), h_->base + record::stamp(rec, f),
                     (flags & record::flag_seeder) != 0, (flags & record::flag_completed) != 0});
    }
  }
}

}  // namespace cairn::store
