#include "codec/http_response.hpp"

#include "codec/text_put.hpp"

namespace cairn::codec {

std::string_view http_reason(int status) {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

namespace {

constexpr std::string_view kVersion = "HTTP/1.1 ", kType = "\r\nContent-Type: ",
                           kLength = "\r\nContent-Length: ", kAllow = "\r\nAllow: ",
                           kEncoding = "\r\nContent-Encoding: ", kRetry = "\r\nRetry-After: ",
                           kKeepAlive = "\r\nConnection: keep-alive\r\n\r\n",
                           kClose = "\r\nConnection: close\r\n\r\n";
// What nearly every tracker reply starts with, stored as one constant.
constexpr std::string_view kPlainText = "text/plain",
                           kOkPlainText = "HTTP/1.1 200 OK\r\nContent-Type: text/plain";

// The head from `at`, which has room for head_bound(); returns its end.
char* put_head(char* at, int status, std::string_view reason, const HttpResponse& r) {
  char* p = at;
  if (status == 200 && r.content_type == kPlainText) {
    p = text::put(p, kOkPlainText);
  } else {
    p = text::put_decimal(text::put(p, kVersion), static_cast<std::uint64_t>(status));
    *p++ = ' ';
    p = text::put(text::put(text::put(p, reason), kType), r.content_type);
  }
  // A HEAD answer says the length GET's body would have (RFC 9110 9.3.2).
  p = text::put_decimal(text::put(p, kLength), r.body.size());
  if (!r.allow.empty()) p = text::put(text::put(p, kAllow), r.allow);
  if (!r.content_encoding.empty()) p = text::put(text::put(p, kEncoding), r.content_encoding);
  if (r.retry_after != 0) p = text::put_decimal(text::put(p, kRetry), r.retry_after);
  return text::put(p, r.keep_alive ? kKeepAlive : kClose);
}

std::size_t head_bound(std::string_view reason, const HttpResponse& r) {
  return kVersion.size() + 4 + reason.size() + kType.size() + r.content_type.size() +
         kLength.size() + text::kMaxDecimal + kAllow.size() + r.allow.size() + kEncoding.size() +
         r.content_encoding.size() + kRetry.size() + text::kMaxDecimal + kKeepAlive.size();
}

}  // namespace

void write_http_response(std::string& out, const HttpResponse& r) {
  // Statuses outside 100..999 would break the status line; they read as 500.
  const int status = r.status < 100 || r.status > 999 ? 500 : r.status;
  const std::string_view reason = http_reason(status);
  // Every HTTP reply passes here: the head is stored piece by piece in a
  // buffer sized once for its longest form, instead of a dozen appends. A
  // head of the usual size is built on the stack and appended once, since
  // growing `out` to the bound first would zero-fill every byte of it.
  const std::size_t bound = head_bound(reason, r);
  char head[256];
  if (bound <= sizeof head) {
    out.append(head, static_cast<std::size_t>(put_head(head, status, reason, r) - head));
  } else {
    const std::size_t at = out.size();
    out.resize(at + bound);
    out.resize(static_cast<std::size_t>(put_head(out.data() + at, status, reason, r) - out.data()));
  }
  if (!r.head_only) out.append(r.body);
}

void write_plain_ok(std::string& out, const HttpRequest& request, std::string_view body) {
  constexpr std::string_view kOkHead =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ";
  static_assert(kOkHead.substr(0, kOkPlainText.size()) == kOkPlainText &&
                kOkHead.substr(kOkPlainText.size()) == kLength);
  char head[kOkHead.size() + text::kMaxDecimal + kKeepAlive.size()];
  char* p = text::put_decimal(text::put(head, kOkHead), body.size());
  // Either constant put on its own: a copy of known size, not a memcpy call.
  p = request.keep_alive ? text::put(p, kKeepAlive) : text::put(p, kClose);
  out.append(head, static_cast<std::size_t>(p - head));
  if (request.method != HttpMethod::head) out.append(body);
}

void write_http_response(std::string& out, int status, std::string_view content_type,
                         std::string_view body, bool keep_alive) {
  HttpResponse r;
  r.status = status;
  r.content_type = content_type;
  r.body = body;
  r.keep_alive = keep_alive;
  write_http_response(out, r);
}

}  // namespace cairn::codec
