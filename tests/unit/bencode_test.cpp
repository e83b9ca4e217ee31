#include "codec/bencode.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>

using namespace cairn::codec;

namespace {

std::string sample_document() {
  std::string out;
  BencodeWriter w(out);
  w.begin_dict();
  w.key("a");
  w.integer(-42);
  w.key("list");
  w.begin_list();
  w.string("");
  w.string(std::string_view("\0\xff:e", 4));
  w.integer(0);
  w.begin_dict();
  w.end();
  w.end();
  w.key("max");
  w.integer(std::numeric_limits<std::int64_t>::max());
  w.key("min");
  w.integer(std::numeric_limits<std::int64_t>::min());
  w.end();
  return out;
}

BencodeError error_of(std::string_view input, const BdecodeLimits& limits = {}) {
  auto r = bdecode(input, limits);
  EXPECT_FALSE(r.has_value()) << input;
  return r.has_value() ? BencodeError{0} : r.error();
}

}  // namespace

TEST(BencodeWriter, WritesCanonicalForms) {
  std::string out;
  BencodeWriter w(out);
  w.integer(0);
  w.integer(-7);
  w.string("spam");
  w.string("");
  w.begin_list();
  w.end();
  EXPECT_EQ(out, "i0ei-7e4:spam0:le");
}

TEST(Bencode, RoundTrip) {
  auto doc = sample_document();
  auto r = bdecode(doc);
  ASSERT_TRUE(r.has_value());
  const BValue& v = *r;
  ASSERT_EQ(v.kind, BValue::Kind::dict);
  ASSERT_EQ(v.dict.size(), 4u);
  EXPECT_EQ(v.find("a")->integer, -42);
  EXPECT_EQ(v.find("max")->integer, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(v.find("min")->integer, std::numeric_limits<std::int64_t>::min());
  const BValue* list = v.find("list");
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->kind, BValue::Kind::list);
  ASSERT_EQ(list->list.size(), 4u);
  EXPECT_EQ(list->list[0].string, "");
  EXPECT_EQ(list->list[1].string, std::string_view("\0\xff:e", 4));
  EXPECT_EQ(list->list[2].integer, 0);
  EXPECT_EQ(list->list[3].kind, BValue::Kind::dict);
  EXPECT_EQ(v.find("absent"), nullptr);
  EXPECT_EQ(list->find("a"), nullptr);  // not a dict
}

TEST(Bencode, ViewsPointIntoInput) {
  std::string doc = "4:spam";
  auto r = bdecode(doc);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->string.data(), doc.data() + 2);
}

TEST(Bencode, CanonicalIntegers) {
  EXPECT_EQ(bdecode("i0e")->integer, 0);
  EXPECT_EQ(bdecode("i-1e")->integer, -1);
  EXPECT_EQ(bdecode("i9223372036854775807e")->integer, std::numeric_limits<std::int64_t>::max());
  for (std::string_view bad : {"i-0e", "i03e", "i-03e", "ie", "i-e", "i+1e", "i1.0e", "i 1e",
                               "i1 e", "i9223372036854775808e", "i-9223372036854775809e", "i0x1e"})
    EXPECT_EQ(error_of(bad), BencodeError::bad_integer) << bad;
}

TEST(Bencode, StringLengths) {
  EXPECT_EQ(bdecode("0:")->string, "");
  EXPECT_EQ(error_of("01:a"), BencodeError::bad_string_length);
  EXPECT_EQ(error_of("5:abc"), BencodeError::bad_string_length);
  EXPECT_EQ(error_of("99999999999999999999:a"), BencodeError::bad_string_length);
  EXPECT_EQ(error_of("1a:a"), BencodeError::bad_string_length);
}

TEST(Bencode, StructuralErrors) {
  EXPECT_EQ(error_of(""), BencodeError::truncated);
  EXPECT_EQ(error_of("x"), BencodeError::bad_type);
  EXPECT_EQ(error_of("le"
                     "e"),
            BencodeError::trailing_data);
  EXPECT_EQ(error_of("i1ei2e"), BencodeError::trailing_data);
  EXPECT_EQ(error_of("di1ei2ee"), BencodeError::bad_key);
  EXPECT_EQ(error_of("d1:bi1e1:ai2ee"), BencodeError::bad_key);  // unsorted
  EXPECT_EQ(error_of("d1:ai1e1:ai2ee"), BencodeError::bad_key);  // duplicate
  EXPECT_EQ(error_of("d1:a"), BencodeError::truncated);          // key without value
  EXPECT_EQ(error_of("d1:ae"), BencodeError::bad_type);
  EXPECT_EQ(error_of("l"), BencodeError::truncated);
  EXPECT_TRUE(bdecode("d1:ai1e2:aai2e1:bi3ee").has_value());
  // Keys compare as unsigned bytes.
  EXPECT_TRUE(bdecode("d1:ai1e1:\xffi2ee").has_value());
}

TEST(Bencode, DepthLimit) {
  BdecodeLimits limits;
  limits.max_depth = 4;
  EXPECT_TRUE(bdecode("llllee"
                      "ee",
                      limits)
                  .has_value());
  EXPECT_EQ(error_of("lllllee"
                     "eee",
                     limits),
            BencodeError::depth_exceeded);
  EXPECT_EQ(error_of("dddd1:a"
                     "de"
                     "eeee",
                     limits),
            BencodeError::bad_key);  // d where a key goes
  EXPECT_EQ(error_of("d1:ad1:ad1:ad1:adeeeee", limits), BencodeError::depth_exceeded);
  // The default limit stops hostile nesting long before the stack could.
  std::string deep(100'000, 'l');
  EXPECT_EQ(error_of(deep), BencodeError::depth_exceeded);
}

TEST(Bencode, ItemLimit) {
  BdecodeLimits limits;
  limits.max_items = 4;
  EXPECT_TRUE(bdecode("li1ei2ei3ee", limits).has_value());  // list + 3 integers
  EXPECT_EQ(error_of("li1ei2ei3ei4ee", limits), BencodeError::too_many_items);
  EXPECT_EQ(error_of("d1:ai1e1:bi2ee", limits), BencodeError::too_many_items);  // keys count too
}

TEST(Bencode, EveryTruncationFails) {
  auto doc = sample_document();
  for (std::size_t n = 0; n < doc.size(); ++n) {
    auto r = bdecode(std::string_view(doc).substr(0, n));
    EXPECT_FALSE(r.has_value()) << n;
  }
}

TEST(Bencode, RandomGarbageNeverCrashes) {
  std::mt19937 rng(1234);
  const char alphabet[] = "ilde0123456789:-x";
  for (int i = 0; i < 5000; ++i) {
    std::string buf(rng() % 301, '\0');
    bool structured = i % 2 == 0;  // half from bencode's own alphabet, so parsing gets deep
    for (auto& c : buf)
      c = structured ? alphabet[rng() % (sizeof alphabet - 1)] : static_cast<char>(rng());
    (void)bdecode(buf);
  }
}

TEST(Bencode, MutationsNeverCrash) {
  auto doc = sample_document();
  std::mt19937 rng(99);
  for (int i = 0; i < 5000; ++i) {
    auto m = doc;
    for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k)
      m[rng() % m.size()] = static_cast<char>(rng());
    auto r = bdecode(m);
    if (r.has_value() && r->kind == BValue::Kind::dict) (void)r->find("a");
  }
}

namespace {
BencodeError skip_all(std::string_view in, std::size_t depth, std::size_t items = 100) {
  BencodeCursor c(in);
  auto e = c.skip(depth, items);
  if (e == bencode_ok && !c.at_end()) return BencodeError::trailing_data;
  return e;
}
}  // namespace

TEST(BencodeCursor, WalksValueByValue) {
  BencodeCursor c("d1:ai-3e1:bl4:spamee");
  ASSERT_EQ(c.next(), BencodeCursor::Next::dict);
  c.enter();
  std::string_view key, s;
  std::int64_t v = 0;
  ASSERT_EQ(c.read_string(key), bencode_ok);
  EXPECT_EQ(key, "a");
  ASSERT_EQ(c.read_integer(v), bencode_ok);
  EXPECT_EQ(v, -3);
  ASSERT_EQ(c.read_string(key), bencode_ok);
  ASSERT_EQ(c.next(), BencodeCursor::Next::list);
  c.enter();
  ASSERT_EQ(c.read_string(s), bencode_ok);
  EXPECT_EQ(s, "spam");
  EXPECT_EQ(c.next(), BencodeCursor::Next::end);
  c.leave();
  EXPECT_EQ(c.next(), BencodeCursor::Next::end);
  c.leave();
  EXPECT_TRUE(c.at_end());
  EXPECT_EQ(c.next(), BencodeCursor::Next::none);
  EXPECT_EQ(BencodeCursor("x").next(), BencodeCursor::Next::bad);
}

TEST(BencodeCursor, SkipsWithinLimits) {
  EXPECT_EQ(skip_all("i5e", 0), bencode_ok);
  EXPECT_EQ(skip_all("le", 0), BencodeError::depth_exceeded);
  EXPECT_EQ(skip_all("lli1eee", 2), bencode_ok);
  EXPECT_EQ(skip_all("llli1eeee", 2), BencodeError::depth_exceeded);
  EXPECT_EQ(skip_all("d1:ad1:bi1eee", 2), bencode_ok);
  EXPECT_EQ(skip_all("li1ei2ei3ee", 1, 4), bencode_ok);
  EXPECT_EQ(skip_all("li1ei2ei3ei4ee", 1, 4), BencodeError::too_many_items);
  EXPECT_EQ(skip_all("d1:ai1ee", 1, 2), BencodeError::too_many_items);  // keys count
  EXPECT_EQ(skip_all("di1ei2ee", 1), BencodeError::bad_key);
  EXPECT_EQ(skip_all("d1:ae", 1), BencodeError::bad_type);  // a key without a value
  EXPECT_EQ(skip_all("d1:bi1e1:ai2ee", 1), bencode_ok);     // order is the caller's concern
  EXPECT_EQ(skip_all("l", 1), BencodeError::truncated);
  EXPECT_EQ(skip_all("i1", 1), BencodeError::truncated);
  EXPECT_EQ(skip_all("i01e", 1), BencodeError::bad_integer);
  EXPECT_EQ(skip_all("3:ab", 1), BencodeError::bad_string_length);
  std::string deep(100'000, 'l');
  EXPECT_EQ(skip_all(deep, 32), BencodeError::depth_exceeded);
}

TEST(BencodeCursor, SkipAgreesWithTheTreeDecoderOnTruncations) {
  auto doc = sample_document();
  for (std::size_t n = 0; n < doc.size(); ++n)
    EXPECT_NE(skip_all(std::string_view(doc).substr(0, n), 32, 100'000), bencode_ok) << n;
  EXPECT_EQ(skip_all(doc, 32, 100'000), bencode_ok);
}
