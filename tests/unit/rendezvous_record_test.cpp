#include "codec/rendezvous_record.hpp"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>

using namespace cairn::codec::rv;
using cairn::core::Address;

namespace {

// One field as the wire has it: type, big-endian length, value.
std::string field(std::uint8_t type, std::string_view value) {
  std::string f(1, static_cast<char>(type));
  f.push_back(static_cast<char>(value.size() >> 8));
  f.push_back(static_cast<char>(value.size() & 0xff));
  return f.append(value);
}

std::string u64_bytes(std::uint64_t v) {
  std::string b;
  for (int shift = 56; shift >= 0; shift -= 8) b.push_back(static_cast<char>((v >> shift) & 0xff));
  return b;
}

std::string tag_value(std::string_view key, std::string_view value) {
  return std::string(key) + '\0' + std::string(value);
}

Record full_record() {
  Record r;
  r.addresses = {":7000", "203.0.113.7:7000", "[2001:db8::1]:443", "wss://relay.example/abc"};
  r.up_bps = 10'000'000;
  r.down_bps = 0xffffffffffffffff;
  r.protocols = {"webrtc", "tcp", "utp", "x.y+z-w_v/1"};
  r.tags = {{"app", "chat"}, {"v", "2"}, {"empty", ""}, {"text", "caf\xc3\xa9 \"q\" \\ \t\n"}};
  r.sealed = std::string("\x00\x01\xff sealed", 10);
  return r;
}

std::string full_body() {
  return field(1, ":7000") + field(1, "203.0.113.7:7000") + field(1, "[2001:db8::1]:443") +
         field(1, "wss://relay.example/abc") + field(2, u64_bytes(10'000'000)) +
         field(3, u64_bytes(0xffffffffffffffff)) + field(4, "webrtc") + field(4, "tcp") +
         field(4, "utp") + field(4, "x.y+z-w_v/1") + field(5, tag_value("app", "chat")) +
         field(5, tag_value("v", "2")) + field(5, tag_value("empty", "")) +
         field(5, tag_value("text", "caf\xc3\xa9 \"q\" \\ \t\n")) +
         field(6, std::string("\x00\x01\xff sealed", 10));
}

RecordError encode_error_of(const Record& r) {
  auto e = encode_body(r);
  EXPECT_FALSE(e.has_value());
  return e.has_value() ? RecordError{} : e.error();
}

RecordError decode_error_of(std::string_view body) {
  auto d = decode_body(body);
  EXPECT_FALSE(d.has_value()) << "decoded: " << body.size() << " bytes";
  return d.has_value() ? RecordError{} : d.error();
}

// Both directions refuse it with the same error.
void expect_refused(const Record& r, RecordError error) {
  EXPECT_EQ(encode_error_of(r), error);
  // The body it would have: every field written as the encoder would.
  std::string body;
  for (const auto& a : r.addresses) body += field(1, a);
  for (const auto& p : r.protocols) body += field(4, p);
  for (const auto& t : r.tags) body += field(5, tag_value(t.key, t.value));
  if (r.sealed) body += field(6, *r.sealed);
  EXPECT_EQ(decode_error_of(body), error);
}

void expect_round_trip(const Record& r) {
  auto body = encode_body(r);
  ASSERT_TRUE(body.has_value());
  auto back = decode_body(*body);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, r);
}

std::string url_of_size(std::size_t n) { return "wss://" + std::string(n - 6, 'a'); }

}  // namespace

TEST(RendezvousRecord, EveryFieldRoundTrips) {
  auto body = encode_body(full_record());
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(*body, full_body());
  auto back = decode_body(full_body());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, full_record());
}

TEST(RendezvousRecord, EachFieldAlone) {
  Record r;
  auto empty = encode_body(r);
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, "");  // no fields is a record too
  expect_round_trip(r);
  r.up_bps = 0;
  expect_round_trip(r);
  r = {};
  r.down_bps = 1;
  expect_round_trip(r);
  r = {};
  r.sealed = "";  // present but empty: type 6, length 0
  EXPECT_EQ(*encode_body(r), std::string("\x06\x00\x00", 3));
  expect_round_trip(r);
  r = {};
  r.tags = {{"k", std::string("a\0b", 3)}};  // a value may hold a 0 byte: the key ends at the first
  expect_round_trip(r);
}

TEST(RendezvousRecord, TheSpecsExampleBody) {
  Record r;
  r.addresses = {"203.0.113.7:7000"};
  EXPECT_EQ(*encode_body(r), std::string("\x01\x00\x10", 3) + "203.0.113.7:7000");
}

TEST(RendezvousRecord, OnlyCanonicalBodiesDecode) {
  auto addr = field(1, ":1"), up = field(2, u64_bytes(5)), down = field(3, u64_bytes(6));
  auto proto = field(4, "tcp"), tag = field(5, tag_value("a", "b")), sealed = field(6, "s");
  EXPECT_TRUE(decode_body(addr + addr + up + down + proto + proto + tag + sealed).has_value());
  EXPECT_EQ(decode_error_of(addr + up + tag.substr(0, 3)),
            RecordError::bad_record);  // length past the end
  EXPECT_EQ(decode_error_of(addr + std::string("\x04\x00", 2)),
            RecordError::bad_record);  // header cut short
  for (const auto& bad : {proto + addr, down + up, sealed + tag, tag + proto, up + addr})
    EXPECT_EQ(decode_error_of(bad), RecordError::bad_record) << "out of order";
  for (const auto& bad : {up + up, down + down, sealed + sealed})
    EXPECT_EQ(decode_error_of(bad), RecordError::bad_record) << "single field twice";
  for (std::uint8_t type : std::to_array<std::uint8_t>({0, 7, 8, 255})) {
    EXPECT_EQ(decode_error_of(field(type, "x")), RecordError::bad_record) << int(type);
    EXPECT_EQ(decode_error_of(addr + field(type, "")), RecordError::bad_record) << int(type);
  }
  EXPECT_EQ(decode_error_of(field(2, u64_bytes(5).substr(1))), RecordError::bad_record);  // 7 bytes
  EXPECT_EQ(decode_error_of(field(3, u64_bytes(5) + "x")), RecordError::bad_record);      // 9 bytes
  EXPECT_EQ(decode_error_of(field(5, "novalue")), RecordError::bad_record);           // no 0 byte
  EXPECT_EQ(decode_error_of(field(5, tag_value("", "v"))), RecordError::bad_record);  // empty key
  EXPECT_EQ(decode_error_of(field(4, "")), RecordError::bad_record);
  EXPECT_EQ(decode_error_of(field(1, "")), RecordError::bad_record);
  // Repeated multi fields keep their order.
  auto two = decode_body(field(1, ":2") + field(1, ":1"));
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->addresses, (std::vector<std::string>{":2", ":1"}));
}

// `max` small items, and one item of `max_bytes`, round-trip; one more of
// either is refused.
void expect_list_limits(std::vector<std::string> Record::*list, std::size_t max,
                        std::string_view small, std::size_t max_bytes,
                        std::string (*item_of_size)(std::size_t)) {
  Record r;
  (r.*list).assign(max, std::string(small));
  expect_round_trip(r);
  (r.*list).emplace_back(small);
  expect_refused(r, RecordError::bad_record);
  r.*list = {item_of_size(max_bytes)};
  expect_round_trip(r);
  r.*list = {item_of_size(max_bytes + 1)};
  expect_refused(r, RecordError::bad_record);
}

TEST(RendezvousRecord, AddressLimits) {
  expect_list_limits(&Record::addresses, kMaxAddresses, ":7000", kMaxAddressBytes, url_of_size);
}

TEST(RendezvousRecord, ProtocolLimits) {
  expect_list_limits(&Record::protocols, kMaxProtocols, "tcp", kMaxNameBytes,
                     [](std::size_t n) { return std::string(n, 'p'); });
  Record r;
  for (std::string_view bad : {"a b", "a=b", "caf\xc3\xa9", "a\x01", "a:b", "a@b"}) {
    r.protocols = {std::string(bad)};
    expect_refused(r, RecordError::bad_record);
  }
}

TEST(RendezvousRecord, TagLimits) {
  Record r;
  for (std::size_t i = 0; i < kMaxTags; ++i)
    r.tags.push_back({std::string(1, static_cast<char>('a' + i)), "v"});
  expect_round_trip(r);
  r.tags.push_back({"one_more", "v"});
  expect_refused(r, RecordError::bad_record);
  r.tags = {{std::string(kMaxNameBytes, 'k'), std::string(kMaxTagValueBytes, 'v')}};
  expect_round_trip(r);
  r.tags = {{std::string(kMaxNameBytes + 1, 'k'), "v"}};
  expect_refused(r, RecordError::bad_record);
  r.tags = {{"k", std::string(kMaxTagValueBytes + 1, 'v')}};
  expect_refused(r, RecordError::bad_record);
  r.tags = {{"k", "1"}, {"k", "2"}};  // one JSON object holds them: keys are distinct
  expect_refused(r, RecordError::bad_record);
  r.tags = {{"k=v", "1"}};
  expect_refused(r, RecordError::bad_record);
}

TEST(RendezvousRecord, TextIsUtf8) {
  Record r;
  for (std::string_view bad : {"\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                               "\xf4\x90\x80\x80", "\xc3", "\xe2\x82", "\x80"}) {
    r.tags = {{"k", std::string(bad)}};
    expect_refused(r, RecordError::bad_record);
    r.tags.clear();
    r.addresses = {"wss://x/" + std::string(bad)};
    expect_refused(r, RecordError::bad_record);
    r.addresses.clear();
  }
  r.tags = {
      {"k",
       "\xe2\x82\xac \xf0\x9f\x98\x80 \xed\x9f\xbf \xf4\x8f\xbf\xbf"}};  // €, 😀, U+D7FF, U+10FFFF
  r.addresses = {
      "https://b\xc3\xbc"
      "cher.example/\xe2\x82\xac"};
  expect_round_trip(r);
}

TEST(RendezvousRecord, SealedAndBodyLimits) {
  Record r;
  r.sealed = std::string(kMaxSealed, 's');
  expect_round_trip(r);
  r.sealed->push_back('s');
  expect_refused(r, RecordError::record_too_large);
  // Exactly kMaxBody: sealed (3 + 1024) and an address (3 + 10).
  static_assert(kMaxBody == 3 + kMaxSealed + 3 + 10);
  r.sealed = std::string(kMaxSealed, 's');
  r.addresses = {url_of_size(10)};
  auto body = encode_body(r);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(body->size(), kMaxBody);
  expect_round_trip(r);
  r.addresses.back() = url_of_size(11);
  EXPECT_EQ(encode_error_of(r), RecordError::record_too_large);
  std::string over = *body;
  over.push_back('\x01');  // one byte more is refused before any field is read
  EXPECT_EQ(decode_error_of(over), RecordError::record_too_large);
}

TEST(RendezvousRecord, EveryTruncationOfAValidBody) {
  const std::string body = full_body();
  std::vector<std::size_t> boundaries{0};
  for (std::size_t at = 0; at < body.size();) {
    at += 3 + (static_cast<unsigned char>(body[at + 1]) << 8 |
               static_cast<unsigned char>(body[at + 2]));
    boundaries.push_back(at);
  }
  for (std::size_t n = 0; n < body.size(); ++n) {
    auto d = decode_body(std::string_view(body).substr(0, n));
    bool boundary = std::find(boundaries.begin(), boundaries.end(), n) != boundaries.end();
    // A cut between fields is a shorter, valid body; any other cut is refused.
    EXPECT_EQ(d.has_value(), boundary) << n;
    if (d) {
      EXPECT_EQ(*encode_body(*d), body.substr(0, n)) << n;
    }
  }
}

TEST(RendezvousRecord, RandomGarbageNeverCrashes) {
  std::mt19937 rng(11);
  const std::string seed = full_body();
  for (int i = 0; i < 20000; ++i) {
    std::string buf;
    if (i % 2 == 0) {
      buf.resize(rng() % 256);
      for (auto& c : buf)
        c = static_cast<char>(rng() % (i % 4 == 0 ? 8 : 256));  // small bytes: plausible types
    } else {
      buf = seed;
      for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k)
        buf[rng() % buf.size()] = static_cast<char>(rng());
    }
    auto d = decode_body(buf);
    if (d) {
      auto again = encode_body(*d);
      ASSERT_TRUE(again.has_value());
      EXPECT_EQ(*again, buf);  // canonical: what decodes re-encodes to the same bytes
    }
  }
}

TEST(RendezvousRecord, ValidAddress) {
  for (std::string_view ok :
       {"1.2.3.4:80", "[::1]:80", "[2001:db8::1]:65535", ":7000", ":0", "0.0.0.0:7000", "[::]:7000",
        "wss://relay.example/x", "udp://1.2.3.4:6969", "a+b-c.d://x"})
    EXPECT_TRUE(valid_address(ok)) << ok;
  for (std::string_view bad : {"", "host.example:80", "1.2.3.4", "::1:80", ":", ":70000", ":-1",
                               ":+1", "1.2.3.4:80x", "://x", "1ws://x", "w_s://x", "wss://",
                               "wss:/x", "wss://a\nb", "wss://a\x7f", "[::1]", "1.2.3.4: 80"})
    EXPECT_FALSE(valid_address(bad)) << bad;
}

TEST(RendezvousRecord, ValidName) {
  EXPECT_TRUE(valid_name("webrtc"));
  EXPECT_TRUE(valid_name("A-Z_a.z+0/9"));
  EXPECT_TRUE(valid_name(std::string(kMaxNameBytes, 'x')));
  EXPECT_FALSE(valid_name(""));
  EXPECT_FALSE(valid_name(std::string(kMaxNameBytes + 1, 'x')));
  EXPECT_FALSE(valid_name("a b"));
  EXPECT_FALSE(valid_name(std::string("a\0b", 3)));
}

TEST(RendezvousRecord, UnspecifiedPortAndFill) {
  EXPECT_EQ(unspecified_port(":7000"), 7000);
  EXPECT_EQ(unspecified_port("0.0.0.0:7000"), 7000);
  EXPECT_EQ(unspecified_port("[::]:7000"), 7000);
  EXPECT_EQ(unspecified_port("[0:0::0]:1"), 1);
  EXPECT_EQ(unspecified_port("203.0.113.7:7000"), std::nullopt);
  EXPECT_EQ(unspecified_port("[::1]:7000"), std::nullopt);
  EXPECT_EQ(unspecified_port("wss://0.0.0.0:7000/"), std::nullopt);
  EXPECT_EQ(unspecified_port(":"), std::nullopt);
  EXPECT_EQ(unspecified_port(""), std::nullopt);

  auto v4 = *Address::parse("203.0.113.7");
  auto v6 = *Address::parse("2001:db8::7");
  EXPECT_EQ(fill_address(":7000", v4), "203.0.113.7:7000");
  EXPECT_EQ(fill_address("0.0.0.0:7000", v4), "203.0.113.7:7000");
  EXPECT_EQ(fill_address("[::]:7000", v4), "203.0.113.7:7000");  // the source's family wins
  EXPECT_EQ(fill_address(":7000", v6), "[2001:db8::7]:7000");
  EXPECT_EQ(fill_address("0.0.0.0:1", v6), "[2001:db8::7]:1");
  EXPECT_EQ(fill_address("198.51.100.1:7000", v6), "198.51.100.1:7000");
  EXPECT_EQ(fill_address("wss://relay.example/abc", v4), "wss://relay.example/abc");
}

TEST(RendezvousRecord, SignedMessagesAreExactlyTheSpecs) {
  std::string topic;
  for (int i = 0; i < 20; ++i) topic.push_back(static_cast<char>(0xa0 + i));
  std::string body = field(1, ":7000");
  std::string expected = std::string("cairn-rv1 register", 18) + '\0' + topic +
                         std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8) +
                         std::string("\x00\x00\x01\x2c", 4) + body;
  EXPECT_EQ(register_message(topic, 0x0102030405060708, 300, body), expected);
  EXPECT_EQ(register_message(topic, 0, 0, "").size(), 19u + 20 + 8 + 4);
  EXPECT_EQ(remove_message(topic, 0xfffffffffffffffe),
            std::string("cairn-rv1 remove", 16) + '\0' + topic +
                std::string("\xff\xff\xff\xff\xff\xff\xff\xfe", 8));
}

TEST(RendezvousRecord, ErrorCodes) {
  EXPECT_EQ(error_code(RecordError::bad_record), "bad_record");
  EXPECT_EQ(error_code(RecordError::record_too_large), "record_too_large");
}
