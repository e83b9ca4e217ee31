// The DHT node end to end on bytes: queries in, replies out, with a real
// memory store behind the bridge and time moved by hand.
#include "frontend/dht/dht.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <set>
#include <string>
#include <vector>

#include "store/memory/memory_store.hpp"
#include "support/endpoints.hpp"
#include "support/store_results.hpp"

using namespace cairn;
using namespace cairn::tracker::dht;
using namespace cairn::frontend::dht;
namespace krpc = cairn::codec::krpc;

namespace {

core::Endpoint endpoint(std::string_view text) { return *core::Endpoint::parse(text); }

NodeId valid_id(const core::Endpoint& at, std::uint8_t seed) {
  std::array<std::uint8_t, 20> r;
  for (std::size_t i = 0; i < r.size(); ++i) r[i] = static_cast<std::uint8_t>(seed * 31 + i * 7);
  return bep42_id(at.address, r);
}

const core::InfoHash kHash = *core::InfoHash::from_hex("0123456789abcdef0123456789abcdef01234567");

struct Sent {
  std::string bytes;  // the reply; the message's views point into it
  krpc::Message m;
  Outcome outcome = Outcome::garbage;
  bool answered() const { return !bytes.empty(); }
};

class DhtTest : public ::testing::Test {
 protected:
  DhtTest() { make(true); }

  void make(bool bridge) {
    DhtPolicy p = policy;
    p.bridge = bridge;
    dht = std::make_unique<Dht>(p, own, &tracker);
  }

  krpc::Query query(krpc::Method method, const NodeId& id) {
    krpc::Query q;
    q.transaction = "tx";
    q.method = method;
    q.id = query_ids.emplace_back(id.view());  // a view each query keeps: never moved
    return q;
  }

  Sent send_bytes(std::string_view packet, const core::Endpoint& from) {
    Sent s;
    std::vector<std::uint8_t> out(krpc::kMaxPacket);
    const auto n =
        dht->handle({reinterpret_cast<const std::uint8_t*>(packet.data()), packet.size()}, from,
                    now, now * 1000, worker, access, out, s.outcome);
    s.bytes.assign(reinterpret_cast<const char*>(out.data()), n);
    if (n != 0) {
      auto m = krpc::decode({reinterpret_cast<const std::uint8_t*>(s.bytes.data()), n});
      EXPECT_TRUE(m.has_value()) << "the node's own reply does not decode";
      if (m.has_value()) s.m = *m;
    }
    return s;
  }

  Sent send(const krpc::Query& q, const core::Endpoint& from) {
    std::vector<std::uint8_t> buf(krpc::kMaxPacket);
    const auto n = krpc::encode_query(q, buf);
    return send_bytes({reinterpret_cast<const char*>(buf.data()), n}, from);
  }

  // A node pings, the delay passes, Cairn pings it back and it answers.
  void verify(const core::Endpoint& node, const NodeId& id) {
    const core::Seconds start = now;
    send(query(krpc::Method::ping, id), node);
    now = start + policy.verify_delay;
    std::array<PendingNode, 8> due;
    const auto n = worker.queue().take_due(now, due);
    ASSERT_EQ(n, 1u);
    ASSERT_EQ(due[0].endpoint, node);
    std::vector<std::uint8_t> ping(krpc::kMaxPacket);
    ping.resize(dht->encode_ping(due[0], now, ping));
    auto pinged = krpc::decode(ping);
    ASSERT_TRUE(pinged.has_value());
    EXPECT_EQ(pinged->method, krpc::Method::ping);
    EXPECT_EQ(pinged->id, own.view());
    EXPECT_EQ(pongs(node, id, pinged->transaction).outcome, Outcome::node_verified);
  }

  // A reply to one of Cairn's pings, from `from`.
  Sent pongs(const core::Endpoint& from, const NodeId& id, std::string_view transaction) {
    krpc::Reply r;
    r.transaction = transaction;
    r.requester = endpoint("192.0.2.1:6881");
    r.id = id.view();
    std::vector<std::uint8_t> buf(krpc::kMaxPacket);
    const auto n = krpc::encode_reply(r, buf);
    return send_bytes({reinterpret_cast<const char*>(buf.data()), n}, from);
  }

  void announce_to_tracker(const core::Endpoint& peer) {
    tracker::AnnounceRequest a;
    a.info_hash = kHash;
    a.endpoint = peer;
    a.now = now;
    core::PeerList handed_out;
    ASSERT_TRUE(tracker.announce(a, rng, handed_out, access));
  }

  std::string token_for(const core::Endpoint& from) {
    auto q = query(krpc::Method::get_peers, valid_id(from, 9));
    q.info_hash = kHash.view();
    auto s = send(q, from);
    return std::string(s.m.token);
  }

  DhtPolicy policy{.verify_delay = 10,
                   .verify_queue = 64,
                   .max_nodes = 256,
                   .nodes_per_reply = 8,
                   .handouts_per_minute = 0,
                   .bridge = true};
  NodeId own = valid_id(endpoint("198.51.100.1:6881"), 1);
  store::MemoryStore store{store::Limits{}};
  tracker::MemoryGuard memory;
  tracker::Tracker tracker{tracker::Policy{}, store, memory};
  tracker::AccessList open{tracker::AccessMode::off, {}};
  tracker::AccessView access{open};
  std::unique_ptr<Dht> dht;
  DhtWorker worker{policy, 1, 42};
  core::Rng rng{3};
  std::vector<core::PeerInfo> peers;
  core::Seconds now = 1000;
  std::deque<std::string> query_ids;  // the bytes of every query's id
};

const core::Endpoint kA = endpoint("203.0.113.10:6881");
const core::Endpoint kB = endpoint("203.0.113.20:51413");
const core::Endpoint kA6 = endpoint("[2001:db8:1::10]:6881");

}  // namespace

TEST_F(DhtTest, PingIsAnsweredWithOurIdTheRequestersAddressAndAVersion) {
  auto s = send(query(krpc::Method::ping, valid_id(kA, 1)), kA);
  EXPECT_EQ(s.outcome, Outcome::ping);
  EXPECT_EQ(s.m.type, krpc::Type::response);
  EXPECT_EQ(s.m.transaction, "tx");
  EXPECT_EQ(s.m.id, own.view());
  EXPECT_EQ(krpc::parse_compact_endpoint(s.m.ip), kA);
  EXPECT_EQ(s.m.version, krpc::kVersion);
}

TEST_F(DhtTest, UnknownMethodsGet204) {
  auto q = query(krpc::Method::unknown, valid_id(kA, 1));
  q.method_name = "sample_infohashes";
  q.target = kHash.view();
  auto s = send(q, kA);
  EXPECT_EQ(s.outcome, Outcome::unknown_method);
  EXPECT_EQ(s.m.type, krpc::Type::error);
  EXPECT_EQ(s.m.error_code, 204);
  EXPECT_EQ(s.m.error_message, "method unknown");
  EXPECT_EQ(s.m.transaction, "tx");
  EXPECT_EQ(krpc::parse_compact_endpoint(s.m.ip), kA);
}

TEST_F(DhtTest, BadArgumentsGet203) {
  auto q = query(krpc::Method::find_node, valid_id(kA, 1));  // no target
  q.info_hash = kHash.view();  // long enough a query for the error to be sent
  auto s = send(q, kA);
  EXPECT_EQ(s.outcome, Outcome::bad_query);
  EXPECT_EQ(s.m.error_code, 203);
  EXPECT_EQ(s.m.error_message, "invalid arguments");
}

TEST_F(DhtTest, NoErrorIsLargerThanItsQuery) {
  // A 203 with "ip" and "v" is about 60 bytes: a shorter bad query gets silence.
  auto s = send_bytes("d1:q4:ping1:t2:tx1:y1:qe", kA);  // no "a"
  EXPECT_EQ(s.outcome, Outcome::bad_query);
  EXPECT_FALSE(s.answered());
  auto u = send_bytes("d1:ad2:id20:abcdefghij0123456789e1:q1:x1:t2:tx1:y1:qe", kA);
  EXPECT_EQ(u.outcome, Outcome::unknown_method);
  EXPECT_FALSE(u.answered());
}

TEST_F(DhtTest, GarbageRepliesAndErrorsAreNeverAnswered) {
  for (std::string_view p : {"", "garbage", "d1:t2:tx1:y1:re", "i42e", "d1:y1:qe"}) {
    auto s = send_bytes(p, kA);
    EXPECT_FALSE(s.answered()) << p;
    EXPECT_EQ(s.outcome, Outcome::garbage) << p;
  }
  EXPECT_EQ(send_bytes("d1:eli201e3:oope1:t2:tx1:y1:ee", kA).outcome, Outcome::error_received);
  EXPECT_EQ(pongs(kA, valid_id(kA, 1), "tx").outcome, Outcome::reply_rejected);
}

TEST_F(DhtTest, ANodeIsHandedOutOnlyAfterItAnsweredOurPing) {
  const NodeId a = valid_id(kA, 1);
  auto find = query(krpc::Method::find_node, valid_id(kB, 2));
  find.target = a.view();
  send(query(krpc::Method::ping, a), kA);
  EXPECT_TRUE(send(find, kB).m.nodes.empty());  // queued, not verified
  std::array<PendingNode, 8> due;
  EXPECT_EQ(worker.queue().take_due(now + policy.verify_delay - 1, due), 0u);
  now += policy.verify_delay;
  // Both queried (A first): both are due.
  ASSERT_EQ(worker.queue().take_due(now, due), 2u);
  ASSERT_EQ(due[0].endpoint, kA);
  std::vector<std::uint8_t> ping(krpc::kMaxPacket);
  ping.resize(dht->encode_ping(due[0], now, ping));
  const std::string t(krpc::decode(ping)->transaction);
  // Not from the node pinged, not with its id, not our cookie: rejected.
  EXPECT_EQ(pongs(kB, a, t).outcome, Outcome::reply_rejected);
  EXPECT_EQ(pongs(endpoint("203.0.113.10:6882"), a, t).outcome, Outcome::reply_rejected);
  EXPECT_EQ(pongs(kA, valid_id(kA, 7), t).outcome, Outcome::reply_rejected);
  EXPECT_EQ(pongs(kA, a, "nope").outcome, Outcome::reply_rejected);
  EXPECT_TRUE(send(find, kB).m.nodes.empty());
  // Too late: the cookie lived its two slots.
  const core::Seconds pinged = now;
  now = pinged + 2 * PingCookies::kSlotSeconds;
  EXPECT_EQ(pongs(kA, a, t).outcome, Outcome::reply_rejected);
  now = pinged + 1;
  EXPECT_EQ(pongs(kA, a, t).outcome, Outcome::node_verified);
  auto s = send(find, kB);
  ASSERT_EQ(s.m.nodes.size(), krpc::kNodeSize4);
  EXPECT_EQ(s.m.nodes.substr(0, 20), a.view());
  EXPECT_EQ(krpc::parse_compact_endpoint(s.m.nodes.substr(20)), kA);
}

TEST_F(DhtTest, NodesWhoseIdDoesNotFitTheirAddressAreNotPinged) {
  NodeId wrong = valid_id(kA, 1);
  wrong.bytes[0] ^= 0x80;
  EXPECT_EQ(send(query(krpc::Method::ping, wrong), kA).outcome, Outcome::ping);  // still served
  EXPECT_EQ(worker.queue().size(), 0u);
  // Local addresses are exempt (BEP 42): any id.
  send(query(krpc::Method::ping, wrong), endpoint("127.0.0.2:6881"));
  EXPECT_EQ(worker.queue().size(), 1u);
}

TEST_F(DhtTest, ReadOnlyNodesAreServedButNeverStored) {
  auto q = query(krpc::Method::ping, valid_id(kA, 1));
  q.read_only = true;
  EXPECT_EQ(send(q, kA).outcome, Outcome::ping);
  EXPECT_EQ(worker.queue().size(), 0u);
}

TEST_F(DhtTest, FindNodeGivesTheClosestInTheFamiliesWanted) {
  std::vector<NodeId> ids;
  for (std::uint8_t i = 0; i < 12; ++i) {
    const auto ep = endpoint("203.0.113." + std::to_string(100 + i) + ":6881");
    ids.push_back(valid_id(ep, i));
    verify(ep, ids.back());
  }
  const NodeId six = valid_id(kA6, 3);
  verify(kA6, six);
  auto find = query(krpc::Method::find_node, valid_id(kB, 2));
  find.target = ids[5].view();
  auto s = send(find, kB);
  EXPECT_EQ(s.outcome, Outcome::find_node);
  ASSERT_EQ(s.m.nodes.size(), 8 * krpc::kNodeSize4);  // nodes_per_reply
  EXPECT_EQ(s.m.nodes.substr(0, 20), ids[5].view());  // the target itself is closest
  EXPECT_TRUE(s.m.nodes6.empty());
  find.want_n6 = true;  // BEP 32: only what is wanted
  s = send(find, kB);
  EXPECT_TRUE(s.m.nodes.empty());
  ASSERT_EQ(s.m.nodes6.size(), krpc::kNodeSize6);
  EXPECT_EQ(s.m.nodes6.substr(0, 20), six.view());
  find.want_n4 = true;
  s = send(find, kB);
  EXPECT_EQ(s.m.nodes.size(), 8 * krpc::kNodeSize4);
  EXPECT_EQ(s.m.nodes6.size(), krpc::kNodeSize6);
  find.want_n4 = find.want_n6 = false;  // no want over IPv6: nodes6
  s = send(find, endpoint("[2001:db8:2::2]:1"));
  EXPECT_TRUE(s.m.nodes.empty());
  EXPECT_EQ(s.m.nodes6.size(), krpc::kNodeSize6);
}

TEST_F(DhtTest, GetPeersReturnsTheTrackersSwarmAndAToken) {
  announce_to_tracker(endpoint("192.0.2.7:6881"));
  announce_to_tracker(endpoint("[2001:db8::7]:6881"));
  auto q = query(krpc::Method::get_peers, valid_id(kA, 1));
  q.info_hash = kHash.view();
  auto s = send(q, kA);
  EXPECT_EQ(s.outcome, Outcome::get_peers);
  EXPECT_EQ(s.m.token.size(), 8u);
  std::vector<core::Endpoint> values;
  krpc::for_each_value(s.m, [&](const core::Endpoint& e) { values.push_back(e); });
  EXPECT_EQ(values, std::vector<core::Endpoint>{endpoint("192.0.2.7:6881")});  // its own family
  auto s6 = send(q, kA6);
  values.clear();
  krpc::for_each_value(s6.m, [&](const core::Endpoint& e) { values.push_back(e); });
  EXPECT_EQ(values, std::vector<core::Endpoint>{endpoint("[2001:db8::7]:6881")});
  // No peers: no "values" key at all.
  q.info_hash = own.view();
  EXPECT_FALSE(send(q, kA).m.has_values);
}

TEST_F(DhtTest, GetPeersStaysUnder1200Bytes) {
  for (std::uint32_t i = 0; i < 400; ++i) {
    announce_to_tracker(test::v4(i));
    announce_to_tracker(test::v6(i));
  }
  for (std::uint8_t i = 0; i < 16; ++i) {  // and full node lists of both families
    const auto ep4 = endpoint("203.0.113." + std::to_string(100 + i) + ":6881");
    verify(ep4, valid_id(ep4, i));
    const auto ep6 = endpoint("[2001:db8:3::" + std::to_string(100 + i) + "]:6881");
    verify(ep6, valid_id(ep6, i));
  }
  auto q = query(krpc::Method::get_peers, valid_id(kA, 1));
  q.info_hash = kHash.view();
  q.want_n4 = q.want_n6 = true;
  for (const auto& from : {kA, kA6}) {
    auto s = send(q, from);
    EXPECT_LE(s.bytes.size(), kMaxReply);
    const std::size_t each = krpc::value_cost(from.family() == core::Family::v4 ? 6 : 18);
    EXPECT_GT(s.bytes.size() + each, kMaxReply) << "room left for another value";
    EXPECT_GT(s.m.value_count, 10u);
    EXPECT_EQ(s.m.nodes.size(), kGetPeersNodes * krpc::kNodeSize4);
    EXPECT_EQ(s.m.nodes6.size(), kGetPeersNodes * krpc::kNodeSize6);
  }
}

TEST_F(DhtTest, GetPeersNeverReturnsARefusedTorrent) {
  announce_to_tracker(endpoint("192.0.2.7:6881"));
  tracker::AccessList black(tracker::AccessMode::blacklist, tracker::InfoHashSet{kHash});
  tracker::AccessView view(black);
  auto q = query(krpc::Method::get_peers, valid_id(kA, 1));
  q.info_hash = kHash.view();
  std::vector<std::uint8_t> buf(krpc::kMaxPacket), out(krpc::kMaxPacket);
  buf.resize(krpc::encode_query(q, buf));
  Outcome outcome;
  const auto n = dht->handle(buf, kA, now, now * 1000, worker, view, out, outcome);
  auto m = krpc::decode(std::span(out).first(n));
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->has_values);
  EXPECT_FALSE(m->token.empty());
}

TEST_F(DhtTest, AnnouncePeerJoinsTheTrackersSwarm) {
  auto q = query(krpc::Method::announce_peer, valid_id(kA, 1));
  q.info_hash = kHash.view();
  const std::string token = token_for(kA);
  q.token = token;
  q.port = 7777;
  auto s = send(q, kA);
  EXPECT_EQ(s.outcome, Outcome::announce_peer);
  EXPECT_EQ(s.m.type, krpc::Type::response);
  EXPECT_EQ(store.scrape(kHash), (store::SwarmCounts{0, 1, 0}));
  store.lookup(store::Lookup{kHash, 10, true, true, 1}, peers);
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].endpoint, endpoint("203.0.113.10:7777"));
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(peers[0].peer_id.bytes.data()), 4),
            "-DH-");
  // implied_port: the packet's source port; seed: a seeder (BEP 33).
  q.implied_port = true;
  q.seed = true;
  send(q, kA);
  EXPECT_EQ(store.scrape(kHash), (store::SwarmCounts{1, 1, 0}));
  store.lookup(store::Lookup{kHash, 10, true, true, 1}, peers);
  std::set<core::Endpoint> eps;
  for (const auto& p : peers) eps.insert(p.endpoint);
  EXPECT_TRUE(eps.count(kA));
}

TEST_F(DhtTest, AnnouncePeerNeedsATokenGivenToItsAddress) {
  auto q = query(krpc::Method::announce_peer, valid_id(kA, 1));
  q.info_hash = kHash.view();
  q.port = 7777;
  q.token = "12345678";
  auto s = send(q, kA);
  EXPECT_EQ(s.outcome, Outcome::bad_token);
  EXPECT_EQ(s.m.error_code, 203);
  EXPECT_EQ(s.m.error_message, "bad token");
  const std::string b_token = token_for(kB);
  q.token = b_token;
  EXPECT_EQ(send(q, kA).outcome, Outcome::bad_token);  // someone else's
  EXPECT_EQ(store.scrape(kHash), store::SwarmCounts{});
}

TEST_F(DhtTest, TokensLastFiveToTenMinutes) {
  now = 300;  // the start of a 5-minute slot
  const std::string token = token_for(kA);
  auto q = query(krpc::Method::announce_peer, valid_id(kA, 1));
  q.info_hash = kHash.view();
  q.port = 7777;
  q.token = token;
  now = 899;
  EXPECT_EQ(send(q, kA).outcome, Outcome::announce_peer);
  now = 900;
  EXPECT_EQ(send(q, kA).outcome, Outcome::bad_token);
}

TEST_F(DhtTest, AnnounceOfARefusedTorrentGets201) {
  tracker::AccessList black(tracker::AccessMode::blacklist, tracker::InfoHashSet{kHash});
  tracker::AccessView view(black);
  auto q = query(krpc::Method::announce_peer, valid_id(kA, 1));
  q.info_hash = kHash.view();
  q.port = 7777;
  const std::string token = token_for(kA);
  q.token = token;
  std::vector<std::uint8_t> buf(krpc::kMaxPacket), out(krpc::kMaxPacket);
  buf.resize(krpc::encode_query(q, buf));
  Outcome outcome;
  const auto n = dht->handle(buf, kA, now, now * 1000, worker, view, out, outcome);
  EXPECT_EQ(outcome, Outcome::refused);
  auto m = krpc::decode(std::span(out).first(n));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->error_code, 201);
  EXPECT_EQ(m->error_message, "torrent not allowed");
  EXPECT_EQ(store.scrape(kHash), store::SwarmCounts{});
}

TEST_F(DhtTest, WithoutTheBridgeItIsAPureBootstrapNode) {
  make(false);
  EXPECT_FALSE(dht->bridging());
  announce_to_tracker(endpoint("192.0.2.7:6881"));
  auto q = query(krpc::Method::get_peers, valid_id(kA, 1));
  q.info_hash = kHash.view();
  auto s = send(q, kA);
  EXPECT_FALSE(s.m.has_values);
  EXPECT_EQ(s.m.token.size(), 8u);
  auto a = query(krpc::Method::announce_peer, valid_id(kA, 1));
  a.info_hash = kHash.view();
  a.port = 7777;
  const std::string token(s.m.token);
  a.token = token;
  EXPECT_EQ(send(a, kA).outcome, Outcome::announce_peer);  // accepted, not stored
  EXPECT_EQ(store.scrape(kHash), (store::SwarmCounts{0, 1, 0}));
}
