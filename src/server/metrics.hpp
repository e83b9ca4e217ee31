#pragma once
// The registration point of metrics: every worker's counter blocks
// (tracker/counters.hpp) and the stores' numbers go into the server's
// MetricsRegistry here. A new block is one add_blocks line in metrics.cpp.
#include <memory>
#include <vector>

#include "net/worker.hpp"
#include "store/peer_store.hpp"
#include "store/record_store.hpp"
#include "tracker/metrics.hpp"

namespace cairn::server {

// Everything must outlive `registry`.
void register_metrics(tracker::MetricsRegistry& registry,
                      const std::vector<std::unique_ptr<net::Worker>>& workers,
                      const store::PeerStore& peers, const store::RecordStore& records);

}  // namespace cairn::server
