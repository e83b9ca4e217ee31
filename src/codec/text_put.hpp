#pragma once
// Writing text into a buffer already sized for it: the hot encoders (the
// HTTP response head, the announce reply) size the string once for an
// upper bound, store every piece with plain copies and trim the rest,
// instead of paying std::string::append's capacity check per piece.
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace cairn::codec::text {

// Digits of the largest std::uint64_t.
inline constexpr std::size_t kMaxDecimal = 20;

inline char* put(char* at, std::string_view s) {
  if (!s.empty()) std::memcpy(at, s.data(), s.size());  // an empty view's data may be null
  return at + s.size();
}

// "00" to "99", two digits a copy.
inline constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// Needs room for kMaxDecimal bytes. Counts of seeders and leechers are
// mostly one or two digits, an announce reply's intervals and its
// Content-Length three or four: those skip the library call, which costs
// a loop to count the digits first.
inline char* put_decimal(char* at, std::uint64_t v) {
  if (v < 10) {
    *at = static_cast<char>('0' + v);
    return at + 1;
  }
  if (v < 100) {
    std::memcpy(at, kDigitPairs + 2 * v, 2);
    return at + 2;
  }
  if (v < 10'000) {
    const auto high = v / 100, low = v % 100;
    if (high < 10) {
      *at = static_cast<char>('0' + high);
      std::memcpy(at + 1, kDigitPairs + 2 * low, 2);
      return at + 3;
    }
    std::memcpy(at, kDigitPairs + 2 * high, 2);
    std::memcpy(at + 2, kDigitPairs + 2 * low, 2);
    return at + 4;
  }
  return std::to_chars(at, at + kMaxDecimal, v).ptr;
}

}  // namespace cairn::codec::text
