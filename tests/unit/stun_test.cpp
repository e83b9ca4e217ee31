#include "codec/stun.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "codec/udp_tracker.hpp"
#include "support/bytes.hpp"

using namespace cairn::codec::stun;
using cairn::core::Address;
using cairn::core::Endpoint;
using cairn::core::Family;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytes_of(std::string_view hex) {
  std::string s = cairn::test::unhex(hex);
  return {s.begin(), s.end()};
}

// RFC 5769 section 2: the sample messages (their padding bytes are spaces).
const Bytes kSampleRequest = bytes_of(
    "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74002400046e"
    "0001ff80290008932ff9b151263b36000600096576746a3a68367659202020000800149aeaa70cbfd8cb56781e"
    "f2b5b2d3f249c1b571a280280004e57a3bcf");
const Bytes kSampleV4Response = bytes_of(
    "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220002000080001a147e1"
    "12a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d780280004c07d4c96");
const Bytes kSampleV6Response = bytes_of(
    "010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220002000140002a14701"
    "13a9faa5d3f179bc25f4b5bed2b9d900080014a382954e4be67bf11784c97c8292c275bfe3ed4180280004c8fb"
    "0b4c");
const Bytes kSampleLongTermRequest = bytes_of(
    "000100602112a44278ad3433c6ad72c029da412e00060012e3839ee38388e383aae38383e382afe382b9000000"
    "15001c662f2f3439396b39353464364f4c33346f4c394653547679363473410014000b6578616d706c652e6f72"
    "670000080014f67024656dd64a3e02b8e0712e85c9a28ca89666");

const TransactionId kSampleId = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
const Endpoint kSampleV4{*Address::parse("192.0.2.1"), 32853};
const Endpoint kSampleV6{*Address::parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853};

std::vector<Bytes> samples() {
  return {kSampleRequest, kSampleV4Response, kSampleV6Response, kSampleLongTermRequest};
}

Bytes encode_success(const Endpoint& e, Answer a, const TransactionId& id = kSampleId) {
  Bytes out(200);
  out.resize(encode_binding_success(id, e, a, out));
  return out;
}

// A Binding request with the given attributes (type, value), no FINGERPRINT.
Bytes request_with(std::vector<std::pair<std::uint16_t, Bytes>> attributes) {
  Bytes m(20);
  encode_binding_request(kSampleId, m);
  for (auto& [type, value] : attributes) {
    m.push_back(static_cast<std::uint8_t>(type >> 8));
    m.push_back(static_cast<std::uint8_t>(type));
    m.push_back(static_cast<std::uint8_t>(value.size() >> 8));
    m.push_back(static_cast<std::uint8_t>(value.size()));
    m.insert(m.end(), value.begin(), value.end());
    while (m.size() % 4) m.push_back(0);
  }
  m[2] = static_cast<std::uint8_t>((m.size() - 20) >> 8);
  m[3] = static_cast<std::uint8_t>(m.size() - 20);
  return m;
}

}  // namespace

TEST(Stun, Rfc5769SampleRequestIsABindingRequestWithAVerifiedFingerprint) {
  auto m = parse_message(kSampleRequest);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->is_binding_request());
  EXPECT_TRUE(m->fingerprint);
  EXPECT_EQ(m->transaction_id, kSampleId);
  // SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY: all
  // known or comprehension-optional, so no 420.
  EXPECT_EQ(m->unknown_count, 0u);
}

TEST(Stun, Rfc5769LongTermRequestParsesWithoutFingerprint) {
  auto m = parse_message(kSampleLongTermRequest);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->is_binding_request());
  EXPECT_FALSE(m->fingerprint);
  EXPECT_EQ(m->unknown_count, 0u);
}

TEST(Stun, Rfc5769SampleResponsesGiveTheirAddresses) {
  auto v4 = parse_binding_answer(kSampleV4Response);
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->xor_mapped, kSampleV4);
  EXPECT_EQ(v4->software, "test vector");
  EXPECT_TRUE(v4->fingerprint);
  EXPECT_EQ(v4->error_code, 0);
  auto v6 = parse_binding_answer(kSampleV6Response);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->xor_mapped, kSampleV6);
  EXPECT_TRUE(v6->fingerprint);
}

TEST(Stun, XorMappedAddressIsTheRfc5769Bytes) {
  // The vectors' XOR-MAPPED-ADDRESS attributes, byte for byte.
  auto v4 = encode_success(kSampleV4, Answer::minimal);
  EXPECT_EQ(cairn::test::hex({reinterpret_cast<const char*>(v4.data()), v4.size()}),
            "0101000c2112a442b7e7a701bc34d686fa87dfae"
            "002000080001a147e112a643");
  auto v6 = encode_success(kSampleV6, Answer::minimal);
  EXPECT_EQ(cairn::test::hex({reinterpret_cast<const char*>(v6.data()), v6.size()}),
            "010100182112a442b7e7a701bc34d686fa87dfae"
            "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9");
}

TEST(Stun, FingerprintIsTheRfc5769Value) {
  auto last4 = [](const Bytes& b) {
    return std::uint32_t{b[b.size() - 4]} << 24 | std::uint32_t{b[b.size() - 3]} << 16 |
           std::uint32_t{b[b.size() - 2]} << 8 | b[b.size() - 1];
  };
  for (const Bytes& b : {kSampleRequest, kSampleV4Response, kSampleV6Response})
    EXPECT_EQ(fingerprint_of(std::span(b).first(b.size() - 8)), last4(b));
  EXPECT_EQ(last4(kSampleRequest), 0xe57a3bcfu);
}

TEST(Stun, FullAnswerCarriesBothAddressesSoftwareAndFingerprint) {
  for (const Endpoint& e : {kSampleV4, kSampleV6}) {
    auto full = encode_success(e, Answer::full);
    EXPECT_EQ(full.size(), success_size(e.family(), Answer::full));
    EXPECT_TRUE(is_stun(full));
    auto a = parse_binding_answer(full);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->transaction_id, kSampleId);
    EXPECT_EQ(a->xor_mapped, e);
    EXPECT_EQ(a->mapped, e);
    EXPECT_TRUE(a->software.starts_with("Cairn "));
    EXPECT_TRUE(a->fingerprint);
  }
}

TEST(Stun, AnswerSizesAreAsDocumented) {
  // docs/protocols.md quotes these.
  EXPECT_EQ(success_size(Family::v4, Answer::minimal), 32u);
  EXPECT_EQ(success_size(Family::v6, Answer::minimal), 44u);
  EXPECT_EQ(success_size(Family::v4, Answer::full), 68u);
  EXPECT_EQ(success_size(Family::v6, Answer::full), 92u);
  EXPECT_EQ(answer_within(Family::v4, 20), std::nullopt);
  EXPECT_EQ(answer_within(Family::v4, 32), Answer::minimal);
  EXPECT_EQ(answer_within(Family::v4, 67), Answer::minimal);
  EXPECT_EQ(answer_within(Family::v4, 68), Answer::full);
  EXPECT_EQ(answer_within(Family::v6, 68), Answer::minimal);
  EXPECT_EQ(answer_within(Family::v6, 92), Answer::full);
}

TEST(Stun, PlainRequestIsWhatChromiumAndTurnutilsSend) {
  Bytes out(20);
  ASSERT_EQ(encode_binding_request(kSampleId, out), 20u);
  EXPECT_EQ(cairn::test::hex({reinterpret_cast<const char*>(out.data()), 8}), "000100002112a442");
  auto m = parse_message(out);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->is_binding_request());
  EXPECT_FALSE(m->fingerprint);
}

TEST(Stun, PaddedRequestIsOneKnownAttribute) {
  Bytes out(100);
  ASSERT_EQ(encode_binding_request(kSampleId, out, 92), 92u);
  out.resize(92);
  auto m = parse_message(out);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->is_binding_request());
  EXPECT_EQ(m->unknown_count, 0u);
  EXPECT_EQ(encode_binding_request(kSampleId, out, 22), 0u);   // not a multiple of 4
  EXPECT_EQ(encode_binding_request(kSampleId, out, 200), 0u);  // does not fit
}

TEST(Stun, DemultiplexingIsExact) {
  Bytes plain(20);
  encode_binding_request(kSampleId, plain);
  EXPECT_TRUE(is_stun(plain));
  Bytes b = plain;
  b[0] |= 0x40;  // a first bit set
  EXPECT_FALSE(is_stun(b));
  b = plain;
  b[7] ^= 1;  // another cookie
  EXPECT_FALSE(is_stun(b));
  b = plain;
  b.push_back(0);  // the length does not count every byte
  EXPECT_FALSE(is_stun(b));
  b = request_with({{0x8055, {1, 2, 3, 4}}});
  EXPECT_TRUE(is_stun(b));
  b[3] = 6;  // a length that is not a multiple of 4
  EXPECT_FALSE(is_stun(b));
  // A BEP 15 connect holds the protocol id where STUN has its cookie.
  Bytes connect(16);
  ASSERT_EQ(cairn::codec::udp::encode_connect_request(0x12345678, connect), 16u);
  EXPECT_FALSE(is_stun(connect));
  EXPECT_FALSE(is_stun(Bytes{}));
}

TEST(Stun, ClassesAndMethodsDecode) {
  Bytes m = request_with({});
  m[1] = 0x11;  // Binding indication
  auto indication = parse_message(m);
  ASSERT_TRUE(indication.has_value());
  EXPECT_EQ(indication->cls, MessageClass::indication);
  EXPECT_FALSE(indication->is_binding_request());
  m[1] = 0x03;  // Allocate request (TURN)
  auto allocate = parse_message(m);
  ASSERT_TRUE(allocate.has_value());
  EXPECT_EQ(allocate->cls, MessageClass::request);
  EXPECT_EQ(allocate->method, 0x003);
  EXPECT_FALSE(allocate->is_binding_request());
  auto success = parse_message(kSampleV4Response);
  ASSERT_TRUE(success.has_value());
  EXPECT_EQ(success->cls, MessageClass::success);
}

TEST(Stun, UnknownComprehensionRequiredAttributesAreListed) {
  // CHANGE-REQUEST (RFC 5780, which Cairn does not do) and RESPONSE-PORT;
  // an unknown optional one (0x8055) and one after MESSAGE-INTEGRITY are ignored.
  auto m = parse_message(request_with({{0x0003, {0, 0, 0, 4}},
                                       {0x8055, {1}},
                                       {0x0027, {0x12, 0x34, 0, 0}},
                                       {0x0008, Bytes(20)},
                                       {0x0031, {0}}}));
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->unknown_count, 2u);
  EXPECT_EQ(m->unknown[0], 0x0003);
  EXPECT_EQ(m->unknown[1], 0x0027);
}

TEST(Stun, UnknownAttributeErrorIs420WithTheList) {
  const std::uint16_t unknown[] = {0x0003, 0x0027, 0x0031};
  Bytes out(200);
  std::size_t n = encode_unknown_attribute_error(kSampleId, unknown, out);
  ASSERT_EQ(n, unknown_attribute_size(3));
  out.resize(n);
  auto a = parse_binding_answer(out);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->error_code, 420);
  EXPECT_TRUE(a->fingerprint);
  EXPECT_EQ(a->transaction_id, kSampleId);
  // UNKNOWN-ATTRIBUTES, padded: three types and two zero bytes.
  std::string hex = cairn::test::hex({reinterpret_cast<const char*>(out.data()), out.size()});
  EXPECT_NE(hex.find("000a0006000300270031"
                     "0000"),
            std::string::npos);
}

TEST(Stun, FingerprintMustBeLastRightAndFourBytes) {
  Bytes b = kSampleRequest;
  b[b.size() - 1] ^= 1;
  EXPECT_EQ(parse_message(b).error(), ParseError::bad_fingerprint);
  // An attribute after a FINGERPRINT that verifies.
  Bytes after = request_with({{kFingerprint, {0, 0, 0, 0}}, {0x8055, {1, 2, 3, 4}}});
  std::uint32_t crc = fingerprint_of(std::span(after).first(20));
  for (int i = 0; i < 4; ++i) after[24 + i] = static_cast<std::uint8_t>(crc >> (24 - 8 * i));
  EXPECT_EQ(parse_message(after).error(), ParseError::bad_attribute);
  Bytes wrong_size = request_with({{kFingerprint, {0, 0, 0, 0, 0, 0, 0, 0}}});
  EXPECT_EQ(parse_message(wrong_size).error(), ParseError::bad_attribute);
}

TEST(Stun, AttributePastTheEndIsRefused) {
  Bytes b = request_with({{0x8055, {1, 2, 3, 4}}});
  b[23] = 5;  // value length 5 needs 8 bytes with padding; 4 are there
  EXPECT_EQ(parse_message(b).error(), ParseError::bad_attribute);
}

// A damaged message never passes as fingerprinted: it is refused, or (a
// flip in FINGERPRINT's own type makes it another attribute) read as a
// message without one.
TEST(Stun, NoFlippedByteOfAFingerprintedMessagePassesTheFingerprint) {
  for (const Bytes& sample : {kSampleRequest, kSampleV4Response, kSampleV6Response}) {
    for (std::size_t i = 0; i < sample.size(); ++i) {
      Bytes b = sample;
      b[i] ^= 0x01;
      auto m = parse_message(b);
      EXPECT_TRUE(!m || !m->fingerprint) << "byte " << i;
      if (i < sample.size() - 8) {
        EXPECT_FALSE(m.has_value()) << "byte " << i;
      }
    }
  }
}

TEST(Stun, EveryTruncationIsClean) {
  auto ours = [] {
    std::vector<Bytes> v;
    for (const Endpoint& e : {kSampleV4, kSampleV6})
      for (Answer a : {Answer::minimal, Answer::full}) v.push_back(encode_success(e, a));
    const std::uint16_t unknown[] = {3};
    Bytes err(100);
    err.resize(encode_unknown_attribute_error(kSampleId, unknown, err));
    v.push_back(err);
    return v;
  }();
  auto all = samples();
  all.insert(all.end(), ours.begin(), ours.end());
  for (const Bytes& whole : all) {
    for (std::size_t n = 0; n < whole.size(); ++n) {
      // Cut as it came: the length no longer fits, so it is not STUN.
      Bytes cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
      EXPECT_FALSE(is_stun(cut));
      EXPECT_FALSE(parse_message(cut).has_value());
      EXPECT_FALSE(parse_binding_answer(cut).has_value());
      // Cut with the header's length made to fit: parsed or refused, never read past the end.
      if (n < kHeaderSize || n % 4 != 0) continue;
      cut[2] = static_cast<std::uint8_t>((n - 20) >> 8);
      cut[3] = static_cast<std::uint8_t>(n - 20);
      auto m = parse_message(cut);
      if (m) {
        EXPECT_FALSE(m->fingerprint);  // a FINGERPRINT over other bytes cannot verify
      }
      (void)parse_binding_answer(cut);
    }
  }
}

TEST(Stun, RandomGarbageAndMutationsNeverCrash) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 20000; ++round) {
    Bytes b;
    if (round % 2) {
      b = samples()[static_cast<std::size_t>(round) % 4];
      for (int k = 0; k < 3; ++k) b[rng() % b.size()] = static_cast<std::uint8_t>(byte(rng));
    } else {
      b.resize(20 + 4 * (rng() % 20));
      for (auto& x : b) x = static_cast<std::uint8_t>(byte(rng));
      b[0] &= 0x3f;  // make it look like STUN, so the attribute walk runs
      b[2] = static_cast<std::uint8_t>((b.size() - 20) >> 8);
      b[3] = static_cast<std::uint8_t>(b.size() - 20);
      b[4] = 0x21, b[5] = 0x12, b[6] = 0xa4, b[7] = 0x42;
    }
    (void)parse_message(b);
    (void)parse_binding_answer(b);
  }
}
