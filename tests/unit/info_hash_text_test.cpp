#include <gtest/gtest.h>

#include <string>

#include "client/info_hash_text.hpp"

using cairn::client::parse_info_hash;

namespace {

constexpr const char* kV1 = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
constexpr const char* kV1Base32 = "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK";
// SHA-256("cairn v2 test"); a tracker knows it by the first 20 bytes.
constexpr const char* kV2 = "0847b64455e81ce26bb5ee3f12ed2ec7adb400b325fa7d6bcfed1ae232ff8fd2";
constexpr const char* kV2Truncated = "0847b64455e81ce26bb5ee3f12ed2ec7adb400b3";

std::string hex_of(std::string_view text) {
  auto h = parse_info_hash(text);
  return h ? h->hex() : "error: " + h.error().message;
}

std::string error_of(std::string_view text) {
  auto h = parse_info_hash(text);
  return h ? "parsed: " + h->hex() : h.error().message;
}

}  // namespace

TEST(InfoHashText, V1HexInEitherCase) {
  EXPECT_EQ(hex_of(kV1), kV1);
  EXPECT_EQ(hex_of("C12FE1C06BBA254A9DC9F519B335AA7C1367A88A"), kV1);
}

TEST(InfoHashText, V1Base32InEitherCase) {
  EXPECT_EQ(hex_of(kV1Base32), kV1);
  EXPECT_EQ(hex_of("yex6dqdlxisuvhoj6um3gnnkpqjwpkek"), kV1);
  // Every 5-bit value: "AAAA..." is all zero bits, "7777..." all one bits.
  EXPECT_EQ(hex_of(std::string(32, 'A')), std::string(40, '0'));
  EXPECT_EQ(hex_of(std::string(32, '7')), std::string(40, 'f'));
}

TEST(InfoHashText, V2HexIsTruncatedAsBep52Says) { EXPECT_EQ(hex_of(kV2), kV2Truncated); }

TEST(InfoHashText, Urns) {
  EXPECT_EQ(hex_of(std::string("urn:btih:") + kV1), kV1);
  EXPECT_EQ(hex_of(std::string("URN:BTIH:") + kV1Base32), kV1);
  EXPECT_EQ(hex_of(std::string("urn:btmh:1220") + kV2), kV2Truncated);
}

TEST(InfoHashText, MagnetLinks) {
  EXPECT_EQ(hex_of(std::string("magnet:?xt=urn:btih:") + kV1), kV1);
  EXPECT_EQ(hex_of(std::string("magnet:?dn=a%20file&xt=urn:btih:") + kV1Base32 +
                   "&tr=udp%3A%2F%2F127.0.0.1%3A6969"),
            kV1);
  EXPECT_EQ(hex_of(std::string("magnet:?xt=urn%3Abtih%3A") + kV1), kV1);  // encoded URN
  EXPECT_EQ(hex_of(std::string("magnet:?xt=urn:btmh:1220") + kV2 + "&dn=v2"), kV2Truncated);
  EXPECT_EQ(hex_of(std::string("magnet:?xt.1=urn:btih:") + kV1), kV1);  // numbered topics
  // Hybrid: the v1 hash, whichever comes first.
  EXPECT_EQ(hex_of(std::string("magnet:?xt=urn:btmh:1220") + kV2 + "&xt=urn:btih:" + kV1), kV1);
  EXPECT_EQ(hex_of(std::string("magnet:?xt=urn:btih:") + kV1 + "&xt=urn:btmh:1220" + kV2), kV1);
}

TEST(InfoHashText, ErrorsSayWhatWasExpected) {
  const std::string forms = "need 40 hex digits, 32 base32 characters, 64 hex digits";
  for (auto bad :
       {"", "c12fe1c06bba254a9dc9f519b335aa7c1367a88", "c12fe1c06bba254a9dc9f519b335aa7c1367a88a0",
        "g12fe1c06bba254a9dc9f519b335aa7c1367a88a", "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKE1",
        "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKE"})
    EXPECT_NE(error_of(bad).find(forms), std::string::npos) << bad;
  EXPECT_EQ(error_of("urn:btih:1234"), "urn:btih:1234: need 40 hex digits or 32 base32 characters");
  // A multihash of another function (0x11 is SHA-1) is not a v2 info hash.
  EXPECT_NE(error_of(std::string("urn:btmh:1114") + kV1).find("need 1220 and 64 hex digits"),
            std::string::npos);
  EXPECT_NE(error_of(std::string("urn:btmh:1220") + kV1).find("need 1220"), std::string::npos);
  EXPECT_EQ(error_of("magnet:?dn=x&tr=udp://t:1"),
            "magnet link: no xt=urn:btih:... or xt=urn:btmh:... in it");
  EXPECT_EQ(error_of("magnet:?xt=urn:btih:%zz"),
            "magnet link: bad percent-encoding in xt=urn:btih:%zz");
  EXPECT_EQ(error_of("magnet:?xt=urn:btih:%4"),
            "magnet link: bad percent-encoding in xt=urn:btih:%4");
  EXPECT_NE(error_of("magnet:?xt=urn:btih:abc").find("urn:btih:abc: need"), std::string::npos);
}

// Hostile text never reads out of bounds: every prefix of each form.
TEST(InfoHashText, EveryPrefixOfEveryFormIsSafe) {
  for (std::string form :
       {std::string("magnet:?xt=urn:btih:") + kV1 + "&xt=urn%3Abtmh%3A1220" + kV2,
        std::string("urn:btmh:1220") + kV2, std::string(kV1Base32)})
    for (std::size_t n = 0; n <= form.size(); ++n) (void)parse_info_hash(form.substr(0, n));
}
