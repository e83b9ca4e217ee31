// The pure parts of the Redis Cluster client: key slots (against what
// Redis 7.0's own CLUSTER KEYSLOT answered), slot tags, the slot map read
// from CLUSTER SHARDS and CLUSTER SLOTS replies, the redirection decision,
// and the SHA-1 that names scripts.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codec/resp.hpp"
#include "store/redis/key_slot.hpp"
#include "store/redis/link.hpp"
#include "store/redis/redirect.hpp"
#include "store/redis/sha1.hpp"
#include "store/redis/slot_map.hpp"
#include "support/bytes.hpp"

namespace cairn::store::redis {
namespace {

using codec::resp::Node;
using codec::resp::Reply;

// A parsed reply that keeps its bytes.
struct Parsed {
  std::string bytes;
  std::vector<Node> nodes;
  explicit Parsed(std::string text) : bytes(std::move(text)) {
    const auto p = codec::resp::parse(bytes, 0, nodes);
    EXPECT_EQ(p.status, codec::resp::Status::complete) << bytes;
  }
  Reply reply() const { return {nodes.data(), bytes}; }
};

std::string bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

// --- key slots ---

TEST(KeySlot, MatchesRedisClusterKeyslot) {
  // `redis-cli CLUSTER KEYSLOT <key>` on redis-server 7.0.15.
  const std::vector<std::pair<std::string, std::uint16_t>> known = {
      {"", 0},        {"a", 15495},      {"foo", 12182},       {"{user1000}.following", 3443},
      {"{}x", 10595}, {"{{x}}y", 11068}, {"a{b}c{d}", 3300},   {"{", 4092},
      {"}", 12090},   {"x{}", 2608},     {"123456789", 12739},
  };
  for (const auto& [key, slot] : known) EXPECT_EQ(key_slot(key), slot) << key;
  // Binary keys (as hex here), same source.
  const std::vector<std::pair<std::string, std::uint16_t>> binary = {
      {"82b70eee7f1a5039bef07ec2347f066ed08f5dc7", 5864},
      {"2447e3404300", 7953},
      {"026b6e545594a065685d64c4980bb8d4544a8721a99a01ad219eb59c", 12634},
      {"a15ef6f15a1d830bb7ce09d6bbc004e7", 5243},
      {"5c64", 10224},
      {"7decb0b5", 2000},
      {"80ec37bc9712dd2e6aaeb94bae8d2f9fa29c5a284c9ef7521829cf1079", 2501},
      {"b080e9d74a1c10fcab6a4243d33656debe4c1ed79648e856", 6214},
      {"e8f9a2f58c95f0ce4b39c15bffad5c2dfb", 3636},
      {"b820b6119cba8ff887", 3557},
      {"96ae5b05f280a68ced93b6b28cb0d1b358e6baab485565b9f4", 7205},
      {"28d557d79a8a0e6451e1", 15073},
  };
  for (const auto& [hex, slot] : binary) {
    const std::string key = test::unhex(hex);
    EXPECT_EQ(key_slot(key), slot) << hex;
  }
  EXPECT_EQ(crc16("123456789"), 0x31c3);  // the XMODEM check value
}

TEST(KeySlot, HashTags) {
  EXPECT_EQ(hash_tag("{user1000}.following"), "user1000");
  EXPECT_EQ(hash_tag("foo{}{bar}"), "foo{}{bar}");  // an empty first tag: the whole key
  EXPECT_EQ(hash_tag("foo{{bar}}zap"), "{bar");
  EXPECT_EQ(hash_tag("foo{bar}{zap}"), "bar");
  EXPECT_EQ(hash_tag("no tag"), "no tag");
  EXPECT_EQ(hash_tag("open{only"), "open{only");
  EXPECT_EQ(key_slot("cairn:s{abc}"), key_slot("cairn:t{abc}"));
}

TEST(KeySlot, EverySlotHasATagInIt) {
  for (std::uint32_t slot = 0; slot < kSlots; ++slot) {
    const std::string_view tag = slot_tag(static_cast<std::uint16_t>(slot));
    ASSERT_FALSE(tag.empty());
    ASSERT_LE(tag.size(), 4u);
    ASSERT_EQ(key_slot("ns:c{" + std::string(tag) + "}"), slot);
  }
}

// --- slot maps ---

// Redis 7.0's CLUSTER SHARDS in RESP2: a shard is a key-value array.
std::string shard(std::string_view slots, std::vector<std::string> nodes) {
  std::string out = "*4\r\n" + bulk("slots") + std::string(slots) + bulk("nodes") + "*" +
                    std::to_string(nodes.size()) + "\r\n";
  for (const auto& n : nodes) out += n;
  return out;
}
std::string shard_node(std::string_view ip, int port, std::string_view role,
                       std::string_view health, std::string_view endpoint = "") {
  return "*12\r\n" + bulk("id") + bulk("abcdef") + bulk("port") + ":" + std::to_string(port) +
         "\r\n" + bulk("ip") + bulk(ip) + bulk("endpoint") +
         bulk(endpoint.empty() ? ip : endpoint) + bulk("role") + bulk(role) + bulk("health") +
         bulk(health);
}

TEST(SlotMap, FromClusterShards) {
  const Parsed p(
      "*3\r\n" +
      shard("*2\r\n:0\r\n:5460\r\n", {shard_node("127.0.0.1", 7000, "master", "online"),
                                      shard_node("127.0.0.1", 7003, "replica", "online")}) +
      shard("*4\r\n:5461\r\n:10000\r\n:10001\r\n:10922\r\n",
            {shard_node("127.0.0.1", 7004, "replica", "online"),
             shard_node("::1", 7001, "master", "online")}) +
      shard("*2\r\n:10923\r\n:16383\r\n",
            {shard_node("127.0.0.1", 7002, "master", "online", "?")}));
  const auto map = SlotMap::from_shards(p.reply(), {"10.0.0.1", 9999});
  ASSERT_TRUE(map.has_value());
  ASSERT_EQ(map->nodes().size(), 3u);
  EXPECT_EQ(map->covered(), kSlots);
  EXPECT_EQ(map->nodes()[*map->owner(0)], (NodeAddress{"127.0.0.1", 7000}));
  EXPECT_EQ(map->nodes()[*map->owner(5460)], (NodeAddress{"127.0.0.1", 7000}));
  EXPECT_EQ(map->nodes()[*map->owner(10922)], (NodeAddress{"::1", 7001}));
  // An endpoint of "?" falls back to the ip.
  EXPECT_EQ(map->nodes()[*map->owner(16383)], (NodeAddress{"127.0.0.1", 7002}));
  EXPECT_EQ(map->nodes()[*map->owner(16383)].to_string(), "127.0.0.1:7002");
  EXPECT_EQ(map->nodes()[*map->owner(6000)].to_string(), "[::1]:7001");
}

// A TLS-only node (port 0, tls-port set) has no "port" field: a client
// over TLS takes "tls-port", a plain one finds no master there.
TEST(SlotMap, OverTlsTheTlsPort) {
  const std::string node = "*12\r\n" + bulk("id") + bulk("abcdef") + bulk("tls-port") +
                           ":7100\r\n" + bulk("ip") + bulk("127.0.0.1") + bulk("endpoint") +
                           bulk("127.0.0.1") + bulk("role") + bulk("master") + bulk("health") +
                           bulk("online");
  const Parsed p("*1\r\n" + shard("*2\r\n:0\r\n:16383\r\n", {node}));
  const auto tls = SlotMap::from_shards(p.reply(), {"127.0.0.1", 7100}, true);
  ASSERT_TRUE(tls.has_value());
  EXPECT_EQ(tls->covered(), kSlots);
  EXPECT_EQ(tls->nodes().at(0), (NodeAddress{"127.0.0.1", 7100}));
  const auto plain = SlotMap::from_shards(p.reply(), {"127.0.0.1", 7100});
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->covered(), 0u);
}

TEST(SlotMap, AShardWhoseMasterFailedServesNothing) {
  const Parsed p(
      "*2\r\n" +
      shard("*2\r\n:0\r\n:8191\r\n", {shard_node("127.0.0.1", 7000, "master", "failed"),
                                      shard_node("127.0.0.1", 7003, "replica", "online")}) +
      shard("*2\r\n:8192\r\n:16383\r\n", {shard_node("127.0.0.1", 7001, "master", "online")}));
  const auto map = SlotMap::from_shards(p.reply(), {"127.0.0.1", 7001});
  ASSERT_TRUE(map.has_value());
  EXPECT_EQ(map->covered(), 8192u);
  EXPECT_FALSE(map->owner(0).has_value());
  EXPECT_TRUE(map->owner(8192).has_value());
}

TEST(SlotMap, FromResp3Maps) {
  // A RESP3 map per node; "health" is needed to be used at all.
  const std::string node_ok = "%4\r\n" + bulk("port") + ":7000\r\n" + bulk("ip") + bulk("") +
                              bulk("role") + bulk("master") + bulk("health") + bulk("online");
  const Parsed p("*1\r\n%2\r\n" + bulk("slots") + "*2\r\n:0\r\n:16383\r\n" + bulk("nodes") +
                 "*1\r\n" + node_ok);
  const auto map = SlotMap::from_shards(p.reply(), {"10.1.2.3", 7000});
  ASSERT_TRUE(map.has_value());
  EXPECT_EQ(map->covered(), kSlots);
  // An empty ip: the node that was asked.
  EXPECT_EQ(map->nodes().at(0), (NodeAddress{"10.1.2.3", 7000}));
}

TEST(SlotMap, FromClusterSlots) {
  const Parsed p(
      "*2\r\n"
      "*4\r\n:0\r\n:9000\r\n*3\r\n$9\r\n127.0.0.1\r\n:7000\r\n$2\r\nid\r\n"
      "*3\r\n$9\r\n127.0.0.1\r\n:7003\r\n$2\r\nid\r\n"
      "*3\r\n:9001\r\n:16383\r\n*3\r\n$0\r\n\r\n:7001\r\n$2\r\nid\r\n");
  const auto map = SlotMap::from_slots(p.reply(), {"192.0.2.7", 7001});
  ASSERT_TRUE(map.has_value());
  EXPECT_EQ(map->covered(), kSlots);
  EXPECT_EQ(map->nodes()[*map->owner(9000)], (NodeAddress{"127.0.0.1", 7000}));
  EXPECT_EQ(map->nodes()[*map->owner(9001)], (NodeAddress{"192.0.2.7", 7001}));
}

TEST(SlotMap, RepliesOfAnotherShapeAreRefused) {
  const NodeAddress asked{"127.0.0.1", 7000};
  for (std::string text : {std::string("+OK\r\n"), std::string("*1\r\n:5\r\n"),
                           std::string("*1\r\n*3\r\n:0\r\n:20000\r\n*2\r\n$1\r\nh\r\n:1\r\n"),
                           std::string("*1\r\n*3\r\n:9\r\n:3\r\n*2\r\n$1\r\nh\r\n:1\r\n"),
                           std::string("*1\r\n*3\r\n:0\r\n:3\r\n*2\r\n$1\r\nh\r\n:0\r\n")}) {
    const Parsed p(text);
    EXPECT_FALSE(SlotMap::from_slots(p.reply(), asked).has_value()) << text;
    EXPECT_FALSE(SlotMap::from_shards(p.reply(), asked).has_value()) << text;
  }
  const Parsed odd_slots("*1\r\n" +
                         shard("*1\r\n:0\r\n", {shard_node("h", 1, "master", "online")}));
  EXPECT_FALSE(SlotMap::from_shards(odd_slots.reply(), asked).has_value());
}

TEST(SlotMap, MovedAssignsOneSlot) {
  SlotMap map;
  EXPECT_EQ(map.covered(), 0u);
  map.assign(42, {"127.0.0.1", 7000});
  map.assign(43, {"127.0.0.1", 7000});
  EXPECT_EQ(map.covered(), 2u);
  EXPECT_EQ(map.nodes().size(), 1u);
  EXPECT_FALSE(map.owner(44).has_value());
}

TEST(NodeAddress, Parse) {
  EXPECT_EQ(NodeAddress::parse("127.0.0.1:6379", ""), (NodeAddress{"127.0.0.1", 6379}));
  EXPECT_EQ(NodeAddress::parse("::1:6379", ""), (NodeAddress{"::1", 6379}));
  EXPECT_EQ(NodeAddress::parse("[::1]:6379", ""), (NodeAddress{"::1", 6379}));
  EXPECT_EQ(NodeAddress::parse("redis-0.internal:7000", ""),
            (NodeAddress{"redis-0.internal", 7000}));
  EXPECT_EQ(NodeAddress::parse(":7000", "10.0.0.5"), (NodeAddress{"10.0.0.5", 7000}));
  EXPECT_FALSE(NodeAddress::parse(":7000", "").has_value());
  EXPECT_FALSE(NodeAddress::parse("?:7000", "").has_value());
  EXPECT_FALSE(NodeAddress::parse("host", "").has_value());
  EXPECT_FALSE(NodeAddress::parse("host:0", "").has_value());
  EXPECT_FALSE(NodeAddress::parse("host:65536", "").has_value());
  EXPECT_FALSE(NodeAddress::parse("host:12x", "").has_value());
}

// --- redirections: every case ---

Decision decide_text(std::string_view reply, unsigned redirections = 0) {
  const Parsed p{std::string(reply)};
  return decide(p.reply(), {"127.0.0.1", 7000}, redirections);
}

TEST(Redirect, RepliesThatAreNotRedirectionsAreTheCallers) {
  EXPECT_EQ(decide_text("+OK\r\n").step, Step::done);
  EXPECT_EQ(decide_text("*2\r\n:0\r\n:1\r\n").step, Step::done);
  EXPECT_EQ(decide_text("-ERR unknown command\r\n").step, Step::done);
  EXPECT_EQ(decide_text("-OOM command not allowed\r\n").step, Step::done);
  EXPECT_EQ(decide_text("-MOVEDX 1 h:1\r\n").step, Step::done);  // not the word MOVED
  EXPECT_EQ(decide_text("-ERR MOVED 1 h:1\r\n").step, Step::done);
}

TEST(Redirect, Moved) {
  const Decision d = decide_text("-MOVED 3999 127.0.0.1:6381\r\n");
  EXPECT_EQ(d.step, Step::moved);
  EXPECT_EQ(d.slot, 3999);
  EXPECT_EQ(d.to, (NodeAddress{"127.0.0.1", 6381}));
  // Redis 7 may leave the host out: the node that answered.
  const Decision same_host = decide_text("-MOVED 1 :6390\r\n");
  EXPECT_EQ(same_host.step, Step::moved);
  EXPECT_EQ(same_host.to, (NodeAddress{"127.0.0.1", 6390}));
  EXPECT_EQ(decide_text("-MOVED 7 ::1:6390\r\n").to, (NodeAddress{"::1", 6390}));
}

TEST(Redirect, Ask) {
  const Decision d = decide_text("-ASK 12182 10.0.0.9:7002\r\n");
  EXPECT_EQ(d.step, Step::ask);
  EXPECT_EQ(d.slot, 12182);
  EXPECT_EQ(d.to, (NodeAddress{"10.0.0.9", 7002}));
}

TEST(Redirect, MalformedRedirectionsAreErrors) {
  for (std::string_view bad :
       {"-MOVED\r\n", "-MOVED 16384 h:1\r\n", "-MOVED x h:1\r\n", "-ASK 1 h\r\n", "-ASK 1 h:0\r\n",
        "-MOVED 1 ?:7000\r\n", "-MOVED -1 h:1\r\n"})
    EXPECT_EQ(decide_text(bad).step, Step::done) << bad;
}

TEST(Redirect, ReconfigurationErrorsAreRetriedLater) {
  for (std::string_view e :
       {"-TRYAGAIN Multiple keys request during rehashing of slot\r\n",
        "-CLUSTERDOWN The cluster is down\r\n", "-CLUSTERDOWN Hash slot not served\r\n",
        "-LOADING Redis is loading the dataset in memory\r\n",
        "-MASTERDOWN Link with MASTER is down\r\n",
        "-READONLY You can't write against a read only replica.\r\n",
        "-BUSY Redis is busy running a script.\r\n"})
    EXPECT_EQ(decide_text(e).step, Step::retry_later) << e;
}

TEST(Redirect, NoScriptSendsTheText) {
  EXPECT_EQ(decide_text("-NOSCRIPT No matching script. Please use EVAL.\r\n").step,
            Step::send_script);
}

TEST(Redirect, TooManyRedirectionsGiveUp) {
  for (std::string_view e : {"-MOVED 1 h:1\r\n", "-ASK 1 h:1\r\n", "-TRYAGAIN x\r\n",
                             "-NOSCRIPT x\r\n", "-CLUSTERDOWN x\r\n"}) {
    EXPECT_NE(decide_text(e, kMaxRedirections - 1).step, Step::give_up) << e;
    EXPECT_EQ(decide_text(e, kMaxRedirections).step, Step::give_up) << e;
  }
  // A plain reply is the caller's however many redirections led to it.
  EXPECT_EQ(decide_text("+OK\r\n", 100).step, Step::done);
  EXPECT_EQ(decide_text("-ERR x\r\n", 100).step, Step::done);
}

// --- scripts and batches ---

TEST(Sha1, KnownValues) {
  EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(sha1_hex(std::string(1'000'000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  // Lengths around the padding boundary (python3's hashlib says).
  EXPECT_EQ(sha1_hex(std::string(55, 'x')), "cef734ba81a024479e09eb5a75b6ddae62e6abf1");
  EXPECT_EQ(sha1_hex(std::string(56, 'x')), "901305367c259952f4e7af8323f480d59f81335b");
  EXPECT_EQ(sha1_hex(std::string(63, 'x')), "0ddc4e0cccd9a12850deb5abb0853a4425559fec");
  EXPECT_EQ(sha1_hex(std::string(64, 'x')), "bb2fa3ee7afb9f54c6dfb5d021f14b1ffe40c163");
}

TEST(Batch, EncodesCallsOnceAndRepliesKeepTheirBytes) {
  const Script script("return 1");
  Batch b;
  b.script(7, script);
  b.arg(std::int64_t{1});
  b.arg("key");
  b.command(9);
  b.arg("PING");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.call(0).slot, 7);
  EXPECT_EQ(b.call(0).script, &script);
  EXPECT_EQ(b.call(0).argc, 2u);
  EXPECT_EQ(b.args(b.call(0)), "$1\r\n1\r\n$3\r\nkey\r\n");
  EXPECT_EQ(b.call(1).script, nullptr);
  EXPECT_EQ(b.args(b.call(1)), "$4\r\nPING\r\n");

  Replies r;
  r.reset(2);
  EXPECT_FALSE(r.answered(0));
  std::string wire = "junk*2\r\n$2\r\nab\r\n:5\r\n";
  std::vector<Node> nodes;
  const auto p = codec::resp::parse(wire, 4, nodes);
  r.set(1, wire, 4, p.end, nodes);
  wire.assign("overwritten");
  EXPECT_FALSE(r.answered(0));
  ASSERT_TRUE(r.answered(1));
  EXPECT_EQ(r.at(1).at(0).text(), "ab");
  EXPECT_EQ(r.at(1).at(1).integer(), 5);
}

}  // namespace
}  // namespace cairn::store::redis
