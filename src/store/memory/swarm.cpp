#include "store/memory/swarm.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "store/memory/big_block.hpp"
#include "store/memory/peer_record.hpp"

namespace cairn::store {
namespace {

// Payload capacity for `needed` bytes: exact while the swarm is small (its
// pool class rounds up to a whole IPv4 record), 1/16 spare above that so a
// big swarm resizes only every few thousand joins.
std::size_t grown(std::size_t needed) {
  return needed <= Swarm::small_capacity ? needed : needed + needed / 16;
}

unsigned class_for(std::size_t capacity) {
  return static_cast<unsigned>((capacity + Swarm::capacity_step - 1) / Swarm::capacity_step);
}

}  // namespace

BlockPool Swarm::make_pool() { return BlockPool(sizeof(Header), capacity_step, small_classes); }

Swarm Swarm::create(const core::InfoHash& info_hash, BlockPool& pool) {
  auto* h = static_cast<Header*>(pool.allocate(0));
  if (h != nullptr) *h = Header{info_hash, 0, {0, 0}, 0, 0};
  return Swarm(h);
}

core::Seconds Swarm::max_stamp() { return record::gone_stamp - 1; }

void Swarm::release(BlockPool& pool) {
  if (h_ == nullptr) return;
  if (large()) {
    big_block::release(h_, large_bytes(big().capacity));
  } else {
    pool.release(h_, h_->size_class);
  }
  h_ = nullptr;
}

void Swarm::set_n(int family, std::uint32_t v) {
  if (large()) {
    big().n[family] = v;
  } else {
    h_->small_n[family] = static_cast<std::uint8_t>(v);
  }
}

void Swarm::add_seeders(int step, Delta& delta) {
  if (large()) {
    big().seeders += step;
  } else {
    h_->small_seeders = static_cast<std::uint8_t>(h_->small_seeders + step);
  }
  delta.seeders += step;
}

std::size_t Swarm::capacity() const {
  return large() ? big().capacity : capacity_step * h_->size_class;
}

std::size_t Swarm::used() const {
  return std::size_t{n(0)} * record::size(0) + std::size_t{n(1)} * record::size(1);
}

std::uint8_t* Swarm::payload() const {
  return reinterpret_cast<std::uint8_t*>(h_ + 1) + (large() ? sizeof(Large) : 0);
}

std::uint8_t* Swarm::records(int family) const {
  return family == 0 ? payload() : payload() + capacity() - std::size_t{n(1)} * record::size(1);
}

std::uint8_t* Swarm::record(int family, std::uint32_t i) const {
  return records(family) + std::size_t{i} * record::size(family);
}

namespace {

// An endpoint key as big-endian integers, so comparing keys orders records
// exactly as memcmp would, without a library call per probe: the binary
// search of a large swarm probes up to 17 records per announce. Records are
// at least 28 bytes long, so the 8-byte loads stay inside them.
std::uint64_t load_be64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap64(v);
}

int compare_key_v4(const std::uint8_t* a, const std::uint8_t* b) {
  const std::uint64_t x = load_be64(a) >> 16, y = load_be64(b) >> 16;  // 6 bytes
  return (x > y) - (x < y);
}

int compare_key_v6(const std::uint8_t* a, const std::uint8_t* b) {
  for (int i = 0; i < 16; i += 8) {
    const std::uint64_t x = load_be64(a + i), y = load_be64(b + i);
    if (x != y) return x < y ? -1 : 1;
  }
  const int x = a[16] << 8 | a[17], y = b[16] << 8 | b[17];
  return (x > y) - (x < y);
}

std::uint64_t key_v4(const std::uint8_t* rec) { return load_be64(rec) >> 16; }

// Binary search over one family's sorted records for `key`.
template <int Family>
std::uint32_t search(const std::uint8_t* recs, std::uint32_t lo, std::uint32_t hi,
                     const std::uint8_t* key, bool& found) {
  constexpr std::size_t size = record::size(Family);
  while (lo < hi) {
    const std::uint32_t mid = lo + (hi - lo) / 2;
    const int c = Family == 0 ? compare_key_v4(recs + std::size_t{mid} * size, key)
                              : compare_key_v6(recs + std::size_t{mid} * size, key);
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

// Narrows [lo, hi) around an IPv4 key by interpolation before the binary
// search. Endpoints of a big swarm spread over the address space, so each
// round cuts the range to about its square root: a 100k-peer swarm needs
// 3-4 probes (cache misses, in a large swarm) instead of 17. Rounds are
// bounded, so a skewed swarm costs only a few probes more than binary search.
void interpolate_v4(const std::uint8_t* recs, std::uint32_t& lo, std::uint32_t& hi,
                    std::uint64_t k) {
  constexpr std::size_t size = record::size(0);
  for (int round = 0; round < 4 && hi - lo > 32; ++round) {
    const std::uint64_t first = key_v4(recs + std::size_t{lo} * size);
    const std::uint64_t last = key_v4(recs + std::size_t{hi - 1} * size);
    if (k <= first) {
      hi = lo + 1;
      return;
    }
    if (k > last) {
      lo = hi;
      return;
    }
    // A double is exact enough: an off-by-a-few guess only costs a probe.
    const double fraction = static_cast<double>(k - first) / static_cast<double>(last - first);
    const auto pos = lo + static_cast<std::uint32_t>(fraction * (hi - 1 - lo));
    const std::uint64_t at = key_v4(recs + std::size_t{pos} * size);
    if (at < k) {
      lo = pos + 1;
    } else {
      hi = pos + 1;
    }
  }
}

}  // namespace

std::uint32_t Swarm::lower_bound(int family, const std::uint8_t* key, bool& found) const {
  const std::uint32_t count = n(family);
  const std::uint8_t* recs = count == 0 ? nullptr : records(family);
  if (family == 1) return search<1>(recs, 0, count, key, found);
  std::uint32_t lo = 0, hi = count;
  interpolate_v4(recs, lo, hi, key_v4(key));
  return search<0>(recs, lo, hi, key, found);
}

// Gives the payload `capacity` bytes (at least used()); false if memory ran
// out, with the swarm unchanged.
bool Swarm::resize(std::size_t capacity, BlockPool& pool) {
  if (large() && capacity > small_capacity) return resize_large(capacity);
  return move_to_new_block(capacity, pool);
}

// Copies the swarm into a new pool block or large block and frees the old
// one: the path between sizes of small swarms and between small and large.
bool Swarm::move_to_new_block(std::size_t capacity, BlockPool& pool) {
  const bool to_large = capacity > small_capacity;
  if (to_large && capacity > UINT32_MAX) return false;
  Header* fresh;
  std::size_t fresh_capacity = capacity;
  if (to_large) {
    fresh = static_cast<Header*>(big_block::allocate(large_bytes(capacity)));
  } else {
    fresh = static_cast<Header*>(pool.allocate(class_for(capacity)));
    fresh_capacity = capacity_step * class_for(capacity);
  }
  if (fresh == nullptr) return false;
  assert(gone(0) + gone(1) == 0);  // only a packed swarm changes between small and large
  const std::uint32_t counts[3] = {n(0), n(1), seeders()};
  *fresh = *h_;
  if (to_large) {
    fresh->size_class = large_class;
    *reinterpret_cast<Large*>(fresh + 1) =
        Large{{counts[0], counts[1]}, counts[2], static_cast<std::uint32_t>(capacity), {0, 0}};
  } else {
    fresh->size_class = static_cast<std::uint8_t>(class_for(capacity));
    fresh->small_n[0] = static_cast<std::uint8_t>(counts[0]);
    fresh->small_n[1] = static_cast<std::uint8_t>(counts[1]);
    fresh->small_seeders = static_cast<std::uint8_t>(counts[2]);
  }
  auto* to = reinterpret_cast<std::uint8_t*>(fresh + 1) + (to_large ? sizeof(Large) : 0);
  const std::size_t v6_bytes = std::size_t{counts[1]} * record::size(1);
  std::memcpy(to, records(0), std::size_t{counts[0]} * record::size(0));
  std::memcpy(to + fresh_capacity - v6_bytes, records(1), v6_bytes);
  release(pool);
  h_ = fresh;
  return true;
}

// Resizes a large block in place where it can (realloc, or mremap for a
// mapped one, so the biggest grow without copying); the v6 array moves to
// the new end of the payload.
bool Swarm::resize_large(std::size_t capacity) {
  if (capacity > UINT32_MAX) return false;
  const std::size_t old_capacity = big().capacity;
  const std::size_t v6_bytes = std::size_t{big().n[1]} * record::size(1);
  const std::size_t old_v6 = old_capacity - v6_bytes, new_v6 = capacity - v6_bytes;
  // A shrink cuts the block's end: move the v6 records down first, and
  // back if the block cannot shrink.
  if (capacity < old_capacity) std::memmove(payload() + new_v6, payload() + old_v6, v6_bytes);
  auto* fresh = static_cast<Header*>(
      big_block::resize(h_, large_bytes(old_capacity), large_bytes(capacity)));  // no-throw
  if (fresh == nullptr) {
    if (capacity < old_capacity) std::memmove(payload() + old_v6, payload() + new_v6, v6_bytes);
    return false;
  }
  h_ = fresh;
  if (capacity > old_capacity) std::memmove(payload() + new_v6, payload() + old_v6, v6_bytes);
  big().capacity = static_cast<std::uint32_t>(capacity);
  return true;
}

// A small swarm shrinks once two records' room is free, so a join and a
// leave around one size do not copy the block back and forth (at most one
// spare record per small swarm); large ones shrink only well below their
// capacity, and become small again only at half the small limit.
void Swarm::shrink_to_fit_loosely(BlockPool& pool) {
  const std::size_t u = used();
  if (!large()) {
    if (class_for(u) + 1 < h_->size_class) resize(u, pool);
  } else if (u <= small_capacity / 2) {
    resize(u, pool);
  } else if (u + u / 8 < capacity()) {
    resize(u + u / 16, pool);
  }
}

void Swarm::prefetch() const {
  constexpr std::size_t line = 64, small_lines = 4;
  if (!large()) {
    const auto* block = reinterpret_cast<const char*>(h_);
    const std::size_t end = std::min(sizeof(Header) + capacity(), small_lines * line);
    for (std::size_t at = line; at < end; at += line) __builtin_prefetch(block + at);
    return;
  }
  for (int f = 0; f < 2; ++f) {
    if (n(f) == 0) continue;
    __builtin_prefetch(record(f, 0));
    __builtin_prefetch(record(f, n(f) - 1));
  }
}

void Swarm::rebase(core::Seconds shift) {
  for (int f = 0; f < 2; ++f) {
    for (std::uint32_t i = 0; i < n(f); ++i) {
      std::uint8_t* rec = record(f, i);
      if (record::gone(rec, f)) continue;
      const std::uint16_t s = record::stamp(rec, f);
      record::set_stamp(rec, f, s > shift ? static_cast<std::uint16_t>(s - shift) : 0);
    }
  }
}

template <class Dead>
std::uint32_t Swarm::pack(Dead dead, Delta& delta) {
  std::uint32_t dropped = 0;
  for (int f = 0; f < 2; ++f) {
    const std::uint32_t count = n(f);
    if (count == 0) continue;
    const std::size_t size = record::size(f);
    std::uint8_t* recs = records(f);
    std::uint32_t kept = 0, died = 0;
    for (std::uint32_t i = 0; i < count; ++i) {
      std::uint8_t* rec = recs + i * size;
      if (record::gone(rec, f)) continue;  // counted when it left
      if (dead(static_cast<const std::uint8_t*>(rec), f)) {
        if (record::flags(rec, f) & record::flag_seeder) add_seeders(-1, delta);
        ++died;
        continue;
      }
      if (kept != i) std::memmove(recs + kept * size, rec, size);
      ++kept;
    }
    // Kept v6 records were packed down to the array's old start; they
    // belong at the payload's end.
    if (f == 1) std::memmove(recs + (count - kept) * size, recs, kept * size);
    dropped += died;
    delta.peers[f] -= died;
    set_n(f, kept);
    if (large()) big().gone[f] = 0;
  }
  return dropped;
}

SwarmCounts Swarm::announce(const Announce& a, core::Seconds base, std::uint32_t max_peers,
                            BlockPool& pool, core::PeerList& out, Delta& delta) {
  const int f = record::family_index(a.endpoint.family());
  std::uint8_t key[record::max_size];
  a.endpoint.write_compact(key);
  bool found = false;
  std::uint32_t pos = lower_bound(f, key, found);
  const bool present = found && !record::gone(record(f, pos), f);
  if (a.event == core::Event::stopped) {
    if (present) erase(f, pos, pool, delta);
    return counts();
  }
  // A caller's slightly stale clock may read before the base: close enough.
  const std::uint16_t stamp = a.now < base ? 0 : static_cast<std::uint16_t>(a.now - base);
  assert(fits(a.now, base));
  std::uint32_t self = npos;
  if (present) {
    update(record(f, pos), f, a, stamp, delta);
    self = pos;
  } else if (a.may_grow && live(0) + live(1) < max_peers) {
    if (found) {
      self = revive(f, pos, a, stamp, delta);
    } else {
      // Gone records hold slots, never more than the cap: a swarm full of
      // slots packs before it takes a new one.
      if (n(0) + n(1) >= max_peers && gone(0) + gone(1) > 0) {
        pack([](const std::uint8_t*, int) { return false; }, delta);
        pos = lower_bound(f, key, found);
      }
      self = insert(f, pos, a, stamp, pool, delta);
    }
  }
  const bool want[2] = {a.want_v4, a.want_v6};
  select(a.numwant, want, a.random, a.want_peer_ids, f, self, out);
  return counts();
}

void Swarm::lookup(const Lookup& l, core::PeerList& out) const {
  const bool want[2] = {l.want_v4, l.want_v6};
  select(l.numwant, want, l.random, l.want_peer_ids, l.want_v4 ? 0 : 1, npos, out);
}

void Swarm::update(std::uint8_t* rec, int family, const Announce& a, std::uint16_t stamp,
                   Delta& delta) {
  std::memcpy(rec + record::id_offset(family), a.peer_id.bytes.data(), core::PeerId::size);
  std::uint16_t flags = record::flags(rec, family);
  if (a.seeder != ((flags & record::flag_seeder) != 0)) {
    add_seeders(a.seeder ? 1 : -1, delta);
    flags ^= record::flag_seeder;
  }
  if (a.event == core::Event::completed && (flags & record::flag_completed) == 0) {
    ++h_->downloaded;
    flags |= record::flag_completed;
  }
  record::set_state(rec, family, static_cast<std::uint16_t>(stamp << record::flag_bits | flags));
}

// Returns the new record's index, or npos if the block could not grow.
// v4 records shift up from `pos`; v6 records, which end at the payload's
// end, shift down below it.
std::uint32_t Swarm::insert(int family, std::uint32_t pos, const Announce& a, std::uint16_t stamp,
                            BlockPool& pool, Delta& delta) {
  if (gone(family) > 0) {
    const std::uint32_t slot = take_gone_slot(family, pos);
    if (slot != npos) {
      a.endpoint.write_compact(record(family, slot));
      return revive(family, slot, a, stamp, delta);
    }
  }
  const std::size_t size = record::size(family);
  const std::size_t needed = used() + size;
  if (needed > capacity() && !resize(grown(needed), pool)) return npos;
  const std::uint32_t count = n(family);
  std::uint8_t* rec;
  if (family == 0) {
    rec = record(0, pos);
    std::memmove(rec + size, rec, (count - pos) * size);
  } else {
    std::uint8_t* first = records(1);
    std::memmove(first - size, first, pos * size);
    rec = first - size + pos * size;
  }
  a.endpoint.write_compact(rec);
  record::set_state(rec, family, 0);
  set_n(family, count + 1);
  update(rec, family, a, stamp, delta);
  ++delta.peers[family];
  return pos;
}

// For a new key whose place is `pos` (its lower bound): finds the nearest
// gone record within gone_reach records of it and moves the records in
// between one slot toward it, so the key's place is free with the family
// still sorted; returns that place, or npos (none near enough: the caller
// moves the whole tail). A join then moves a few records, not half the
// family, wherever leaves have left gone records.
std::uint32_t Swarm::take_gone_slot(int family, std::uint32_t pos) {
  const std::uint32_t count = n(family);
  const std::size_t size = record::size(family);
  for (std::uint32_t d = 0; d < gone_reach; ++d) {
    if (pos + d < count && record::gone(record(family, pos + d), family)) {
      std::uint8_t* at = record(family, pos);
      std::memmove(at + size, at, d * size);  // [pos, pos + d) up onto the gone one
      return pos;
    }
    if (d < pos && record::gone(record(family, pos - 1 - d), family)) {
      std::uint8_t* gone_at = record(family, pos - 1 - d);
      std::memmove(gone_at, gone_at + size, d * size);  // (gone, pos) down onto it
      return pos - 1;
    }
    if (pos + d >= count && d >= pos) break;
  }
  return npos;
}

// Makes the gone record at `pos` (its key already the announcer's) a live
// peer again; returns `pos`.
std::uint32_t Swarm::revive(int family, std::uint32_t pos, const Announce& a, std::uint16_t stamp,
                            Delta& delta) {
  std::uint8_t* rec = record(family, pos);
  record::set_state(rec, family, 0);
  --big().gone[family];
  update(rec, family, a, stamp, delta);
  ++delta.peers[family];
  return pos;
}

void Swarm::mark_gone(std::uint8_t* rec, int family, Delta& delta) {
  if (record::flags(rec, family) & record::flag_seeder) add_seeders(-1, delta);
  record::set_state(rec, family, record::gone_stamp << record::flag_bits);
  ++big().gone[family];
  --delta.peers[family];
}

void Swarm::erase(int family, std::uint32_t pos, BlockPool& pool, Delta& delta) {
  std::uint8_t* rec = record(family, pos);
  if (large() && n(family) >= gone_from) return mark_gone(rec, family, delta);
  const std::size_t size = record::size(family);
  const std::uint32_t count = n(family);
  if (record::flags(rec, family) & record::flag_seeder) add_seeders(-1, delta);
  if (family == 0) {
    std::memmove(rec, rec + size, (count - pos - 1) * size);
  } else {
    std::uint8_t* first = records(1);
    std::memmove(first + size, first, pos * size);
  }
  set_n(family, count - 1);
  --delta.peers[family];
  shrink_to_fit_loosely(pool);
}

std::uint32_t Swarm::expire(core::Seconds now, core::Seconds ttl, core::Seconds base,
                            BlockPool& pool, Delta& delta) {
  const std::uint32_t slots = n(0) + n(1);
  const std::uint32_t removed =
      pack([&](const std::uint8_t* rec,
               int f) { return std::uint64_t{base} + record::stamp(rec, f) + ttl <= now; },
           delta);
  if (n(0) + n(1) < slots) shrink_to_fit_loosely(pool);
  return removed;
}

void Swarm::select(std::uint32_t numwant, const bool (&want)[2], std::uint64_t random_word,
                   bool ids, int own, std::uint32_t self, core::PeerList& out) const {
  std::uint32_t left = numwant;
  const int order[2] = {own, 1 - own};
  for (int i = 0; i < 2 && left > 0; ++i) {
    const int f = order[i];
    if (!want[f]) continue;
    // Independent halves of the caller's random word for the two families.
    const auto random = static_cast<std::uint32_t>(i == 0 ? random_word : random_word >> 32);
    const std::uint32_t skip = f == own ? self : npos;
    if (f == 0) {
      left -=
          ids ? take<0, true>(skip, left, random, out) : take<0, false>(skip, left, random, out);
    } else {
      left -=
          ids ? take<1, true>(skip, left, random, out) : take<1, false>(skip, left, random, out);
    }
  }
}

// An IPv4 entry goes as one 8-byte word (two moves instead of four): the
// record goes on past its entry, and a PeerList room has spare bytes past
// its end, which the next entry overwrites.
namespace {
template <int Family>
constexpr std::size_t moved_bytes() {
  constexpr std::size_t entry = record::key_size(Family);
  constexpr std::size_t moved = entry == 6 ? 8 : entry;
  static_assert(moved <= record::size(Family) && moved - entry <= core::PeerList::kSpare);
  return moved;
}
}  // namespace

// Appends up to `want` live records of one family other than `skip`: all of
// them if that is few enough, else a run starting at a random index and
// wrapping around (opentracker's choice: random enough, and a sequential
// read). A record starts with its compact entry, so each peer is one
// fixed-size copy (two with its id).
template <int Family, bool Ids>
std::uint32_t Swarm::take(std::uint32_t skip, std::uint32_t want, std::uint32_t random,
                          core::PeerList& out) const {
  const std::uint32_t count = n(Family);
  const std::uint32_t others = live(Family) - (skip < count ? 1 : 0);
  if (others == 0) return 0;
  const std::uint32_t taking = std::min(others, want);
  constexpr std::size_t size = record::size(Family);
  constexpr std::size_t entry = record::key_size(Family);
  auto room = out.append(Family == 0 ? core::Family::v4 : core::Family::v6, taking, Ids);
  const auto copy = [&room](const std::uint8_t* rec) {
    std::memcpy(room.entries, rec, moved_bytes<Family>());
    room.entries += entry;
    if constexpr (Ids) {
      std::memcpy(room.ids, rec + record::id_offset(Family), core::PeerId::size);
      room.ids += core::PeerId::size;
    }
  };
  const std::uint8_t* recs = records(Family);
  std::uint32_t at =
      others <= want ? 0 : static_cast<std::uint32_t>((std::uint64_t{random} * count) >> 32);
  // Runs of consecutive records, split where `skip` is and where the walk
  // wraps, so the copy loop tests nothing per record but, in a family that
  // has any, whether a record is gone (rarely true: a well-predicted
  // branch). The walk ends within one lap: `taking` is at most the live
  // records other than `skip`.
  const auto walk = [&](auto has_gone) {
    for (std::uint32_t left = taking; left > 0;) {
      std::uint32_t end = std::min(count, at + left);
      const bool skipping = skip >= at && skip < end;
      if (skipping) end = skip;
      std::uint32_t copied = end - at;
      for (const std::uint8_t* rec = recs + at * size; rec != recs + end * size; rec += size) {
        if constexpr (decltype(has_gone)::value) {
          if (record::gone(rec, Family)) {
            --copied;
            continue;
          }
        }
        copy(rec);
      }
      left -= copied;
      at = skipping ? end + 1 : end;
      if (at == count) at = 0;
    }
  };
  if (gone(Family) > 0) {
    walk(std::true_type{});
  } else {
    walk(std::false_type{});
  }
  return taking;
}

void Swarm::collect(core::Seconds base, std::vector<StoredPeer>& out) const {
  for (int f = 0; f < 2; ++f) {
    for (std::uint32_t i = 0; i < n(f); ++i) {
      const std::uint8_t* rec = record(f, i);
      if (record::gone(rec, f)) continue;
      const std::uint16_t flags = record::flags(rec, f);
      out.push_back({record::read_peer(rec, f), base + record::stamp(rec, f),
                     (flags & record::flag_seeder) != 0, (flags & record::flag_completed) != 0});
    }
  }
}

}  // namespace cairn::store
