#pragma once
// gzip (RFC 1952) compression of a whole body, for replies sent with
// Content-Encoding: gzip (the full scrape). zlib does the work.
#include <string>
#include <string_view>

namespace cairn::codec {

// `data` as one gzip member. Throws std::bad_alloc only (zlib's other
// failures cannot happen for a whole buffer compressed at once).
std::string gzip(std::string_view data);

// Whether an Accept-Encoding header value (RFC 9110 12.5.3) takes gzip:
// "gzip" or "x-gzip" (any case) among its codings with a q-value above 0,
// or "*" with one and gzip not refused by name.
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace cairn::codec
