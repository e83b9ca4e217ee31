#include "codec/http_reply.hpp"

#include <charconv>

namespace cairn::codec {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// "HTTP/1.x NNN reason". Three digits exactly: from_chars alone would take
// "-40" (found by fuzz/http_reply_fuzz.cpp).
bool parse_status_line(std::string_view line, HttpReplyHead& out, bool& http10) {
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return false;
  http10 = line[7] == '0';
  out.status = 0;
  for (char c : line.substr(9, 3)) {
    if (c < '0' || c > '9') return false;
    out.status = out.status * 10 + (c - '0');
  }
  return true;
}

bool apply_header(std::string_view name, std::string_view value, HttpReplyHead& out,
                  bool& keep_alive) {
  if (iequals(name, "content-length")) {
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), out.content_length);
    out.has_length = true;
    return ec == std::errc{} && p == value.data() + value.size();
  }
  if (iequals(name, "connection")) {
    if (iequals(value, "close")) out.close = true;
    if (iequals(value, "keep-alive")) keep_alive = true;
  }
  return true;
}

}  // namespace

ReplyHeadStatus parse_http_reply_head(std::string_view buffer, HttpReplyHead& out) {
  // A head longer than the limit is an error whether or not its end has
  // arrived, so a head reads the same however TCP splits it (found by
  // fuzz/http_reply_fuzz.cpp).
  auto end = buffer.substr(0, kMaxReplyHead).find("\r\n\r\n");
  if (end == std::string_view::npos)
    return buffer.size() >= kMaxReplyHead ? ReplyHeadStatus::error : ReplyHeadStatus::incomplete;
  out = {};
  out.head_size = end + 4;
  auto head = buffer.substr(0, end + 2);
  auto eol = head.find("\r\n");
  bool http10 = false, keep_alive = false;
  if (!parse_status_line(head.substr(0, eol), out, http10)) return ReplyHeadStatus::error;
  for (head.remove_prefix(eol + 2); !head.empty(); head.remove_prefix(eol + 2)) {
    eol = head.find("\r\n");
    auto line = head.substr(0, eol);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return ReplyHeadStatus::error;
    if (!apply_header(trim(line.substr(0, colon)), trim(line.substr(colon + 1)), out, keep_alive))
      return ReplyHeadStatus::error;
  }
  if (http10 && !keep_alive) out.close = true;
  return ReplyHeadStatus::complete;
}

}  // namespace cairn::codec
