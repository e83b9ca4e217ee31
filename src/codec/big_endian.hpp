#pragma once
// Big-endian wire integers, at any alignment (memcpy: one load or store,
// byte-swapped on a little-endian host). Shared by the binary codecs (BEP
// 15, the rendezvous record body and UDP API). Callers check bounds before
// calling. (Assembled byte by byte with shifts, as before, GCC emitted the
// shifts: ~100 instructions for a BEP 15 announce reply's five fields.)
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace cairn::codec::be {

namespace detail {
template <class T>
T big(T v) {
  if constexpr (std::endian::native == std::endian::big) return v;
  if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(v));
  if constexpr (sizeof(T) == 4) return __builtin_bswap32(v);
  if constexpr (sizeof(T) == 8) return __builtin_bswap64(v);
}
template <class T>
T load(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return big(v);
}
template <class T>
void store(std::uint8_t* p, T v) {
  v = big(v);
  std::memcpy(p, &v, sizeof v);
}
}  // namespace detail

inline std::uint16_t load16(const std::uint8_t* p) { return detail::load<std::uint16_t>(p); }
inline std::uint32_t load32(const std::uint8_t* p) { return detail::load<std::uint32_t>(p); }
inline std::uint64_t load64(const std::uint8_t* p) { return detail::load<std::uint64_t>(p); }

inline void store16(std::uint8_t* p, std::uint16_t v) { detail::store(p, v); }
inline void store32(std::uint8_t* p, std::uint32_t v) { detail::store(p, v); }
inline void store64(std::uint8_t* p, std::uint64_t v) { detail::store(p, v); }

// Appends v as sizeof(T) big-endian bytes.
template <class T>
void append(std::string& out, T v) {
  for (int shift = 8 * (static_cast<int>(sizeof(T)) - 1); shift >= 0; shift -= 8)
    out.push_back(static_cast<char>(static_cast<std::uint8_t>(v >> shift)));
}

}  // namespace cairn::codec::be
