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
  EXPECT_EQ(names.size(), 8u + 11u + 4u + 3u + 4u + 10u);
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

}  // namespace
}  // namespace cairn::tracker
