#include "client/info_hash_text.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>

namespace cairn::client {

namespace {

constexpr std::string_view kForms =
    "need 40 hex digits, 32 base32 characters, 64 hex digits (a v2 hash), urn:btih:..., "
    "urn:btmh:1220... or a magnet link";
// A multihash of SHA-256 (BitTorrent v2): code 0x12, length 0x20, digest.
constexpr std::string_view kSha256Multihash = "1220";

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// URN namespaces and URI schemes are case-insensitive.
bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), s.begin(),
                    [](char a, char b) { return lower(a) == lower(b); });
}

// RFC 4648 base32 (A-Z, 2-7), case-insensitive, unpadded: 32 characters
// are 160 bits, exactly one hash.
std::optional<core::InfoHash> from_base32(std::string_view text) {
  if (text.size() != 32) return std::nullopt;
  core::InfoHash h;
  std::uint64_t bits = 0;
  int held = 0;
  std::size_t out = 0;
  for (char c : text) {
    const char l = lower(c);
    unsigned value = 0;
    if (l >= 'a' && l <= 'z')
      value = static_cast<unsigned>(l - 'a');
    else if (l >= '2' && l <= '7')
      value = static_cast<unsigned>(l - '2' + 26);
    else
      return std::nullopt;
    bits = bits << 5 | value;
    held += 5;
    if (held >= 8) {
      held -= 8;
      h.bytes[out++] = static_cast<std::uint8_t>(bits >> held);
    }
  }
  return h;
}

// BEP 52: a tracker knows a v2 torrent by the first 20 bytes of its hash.
std::optional<core::InfoHash> truncated_v2(std::string_view hex) {
  std::array<std::uint8_t, 32> full{};
  if (hex.size() != 2 * full.size() || !core::from_hex(hex, full)) return std::nullopt;
  return core::InfoHash::from_bytes(std::span<const std::uint8_t, 20>(full.data(), 20));
}

Result<core::InfoHash> from_btih(std::string_view value) {
  if (auto h = core::InfoHash::from_hex(value)) return *h;
  if (auto h = from_base32(value)) return *h;
  return Error{"urn:btih:" + std::string(value) + ": need 40 hex digits or 32 base32 characters"};
}

Result<core::InfoHash> from_btmh(std::string_view value) {
  if (starts_with_nocase(value, kSha256Multihash))
    if (auto h = truncated_v2(value.substr(kSha256Multihash.size()))) return *h;
  return Error{"urn:btmh:" + std::string(value) +
               ": need 1220 and 64 hex digits (a SHA-256 multihash, as BitTorrent v2 uses)"};
}

std::optional<std::string> percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    std::array<std::uint8_t, 1> byte{};
    if (i + 2 >= text.size() || !core::from_hex(text.substr(i + 1, 2), byte)) return std::nullopt;
    out.push_back(static_cast<char>(byte[0]));
    i += 2;
  }
  return out;
}

// The exact topics (xt, or xt.1, xt.2 ... in multi-file links) of a magnet
// link's query; the first urn:btih: wins over any urn:btmh:.
Result<core::InfoHash> from_magnet(std::string_view query) {
  std::optional<std::string> btih, btmh;
  while (!query.empty()) {
    const auto amp = std::min(query.find('&'), query.size());
    const auto param = query.substr(0, amp);
    query.remove_prefix(std::min(amp + 1, query.size()));
    const auto eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    const auto key = param.substr(0, eq);
    if (key != "xt" && !key.starts_with("xt.")) continue;
    auto value = percent_decoded(param.substr(eq + 1));
    if (!value) return Error{"magnet link: bad percent-encoding in " + std::string(param)};
    if (starts_with_nocase(*value, "urn:btih:") && !btih)
      btih = value->substr(9);
    else if (starts_with_nocase(*value, "urn:btmh:") && !btmh)
      btmh = value->substr(9);
  }
  if (btih) return from_btih(*btih);
  if (btmh) return from_btmh(*btmh);
  return Error{"magnet link: no xt=urn:btih:... or xt=urn:btmh:... in it"};
}

}  // namespace

Result<core::InfoHash> parse_info_hash(std::string_view text) {
  if (starts_with_nocase(text, "magnet:?")) return from_magnet(text.substr(8));
  if (starts_with_nocase(text, "urn:btih:")) return from_btih(text.substr(9));
  if (starts_with_nocase(text, "urn:btmh:")) return from_btmh(text.substr(9));
  if (auto h = core::InfoHash::from_hex(text)) return *h;
  if (auto h = from_base32(text)) return *h;
  if (auto h = truncated_v2(text)) return *h;
  return Error{std::string(kForms)};
}

}  // namespace cairn::client
