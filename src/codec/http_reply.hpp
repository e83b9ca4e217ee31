#pragma once
// HTTP/1.x response heads as a client reads them (the load generator, the
// client library): status, body length, whether the server closes. The
// server side writes heads with http_response.hpp.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cairn::codec {

struct HttpReplyHead {
  int status = 0;
  std::size_t head_size = 0;  // through the blank line
  std::size_t content_length = 0;
  bool has_length = false;  // without it the body runs to end of stream
  bool close = false;       // "Connection: close", or HTTP/1.0 without keep-alive
};

enum class ReplyHeadStatus : std::uint8_t { complete, incomplete, error };

inline constexpr std::size_t kMaxReplyHead = 8192;

// Parses the head at the start of `buffer`; a head (through its blank line)
// longer than kMaxReplyHead is an error.
ReplyHeadStatus parse_http_reply_head(std::string_view buffer, HttpReplyHead& out);

}  // namespace cairn::codec
