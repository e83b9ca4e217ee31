#pragma once
// The ways people write a BitTorrent info hash, read into the 20 bytes a
// tracker uses:
//   c12fe1c06bba254a9dc9f519b335aa7c1367a88a        v1, 40 hex digits
//   YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK                v1, 32 base32 characters
//   0847b644...32ff8fd2                             v2 (SHA-256), 64 hex digits
//   urn:btih:<40 hex or 32 base32>                  v1 URN
//   urn:btmh:1220<64 hex>                           v2 URN, a SHA-256 multihash
//   magnet:?xt=urn:btih:...&dn=...&tr=...           a magnet link (BEP 9)
// A v2 hash is truncated to its first 20 bytes, which is what BEP 52 says
// trackers announce it under. A hybrid magnet link (both xt=urn:btih: and
// xt=urn:btmh:) gives its v1 hash: the swarm every v1 and hybrid client
// announces to.
#include <string_view>

#include "client/error.hpp"
#include "core/ids.hpp"

namespace cairn::client {

// The error says what was wrong and lists the forms above.
Result<core::InfoHash> parse_info_hash(std::string_view text);

}  // namespace cairn::client
