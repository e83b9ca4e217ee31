#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "tracker/access_list.hpp"

using cairn::core::InfoHash;
using namespace cairn::tracker;

namespace {

constexpr std::string_view kHexA = "0123456789abcdef0123456789abcdef01234567";
constexpr std::string_view kHexB = "FEDCBA9876543210FEDCBA9876543210FEDCBA98";
const InfoHash kA = *InfoHash::from_hex(kHexA);
const InfoHash kB = *InfoHash::from_hex(kHexB);
const InfoHash kC = *InfoHash::from_hex("1111111111111111111111111111111111111111");

std::size_t bad_line(std::string_view text) {
  auto r = parse_access_list(text);
  EXPECT_FALSE(r) << "parsed: " << text;
  return r ? 0 : r.error().line;
}

}  // namespace

TEST(AccessListParse, OneHashPerLineEitherCase) {
  auto r = parse_access_list(std::string(kHexA) + "\n" + std::string(kHexB) + "\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 2u);
  EXPECT_TRUE(r->contains(kA));
  EXPECT_TRUE(r->contains(kB));
}

TEST(AccessListParse, CommentsBlankLinesAndWhitespace) {
  std::string text = "# torrents we serve\n\n   \n\t" + std::string(kHexA) + "  # the first\r\n" +
                     "  " + std::string(kHexB) + "\t\r\n#" + std::string(kHexA) + "\n";
  auto r = parse_access_list(text);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 2u);
  EXPECT_TRUE(r->contains(kA) && r->contains(kB));
}

TEST(AccessListParse, LastLineWithoutNewlineAndDuplicates) {
  auto r = parse_access_list(std::string(kHexA) + "\n" + std::string(kHexA));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 1u);
}

TEST(AccessListParse, EmptyFileIsAnEmptyList) {
  for (std::string_view text : {"", "\n", "# nothing yet\n\n"}) {
    auto r = parse_access_list(text);
    ASSERT_TRUE(r) << text;
    EXPECT_TRUE(r->empty());
  }
}

TEST(AccessListParse, BadLinesNamedByNumber) {
  std::string a(kHexA);
  EXPECT_EQ(bad_line("nonsense\n"), 1u);
  EXPECT_EQ(bad_line("# ok\n" + a + "\n\n" + a.substr(1) + "\n"), 4u);  // 39 digits
  EXPECT_EQ(bad_line(a + "0\n"), 1u);                                   // 41 digits
  EXPECT_EQ(bad_line(a + "\n" + a.substr(0, 39) + "g\n"), 2u);          // not hex
  EXPECT_EQ(bad_line(a + " " + a + "\n"), 1u);                          // two on a line
  EXPECT_EQ(bad_line("\n\n\nxyz"), 4u);                                 // no final newline
  EXPECT_EQ(bad_line("0x" + a.substr(2) + "\n"), 1u);
  auto r = parse_access_list("zz\n");
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().reason.empty());
}

TEST(AccessMode, ParsesItsNames) {
  EXPECT_EQ(parse_access_mode("off"), AccessMode::off);
  EXPECT_EQ(parse_access_mode("whitelist"), AccessMode::whitelist);
  EXPECT_EQ(parse_access_mode("blacklist"), AccessMode::blacklist);
  EXPECT_FALSE(parse_access_mode("Whitelist"));
  EXPECT_FALSE(parse_access_mode(""));
  for (auto m : {AccessMode::off, AccessMode::whitelist, AccessMode::blacklist})
    EXPECT_EQ(parse_access_mode(to_string(m)), m);
}

TEST(AccessView, Modes) {
  AccessList off(AccessMode::off, {kA});
  AccessList white(AccessMode::whitelist, {kA});
  AccessList black(AccessMode::blacklist, {kA});
  AccessView o(off), w(white), b(black);
  EXPECT_TRUE(o.allows(kA) && o.allows(kB));
  EXPECT_TRUE(w.allows(kA));
  EXPECT_FALSE(w.allows(kB));
  EXPECT_FALSE(b.allows(kA));
  EXPECT_TRUE(b.allows(kB));
}

TEST(AccessView, SeesAReplacedList) {
  AccessList list(AccessMode::whitelist, {kA});
  AccessView view(list);
  EXPECT_FALSE(view.allows(kB));
  list.replace({kB, kC});
  EXPECT_EQ(list.size(), 2u);
  EXPECT_TRUE(view.allows(kB));
  EXPECT_TRUE(view.allows(kC));
  EXPECT_FALSE(view.allows(kA));
}

TEST(AccessView, ReplaceWhileAnotherThreadReads) {
  // Every lookup sees one whole list: {kA} or {kA, kB}, never neither.
  AccessList list(AccessMode::whitelist, {kA});
  std::atomic<bool> done{false};
  std::thread reader([&] {
    AccessView view(list);
    while (!done.load()) ASSERT_TRUE(view.allows(kA));
  });
  for (int i = 0; i < 2000; ++i) list.replace(i % 2 ? InfoHashSet{kA} : InfoHashSet{kA, kB});
  done = true;
  reader.join();
}
