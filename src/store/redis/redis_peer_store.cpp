#include "store/redis/redis_peer_store.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "codec/big_endian.hpp"
#include "store/redis/keys.hpp"
#include "store/redis/peer_scripts.hpp"
#include "store/redis/sweep.hpp"

namespace cairn::store::redis {

using codec::resp::Reply;
using codec::resp::Type;

namespace {

// Per-thread buffers, so a warm store allocates nothing per call.
struct Scratch {
  Batch batch;
  Replies replies;
  std::string key;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// One sweep call looks at this many due swarms of its slot, and trims at
// most this many peers of each: a few milliseconds of Redis at most.
constexpr std::int64_t kSweepSwarms = 128;
constexpr std::int64_t kSweepPeers = 1000;

enum Status : int { failed = -1, ok = 0, refused = 1, may_not_create = 2, stopped_nothing = 3 };

// Appends a reply's peers, from its element `first` on: per family, the
// compact entries as one string and the ids as another (want_ids) or
// empty, copied as they are. False, appending nothing, if they do not fit
// that shape.
bool append_peers(const Reply& r, std::uint32_t first, bool want_ids, core::PeerList& out) {
  if (r.size() != first + 4) return false;
  std::string_view entries[2], ids[2];
  for (std::uint32_t f = 0; f < 2; ++f) {
    const Reply e = r.at(first + 2 * f), i = r.at(first + 2 * f + 1);
    if (!e.is_text() || !i.is_text()) return false;
    entries[f] = e.text();
    ids[f] = i.text();
    const std::size_t size = core::compact_size(f == 0 ? core::Family::v4 : core::Family::v6);
    const std::size_t n = entries[f].size() / size;
    if (entries[f].size() % size != 0 || ids[f].size() != (want_ids ? n * core::PeerId::size : 0))
      return false;
  }
  for (std::uint32_t f = 0; f < 2; ++f) {
    const core::Family family = f == 0 ? core::Family::v4 : core::Family::v6;
    const auto room = out.append(family, entries[f].size() / core::compact_size(family), want_ids);
    if (!entries[f].empty()) std::memcpy(room.entries, entries[f].data(), entries[f].size());
    if (!ids[f].empty()) std::memcpy(room.ids, ids[f].data(), ids[f].size());
  }
  return true;
}

std::uint32_t u32(std::int64_t v) {
  return v < 0 ? 0 : v > 0xffffffff ? 0xffffffff : static_cast<std::uint32_t>(v);
}

// An announce reply's head: status, counts, the swarms it created and
// dropped, and when its slot next has work for a sweep.
constexpr std::uint32_t kHead = 7;
struct Head {
  int status = failed;
  SwarmCounts counts;
  std::int64_t created = 0, dropped = 0, due = -1;
};

Head read_head(const Replies& replies, std::size_t i) {
  Head h;
  if (!replies.answered(i)) return h;
  const Reply r = replies.at(i);
  if (r.type() != Type::array || (r.size() != kHead && r.size() != kHead + 4)) return h;
  auto it = r.begin();
  std::int64_t v[kHead];
  for (std::int64_t& x : v) {
    if ((*it).type() != Type::integer) return h;
    x = (*it).integer();
    ++it;
  }
  if (v[0] < ok || v[0] > stopped_nothing || (v[0] == ok) != (r.size() == kHead + 4)) return h;
  h.status = static_cast<int>(v[0]);
  h.counts = {u32(v[1]), u32(v[2]), u32(v[3])};
  h.created = v[4];
  h.dropped = v[5];
  h.due = v[6];
  return h;
}

// The announce's fixed fields in one argument, as the script's
// struct.unpack('>BBBBBBBI4I4I4I4I4') reads them: Redis makes every
// argument a string object and a Lua string, and the script would turn
// each number back with tonumber, so eleven small arguments cost it more
// than one packed one (measured: bench/redis_cost, docs/benchmarks.md).
constexpr std::size_t kFields = 7 + 5 * 4;
struct Fields {
  std::uint8_t bytes[kFields];
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes), kFields}; }
};

Fields announce_fields(const Announce& a, bool create, const Limits& limits, std::int64_t grace) {
  Fields f{};
  std::uint8_t* p = f.bytes;
  for (bool b : {a.seeder, a.may_grow, create, a.want_v4, a.want_v6, a.want_peer_ids}) *p++ = b;
  *p++ = static_cast<std::uint8_t>(a.event);
  const std::int64_t ttl = limits.peer_ttl;
  for (std::int64_t v : {std::int64_t{a.numwant}, ttl, std::int64_t{limits.max_peers_per_torrent},
                         ttl + grace, static_cast<std::int64_t>(a.random & 0x7fffffff)}) {
    codec::be::store32(p, u32(v));
    p += 4;
  }
  return f;
}

}  // namespace

RedisPeerStore::RedisPeerStore(std::shared_ptr<RedisLink> link, RedisOptions options, Limits limits)
    : link_(std::move(link)), options_(std::move(options)), limits_(limits) {
  swept_torrents_ = static_cast<std::int64_t>(stats().torrents);
}

void RedisPeerStore::account(std::uint16_t slot, std::int64_t created, std::int64_t dropped,
                             std::int64_t due) {
  torrents_since_ += created - dropped;
  due_.note(slot, due);
}

bool RedisPeerStore::may_create(std::size_t creations) const {
  return swept_torrents_.load() + torrents_since_.load() + static_cast<std::int64_t>(creations) <=
         static_cast<std::int64_t>(limits_.max_torrents);
}

void RedisPeerStore::add_announce(Batch& b, const Announce& a, bool create) const {
  std::string& key = scratch().key;
  const std::string_view ns = options_.name_space;
  const Hex h(a.info_hash.bytes);
  const std::uint16_t slot = h.slot();
  b.script(slot, announce_script());
  b.arg(std::int64_t{3});
  b.arg(key_name(key, ns, "s", h.view()));
  b.arg(key_name(key, ns, "x", slot_tag(slot)));
  b.arg(key_name(key, ns, "c", slot_tag(slot)));
  b.arg(ns);
  b.arg(h.view());
  std::uint8_t endpoint[18];
  a.endpoint.write_compact(endpoint);
  b.arg(std::string_view(reinterpret_cast<const char*>(endpoint), a.endpoint.compact_size()));
  b.arg(a.peer_id.view());
  b.arg(static_cast<std::int64_t>(a.now) + options_.clock_offset);
  b.arg(announce_fields(a, create, limits_, options_.grace).view());
}

int RedisPeerStore::read_announce(const Replies& replies, std::size_t i, bool want_ids,
                                  core::PeerList& out, AnnounceResult& result) {
  result.begin = result.end = out.mark();
  const Head h = read_head(replies, i);
  if (h.status == ok && !append_peers(replies.at(i), kHead, want_ids, out)) {
    fail();
    result.counts = StoreError::busy;
    return failed;
  }
  result.end = out.mark();
  switch (h.status) {
    case failed:
      fail();
      result.counts = StoreError::busy;
      return failed;
    case refused:
    case may_not_create:
      result.counts = StoreError::torrent_limit;
      return h.status;
    case stopped_nothing:
      result.counts = SwarmCounts{};
      return h.status;
    default:
      result.counts = h.counts;
      return ok;
  }
}

core::Result<SwarmCounts, StoreError> RedisPeerStore::announce(const Announce& a,
                                                               core::PeerList& out) {
  AnnounceResult result;
  announce_batch(std::span(&a, 1), out, std::span(&result, 1));
  return result.counts;
}

void RedisPeerStore::announce_batch(std::span<const Announce> batch, core::PeerList& out,
                                    std::span<AnnounceResult> results) {
  assert(results.size() == batch.size());
  out.clear();
  if (batch.empty()) return;
  Scratch& s = scratch();
  // Far from the cap (the usual case), every announce may create its
  // swarm; near it, none may, and those that needed to are done again one
  // by one below, each against the cap as it then stands.
  const bool room = may_create(batch.size());
  s.batch.clear();
  for (const Announce& a : batch) add_announce(s.batch, a, room);
  link_->exec(s.batch, s.replies);
  bool redo = false;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Head h = read_head(s.replies, i);
    account(s.batch.call(i).slot, h.created, h.dropped, h.due);
    redo |= h.status == may_not_create;
  }
  if (redo) return redo_new_swarms(batch, out, results);
  for (std::size_t i = 0; i < batch.size(); ++i)
    read_announce(s.replies, i, batch[i].want_peer_ids, out, results[i]);
}

// The first announce that may not create its swarm, and every later one of
// the same swarm that found it missing too, had no effect: they run again
// in order, one by one, each allowed to create the swarm if the cap has
// room then. The others keep their replies from the batch.
void RedisPeerStore::redo_new_swarms(std::span<const Announce> batch, core::PeerList& out,
                                     std::span<AnnounceResult> results) {
  Scratch& s = scratch();
  const Replies first = s.replies;  // the batch's replies, kept while the redos use the scratch
  std::set<core::InfoHash> missing;
  std::map<std::size_t, Replies> again;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const int status = read_head(first, i).status;
    if (status == may_not_create) missing.insert(batch[i].info_hash);
    const bool redo = missing.count(batch[i].info_hash) > 0 &&
                      (status == refused || status == may_not_create || status == stopped_nothing);
    if (!redo) continue;
    s.batch.clear();
    add_announce(s.batch, batch[i], may_create(1));
    link_->exec(s.batch, again[i]);
    const Head h = read_head(again[i], 0);
    account(s.batch.call(0).slot, h.created, h.dropped, h.due);
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto it = again.find(i);
    if (it == again.end())
      read_announce(first, i, batch[i].want_peer_ids, out, results[i]);
    else
      read_announce(it->second, 0, batch[i].want_peer_ids, out, results[i]);
  }
}

Counted RedisPeerStore::lookup(const Lookup& l, core::PeerList& out) const {
  out.clear();
  Scratch& s = scratch();
  const Hex h(l.info_hash.bytes);
  s.batch.clear();
  s.batch.script(h.slot(), peer_lookup_script());
  s.batch.arg(std::int64_t{5});
  for (std::string_view kind : {"s", "4", "6", "p4", "p6"})
    s.batch.arg(key_name(s.key, options_.name_space, kind, h.view()));
  s.batch.arg(options_.name_space);
  s.batch.arg(std::int64_t{l.numwant});
  s.batch.arg(std::int64_t{l.want_v4 ? 1 : 0});
  s.batch.arg(std::int64_t{l.want_v6 ? 1 : 0});
  s.batch.arg(std::int64_t{l.want_peer_ids ? 1 : 0});
  s.batch.arg(static_cast<std::int64_t>(l.random & 0x7fffffff));  // exact in Lua's doubles
  link_->exec(s.batch, s.replies);
  const auto failure = [&]() -> Counted {
    fail();
    out.clear();
    return StoreError::busy;
  };
  if (!s.replies.answered(0)) return failure();
  const Reply r = s.replies.at(0);
  if (r.type() != Type::array || (r.size() != 3 && r.size() != 7)) return failure();
  for (std::uint32_t k = 0; k < 3; ++k)
    if (r.at(k).type() != Type::integer) return failure();
  if (r.size() == 7 && !append_peers(r, 3, l.want_peer_ids, out)) return failure();
  return SwarmCounts{u32(r.at(0).integer()), u32(r.at(1).integer()), u32(r.at(2).integer())};
}

Counted RedisPeerStore::scrape(const core::InfoHash& info_hash) const {
  Counted counts;
  scrape_batch(std::span(&info_hash, 1), std::span(&counts, 1));
  return counts;
}

void RedisPeerStore::scrape_batch(std::span<const core::InfoHash> info_hashes,
                                  std::span<Counted> counts) const {
  assert(counts.size() == info_hashes.size());
  if (info_hashes.empty()) return;
  Scratch& s = scratch();
  s.batch.clear();
  for (const core::InfoHash& ih : info_hashes) {
    const Hex h(ih.bytes);
    s.batch.script(h.slot(), scrape_script());
    s.batch.arg(std::int64_t{1});
    s.batch.arg(key_name(s.key, options_.name_space, "s", h.view()));
  }
  link_->exec(s.batch, s.replies);
  for (std::size_t i = 0; i < info_hashes.size(); ++i) {
    counts[i] = StoreError::busy;
    if (!s.replies.answered(i)) {
      fail();
      continue;
    }
    const Reply r = s.replies.at(i);
    if (r.type() != Type::array || r.size() != 3) {
      fail();
      continue;
    }
    const std::int64_t seeders = r.at(0).integer(), peers = r.at(1).integer();
    counts[i] = SwarmCounts{u32(seeders), u32(peers - seeders), u32(r.at(2).integer())};
  }
}

std::uint64_t RedisPeerStore::expire(core::Seconds now) {
  Scratch& s = scratch();
  const std::string_view ns = options_.name_space;
  const std::int64_t at = static_cast<std::int64_t>(now) + options_.clock_offset;
  const bool full = due_.scan_due(at, options_.full_scan_every);
  SlotScan scan;
  if (full) {
    scan = scan_slots(*link_, s.batch, s.replies, s.key, ns, "x", "c", "torrents", at, due_);
    due_.scanned(at);
  } else {
    scan.due = due_.take(at);
  }
  std::uint64_t removed = 0;
  std::int64_t dropped = 0;
  bool complete = scan.complete;
  const auto add = [&](Batch& b, std::uint16_t slot) {
    b.script(slot, sweep_script());
    b.arg(std::int64_t{2});
    b.arg(key_name(s.key, ns, "x", slot_tag(slot)));
    b.arg(key_name(s.key, ns, "c", slot_tag(slot)));
    b.arg(ns);
    b.arg(at);
    b.arg(std::int64_t{limits_.peer_ttl});
    b.arg(kSweepSwarms);
    b.arg(kSweepPeers);
  };
  const auto read = [&](std::uint16_t slot, const Reply* r) {
    if (r == nullptr || r->type() != Type::array || r->size() != 5) {
      fail();
      complete = false;
      due_.note(slot, 0);  // try again next time
      return false;
    }
    auto it = r->begin();
    removed += static_cast<std::uint64_t>(std::max<std::int64_t>(0, (*it).integer()));
    dropped += (*++it).integer();
    if (full)
      scan.held[slot] = (*++it).integer();
    else
      ++it;
    const bool more = (*++it).integer() != 0;
    if (!more) due_.note(slot, (*++it).integer());
    return more;
  };
  complete = sweep_slots(*link_, s.batch, s.replies, scan.due, add, read) && complete;
  // The count every node's cap is checked against, after a full scan as
  // exact as a look at many slots while others announce can make it.
  if (full && complete) {
    std::int64_t total = 0;
    for (std::int64_t t : scan.held) total += t;
    swept_torrents_ = total;
    torrents_since_ = 0;
  } else {
    torrents_since_ -= dropped;
  }
  return removed;
}

StoreStats RedisPeerStore::stats() const {
  Scratch& s = scratch();
  s.batch.clear();
  for (std::uint16_t slot = 0; slot < kSlots; ++slot) {
    s.batch.command(slot);
    s.batch.arg("HMGET");
    s.batch.arg(key_name(s.key, options_.name_space, "c", slot_tag(slot)));
    for (std::string_view field : {"torrents", "v4", "v6", "seeders"}) s.batch.arg(field);
  }
  link_->exec(s.batch, s.replies);
  StoreStats st;
  std::uint64_t* fields[] = {&st.torrents, &st.peers_v4, &st.peers_v6, &st.seeders};
  for (std::size_t i = 0; i < s.replies.size(); ++i) {
    if (!s.replies.answered(i) || s.replies.at(i).type() != Type::array) {
      fail();
      continue;
    }
    std::size_t f = 0;
    for (Reply v : s.replies.at(i)) {
      std::int64_t n = 0;
      if (v.is_text()) {
        const std::string_view t = v.text();
        std::from_chars(t.data(), t.data() + t.size(), n);
      }
      if (f < 4 && n > 0) *fields[f] += static_cast<std::uint64_t>(n);
      ++f;
    }
  }
  return st;
}

// The store's own index of swarms per slot is exact (the announce script
// adds to it, the sweep removes from it), where a SCAN of every master
// would also need the node list, which only the link knows, and may return
// a key twice. A swarm whose keys went by their TTL is still indexed until
// a sweep notices; its scrape finds no peer and it is left out.
void RedisPeerStore::list_swarms(const SwarmPage& visit) const {
  constexpr std::uint16_t kSlotsPerExchange = 1024;
  std::vector<core::InfoHash> hashes;
  std::vector<Counted> counts;
  std::vector<SwarmEntry> page;
  for (std::uint32_t first = 0; first < kSlots; first += kSlotsPerExchange) {
    Scratch& s = scratch();
    s.batch.clear();
    const std::uint32_t end = std::min<std::uint32_t>(first + kSlotsPerExchange, kSlots);
    for (std::uint32_t slot = first; slot < end; ++slot) {
      const auto tag = slot_tag(static_cast<std::uint16_t>(slot));
      s.batch.command(static_cast<std::uint16_t>(slot));
      s.batch.arg("ZRANGE");
      s.batch.arg(key_name(s.key, options_.name_space, "x", tag));
      s.batch.arg(std::int64_t{0});
      s.batch.arg(std::int64_t{-1});
    }
    link_->exec(s.batch, s.replies);
    hashes.clear();
    for (std::size_t i = 0; i < s.replies.size(); ++i) {
      if (!s.replies.answered(i) || s.replies.at(i).type() != Type::array) {
        fail();
        continue;
      }
      for (Reply member : s.replies.at(i))
        if (auto h = member.is_text() ? core::InfoHash::from_hex(member.text()) : std::nullopt)
          hashes.push_back(*h);
    }
    // scrape_batch reuses the scratch: the replies above are read by now.
    counts.assign(hashes.size(), Counted{SwarmCounts{}});
    scrape_batch(hashes, counts);
    page.clear();
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      if (!counts[i]) continue;  // busy: the listing is a best effort, left out
      const SwarmCounts& c = *counts[i];
      if (c.seeders + c.leechers > 0) page.push_back({hashes[i], c});
    }
    if (!page.empty()) visit(page);
  }
}

}  // namespace cairn::store::redis
