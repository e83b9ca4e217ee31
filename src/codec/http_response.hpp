#pragma once
// HTTP/1.x response framing: status line, fixed headers, body.
#include <cstdint>
#include <string>
#include <string_view>

#include "codec/http_request.hpp"

namespace cairn::codec {

struct HttpResponse {
  int status = 200;
  std::string_view content_type;
  std::string_view body;
  bool keep_alive = true;             // picks the Connection header
  bool head_only = false;             // answers a HEAD: the head GET would get, without the body
  std::string_view allow;             // a 405's Allow header ("GET, HEAD"); none when empty
  std::uint32_t retry_after = 0;      // a refusal's Retry-After, in seconds; none when 0
  std::string_view content_encoding;  // "gzip" for a compressed body; none when empty

  // An answer to `request`: its keep-alive, and no body if it is a HEAD.
  // Inline: every reply starts here.
  static HttpResponse to(const HttpRequest& request, int status, std::string_view content_type) {
    HttpResponse r;
    r.status = status;
    r.content_type = content_type;
    r.keep_alive = request.keep_alive;
    r.head_only = request.method == HttpMethod::head;
    return r;
  }
};

// Appends a complete response to `out`. Reason phrases come from a fixed
// table (unknown codes: "Error"). Allocates nothing once `out` has room.
void write_http_response(std::string& out, const HttpResponse& response);

// What nearly every tracker reply is: a 200 text/plain `body` answering
// `request` (its keep-alive; no body for a HEAD), the same bytes as
// write_http_response(out, HttpResponse::to(request, 200, "text/plain")
// with that body), written from one constant head without building a
// response or looking up its reason.
void write_plain_ok(std::string& out, const HttpRequest& request, std::string_view body);

// The common case: no extra headers, a body.
void write_http_response(std::string& out, int status, std::string_view content_type,
                         std::string_view body, bool keep_alive);

// "OK", "Bad Request", ... for the statuses Cairn sends.
std::string_view http_reason(int status);

}  // namespace cairn::codec
