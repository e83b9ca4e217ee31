#pragma once
// The census of the swarms: how many torrents have how many peers (the
// peers-per-torrent histogram) and the busiest torrents (/stats.json's
// top). Reading every swarm is not for the I/O threads nor for every
// request: the admin listener's thread takes a census when asked, at most
// once per `max_age`, and hands out the last one in between.
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "store/peer_store.hpp"

namespace cairn::server {

class SwarmCensus {
 public:
  // Upper bounds of the histogram's buckets, in peers; the last is +Inf.
  static constexpr std::array<std::uint32_t, 11> kBounds = {1,   2,   5,   10,   20,   50,
                                                            100, 200, 500, 1000, 10000};
  // The most torrents a census keeps for the top list.
  static constexpr std::size_t kTop = 100;

  struct Result {
    std::array<std::uint64_t, kBounds.size() + 1> buckets{};  // torrents per bucket
    std::uint64_t peers = 0;                                  // the histogram's sum
    // Most peers first, at most kTop.
    std::vector<std::pair<core::InfoHash, store::SwarmCounts>> top;
  };

  SwarmCensus(const store::PeerStore& store, std::chrono::milliseconds max_age)
      : store_(store), max_age_(max_age) {}

  // The last census, taken now if it is older than max_age. Any thread.
  std::shared_ptr<const Result> get() const;

 private:
  Result take() const;

  const store::PeerStore& store_;
  const std::chrono::milliseconds max_age_;
  mutable std::mutex mutex_;
  mutable std::shared_ptr<const Result> last_;
  mutable std::chrono::steady_clock::time_point taken_at_;
};

}  // namespace cairn::server
