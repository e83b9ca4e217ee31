#include "store/peer_store.hpp"

#include <cassert>

namespace cairn::store {

// The defaults of a backend with nothing to gain from batching: one call
// after another, each announce's peers copied on after the previous ones.
void PeerStore::announce_batch(std::span<const Announce> batch, std::vector<PeerInfo>& out,
                               std::span<AnnounceResult> results) {
  assert(results.size() == batch.size());
  out.clear();
  std::vector<PeerInfo> one;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    results[i].counts = announce(batch[i], one);
    results[i].first_peer = static_cast<std::uint32_t>(out.size());
    results[i].peer_count = static_cast<std::uint32_t>(one.size());
    out.insert(out.end(), one.begin(), one.end());
  }
}

void PeerStore::scrape_batch(std::span<const core::InfoHash> info_hashes,
                             std::span<SwarmCounts> counts) const {
  assert(counts.size() == info_hashes.size());
  for (std::size_t i = 0; i < info_hashes.size(); ++i) counts[i] = scrape(info_hashes[i]);
}

}  // namespace cairn::store
