// The HTTP frontend without sockets, through the server's route table
// (server/frontends.cpp): what it counts, and that the hot path (an
// announce, and a flood's rate-limited replies) allocates nothing once
// warm. Allocations are counted by replacing the global operator new.
#include "frontend/http_frontend.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "codec/bencode.hpp"
#include "frontend/record_format.hpp"
#include "server/frontends.hpp"
#include "store/memory/memory_record_store.hpp"
#include "store/memory/memory_store.hpp"

namespace {
std::atomic<std::size_t> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace cairn;

namespace {

std::string percent(std::uint8_t seed) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (int i = 0; i < 20; ++i) {
    auto b = static_cast<std::uint8_t>(seed + 7 * i);
    out += '%';
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

struct HttpFrontendTest : ::testing::Test {
  store::MemoryStore peers{store::Limits{}};
  store::MemoryRecordStore records{store::RecordLimits{}};
  tracker::MemoryGuard memory;
  tracker::Policy policy;
  tracker::Tracker tracker{policy, peers, memory};
  tracker::Rendezvous rendezvous{{}, records, memory, frontend::record_format()};
  tracker::AccessList access{tracker::AccessMode::off, {}};
  tracker::ConnectionIds ids;
  tracker::SignalingSwarms signaling{tracker::SignalingLimits{}};
  server::Frontends frontends{config(), tracker, rendezvous, ids, nullptr, signaling, 1};
  const frontend::HttpRouter& router = frontends.http();
  const core::Endpoint proxy = *core::Endpoint::parse("127.0.0.1:40000");
  const core::Endpoint client = *core::Endpoint::parse("192.0.2.7:40000");

  static server::Config config() {
    server::Config c;
    c.trusted_proxies = {*core::Network::parse("127.0.0.1/32")};
    return c;
  }

  // What the listener does with one parsed request, at now = 100 s:
  // whether the connection stays open (nothing here takes one over).
  bool handle(const codec::HttpRequest& request, const core::Endpoint& peer,
              frontend::WorkerState& state, std::string& out) const {
    return router.handle(request, {100, 100'000, peer, state}, out).next ==
           frontend::HttpResult::Next::keep_open;
  }

  static tracker::RateLimitConfig limits(std::uint32_t per_second, std::uint32_t burst) {
    tracker::RateLimitConfig c;
    c.per_second = per_second;
    c.burst = burst;
    c.slots = 1024;
    c.trusted.clear();
    return c;
  }

  static codec::HttpRequest get(std::string_view path, std::string_view query = {}) {
    codec::HttpRequest r;
    r.path = path;
    r.query = query;
    return r;
  }
};

}  // namespace

TEST_F(HttpFrontendTest, ForwardedHeaderNamingNoAddressIsRefusedAndCounted) {
  frontend::WorkerState state(1, limits(0, 1), access);
  const std::string query = "info_hash=" + percent(1);  // the request's views point into it
  auto request = get("/announce", query);
  std::string out;
  for (std::string_view bad : {"garbage", "unknown", "192.0.2.1, nope"}) {
    request.x_forwarded_for = bad;
    out.clear();
    EXPECT_TRUE(handle(request, proxy, state, out));
    EXPECT_TRUE(out.starts_with("HTTP/1.1 400 Bad Request\r\n")) << out;
    EXPECT_TRUE(
        out.ends_with("bad X-Forwarded-For header from a trusted proxy: expected an IP address"))
        << out;
  }
  request.x_forwarded_for = "";
  request.x_real_ip = "localhost";
  out.clear();
  handle(request, proxy, state, out);
  EXPECT_TRUE(out.ends_with("bad X-Real-IP header from a trusted proxy: expected an IP address"));
  EXPECT_EQ(state.counters.http.bad_forwarded.load(), 4u);
  EXPECT_EQ(state.counters.http.announces.load(), 0u);  // refused before any work
  // From a socket that is no trusted proxy, the headers are not read at all.
  out.clear();
  handle(request, client, state, out);
  EXPECT_EQ(state.counters.http.bad_forwarded.load(), 4u);
  EXPECT_EQ(state.counters.http.announces.load(), 1u);
}

TEST_F(HttpFrontendTest, AnnounceAllocatesNothingOnceWarm) {
  frontend::WorkerState state(1, limits(50, 500), access);
  const std::string query = "info_hash=" + percent(1) + "&peer_id=" + percent(2) + "&port=6881";
  auto request = get("/announce", query);
  request.x_forwarded_for = "198.51.100.4";  // behind the proxy: the header is parsed
  std::string out;
  out.reserve(4096);
  for (int i = 0; i < 3; ++i) {  // the swarm, the peer and the scratch buffers exist now
    out.clear();
    handle(request, proxy, state, out);
  }
  ASSERT_NE(out.find("8:intervali1800e"), std::string::npos) << out;
  out.clear();
  const auto before = allocations.load();
  handle(request, proxy, state, out);
  EXPECT_EQ(allocations.load() - before, 0u);
  EXPECT_NE(out.find("8:intervali1800e"), std::string::npos) << out;
}

// A scrape's counts and files live on the stack up to a few torrents and
// on the heap beyond: every size answers each torrent, the announced one
// with its leecher, the rest with zeros.
TEST_F(HttpFrontendTest, ScrapesOfEverySizeAnswerEachTorrent) {
  frontend::WorkerState state(1, limits(1000, 1000), access);
  const std::string announce = "info_hash=" + percent(1) + "&peer_id=" + percent(2) + "&port=6881";
  std::string out;
  handle(get("/announce", announce), client, state, out);
  for (int n : {1, 2, 7, 8, 9, 31, 100}) {
    std::string query;
    for (int i = 1; i <= n; ++i)
      query += (i > 1 ? "&info_hash=" : "info_hash=") + percent(static_cast<std::uint8_t>(i));
    out.clear();
    ASSERT_TRUE(handle(get("/scrape", query), client, state, out)) << n;
    const auto body = std::string_view(out).substr(out.find("\r\n\r\n") + 4);
    const auto reply = codec::bdecode(body);
    ASSERT_TRUE(reply.has_value()) << n << ": " << body;
    const codec::BValue* files = reply->find("files");
    ASSERT_NE(files, nullptr) << body;
    ASSERT_EQ(files->dict.size(), static_cast<std::size_t>(n)) << body;
    int leechers = 0;
    for (const auto& file : files->dict)
      leechers += static_cast<int>(file.second.find("incomplete")->integer);
    EXPECT_EQ(leechers, 1) << n;
  }
}

TEST_F(HttpFrontendTest, RefusalsOfAFloodAllocateNothing) {
  frontend::WorkerState state(1, limits(1, 1), access);
  const std::string query = "info_hash=" + percent(1) + "&peer_id=" + percent(2) + "&port=6881";
  std::string out;
  out.reserve(4096);
  for (auto request : {get("/announce", query), get("/elsewhere"), get("/health")}) {
    handle(request, client, state, out);  // the burst, then warm
    handle(request, client, state, out);
    out.clear();
    const auto before = allocations.load();
    handle(request, client, state, out);
    EXPECT_EQ(allocations.load() - before, 0u) << request.path;
    const bool refused = out.find("Retry-After: 1\r\n") != std::string::npos;
    EXPECT_EQ(refused, request.path != "/health") << out;  // a probe is never refused
  }
}

// The route table as the server registers it: what each path and method
// gets before any handler runs.
// The WebSocket tracker is registered as the "websocket" upgrade: on / and
// /announce a valid handshake takes the connection over; elsewhere, a 404.
TEST_F(HttpFrontendTest, WebSocketHandshakeTakesTheConnectionOver) {
  frontend::WorkerState state(1, tracker::RateLimitConfig{}, access);
  auto request = get("/");
  request.connection_upgrade = true;
  request.upgrade = "websocket";
  request.sec_websocket_key = "dGhlIHNhbXBsZSBub25jZQ==";
  request.sec_websocket_version = "13";
  for (std::string_view path : {"/", "/announce"}) {
    request.path = path;
    std::string out;
    auto result = router.handle(request, {100, 100'000, client, state}, out);
    EXPECT_EQ(result.next, frontend::HttpResult::Next::take_over) << path;
    EXPECT_NE(result.handler, nullptr);
    EXPECT_TRUE(out.starts_with("HTTP/1.1 101 ")) << out;
    EXPECT_NE(out.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos)
        << out;
  }
  request.path = "/scrape";
  std::string out;
  EXPECT_EQ(router.handle(request, {100, 100'000, client, state}, out).next,
            frontend::HttpResult::Next::close);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 404 ")) << out;
}

TEST_F(HttpFrontendTest, RouteTableAnswersUnknownPathsAndMethods) {
  frontend::WorkerState state(1, limits(50, 500), access);
  std::string out;
  EXPECT_TRUE(handle(get("/nowhere"), client, state, out));
  EXPECT_TRUE(out.starts_with("HTTP/1.1 404 Not Found\r\n")) << out;
  EXPECT_TRUE(
      out.ends_with("not found: this tracker serves /announce and /scrape (BitTorrent), "
                    "/health, and the rendezvous API under /v1/"))
      << out;

  for (std::string_view path : {"/announce", "/scrape", "/health"}) {
    auto post = get(path);
    post.method = codec::HttpMethod::post;
    out.clear();
    EXPECT_FALSE(handle(post, client, state, out)) << path << ": a 405 closes";
    EXPECT_TRUE(out.starts_with("HTTP/1.1 405 Method Not Allowed\r\n")) << out;
    EXPECT_NE(out.find("Allow: GET, HEAD\r\n"), std::string::npos) << out;
  }

  auto head = get("/health");
  head.method = codec::HttpMethod::head;
  out.clear();
  EXPECT_TRUE(handle(head, client, state, out));
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
  EXPECT_TRUE(out.ends_with("\r\n\r\n")) << "HEAD is GET without the body: " << out;

  // Under /v1/ the API answers methods itself, in JSON.
  auto put = get("/v1/whoami");
  put.method = codec::HttpMethod::other;
  out.clear();
  EXPECT_TRUE(handle(put, client, state, out));
  EXPECT_TRUE(out.starts_with("HTTP/1.1 405 Method Not Allowed\r\n")) << out;
  EXPECT_NE(out.find("\"method_not_allowed\""), std::string::npos) << out;
  EXPECT_EQ(state.counters.http.requests.load(), 6u);
}

TEST_F(HttpFrontendTest, EachRouteRefusesAClientOverItsLimitInItsOwnLanguage) {
  frontend::WorkerState state(1, limits(1, 1), access);
  std::string out;
  handle(get("/nowhere"), client, state, out);  // the burst
  struct Case {
    std::string_view path, status, body;
  };
  for (auto c : {Case{"/nowhere", "429 Too Many Requests", "rate limit exceeded"},
                 Case{"/announce", "200 OK", "d14:failure reason19:rate limit exceedede"},
                 Case{"/v1/whoami", "429 Too Many Requests", "\"rate_limited\""}}) {
    out.clear();
    EXPECT_TRUE(handle(get(c.path), client, state, out));
    EXPECT_TRUE(out.starts_with("HTTP/1.1 " + std::string(c.status))) << out;
    EXPECT_NE(out.find("Retry-After: 1\r\n"), std::string::npos) << out;
    EXPECT_NE(out.find(c.body), std::string::npos) << out;
  }
  EXPECT_EQ(state.counters.http.rate_limited.load(), 3u);
}

// /v1/whoami reports the socket's peer, or behind a trusted proxy the
// address its header named, with port 0 (the client's port is not known).
TEST_F(HttpFrontendTest, WhoamiReportsTheObservedAddress) {
  frontend::WorkerState state(1, limits(50, 500), access);
  std::string out;
  handle(get("/v1/whoami"), client, state, out);
  EXPECT_NE(out.find("\"192.0.2.7\""), std::string::npos) << out;
  EXPECT_NE(out.find("40000"), std::string::npos) << out;
  auto proxied = get("/v1/whoami");
  proxied.x_real_ip = "198.51.100.4";
  out.clear();
  handle(proxied, proxy, state, out);
  EXPECT_NE(out.find("\"198.51.100.4\""), std::string::npos) << out;
  EXPECT_EQ(out.find("40000"), std::string::npos) << out;
}
