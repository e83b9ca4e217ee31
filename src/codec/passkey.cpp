#include "codec/passkey.hpp"

namespace cairn::codec {

bool is_keyed_path(std::string_view path, std::string_view route) {
  return path.size() == 1 + core::kPasskeySize + route.size() && path.front() == '/' &&
         path.substr(1 + core::kPasskeySize) == route &&
         core::Passkey::parse(path.substr(1, core::kPasskeySize)).has_value();
}

std::optional<core::Passkey> passkey_of_path(std::string_view path) {
  path = path.substr(0, path.find('?'));
  if (!is_keyed_path(path, "/announce") && !is_keyed_path(path, "/scrape")) return std::nullopt;
  return core::Passkey::parse(path.substr(1, core::kPasskeySize));
}

}  // namespace cairn::codec
