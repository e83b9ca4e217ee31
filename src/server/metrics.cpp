#include "server/metrics.hpp"

#include <memory>

#include "server/store_stats_cache.hpp"
#include "store/remote_counters.hpp"

namespace cairn::server {

namespace {

// The block `member` of every worker, for MetricsRegistry::add_blocks.
template <typename Block>
std::vector<const Block*> of_each(const std::vector<std::unique_ptr<net::Worker>>& workers,
                                  Block tracker::WorkerCounters::*member) {
  std::vector<const Block*> blocks;
  for (const auto& w : workers) blocks.push_back(&(w->counters().*member));
  return blocks;
}

}  // namespace

void register_metrics(tracker::MetricsRegistry& registry,
                      const std::vector<std::unique_ptr<net::Worker>>& workers,
                      const store::PeerStore& peers, const store::RecordStore& records,
                      const tracker::SignalingSwarms& signaling) {
  using tracker::WorkerCounters;
  registry.add_blocks("udp", of_each(workers, &WorkerCounters::udp));
  registry.add_blocks("http", of_each(workers, &WorkerCounters::http));
  registry.add_blocks("rendezvous", of_each(workers, &WorkerCounters::rendezvous));
  registry.add_blocks("tracker", of_each(workers, &WorkerCounters::tracker));
  registry.add_blocks("connections", of_each(workers, &WorkerCounters::connections));
  registry.add_blocks("ws", of_each(workers, &WorkerCounters::ws));
  registry.add_blocks("dht", of_each(workers, &WorkerCounters::dht));
  registry.add_blocks("stun", of_each(workers, &WorkerCounters::stun));
  registry.add_blocks("punch", of_each(workers, &WorkerCounters::punch));
  registry.add_blocks("private", of_each(workers, &WorkerCounters::private_mode));
  // A remote store's client (the Redis cluster's): one block, shared.
  if (const store::RemoteCounters* remote = peers.remote_counters())
    registry.add_blocks("redis", std::vector{remote});

  // The stores' own numbers: shared by the workers, read when asked (a
  // remote store's once for the three gauges: store_stats_cache.hpp).
  auto totals = std::make_shared<const StoreStatsCache>(peers);
  registry.add_gauge("store_torrents", "torrents with at least one peer",
                     [totals] { return totals->get().torrents; });
  registry.add_gauge("store_peers", "peers, IPv4 and IPv6", [totals] {
    const auto s = totals->get();
    return s.peers_v4 + s.peers_v6;
  });
  registry.add_gauge("store_seeders", "peers that have the whole torrent",
                     [totals] { return totals->get().seeders; });
  registry.add_gauge("store_topics", "rendezvous topics with at least one record",
                     [&records] { return records.stats().topics; });
  registry.add_gauge("store_records", "rendezvous records",
                     [&records] { return records.stats().records; });
  // The WebSocket tracker's peers, kept beside the store (tracker/signaling.hpp).
  registry.add_gauge("ws_torrents", "torrents with at least one WebSocket peer",
                     [&signaling] { return signaling.stats().torrents; });
  registry.add_gauge("ws_peers", "WebSocket peers",
                     [&signaling] { return signaling.stats().peers; });
  registry.add_gauge("ws_offers_pending", "WebRTC offers relayed and not yet answered or expired",
                     [&signaling] { return signaling.stats().offers_pending; });
}

}  // namespace cairn::server
