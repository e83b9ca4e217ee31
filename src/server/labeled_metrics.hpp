#pragma once
// The labeled metrics, beside the flat rows of metrics.cpp and read from
// the same worker blocks (docs/architecture.md, "Metrics"): requests by
// protocol, kind and address family; errors by fixed reason; drops and
// rate-limited requests; bytes; latency and peers-per-torrent histograms;
// the memory cap and the snapshots. Every label value comes from a fixed
// table here or in tracker/request_counters.hpp: bounded cardinality.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "net/worker.hpp"
#include "server/swarm_census.hpp"
#include "store/peer_store.hpp"
#include "tracker/memory_guard.hpp"
#include "tracker/metrics.hpp"

namespace cairn::server {

// The state file's saves, written by the thread that saves.
struct SnapshotStats {
  std::atomic<std::uint64_t> saved{0}, failed{0};
  std::atomic<std::uint64_t> last_duration_us{0}, last_bytes{0};
};

struct LabeledSources {
  const std::vector<std::unique_ptr<net::Worker>>& workers;
  const store::PeerStore& peers;
  const tracker::MemoryGuard& memory_guard;
  std::uint64_t memory_cap_bytes;  // 0: no cap
  const SnapshotStats& snapshots;
  const SwarmCensus& census;
};

// Everything in `from` must outlive `registry`.
void register_labeled_metrics(tracker::MetricsRegistry& registry, const LabeledSources& from);

}  // namespace cairn::server
