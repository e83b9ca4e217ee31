#include "store/peer_store.hpp"

#include <cassert>
#include <cstring>

namespace cairn::store {

core::Result<SwarmCounts, StoreError> PeerStore::announce(const Announce& a,
                                                          std::vector<PeerInfo>& out) {
  core::PeerList peers;
  auto counts = announce(a, peers);
  out = peers.view().decode();
  return counts;
}

Counted PeerStore::lookup(const Lookup& l, std::vector<PeerInfo>& out) const {
  Lookup with_ids = l;
  with_ids.want_peer_ids = true;
  core::PeerList peers;
  const Counted counts = lookup(with_ids, peers);
  out = peers.view().decode();
  return counts;
}

namespace {

// Appends a copy of `from` to `to`: the bytes as they are, per family.
void append(const core::CompactPeers& from, core::PeerList& to) {
  for (core::Family f : {core::Family::v4, core::Family::v6}) {
    const auto entries = from.compact(f);
    const auto ids = from.ids[core::family_index(f)];
    const auto room = to.append(f, from.count(f), !ids.empty());
    if (!entries.empty()) std::memcpy(room.entries, entries.data(), entries.size());
    if (!ids.empty()) std::memcpy(room.ids, ids.data(), ids.size());
  }
}

}  // namespace

// The defaults of a backend with nothing to gain from batching: one call
// after another, each announce's peers copied on after the previous ones.
void PeerStore::announce_batch(std::span<const Announce> batch, core::PeerList& out,
                               std::span<AnnounceResult> results) {
  assert(results.size() == batch.size());
  out.clear();
  core::PeerList one;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    results[i].counts = announce(batch[i], one);
    results[i].begin = out.mark();
    append(one.view(), out);
    results[i].end = out.mark();
  }
}

void PeerStore::prefetch(std::span<const core::InfoHash> /*info_hashes*/) const {}

void PeerStore::scrape_batch(std::span<const core::InfoHash> info_hashes,
                             std::span<Counted> counts) const {
  assert(counts.size() == info_hashes.size());
  for (std::size_t i = 0; i < info_hashes.size(); ++i) counts[i] = scrape(info_hashes[i]);
}

}  // namespace cairn::store
