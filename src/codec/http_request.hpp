#pragma once
// HTTP/1.x request heads, as a tracker needs them: the request line, the few
// headers that matter (Connection, X-Forwarded-For, X-Real-IP), and limits.
// Pure: the caller owns the buffer; the result holds views into it.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cairn::codec {

struct HttpLimits {
  std::size_t max_request_line = 4096;  // longer: 414
  std::size_t max_head = 8192;          // request line + headers; longer: 431
  std::size_t max_headers = 64;         // more: 431
};

struct HttpRequest {
  std::string_view method;
  std::string_view target;  // as sent: path?query
  std::string_view path;    // target before '?'
  std::string_view query;   // target after '?', without it ("" if none)
  int version_minor = 1;    // HTTP/1.0 or HTTP/1.1
  bool keep_alive = true;   // 1.1 default unless "Connection: close"; 1.0 only with "keep-alive"
  std::string_view x_forwarded_for;  // raw header value, "" if absent
  std::string_view x_real_ip;
  std::size_t head_size = 0;  // bytes up to and including the blank line
};

enum class HttpParseStatus : std::uint8_t {
  complete,    // `request` is filled
  incomplete,  // no blank line yet and no limit exceeded: read more
  error,       // `error_status` says which 4xx/5xx to answer; then close
};

struct HttpParse {
  HttpParseStatus status = HttpParseStatus::incomplete;
  HttpRequest request;
  int error_status = 0;  // 400 malformed, 405 not GET, 413 has a body, 414, 431, 505 version
};

// Parses the head at the start of `buffer`. Only GET is accepted (405
// otherwise); a request announcing a body (Content-Length > 0 or any
// Transfer-Encoding) is 413. Header names are case-insensitive; lines may end
// in CRLF or bare LF.
HttpParse parse_http_request(std::string_view buffer, const HttpLimits& limits = {});

}  // namespace cairn::codec
