#pragma once
// Identities of rendezvous records (docs/rendezvous.md): a record id is 16
// random bytes the client picked, or, for a signed record, its 32-byte
// Ed25519 public key. Signatures are Ed25519's 64 bytes.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/ids.hpp"

namespace cairn::core {

struct RecordId {
  static constexpr std::size_t random_size = 16;
  static constexpr std::size_t key_size = 32;

  std::array<std::uint8_t, key_size> bytes{};
  std::uint8_t size = 0;  // random_size or key_size; 0 for none

  // 32 hex digits (random) or 64 (a public key); nullopt otherwise.
  static std::optional<RecordId> from_hex(std::string_view hex) {
    RecordId id;
    if (hex.size() != 2 * random_size && hex.size() != 2 * key_size) return std::nullopt;
    id.size = static_cast<std::uint8_t>(hex.size() / 2);
    if (!core::from_hex(hex, std::span(id.bytes.data(), id.size))) return std::nullopt;
    return id;
  }
  // From raw bytes of either size; nullopt otherwise.
  static std::optional<RecordId> from_bytes(std::span<const std::uint8_t> b) {
    if (b.size() != random_size && b.size() != key_size) return std::nullopt;
    RecordId id;
    id.size = static_cast<std::uint8_t>(b.size());
    std::copy(b.begin(), b.end(), id.bytes.begin());
    return id;
  }

  bool is_public_key() const { return size == key_size; }
  std::span<const std::uint8_t> view() const { return {bytes.data(), size}; }
  std::string hex() const { return to_hex(view()); }

  friend auto operator<=>(const RecordId&, const RecordId&) = default;
  friend bool operator==(const RecordId&, const RecordId&) = default;
};

using Signature = std::array<std::uint8_t, 64>;

}  // namespace cairn::core
