#include "codec/text_put.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

using cairn::codec::text::kMaxDecimal;
using cairn::codec::text::put_decimal;

namespace {

std::string decimal(std::uint64_t v) {
  char buf[kMaxDecimal + 1];
  return {buf, put_decimal(buf, v)};
}

}  // namespace

// Each width has its own path (one digit, a pair, three or four from two
// pairs, the library call beyond): every value across the short paths and
// the edges of the long one.
TEST(TextPut, DecimalAtEveryWidth) {
  for (std::uint64_t v = 0; v < 100'000; ++v) ASSERT_EQ(decimal(v), std::to_string(v)) << v;
  for (std::uint64_t p = 10; p < 10'000'000'000'000'000'000ull; p *= 10)
    for (std::uint64_t v : {p - 1, p, p + 1}) EXPECT_EQ(decimal(v), std::to_string(v));
  const auto max = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(decimal(max), std::to_string(max));
  EXPECT_EQ(decimal(max).size(), kMaxDecimal);
}
