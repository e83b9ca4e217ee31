#include "codec/ws_relay.hpp"

#include <gtest/gtest.h>

#include <string>

#include "support/ids.hpp"

using namespace cairn;
namespace relay = codec::ws_relay;

namespace {

relay::Relayed sample() {
  relay::Relayed r;
  r.kind = relay::Kind::answer;
  r.info_hash = test::id_of<core::InfoHash>(1);
  r.from_peer = test::id_of<core::PeerId>(2);
  r.to_peer = test::id_of<core::PeerId>(3);
  r.offer_id = test::id_of<core::OfferId>(4);
  r.from_node = {1, 2, 3, 4, 5, 6, 7, 8};
  r.message = R"({"action":"announce","answer":{"type":"answer","sdp":"v=0"}})";
  return r;
}

}  // namespace

TEST(WsRelay, RoundTrip) {
  std::string wire;
  relay::encode(sample(), wire);
  ASSERT_EQ(wire.size(), relay::kHead + sample().message.size());
  const auto back = relay::parse(wire);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->kind, relay::Kind::answer);
  EXPECT_EQ(back->info_hash, sample().info_hash);
  EXPECT_EQ(back->from_peer, sample().from_peer);
  EXPECT_EQ(back->to_peer, sample().to_peer);
  EXPECT_EQ(back->offer_id, sample().offer_id);
  EXPECT_EQ(back->from_node, sample().from_node);
  EXPECT_EQ(back->message, sample().message);
}

TEST(WsRelay, RefusesWhatIsNotOne) {
  std::string wire;
  relay::encode(sample(), wire);
  EXPECT_FALSE(relay::parse(wire.substr(0, relay::kHead - 1)));  // short
  std::string bad = wire;
  bad[0] = 'X';  // magic
  EXPECT_FALSE(relay::parse(bad));
  bad = wire;
  bad[4] = 3;  // kind
  EXPECT_FALSE(relay::parse(bad));
  EXPECT_FALSE(relay::parse(std::string(relay::kHead + relay::kMaxMessage + 1, 'C')));
  EXPECT_TRUE(relay::parse(wire.substr(0, relay::kHead)));  // an empty message parses
}

TEST(WsRelay, NoInputOfUpTo255BytesCrashes) {
  std::string in;
  for (int n = 0; n < 256; ++n) {
    (void)relay::parse(in);
    in.push_back(static_cast<char>(n * 37));
  }
}
