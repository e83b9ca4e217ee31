#pragma once
// Reading a tracker's HTTP replies: the response head (status, length,
// whether the server closes) and the bencoded body (through codec::bdecode).
// codec/ has no response-head parser yet (the server only writes heads); this
// one is the smallest that frames a reply, and belongs in codec/ once the
// client library needs it too.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cairn::load {

struct ReplyHead {
  int status = 0;
  std::size_t head_size = 0;       // through the blank line
  std::size_t content_length = 0;
  bool has_length = false;         // without it the body runs to end of stream
  bool close = false;              // "Connection: close", or HTTP/1.0 without keep-alive
};

enum class HeadStatus : std::uint8_t { complete, incomplete, error };

inline constexpr std::size_t kMaxReplyHead = 8192;

// Parses the head at the start of `buffer`.
HeadStatus parse_reply_head(std::string_view buffer, ReplyHead& out);

// Body checks. Announce: a dictionary without "failure reason", with an
// integer interval and compact peers (peers % 6, peers6 % 18 bytes, or a
// list) numbering at most numwant (when numwant >= 0); `peers` gets the count.
bool valid_announce_body(std::string_view body, std::int32_t numwant, std::size_t& peers);
// Scrape: a dictionary with a "files" dictionary of at most `requested`
// entries, each a dictionary; no "failure reason".
bool valid_scrape_body(std::string_view body, std::size_t requested);

}  // namespace cairn::load
