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

void write_http_response(std::string& out, int status, std::string_view content_type,
                         std::string_view body, bool keep_alive) {
  char digits[24];
  out.append("HTTP/1.1 ");
  // Statuses outside 100..999 would break the status line; they read as 500.
  if (status < 100 || status > 999) status = 500;
  auto code_end = std::to_chars(digits, digits + sizeof digits, status).ptr;
  out.append(digits, code_end);
  out.push_back(' ');
  out.append(http_reason(status));
  out.append("\r\nContent-Type: ");
  out.append(content_type);
  out.append("\r\nContent-Length: ");
  auto length_end = std::to_chars(digits, digits + sizeof digits, body.size()).ptr;
  out.append(digits, length_end);
  out.append(keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
  out.append(body);
}

}  // namespace cairn::codec
