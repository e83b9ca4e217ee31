#include "codec/http_response.hpp"

#include <charconv>

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

void append_number(std::string& out, std::uint64_t n) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr);
}

}  // namespace

void write_http_response(std::string& out, const HttpResponse& r) {
  // Statuses outside 100..999 would break the status line; they read as 500.
  const int status = r.status < 100 || r.status > 999 ? 500 : r.status;
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<std::uint64_t>(status));
  out.push_back(' ');
  out.append(http_reason(status));
  out.append("\r\nContent-Type: ");
  out.append(r.content_type);
  // A HEAD answer says the length GET's body would have (RFC 9110 9.3.2).
  out.append("\r\nContent-Length: ");
  append_number(out, r.body.size());
  if (!r.allow.empty()) out.append("\r\nAllow: ").append(r.allow);
  if (!r.content_encoding.empty()) out.append("\r\nContent-Encoding: ").append(r.content_encoding);
  if (r.retry_after != 0) {
    out.append("\r\nRetry-After: ");
    append_number(out, r.retry_after);
  }
  out.append(r.keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
  if (!r.head_only) out.append(r.body);
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

HttpResponse HttpResponse::to(const HttpRequest& request, int status,
                              std::string_view content_type) {
  HttpResponse r;
  r.status = status;
  r.content_type = content_type;
  r.keep_alive = request.keep_alive;
  r.head_only = request.method == HttpMethod::head;
  return r;
}

}  // namespace cairn::codec
