// The Redis stores and every frontend on a cluster that answers nothing
// (a master down, the network to Redis cut): a RedisLink that leaves each
// call unanswered, as ClusterClient does once its time bound has passed.
// Announces, scrapes and look-ups get the fixed "tracker busy, retry"
// (a UDP error, an HTTP failure reason, the rendezvous API's
// tracker_full), counted, never zeros a client would take for counts.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "codec/rendezvous_udp.hpp"
#include "codec/resp.hpp"
#include "codec/udp_tracker.hpp"
#include "frontend/record_format.hpp"
#include "server/frontends.hpp"
#include "store/redis/link.hpp"
#include "store/redis/redis_peer_store.hpp"
#include "store/redis/redis_record_store.hpp"
#include "support/endpoints.hpp"

using namespace cairn;
namespace udp = codec::udp;
namespace rvudp = codec::rvudp;

namespace {

constexpr std::string_view kBusy = "tracker busy, retry";

// While reachable (the stores' start: the record store reads its epoch),
// every call is answered with a null; then none is answered at all.
class SilentLink final : public store::redis::RedisLink {
 public:
  void exec(const store::redis::Batch& batch, store::redis::Replies& replies) override {
    replies.reset(batch.size());
    if (reachable) {
      static const std::string null = "$-1\r\n";
      std::vector<codec::resp::Node> nodes;
      codec::resp::parse(null, 0, nodes);
      for (std::size_t i = 0; i < batch.size(); ++i) replies.set(i, null, 0, null.size(), nodes);
      return;
    }
    calls.fetch_add(batch.size(), std::memory_order_relaxed);
  }
  bool reachable = true;
  std::atomic<std::size_t> calls{0};  // unanswered
};

core::InfoHash hash_of(std::uint8_t n) {
  core::InfoHash h;
  h.bytes.fill(n);
  return h;
}

core::TopicId topic_of(std::uint8_t n) {
  core::TopicId t;
  t.bytes.fill(n);
  return t;
}

struct UnreachableCluster : ::testing::Test {
  std::shared_ptr<SilentLink> link = std::make_shared<SilentLink>();
  store::redis::RedisPeerStore peers{link, {}, store::Limits{}};
  store::redis::RedisRecordStore records{link, {}, store::RecordLimits{}};
  tracker::MemoryGuard memory;
  tracker::Tracker tracker{tracker::Policy{}, peers, memory};
  tracker::Rendezvous rendezvous{{}, records, memory, frontend::record_format()};
  tracker::AccessList access{tracker::AccessMode::off, {}};
  tracker::ConnectionIds ids;
  tracker::SignalingSwarms signaling{tracker::SignalingLimits{}};
  server::Frontends frontends{server::Config{}, tracker, rendezvous, ids, nullptr, signaling, 1};
  frontend::WorkerState state{1, tracker::RateLimitConfig{}, access};
  const core::Endpoint from = test::v4(1, 6881);

  void SetUp() override { link->reachable = false; }

  tracker::RequestContext context(const core::Endpoint& peer = {}) {
    return {100, 100'000, peer, state};
  }

  // One datagram through the dispatch table; its reply's bytes.
  std::vector<std::uint8_t> send(auto encode) {
    std::array<std::uint8_t, 1500> in{};
    std::array<std::uint8_t, 1500> out{};
    const std::size_t size = encode(std::span<std::uint8_t>(in));
    frontend::Datagram d{std::span<const std::uint8_t>(in.data(), size), from,
                         std::span<std::uint8_t>(out), 0};
    frontends.datagrams().dispatch(std::span(&d, 1), context());
    return {out.begin(), out.begin() + static_cast<std::ptrdiff_t>(d.reply)};
  }

  std::uint64_t connect() {
    auto reply = send([](auto out) { return udp::encode_connect_request(7, out); });
    return std::get<udp::ConnectResponse>(*udp::parse_response(reply, core::Family::v4))
        .connection_id;
  }

  // An HTTP GET through the route table: the whole response.
  std::string get(std::string_view path, std::string_view query) {
    codec::HttpRequest r;
    r.path = path;
    r.query = query;
    std::string out;
    frontends.http().handle(r, context(from), out);
    return out;
  }
};

}  // namespace

TEST_F(UnreachableCluster, StoresAnswerBusyNotZeros) {
  const std::uint64_t failed_before = peers.failures();
  core::PeerList out;
  store::Announce a;
  a.info_hash = hash_of(1);
  a.endpoint = from;
  auto announced = peers.announce(a, out);
  ASSERT_FALSE(announced);
  EXPECT_EQ(announced.error(), store::StoreError::busy);

  out.push_back(core::PeerInfo{}, false);  // lookup must clear it
  auto found = peers.lookup(store::Lookup{hash_of(1), 50}, out);
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error(), store::StoreError::busy);
  EXPECT_TRUE(out.view().empty());

  auto scraped = peers.scrape(hash_of(1));
  ASSERT_FALSE(scraped);
  EXPECT_EQ(scraped.error(), store::StoreError::busy);

  const std::array<core::InfoHash, 3> hashes{hash_of(1), hash_of(2), hash_of(3)};
  std::array<store::Counted, 3> counts;
  peers.scrape_batch(hashes, counts);
  for (const auto& c : counts) {
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), store::StoreError::busy);
  }

  int visited = 0;
  auto looked = records.lookup(topic_of(1), 0, [&](const store::StoredRecord&) {
    ++visited;
    return true;
  });
  ASSERT_FALSE(looked);
  EXPECT_EQ(looked.error(), store::RecordStoreError::busy);
  EXPECT_EQ(visited, 0);
  EXPECT_GT(link->calls.load(), 0u) << "the stores asked the link";
  EXPECT_EQ(peers.failures() - failed_before, 1u + 1u + 1u + 3u);
}

TEST_F(UnreachableCluster, UdpAnnounceAndScrapeAreBusy) {
  const std::uint64_t cid = connect();
  auto announce = send([&](auto out) {
    udp::AnnounceRequest r;
    r.connection_id = cid;
    r.transaction_id = 11;
    r.info_hash = hash_of(1);
    r.port = 6881;
    r.left = 1;
    return udp::encode_announce_request(r, out);
  });
  auto a = std::get<udp::ErrorResponse>(*udp::parse_response(announce, core::Family::v4));
  EXPECT_EQ(a.transaction_id, 11u);
  EXPECT_EQ(a.message, kBusy);

  auto scrape = send([&](auto out) {
    const std::array<core::InfoHash, 2> hashes{hash_of(1), hash_of(2)};
    return udp::encode_scrape_request(cid, 12, hashes, out);
  });
  auto s = std::get<udp::ErrorResponse>(*udp::parse_response(scrape, core::Family::v4));
  EXPECT_EQ(s.transaction_id, 12u);
  EXPECT_EQ(s.message, kBusy);
  EXPECT_EQ(state.counters.tracker.busy.load(), 2u) << "one per request, not per hash";
}

TEST_F(UnreachableCluster, UdpRendezvousLookupIsBusy) {
  const std::uint64_t cid = connect();
  auto reply = send([&](auto out) {
    rvudp::LookupRequest r;
    r.header = {cid, 13};
    r.topic = topic_of(1);
    return rvudp::encode_lookup_request(r, out);
  });
  auto parsed = rvudp::parse_response(reply);
  ASSERT_TRUE(parsed);
  auto e = std::get<udp::ErrorResponse>(*parsed);
  EXPECT_EQ(e.transaction_id, 13u);
  EXPECT_EQ(e.message, tracker::error_code(tracker::RendezvousError::tracker_full));
  EXPECT_EQ(state.counters.rendezvous.refused.load(), 1u);
}

TEST_F(UnreachableCluster, HttpAnnounceAndScrapeAreBusy) {
  const std::string query =
      "info_hash=%01%01%01%01%01%01%01%01%01%01%01%01%01%01%01%01%01%01%01%01";
  const std::string announce =
      get("/announce", query + "&port=6881&left=1&peer_id=" + std::string("-CA0001-000000000000"));
  EXPECT_TRUE(announce.starts_with("HTTP/1.1 200 OK\r\n")) << announce;
  EXPECT_TRUE(announce.ends_with("d14:failure reason19:tracker busy, retrye")) << announce;
  const std::string scrape = get("/scrape", query);
  EXPECT_TRUE(scrape.starts_with("HTTP/1.1 200 OK\r\n")) << scrape;
  EXPECT_TRUE(scrape.ends_with("d14:failure reason19:tracker busy, retrye")) << scrape;
  EXPECT_EQ(state.counters.tracker.busy.load(), 2u);
}

TEST_F(UnreachableCluster, HttpRendezvousLookupIsTrackerFull) {
  const std::string reply = get("/v1/topics/" + std::string(40, 'a') + "/records", "");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 503 ")) << reply;
  EXPECT_NE(reply.find("\"tracker_full\""), std::string::npos) << reply;
  EXPECT_EQ(state.counters.rendezvous.refused.load(), 1u);
}
