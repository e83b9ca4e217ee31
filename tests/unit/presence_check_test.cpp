#include <gtest/gtest.h>

#include <string>

#include "client/bittorrent.hpp"
#include "client/presence_check.hpp"

namespace client = cairn::client;
namespace rv = cairn::codec::rv;

namespace {

client::Subject topic() { return client::Subject::for_topic(cairn::core::TopicId{}); }
client::Subject info_hash() { return client::Subject::for_info_hash(cairn::core::InfoHash{}); }

client::Tiers tiers_of(std::vector<std::string> urls) {
  return *client::parse_tiers({std::move(urls)});
}

std::string address_error(const client::Subject& s, const client::Tiers& t, std::string_view a) {
  auto r = client::check_address(s, t, a);
  return r ? "ok" : r.error().message;
}

std::string record_error(const client::Subject& s, const rv::Record& r) {
  auto checked = client::check_record(s, r);
  return checked ? "ok" : checked.error().message;
}

}  // namespace

TEST(PresenceCheck, RendezvousAddresses) {
  const auto http = tiers_of({"http://t:1/announce"});
  for (auto good : {"1.2.3.4:7000", "[2001:db8::1]:7000", ":7000", "0.0.0.0:7000", "[::]:7000",
                    "https://me.example/room", "tcp://me.example:7000"})
    EXPECT_EQ(address_error(topic(), http, good), "ok") << good;
  for (auto bad :
       {"1.2.3.4", "1.2.3.4:0", ":0", "1.2.3.4:65536", "[::1:7000", "me.example:7000", "", ":"})
    EXPECT_NE(address_error(topic(), http, bad).find("need IP:PORT, [IPv6]:PORT, :PORT"),
              std::string::npos)
        << bad;
}

TEST(PresenceCheck, BitTorrentAddresses) {
  const auto http = tiers_of({"http://t:1/announce"});
  const auto udp = tiers_of({"http://t:1/announce", "udp://t:1"});
  for (auto good : {"1.2.3.4:6881", ":6881", "[2001:db8::1]:6881", "[::]:6881"})
    EXPECT_EQ(address_error(info_hash(), http, good), "ok") << good;
  for (auto bad : {"https://me.example/", "1.2.3.4", ":0", "me.example:6881"})
    EXPECT_NE(address_error(info_hash(), http, bad).find("need IP:PORT or :PORT"),
              std::string::npos)
        << bad;
  // BEP 15's IP field has four bytes; an unspecified IPv6 address is not sent.
  EXPECT_EQ(address_error(info_hash(), udp, "[2001:db8::1]:6881"),
            "a UDP tracker (BEP 15) carries only an IPv4 address; give :6881 to be announced "
            "where the tracker sees you");
  EXPECT_EQ(address_error(info_hash(), udp, "[::]:6881"), "ok");
  EXPECT_EQ(address_error(info_hash(), udp, "10.0.0.5:6881"), "ok");
}

TEST(PresenceCheck, ParseBtAddress) {
  auto a = client::parse_bt_address("10.0.0.5:6881");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port, 6881);
  ASSERT_TRUE(a->ip);
  EXPECT_EQ(a->ip->to_string(), "10.0.0.5");
  auto observed = client::parse_bt_address(":6881");
  ASSERT_TRUE(observed);
  EXPECT_FALSE(observed->ip);
  EXPECT_FALSE(client::parse_bt_address("0.0.0.0:6881")->ip);
  for (auto bad : {":", ":x", ":65536", "1.2.3.4", ": 1", ":+1", ":-1"})
    EXPECT_FALSE(client::parse_bt_address(bad)) << bad;
}

TEST(PresenceCheck, RecordsNameWhatIsWrong) {
  rv::Record r;
  r.addresses = {":7000"};
  EXPECT_EQ(record_error(topic(), r), "ok");
  r.protocols = {"webrtc", "web rtc"};
  EXPECT_EQ(record_error(topic(), r),
            "protocol \"web rtc\": need 1 to 32 of A-Z a-z 0-9 . + _ / -");
  r.protocols = {"webrtc"};
  r.tags = {{"app", "chat"}, {"app", "game"}};
  EXPECT_EQ(record_error(topic(), r), "tag \"app\" given twice");
  r.tags = {{"a b", "x"}};
  EXPECT_EQ(record_error(topic(), r),
            "tag \"a b\": need a name of 1 to 32 of A-Z a-z 0-9 . + _ / -");
  r.tags = {{"note", std::string(256, 'x')}};
  EXPECT_EQ(record_error(topic(), r), "tag \"note\": need a value of at most 255 bytes of UTF-8");
  r.tags = {{"note", "\xff"}};
  EXPECT_EQ(record_error(topic(), r), "tag \"note\": need a value of at most 255 bytes of UTF-8");
  r.tags = {};
  r.addresses = std::vector<std::string>(9, ":7000");
  EXPECT_EQ(record_error(topic(), r), "9 addresses: a record holds at most 8");
  r.addresses = {"1.2.3.4"};
  EXPECT_NE(record_error(topic(), r).find("address \"1.2.3.4\": need IP:PORT"), std::string::npos);
}

TEST(PresenceCheck, RecordSizeOpenAndSealed) {
  rv::Record r;
  r.addresses = {":7000"};
  for (auto key : {"t0", "t1", "t2", "t3"}) r.tags.push_back({key, std::string(240, 'x')});
  // About 1000 bytes: fits an open record, not a sealed one (40 bytes of nonce and tag).
  EXPECT_EQ(record_error(topic(), r), "ok");
  EXPECT_NE(record_error(client::Subject::for_secret("s"), r).find("sealed, it may be 984"),
            std::string::npos);
  r.tags.push_back({"t4", std::string(240, 'x')});
  EXPECT_NE(record_error(topic(), r).find("the record is over 1040 bytes encoded"),
            std::string::npos);
}

TEST(TierOutcome, FailureSaysWhetherATrackerAnswered) {
  client::TierOutcome o;
  o.tier = 1;
  o.errors = {"udp://a:1: no answer after 2 tries", "http://b:1/announce: tracker_full: always"};
  EXPECT_EQ(o.failure(),
            "tier 2: no tracker answered; udp://a:1: no answer after 2 tries; "
            "http://b:1/announce: tracker_full: always");
  o.answered = true;
  EXPECT_EQ(o.failure(),
            "tier 2: failed; udp://a:1: no answer after 2 tries; "
            "http://b:1/announce: tracker_full: always");
}
