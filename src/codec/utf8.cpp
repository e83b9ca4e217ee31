#include "codec/utf8.hpp"

#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cairn::codec {

namespace {

bool continuation(std::uint8_t b) { return (b & 0xC0) == 0x80; }

// The length of the sequence starting at text[i] if it is valid, else 0.
std::size_t sequence(std::string_view text, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<std::uint8_t>(text[i + k]); };
  const std::uint8_t b = at(0);
  const std::size_t left = text.size() - i;
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return left >= 2 && continuation(at(1)) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    if (left < 3 || !continuation(at(1)) || !continuation(at(2))) return 0;
    if (b == 0xE0 && at(1) < 0xA0) return 0;   // overlong
    if (b == 0xED && at(1) >= 0xA0) return 0;  // a surrogate
    return 3;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    if (left < 4 || !continuation(at(1)) || !continuation(at(2)) || !continuation(at(3))) return 0;
    if (b == 0xF0 && at(1) < 0x90) return 0;   // overlong
    if (b == 0xF4 && at(1) >= 0x90) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;  // a continuation byte, C0/C1 (overlong) or F5..FF
}

}  // namespace

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    // Runs of ASCII, the common case, sixteen bytes (or a word) at a time.
#if defined(__SSE2__)
    while (i + 16 <= text.size()) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
      const int high = _mm_movemask_epi8(v);
      if (high != 0) {
        i += static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(high)));
        break;
      }
      i += 16;
    }
#endif
    while (i + 8 <= text.size()) {
      std::uint64_t w = 0;
      std::memcpy(&w, text.data() + i, 8);  // one load
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= text.size()) break;
    const std::size_t n = sequence(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace cairn::codec
