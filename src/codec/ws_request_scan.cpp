#include "codec/ws_request_scan.hpp"

#include <array>
#include <cstdint>
#include <utility>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "codec/utf8.hpp"

namespace cairn::codec::ws {

namespace {

// Deeper than any message real clients send (an offer object sits at 3),
// well inside the general parser's kMaxDepth.
constexpr int kScanDepth = 8;
// An exponent this long is far from the general parser's overflow limit.
constexpr std::size_t kMaxExponentDigits = 4;

enum class Type : std::uint8_t { absent, null, string, number, boolean, object, array };

// One member's value: where it is and what it is, read later by the rules.
struct Value {
  Type type = Type::absent;
  std::string_view raw;   // a string's content (between the quotes); else the value's text
  bool escaped = false;   // a string with a backslash in it
  bool fraction = false;  // a number with a fraction or an exponent
};

bool absent(const Value& v) { return v.type == Type::absent || v.type == Type::null; }

// Hex digit values by byte; -1 for any other byte.
constexpr std::array<std::int8_t, 256> kHexValue = [] {
  std::array<std::int8_t, 256> t{};
  t.fill(-1);
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<std::int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<std::int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<std::int8_t>(c - 'A' + 10);
  return t;
}();

// Four hex digits at `p` (known to be there); -1 if any is not one.
int hex4(const char* p) {
  const auto at = [&](int i) { return int{kHexValue[static_cast<unsigned char>(p[i])]}; };
  const int a = at(0), b = at(1), c = at(2), d = at(3);
  if ((a | b | c | d) < 0) return -1;
  return (a << 12) | (b << 8) | (c << 4) | d;
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Validating JSON reader (RFC 8259, no extensions) that gives up (false)
// instead of saying why.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  char peek() {
    while (p_ < end_ && is_space(*p_)) ++p_;
    return p_ < end_ ? *p_ : '\0';
  }
  bool take(char c) {
    if (peek() != c || p_ == end_) return false;
    ++p_;
    return true;
  }
  bool at_end() { return peek() == '\0' && p_ == end_; }

  // The object at p_ ('{'), calling on_member(key) with p_ at each value,
  // which it must read. Keys with escapes are given up on.
  template <class OnMember>
  bool members(int depth, OnMember&& on_member) {
    if (depth > kScanDepth || !take('{')) return false;
    if (take('}')) return true;
    do {
      if (peek() != '"') return false;
      std::string_view key;
      bool escaped = false;
      if (!string(key, escaped) || escaped || !take(':') || !on_member(key)) return false;
    } while (take(','));
    return take('}');
  }

  // The array at p_ ('['), calling on_element() with p_ at each element.
  template <class OnElement>
  bool elements(int depth, OnElement&& on_element) {
    if (depth > kScanDepth || !take('[')) return false;
    if (take(']')) return true;
    do {
      if (!on_element()) return false;
    } while (take(','));
    return take(']');
  }

  // Any value at p_, checked and described in `v`.
  bool value(Value& v, int depth) {
    const char c = peek();
    const char* start = p_;
    switch (c) {
      case '"':
        v.type = Type::string;
        return string(v.raw, v.escaped);
      case '{':
        v.type = Type::object;
        if (!members(depth + 1, [&](std::string_view) { return skip(depth + 1); })) return false;
        break;
      case '[':
        v.type = Type::array;
        if (!elements(depth + 1, [&] { return skip(depth + 1); })) return false;
        break;
      case 't':
        v.type = Type::boolean;
        return literal("true");
      case 'f':
        v.type = Type::boolean;
        return literal("false");
      case 'n':
        v.type = Type::null;
        return literal("null");
      default:
        v.type = Type::number;
        if (!number(v.fraction)) return false;
        break;
    }
    v.raw = std::string_view(start, static_cast<std::size_t>(p_ - start));
    return true;
  }

  bool skip(int depth) {
    Value ignored;
    return value(ignored, depth);
  }

  // The string at p_ ('"'): its raw content, and whether it has escapes.
  bool string(std::string_view& raw, bool& escaped) {
    ++p_;
    const char* start = p_;
    for (;;) {
      skip_plain();
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') break;
      if (c == '\\') {
        escaped = true;
        if (!escape()) return false;
      } else if (c < 0x20 || !sequence()) {
        return false;
      }
    }
    raw = std::string_view(start, static_cast<std::size_t>(p_ - start));
    ++p_;
    return true;
  }

 private:
  // To the next byte that is not printable ASCII other than '"' and '\\'
  // (SDP text is mostly that): sixteen bytes at a time.
  void skip_plain() {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                  space = _mm_set1_epi8(0x20);
    while (end_ - p_ >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      // Signed: bytes from 0x80 up are below 0x20 too.
      const __m128i special =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                       _mm_cmplt_epi8(v, space));
      const int mask = _mm_movemask_epi8(special);
      if (mask != 0) {
        p_ += __builtin_ctz(static_cast<unsigned>(mask));
        return;
      }
      p_ += 16;
    }
#endif
    while (p_ < end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) return;
      ++p_;
    }
  }

  // p_ at a byte from 0x80 up: one whole UTF-8 sequence (RFC 3629).
  bool sequence() {
    const auto b = static_cast<unsigned char>(*p_);
    // Two bytes, U+0080..U+07FF: every id byte from 0x80 up.
    if (b >= 0xC2 && b <= 0xDF && end_ - p_ >= 2 &&
        (static_cast<unsigned char>(p_[1]) & 0xC0) == 0x80) {
      p_ += 2;
      return true;
    }
    const std::size_t n = b >= 0xC2 && b <= 0xDF   ? 2
                          : b >= 0xE0 && b <= 0xEF ? 3
                          : b >= 0xF0 && b <= 0xF4 ? 4
                                                   : 0;
    if (n == 0 || static_cast<std::size_t>(end_ - p_) < n || !valid_utf8(std::string_view(p_, n)))
      return false;
    p_ += n;
    return true;
  }

 private:
  // p_ at a backslash: one escape. \u for a surrogate is given up on (the
  // general parser decides about pairs).
  bool escape() {
    if (end_ - p_ < 2) return false;
    const char e = p_[1];
    if (e == 'u') {
      if (end_ - p_ < 6) return false;
      const int cp = hex4(p_ + 2);
      if (cp < 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
      p_ += 6;
      return true;
    }
    if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' &&
        e != 't')
      return false;
    p_ += 2;
    return true;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word)
      return false;
    p_ += word.size();
    return true;
  }

  bool digits() {
    const char* start = p_;
    while (p_ < end_ && is_digit(*p_)) ++p_;
    return p_ > start;
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  bool number(bool& fraction) {
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ == end_) return false;
    if (*p_ == '0') {
      ++p_;
    } else if (!digits()) {
      return false;
    }
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      fraction = true;
      if (!digits()) return false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      fraction = true;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      const char* start = p_;
      if (!digits() || static_cast<std::size_t>(p_ - start) > kMaxExponentDigits) return false;
    }
    return true;
  }

  const char* p_;
  const char* end_;
};

// The members the rules read; any other is checked and skipped.
enum Key : std::uint8_t {
  kAction,
  kInfoHash,
  kPeerId,
  kEvent,
  kLeft,
  kOffers,
  kAnswer,
  kToPeerId,
  kOfferId,
  kKeys,
  kOther = kKeys,
};

Key key_of(std::string_view k) {
  static constexpr std::array<std::string_view, kKeys> names = {"action", "info_hash",  "peer_id",
                                                                "event",  "left",       "offers",
                                                                "answer", "to_peer_id", "offer_id"};
  for (std::size_t i = 0; i < names.size(); ++i)
    if (k == names[i]) return static_cast<Key>(i);
  return kOther;
}

// The code point of an escape the scan checked (at r[i], a backslash),
// and its length.
std::pair<int, std::size_t> unescape(std::string_view r, std::size_t i) {
  switch (r[i + 1]) {
    case 'u':
      return {hex4(r.data() + i + 2), 6};
    case 'b':
      return {'\b', 2};
    case 'f':
      return {'\f', 2};
    case 'n':
      return {'\n', 2};
    case 'r':
      return {'\r', 2};
    case 't':
      return {'\t', 2};
    default:  // '"', '\\', '/'
      return {r[i + 1], 2};
  }
}

// A string value's 20 bytes, if it is an id: 20 code points up to U+00FF,
// escaped or not (the scan checked the escapes and the UTF-8).
std::optional<std::array<std::uint8_t, 20>> id_of(const Value& v) {
  if (v.type != Type::string) return std::nullopt;
  if (!v.escaped) return decode_id(v.raw);
  std::array<std::uint8_t, 20> id{};
  std::size_t n = 0;
  const std::string_view r = v.raw;
  for (std::size_t i = 0; i < r.size();) {
    if (n == id.size()) return std::nullopt;
    const auto b = static_cast<std::uint8_t>(r[i]);
    if (b == '\\') {
      const auto [cp, length] = unescape(r, i);
      if (cp > 0xFF) return std::nullopt;
      id[n++] = static_cast<std::uint8_t>(cp);
      i += length;
    } else if (b < 0x80) {
      id[n++] = b;
      ++i;
    } else if (b == 0xC2 || b == 0xC3) {  // U+0080..U+00FF; the next byte continues it
      id[n++] = static_cast<std::uint8_t>(((b & 0x03) << 6) | (r[i + 1] & 0x3F));
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  if (n != id.size()) return std::nullopt;
  return id;
}

template <class Id>
bool read_id(const Value& v, Id& out) {
  auto bytes = id_of(v);
  if (!bytes) return false;
  out = Id::from_bytes(std::span<const std::uint8_t, 20>(*bytes));
  return true;
}

bool is_text(const Value& v, std::string_view text) {
  return v.type == Type::string && !v.escaped && v.raw == text;
}

// `offers`: an array of {offer: object, offer_id: id} (other members
// ignored), at most kMaxOffers; anything else is given up on.
bool scan_offers(Scanner& s, std::vector<OfferIn>& out) {
  return s.elements(2, [&] {
    if (out.size() == kMaxOffers) return false;
    Value offer, offer_id;
    if (!s.members(3, [&](std::string_view key) {
          Value* v = key == "offer" ? &offer : key == "offer_id" ? &offer_id : nullptr;
          if (!v) return s.skip(3);
          return v->type == Type::absent && s.value(*v, 3);  // a second one: given up on
        }))
      return false;
    OfferIn in;
    if (offer.type != Type::object || !read_id(offer_id, in.offer_id)) return false;
    in.offer = offer.raw;
    out.push_back(in);
    return true;
  });
}

// `info_hash` of a scrape as an array of ids, at most kMaxScrapeHashes.
bool scan_hashes(Scanner& s, std::vector<core::InfoHash>& out) {
  return s.elements(2, [&] {
    Value v;
    core::InfoHash h;
    if (out.size() == kMaxScrapeHashes || !s.value(v, 2) || !read_id(v, h)) return false;
    out.push_back(h);
    return true;
  });
}

std::optional<core::Event> event_of(const Value& v) {
  if (absent(v)) return core::Event::none;
  if (is_text(v, "started")) return core::Event::started;
  if (is_text(v, "stopped")) return core::Event::stopped;
  if (is_text(v, "completed")) return core::Event::completed;
  if (is_text(v, "update") || is_text(v, "paused") || is_text(v, "")) return core::Event::none;
  return std::nullopt;
}

// Whether `left` says a seeder. A number with a fraction or exponent is
// zero when its digits all are; otherwise (it might round to zero) it is
// given up on.
std::optional<bool> seeder_of(const Value& v) {
  if (absent(v)) return false;
  if (v.type != Type::number) return std::nullopt;
  bool zero = true;
  for (char c : v.raw) {
    if (c == 'e' || c == 'E') break;
    zero &= !is_digit(c) || c == '0';
  }
  if (v.fraction && !zero) return std::nullopt;
  return zero;
}

bool read_answer(const std::array<Value, kKeys>& m, AnswerIn& a) {
  if (!absent(m[kOffers]) || m[kAnswer].type != Type::object) return false;
  if (!read_id(m[kToPeerId], a.to_peer_id) || !read_id(m[kOfferId], a.offer_id)) return false;
  a.answer = m[kAnswer].raw;
  return true;
}

bool read_announce(const std::array<Value, kKeys>& m, Request& out) {
  core::InfoHash info_hash;
  core::PeerId peer_id;
  if (!read_id(m[kInfoHash], info_hash) || !read_id(m[kPeerId], peer_id)) return false;
  if (!absent(m[kAnswer])) {
    out.kind = MessageKind::answer;
    out.answer.info_hash = info_hash;
    out.answer.peer_id = peer_id;
    return read_answer(m, out.answer);
  }
  out.kind = MessageKind::announce;
  auto& a = out.announce;
  a.info_hash = info_hash;
  a.peer_id = peer_id;
  const auto event = event_of(m[kEvent]);
  const auto seeder = seeder_of(m[kLeft]);
  if (!event || !seeder) return false;
  a.event = *event;
  a.seeder = *seeder;
  // An array was read into `offers` as it was scanned.
  return absent(m[kOffers]) || m[kOffers].type == Type::array;
}

bool read_scrape(const std::array<Value, kKeys>& m, ScrapeIn& s) {
  const Value& v = m[kInfoHash];
  if (absent(v)) {
    s.full = true;
    return true;
  }
  if (v.type == Type::array) return true;  // read as it was scanned
  core::InfoHash h;
  if (!read_id(v, h)) return false;
  s.info_hashes.push_back(h);
  return true;
}

}  // namespace

bool scan_request(std::string_view text, Request& out) {
  Scanner s(text);
  std::array<Value, kKeys> m{};
  const bool ok = s.members(1, [&](std::string_view name) {
    const Key k = key_of(name);
    if (k == kOther) return s.skip(1);
    if (m[k].type != Type::absent) return false;  // named twice: the general parser's call
    if (k == kOffers && s.peek() == '[') {
      m[k].type = Type::array;
      return scan_offers(s, out.announce.offers);
    }
    if (k == kInfoHash && s.peek() == '[') {
      m[k].type = Type::array;
      return scan_hashes(s, out.scrape.info_hashes);
    }
    return s.value(m[k], 1);
  });
  if (!ok || !s.at_end()) return false;
  if (is_text(m[kAction], "announce")) return read_announce(m, out);
  if (is_text(m[kAction], "scrape")) {
    out.kind = MessageKind::scrape;
    return read_scrape(m, out.scrape);
  }
  return false;
}

}  // namespace cairn::codec::ws
