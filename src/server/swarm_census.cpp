#include "server/swarm_census.hpp"

#include <algorithm>

namespace cairn::server {

namespace {

std::uint64_t peers_of(const store::SwarmCounts& c) {
  return std::uint64_t{c.seeders} + c.leechers;
}

}  // namespace

std::shared_ptr<const SwarmCensus::Result> SwarmCensus::get() const {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (!last_ || now - taken_at_ >= max_age_) {
    last_ = std::make_shared<const Result>(take());
    taken_at_ = now;
  }
  return last_;
}

SwarmCensus::Result SwarmCensus::take() const {
  Result r;
  // A min-heap of the kTop busiest so far: a census costs O(torrents log kTop).
  using Entry = std::pair<core::InfoHash, store::SwarmCounts>;
  const auto busier = [](const Entry& a, const Entry& b) {
    return peers_of(a.second) > peers_of(b.second);
  };
  store_.list_swarms([&](std::span<const store::SwarmEntry> page) {
    for (const auto& [hash, counts] : page) {
      const std::uint64_t peers = peers_of(counts);
      std::size_t i = 0;
      while (i < kBounds.size() && peers > kBounds[i]) ++i;
      ++r.buckets[i];
      r.peers += peers;
      if (r.top.size() < kTop) {
        r.top.emplace_back(hash, counts);
        std::push_heap(r.top.begin(), r.top.end(), busier);
      } else if (peers > peers_of(r.top.front().second)) {
        std::pop_heap(r.top.begin(), r.top.end(), busier);
        r.top.back() = {hash, counts};
        std::push_heap(r.top.begin(), r.top.end(), busier);
      }
    }
  });
  std::sort_heap(r.top.begin(), r.top.end(), busier);
  return r;
}

}  // namespace cairn::server
