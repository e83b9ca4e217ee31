#pragma once
// A private tracker's passkey: 32 URL-safe characters (A-Z a-z 0-9 - _)
// that name a user in the announce URL ("/PASSKEY/announce"). Where the
// passkey sits in a request is the codecs' business (codec/passkey.hpp).
#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>

namespace cairn::core {

inline constexpr std::size_t kPasskeySize = 32;

struct Passkey {
  std::array<char, kPasskeySize> chars{};
  std::string_view view() const { return {chars.data(), chars.size()}; }
  bool operator==(const Passkey&) const = default;

  // Exactly 32 URL-safe characters, or nothing.
  static std::optional<Passkey> parse(std::string_view text) {
    if (text.size() != kPasskeySize) return std::nullopt;
    Passkey k;
    for (std::size_t i = 0; i < kPasskeySize; ++i) {
      if (!is_char(text[i])) return std::nullopt;
      k.chars[i] = text[i];
    }
    return k;
  }
  static constexpr bool is_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  }
};

struct PasskeyHash {
  std::size_t operator()(const Passkey& k) const noexcept {
    return std::hash<std::string_view>{}(k.view());
  }
};

}  // namespace cairn::core
