#pragma once
// Key names of the Redis stores: NS:KIND{TAG}, the tag in braces so that a
// swarm's or a topic's keys, and its slot's bookkeeping, share one slot.
// The scripts build the same names (`key(kind, h)` in their Lua).
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "store/redis/key_slot.hpp"

namespace cairn::store::redis {

// Lowercase hex of up to 32 bytes, without allocating.
class Hex {
 public:
  explicit Hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    size_ = bytes.size() > 32 ? 64 : bytes.size() * 2;
    for (std::size_t i = 0; i < size_ / 2; ++i) {
      text_[2 * i] = digits[bytes[i] >> 4];
      text_[2 * i + 1] = digits[bytes[i] & 0xf];
    }
  }
  std::string_view view() const { return {text_.data(), size_}; }
  std::uint16_t slot() const { return crc16(view()) % kSlots; }

 private:
  std::array<char, 64> text_{};
  std::size_t size_ = 0;
};

// NS:KIND{TAG}, written into `buffer` (reused by the caller): sized once
// and filled, not appended to piece by piece (an announce names 3 keys).
inline std::string_view key_name(std::string& buffer, std::string_view name_space,
                                 std::string_view kind, std::string_view tag) {
  buffer.resize(name_space.size() + kind.size() + tag.size() + 3);
  char* p = buffer.data();
  const auto put = [&p](std::string_view part) {
    if (!part.empty()) std::memcpy(p, part.data(), part.size());
    p += part.size();
  };
  put(name_space);
  *p++ = ':';
  put(kind);
  *p++ = '{';
  put(tag);
  *p = '}';
  return buffer;
}

}  // namespace cairn::store::redis
