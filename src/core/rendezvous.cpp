#include "core/rendezvous.hpp"

#include "core/ids.hpp"

namespace cairn::core {

std::array<std::uint8_t, Cursor::size> Cursor::bytes() const {
  std::array<std::uint8_t, size> b;
  for (std::size_t i = 0; i < 4; ++i) b[i] = static_cast<std::uint8_t>(epoch >> (24 - 8 * i));
  for (std::size_t i = 0; i < 8; ++i) b[4 + i] = static_cast<std::uint8_t>(version >> (56 - 8 * i));
  return b;
}

Cursor Cursor::from_bytes(std::span<const std::uint8_t, size> b) {
  Cursor c;
  for (std::size_t i = 0; i < 4; ++i) c.epoch = c.epoch << 8 | b[i];
  for (std::size_t i = 0; i < 8; ++i) c.version = c.version << 8 | b[4 + i];
  return c;
}

std::string Cursor::hex() const { return to_hex(bytes()); }

std::optional<Cursor> Cursor::from_hex(std::string_view hex) {
  std::array<std::uint8_t, size> b;
  if (!core::from_hex(hex, b)) return std::nullopt;
  return from_bytes(b);
}

}  // namespace cairn::core
