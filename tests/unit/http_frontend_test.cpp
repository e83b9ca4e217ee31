// The HTTP frontend without sockets: what it counts, and that the hot path
// (an announce, and a flood's rate-limited replies) allocates nothing once
// warm. Allocations are counted by replacing the global operator new.
#include "net/http_frontend.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

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
  tracker::Rendezvous rendezvous{{}, records, memory};
  tracker::AccessList access{tracker::AccessMode::off, {}};
  net::HttpFrontend frontend{tracker, rendezvous,
                             net::HttpOptions{{*core::Network::parse("127.0.0.1/32")}, false}};
  const core::Endpoint proxy = *core::Endpoint::parse("127.0.0.1:40000");
  const core::Endpoint client = *core::Endpoint::parse("192.0.2.7:40000");

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
  net::WorkerState state(1, limits(0, 1), access);
  const std::string query = "info_hash=" + percent(1);  // the request's views point into it
  auto request = get("/announce", query);
  std::string out;
  for (std::string_view bad : {"garbage", "unknown", "192.0.2.1, nope"}) {
    request.x_forwarded_for = bad;
    out.clear();
    EXPECT_EQ(frontend.handle(request, proxy, 100, 100'000, state, out).next,
              frontend::HttpResult::Next::keep_open);
    EXPECT_TRUE(out.starts_with("HTTP/1.1 400 Bad Request\r\n")) << out;
    EXPECT_TRUE(
        out.ends_with("bad X-Forwarded-For header from a trusted proxy: expected an IP address"))
        << out;
  }
  request.x_forwarded_for = "";
  request.x_real_ip = "localhost";
  out.clear();
  frontend.handle(request, proxy, 100, 100'000, state, out);
  EXPECT_TRUE(out.ends_with("bad X-Real-IP header from a trusted proxy: expected an IP address"));
  EXPECT_EQ(state.counters.http_bad_forwarded.load(), 4u);
  EXPECT_EQ(state.counters.http_announces.load(), 0u);  // refused before any work
  // From a socket that is no trusted proxy, the headers are not read at all.
  out.clear();
  frontend.handle(request, client, 100, 100'000, state, out);
  EXPECT_EQ(state.counters.http_bad_forwarded.load(), 4u);
  EXPECT_EQ(state.counters.http_announces.load(), 1u);
}

TEST_F(HttpFrontendTest, AnnounceAllocatesNothingOnceWarm) {
  net::WorkerState state(1, limits(50, 500), access);
  const std::string query = "info_hash=" + percent(1) + "&peer_id=" + percent(2) + "&port=6881";
  auto request = get("/announce", query);
  request.x_forwarded_for = "198.51.100.4";  // behind the proxy: the header is parsed
  std::string out;
  out.reserve(4096);
  for (int i = 0; i < 3; ++i) {  // the swarm, the peer and the scratch buffers exist now
    out.clear();
    frontend.handle(request, proxy, 100, 100'000, state, out);
  }
  ASSERT_NE(out.find("8:intervali1800e"), std::string::npos) << out;
  out.clear();
  const auto before = allocations.load();
  frontend.handle(request, proxy, 100, 100'000, state, out);
  EXPECT_EQ(allocations.load() - before, 0u);
  EXPECT_NE(out.find("8:intervali1800e"), std::string::npos) << out;
}

TEST_F(HttpFrontendTest, RefusalsOfAFloodAllocateNothing) {
  net::WorkerState state(1, limits(1, 1), access);
  const std::string query = "info_hash=" + percent(1) + "&peer_id=" + percent(2) + "&port=6881";
  std::string out;
  out.reserve(4096);
  for (auto request : {get("/announce", query), get("/elsewhere"), get("/health")}) {
    frontend.handle(request, client, 100, 100'000, state, out);  // the burst, then warm
    frontend.handle(request, client, 100, 100'000, state, out);
    out.clear();
    const auto before = allocations.load();
    frontend.handle(request, client, 100, 100'000, state, out);
    EXPECT_EQ(allocations.load() - before, 0u) << request.path;
    const bool refused = out.find("Retry-After: 1\r\n") != std::string::npos;
    EXPECT_EQ(refused, request.path != "/health") << out;  // a probe is never refused
  }
}
