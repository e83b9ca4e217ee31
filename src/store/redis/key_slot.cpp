#include "store/redis/key_slot.hpp"

#include <array>
#include <string>

namespace cairn::store::redis {

namespace {

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), as Redis uses.
constexpr std::array<std::uint16_t, 256> make_table() {
  std::array<std::uint16_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    unsigned crc = i << 8;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
    t[i] = static_cast<std::uint16_t>(crc);
  }
  return t;
}
constexpr std::array<std::uint16_t, 256> kTable = make_table();

// Tags drawn from short strings of these characters until every slot has
// one: about 160,000 CRCs of three or four bytes, once.
struct SlotTags {
  std::array<std::string, kSlots> tags;
  SlotTags() {
    static constexpr std::string_view alphabet =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    std::size_t filled = 0;
    std::string tag;
    for (std::uint64_t n = 0; filled < kSlots; ++n) {
      tag.clear();
      std::uint64_t x = n;
      do {
        tag.push_back(alphabet[x % alphabet.size()]);
        x /= alphabet.size();
      } while (x > 0);
      std::string& at = tags[crc16(tag) % kSlots];
      if (at.empty()) {
        at = tag;
        ++filled;
      }
    }
  }
};

}  // namespace

std::uint16_t crc16(std::string_view bytes) {
  std::uint16_t crc = 0;
  for (unsigned char c : bytes)
    crc = static_cast<std::uint16_t>((crc << 8) ^ kTable[((crc >> 8) ^ c) & 0xff]);
  return crc;
}

std::string_view hash_tag(std::string_view key) {
  const std::size_t open = key.find('{');
  if (open == std::string_view::npos) return key;
  const std::size_t close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

std::uint16_t key_slot(std::string_view key) { return crc16(hash_tag(key)) % kSlots; }

std::string_view slot_tag(std::uint16_t slot) {
  static const SlotTags table;
  return table.tags[slot % kSlots];
}

}  // namespace cairn::store::redis
