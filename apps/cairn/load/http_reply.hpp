#pragma once
// Checks of a tracker's HTTP reply bodies (bencoded, through codec::bdecode);
// heads are framed by codec/http_reply.hpp.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cairn::load {

// Body checks. Announce: a dictionary without "failure reason", with an
// integer interval and compact peers (peers % 6, peers6 % 18 bytes, or a
// list) numbering at most numwant (when numwant >= 0); `peers` gets the count.
bool valid_announce_body(std::string_view body, std::int32_t numwant, std::size_t& peers);
// Scrape: a dictionary with a "files" dictionary of at most `requested`
// entries, each a dictionary; no "failure reason".
bool valid_scrape_body(std::string_view body, std::size_t requested);

}  // namespace cairn::load
