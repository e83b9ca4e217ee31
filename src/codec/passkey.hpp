#pragma once
// Where a private tracker's passkey (core/passkey.hpp) sits in a request:
// the announce URL's path, "/PASSKEY/announce" or "/PASSKEY/scrape", over
// HTTP as the request path and over UDP as BEP 41 URL data. Pure.
#include <optional>
#include <string_view>

#include "core/passkey.hpp"

namespace cairn::codec {

// Whether `path` is "/" + a passkey + `route` ("/announce"): the shape the
// HTTP router matches before any handler runs.
bool is_keyed_path(std::string_view path, std::string_view route);

// The passkey of "/PASSKEY/announce" or "/PASSKEY/scrape" (anything after
// a '?' ignored, as BEP 41 URL data may carry a query); nothing for any
// other path, "/announce" included.
std::optional<core::Passkey> passkey_of_path(std::string_view path);

}  // namespace cairn::codec
