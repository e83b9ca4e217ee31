// The admin routes without sockets: /metrics and /stats.json from a
// registry, the top parameter's bounds, the embedded dashboard files, and
// the census behind the top list and the peers-per-torrent histogram.
#include "frontend/admin_http.hpp"

#include <gtest/gtest.h>

#include "admin/dashboard_files.hpp"
#include "frontend/worker_state.hpp"
#include "server/swarm_census.hpp"
#include "store/memory/memory_store.hpp"

using namespace cairn;

namespace {

codec::HttpRequest get(std::string_view path, std::string_view query = {}) {
  codec::HttpRequest r;
  r.path = path;
  r.query = query;
  return r;
}

struct AdminHttpTest : ::testing::Test {
  tracker::AccessList access{tracker::AccessMode::off, {}};
  frontend::WorkerState state{1, {}, access};
  tracker::MetricsRegistry metrics;
  std::size_t asked = 0;  // the n the top list was last asked for

  AdminHttpTest() {
    metrics.add_gauge("store_torrents", "torrents", [] { return 2u; });
  }

  std::string answer(const frontend::HttpHandler& h, const codec::HttpRequest& request) {
    std::string out;
    h.handle(request, {}, {100, 100'000, {}, state}, out);
    return out;
  }
  static std::string body_of(const std::string& response) {
    return response.substr(response.find("\r\n\r\n") + 4);
  }
  frontend::TopTorrents top() {
    return [this](std::size_t n) {
      asked = n;
      std::vector<std::pair<core::InfoHash, store::SwarmCounts>> out;
      if (n > 0) out.push_back({core::InfoHash{}, store::SwarmCounts{3, 4, 5}});
      return out;
    };
  }
};

TEST_F(AdminHttpTest, MetricsAreThePrometheusText) {
  frontend::AdminMetrics h(metrics);
  const std::string out = answer(h, get("/metrics"));
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
  EXPECT_NE(out.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(body_of(out),
            "# HELP cairn_store_torrents torrents\n# TYPE cairn_store_torrents gauge\n"
            "cairn_store_torrents 2\n");
}

TEST_F(AdminHttpTest, StatsCarryTheMetricsAndTheTopTorrents) {
  frontend::AdminStats h(metrics, top());
  const std::string out = answer(h, get("/stats.json", "top=1"));
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
  EXPECT_EQ(asked, 1u);
  EXPECT_EQ(body_of(out), "{\"metrics\":{\"store_torrents\":2},\"top\":[{\"info_hash\":\"" +
                              std::string(40, '0') +
                              "\",\"seeders\":3,\"leechers\":4,\"downloaded\":5}]}\n");
  answer(h, get("/stats.json"));
  EXPECT_EQ(asked, frontend::AdminStats::kDefaultTop);
  answer(h, get("/stats.json", "other=1&top=100"));
  EXPECT_EQ(asked, frontend::AdminStats::kMaxTop);
}

TEST_F(AdminHttpTest, ABadTopIsRefusedWithWhatIsExpected) {
  frontend::AdminStats h(metrics, top());
  for (std::string_view bad : {"top=101", "top=-1", "top=", "top=1x", "top=99999999999999999999"}) {
    const std::string out = answer(h, get("/stats.json", bad));
    EXPECT_TRUE(out.starts_with("HTTP/1.1 400 Bad Request\r\n")) << bad;
    EXPECT_EQ(body_of(out), "{\"error\":\"top must be a whole number from 0 to 100\"}\n") << bad;
  }
  EXPECT_EQ(asked, 0u);  // never asked
}

TEST_F(AdminHttpTest, TheDashboardIsEmbedded) {
  frontend::AdminFiles h(admin::dashboard_files());
  const std::string page = answer(h, get("/"));
  EXPECT_TRUE(page.starts_with("HTTP/1.1 200 OK\r\n")) << page;
  EXPECT_NE(page.find("Content-Type: text/html; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(page.find("id=\"torrents\""), std::string::npos);
  const std::string script = answer(h, get("/dashboard.js"));
  EXPECT_NE(script.find("Content-Type: text/javascript; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(script.find("/stats.json"), std::string::npos);
  const std::string missing = answer(h, get("/index.htm"));
  EXPECT_TRUE(missing.starts_with("HTTP/1.1 404 Not Found\r\n")) << missing;
  EXPECT_EQ(body_of(missing), "not found; the admin listener serves /, /metrics and /stats.json\n");
}

core::InfoHash hash_of(std::uint8_t b) {
  core::InfoHash h;
  h.bytes.fill(b);
  return h;
}

TEST(SwarmCensus, CountsTorrentsByPeersAndKeepsTheBusiest) {
  store::MemoryStore store{store::Limits{}};
  core::PeerList out;
  // Torrent i has i + 1 peers (the first of them a seeder), for i < 150.
  for (std::uint8_t i = 0; i < 150; ++i) {
    for (std::uint8_t p = 0; p <= i; ++p) {
      store::Announce a;
      a.info_hash = hash_of(i);
      a.peer_id.bytes.fill(p);
      a.endpoint = {*core::Address::parse("192.0.2.1"), static_cast<std::uint16_t>(1000 + p)};
      a.seeder = p == 0;
      a.now = 10;
      ASSERT_TRUE(store.announce(a, out));
    }
  }
  server::SwarmCensus census(store, std::chrono::hours(1));
  const auto c = census.get();
  // Bounds 1, 2, 5, 10, 20, 50, 100, 200, ...: 1 torrent with 1 peer, 1 with
  // 2, 3 with 3-5, 5 with 6-10, 10, 30, 50, then 50 with 101-150.
  const std::array<std::uint64_t, 12> want = {1, 1, 3, 5, 10, 30, 50, 50, 0, 0, 0, 0};
  EXPECT_EQ(c->buckets, want);
  EXPECT_EQ(c->peers, 150u * 151u / 2);
  ASSERT_EQ(c->top.size(), server::SwarmCensus::kTop);
  EXPECT_EQ(c->top.front().first, hash_of(149));
  EXPECT_EQ(c->top.front().second.seeders, 1u);
  EXPECT_EQ(c->top.front().second.leechers, 149u);
  EXPECT_EQ(c->top.back().first, hash_of(50));
  for (std::size_t i = 1; i < c->top.size(); ++i)
    EXPECT_GE(c->top[i - 1].second.leechers, c->top[i].second.leechers);
  // Within max_age, the same census.
  EXPECT_EQ(census.get(), c);
}

}  // namespace
