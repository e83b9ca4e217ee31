#include "codec/http_request.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace cairn::codec {

namespace {

// Byte classes, one table lookup a byte: the header loop runs over every
// byte of every header name and value.
enum : std::uint8_t { kTokenByte = 1, kFieldByte = 2 };

constexpr auto kByteClass = [] {
  std::array<std::uint8_t, 256> t{};
  // RFC 9110 token characters (method and header names).
  for (int c = '0'; c <= '9'; ++c) t[c] = kTokenByte;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kTokenByte;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kTokenByte;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = kTokenByte;
  // Header values: visible bytes, spaces and tabs; obs-text (>= 0x80)
  // allowed. Any other control byte, a stray CR included, is a smuggling
  // risk: 400.
  for (int c = 0; c < 256; ++c)
    if ((c >= 0x20 && c != 0x7f) || c == '\t') t[c] |= kFieldByte;
  return t;
}();

bool all_of_class(std::string_view s, std::uint8_t cls) {
  for (char c : s)
    if ((kByteClass[static_cast<unsigned char>(c)] & cls) == 0) return false;
  return true;
}

bool is_token(std::string_view s) { return !s.empty() && all_of_class(s, kTokenByte); }

// Eight bytes at a time (every header value of every request passes): a
// word with no byte below 0x20 and none equal to 0x7F is all field bytes;
// one that has either (a tab, or a refused byte) is judged byte by byte.
// Both tests are exact about whether such a byte exists (borrows start only
// at one). A value of 8 bytes or more ends with a word that overlaps.
bool is_field_value(std::string_view s) {
  constexpr std::uint64_t ones = 0x0101010101010101, highs = ones * 0x80;
  const auto plain = [](std::uint64_t x) {
    const std::uint64_t below = (x - ones * 0x20) & ~x;
    const std::uint64_t del = x ^ (ones * 0x7f);
    return (((del - ones) & ~del) | below) & highs ? false : true;
  };
  if (s.size() < 8) return all_of_class(s, kFieldByte);
  for (std::size_t i = 0;; i += 8) {
    const std::size_t at = std::min(i, s.size() - 8);
    std::uint64_t x;
    std::memcpy(&x, s.data() + at, sizeof x);
    if (!plain(x) && !all_of_class(s.substr(at, 8), kFieldByte)) return false;
    if (at + 8 == s.size()) return true;
  }
}

// Case-insensitive against a lowercase `name` of letters and '-': setting
// bit 5 lowercases a letter and leaves '-' as it is, and the only other
// bytes it would map onto those (control bytes) never reach here.
bool iequals(std::string_view a, std::string_view name) {
  if (a.size() != name.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != name[i]) return false;
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_visible(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f;
}

// How many bytes at the start of `s` are visible ASCII (0x21-0x7E), eight
// at a time: an announce's target is a few hundred bytes, and this test ran
// on each of them one by one. In a word, a byte below 0x21 borrows into its
// high bit when 0x21 is taken from it, one above 0x7E carries into it when 1
// is added, and one of 0x80 or more has it already; borrows and carries
// between bytes start only at such a byte, so a word is judged right.
std::size_t visible_prefix(std::string_view s) {
  constexpr std::uint64_t ones = 0x0101010101010101, highs = ones * 0x80;
  std::size_t i = 0;
#ifdef __SSE2__
  // Sixteen at a time where the CPU has it (every x86-64), 32 while all are
  // visible. Adding 0x5F moves the visible bytes, and only them, to 0x80 -
  // 0xDD, the signed bytes below -34: one comparison a vector.
  const __m128i shift = _mm_set1_epi8(0x5f), limit = _mm_set1_epi8(-34);
  const auto visible = [&](std::size_t at) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + at));
    return _mm_cmplt_epi8(_mm_add_epi8(x, shift), limit);
  };
  for (; i + 32 <= s.size(); i += 32)
    if (_mm_movemask_epi8(_mm_and_si128(visible(i), visible(i + 16))) != 0xffff) break;
  for (; i + 16 <= s.size(); i += 16) {
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(visible(i)));
    if (mask != 0xffff) return i + static_cast<std::size_t>(__builtin_ctz(~mask));
  }
#endif
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t x;
    std::memcpy(&x, s.data() + i, sizeof x);
    const std::uint64_t below = (x - ones * 0x21) & ~x;
    const std::uint64_t above = (x + ones * (0x7f - 0x7e)) | x;
    if ((below | above) & highs) break;  // the byte loop finds which
  }
  while (i < s.size() && is_visible(s[i])) ++i;
  return i;
}

// Origin-form only: a tracker is never addressed as a proxy.
bool is_target(std::string_view s) {
  return !s.empty() && s[0] == '/' && visible_prefix(s) == s.size();
}

// A line is `content` plus LF (optionally CR LF); `next` is the offset after it.
struct Line {
  std::string_view content;
  std::size_t next = 0;
  bool found = false;
};

// Inlined: three calls a request, and as a call (its Line returned
// through memory) it cost 160 instructions a request more.
[[gnu::always_inline]] inline Line next_line(std::string_view buffer, std::size_t from) {
  auto lf = buffer.find('\n', from);
  if (lf == std::string_view::npos) return {buffer.substr(from), buffer.size(), false};
  auto content = buffer.substr(from, lf - from);
  if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
  return {content, lf + 1, true};
}

HttpParse fail(int status) {
  HttpParse p;
  p.status = HttpParseStatus::error;
  p.error_status = status;
  return p;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "HTTP/1.1" -> 1; "HTTP/2" or "HTTP/2.0" -> 2; -1 when not a version at all.
// The minor digit goes to `minor` (-1 when absent).
int parse_version(std::string_view v, int& minor) {
  if (v.size() < 6 || v.substr(0, 5) != "HTTP/" || !is_digit(v[5])) return -1;
  minor = -1;
  if (v.size() == 6) return v[5] - '0';
  if (v.size() != 8 || v[6] != '.' || !is_digit(v[7])) return -1;
  minor = v[7] - '0';
  return v[5] - '0';
}

// Methods are case-sensitive (RFC 9110 9.1): "get" is not GET.
HttpMethod method_of(std::string_view m) {
  if (m == "GET") return HttpMethod::get;
  if (m == "HEAD") return HttpMethod::head;
  if (m == "POST") return HttpMethod::post;
  if (m == "DELETE") return HttpMethod::delete_;
  return HttpMethod::other;
}

// A request line over the limit is refused without reading the rest, but
// its start usually names the path: a scrape of too many hashes can then
// get a failure reason its client shows instead of a bare 414.
HttpParse too_long(std::string_view line) {
  HttpParse p = fail(414);
  auto sp = line.find(' ');
  if (sp == std::string_view::npos) return p;
  auto target = line.substr(sp + 1);
  auto end = target.find_first_of("? ");
  if (end == std::string_view::npos) return p;  // the path itself is cut off
  p.request.method = method_of(line.substr(0, sp));
  p.request.path = target.substr(0, end);
  return p;
}

// The request line's fields, from a line already judged acceptable.
void set_request_line(std::string_view method, std::string_view target, int minor, HttpRequest& r) {
  // RFC 9112 2.3: a higher 1.x minor is answered as the highest we speak.
  r.version_minor = minor == 0 ? 0 : 1;
  r.method = method_of(method);
  auto q = target.find('?');
  r.path = target.substr(0, q);
  r.query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

// 0 when the request line is acceptable, else the status to answer. The
// version is checked before the rest, so an HTTP/2 preface ("PRI *
// HTTP/2.0") gets 505 rather than 400.
int parse_request_line(std::string_view line, HttpRequest& r) {
  auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return 400;
  auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return 400;
  auto method = line.substr(0, sp1);
  r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  int minor = -1;
  int major = parse_version(line.substr(sp2 + 1), minor);
  if (major < 0) return 400;
  if (major != 1) return 505;
  if (minor < 0 || !is_token(method) || !is_target(r.target)) return 400;
  set_request_line(method, r.target, minor, r);
  return 0;
}

// The request line as clients send it, "GET /target HTTP/1.1" and CRLF (or
// LF), read in one pass from `start` in the window: a token, a space, a
// target of visible bytes up to the next byte that is not (the space), the
// version. Whatever else (no line end in the window yet, a line over
// `max_line`, any odd byte) returns false with `r` untouched, and the
// general path reads the line. When it returns true the general path would
// have found the same line and read it the same way, with no error: none of
// these bytes is LF, the method holds no space and the target none either.
// It saves that path's two scans of the whole line (for its LF, and for the
// space after the target) on every request.
bool read_plain_request_line(std::string_view window, std::size_t start, std::size_t max_line,
                             HttpRequest& r, std::size_t& next) {
  const char* const begin = window.data() + start;
  const char* const end = window.data() + window.size();
  const char* p = begin;
  // "GET /", what BitTorrent clients send, is told by one comparison; the
  // token loop would stop at the same space.
  if (constexpr std::string_view kGet = "GET /";
      end - p >= static_cast<std::ptrdiff_t>(kGet.size()) &&
      std::memcmp(p, kGet.data(), kGet.size()) == 0)
    p += 3;
  else
    while (p < end && (kByteClass[static_cast<unsigned char>(*p)] & kTokenByte) != 0) ++p;
  if (p == begin || end - p < 2 || p[0] != ' ' || p[1] != '/') return false;
  const std::string_view method(begin, static_cast<std::size_t>(p - begin));
  const char* const target = p + 1;
  p = target + visible_prefix({target, static_cast<std::size_t>(end - target)});
  // A space, "HTTP/1.", a digit, then CR LF or LF.
  constexpr std::string_view kVersion = " HTTP/1.";
  if (end - p < static_cast<std::ptrdiff_t>(kVersion.size()) + 2 ||
      std::memcmp(p, kVersion.data(), kVersion.size()) != 0 || !is_digit(p[kVersion.size()]))
    return false;
  const char* const line_end = p + kVersion.size() + 1;  // after the digit
  std::size_t eol = 0;
  if (line_end[0] == '\n')
    eol = 1;
  else if (line_end[0] == '\r' && end - line_end > 1 && line_end[1] == '\n')
    eol = 2;
  if (eol == 0 || static_cast<std::size_t>(line_end - begin) > max_line) return false;
  r.target = {target, static_cast<std::size_t>(p - target)};
  set_request_line(method, r.target, p[kVersion.size()] - '0', r);
  next = static_cast<std::size_t>(line_end + eol - window.data());
  return true;
}

struct HeaderState {
  std::size_t max_body = 0;
  bool saw_close = false;
  bool saw_keep_alive = false;
  bool saw_upgrade = false;
  bool has_content_length = false;
  std::size_t content_length = 0;
};

void scan_connection_tokens(std::string_view value, HeaderState& s) {
  while (!value.empty()) {
    auto comma = value.find(',');
    auto token = trim_ows(value.substr(0, comma));
    if (iequals(token, "close")) s.saw_close = true;
    if (iequals(token, "keep-alive")) s.saw_keep_alive = true;
    if (iequals(token, "upgrade")) s.saw_upgrade = true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

// Plain decimal only, not the list form "5, 5". A number past max_body is 413 however many digits
// it has: more than 19 (after leading zeros) could overflow, and is past any limit anyway.
int parse_content_length(std::string_view value, HeaderState& s) {
  if (value.empty()) return 400;
  for (char c : value)
    if (!is_digit(c)) return 400;
  auto digits = value.substr(std::min(value.find_first_not_of('0'), value.size()));
  if (digits.size() > 19) return 413;
  std::uint64_t length = 0;
  for (char c : digits) length = length * 10 + static_cast<std::uint64_t>(c - '0');
  if (length > s.max_body) return 413;
  s.content_length = length;
  return 0;
}

int apply_header(std::string_view name, std::string_view value, HttpRequest& r, HeaderState& s);

// 0 when the header line is acceptable, else the status to answer.
int parse_header(std::string_view line, HttpRequest& r, HeaderState& s) {
  // The name is a token up to the first colon (RFC 9112 5.1: no space
  // before it). ':' is no token byte, so the first byte that is not one
  // must be that colon: one pass, where a search for the colon and then a
  // test of the name were two.
  std::size_t colon = 0;
  while (colon < line.size() && (kByteClass[static_cast<unsigned char>(line[colon])] & kTokenByte))
    ++colon;
  if (colon == 0 || colon == line.size() || line[colon] != ':') return 400;
  auto value = line.substr(colon + 1);
  if (!is_field_value(value)) return 400;
  return apply_header(line.substr(0, colon), trim_ows(value), r, s);
}

// A header line at `pos` as clients send it: a token name, ':', a value
// of visible bytes and spaces (obs-text too), CR LF or LF, all found in
// one pass, the value's bytes checked 16 at a time (SSE2) as the line end
// is sought. Returns the offset after the line with `name` and `value`
// (not yet trimmed) set; 0 for anything else (a tab or other control
// byte, no line end yet, no colon), which the general path then reads:
// it would have found the same line and judged it acceptable.
std::size_t read_plain_header(std::string_view window, std::size_t pos, std::string_view& name,
                              std::string_view& value) {
  std::size_t i = pos;
  while (i < window.size() && (kByteClass[static_cast<unsigned char>(window[i])] & kTokenByte)) ++i;
  if (i == pos || i == window.size() || window[i] != ':') return 0;
  name = window.substr(pos, i - pos);
  const std::size_t from = ++i;
  // The first byte below 0x20 or equal to 0x7F: it must be the line end.
#ifdef __SSE2__
  const __m128i low = _mm_set1_epi8(0x1f), del = _mm_set1_epi8(0x7f);
  for (; i + 16 <= window.size(); i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(window.data() + i));
    const __m128i stop =
        _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, low), x), _mm_cmpeq_epi8(x, del));
    if (const int mask = _mm_movemask_epi8(stop); mask != 0) {
      i += static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
      break;
    }
  }
#endif
  while (i < window.size()) {
    const auto u = static_cast<unsigned char>(window[i]);
    if (u < 0x20 || u == 0x7f) break;
    ++i;
  }
  if (i < window.size() && window[i] == '\n') {
    value = window.substr(from, i - from);
    return i + 1;
  }
  if (i + 1 < window.size() && window[i] == '\r' && window[i + 1] == '\n') {
    value = window.substr(from, i - from);
    return i + 2;
  }
  return 0;
}

// What a header says, from its name and trimmed value: 0, or the status
// to answer.
int apply_header(std::string_view name, std::string_view value, HttpRequest& r, HeaderState& s) {
  if (iequals(name, "connection")) {
    scan_connection_tokens(value, s);
  } else if (iequals(name, "content-length")) {
    // A second length, equal or not, is a smuggling risk (RFC 9112 6.3).
    if (s.has_content_length) return 400;
    s.has_content_length = true;
    return parse_content_length(value, s);
  } else if (iequals(name, "transfer-encoding")) {
    return 411;  // no chunked decoding: the client is asked for a Content-Length
  } else if (iequals(name, "x-forwarded-for")) {
    // The last one wins: a proxy that adds its own line adds it last.
    r.x_forwarded_for = value;
  } else if (iequals(name, "x-real-ip")) {
    r.x_real_ip = value;
  } else if (iequals(name, "accept-encoding")) {
    r.accept_encoding = value;
  } else if (iequals(name, "upgrade")) {
    r.upgrade = value;
  } else if (iequals(name, "sec-websocket-key")) {
    r.sec_websocket_key = value;
  } else if (iequals(name, "sec-websocket-version")) {
    r.sec_websocket_version = value;
  }
  return 0;
}

// Clients may send stray empty lines between pipelined requests (RFC 9112
// 2.2); they are skipped but still count against the head limit.
std::size_t skip_leading_empty_lines(std::string_view buffer) {
  std::size_t pos = 0;
  while (pos < buffer.size()) {
    if (buffer[pos] == '\n') {
      pos += 1;
    } else if (buffer[pos] == '\r' && pos + 1 < buffer.size() && buffer[pos + 1] == '\n') {
      pos += 2;
    } else {
      break;
    }
  }
  return pos;
}

}  // namespace

namespace {

// Any request line: where the line after it starts, or 0 when `result`
// says what to do instead (an error, or read more).
std::size_t read_request_line(std::string_view window, std::size_t start, bool full,
                              const HttpLimits& limits, HttpParse& result) {
  auto line = next_line(window, start);
  auto line_size = line.content.size();
  if (!line.found && line_size > 0 && line.content.back() == '\r')
    --line_size;  // CR may precede LF
  if (line_size > limits.max_request_line) {
    result = too_long(line.content);
    return 0;
  }
  if (!line.found) {
    if (full) result = fail(431);
    return 0;
  }
  if (int status = parse_request_line(line.content, result.request); status != 0) {
    result = fail(status);
    return 0;
  }
  return line.next;
}

// The parse itself, into `result` (complete, or as an error or "incomplete"
// reset it). Every request goes through here: one HttpParse, filled where it
// lies and returned by parse_http_request without a copy of its request.
void parse_into(std::string_view buffer, const HttpLimits& limits, HttpParse& result) {
  // Everything past max_head is never looked at: a head that has not ended
  // by then is refused, so a slow sender cannot make us buffer forever.
  auto window = buffer.substr(0, limits.max_head);
  bool full = buffer.size() >= limits.max_head;  // the head must end inside the window
  auto start = skip_leading_empty_lines(window);
  HttpRequest& r = result.request;
  std::size_t pos = 0;
  if (!read_plain_request_line(window, start, limits.max_request_line, r, pos)) {
    pos = read_request_line(window, start, full, limits, result);
    if (pos == 0) return;
  }
  HeaderState state;
  state.max_body = limits.max_body;
  std::size_t headers = 0;
  for (;;) {
    // The blank line that ends the head, told without a search.
    if (pos < window.size() && window[pos] == '\n') {
      ++pos;
      break;
    }
    if (pos + 1 < window.size() && window[pos] == '\r' && window[pos + 1] == '\n') {
      pos += 2;
      break;
    }
    std::string_view name, value;
    if (const std::size_t next = read_plain_header(window, pos, name, value); next != 0) {
      pos = next;
      const int status =
          ++headers > limits.max_headers ? 431 : apply_header(name, trim_ows(value), r, state);
      if (status != 0) {
        result = fail(status);
        return;
      }
      continue;
    }
    auto header = next_line(window, pos);
    if (!header.found) {
      result = full ? fail(431) : HttpParse{};
      return;
    }
    pos = header.next;
    if (header.content.empty()) break;
    int status = 0;
    if (header.content[0] == ' ' || header.content[0] == '\t')
      status = 400;  // obs-fold
    else if (++headers > limits.max_headers)
      status = 431;
    else
      status = parse_header(header.content, r, state);
    if (status != 0) {
      result = fail(status);
      return;
    }
  }
  r.connection_upgrade = state.saw_upgrade;
  r.keep_alive =
      r.version_minor == 0 ? (state.saw_keep_alive && !state.saw_close) : !state.saw_close;
  // A client speaking a method we do not serve may not speak the framing we
  // expect either: answer once, then close.
  if (r.method == HttpMethod::other) r.keep_alive = false;
  // The body is read from `buffer`, not the window: only the head is
  // bounded by max_head, the body by max_body.
  if (buffer.size() - pos < state.content_length) {
    result = HttpParse{};
    return;
  }
  r.body = buffer.substr(pos, state.content_length);
  r.head_size = pos + state.content_length;
  result.status = HttpParseStatus::complete;
}

}  // namespace

HttpParse parse_http_request(std::string_view buffer, const HttpLimits& limits) {
  HttpParse result;
  parse_into(buffer, limits, result);
  return result;
}

}  // namespace cairn::codec
