#include "server/labeled_metrics.hpp"

#include <functional>
#include <string>

#include "server/process_memory.hpp"
#include "server/store_stats_cache.hpp"
#include "tracker/request_counters.hpp"

namespace cairn::server {

namespace {

using Kind = tracker::MetricRow::Kind;
using tracker::Counter;
using tracker::WorkerCounters;
using Workers = std::vector<std::unique_ptr<net::Worker>>;
using Field = std::function<const Counter&(const WorkerCounters&)>;

// The sum over the workers of one counter of their blocks.
std::function<std::uint64_t()> summed(const Workers& workers, Field field) {
  return [&workers, field = std::move(field)] {
    std::uint64_t sum = 0;
    for (const auto& w : workers) sum += field(w->counters()).load(std::memory_order_relaxed);
    return sum;
  };
}

void requests(tracker::MetricsRegistry& r, const Workers& workers) {
  for (std::size_t type = 0; type < tracker::kRequestTypes; ++type) {
    const auto& labels = tracker::kRequestLabels[type];
    for (std::size_t family = 0; family < 2; ++family) {
      r.add_labeled("requests",
                    {{"protocol", labels.protocol},
                     {"kind", labels.kind},
                     {"family", family == 0 ? "ipv4" : "ipv6"}},
                    "requests by protocol, kind and the client's address family", Kind::counter,
                    summed(workers, [type, family](const WorkerCounters& c) -> const Counter& {
                      return c.requests.by_type[type][family];
                    }));
    }
  }
}

struct Reason {
  const char* protocol;
  const char* reason;
  const Counter& (*field)(const WorkerCounters&);
};

// Requests answered with an error, or not at all, for a reason of a fixed list.
constexpr Reason kErrors[] = {
    {"udp", "malformed", [](const WorkerCounters& c) -> const Counter& { return c.udp.malformed; }},
    {"udp", "bad_connection_id",
     [](const WorkerCounters& c) -> const Counter& { return c.udp.bad_connection_id; }},
    {"http", "bad_request",
     [](const WorkerCounters& c) -> const Counter& { return c.http.bad_requests; }},
    {"http", "bad_forwarded",
     [](const WorkerCounters& c) -> const Counter& { return c.http.bad_forwarded; }},
    {"http", "timeout", [](const WorkerCounters& c) -> const Counter& { return c.http.timeouts; }},
    {"http", "tls_failure",
     [](const WorkerCounters& c) -> const Counter& { return c.http.tls_failures; }},
    {"any", "tracker_full",
     [](const WorkerCounters& c) -> const Counter& { return c.tracker.full; }},
    {"any", "torrent_not_allowed",
     [](const WorkerCounters& c) -> const Counter& { return c.tracker.torrents_refused; }},
    {"any", "store_busy", [](const WorkerCounters& c) -> const Counter& { return c.tracker.busy; }},
    {"rendezvous", "refused",
     [](const WorkerCounters& c) -> const Counter& { return c.rendezvous.refused; }},
    {"ws", "refused", [](const WorkerCounters& c) -> const Counter& { return c.ws.refused; }},
    {"ws", "protocol_error",
     [](const WorkerCounters& c) -> const Counter& { return c.ws.protocol_errors; }},
    {"stun", "malformed",
     [](const WorkerCounters& c) -> const Counter& { return c.stun.malformed; }},
    {"punch", "refused", [](const WorkerCounters& c) -> const Counter& { return c.punch.refused; }},
};

// What was dropped: datagrams and replies never sent, connections closed at once.
constexpr Reason kDrops[] = {
    {"udp", "send_buffer_full",
     [](const WorkerCounters& c) -> const Counter& { return c.udp.send_dropped; }},
    {"udp", "rate_limited",
     [](const WorkerCounters& c) -> const Counter& { return c.udp.rate_limited; }},
    {"http", "max_connections",
     [](const WorkerCounters& c) -> const Counter& { return c.http.connections_refused; }},
    {"http", "max_connections_per_address",
     [](const WorkerCounters& c) -> const Counter& { return c.http.refused_per_address; }},
    {"ws", "delivery_dropped",
     [](const WorkerCounters& c) -> const Counter& { return c.connections.deliveries_dropped; }},
    {"ws", "slow_reader",
     [](const WorkerCounters& c) -> const Counter& { return c.connections.slow_readers; }},
    {"punch", "relay_over_rate",
     [](const WorkerCounters& c) -> const Counter& { return c.punch.relay_dropped; }},
};

constexpr Reason kRateLimited[] = {
    {"udp", "", [](const WorkerCounters& c) -> const Counter& { return c.udp.rate_limited; }},
    {"http", "", [](const WorkerCounters& c) -> const Counter& { return c.http.rate_limited; }},
    {"ws", "", [](const WorkerCounters& c) -> const Counter& { return c.ws.rate_limited; }},
};

void reasons(tracker::MetricsRegistry& r, const Workers& workers) {
  for (const Reason& e : kErrors)
    r.add_labeled("errors", {{"protocol", e.protocol}, {"reason", e.reason}},
                  "requests refused or left unanswered, by fixed reason", Kind::counter,
                  summed(workers, e.field));
  for (const Reason& d : kDrops)
    r.add_labeled("dropped", {{"protocol", d.protocol}, {"reason", d.reason}},
                  "datagrams, messages and connections dropped, by fixed reason", Kind::counter,
                  summed(workers, d.field));
  for (const Reason& l : kRateLimited)
    r.add_labeled("rate_limited", {{"protocol", l.protocol}},
                  "requests refused or dropped over the per-address rate limit", Kind::counter,
                  summed(workers, l.field));
  r.add_labeled("connection_id_failures", {{"protocol", "udp"}},
                "BEP 15 and rendezvous requests with a connection id not issued to their address "
                "in its last two slots",
                Kind::counter, summed(workers, [](const WorkerCounters& c) -> const Counter& {
                  return c.udp.bad_connection_id;
                }));
}

void traffic(tracker::MetricsRegistry& r, const Workers& workers) {
  const auto bytes = [&](const char* transport, const char* direction, Field field) {
    r.add_labeled("bytes", {{"transport", transport}, {"direction", direction}},
                  "bytes read and written: UDP payloads, HTTP plaintext (not a taken-over "
                  "connection's)",
                  Kind::counter, summed(workers, std::move(field)));
  };
  bytes("udp", "in", [](const WorkerCounters& c) -> const Counter& { return c.traffic.udp_in; });
  bytes("udp", "out", [](const WorkerCounters& c) -> const Counter& { return c.traffic.udp_out; });
  bytes("tcp", "in", [](const WorkerCounters& c) -> const Counter& { return c.traffic.tcp_in; });
  bytes("tcp", "out", [](const WorkerCounters& c) -> const Counter& { return c.traffic.tcp_out; });
}

void latency(tracker::MetricsRegistry& r, const Workers& workers) {
  using Latency = tracker::LatencyCounters;
  std::vector<double> bounds;
  for (std::uint32_t us : Latency::kBoundsUs) bounds.push_back(us / 1e6);
  const auto histogram = [&](const char* transport, const Latency::Histogram Latency::*member) {
    r.add_histogram("request_duration_seconds", {{"transport", transport}},
                    "time from reading requests to writing their replies (per UDP batch, per "
                    "HTTP read)",
                    bounds, [&workers, member](tracker::MetricRow& row) {
                      std::uint64_t sum_us = 0;
                      for (const auto& w : workers) {
                        const auto& h = w->counters().latency.*member;
                        for (std::size_t i = 0; i < h.buckets.size(); ++i)
                          row.buckets[i] += h.buckets[i].load(std::memory_order_relaxed);
                        sum_us += h.sum_us.load(std::memory_order_relaxed);
                      }
                      row.sum = static_cast<double>(sum_us) / 1e6;
                    });
  };
  histogram("udp", &Latency::udp);
  histogram("http", &Latency::http);
}

void swarms(tracker::MetricsRegistry& r, const store::PeerStore& peers, const SwarmCensus& census) {
  auto totals = std::make_shared<const StoreStatsCache>(peers);
  r.add_gauge("store_leechers", "peers that still download", [totals] {
    const auto s = totals->get();
    return s.peers_v4 + s.peers_v6 - s.seeders;
  });
  std::vector<double> bounds(SwarmCensus::kBounds.begin(), SwarmCensus::kBounds.end());
  r.add_histogram("peers_per_torrent", {},
                  "torrents by their number of peers (a census of the store: at most once a "
                  "second for the memory store, every 5 minutes for a remote one)",
                  std::move(bounds), [&census](tracker::MetricRow& row) {
                    const auto c = census.get();
                    for (std::size_t i = 0; i < c->buckets.size(); ++i)
                      row.buckets[i] = c->buckets[i];
                    row.sum = static_cast<double>(c->peers);
                  });
}

void process(tracker::MetricsRegistry& r, const LabeledSources& from) {
  r.add_gauge("memory_resident_bytes", "resident memory of the process",
              [] { return resident_bytes(); });
  r.add_gauge("memory_cap_bytes", "server.max_resident_mb in bytes; 0: no cap",
              [cap = from.memory_cap_bytes] { return cap; });
  r.add_gauge("memory_cap_full", "1 while the memory cap refuses new torrents and peers",
              [&guard = from.memory_guard] { return std::uint64_t{guard.full()}; });
  const SnapshotStats& s = from.snapshots;
  r.add_labeled("snapshots", {{"outcome", "saved"}}, "state file saves", Kind::counter,
                [&s] { return s.saved.load(); });
  r.add_labeled("snapshots", {{"outcome", "failed"}}, "state file saves", Kind::counter,
                [&s] { return s.failed.load(); });
  r.add_labeled(
      "snapshot_duration_seconds", {}, "how long the last state file save took", Kind::gauge,
      [&s] { return s.last_duration_us.load(); }, 1e6);
  r.add_gauge("snapshot_bytes", "size of the last state file saved",
              [&s] { return s.last_bytes.load(); });
}

}  // namespace

void register_labeled_metrics(tracker::MetricsRegistry& registry, const LabeledSources& from) {
  requests(registry, from.workers);
  reasons(registry, from.workers);
  traffic(registry, from.workers);
  latency(registry, from.workers);
  swarms(registry, from.peers, from.census);
  process(registry, from);
}

}  // namespace cairn::server
