#include "codec/udp_tracker.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "support/ids.hpp"

using namespace cairn::codec::udp;
using namespace cairn::core;
using cairn::test::id_of;

namespace {

using Bytes = std::vector<std::uint8_t>;

AnnounceRequest sample_announce(std::string_view url = "") {
  AnnounceRequest r;
  r.connection_id = 0x0102030405060708;
  r.transaction_id = 0xcafebabe;
  r.info_hash = id_of<InfoHash>(1);
  r.peer_id = id_of<PeerId>(2);
  r.downloaded = 1ull << 40;
  r.left = 0xffffffffffffffff;
  r.uploaded = 12345;
  r.event = Event::stopped;
  r.ip = {192, 0, 2, 1};
  r.key = 0x89abcdef;
  r.numwant = -1;
  r.port = 51413;
  std::copy(url.begin(), url.end(), r.url_data.begin());
  r.url_data_size = url.size();
  return r;
}

Bytes encode(const AnnounceRequest& r) {
  Bytes out(kMaxPacket);
  out.resize(encode_announce_request(r, out));
  return out;
}

Bytes scrape_packet(std::size_t count) {
  std::vector<InfoHash> hashes;
  for (std::size_t i = 0; i < count; ++i)
    hashes.push_back(id_of<InfoHash>(static_cast<std::uint8_t>(i)));
  Bytes out(16 + 20 * count);
  EXPECT_EQ(encode_scrape_request(42, 7, hashes, out), out.size());
  return out;
}

ParseError error_of(const Bytes& packet) {
  auto r = parse_request(packet);
  EXPECT_FALSE(r.has_value());
  return r.has_value() ? ParseError{} : r.error();
}

void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

PeerInfo peer(std::string_view endpoint) { return {*Endpoint::parse(endpoint), {}}; }

}  // namespace

TEST(UdpRequest, ConnectRoundTrip) {
  Bytes out(16);
  ASSERT_EQ(encode_connect_request(0x11223344, out), 16u);
  EXPECT_EQ(out,
            (Bytes{0, 0, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44}));
  auto r = parse_request(out);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(std::get<ConnectRequest>(*r).transaction_id, 0x11223344u);
  out.push_back(0);  // trailing bytes after a connect are tolerated
  EXPECT_TRUE(parse_request(out).has_value());
  EXPECT_EQ(encode_connect_request(1, std::span<std::uint8_t>(out.data(), 15)), 0u);
}

TEST(UdpRequest, ConnectWithWrongProtocolIdIsUnsendable) {
  Bytes out(16);
  encode_connect_request(1, out);
  out[7] ^= 1;
  auto e = error_of(out);
  EXPECT_FALSE(e.sendable);
}

TEST(UdpRequest, AnnounceRoundTrip) {
  auto sent = sample_announce();
  auto packet = encode(sent);
  ASSERT_EQ(packet.size(), 98u);
  auto r = parse_request(packet);
  ASSERT_TRUE(r.has_value());
  const auto& a = std::get<AnnounceRequest>(*r);
  EXPECT_EQ(a.connection_id, sent.connection_id);
  EXPECT_EQ(a.transaction_id, sent.transaction_id);
  EXPECT_EQ(a.info_hash, sent.info_hash);
  EXPECT_EQ(a.peer_id, sent.peer_id);
  EXPECT_EQ(a.downloaded, sent.downloaded);
  EXPECT_EQ(a.left, sent.left);
  EXPECT_EQ(a.uploaded, sent.uploaded);
  EXPECT_EQ(a.event, sent.event);
  EXPECT_EQ(a.ip, sent.ip);
  EXPECT_EQ(a.key, sent.key);
  EXPECT_EQ(a.numwant, -1);
  EXPECT_EQ(a.port, sent.port);
  EXPECT_EQ(a.url(), "");
  // Spot-check the wire layout against BEP 15 offsets.
  EXPECT_EQ(packet[11], 1);     // action announce
  EXPECT_EQ(packet[83], 3);     // event stopped
  EXPECT_EQ(packet[96], 0xc8);  // port 51413 = 0xc8d5
  EXPECT_EQ(packet[97], 0xd5);
}

TEST(UdpRequest, Bep41UrlDataRoundTrip) {
  std::string url = "/announce?passkey=" + std::string(600, 'k');  // needs 3 chunks
  auto packet = encode(sample_announce(url));
  EXPECT_EQ(packet.size(), 98u + url.size() + 2 * 3);
  EXPECT_EQ(packet[98], 2);
  EXPECT_EQ(packet[99], 255);
  auto r = parse_request(packet);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(std::get<AnnounceRequest>(*r).url(), url);
}

TEST(UdpRequest, Bep41Options) {
  auto base = encode(sample_announce());
  auto url_of = [&](Bytes options) {
    Bytes p = base;
    p.insert(p.end(), options.begin(), options.end());
    auto r = parse_request(p);
    EXPECT_TRUE(r.has_value());  // options never make an announce invalid
    return r.has_value() ? std::string(std::get<AnnounceRequest>(*r).url())
                         : std::string("<error>");
  };
  EXPECT_EQ(url_of({1, 1, 2, 2, '/', 'a', 1, 2, 3, '?', 'b', '=', 0, 2, 2, 'x', 'y'}),
            "/a?b=");                                               // NOPs, end
  EXPECT_EQ(url_of({2, 2, '/', 'a', 2, 5, 'x'}), "/a");             // truncated option dropped
  EXPECT_EQ(url_of({2, 2, '/', 'a', 2}), "/a");                     // length byte missing
  EXPECT_EQ(url_of({2, 2, '/', 'a', 9, 1, 'z', 2, 1, 'q'}), "/a");  // unknown type ends parsing
  EXPECT_EQ(url_of({2, 0, 2, 1, 'c'}), "c");
  EXPECT_EQ(url_of({0}), "");
  // URLData beyond kMaxUrlData is cut, never overflowing the buffer.
  Bytes many;
  for (int i = 0; i < 5; ++i) {
    many.push_back(2);
    many.push_back(255);
    many.insert(many.end(), 255, static_cast<std::uint8_t>('a' + i));
  }
  auto url = url_of(many);
  ASSERT_EQ(url.size(), kMaxUrlData);
  EXPECT_EQ(url.substr(1020), "eeee");
}

TEST(UdpRequest, AnnounceErrors) {
  auto packet = encode(sample_announce());
  packet.resize(97);
  auto e = error_of(packet);
  EXPECT_TRUE(e.sendable);
  EXPECT_EQ(e.transaction_id, 0xcafebabeu);
  EXPECT_EQ(e.message, "malformed announce");
  packet = encode(sample_announce());
  put32(packet, 80, 4);
  e = error_of(packet);
  EXPECT_TRUE(e.sendable);
  EXPECT_EQ(e.message, "unknown event");
  put32(packet, 80, 2);
  EXPECT_EQ(std::get<AnnounceRequest>(*parse_request(packet)).event, Event::started);
  // Port 0 is unreachable: refused, never stored and handed to other peers.
  auto no_port = sample_announce();
  no_port.port = 0;
  e = error_of(encode(no_port));
  EXPECT_TRUE(e.sendable);
  EXPECT_EQ(e.message, "invalid port");
}

TEST(UdpRequest, ScrapeCounts) {
  auto single = scrape_packet(1);  // the request views into the packet: keep it alive
  auto one = parse_request(single);
  ASSERT_TRUE(one.has_value());
  const auto& s1 = std::get<ScrapeRequest>(*one);
  EXPECT_EQ(s1.connection_id, 42u);
  EXPECT_EQ(s1.transaction_id, 7u);
  ASSERT_EQ(s1.count(), 1u);
  EXPECT_EQ(s1.hash(0), id_of<InfoHash>(0));

  auto packet = scrape_packet(kMaxScrapeHashes);
  auto full = parse_request(packet);
  ASSERT_TRUE(full.has_value());
  const auto& s74 = std::get<ScrapeRequest>(*full);
  ASSERT_EQ(s74.count(), 74u);
  EXPECT_EQ(s74.hash(73), id_of<InfoHash>(73));

  auto e0 = error_of(scrape_packet(0));
  EXPECT_TRUE(e0.sendable);
  EXPECT_EQ(e0.message, "no info hash");
  // 75 hashes need 1516 bytes, past kMaxPacket: refused before the action
  // is read, and never answered.
  auto e75 = error_of(scrape_packet(75));
  EXPECT_FALSE(e75.sendable);

  packet = scrape_packet(2);
  packet.pop_back();
  auto bad = error_of(packet);
  EXPECT_TRUE(bad.sendable);
  EXPECT_EQ(bad.message, "malformed scrape");
}

TEST(UdpRequest, SizeLimitsAndUnknownAction) {
  EXPECT_FALSE(error_of(Bytes(15)).sendable);
  EXPECT_FALSE(error_of(Bytes(kMaxPacket + 1)).sendable);
  Bytes p(16);
  put32(p, 8, 3);  // "error" is not a request
  put32(p, 12, 99);
  auto e = error_of(p);
  EXPECT_TRUE(e.sendable);
  EXPECT_EQ(e.transaction_id, 99u);
  EXPECT_EQ(e.message, "unknown action");
  put32(p, 8, 0xffffffff);
  EXPECT_EQ(error_of(p).message, "unknown action");
}

TEST(UdpRequest, ErrorMessagesFitInTheSmallestRequest) {
  // The server only answers when the reply is no larger than the request.
  for (std::string_view m : {"malformed announce", "unknown event", "invalid port", "no info hash",
                             "malformed scrape", "unknown action", "too many info hashes"})
    EXPECT_LE(8 + m.size(), 36u) << m;
}

TEST(UdpRequest, EveryTruncationIsClean) {
  std::vector<Bytes> valid = {encode(sample_announce("/announce?x=1")), scrape_packet(3)};
  valid.emplace_back(16);
  encode_connect_request(5, valid.back());
  for (const auto& packet : valid) {
    for (std::size_t n = 0; n < packet.size(); ++n) {
      auto r = parse_request(std::span(packet.data(), n));
      if (r.has_value()) {
        // Only an announce cut inside its options, or a scrape cut at a
        // hash boundary, is still a whole request.
        if (std::holds_alternative<ScrapeRequest>(*r)) {
          EXPECT_EQ((n - 16) % 20, 0u);
        } else {
          EXPECT_GE(n, 98u);
          EXPECT_TRUE(std::holds_alternative<AnnounceRequest>(*r));
        }
      } else if (n < 16) {
        EXPECT_FALSE(r.error().sendable);
      }
    }
  }
}

TEST(UdpRequest, RandomGarbageNeverCrashes) {
  std::mt19937 rng(2024);
  for (int i = 0; i < 5000; ++i) {
    Bytes p(rng() % 301);
    for (auto& b : p) b = static_cast<std::uint8_t>(rng());
    if (p.size() >= 12 && i % 2 == 0) put32(p, 8, rng() % 4);  // reach every action's parser
    auto r = parse_request(p);
    if (r.has_value()) {
      if (auto* a = std::get_if<AnnounceRequest>(&*r)) {
        EXPECT_LE(a->url_data_size, kMaxUrlData);
      }
    }
    (void)parse_response(p, i % 3 == 0 ? Family::v6 : Family::v4);
  }
  auto valid = encode(sample_announce("/a?b=c"));
  for (int i = 0; i < 5000; ++i) {
    auto m = valid;
    for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k)
      m[rng() % m.size()] = static_cast<std::uint8_t>(rng());
    (void)parse_request(m);
  }
}

TEST(UdpResponse, ConnectRoundTrip) {
  Bytes out(16);
  ASSERT_EQ(encode_connect_response(9, 0xfedcba9876543210, out), 16u);
  auto r = parse_response(out, Family::v4);
  ASSERT_TRUE(r.has_value());
  const auto& c = std::get<ConnectResponse>(*r);
  EXPECT_EQ(c.transaction_id, 9u);
  EXPECT_EQ(c.connection_id, 0xfedcba9876543210u);
  EXPECT_EQ(encode_connect_response(9, 1, std::span<std::uint8_t>(out.data(), 15)), 0u);
}

TEST(UdpResponse, AnnounceRoundTripPerFamily) {
  std::vector<PeerInfo> peers = {peer("1.2.3.4:80"), peer("[2001:db8::7]:6881"),
                                 peer("10.9.8.7:65535")};
  const PeerList list(peers);
  Bytes out(200);
  std::size_t n = encode_announce_response(3, 1800, 10, 20, list.view(), Family::v4, out);
  ASSERT_EQ(n, 20u + 2 * 6);
  auto r = parse_response(std::span(out.data(), n), Family::v4);
  ASSERT_TRUE(r.has_value());
  const auto& a = std::get<AnnounceResponse>(*r);
  EXPECT_EQ(a.transaction_id, 3u);
  EXPECT_EQ(a.interval, 1800u);
  EXPECT_EQ(a.leechers, 10u);
  EXPECT_EQ(a.seeders, 20u);
  ASSERT_EQ(a.peer_count(), 2u);
  EXPECT_EQ(a.peer(0), peers[0].endpoint);
  EXPECT_EQ(a.peer(1), peers[2].endpoint);

  n = encode_announce_response(4, 60, 0, 1, list.view(), Family::v6, out);
  ASSERT_EQ(n, 20u + 18);
  auto r6 = parse_response(std::span(out.data(), n), Family::v6);
  ASSERT_TRUE(r6.has_value());
  const auto& a6 = std::get<AnnounceResponse>(*r6);
  ASSERT_EQ(a6.peer_count(), 1u);
  EXPECT_EQ(a6.peer(0), peers[1].endpoint);

  EXPECT_EQ(
      encode_announce_response(4, 60, 0, 1, list.view(), Family::v6, std::span(out.data(), 37)),
      0u);
  EXPECT_EQ(parse_response(std::span(out.data(), 20 + 17), Family::v6).error(),
            ResponseError::bad_peer_list);
  EXPECT_EQ(parse_response(std::span(out.data(), 19), Family::v6).error(),
            ResponseError::truncated);
}

TEST(UdpResponse, ScrapeRoundTrip) {
  std::vector<ScrapeStats> stats = {{1, 2, 3}, {4, 5, 6}};
  Bytes out(32);
  ASSERT_EQ(encode_scrape_response(77, stats, out), 32u);
  auto r = parse_response(out, Family::v4);
  ASSERT_TRUE(r.has_value());
  const auto& s = std::get<ScrapeResponse>(*r);
  EXPECT_EQ(s.transaction_id, 77u);
  ASSERT_EQ(s.count(), 2u);
  EXPECT_EQ(s.at(1).seeders, 4u);
  EXPECT_EQ(s.at(1).completed, 5u);
  EXPECT_EQ(s.at(1).leechers, 6u);
  EXPECT_EQ(encode_scrape_response(77, stats, std::span(out.data(), 31)), 0u);
  EXPECT_EQ(parse_response(std::span(out.data(), 31), Family::v4).error(),
            ResponseError::truncated);
}

TEST(UdpResponse, ErrorRoundTripAndServerErrorFlow) {
  Bytes packet = encode(sample_announce());
  packet.resize(60);
  auto e = error_of(packet);
  ASSERT_TRUE(e.sendable);
  Bytes out(64);
  std::size_t n = encode_error_response(e.transaction_id, e.message, out);
  ASSERT_EQ(n, 8 + e.message.size());
  auto r = parse_response(std::span(out.data(), n), Family::v4);
  ASSERT_TRUE(r.has_value());
  const auto& err = std::get<ErrorResponse>(*r);
  EXPECT_EQ(err.transaction_id, 0xcafebabeu);
  EXPECT_EQ(err.message, "malformed announce");
  EXPECT_EQ(encode_error_response(1, "xyz", std::span(out.data(), 10)), 0u);
}

TEST(UdpResponse, Errors) {
  EXPECT_EQ(parse_response(Bytes(7), Family::v4).error(), ResponseError::truncated);
  Bytes p(16);
  p[3] = 9;
  EXPECT_EQ(parse_response(p, Family::v4).error(), ResponseError::unknown_action);
  p[3] = 0;
  EXPECT_EQ(parse_response(std::span(p.data(), 15), Family::v4).error(), ResponseError::truncated);
}

TEST(UdpResponse, EveryTruncationIsClean) {
  std::vector<PeerInfo> peers = {peer("1.2.3.4:80"), peer("5.6.7.8:81")};
  const PeerList list(peers);
  Bytes out(64);
  std::size_t n = encode_announce_response(1, 2, 3, 4, list.view(), Family::v4, out);
  for (std::size_t k = 0; k < n; ++k) {
    auto r = parse_response(std::span(out.data(), k), Family::v4);
    if (r.has_value()) {
      EXPECT_EQ((k - 20) % 6, 0u);
    }
  }
}
