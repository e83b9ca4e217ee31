#include "codec/http_tracker.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "codec/bencode.hpp"
#include "support/ids.hpp"

using namespace cairn::codec;
using namespace cairn::core;
using cairn::test::id_of;

namespace {

std::string percent(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    out += '%';
    out += digits[u >> 4];
    out += digits[u & 0xf];
  }
  return out;
}

const std::string kHash = percent(id_of<InfoHash>(1).view());
const std::string kPeer = percent(id_of<PeerId>(2).view());
const std::string kBase = "info_hash=" + kHash + "&peer_id=" + kPeer + "&port=6881";

AnnounceQuery full_query() {
  AnnounceQuery q;
  q.info_hash = id_of<InfoHash>(200);  // bytes from all over 0..255
  q.peer_id = id_of<PeerId>(43);
  q.port = 51413;
  q.uploaded = 1ull << 40;
  q.downloaded = 18446744073709551615ull;
  q.left = 0;
  q.left_present = true;
  q.event = Event::completed;
  q.numwant = -1;
  q.compact = false;
  q.no_peer_id = true;
  q.ip = Address::parse("2001:db8::1");
  q.key = 0xdeadbeef;
  return q;
}

HttpTrackerError announce_error(const std::string& query) {
  auto r = parse_announce_query(query);
  EXPECT_FALSE(r.has_value()) << query;
  return r.has_value() ? HttpTrackerError{0} : r.error();
}

PeerInfo peer(std::string_view endpoint, std::uint8_t seed) {
  return {*Endpoint::parse(endpoint), id_of<PeerId>(seed)};
}

}  // namespace

TEST(HttpTracker, FailureTexts) {
  using E = HttpTrackerError;
  EXPECT_EQ(failure_text(E::missing_info_hash), "missing info_hash");
  EXPECT_EQ(failure_text(E::invalid_info_hash),
            "invalid info_hash: need 20 bytes, percent-encoded, or 40 hex digits (a v2 hash is "
            "truncated to its first 20 bytes)");
  EXPECT_EQ(failure_text(E::missing_peer_id), "missing peer_id");
  EXPECT_EQ(failure_text(E::invalid_peer_id), "invalid peer_id: need 20 bytes, percent-encoded");
  EXPECT_EQ(failure_text(E::missing_port), "missing port");
  EXPECT_EQ(failure_text(E::invalid_port), "invalid port");
  EXPECT_EQ(failure_text(E::bad_percent_encoding), "bad percent-encoding");
  EXPECT_EQ(failure_text(E::invalid_event), "unknown event");
  EXPECT_EQ(failure_text(E::invalid_number), "invalid number");
  EXPECT_EQ(failure_text(E::invalid_ip), "invalid ip");
  EXPECT_EQ(failure_text(E::too_many_info_hashes),
            "too many info_hash values: at most 100 per scrape");
  EXPECT_EQ(failure_text(E::duplicate_parameter), "duplicate parameter");
  EXPECT_EQ(failure_text(E::request_too_long), "request too long");
  EXPECT_EQ(failure_text(E::scrape_too_long),
            "request too long: scrape at most 100 info_hash values at a time");
}

TEST(HttpTracker, AnnounceRoundTrip) {
  auto q = full_query();
  auto r = parse_announce_query(encode_announce_query(q));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->info_hash, q.info_hash);
  EXPECT_EQ(r->peer_id, q.peer_id);
  EXPECT_EQ(r->port, q.port);
  EXPECT_EQ(r->uploaded, q.uploaded);
  EXPECT_EQ(r->downloaded, q.downloaded);
  EXPECT_EQ(r->left, q.left);
  EXPECT_TRUE(r->left_present);
  EXPECT_EQ(r->event, q.event);
  EXPECT_EQ(r->numwant, q.numwant);
  EXPECT_EQ(r->compact, q.compact);
  EXPECT_EQ(r->no_peer_id, q.no_peer_id);
  EXPECT_EQ(r->ip, q.ip);
  EXPECT_EQ(r->key, q.key);
}

TEST(HttpTracker, AnnounceDefaults) {
  auto r = parse_announce_query(kBase);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->info_hash, id_of<InfoHash>(1));
  EXPECT_EQ(r->peer_id, id_of<PeerId>(2));
  EXPECT_EQ(r->port, 6881);
  EXPECT_FALSE(r->left_present);
  EXPECT_EQ(r->event, Event::none);
  EXPECT_FALSE(r->numwant);
  EXPECT_TRUE(r->compact);
  EXPECT_FALSE(r->no_peer_id);
  EXPECT_FALSE(r->ip);
  EXPECT_FALSE(r->key);
  // Unknown keys, empty pairs and a minimal client-side round trip.
  EXPECT_TRUE(parse_announce_query("&&supportcrypto=1&" + kBase + "&corrupt=0&&x").has_value());
  AnnounceQuery minimal;
  minimal.event = Event::stopped;
  minimal.port = 1;  // the one field without a valid default
  auto back = parse_announce_query(encode_announce_query(minimal));
  ASSERT_TRUE(back.has_value());
  EXPECT_FALSE(back->left_present);
  EXPECT_EQ(back->event, Event::stopped);
}

TEST(HttpTracker, PercentDecodesEveryByte) {
  for (int b = 0; b < 256; ++b) {
    std::string hash(20, 'a');
    hash[7] = static_cast<char>(b);
    for (bool upper : {false, true}) {
      std::string enc = "aaaaaaa%";
      const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
      enc += digits[b >> 4];
      enc += digits[b & 0xf];
      enc += "aaaaaaaaaaaa";
      auto r = parse_announce_query("info_hash=" + enc + "&peer_id=" + kPeer + "&port=1");
      ASSERT_TRUE(r.has_value()) << b;
      EXPECT_EQ(r->info_hash.view(), hash) << b;
    }
  }
}

// The id decoder (two turns a bound test, both digits of an escape in one
// lookup) against a plain reference decoder: random 20-byte ids, each byte
// escaped in either case or sent raw, some with one byte replaced by a
// non-digit, '%', '&' or a high byte, some cut short, as the first pair and
// as the query's last (whose tail the decoder reads with its slow loops).
TEST(HttpTracker, IdDecodingMatchesAReferenceDecoder) {
  const auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  // The decoded value, or nullopt on bad percent-encoding.
  const auto reference = [&](std::string_view v) -> std::optional<std::string> {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] != '%') {
        out += v[i];
        continue;
      }
      if (i + 2 >= v.size()) return std::nullopt;
      const int high = hex(v[i + 1]), low = hex(v[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    }
    return out;
  };
  std::mt19937 rng(15);
  const std::string odd = "gG%&z /\x80\xff:";
  for (int round = 0; round < 200'000; ++round) {
    std::string value;
    for (int i = 0; i < 20; ++i) {
      const auto b = static_cast<unsigned char>(rng());
      const bool unreserved = std::isalnum(b) || b == '-' || b == '.' || b == '_' || b == '~';
      if (unreserved && rng() % 4 != 0) {
        value += static_cast<char>(b);
      } else {
        const char* digits = rng() % 2 ? "0123456789ABCDEF" : "0123456789abcdef";
        value += '%';
        value += digits[b >> 4];
        value += digits[b & 0xf];
      }
    }
    if (rng() % 3 == 0) value[rng() % value.size()] = odd[rng() % odd.size()];
    if (rng() % 4 == 0) value.resize(rng() % value.size());
    const bool last = rng() % 2 != 0;
    const std::string query = last ? "info_hash=" + kPeer + "&port=1&peer_id=" + value
                                   : "info_hash=" + value + "&peer_id=" + kPeer + "&port=1";
    const auto r = parse_announce_query(query);
    const auto expected = reference(std::string_view(value).substr(0, value.find('&')));
    if (!expected) {
      ASSERT_FALSE(r.has_value()) << query;
      ASSERT_EQ(r.error(), HttpTrackerError::bad_percent_encoding) << query;
    } else if (value.find('&') != std::string::npos) {
      continue;  // the rest is another pair, with its own outcome
    } else if (expected->size() == 20) {
      ASSERT_TRUE(r.has_value()) << query;
      ASSERT_EQ(last ? r->peer_id.view() : r->info_hash.view(), *expected) << query;
    } else if (expected->size() != 40) {
      ASSERT_FALSE(r.has_value()) << query;
    }
  }
}

TEST(HttpTracker, PlusIsLiteralAndKeysAreDecoded) {
  std::string hash(20, '+');
  auto r = parse_announce_query("info_hash=" + hash + "&%70eer%5fid=" + kPeer + "&port=1");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->info_hash.view(), hash);
  EXPECT_EQ(r->peer_id, id_of<PeerId>(2));
  // Unreserved characters may be sent raw.
  auto raw =
      parse_announce_query("info_hash=ABCDEFGHIJKLMNOPQRST&peer_id=-qB4250-abcdefghijkl&port=1");
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->info_hash.view(), "ABCDEFGHIJKLMNOPQRST");
  EXPECT_EQ(raw->peer_id.view(), "-qB4250-abcdefghijkl");
}

TEST(HttpTracker, BadPercentEncoding) {
  using E = HttpTrackerError;
  for (std::string bad : {"%", "%4", "%g0", "%0g", "%%41", "a%2"}) {
    EXPECT_EQ(announce_error(kBase + "&uploaded=" + bad), E::bad_percent_encoding) << bad;
    EXPECT_EQ(announce_error(kBase + "&unknown=" + bad), E::bad_percent_encoding) << bad;
    EXPECT_EQ(announce_error(kBase + "&" + bad + "=1"), E::bad_percent_encoding) << bad;
  }
  // The query ending mid-escape must not read past it.
  std::string trailing = kBase + "&x=%4";
  EXPECT_EQ(announce_error(trailing.substr(0, trailing.size() - 1)), E::bad_percent_encoding);
}

TEST(HttpTracker, AnnounceErrors) {
  using E = HttpTrackerError;
  EXPECT_EQ(announce_error(""), E::missing_info_hash);
  EXPECT_EQ(announce_error("peer_id=" + kPeer + "&port=1"), E::missing_info_hash);
  EXPECT_EQ(announce_error("info_hash=" + kHash + "&port=1"), E::missing_peer_id);
  EXPECT_EQ(announce_error("info_hash=" + kHash + "&peer_id=" + kPeer), E::missing_port);
  EXPECT_EQ(announce_error("info_hash=%01&peer_id=" + kPeer + "&port=1"), E::invalid_info_hash);
  EXPECT_EQ(announce_error("info_hash=" + kHash + "%01&peer_id=" + kPeer + "&port=1"),
            E::invalid_info_hash);
  EXPECT_EQ(announce_error("info_hash&peer_id=" + kPeer + "&port=1"), E::invalid_info_hash);
  EXPECT_EQ(announce_error("info_hash=" + kHash + "&peer_id=abc&port=1"), E::invalid_peer_id);
  // v2 hashes, whole: 32 bytes, or 64 hex digits.
  EXPECT_EQ(announce_error("info_hash=" + std::string(32, 'v') + "&peer_id=" + kPeer + "&port=1"),
            E::invalid_info_hash);
  EXPECT_EQ(announce_error("info_hash=" + std::string(64, 'a') + "&peer_id=" + kPeer + "&port=1"),
            E::invalid_info_hash);
  std::string long_id(300, 'x');  // longer than the decode buffer
  EXPECT_EQ(announce_error("info_hash=" + long_id + "&peer_id=" + kPeer + "&port=1"),
            E::invalid_info_hash);
  for (std::string port : {"", "65536", "-1", "+1", "1a", " 1", "99999999999999999999"})
    EXPECT_EQ(announce_error("info_hash=" + kHash + "&peer_id=" + kPeer + "&port=" + port),
              E::invalid_port)
        << port;
  EXPECT_TRUE(
      parse_announce_query("info_hash=" + kHash + "&peer_id=" + kPeer + "&port=65535").has_value());
  // Port 0 is unreachable: refused, never stored and handed to other peers.
  EXPECT_EQ(announce_error("info_hash=" + kHash + "&peer_id=" + kPeer + "&port=0"),
            E::invalid_port);
  EXPECT_EQ(announce_error("info_hash=" + kHash + "&peer_id=" + kPeer + "&port=00000"),
            E::invalid_port);
  EXPECT_TRUE(
      parse_announce_query("info_hash=" + kHash + "&peer_id=" + kPeer + "&port=1").has_value());
  EXPECT_EQ(announce_error(kBase + "&port=1"), E::duplicate_parameter);
  EXPECT_EQ(announce_error(kBase + "&info_hash=" + kHash), E::duplicate_parameter);
  EXPECT_EQ(announce_error(kBase + "&peer_id=" + kPeer), E::duplicate_parameter);
  EXPECT_EQ(announce_error(kBase + "&port=x"), E::duplicate_parameter);  // first problem wins
  EXPECT_EQ(announce_error("port=x&port=1"), E::invalid_port);
}

TEST(HttpTracker, Numbers) {
  using E = HttpTrackerError;
  auto ok = [](const std::string& extra) { return parse_announce_query(kBase + extra); };
  EXPECT_EQ(ok("&left=18446744073709551615")->left, 18446744073709551615ull);
  EXPECT_EQ(ok("&uploaded=007")->uploaded, 7u);
  EXPECT_EQ(ok("&numwant=-5")->numwant, -5);
  EXPECT_EQ(ok("&numwant=200")->numwant, 200);
  for (std::string key : {"uploaded", "downloaded", "left"})
    for (const std::string& v : std::vector<std::string>{
             "", "-1", "+1", "1.5", "18446744073709551616", "1e3", "0x10", std::string(100, '1')})
      EXPECT_EQ(announce_error(kBase + "&" + key + "=" + v), E::invalid_number) << key << "=" << v;
  for (std::string v : {"", "+1", "abc", "-", "1-", "99999999999999999999x"})
    EXPECT_EQ(announce_error(kBase + "&numwant=" + v), E::invalid_number) << v;
}

// Plain digits up to 19 are read as they are found (no overflow possible);
// longer, signed or escaped values go through the general path: both must
// agree at the edge between them.
TEST(HttpTracker, NumbersAtTheFastPathsEdges) {
  using E = HttpTrackerError;
  auto ok = [](const std::string& extra) { return parse_announce_query(kBase + extra); };
  EXPECT_EQ(ok("&uploaded=" + std::string(19, '9'))->uploaded, 9999999999999999999ull);
  EXPECT_EQ(ok("&uploaded=" + std::string(19, '0') + "5")->uploaded, 5u);  // 20 digits, in range
  EXPECT_EQ(announce_error(kBase + "&downloaded=" + std::string(20, '9')), E::invalid_number);
  EXPECT_EQ(ok("&left=0")->left_present, true);
  EXPECT_EQ(ok("&left=1%32")->left, 12u);  // an escape after digits
  EXPECT_EQ(ok("&left=%31")->left, 1u);
  EXPECT_EQ(announce_error(kBase + "&left=1%"), E::bad_percent_encoding);
  EXPECT_EQ(announce_error(kBase + "&left=12x"), E::invalid_number);
  EXPECT_EQ(ok("&numwant=9999999999999999999")->numwant, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(ok("&numwant=0")->numwant, 0);
  const std::string base = "info_hash=" + kHash + "&peer_id=" + kPeer;
  EXPECT_EQ(parse_announce_query(base + "&port=65535")->port, 65535);
  EXPECT_EQ(parse_announce_query(base + "&port=%36881")->port, 6881);
  EXPECT_EQ(parse_announce_query(base + "&port=0000000000000000006881")->port, 6881);
  EXPECT_EQ(announce_error(base + "&port=65536"), E::invalid_port);
  EXPECT_EQ(announce_error(base + "&port=9999999999999999999"), E::invalid_port);
  EXPECT_EQ(announce_error(base + "&port=6881x"), E::invalid_port);
}

TEST(HttpTracker, HugeNumwantSaturates) {
  // Any count asks for as many peers as allowed; the tracker caps it.
  auto numwant = [](const std::string& v) -> std::optional<std::int64_t> {
    auto r = parse_announce_query(kBase + "&numwant=" + v);
    EXPECT_TRUE(r.has_value()) << v;
    return r ? r->numwant : std::nullopt;
  };
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(numwant("2147483648"), 2147483648);
  EXPECT_EQ(numwant("9223372036854775807"), kMax);
  EXPECT_EQ(numwant("9223372036854775808"), kMax);
  EXPECT_EQ(numwant(std::string(64, '9')), kMax);
  EXPECT_EQ(numwant("-99999999999999999999"), std::numeric_limits<std::int64_t>::min());
}

TEST(HttpTracker, ValuesPastSixtyFourBytesAreRefusedEscapedOrNot) {
  // Values are read where they lie unless escaped: the length limit must
  // hold for both ways, or a long plain number would parse.
  const std::string digits(65, '9');
  std::string escaped;
  for (char c : digits) escaped += "%3" + std::string(1, c);
  using E = HttpTrackerError;
  for (const auto& v : {digits, escaped}) {
    EXPECT_EQ(announce_error(kBase + "&numwant=" + v), E::invalid_number) << v;
    EXPECT_EQ(announce_error(kBase + "&event=" + v), E::invalid_event) << v;
  }
  auto long_key = parse_announce_query(kBase + "&" + std::string(65, 'k') + "x=1");
  EXPECT_TRUE(long_key.has_value());  // an unknown key, however long, is ignored
}

TEST(HttpTracker, KeyIsLenient) {
  auto key = [](const std::string& v) { return parse_announce_query(kBase + "&key=" + v)->key; };
  EXPECT_EQ(key("DEADBEEF"), 0xdeadbeefu);
  EXPECT_EQ(key("0000abcd"), 0xabcdu);
  EXPECT_EQ(key("12345678"), 0x12345678u);  // 8 hex digits read as hex, as clients send
  EXPECT_EQ(key("4294967295"), 4294967295u);
  EXPECT_EQ(key("17"), 17u);
  ASSERT_TRUE(key("Zx9-odd"));  // anything else still gives a stable hint
  EXPECT_EQ(key("Zx9-odd"), key("Zx9-odd"));
  EXPECT_NE(key("Zx9-odd"), key("Zx9-oddd"));
  // Eight hex digits are read where they lie, before another pair or at the
  // end; anything longer, escaped or with a non-hex byte is read as before.
  EXPECT_EQ(parse_announce_query("key=DEADBEEF&" + kBase)->key, 0xdeadbeefu);
  EXPECT_EQ(key("%44EADBEEF"), 0xdeadbeefu);
  EXPECT_EQ(key("DEADBEE%46"), 0xdeadbeefu);
  EXPECT_EQ(key("123456789"), 123456789u);
  EXPECT_EQ(key("0000092G"), key("0000092G"));
  EXPECT_NE(key("0000092G"), 0x92u);
  EXPECT_EQ(key("DEADBEE"), key("DEADBEE"));
  EXPECT_EQ(announce_error(kBase + "&key=DEADBEE%"), HttpTrackerError::bad_percent_encoding);
}

TEST(HttpTracker, Events) {
  auto event = [](const std::string& v) { return parse_announce_query(kBase + "&event=" + v); };
  EXPECT_EQ(event("started")->event, Event::started);
  EXPECT_EQ(event("completed")->event, Event::completed);
  EXPECT_EQ(event("stopped")->event, Event::stopped);
  EXPECT_EQ(event("paused")->event, Event::none);
  EXPECT_EQ(event("empty")->event, Event::none);
  EXPECT_EQ(event("")->event, Event::none);
  for (const std::string& bad :
       std::vector<std::string>{"Started", "start", "stopped ", "x", std::string(100, 's')})
    EXPECT_EQ(event(bad).error(), HttpTrackerError::invalid_event) << bad;
}

TEST(HttpTracker, IpAndFlags) {
  auto q = [](const std::string& extra) { return *parse_announce_query(kBase + extra); };
  EXPECT_EQ(q("&ip=1.2.3.4").ip, Address::parse("1.2.3.4"));
  EXPECT_EQ(q("&ip=%3A%3A1").ip, Address::parse("::1"));
  EXPECT_EQ(q("&ip=[2001:db8::2]").ip, Address::parse("2001:db8::2"));
  EXPECT_FALSE(q("&ip=tracker.example.com").ip);  // never resolved, just ignored
  EXPECT_FALSE(q("&ip=1.2.3.4.5").ip);
  EXPECT_FALSE(q("&ip=").ip);
  EXPECT_FALSE(q("&compact=0").compact);
  EXPECT_TRUE(q("&compact=1").compact);
  EXPECT_TRUE(q("&no_peer_id=1").no_peer_id);
  EXPECT_TRUE(q("&no_peer_id").no_peer_id);
  EXPECT_FALSE(q("&no_peer_id=0").no_peer_id);
}

TEST(HttpTracker, EveryTruncationIsClean) {
  auto query = encode_announce_query(full_query());
  for (std::size_t n = 0; n <= query.size(); ++n) {
    auto r = parse_announce_query(std::string_view(query).substr(0, n));
    if (r.has_value()) {
      EXPECT_GT(n, query.find("&port=")) << n;
    }
  }
  auto scrape = encode_scrape_query(std::vector<InfoHash>{id_of<InfoHash>(1), id_of<InfoHash>(2)});
  for (std::size_t n = 0; n <= scrape.size(); ++n)
    (void)parse_scrape_query(std::string_view(scrape).substr(0, n));
}

TEST(HttpTracker, RandomGarbageNeverCrashes) {
  std::mt19937 rng(5);
  const char alphabet[] = "info_hash=peer_id=port=&%0123456789abcdefABCDEF+-event=started&key=ip=";
  for (int i = 0; i < 5000; ++i) {
    std::string buf(rng() % 301, '\0');
    bool structured = i % 2 == 0;
    for (auto& c : buf)
      c = structured ? alphabet[rng() % (sizeof alphabet - 1)] : static_cast<char>(rng());
    (void)parse_announce_query(buf);
    (void)parse_scrape_query(buf);
  }
  auto valid = encode_announce_query(full_query());
  for (int i = 0; i < 5000; ++i) {
    auto m = valid;
    for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k)
      m[rng() % m.size()] = static_cast<char>(rng());
    (void)parse_announce_query(m);
    (void)parse_scrape_query(m);
  }
}

TEST(HttpTracker, ScrapeQuery) {
  std::vector<InfoHash> hashes;
  for (std::uint8_t i = 0; i < kMaxScrapeHashes; ++i) hashes.push_back(id_of<InfoHash>(i));
  auto r = parse_scrape_query(encode_scrape_query(hashes));
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->count, kMaxScrapeHashes);
  for (std::size_t i = 0; i < r->count; ++i) EXPECT_EQ(r->hashes[i], hashes[i]);
  hashes.push_back(id_of<InfoHash>(255));
  EXPECT_EQ(parse_scrape_query(encode_scrape_query(hashes)).error(),
            HttpTrackerError::too_many_info_hashes);
  auto all = parse_scrape_query("");
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->count, 0u);
  EXPECT_EQ(parse_scrape_query("info_hash=%01").error(), HttpTrackerError::invalid_info_hash);
  EXPECT_EQ(parse_scrape_query("info_hash=%zz").error(), HttpTrackerError::bad_percent_encoding);
  EXPECT_EQ(parse_scrape_query("passkey=x&info_hash=" + kHash)->count, 1u);
}

TEST(HttpTracker, InfoHashAsFortyHexDigits) {
  // No 20-byte value is 40 bytes long, so hex (as magnet links write a hash)
  // cannot be mistaken for a hash sent as bytes.
  const auto hash = id_of<InfoHash>(7);
  for (std::string hex : {hash.hex(), [&] {
                            auto upper = hash.hex();
                            for (auto& c : upper) c = static_cast<char>(std::toupper(c));
                            return upper;
                          }()}) {
    auto a = parse_announce_query("info_hash=" + hex + "&peer_id=" + kPeer + "&port=1");
    ASSERT_TRUE(a.has_value()) << hex;
    EXPECT_EQ(a->info_hash, hash);
    auto s = parse_scrape_query("info_hash=" + hex);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->hashes[0], hash);
  }
  // Percent-encoded hex is hex too; 20 hex-looking bytes are a hash as sent.
  EXPECT_EQ(parse_scrape_query("info_hash=" + percent(hash.hex()))->hashes[0], hash);
  EXPECT_EQ(parse_scrape_query("info_hash=0123456789abcdef0123")->hashes[0].view(),
            "0123456789abcdef0123");
  for (std::string bad : {hash.hex().substr(1), hash.hex() + "0", hash.hex().substr(1) + "g"})
    EXPECT_EQ(parse_scrape_query("info_hash=" + bad).error(), HttpTrackerError::invalid_info_hash)
        << bad;
}

TEST(HttpTracker, CompactReply) {
  std::vector<PeerInfo> peers = {peer("1.2.3.4:6881", 1), peer("[2001:db8::1]:443", 2),
                                 peer("10.0.0.1:65535", 3)};
  const PeerList list(peers);
  AnnounceReply reply;
  reply.interval = 1800;
  reply.min_interval = 900;
  reply.complete = 5;
  reply.incomplete = 7;
  reply.peers = list.view();
  std::string out;
  encode_announce_reply(reply, out);
  auto v = bdecode(out);  // also checks that keys are strictly sorted
  ASSERT_TRUE(v.has_value()) << out;
  ASSERT_EQ(v->dict.size(), 6u);
  EXPECT_EQ(v->find("complete")->integer, 5);
  EXPECT_EQ(v->find("incomplete")->integer, 7);
  EXPECT_EQ(v->find("interval")->integer, 1800);
  EXPECT_EQ(v->find("min interval")->integer, 900);
  EXPECT_EQ(v->find("peers")->string,
            std::string_view("\x01\x02\x03\x04\x1a\xe1\x0a\x00\x00\x01\xff\xff", 12));
  auto v6 = v->find("peers6")->string;
  ASSERT_EQ(v6.size(), 18u);
  EXPECT_EQ(v6.substr(16), "\x01\xbb");
  EXPECT_EQ(v6.substr(0, 4), "\x20\x01\x0d\xb8");
  EXPECT_EQ(v->find("warning message"), nullptr);
}

TEST(HttpTracker, CompactReplyEmptyWithWarning) {
  AnnounceReply reply;
  reply.warning = "slow down";
  std::string out;
  encode_announce_reply(reply, out);
  EXPECT_EQ(out,
            "d8:completei0e10:incompletei0e8:intervali0e12:min intervali0e5:peers0:6:peers60:"
            "15:warning message9:slow downe");
  EXPECT_TRUE(bdecode(out).has_value());
}

// The reply's numbers at every width the writer treats apart (one digit,
// two, then the library's), appended after bytes already in `out`.
TEST(HttpTracker, ReplyNumbersAtEveryWidth) {
  const std::uint32_t values[] = {0, 9, 10, 99, 100, 999, 1000, 4294967295u};
  for (std::uint32_t v : values) {
    AnnounceReply reply;
    reply.complete = v;
    reply.incomplete = v;
    reply.interval = v;
    reply.min_interval = v;
    std::string out = "HEAD";
    encode_announce_reply(reply, out);
    const std::string n = std::to_string(v);
    EXPECT_EQ(out, "HEADd8:completei" + n + "e10:incompletei" + n + "e8:intervali" + n +
                       "e12:min intervali" + n + "e5:peers0:6:peers60:e");
    std::vector<ScrapeFile> files = {{id_of<InfoHash>(1), v, v, v}};
    out = "HEAD";
    encode_scrape_reply(files, out);
    EXPECT_EQ(out, "HEADd5:filesd20:" + std::string(id_of<InfoHash>(1).view()) + "d8:completei" +
                       n + "e10:downloadedi" + n + "e10:incompletei" + n + "eeee");
  }
}

// write_announce_reply gives encode_announce_reply's bytes whatever its
// scratch held before (empty, shorter, longer, another reply's garbage),
// for compact and dictionary replies, with and without a warning, and
// peer lists of 0 to 40 entries of either family.
TEST(HttpTracker, WrittenReplyEqualsEncoded) {
  std::mt19937 rng(9);
  std::string scratch;
  for (int round = 0; round < 400; ++round) {
    std::vector<PeerInfo> peers;
    const int n = static_cast<int>(rng() % 41);
    for (int i = 0; i < n; ++i)
      peers.push_back(
          rng() % 3 ? peer("10.0.0." + std::to_string(i) + ":6881", static_cast<std::uint8_t>(i))
                    : peer("[2001:db8::" + std::to_string(i + 1) + "]:443",
                           static_cast<std::uint8_t>(i)));
    const PeerList list(peers);
    AnnounceReply reply;
    reply.interval = static_cast<std::uint32_t>(rng() % 5000);
    reply.min_interval = static_cast<std::uint32_t>(rng());
    reply.complete = static_cast<std::uint32_t>(rng() % 200);
    reply.incomplete = static_cast<std::uint32_t>(rng() % 100000);
    reply.peers = list.view();
    reply.compact = rng() % 4 != 0;
    reply.no_peer_id = rng() % 2 != 0;
    if (rng() % 5 == 0) reply.warning = "slow down";
    switch (rng() % 4) {
      case 0:
        scratch.clear();
        break;
      case 1:
        scratch.assign(rng() % 600, static_cast<char>(rng()));
        break;
      default:
        break;  // the previous reply's bytes
    }
    std::string expected;
    encode_announce_reply(reply, expected);
    EXPECT_EQ(write_announce_reply(reply, scratch), expected) << round;
  }
}

TEST(HttpTracker, DictionaryReply) {
  std::vector<PeerInfo> peers = {peer("1.2.3.4:6881", 1), peer("[2001:db8::1]:443", 2)};
  const PeerList wire(peers);
  AnnounceReply reply;
  reply.interval = 60;
  reply.compact = false;
  reply.peers = wire.view();
  for (bool no_peer_id : {false, true}) {
    reply.no_peer_id = no_peer_id;
    std::string out;
    encode_announce_reply(reply, out);
    auto v = bdecode(out);
    ASSERT_TRUE(v.has_value()) << out;
    EXPECT_EQ(v->find("peers6"), nullptr);
    const BValue* list = v->find("peers");
    ASSERT_NE(list, nullptr);
    ASSERT_EQ(list->kind, BValue::Kind::list);
    ASSERT_EQ(list->list.size(), 2u);
    EXPECT_EQ(list->list[0].find("ip")->string, "1.2.3.4");
    EXPECT_EQ(list->list[0].find("port")->integer, 6881);
    EXPECT_EQ(list->list[1].find("ip")->string, "2001:db8::1");
    EXPECT_EQ(list->list[1].find("port")->integer, 443);
    if (no_peer_id) {
      EXPECT_EQ(list->list[0].find("peer id"), nullptr);
    } else {
      EXPECT_EQ(list->list[0].find("peer id")->string, id_of<PeerId>(1).view());
      EXPECT_EQ(list->list[1].find("peer id")->string, id_of<PeerId>(2).view());
    }
  }
}

TEST(HttpTracker, ScrapeReplySortedAndUnique) {
  std::vector<ScrapeFile> files = {
      {id_of<InfoHash>(9), 1, 2, 3}, {id_of<InfoHash>(3), 4, 5, 6}, {id_of<InfoHash>(9), 1, 2, 3}};
  std::string out;
  encode_scrape_reply(files, out);
  auto v = bdecode(out);  // rejects unsorted or duplicate keys
  ASSERT_TRUE(v.has_value()) << out;
  const BValue* f = v->find("files");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->dict.size(), 2u);
  EXPECT_EQ(f->dict[0].first, id_of<InfoHash>(3).view());
  const BValue* stats = f->find(id_of<InfoHash>(9).view());
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(stats->find("complete")->integer, 1);
  EXPECT_EQ(stats->find("downloaded")->integer, 2);
  EXPECT_EQ(stats->find("incomplete")->integer, 3);
  // More files than a scrape query can carry still encode correctly.
  std::vector<ScrapeFile> many;
  many.reserve(300);
  for (int i = 0; i < 300; ++i)
    many.push_back({id_of<InfoHash>(static_cast<std::uint8_t>(i)), 0, 0, 0});
  out.clear();
  encode_scrape_reply(many, out);
  auto big = bdecode(out);
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->find("files")->dict.size(), 256u);
  out.clear();
  encode_scrape_reply({}, out);
  EXPECT_EQ(out, "d5:filesdee");
}

TEST(HttpTracker, Failure) {
  std::string out;
  encode_failure(failure_text(HttpTrackerError::invalid_port), out);
  EXPECT_EQ(out, "d14:failure reason12:invalid porte");
  auto v = bdecode(out);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->find("failure reason")->string, "invalid port");
}
