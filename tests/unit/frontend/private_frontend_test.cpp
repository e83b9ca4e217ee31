// Private mode through the server's dispatch and route tables, without
// sockets: a missing, unknown or disabled passkey is refused with its fixed
// reason and never reaches the store; a good one is served and its
// announce handed to the accounting; the allow-list refuses unregistered
// torrents; and public mode ignores passkeys.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <variant>
#include <vector>

#include "codec/bencode.hpp"
#include "codec/udp_tracker.hpp"
#include "frontend/record_format.hpp"
#include "server/frontends.hpp"
#include "store/memory/memory_record_store.hpp"
#include "store/memory/memory_store.hpp"
#include "support/endpoints.hpp"

using namespace cairn;
namespace udp = codec::udp;

namespace {

const std::string kAlice = "abcdefghijklmnopqrstuvwxyzAB-_45";
const std::string kStranger = "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ";
constexpr tracker::UserId kAliceId = 42;

core::InfoHash hash_of(std::uint8_t n) {
  core::InfoHash h;
  h.bytes.fill(n);
  return h;
}

std::int64_t ticks() {
  static std::int64_t t = 0;
  return ++t;
}

std::string path_of(const std::string& key, std::string_view route) {
  std::string p = "/";
  p.append(key).append(route);
  return p;
}

struct PrivateFrontendTest : ::testing::Test {
  store::MemoryStore peers{store::Limits{}};
  store::MemoryRecordStore records{store::RecordLimits{}};
  tracker::MemoryGuard memory;
  tracker::Tracker tracker{tracker::Policy{}, peers, memory};
  tracker::Rendezvous rendezvous{{}, records, memory, frontend::record_format()};
  tracker::AccessList access{tracker::AccessMode::off, {}};
  tracker::ConnectionIds ids;
  tracker::SignalingSwarms signaling{tracker::SignalingLimits{}};
  server::Frontends frontends{config(), tracker, rendezvous, ids, nullptr, signaling, 1};
  frontend::WorkerState state{1, tracker::RateLimitConfig{}, access};
  tracker::PrivateDirectory directory;
  tracker::PrivateWorker worker{directory, 16, &ticks};
  const core::Endpoint client = test::v4(1, 6881);

  PrivateFrontendTest() {
    tracker::PrivateSnapshot s;
    s.users.emplace(*core::Passkey::parse(kAlice), kAliceId);
    directory.publish(std::move(s));
    state.private_mode = &worker;
  }

  static server::Config config() {
    server::Config c;
    c.private_mode.enabled = true;
    return c;
  }

  // One datagram in, its reply out; the reply views `reply_`, which the
  // next exchange overwrites.
  udp::Response exchange(auto encode) {
    std::array<std::uint8_t, 1500> in{};
    auto& out = reply_;
    const std::size_t size = encode(std::span<std::uint8_t>(in));
    std::vector<frontend::Datagram> batch{
        {std::span<const std::uint8_t>(in.data(), size), client, std::span<std::uint8_t>(out), 0}};
    frontends.datagrams().dispatch(batch, {100, 100'000, {}, state});
    EXPECT_GT(batch[0].reply, 0u);
    return *udp::parse_response(std::span(out.data(), batch[0].reply), core::Family::v4);
  }

  std::uint64_t connect() {
    auto r = exchange([](auto out) { return udp::encode_connect_request(7, out); });
    return std::get<udp::ConnectResponse>(r).connection_id;
  }

  udp::Response udp_announce(std::string_view url, std::uint8_t torrent = 1) {
    const std::uint64_t cid = connect();
    return exchange([&](std::span<std::uint8_t> out) {
      udp::AnnounceRequest r;
      r.connection_id = cid;
      r.transaction_id = 9;
      r.info_hash = hash_of(torrent);
      r.port = 6881;
      r.left = 1;
      r.uploaded = 1000;
      r.downloaded = 500;
      r.event = core::Event::started;
      std::copy(url.begin(), url.end(), r.url_data.begin());
      r.url_data_size = url.size();
      return udp::encode_announce_request(r, out);
    });
  }

  // The failure reason of an HTTP reply, or "" for none.
  std::string http(const std::string& path, std::uint8_t torrent = 1) {
    std::string query = "info_hash=";
    for (int i = 0; i < 20; ++i) query.append("%0").append(std::to_string(torrent));
    query += "&peer_id=-XX0001-000000000000&port=6881&uploaded=7&downloaded=3&left=5";
    codec::HttpRequest request;
    request.path = path;
    request.query = query;
    std::string out;
    frontends.http().handle(request, {100, 100'000, client, state}, out);
    const auto body = out.substr(out.find("\r\n\r\n") + 4);
    const auto reason = body.find("14:failure reason");
    if (reason == std::string::npos) return "";
    const auto colon = body.find(':', reason + 17);
    return body.substr(colon + 1, std::stoul(body.substr(reason + 17, colon - reason - 17)));
  }

  std::string udp_error(const udp::Response& r) {
    const auto* e = std::get_if<udp::ErrorResponse>(&r);
    return e ? std::string(e->message) : std::string("<not an error>");
  }

  std::array<std::uint8_t, 8192> reply_{};

  std::vector<tracker::AnnounceRecord> records_kept() {
    std::vector<tracker::AnnounceRecord> out;
    worker.take(out);
    return out;
  }
};

}  // namespace

TEST_F(PrivateFrontendTest, UdpRefusalsNeverReachTheStore) {
  EXPECT_EQ(udp_error(udp_announce("")), "passkey required");
  EXPECT_EQ(udp_error(udp_announce("/announce")), "passkey required");
  EXPECT_EQ(udp_error(udp_announce(path_of(kStranger, "/announce"))),
            "unknown or disabled passkey");
  EXPECT_EQ(peers.stats().peers_v4, 0u);
  EXPECT_EQ(state.counters.private_mode.passkeys_refused.load(), 3u);
  EXPECT_TRUE(records_kept().empty());
  // A scrape carries no BEP 41 options, so no passkey.
  const std::uint64_t cid = connect();
  const auto hash = hash_of(1);
  auto r = exchange(
      [&](auto out) { return udp::encode_scrape_request(cid, 3, std::span(&hash, 1), out); });
  EXPECT_EQ(udp_error(r), "passkey required");
}

TEST_F(PrivateFrontendTest, UdpGoodPasskeyIsServedAndRecorded) {
  auto r = udp_announce(path_of(kAlice, "/announce?x=1"));
  ASSERT_TRUE(std::holds_alternative<udp::AnnounceResponse>(r)) << udp_error(r);
  EXPECT_EQ(peers.stats().peers_v4, 1u);
  const auto kept = records_kept();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].user, kAliceId);
  EXPECT_EQ(kept[0].info_hash, hash_of(1));
  EXPECT_EQ(kept[0].uploaded, 1000u);
  EXPECT_EQ(kept[0].downloaded, 500u);
  EXPECT_EQ(kept[0].event, core::Event::started);
}

TEST_F(PrivateFrontendTest, HttpPasskeyRoutes) {
  EXPECT_EQ(http("/announce"), "passkey required");
  EXPECT_EQ(http(path_of(kStranger, "/announce")), "unknown or disabled passkey");
  EXPECT_EQ(http(path_of(kStranger, "/scrape")), "unknown or disabled passkey");
  EXPECT_EQ(http("/scrape"), "passkey required");
  EXPECT_EQ(peers.stats().peers_v4, 0u);
  EXPECT_TRUE(records_kept().empty());
  EXPECT_EQ(http(path_of(kAlice, "/announce")), "");
  EXPECT_EQ(http(path_of(kAlice, "/scrape")), "");
  EXPECT_EQ(peers.stats().peers_v4, 1u);
  const auto kept = records_kept();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].uploaded, 7u);
  EXPECT_EQ(kept[0].downloaded, 3u);
  EXPECT_EQ(kept[0].left, 5u);
}

TEST_F(PrivateFrontendTest, AllowListRefusesUnregisteredTorrents) {
  tracker::PrivateSnapshot s;
  s.users.emplace(*core::Passkey::parse(kAlice), kAliceId);
  s.allow_list = true;
  s.torrents.insert(hash_of(2));
  directory.publish(std::move(s));
  EXPECT_EQ(http(path_of(kAlice, "/announce"), 1), "torrent not allowed");
  EXPECT_EQ(udp_error(udp_announce(path_of(kAlice, "/announce"), 1)), "torrent not allowed");
  EXPECT_EQ(peers.stats().peers_v4, 0u);
  EXPECT_TRUE(records_kept().empty());
  EXPECT_EQ(http(path_of(kAlice, "/announce"), 2), "");
  EXPECT_EQ(peers.stats().peers_v4, 1u);
}

TEST_F(PrivateFrontendTest, PublicModeIgnoresPasskeys) {
  state.private_mode = nullptr;
  EXPECT_EQ(http(path_of(kStranger, "/announce")), "");
  auto r = udp_announce(path_of(kStranger, "/announce"), 3);
  EXPECT_TRUE(std::holds_alternative<udp::AnnounceResponse>(r)) << udp_error(r);
  EXPECT_EQ(http("/announce", 4), "");
  EXPECT_EQ(peers.stats().peers_v4, 3u);
  EXPECT_EQ(state.counters.private_mode.passkeys_refused.load(), 0u);
}
