#include "codec/passkey.hpp"

namespace cairn::codec {

bool is_keyed_path(std::string_view path, std::string_view route) {
  return path.size() == 1 + core::kPasskeySize + route.size() && path.front() == '/' &&
         path.substr(1 + core::kPasskeySize) == route &&
         core::Passkey::parse(path.substr(1, core::kPasskeySize)).has_value();
}

std::optional<core::Passkey> passkey_of_path(std::string_view path) {
  // Shorter than "/PASSKEY/scrape" (public trackers see mostly empty URL
  // data): out before any search.
  constexpr std::size_t kShortest = 1 + core::kPasskeySize + 7;
  if (path.size() < kShortest) return std::nullopt;
  path = path.substr(0, path.find('?'));
  if (path.size() < kShortest || path.front() != '/') return std::nullopt;
  const auto route = path.substr(1 + core::kPasskeySize);
  if (route != "/announce" && route != "/scrape") return std::nullopt;
  return core::Passkey::parse(path.substr(1, core::kPasskeySize));
}

}  // namespace cairn::codec
