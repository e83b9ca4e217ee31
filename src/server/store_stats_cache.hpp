#pragma once
// The peer store's totals for the metrics gauges. One /metrics page reads
// four gauges of them (torrents, peers, seeders, leechers); a remote
// store's stats() is one pipelined read of 16,384 per-slot hashes, so the
// gauges share one read for a second instead of making four each page. A
// memory store's stats() is cheap and read afresh every time.
#include <chrono>
#include <mutex>

#include "store/peer_store.hpp"

namespace cairn::server {

class StoreStatsCache {
 public:
  explicit StoreStatsCache(const store::PeerStore& peers)
      : peers_(peers),
        max_age_(peers.remote_counters() ? std::chrono::seconds(1) : std::chrono::seconds(0)) {}

  // The totals, read now if the last read is older than the max age. Any thread.
  store::StoreStats get() const {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (!read_ || now - read_at_ >= max_age_) {
      last_ = peers_.stats();
      read_at_ = now;
      read_ = true;
    }
    return last_;
  }

 private:
  const store::PeerStore& peers_;
  const std::chrono::steady_clock::duration max_age_;
  mutable std::mutex mutex_;
  mutable store::StoreStats last_;
  mutable std::chrono::steady_clock::time_point read_at_;
  mutable bool read_ = false;
};

}  // namespace cairn::server
