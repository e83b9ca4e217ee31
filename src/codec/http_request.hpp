#pragma once
// HTTP/1.x requests, as a tracker needs them: the request line, the few
// headers that matter (Connection, Content-Length, X-Forwarded-For,
// X-Real-IP, and the WebSocket handshake's Upgrade, Sec-WebSocket-Key and
// Sec-WebSocket-Version), a body sized by Content-Length, and limits.
// Pure: the caller owns the buffer; the result holds views into it.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cairn::codec {

// The request line fits a scrape of kMaxScrapeHashes (100) hashes with every
// byte percent-encoded (7,120 bytes), the largest request a BitTorrent
// client sends; the head leaves room for a proxy's headers after it.
struct HttpLimits {
  std::size_t max_request_line = 8192;  // longer: 414
  std::size_t max_head = 16384;         // request line + headers; longer: 431
  std::size_t max_headers = 64;         // more: 431
  std::size_t max_body = 8192;          // Content-Length above it: 413
};

// The methods the tracker serves: GET (and HEAD, answered as GET without
// the body) for announce, scrape, health and look-ups, POST and DELETE for
// the rendezvous API. Any other method is `other`: routing answers it 405
// with the path's Allow (or 404), and the connection closes after it.
enum class HttpMethod : std::uint8_t { get, head, post, delete_, other };

// GET and HEAD take the same routes.
constexpr bool is_get_or_head(HttpMethod m) {
  return m == HttpMethod::get || m == HttpMethod::head;
}

struct HttpRequest {
  HttpMethod method = HttpMethod::get;
  std::string_view target;  // as sent: path?query
  std::string_view path;    // target before '?'
  std::string_view query;   // target after '?', without it ("" if none)
  int version_minor = 1;    // HTTP/1.0 or HTTP/1.1
  // 1.1 default unless "Connection: close"; 1.0 only with "keep-alive";
  // never after a method Cairn does not serve.
  bool keep_alive = true;
  std::string_view x_forwarded_for;  // raw header value, "" if absent
  std::string_view x_real_ip;
  std::string_view accept_encoding;  // raw header value (codec/gzip.hpp reads it)
  // The WebSocket handshake (RFC 6455 4.2.1): "Connection: upgrade" among
  // the Connection tokens, and the raw values of the other headers.
  bool connection_upgrade = false;
  std::string_view upgrade;
  std::string_view sec_websocket_key;
  std::string_view sec_websocket_version;
  std::string_view body;  // Content-Length bytes after the head ("" if none)
  // Bytes this request takes in the buffer: the head through its blank line,
  // then the body. The next pipelined request starts there.
  std::size_t head_size = 0;
};

enum class HttpParseStatus : std::uint8_t {
  complete,    // `request` is filled
  incomplete,  // the head or body has not all arrived and no limit is exceeded: read more
  error,       // `error_status` says which 4xx/5xx to answer; then close
};

struct HttpParse {
  HttpParseStatus status = HttpParseStatus::incomplete;
  // On a 414, `method` and `path` are filled when the start of the line
  // shows them, so the answer can be in the path's own protocol.
  HttpRequest request;
  // 400 malformed (a bad or repeated Content-Length too, a method that is no
  // token), 411 Transfer-Encoding, 413 body over max_body, 414, 431, 505
  // version
  int error_status = 0;
};

// Parses the request at the start of `buffer`. A body is read only by its
// Content-Length: any Transfer-Encoding (chunked included) is 411, which
// tells the client to send a length instead. Header names are
// case-insensitive; lines may end in CRLF or bare LF.
HttpParse parse_http_request(std::string_view buffer, const HttpLimits& limits = {});

}  // namespace cairn::codec
