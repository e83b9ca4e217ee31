// Passkeys (core/passkey.hpp) and where private mode finds them
// (codec/passkey.hpp): the HTTP path, and BEP 41 URL data over UDP,
// whole or split over options.
#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "codec/passkey.hpp"
#include "codec/udp_tracker.hpp"

using namespace cairn;
using codec::passkey_of_path;

namespace {

const std::string kKey = "abcdefghijklmnopqrstuvwxyzAB-_45";  // 32 URL-safe characters

std::vector<std::uint8_t> announce_with_options(const std::vector<std::uint8_t>& options) {
  codec::udp::AnnounceRequest r;
  r.connection_id = 7;
  r.port = 6881;
  std::vector<std::uint8_t> packet(codec::udp::kMaxPacket);
  packet.resize(codec::udp::encode_announce_request(r, packet));
  packet.insert(packet.end(), options.begin(), options.end());
  return packet;
}

std::vector<std::uint8_t> url_data(std::string_view chunk) {
  std::vector<std::uint8_t> o(2 + chunk.size());
  o[0] = 2;
  o[1] = static_cast<std::uint8_t>(chunk.size());
  for (std::size_t i = 0; i < chunk.size(); ++i) o[2 + i] = static_cast<std::uint8_t>(chunk[i]);
  return o;
}

// Concatenation by append (GCC 12 warns falsely on `"x" + std::string`).
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out.append(p);
  return out;
}

std::optional<core::Passkey> udp_passkey(const std::vector<std::uint8_t>& options) {
  auto r = codec::udp::parse_request(announce_with_options(options));
  EXPECT_TRUE(r.has_value()) << "options never make an announce invalid";
  if (!r.has_value()) return std::nullopt;
  return passkey_of_path(std::get<codec::udp::AnnounceRequest>(*r).url());
}

}  // namespace

TEST(Passkey, ParseTakesExactly32UrlSafeCharacters) {
  ASSERT_TRUE(core::Passkey::parse(kKey));
  EXPECT_EQ(core::Passkey::parse(kKey)->view(), kKey);
  EXPECT_FALSE(core::Passkey::parse(kKey.substr(1)));
  EXPECT_FALSE(core::Passkey::parse(kKey + "a"));
  EXPECT_FALSE(core::Passkey::parse(""));
  for (char bad : {'/', '+', '=', '%', '.', ' ', '?', '\0', '\xff'}) {
    std::string k = kKey;
    k[10] = bad;
    EXPECT_FALSE(core::Passkey::parse(k)) << int(bad);
  }
}

TEST(Passkey, FoundInAnnounceAndScrapePaths) {
  EXPECT_EQ(passkey_of_path(cat({"/", kKey, "/announce"}))->view(), kKey);
  EXPECT_EQ(passkey_of_path(cat({"/", kKey, "/scrape"}))->view(), kKey);
  // A query (BEP 41 URL data carries one) is not part of the path.
  EXPECT_EQ(passkey_of_path(cat({"/", kKey, "/announce?x=1"}))->view(), kKey);
}

TEST(Passkey, AnyOtherPathHasNone) {
  const std::string_view k = kKey;
  for (const std::string& p :
       {cat({"/announce"}), cat({"/scrape"}), cat({""}), cat({"/"}), cat({"/", k}),
        cat({"/", k, "/"}), cat({"/", k, "/announcex"}), cat({"/", k, "/health"}),
        cat({"//", k, "/announce"}), cat({"/", k.substr(1), "/announce"}),
        cat({"/", k, "a/announce"}), cat({"/announce?passkey=", k}), cat({"x", k, "/announce"}),
        cat({"/", k, "/announce/", k})})
    EXPECT_FALSE(passkey_of_path(p)) << p;
}

TEST(Passkey, KeyedPathMatchesOneRoute) {
  EXPECT_TRUE(codec::is_keyed_path(cat({"/", kKey, "/announce"}), "/announce"));
  EXPECT_FALSE(codec::is_keyed_path(cat({"/", kKey, "/announce"}), "/scrape"));
  EXPECT_FALSE(codec::is_keyed_path(cat({"/", kKey, "/announce?a"}), "/announce"));
  std::string bad = cat({"/", kKey, "/announce"});
  bad[5] = '.';
  EXPECT_FALSE(codec::is_keyed_path(bad, "/announce"));
}

TEST(PasskeyBep41, OneOption) {
  auto key = udp_passkey(url_data(cat({"/", kKey, "/announce"})));
  ASSERT_TRUE(key);
  EXPECT_EQ(key->view(), kKey);
}

TEST(PasskeyBep41, SplitOverOptionsWithNopsAndEnd) {
  const std::string url = cat({"/", kKey, "/announce"});
  // Split at every point, a NOP (type 1) between the halves, then the end
  // of options (type 0) and bytes after it that must be ignored.
  for (std::size_t cut = 0; cut <= url.size(); ++cut) {
    auto o = url_data(url.substr(0, cut));
    o.push_back(1);
    auto rest = url_data(url.substr(cut));
    o.insert(o.end(), rest.begin(), rest.end());
    o.insert(o.end(), {0, 2, 3, 'x', 'y', 'z'});
    auto key = udp_passkey(o);
    ASSERT_TRUE(key) << "cut at " << cut;
    EXPECT_EQ(key->view(), kKey);
  }
}

TEST(PasskeyBep41, TruncatedOrBrokenOptionsGiveNone) {
  const std::string url = cat({"/", kKey, "/announce"});
  auto whole = url_data(url);
  // Every truncation of the option: the announce still parses, without a
  // passkey (a truncated option is dropped whole).
  for (std::size_t n = 0; n < whole.size(); ++n) {
    std::vector<std::uint8_t> o(whole.begin(), whole.begin() + static_cast<long>(n));
    EXPECT_FALSE(udp_passkey(o)) << n << " bytes";
  }
  // The end of options before the data.
  auto ended = whole;
  ended.insert(ended.begin(), 0);
  EXPECT_FALSE(udp_passkey(ended));
  // An unknown option type ends parsing before the second half.
  auto o = url_data(url.substr(0, 10));
  o.push_back(9);
  auto rest = url_data(url.substr(10));
  o.insert(o.end(), rest.begin(), rest.end());
  EXPECT_FALSE(udp_passkey(o));
  EXPECT_FALSE(udp_passkey({}));
}
