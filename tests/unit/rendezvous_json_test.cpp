#include "codec/rendezvous_json.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

using namespace cairn::codec::rv;
using cairn::core::Address;
using cairn::core::Endpoint;
using cairn::core::RecordId;
using cairn::core::Signature;

namespace {

constexpr std::string_view kId = "00112233445566778899aabbccddeeff";
constexpr std::string_view kKey =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const std::string kSignatureHex(128, 'e');

Signature signature_of(std::uint8_t b) {
  Signature s;
  s.fill(b);
  return s;
}

Record sample_record() {
  Record r;
  r.addresses = {":7000", "wss://relay.example/abc"};
  r.up_bps = 10'000'000;
  r.down_bps = 50'000'000;
  r.protocols = {"webrtc", "tcp"};
  r.tags = {{"app", "chat"}, {"v", "2"}};
  return r;
}

RegisterRequest unsigned_request() {
  RegisterRequest r;
  r.id = *RecordId::from_hex(kId);
  r.record = sample_record();
  r.ttl = 300;
  return r;
}

RegisterRequest signed_request() {
  RegisterRequest r;
  r.id = *RecordId::from_hex(kKey);
  r.record.addresses = {"[2001:db8::1]:7000"};
  r.signed_by = SignedBy{0xffffffffffffffff, signature_of(0xab)};
  return r;
}

JsonError register_error(std::string_view json) {
  auto r = parse_register_request(json);
  EXPECT_FALSE(r.has_value()) << json;
  return r.has_value() ? JsonError{} : r.error().code;
}

// The message a refused register request gets.
std::string register_detail(std::string_view json) {
  auto r = parse_register_request(json);
  EXPECT_FALSE(r.has_value()) << json;
  return r.has_value() ? std::string() : r.error().detail;
}

// A register document with `members` after an unsigned id.
std::string with_id(std::string_view members) {
  std::string s = "{\"id\": \"" + std::string(kId) + "\"";
  if (!members.empty()) s.append(", ").append(members);
  return s + "}";
}

FoundRecord found(std::string_view id_hex, const Record& record, std::string_view source) {
  FoundRecord f;
  f.id = *RecordId::from_hex(id_hex);
  f.body = *encode_body(record);
  f.source = *Address::parse(source);
  f.last_seen = 12;
  f.expires_in = 288;
  return f;
}

}  // namespace

TEST(RendezvousJson, CursorHex) {
  Cursor c{0x6a1f03c2, 42};
  EXPECT_EQ(c.hex(), "6a1f03c2000000000000002a");  // the spec's example
  EXPECT_EQ(Cursor::from_hex(c.hex()), c);
  EXPECT_EQ(Cursor::from_hex("6A1F03C2000000000000002A"), c);
  EXPECT_EQ(Cursor::from_hex("6a1f03c2000000000000002"), std::nullopt);
  EXPECT_EQ(Cursor::from_hex("6a1f03c2000000000000002ax"), std::nullopt);
  EXPECT_EQ(Cursor::from_hex("6a1f03c2000000000000002g"), std::nullopt);
  EXPECT_EQ(Cursor::from_bytes(c.bytes()), c);
}

TEST(RendezvousJson, TheSpecsRegisterExample) {
  auto r = parse_register_request(R"({"id": "00112233445566778899aabbccddeeff",
       "addresses": [":7000", "wss://relay.example/abc"],
       "meta": {"up": 10000000, "down": 50000000, "protocols": ["webrtc", "tcp"],
                "tags": {"app": "chat", "v": "2"}},
       "ttl": 300})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->id, *RecordId::from_hex(kId));
  EXPECT_EQ(r->record, sample_record());
  EXPECT_EQ(r->body, *encode_body(sample_record()));
  EXPECT_EQ(r->ttl, 300u);
  EXPECT_FALSE(r->signed_by);
}

TEST(RendezvousJson, RegisterRequestRoundTrips) {
  for (const auto& request : {unsigned_request(), signed_request()}) {
    auto text = encode_register_request(request);
    auto back = parse_register_request(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(back->id, request.id);
    EXPECT_EQ(back->record, request.record);
    EXPECT_EQ(back->body, *encode_body(request.record));
    EXPECT_EQ(back->ttl, request.ttl);
    EXPECT_EQ(back->signed_by, request.signed_by);
  }
  RegisterRequest sealed;
  sealed.id = *RecordId::from_hex(kId);
  sealed.record.sealed = std::string("\x00\xff\x10 nonce and ciphertext", 24);
  auto text = encode_register_request(sealed);
  EXPECT_EQ(
      text,
      R"({"id":"00112233445566778899aabbccddeeff","sealed":"AP8QIG5vbmNlIGFuZCBjaXBoZXJ0ZXh0"})");
  auto back = parse_register_request(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->record.sealed, sealed.record.sealed);
  EXPECT_EQ(back->ttl, std::nullopt);
}

TEST(RendezvousJson, SignedRequestMembers) {
  std::string members = "\"public_key\": \"" + std::string(kKey) +
                        "\", \"seq\": 7, \"signature\": \"" + kSignatureHex + "\"";
  auto r = parse_register_request("{" + members + "}");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->id.is_public_key());
  EXPECT_EQ(r->id.hex(), kKey);
  EXPECT_EQ(r->signed_by->seq, 7u);
  EXPECT_EQ(r->signed_by->signature, signature_of(0xee));
  EXPECT_EQ(r->body, "");
  // id XOR (public_key, seq, signature), all three.
  EXPECT_EQ(register_error(with_id(members)), JsonError::bad_request);
  EXPECT_EQ(register_error("{}"), JsonError::bad_request);
  EXPECT_EQ(register_error("{\"public_key\": \"" + std::string(kKey) + "\", \"seq\": 7}"),
            JsonError::bad_request);
  EXPECT_EQ(register_error("{\"seq\": 7, \"signature\": \"" + kSignatureHex + "\"}"),
            JsonError::bad_request);
  EXPECT_EQ(register_error(with_id("\"seq\": 7")), JsonError::bad_request);
  EXPECT_EQ(register_error("{\"id\": \"" + std::string(kKey) + "\"}"),
            JsonError::bad_request);  // a key is no id
  EXPECT_EQ(register_error("{\"public_key\": \"" + std::string(kId) +
                           "\", \"seq\": 7, \"signature\": \"" + kSignatureHex + "\"}"),
            JsonError::bad_request);  // an id is no key
  EXPECT_EQ(register_error("{\"public_key\": \"" + std::string(kKey) +
                           "\", \"seq\": 7, \"signature\": \"" + kSignatureHex.substr(1) + "\"}"),
            JsonError::bad_request);
}

TEST(RendezvousJson, TtlZeroIsTheDefault) {
  EXPECT_EQ(parse_register_request(with_id("\"ttl\": 0"))->ttl, std::nullopt);
  EXPECT_EQ(parse_register_request(with_id("\"ttl\": 4294967295"))->ttl, 4294967295u);
  EXPECT_EQ(register_error(with_id("\"ttl\": 4294967296")), JsonError::bad_request);
}

TEST(RendezvousJson, RegisterErrors) {
  for (std::string_view bad : {"", "not json", "[]", "\"id\"", "null", "{\"id\": ", "{} {}", "{}x"})
    EXPECT_EQ(register_error(bad), JsonError::bad_request) << bad;
  for (std::string_view members : {
           "\"bogus\": 1",                                // unknown member
           "\"meta\": {\"upload\": 1}",                   // unknown member in meta
           "\"addresses\": \":7000\"",                    // not an array
           "\"addresses\": [7000]",                       // not strings
           "\"meta\": []",                                // not an object
           "\"meta\": {\"protocols\": \"tcp\"}",          //
           "\"meta\": {\"tags\": {\"a\": 1}}",            // tag value not a string
           "\"meta\": {\"tags\": [\"a\"]}",               //
           "\"ttl\": \"300\"",                            //
           "\"ttl\": -1",                                 // negative
           "\"ttl\": 300.0",                              // a double
           "\"ttl\": 3e2",                                //
           "\"meta\": {\"up\": -1}",                      //
           "\"meta\": {\"up\": 18446744073709551616}",    // 2^64: a double to Boost.JSON
           "\"meta\": {\"up\": 1.5}",                     //
           "\"meta\": {\"up\": true}",                    //
           "\"meta\": {\"down\": null}",                  //
           "\"sealed\": \"AAA\"",                         // base64 without padding
           "\"sealed\": \"AA==AA==\"",                    // padding inside
           "\"sealed\": \"A===\"",                        //
           "\"sealed\": \"AB==\"",                        // non-zero leftover bits
           "\"sealed\": \"AA-_\"",                        // URL-safe alphabet
           "\"sealed\": \"AA AA\"",                       //
           "\"sealed\": 5",                               //
           "\"meta\": {\"tags\": {\"a\": {\"b\": {}}}}",  // deeper than any request
       })
    EXPECT_EQ(register_error(with_id(members)), JsonError::bad_request) << members;
  for (std::string_view id : {"\"0011\"", "\"00112233445566778899aabbccddeefg\"", "1", "null"})
    EXPECT_EQ(register_error("{\"id\": " + std::string(id) + "}"), JsonError::bad_request) << id;
  EXPECT_EQ(register_error(with_id("\"addresses\": [\"\xff\"]")),
            JsonError::bad_request);                                             // not UTF-8
  EXPECT_EQ(register_error(std::string(2 << 20, ' ')), JsonError::bad_request);  // over 1 MiB
}

TEST(RendezvousJson, RecordRulesGiveTheirCodes) {
  EXPECT_EQ(register_error(with_id("\"addresses\": [\"host:80\"]")), JsonError::bad_record);
  EXPECT_EQ(register_error(with_id("\"meta\": {\"protocols\": [\"a b\"]}")), JsonError::bad_record);
  EXPECT_EQ(register_error(with_id(
                "\"addresses\": [\":1\",\":1\",\":1\",\":1\",\":1\",\":1\",\":1\",\":1\",\":1\"]")),
            JsonError::bad_record);
  std::string big = "\"sealed\": \"" + std::string(1368, 'A') + "\"";  // 1026 bytes
  EXPECT_EQ(register_error(with_id(big)), JsonError::record_too_large);
  EXPECT_EQ(error_code(JsonError::bad_request), "bad_request");
  EXPECT_EQ(error_code(JsonError::bad_record), "bad_record");
  EXPECT_EQ(error_code(JsonError::record_too_large), "record_too_large");
}

TEST(RendezvousJson, ErrorsSayWhatWasWrong) {
  const std::string signed_members = R"("public_key", "seq" and "signature")";
  const std::pair<std::string, std::string> cases[] = {
      {with_id(R"("adresses": [":1"])"), R"(unknown member "adresses")"},
      {with_id(R"("meta": {"upload": 1})"), R"(unknown member "meta.upload")"},
      {with_id("\"" + std::string(40, 'k') + "\": 1"),
       "unknown member \"" + std::string(32, 'k') + "...\""},
      {with_id(R"("a\u0001\u00e9": 1)"), R"(unknown member "a???")"},
      {with_id(R"("ttl": 300.0)"), R"(member "ttl": need an integer from 0 to 4294967295)"},
      {with_id(R"("meta": {"down": null})"),
       R"(member "meta.down": need an integer from 0 to 18446744073709551615)"},
      {with_id(R"("meta": [])"), R"(member "meta": need an object)"},
      {with_id(R"("meta": {"tags": {"a": 1}})"),
       R"(member "meta.tags": need an object of strings)"},
      {with_id(R"("meta": {"protocols": "tcp"})"),
       R"(member "meta.protocols": need an array of strings)"},
      {with_id(R"("addresses": [7000])"), R"(member "addresses": need an array of strings)"},
      {with_id(R"("sealed": "AAA")"), R"(member "sealed": need base64 (standard, padded))"},
      {with_id(R"("seq": "7")"), R"(member "seq": need an integer from 0 to 18446744073709551615)"},
      {R"({"id": "0011"})", R"(member "id": need 32 hex digits)"},
      {"{\"public_key\": \"" + std::string(kId) + "\"}",
       R"(member "public_key": need 64 hex digits (an Ed25519 public key))"},
      {"{\"id\": \"" + std::string(kKey) + "\"}",
       R"(member "id": 64 hex digits are a public key; a signed record sends )" + signed_members},
      {"{}", R"(missing member "id" (or )" + signed_members + " for a signed record)"},
      {"{\"public_key\": \"" + std::string(kKey) + "\", \"seq\": 7}",
       R"(missing member "signature": a signed record needs )" + signed_members},
      {R"({"seq": 7})", R"(missing member "public_key": a signed record needs )" + signed_members},
      {with_id(R"("seq": 7)"), R"(give either "id" or )" + signed_members + ", not both"},
      {"not json", "the body is not JSON"},
      {"", "the body is not JSON"},
      {"[]", "the body is not a JSON object"},
      {with_id(R"("meta": {"tags": {"a": {"b": {}}}})"),
       "the body nests objects or arrays deeper than a record does"},
      {with_id(R"("addresses": ["host:80"])"),
       "an address is not ip:port, [ipv6]:port, :port or a URL (at most 255 bytes, no control "
       "characters)"},
      {with_id(R"("meta": {"protocols": ["a b"]})"),
       "a protocol is not 1-32 letters, digits or .+-_/"},
      {with_id(R"("meta": {"tags": {"a b": "c"}})"),
       "a tag key is not 1-32 letters, digits or .+-_/"},
      {with_id(R"("meta": {"tags": {"k": ")" + std::string(256, 'v') + "\"}}"),
       "a tag value is over 255 bytes or not UTF-8"},
      {with_id(R"("sealed": ")" + std::string(1368, 'A') + "\""), "sealed is over 1,024 bytes"},
      {with_id(R"("sealed": ")" + std::string(1360, 'A') +
               R"(", "addresses": [":10000", ":20000", ":30000"])"),
       "the record body is over 1,040 bytes"},
  };
  for (const auto& [json, detail] : cases) EXPECT_EQ(register_detail(json), detail) << json;
}

TEST(RendezvousJson, QueryErrorsSayWhatWasWrong) {
  const std::pair<std::string_view, std::string_view> lookups[] = {
      {"limt=5", R"(unknown parameter "limt")"},
      {"%01x=5", R"(unknown parameter "?x")"},
      {"limit=1&limit=2", R"(parameter "limit" given twice)"},
      {"limit=1.5", R"(parameter "limit": need a number)"},
      {"capability=a%20b", R"(parameter "capability": need 1-32 letters, digits or .+-_/)"},
      {"cursor=00", R"(parameter "cursor": need the 24 hex digits of an earlier answer's cursor)"},
      {"capability=%zz", "the query string is not well-formed: check its percent-encoding"},
  };
  for (auto [query, detail] : lookups) {
    auto q = parse_lookup_query(query);
    ASSERT_FALSE(q.has_value()) << query;
    EXPECT_EQ(q.error().code, JsonError::bad_request);
    EXPECT_EQ(q.error().detail, detail) << query;
  }
  const std::pair<std::string, std::string_view> removes[] = {
      {"seq=1", R"(parameters "seq" and "signature" go together)"},
      {"seq=-1&signature=" + kSignatureHex,
       R"(parameter "seq": need an integer from 0 to 18446744073709551615)"},
      {"seq=1&signature=00", R"(parameter "signature": need 128 hex digits)"},
      {"other=1", R"(unknown parameter "other")"},
  };
  for (const auto& [query, detail] : removes) {
    auto q = parse_remove_query(query);
    ASSERT_FALSE(q.has_value()) << query;
    EXPECT_EQ(q.error().detail, detail) << query;
  }
}

TEST(RendezvousJson, EmptyContainersAndRepeats) {
  auto r = parse_register_request(with_id("\"addresses\": [], \"meta\": {\"tags\": {}}"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->record, Record{});
  // A member given twice counts once, with its last value.
  auto twice = parse_register_request(with_id("\"ttl\": 100, \"ttl\": 200"));
  ASSERT_TRUE(twice.has_value());
  EXPECT_EQ(twice->ttl, 200u);
}

TEST(RendezvousJson, LookupQuery) {
  auto q = parse_lookup_query("");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->limit, LookupQuery::default_limit);
  EXPECT_EQ(q->capability, "");
  EXPECT_EQ(q->cursor, std::nullopt);
  auto limit = [](std::string_view query) { return parse_lookup_query(query)->limit; };
  EXPECT_EQ(limit("limit=0"), 50u);
  EXPECT_EQ(limit("limit="), 50u);
  EXPECT_EQ(limit("limit"), 50u);
  EXPECT_EQ(limit("limit=1"), 1u);
  EXPECT_EQ(limit("limit=0020"), 20u);
  EXPECT_EQ(limit("limit=200"), 200u);
  EXPECT_EQ(limit("limit=201"), 200u);
  EXPECT_EQ(limit("limit=99999999999999999999999999"), 200u);
  auto full = parse_lookup_query("limit=20&capability=webrtc&cursor=6a1f03c2000000000000002a");
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->limit, 20u);
  EXPECT_EQ(full->capability, "webrtc");
  EXPECT_EQ(full->cursor, (Cursor{0x6a1f03c2, 42}));
  EXPECT_EQ(parse_lookup_query("capability=c%2B%2B")->capability, "c++");
  EXPECT_EQ(parse_lookup_query("capability=c++")->capability, "c++");  // '+' is not a space here
  EXPECT_EQ(parse_lookup_query("capability=x%2Fy")->capability, "x/y");
  EXPECT_EQ(parse_lookup_query("&&limit=3&")->limit, 3u);
  for (std::string_view bad :
       {"limit=-1", "limit=abc", "limit=1.5", "limit=+1", "capability=a%20b",
        "capability=0123456789012345678901234567890123", "cursor=00", "cursor=xyz",
        "cursor=6a1f03c2000000000000002a00", "bogus=1", "limit=1&limit=2",
        "capability=a&capability=a", "capability=%zz", "capability=%4", "Limit=1"})
    EXPECT_FALSE(parse_lookup_query(bad).has_value()) << bad;
}

TEST(RendezvousJson, QueryIsNotReadPastItsEnd) {
  // Regression (fuzz/rendezvous_json_fuzz.cpp): Boost.URL 1.81's
  // parse_query() read its input up to a NUL, not to the view's end. A
  // query is a view into the request buffer, with more after it.
  std::string buffer = "limit=50 HTTP/1.1";
  auto q = parse_lookup_query(std::string_view(buffer).substr(0, 7));
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->limit, 5u);
  EXPECT_TRUE(parse_remove_query(std::string_view(buffer).substr(0, 0)).has_value());
  std::vector<char> unterminated{'x'};  // under ASan, a read past it is a report
  // Empty, yet pointing somewhere: on purpose.
  const std::string_view empty(unterminated.data(), 0);  // NOLINT(bugprone-string-constructor)
  EXPECT_EQ(parse_lookup_query(empty)->limit, LookupQuery::default_limit);
  EXPECT_FALSE(parse_lookup_query(std::string_view("limit=5\0&x", 10)).has_value());
}

TEST(RendezvousJson, LookupQueryRoundTrips) {
  LookupQuery q;
  EXPECT_EQ(encode_lookup_query(q), "limit=50");
  q.limit = 7;
  q.capability = "a+b/c";
  q.cursor = Cursor{1, 2};
  auto text = encode_lookup_query(q);
  EXPECT_EQ(text, "limit=7&capability=a%2Bb%2Fc&cursor=000000010000000000000002");
  auto back = parse_lookup_query(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->limit, q.limit);
  EXPECT_EQ(back->capability, q.capability);
  EXPECT_EQ(back->cursor, q.cursor);
}

TEST(RendezvousJson, RemoveQuery) {
  auto none = parse_remove_query("");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->signed_by);
  RemoveQuery q;
  q.signed_by = SignedBy{18446744073709551615u, signature_of(0x5c)};
  auto text = encode_remove_query(q);
  std::string hex;
  for (int i = 0; i < 64; ++i) hex += "5c";
  EXPECT_EQ(text, "seq=18446744073709551615&signature=" + hex);
  auto back = parse_remove_query(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->signed_by, q.signed_by);
  EXPECT_EQ(encode_remove_query(RemoveQuery{}), "");
  for (std::string_view bad : {"seq=1", "signature=ee", "seq=18446744073709551616&signature=",
                               "seq=-1", "seq=x", "seq=1&seq=1", "other=1"})
    EXPECT_FALSE(parse_remove_query(bad).has_value()) << bad;
  EXPECT_FALSE(parse_remove_query("seq=1&signature=" + kSignatureHex.substr(2)).has_value());
  EXPECT_FALSE(
      parse_remove_query("seq=18446744073709551616&signature=" + kSignatureHex).has_value());
  EXPECT_TRUE(parse_remove_query("seq=0&signature=" + kSignatureHex).has_value());
}

TEST(RendezvousJson, RegisterReply) {
  std::string out = "prefix|";
  encode_register_reply(*RecordId::from_hex(kId), 300, 150, *Endpoint::parse("203.0.113.7:51234"),
                        out);
  EXPECT_EQ(out,
            R"(prefix|{"id":"00112233445566778899aabbccddeeff","ttl":300,"reannounce_after":150,)"
            R"("observed":"203.0.113.7:51234"})");
  auto r = parse_register_reply(out.substr(7));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->ttl, 300u);
  EXPECT_EQ(r->reannounce_after, 150u);
  EXPECT_EQ(r->observed, "203.0.113.7:51234");
  // Answers may grow members; a missing one or a wrong type is an error.
  EXPECT_TRUE(parse_register_reply(R"({"ttl":1,"reannounce_after":0,"observed":"x","new":[1]})")
                  .has_value());
  EXPECT_FALSE(parse_register_reply(R"({"ttl":1,"observed":"x"})").has_value());
  EXPECT_FALSE(
      parse_register_reply(R"({"ttl":-1,"reannounce_after":0,"observed":"x"})").has_value());
  EXPECT_FALSE(parse_register_reply(R"({"ttl":1,"reannounce_after":0,"observed":1})").has_value());
}

TEST(RendezvousJson, LookupReplyRoundTrips) {
  std::vector<FoundRecord> records;
  records.push_back(found(kId, sample_record(), "203.0.113.7"));
  Record v6;
  v6.addresses = {"[::]:9", "0.0.0.0:8", "198.51.100.1:7"};
  records.push_back(found(kKey, v6, "2001:db8::7"));
  records.back().signed_by = SignedBy{99, signature_of(0x01)};
  Record sealed;
  sealed.sealed = "opaque";
  records.push_back(found("ffeeddccbbaa99887766554433221100", sealed, "192.0.2.1"));
  std::string out;
  encode_lookup_reply(records, Cursor{0x6a1f03c2, 42}, true, out);
  constexpr std::string_view start =
      R"({"records":[{"id":"00112233445566778899aabbccddeeff","addresses":["203.0.113.7:7000",)"
      R"("wss://relay.example/abc"],"meta":{"up":10000000,)";
  EXPECT_EQ(out.substr(0, start.size()), start);
  auto r = parse_lookup_reply(out);
  ASSERT_TRUE(r.has_value()) << out;
  EXPECT_EQ(r->cursor, "6a1f03c2000000000000002a");
  EXPECT_TRUE(r->more);
  ASSERT_EQ(r->records.size(), 3u);
  auto filled = sample_record();
  filled.addresses[0] = "203.0.113.7:7000";
  EXPECT_EQ(r->records[0].record, filled);
  EXPECT_EQ(r->records[0].id, records[0].id);
  EXPECT_EQ(r->records[0].last_seen, 12u);
  EXPECT_EQ(r->records[0].expires_in, 288u);
  EXPECT_FALSE(r->records[0].signed_by);
  EXPECT_EQ(r->records[0].body, "");  // only signed records carry their body
  EXPECT_EQ(r->records[1].record.addresses,
            (std::vector<std::string>{"[2001:db8::7]:9", "[2001:db8::7]:8", "198.51.100.1:7"}));
  EXPECT_EQ(r->records[1].signed_by, records[1].signed_by);
  EXPECT_EQ(r->records[1].body, records[1].body);  // as registered: unspecified addresses kept
  EXPECT_EQ(r->records[2].record, sealed);
}

TEST(RendezvousJson, LookupReplyShapes) {
  std::string out;
  encode_lookup_reply({}, Cursor{}, false, out);
  EXPECT_EQ(out, R"({"records":[],"cursor":"000000000000000000000000"})");  // "more" only when true
  // A body that does not decode is left out rather than sent half-shown.
  FoundRecord broken = found(kId, Record{}, "192.0.2.1");
  broken.body = "\x07";
  out.clear();
  encode_lookup_reply(std::span(&broken, 1), Cursor{}, false, out);
  EXPECT_EQ(out, R"({"records":[],"cursor":"000000000000000000000000"})");
  for (
      std::string_view bad : {
          R"({"cursor":"c"})",                                             // no records
          R"({"records":[]})",                                             // no cursor
          R"({"records":[{"last_seen":1,"expires_in":2}],"cursor":"c"})",  // no id
          R"({"records":[{"id":"00112233445566778899aabbccddeeff","last_seen":1}],"cursor":"c"})",
          R"({"records":[{"id":"00112233445566778899aabbccddeeff","last_seen":1,"expires_in":2,"seq":1}],"cursor":"c"})",
          R"({"records":{},"cursor":"c"})",
          R"({"records":[],"cursor":"c","more":1})",
      })
    EXPECT_FALSE(parse_lookup_reply(bad).has_value()) << bad;
  EXPECT_TRUE(
      parse_lookup_reply(R"({"records":[{"id":"00112233445566778899aabbccddeeff","last_seen":1,)"
                         R"("expires_in":2,"future":{}}],"cursor":"c","next":1})")
          .has_value());
}

TEST(RendezvousJson, SignedEntryMustMatchItsKey) {
  std::string entry = std::string(R"({"records":[{"id":")") + std::string(kKey) +
                      R"(","last_seen":1,"expires_in":2,"public_key":")" + std::string(kKey) +
                      R"(","seq":1,"signature":")" + kSignatureHex +
                      R"(","body":""}],"cursor":"c"})";
  EXPECT_TRUE(parse_lookup_reply(entry).has_value());
  std::string other = entry;
  other.replace(other.find(kKey, 30), 2, "ff");
  EXPECT_FALSE(parse_lookup_reply(other).has_value());
  std::string no_body = entry;
  no_body.replace(no_body.find(R"(,"body":"")"), 10, "");
  EXPECT_FALSE(parse_lookup_reply(no_body).has_value());
}

TEST(RendezvousJson, Whoami) {
  std::string out;
  encode_whoami(*Endpoint::parse("203.0.113.7:51234"), out);
  EXPECT_EQ(out, R"({"address":"203.0.113.7","port":51234})");
  EXPECT_EQ(*parse_whoami_reply(out), *Endpoint::parse("203.0.113.7:51234"));
  out.clear();
  encode_whoami(*Endpoint::parse("[2001:db8::7]:0"), out);
  EXPECT_EQ(out, R"({"address":"2001:db8::7","port":0})");
  EXPECT_EQ(*parse_whoami_reply(out), *Endpoint::parse("[2001:db8::7]:0"));
  EXPECT_FALSE(parse_whoami_reply(R"({"address":"203.0.113.7","port":65536})").has_value());
  EXPECT_FALSE(parse_whoami_reply(R"({"address":"host","port":1})").has_value());
  EXPECT_FALSE(parse_whoami_reply(R"({"port":1})").has_value());
}

TEST(RendezvousJson, RemovedAndErrors) {
  std::string out;
  encode_removed(out);
  EXPECT_EQ(out, R"({"removed":true})");
  out.clear();
  encode_error("topic_full", "the topic holds its maximum of records", out);
  EXPECT_EQ(
      out, R"({"error":{"code":"topic_full","message":"the topic holds its maximum of records"}})");
  auto e = parse_error_reply(out);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "topic_full");
  EXPECT_EQ(e->message, "the topic holds its maximum of records");
  EXPECT_FALSE(parse_error_reply(R"({"removed":true})"));
  EXPECT_FALSE(parse_error_reply(R"({"error":"x"})"));
  EXPECT_FALSE(parse_error_reply(R"({"error":{"code":"x"}})"));
  EXPECT_FALSE(parse_error_reply("not json"));
}

TEST(RendezvousJson, EscapingOnOutput) {
  std::string out;
  encode_error("c", std::string("q\"b\\s/\x01\x1f\n\t\x7f\0end", 15), out);
  EXPECT_EQ(out, R"({"error":{"code":"c","message":"q\"b\\s/\u0001\u001f\n\t)"
                 "\x7f"
                 R"(\u0000end"}})");
  EXPECT_EQ(parse_error_reply(out)->message, std::string("q\"b\\s/\x01\x1f\n\t\x7f\0end", 15));
  // Tag values and URLs are text that may hold anything JSON must escape.
  Record r;
  r.addresses = {"wss://relay.example/\"x\\y\""};
  r.tags = {{"k", std::string("\"\\\x01\n\0\xc3\xa9", 7)}};
  FoundRecord f = found(kId, r, "192.0.2.1");
  out.clear();
  encode_lookup_reply(std::span(&f, 1), Cursor{}, false, out);
  EXPECT_NE(out.find(R"("wss://relay.example/\"x\\y\"")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("k":"\"\\\u0001\n\u0000)"
                     "\xc3\xa9\""),
            std::string::npos)
      << out;
  auto back = parse_lookup_reply(out);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->records[0].record, r);
}

TEST(RendezvousJson, RandomInputNeverThrows) {
  std::mt19937 rng(5);
  const std::string seeds[] = {encode_register_request(unsigned_request()),
                               encode_register_request(signed_request())};
  for (int i = 0; i < 5000; ++i) {
    std::string m = seeds[i % 2];
    for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k)
      m[rng() % m.size()] = static_cast<char>(rng() % 128);
    (void)parse_register_request(m);
    (void)parse_lookup_reply(m);
    (void)parse_register_reply(m);
    (void)parse_whoami_reply(m);
    (void)parse_error_reply(m);
    (void)parse_lookup_query(m);
    (void)parse_remove_query(m);
  }
}
