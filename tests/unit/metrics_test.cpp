// The metrics registry: sums each block over the workers, keeps names
// unique, formats Prometheus text.
#include "tracker/metrics.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "tracker/counters.hpp"

namespace cairn::tracker {
namespace {

std::uint64_t value_of(const MetricsRegistry& r, const std::string& name) {
  for (const auto& row : r.rows())
    if (row.name == name) return row.value;
  ADD_FAILURE() << "no metric " << name;
  return 0;
}

TEST(MetricsRegistry, SumsABlockOverEveryWorker) {
  WorkerCounters w0, w1;
  bump(w0.udp.announces);
  bump(w1.udp.announces);
  bump(w1.udp.announces);
  bump(w1.http.requests);
  MetricsRegistry r;
  r.add_blocks("udp", std::vector<const UdpCounters*>{&w0.udp, &w1.udp});
  r.add_blocks("http", std::vector<const HttpCounters*>{&w0.http, &w1.http});
  EXPECT_EQ(value_of(r, "udp_announces"), 3u);
  EXPECT_EQ(value_of(r, "http_requests"), 1u);
  EXPECT_EQ(value_of(r, "udp_connects"), 0u);
  bump(w0.udp.announces);  // read again: the values of now
  EXPECT_EQ(value_of(r, "udp_announces"), 4u);
}

TEST(MetricsRegistry, NamesEveryFieldOnceWithItsHelp) {
  WorkerCounters w;
  MetricsRegistry r;
  r.add_blocks("udp", std::vector<const UdpCounters*>{&w.udp});
  r.add_blocks("http", std::vector<const HttpCounters*>{&w.http});
  r.add_blocks("rendezvous", std::vector<const RendezvousCounters*>{&w.rendezvous});
  r.add_blocks("tracker", std::vector<const AdmissionCounters*>{&w.tracker});
  r.add_blocks("connections", std::vector<const ConnectionCounters*>{&w.connections});
  r.add_blocks("ws", std::vector<const WsCounters*>{&w.ws});
  std::set<std::string> names;
  for (const auto& row : r.rows()) {
    EXPECT_TRUE(names.insert(row.name).second) << row.name;
    EXPECT_FALSE(row.help.empty()) << row.name;
  }
  EXPECT_EQ(names.size(), 8u + 13u + 4u + 3u + 4u + 10u);
}

TEST(MetricsRegistry, RefusesANameTwice) {
  WorkerCounters w;
  MetricsRegistry r;
  r.add_blocks("udp", std::vector<const UdpCounters*>{&w.udp});
  EXPECT_THROW(r.add_blocks("udp", std::vector<const UdpCounters*>{&w.udp}), std::logic_error);
  EXPECT_THROW(r.add_gauge("udp_received", "again", [] { return 0u; }), std::logic_error);
}

TEST(MetricsRegistry, ReadsAGaugeWhenRead) {
  std::uint64_t torrents = 5;
  MetricsRegistry r;
  r.add_gauge("store_torrents", "torrents", [&] { return torrents; });
  EXPECT_EQ(value_of(r, "store_torrents"), 5u);
  torrents = 7;
  EXPECT_EQ(value_of(r, "store_torrents"), 7u);
}

TEST(MetricsRegistry, WritesPrometheusText) {
  AdmissionCounters a;
  bump(a.full);
  MetricsRegistry r;
  r.add_blocks("tracker", std::vector<const AdmissionCounters*>{&a});
  r.add_gauge("store_peers", "peers, IPv4 and IPv6", [] { return 12u; });
  std::string out;
  r.write_prometheus(out);
  EXPECT_EQ(out,
            "# HELP cairn_tracker_full_total announces refused as \"tracker is full\"\n"
            "# TYPE cairn_tracker_full_total counter\n"
            "cairn_tracker_full_total 1\n"
            "# HELP cairn_tracker_torrents_refused_total announces and scraped hashes the "
            "access list refused\n"
            "# TYPE cairn_tracker_torrents_refused_total counter\n"
            "cairn_tracker_torrents_refused_total 0\n"
            "# HELP cairn_tracker_busy_total announces, scrapes and look-ups answered \"tracker "
            "busy, retry\": the store could not answer in time\n"
            "# TYPE cairn_tracker_busy_total counter\n"
            "cairn_tracker_busy_total 0\n"
            "# HELP cairn_store_peers peers, IPv4 and IPv6\n"
            "# TYPE cairn_store_peers gauge\n"
            "cairn_store_peers 12\n");
}

TEST(MetricsRegistry, GroupsLabeledRowsUnderOneHelpAndType) {
  MetricsRegistry r;
  using Kind = MetricRow::Kind;
  r.add_labeled("requests", {{"protocol", "udp"}, {"family", "ipv4"}}, "requests", Kind::counter,
                [] { return 3u; });
  r.add_gauge("store_torrents", "torrents", [] { return 2u; });
  // Registered after another name: still written with its own kind.
  r.add_labeled("requests", {{"protocol", "http"}, {"family", "ipv6"}}, "requests", Kind::counter,
                [] { return 4u; });
  std::string out;
  r.write_prometheus(out);
  EXPECT_EQ(out,
            "# HELP cairn_requests_total requests\n"
            "# TYPE cairn_requests_total counter\n"
            "cairn_requests_total{protocol=\"udp\",family=\"ipv4\"} 3\n"
            "cairn_requests_total{protocol=\"http\",family=\"ipv6\"} 4\n"
            "# HELP cairn_store_torrents torrents\n"
            "# TYPE cairn_store_torrents gauge\n"
            "cairn_store_torrents 2\n");
}

TEST(MetricsRegistry, RefusesMixedOrRepeatedLabels) {
  MetricsRegistry r;
  using Kind = MetricRow::Kind;
  r.add_labeled("errors", {{"reason", "a"}}, "errors", Kind::counter, [] { return 0u; });
  EXPECT_THROW(
      r.add_labeled("errors", {{"reason", "a"}}, "errors", Kind::counter, [] { return 0u; }),
      std::logic_error);
  EXPECT_THROW(r.add_labeled("errors", {{"reason", "b"}}, "errors", Kind::gauge, [] { return 0u; }),
               std::logic_error);
  EXPECT_THROW(r.add_labeled("errors", {}, "errors", Kind::counter, [] { return 0u; }),
               std::logic_error);
}

TEST(MetricsRegistry, WritesAHistogramWithCumulativeBuckets) {
  MetricsRegistry r;
  r.add_histogram("request_duration_seconds", {{"transport", "udp"}}, "latency", {0.001, 0.01},
                  [](MetricRow& row) {
                    row.buckets = {5, 2, 1};  // <= 1 ms, <= 10 ms, over
                    row.sum = 0.25;
                  });
  std::string out;
  r.write_prometheus(out);
  EXPECT_EQ(out,
            "# HELP cairn_request_duration_seconds latency\n"
            "# TYPE cairn_request_duration_seconds histogram\n"
            "cairn_request_duration_seconds_bucket{transport=\"udp\",le=\"0.001\"} 5\n"
            "cairn_request_duration_seconds_bucket{transport=\"udp\",le=\"0.01\"} 7\n"
            "cairn_request_duration_seconds_bucket{transport=\"udp\",le=\"+Inf\"} 8\n"
            "cairn_request_duration_seconds_sum{transport=\"udp\"} 0.25\n"
            "cairn_request_duration_seconds_count{transport=\"udp\"} 8\n");
  EXPECT_EQ(r.rows().at(0).value, 8u);
}

TEST(MetricsRegistry, DividesAValueKeptInASmallerUnit) {
  MetricsRegistry r;
  r.add_labeled(
      "snapshot_duration_seconds", {}, "last save", MetricRow::Kind::gauge, [] { return 1500000u; },
      1e6);
  std::string out;
  r.write_prometheus(out);
  EXPECT_NE(out.find("\ncairn_snapshot_duration_seconds 1.5\n"), std::string::npos) << out;
}

TEST(MetricsRegistry, WritesTheSameRowsAsJson) {
  MetricsRegistry r;
  using Kind = MetricRow::Kind;
  r.add_gauge("store_torrents", "torrents", [] { return 2u; });
  r.add_labeled("requests", {{"protocol", "udp"}}, "requests", Kind::counter, [] { return 3u; });
  r.add_labeled("requests", {{"protocol", "http"}}, "requests", Kind::counter, [] { return 4u; });
  r.add_histogram("peers_per_torrent", {}, "peers", {1, 10}, [](MetricRow& row) {
    row.buckets = {1, 0, 2};
    row.sum = 40;
  });
  r.add_histogram("latency", {{"transport", "udp"}}, "latency", {0.5}, [](MetricRow& row) {
    row.buckets = {1, 1};
    row.sum = 1.25;
  });
  std::string out;
  r.write_json(out);
  EXPECT_EQ(out,
            "{\"store_torrents\":2,"
            "\"requests\":[{\"protocol\":\"udp\",\"value\":3},"
            "{\"protocol\":\"http\",\"value\":4}],"
            "\"peers_per_torrent\":{\"bounds\":[1,10],\"buckets\":[1,0,2],\"sum\":40,"
            "\"count\":3},"
            "\"latency\":[{\"transport\":\"udp\",\"histogram\":{\"bounds\":[0.5],"
            "\"buckets\":[1,1],\"sum\":1.25,\"count\":2}}]}");
}

TEST(RequestCounters, CountByTypeAndFamily) {
  WorkerCounters w;
  const auto v4 = *core::Address::parse("192.0.2.1");
  const auto v6 = *core::Address::parse("2001:db8::1");
  count_request(w.requests, RequestType::udp_announce, v4);
  count_request(w.requests, RequestType::udp_announce, v6);
  count_request(w.requests, RequestType::udp_announce, v6);
  const auto& cell = w.requests.by_type[static_cast<std::size_t>(RequestType::udp_announce)];
  EXPECT_EQ(cell[0].load(), 1u);
  EXPECT_EQ(cell[1].load(), 2u);
  EXPECT_EQ(kRequestLabels.size(), kRequestTypes);
  EXPECT_STREQ(kRequestLabels[static_cast<std::size_t>(RequestType::dht_query)].protocol, "dht");
}

TEST(LatencyCounters, ObserveFindsTheBucketAndAddsTheSum) {
  LatencyCounters::Histogram h;
  h.observe(50);          // on a bound: that bucket
  h.observe(51, 3);       // a batch of 3: the next bucket, three times
  h.observe(10'000'000);  // past the last bound: +Inf
  EXPECT_EQ(h.buckets[0].load(), 1u);
  EXPECT_EQ(h.buckets[1].load(), 3u);
  EXPECT_EQ(h.buckets.back().load(), 1u);
  EXPECT_EQ(h.sum_us.load(), 50u + 3 * 51u + 10'000'000u);
}

}  // namespace
}  // namespace cairn::tracker
