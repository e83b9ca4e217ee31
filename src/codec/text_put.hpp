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

// Needs room for kMaxDecimal bytes. Counts of seeders and leechers are
// mostly one or two digits: those skip the library call.
inline char* put_decimal(char* at, std::uint64_t v) {
  if (v < 10) {
    *at = static_cast<char>('0' + v);
    return at + 1;
  }
  if (v < 100) {
    at[0] = static_cast<char>('0' + v / 10);
    at[1] = static_cast<char>('0' + v % 10);
    return at + 2;
  }
  return std::to_chars(at, at + kMaxDecimal, v).ptr;
}

}  // namespace cairn::codec::text
