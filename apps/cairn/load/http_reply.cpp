#include "load/http_reply.hpp"

#include <charconv>

#include "codec/bencode.hpp"

namespace cairn::load {

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
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "HTTP/1.x NNN reason"
bool parse_status_line(std::string_view line, ReplyHead& out, bool& http10) {
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return false;
  http10 = line[7] == '0';
  auto code = line.substr(9, 3);
  auto [p, ec] = std::from_chars(code.data(), code.data() + 3, out.status);
  return ec == std::errc{} && p == code.data() + 3;
}

bool apply_header(std::string_view name, std::string_view value, ReplyHead& out, bool& keep_alive) {
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

HeadStatus parse_reply_head(std::string_view buffer, ReplyHead& out) {
  auto end = buffer.find("\r\n\r\n");
  if (end == std::string_view::npos)
    return buffer.size() > kMaxReplyHead ? HeadStatus::error : HeadStatus::incomplete;
  out = {};
  out.head_size = end + 4;
  auto head = buffer.substr(0, end + 2);
  auto eol = head.find("\r\n");
  bool http10 = false, keep_alive = false;
  if (!parse_status_line(head.substr(0, eol), out, http10)) return HeadStatus::error;
  for (head.remove_prefix(eol + 2); !head.empty(); head.remove_prefix(eol + 2)) {
    eol = head.find("\r\n");
    auto line = head.substr(0, eol);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return HeadStatus::error;
    if (!apply_header(trim(line.substr(0, colon)), trim(line.substr(colon + 1)), out, keep_alive))
      return HeadStatus::error;
  }
  if (http10 && !keep_alive) out.close = true;
  return HeadStatus::complete;
}

bool valid_announce_body(std::string_view body, std::int32_t numwant, std::size_t& peers) {
  auto doc = codec::bdecode(body);
  if (!doc || doc->kind != codec::BValue::Kind::dict || doc->find("failure reason")) return false;
  auto* interval = doc->find("interval");
  if (!interval || interval->kind != codec::BValue::Kind::integer) return false;
  peers = 0;
  auto* v4 = doc->find("peers");
  if (!v4) return false;
  if (v4->kind == codec::BValue::Kind::string) {
    if (v4->string.size() % 6 != 0) return false;
    peers += v4->string.size() / 6;
  } else if (v4->kind == codec::BValue::Kind::list) {
    peers += v4->list.size();
  } else {
    return false;
  }
  if (auto* v6 = doc->find("peers6")) {
    if (v6->kind != codec::BValue::Kind::string || v6->string.size() % 18 != 0) return false;
    peers += v6->string.size() / 18;
  }
  return numwant < 0 || peers <= static_cast<std::size_t>(numwant);
}

bool valid_scrape_body(std::string_view body, std::size_t requested) {
  auto doc = codec::bdecode(body);
  if (!doc || doc->kind != codec::BValue::Kind::dict || doc->find("failure reason")) return false;
  auto* files = doc->find("files");
  if (!files || files->kind != codec::BValue::Kind::dict || files->dict.size() > requested) return false;
  for (const auto& f : files->dict)
    if (f.first.size() != 20 || f.second.kind != codec::BValue::Kind::dict) return false;
  return true;
}

}  // namespace cairn::load
