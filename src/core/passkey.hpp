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

  static constexpr bool is_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  }

  // Exactly 32 URL-safe characters, or nothing. Runs for every private
  // announce: a table look-up per character, no branch on its class.
  static std::optional<Passkey> parse(std::string_view text) {
    if (text.size() != kPasskeySize) return std::nullopt;
    Passkey k;
    bool ok = true;
    for (std::size_t i = 0; i < kPasskeySize; ++i) {
      ok &= url_safe()[static_cast<unsigned char>(text[i])];
      k.chars[i] = text[i];
    }
    if (!ok) return std::nullopt;
    return k;
  }

 private:
  static const std::array<bool, 256>& url_safe() {
    static constexpr std::array<bool, 256> table = [] {
      std::array<bool, 256> t{};
      for (std::size_t c = 0; c < 256; ++c) t[c] = is_char(static_cast<char>(c));
      return t;
    }();
    return table;
  }
};

struct PasskeyHash {
  std::size_t operator()(const Passkey& k) const noexcept {
    return std::hash<std::string_view>{}(k.view());
  }
};

}  // namespace cairn::core
