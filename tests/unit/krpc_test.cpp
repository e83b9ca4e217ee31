#include "codec/krpc.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "support/endpoints.hpp"

using namespace cairn;
using namespace cairn::codec::krpc;

namespace {

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string as_string(const std::vector<std::uint8_t>& v, std::size_t n) {
  return std::string(reinterpret_cast<const char*>(v.data()), n);
}

const std::string kId = "abcdefghij0123456789";
const std::string kOther = "mnopqrstuvwxyz123456";

std::string encode(const Query& q) {
  std::vector<std::uint8_t> buf(kMaxPacket);
  auto n = encode_query(q, buf);
  EXPECT_GT(n, 0u);
  return as_string(buf, n);
}

std::string encode(const Reply& r) {
  std::vector<std::uint8_t> buf(kMaxPacket);
  auto n = encode_reply(r, buf);
  EXPECT_GT(n, 0u);
  return as_string(buf, n);
}

Message decoded(std::string_view packet) {
  auto m = decode(bytes(packet));
  EXPECT_TRUE(m.has_value()) << packet;
  return m.has_value() ? *m : Message{};
}

DecodeFailure failure(std::string_view packet) {
  auto m = decode(bytes(packet));
  EXPECT_FALSE(m.has_value()) << packet;
  return m.has_value() ? DecodeFailure{} : m.error();
}

Query ping_query(std::string_view version = kVersion) {
  Query q;
  q.transaction = "aa";
  q.method = Method::ping;
  q.id = kId;
  q.version = version;
  return q;
}

std::vector<Query> sample_queries() {
  std::vector<Query> qs;
  Query ping = ping_query();
  qs.push_back(ping);
  Query find = ping;
  find.method = Method::find_node;
  find.target = kOther;
  find.want_n4 = find.want_n6 = true;
  qs.push_back(find);
  Query get = ping;
  get.method = Method::get_peers;
  get.info_hash = kOther;
  get.want_n6 = true;
  get.read_only = true;
  qs.push_back(get);
  Query announce = ping;
  announce.method = Method::announce_peer;
  announce.info_hash = kOther;
  announce.token = "aoeusnth";
  announce.port = 6881;
  announce.implied_port = true;
  announce.seed = true;
  qs.push_back(announce);
  Query unknown = ping;
  unknown.method = Method::unknown;
  unknown.method_name = "sample_infohashes";
  unknown.target = kOther;
  qs.push_back(unknown);
  return qs;
}

Reply sample_reply() {
  static std::string nodes(2 * kNodeSize4, 'n'), nodes6(kNodeSize6, 'N');
  static std::string values = std::string("\x7f\x00\x00\x01\x1a\xe1\x0a\x00\x00\x02\x00\x50", 12);
  Reply r;
  r.transaction = "xy";
  r.requester = test::v4(7, 4242);
  r.id = kId;
  r.nodes = nodes;
  r.nodes6 = nodes6;
  r.token = "tok";
  r.values = values;
  r.value_size = 6;
  return r;
}

}  // namespace

// The example packets of BEP 5, byte for byte.
TEST(Krpc, DecodesTheExamplesOfBep5) {
  auto ping = decoded("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
  EXPECT_EQ(ping.type, Type::query);
  EXPECT_EQ(ping.method, Method::ping);
  EXPECT_EQ(ping.transaction, "aa");
  EXPECT_EQ(ping.id, kId);

  auto find = decoded(
      "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:"
      "qe");
  EXPECT_EQ(find.method, Method::find_node);
  EXPECT_EQ(find.target, kOther);
  EXPECT_FALSE(find.want_present);

  auto get = decoded(
      "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:"
      "y1:qe");
  EXPECT_EQ(get.method, Method::get_peers);
  EXPECT_EQ(get.info_hash, kOther);

  auto announce = decoded(
      "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:"
      "porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe");
  EXPECT_EQ(announce.method, Method::announce_peer);
  EXPECT_EQ(announce.port, 6881);
  EXPECT_TRUE(announce.implied_port);
  EXPECT_EQ(announce.token, "aoeusnth");

  auto values = decoded(
      "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re");
  EXPECT_EQ(values.type, Type::response);
  EXPECT_EQ(values.value_count, 2u);
  std::vector<core::Endpoint> peers;
  for_each_value(values, [&](const core::Endpoint& e) { peers.push_back(e); });
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers[0].to_string(), "97.120.106.101:11893");  // "axje.u"

  auto error = decoded("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee");
  EXPECT_EQ(error.type, Type::error);
  EXPECT_EQ(error.error_code, 201);
  EXPECT_EQ(error.error_message, "A Generic Error Ocurred");
}

TEST(Krpc, EncodesThePingOfBep5ByteForByte) {
  EXPECT_EQ(encode(ping_query("")), "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
  Reply r;
  r.transaction = "aa";
  r.requester = test::v4(1, 2);
  r.id = kOther;
  r.version = "";
  EXPECT_EQ(encode(r), std::string("d2:ip6:\x0a\x00\x00\x01\x00\x02", 13) +
                           "1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re");
}

TEST(Krpc, QueriesRoundTrip) {
  for (const Query& q : sample_queries()) {
    auto packet = encode(q);
    auto m = decoded(packet);
    EXPECT_EQ(m.type, Type::query);
    EXPECT_EQ(m.transaction, q.transaction);
    EXPECT_EQ(m.method, q.method);
    EXPECT_EQ(m.method_name, q.method == Method::unknown ? q.method_name : method_name(q.method));
    EXPECT_EQ(m.id, q.id);
    EXPECT_EQ(m.target, q.target);
    EXPECT_EQ(m.info_hash, q.info_hash);
    EXPECT_EQ(m.token, q.token);
    EXPECT_EQ(m.implied_port, q.implied_port);
    EXPECT_EQ(m.seed, q.seed);
    EXPECT_EQ(m.read_only, q.read_only);
    EXPECT_EQ(m.want_present, q.want_n4 || q.want_n6);
    EXPECT_EQ(m.want_n4, q.want_n4);
    EXPECT_EQ(m.want_n6, q.want_n6);
    EXPECT_EQ(m.version, kVersion);
    if (q.method == Method::announce_peer) {
      EXPECT_EQ(m.port, q.port);
    }
  }
}

TEST(Krpc, RepliesRoundTrip) {
  Reply r = sample_reply();
  const auto packet = encode(r);  // the message's views point into it
  auto m = decoded(packet);
  EXPECT_EQ(m.type, Type::response);
  EXPECT_EQ(m.transaction, "xy");
  EXPECT_EQ(m.id, kId);
  EXPECT_EQ(m.nodes, *r.nodes);
  EXPECT_EQ(m.nodes6, *r.nodes6);
  EXPECT_EQ(m.token, "tok");
  EXPECT_EQ(m.version, kVersion);
  EXPECT_EQ(parse_compact_endpoint(m.ip), r.requester);
  std::vector<std::string> peers;
  for_each_value(m, [&](const core::Endpoint& e) { peers.push_back(e.to_string()); });
  EXPECT_EQ(peers, (std::vector<std::string>{"127.0.0.1:6881", "10.0.0.2:80"}));

  Reply v6;
  v6.transaction = "t";
  v6.requester = test::v6(9, 6881);
  v6.id = kId;
  std::string peer(18, '\0');
  test::v6(3, 51413).write_compact(reinterpret_cast<std::uint8_t*>(peer.data()));
  v6.values = peer;
  v6.value_size = 18;
  const auto packet6 = encode(v6);
  auto m6 = decoded(packet6);
  EXPECT_EQ(m6.ip.size(), 18u);
  EXPECT_TRUE(m6.nodes.empty());
  EXPECT_TRUE(m6.token.empty());
  peers.clear();
  for_each_value(m6, [&](const core::Endpoint& e) { peers.push_back(e.to_string()); });
  EXPECT_EQ(peers, (std::vector<std::string>{test::v6(3, 51413).to_string()}));
}

TEST(Krpc, ErrorsRoundTrip) {
  std::vector<std::uint8_t> buf(kMaxPacket);
  auto n = encode_error("ab", ErrorCode::protocol, "Protocol Error", test::v4(1, 1), buf);
  const auto packet = as_string(buf, n);
  auto m = decoded(packet);
  EXPECT_EQ(m.type, Type::error);
  EXPECT_EQ(m.transaction, "ab");
  EXPECT_EQ(m.error_code, 203);
  EXPECT_EQ(m.error_message, "Protocol Error");
  EXPECT_EQ(m.ip.size(), 6u);
}

TEST(Krpc, ReplySizePredictsTheEncoding) {
  Reply r = sample_reply();
  std::vector<std::uint8_t> buf(kMaxPacket);
  EXPECT_EQ(encode_reply(r, buf), reply_size(r) + 2 * value_cost(6));
  r.value_size = 0;
  EXPECT_EQ(encode_reply(r, buf), reply_size(r));
  EXPECT_EQ(value_cost(6), 8u);    // "6:" and 6 bytes
  EXPECT_EQ(value_cost(18), 21u);  // "18:" and 18 bytes
}

TEST(Krpc, EncodersNeverWritePastTheBuffer) {
  Reply r = sample_reply();
  const auto full = encode(r);
  for (std::size_t size = 0; size < full.size(); ++size) {
    std::vector<std::uint8_t> buf(size + 8, 0xEE);
    EXPECT_EQ(encode_reply(r, std::span(buf).first(size)), 0u) << size;
    for (std::size_t i = size; i < buf.size(); ++i) ASSERT_EQ(buf[i], 0xEE);
  }
  const auto q = encode(sample_queries()[3]);
  std::vector<std::uint8_t> small(q.size() - 1);
  EXPECT_EQ(encode_query(sample_queries()[3], small), 0u);
}

TEST(Krpc, EveryTruncationIsRefused) {
  std::vector<std::string> packets;
  for (const Query& q : sample_queries()) packets.push_back(encode(q));
  packets.push_back(encode(sample_reply()));
  for (const auto& p : packets)
    for (std::size_t n = 0; n < p.size(); ++n) {
      auto m = decode(bytes(std::string_view(p).substr(0, n)));
      ASSERT_FALSE(m.has_value()) << n << " of " << p;
      EXPECT_FALSE(m.error().sendable()) << n << " of " << p;
    }
}

TEST(Krpc, GarbageIsNeverAnswerable) {
  EXPECT_EQ(failure("").error, DecodeError::not_bencode);
  EXPECT_EQ(failure("le").error, DecodeError::not_bencode);
  EXPECT_EQ(failure("i1e").error, DecodeError::not_bencode);
  EXPECT_FALSE(failure("d1:t2:aa1:y1:qe1:x").sendable());  // trailing bytes
  EXPECT_EQ(failure(std::string(kMaxPacket + 1, 'd')).error, DecodeError::too_large);
  // No usable "t": nothing to answer with.
  EXPECT_EQ(failure("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:y1:qe").error,
            DecodeError::no_transaction);
  EXPECT_EQ(failure("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t0:1:y1:qe").error,
            DecodeError::no_transaction);
  EXPECT_EQ(failure("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:ti1e1:y1:qe").error,
            DecodeError::no_transaction);
  EXPECT_EQ(
      failure("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t17:aaaaaaaaaaaaaaaaa1:y1:qe").error,
      DecodeError::no_transaction);
  // No or an unknown "y".
  EXPECT_EQ(failure("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aae").error,
            DecodeError::bad_type);
  EXPECT_FALSE(failure("d1:t2:aa1:y1:xe").sendable());
}

TEST(Krpc, BadArgumentsOfAQueryMayBeAnswered) {
  auto bad = [](std::string_view packet) {
    auto f = failure(packet);
    EXPECT_EQ(f.error, DecodeError::bad_argument) << packet;
    EXPECT_TRUE(f.sendable()) << packet;
    EXPECT_EQ(f.transaction, "aa") << packet;
  };
  bad("d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe");                         // short id
  bad("d1:ade1:q4:ping1:t2:aa1:y1:qe");                                  // no id
  bad("d1:q4:ping1:t2:aa1:y1:qe");                                       // no "a"
  bad("d1:ali1ee1:q4:ping1:t2:aa1:y1:qe");                               // "a" not a dict
  bad("d1:ad2:id20:abcdefghij0123456789e1:t2:aa1:y1:qe");                // no "q"
  bad("d1:ad2:id20:abcdefghij0123456789e1:q9:find_node1:t2:aa1:y1:qe");  // no target
  bad("d1:ad2:id20:abcdefghij01234567896:target3:abce1:q9:find_node1:t2:aa1:y1:qe");
  bad("d1:ad2:id20:abcdefghij0123456789e1:q9:get_peers1:t2:aa1:y1:qe");  // no info_hash
  const std::string announce = "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456";
  bad(announce + "4:porti6881ee1:q13:announce_peer1:t2:aa1:y1:qe");             // no token
  bad(announce + "5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe");               // no port
  bad(announce + "4:porti0e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe");      // port 0
  bad(announce + "4:porti65536e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe");  // too big
  bad(announce + "4:port4:68815:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe");   // not int
  bad(announce + "4:porti1e5:token33:" + std::string(33, 'x') +
      "e1:q13:announce_peer1:t2:aa1:y1:qe");  // token too long
  // "t" after the bad argument still counts.
  bad("d1:ad2:id1:xe1:q4:ping1:t2:aa1:y1:qe");
}

TEST(Krpc, RepliesWithBadFieldsAreRefusedSilently) {
  auto f = failure("d1:rd2:id20:abcdefghij01234567895:nodes3:abce1:t2:aa1:y1:re");
  EXPECT_EQ(f.error, DecodeError::bad_argument);
  EXPECT_FALSE(f.sendable());
  EXPECT_FALSE(
      failure("d1:rd2:id20:abcdefghij01234567896:valuesl3:abcee1:t2:aa1:y1:re").sendable());
  EXPECT_FALSE(failure("d1:rde1:t2:aa1:y1:re").sendable());  // no id
  // An error with its code only is fine; one without a code is not.
  EXPECT_TRUE(decode(bytes("d1:eli201ee1:t2:aa1:y1:ee")).has_value());
  EXPECT_FALSE(decode(bytes("d1:el4:oopse1:t2:aa1:y1:ee")).has_value());
}

TEST(Krpc, ToleratesWhatRealClientsSend) {
  // Unsorted keys, unknown keys (also nested), "want" with unknown flags,
  // an "ip" of a size no one uses (ignored), "v" of any bytes.
  auto m = decoded(
      "d1:y1:q1:t4:\x01\x02\x03\x04"
      "1:q9:find_node1:v4:LT\x01\x02"
      "1:xd1:yl1:zee2:ip3:abc1:ad6:target20:mnopqrstuvwxyz1234562:id20:abcdefghij01234567894:"
      "wantl2:n62:xxi5ee5:extrali1eeee");
  EXPECT_EQ(m.method, Method::find_node);
  EXPECT_EQ(m.transaction, "\x01\x02\x03\x04");
  EXPECT_TRUE(m.want_present);
  EXPECT_FALSE(m.want_n4);
  EXPECT_TRUE(m.want_n6);
  EXPECT_TRUE(m.ip.empty());
  EXPECT_EQ(m.version, "LT\x01\x02");
  // Unknown methods decode; the server answers them with 204.
  auto u = decoded("d1:ad2:id20:abcdefghij0123456789e1:q3:get1:t2:aa1:y1:qe");
  EXPECT_EQ(u.method, Method::unknown);
  EXPECT_EQ(u.method_name, "get");
  // BEP 43: ro=1 marks a read-only node.
  EXPECT_TRUE(decoded("d1:ad2:id20:abcdefghij0123456789e1:q4:ping2:roi1e1:t2:aa1:y1:qe").read_only);
}

TEST(Krpc, NestingAndItemLimits) {
  const std::string head = "d1:ad2:id20:abcdefghij01234567895:extra";
  const std::string tail = "e1:q4:ping1:t2:aa1:y1:qe";
  EXPECT_TRUE(decode(bytes(head + "llee" + tail)).has_value());  // depth 4
  EXPECT_FALSE(decode(bytes(head + "llleee" + tail)).has_value());
  std::string many = head + "l";
  for (std::size_t i = 0; i < kMaxItems; ++i) many += "i1e";
  many += "e" + tail;
  auto f = decode(bytes(many));
  ASSERT_FALSE(f.has_value());
  EXPECT_FALSE(f.error().sendable());
}

TEST(Krpc, CompactForms) {
  std::uint8_t buf[kNodeSize6];
  EXPECT_EQ(write_compact_node(kId, test::v4(1, 80), buf), kNodeSize4);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 20), kId);
  EXPECT_EQ(parse_compact_endpoint(std::string_view(reinterpret_cast<char*>(buf) + 20, 6)),
            test::v4(1, 80));
  EXPECT_EQ(write_compact_node(kId, test::v6(1, 80), buf), kNodeSize6);
  EXPECT_EQ(parse_compact_endpoint(std::string_view(reinterpret_cast<char*>(buf) + 20, 18)),
            test::v6(1, 80));
  EXPECT_FALSE(parse_compact_endpoint("abcde"));
}

TEST(Krpc, RandomInputNeverCrashes) {
  std::mt19937 rng(7);
  std::vector<std::string> seeds;
  for (const Query& q : sample_queries()) seeds.push_back(encode(q));
  seeds.push_back(encode(sample_reply()));
  for (int i = 0; i < 20000; ++i) {
    std::string p = seeds[rng() % seeds.size()];
    for (int k = 1 + static_cast<int>(rng() % 4); k > 0; --k) {
      const auto at = rng() % p.size();
      switch (rng() % 3) {
        case 0:
          p[at] = static_cast<char>(rng());
          break;
        case 1:
          p.erase(at, 1 + rng() % 4);
          break;
        default:
          p.insert(at, 1, "ilde0123456789:"[rng() % 15]);
      }
      if (p.empty()) p.push_back('d');
    }
    auto m = decode(bytes(p));
    if (m.has_value()) for_each_value(*m, [](const core::Endpoint&) {});
  }
}
