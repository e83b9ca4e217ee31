#include "codec/http_tracker.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "codec/bencode.hpp"
#include "codec/text_put.hpp"

namespace cairn::codec {

namespace {

using Error = HttpTrackerError;

// Hex digit values, -1 for anything else: a table, because an info hash
// query is mostly "%XX" escapes and this runs on every byte of them.
constexpr auto kHexValues = [] {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<std::int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<std::int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<std::int8_t>(c - 'A' + 10);
  return t;
}();

int hex_value(char c) { return kHexValues[static_cast<unsigned char>(c)]; }

// An escape's two digits as table entries that are simply or-ed: the first
// digit's value shifted left by four, the second's as it is, and bit 8 set
// for a byte that is no hex digit, so one test refuses either.
constexpr std::uint16_t kNoHexDigit = 0x100;
constexpr auto hex_digit_table(int shift) {
  std::array<std::uint16_t, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[c] = kHexValues[c] < 0 ? kNoHexDigit : static_cast<std::uint16_t>(kHexValues[c] << shift);
  return t;
}
constexpr auto kHexHigh = hex_digit_table(4), kHexLow = hex_digit_table(0);

// The same for both digits at once, indexed by the two bytes as one
// little-endian 16-bit number (the first digit in the low byte): one load
// and one lookup an escape instead of two of each and an or. 128 KiB, of
// which a client's digits touch a few dozen cache lines (16 or 22 rows of
// one to three lines each). Not constexpr: clang's evaluation step limit
// refuses a table this size (GCC computes it at compile time all the same).
constexpr std::size_t kPairs = 65536;
const auto kHexPairs = [] {
  std::array<std::uint16_t, kPairs> t{};
  for (std::size_t i = 0; i < kPairs; ++i)
    t[i] = static_cast<std::uint16_t>(kHexHigh[i & 0xff] | kHexLow[i >> 8]);
  return t;
}();

// The byte the two hex digits at `p` spell, with kNoHexDigit set when
// either is no hex digit (a single 16-bit load on a little-endian machine).
inline unsigned hex_pair(const char* p) {
  return kHexPairs[static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[1]) << 8];
}

// A percent-decoded value in a fixed buffer: `size` is the full decoded
// length even when it exceeds the buffer, so "too long" is still visible
// without allocating. Only 20-byte ids and short numbers matter here.
struct Decoded {
  static constexpr std::size_t kCapacity = 64;
  char bytes[kCapacity];
  std::size_t size = 0;
  bool fits() const { return size <= kCapacity; }
  // Empty when it did not fit: no known key or value is that long, and an
  // empty value is invalid for every number, port and id.
  std::string_view view() const { return {bytes, fits() ? size : 0}; }
};

// The announce parameters Cairn reads. Every announce names ten or so, so
// a key is told by its length and one or two bytes, then compared once,
// instead of down a chain of string comparisons.
enum class Key : std::uint8_t {
  info_hash,
  peer_id,
  port,
  uploaded,
  downloaded,
  left,
  numwant,
  event,
  compact,
  no_peer_id,
  ip,
  key,
  other,
};

// The key of any pair, decoded.
Key key_of(std::string_view k) {
  const auto is = [&](std::string_view name, Key key) { return k == name ? key : Key::other; };
  switch (k.size()) {
    case 2:
      return is("ip", Key::ip);
    case 3:
      return is("key", Key::key);
    case 4:
      return k[0] == 'p' ? is("port", Key::port) : is("left", Key::left);
    case 5:
      return is("event", Key::event);
    case 7:
      if (k[0] == 'p') return is("peer_id", Key::peer_id);
      return k[0] == 'n' ? is("numwant", Key::numwant) : is("compact", Key::compact);
    case 8:
      return is("uploaded", Key::uploaded);
    case 9:
      return is("info_hash", Key::info_hash);
    case 10:
      return k[0] == 'd' ? is("downloaded", Key::downloaded) : is("no_peer_id", Key::no_peer_id);
    default:
      return Key::other;
  }
}

template <Key K>
inline constexpr std::integral_constant<Key, K> key_c{};

// For a pair that starts with a known name and '=' as clients send it,
// calls fn(key_c<KEY>, name size) and returns true; false for anything
// else, which is then read byte by byte. Told by the first byte and one
// fixed-size comparison. The key reaches `fn` as a type, so a caller's
// code for each key is compiled for that key: the announce parser stores
// a number in its field with no second dispatch on the key.
template <class Fn>
[[gnu::always_inline]] inline bool visit_known_key(std::string_view pair, Fn&& fn) {
  const auto is = [&](auto key, std::string_view name_eq) {
    if (!pair.starts_with(name_eq)) return false;
    fn(key, name_eq.size() - 1);
    return true;
  };
  switch (pair.empty() ? '\0' : pair[0]) {
    case 'i':
      return pair.size() > 2 && pair[1] == 'p' ? is(key_c<Key::ip>, "ip=")
                                               : is(key_c<Key::info_hash>, "info_hash=");
    case 'p':
      return pair.size() > 1 && pair[1] == 'e' ? is(key_c<Key::peer_id>, "peer_id=")
                                               : is(key_c<Key::port>, "port=");
    case 'u':
      return is(key_c<Key::uploaded>, "uploaded=");
    case 'd':
      return is(key_c<Key::downloaded>, "downloaded=");
    case 'l':
      return is(key_c<Key::left>, "left=");
    case 'n':
      return pair.size() > 1 && pair[1] == 'u' ? is(key_c<Key::numwant>, "numwant=")
                                               : is(key_c<Key::no_peer_id>, "no_peer_id=");
    case 'e':
      return is(key_c<Key::event>, "event=");
    case 'c':
      return is(key_c<Key::compact>, "compact=");
    case 'k':
      return is(key_c<Key::key>, "key=");
    default:
      return false;
  }
}

// The same as a value: {key, name size}, or {other, npos}. Inlined into
// the pair reader, where its result stays in registers.
[[gnu::always_inline]] inline std::pair<Key, std::size_t> known_key(std::string_view pair) {
  std::pair<Key, std::size_t> known{Key::other, std::string_view::npos};
  visit_known_key(pair, [&](auto key, std::size_t name_size) { known = {key(), name_size}; });
  return known;
}

// Bytes that end a plain run of a value: the end of its pair, or an escape.
constexpr auto kValueStop = [] {
  std::array<bool, 256> t{};
  t['&'] = t['%'] = true;
  return t;
}();

constexpr bool is_number(Key k) {
  return k == Key::port || k == Key::uploaded || k == Key::downloaded || k == Key::left ||
         k == Key::numwant;
}

// The value at `v` if it is 1 to 19 plain digits (so it fits 64 bits
// without a test per digit) ended by '&' or `end`, as clients send every
// number: returns where it ends, with its number in `n`; null for anything
// else (a sign, an escape, more digits), which is then read as any value.
const char* read_digits(const char* v, const char* end, std::uint64_t& n) {
  constexpr std::ptrdiff_t kSureDigits = 19;
  const char* const limit = v + std::min(end - v, kSureDigits);
  const char* p = v;
  std::uint64_t x = 0;
  for (; p < limit; ++p) {
    const unsigned d = static_cast<unsigned char>(*p) - unsigned{'0'};
    if (d > 9) break;
    x = x * 10 + d;
  }
  if (p == v || (p != end && *p != '&')) return nullptr;
  n = x;
  return p;
}

// percent_decode of the value that starts at `p` and ends at the next '&'
// (or `end`), found as it goes: an id's value is read once, not searched
// for its end and its escapes first. Returns where it stopped, or null on
// bad percent-encoding ('&' is no hex digit, so an escape cut short by the
// pair's end is refused as percent_decode refuses it).
const char* decode_value(const char* p, const char* end, Decoded& out) {
  std::size_t size = 0;
  // The ids' 20 bytes, mostly "%XX" each, come through here on every
  // announce. While three bytes a turn are left an escape needs no length
  // check: each turn reads at most three, so a bound on the turns is the
  // only test, made once for two turns; both digits of an escape are
  // judged by one test of their or-ed entries.
  const std::size_t sure = std::min(Decoded::kCapacity, static_cast<std::size_t>(end - p) / 3);
  // One output byte from `p`: 1 for a byte, 0 at the pair's '&', -1 for a
  // bad escape.
  const auto turn = [&]() -> int {
    const char c = *p;
    if (c == '%') {
      const unsigned v = hex_pair(p + 1);
      if (v & kNoHexDigit) return -1;
      out.bytes[size++] = static_cast<char>(v);
      p += 3;
      return 1;
    }
    if (c == '&') return 0;
    out.bytes[size++] = c;
    ++p;
    return 1;
  };
  int more = 1;
  while (more > 0 && size + 2 <= sure) {
    more = turn();
    if (more > 0) more = turn();
  }
  if (more > 0 && size < sure) more = turn();
  if (more < 0) return nullptr;
  // The last bytes of the query, and what did not fit, as before.
  for (; p < end && *p != '&' && size < Decoded::kCapacity; ++size) {
    char c = *p++;
    if (c == '%') {
      if (end - p < 2) return nullptr;
      const int v = hex_value(p[0]) * 16 | hex_value(p[1]);
      if (v < 0) return nullptr;
      c = static_cast<char>(v);
      p += 2;
    }
    out.bytes[size] = c;
  }
  // Past the buffer only the length and the escapes' validity matter.
  for (; p < end && *p != '&'; ++size) {
    if (*p++ != '%') continue;
    if (end - p < 2 || (hex_value(p[0]) | hex_value(p[1])) < 0) return nullptr;
    p += 2;
  }
  out.size = size;
  return p;
}

// Exact percent-decoding: '%' must be followed by two hex digits. '+' stays
// '+': BitTorrent clients percent-encode every binary byte, '+' included, so
// reading it as a space (the HTML form rule) would corrupt info hashes.
// `in` holds no '&' (it is a key or a value already cut from its pair).
bool percent_decode(std::string_view in, Decoded& out) {
  return decode_value(in.data(), in.data() + in.size(), out) != nullptr;
}

// One key=value pair of a query, both percent-decoded. A value with no
// '%' (all but the two ids, in what clients send) is viewed where it lies
// instead of copied byte by byte.
struct Param {
  Key id = Key::other;         // which announce parameter the key names
  std::string_view value;      // "" when longer than Decoded::kCapacity
  std::size_t value_size = 0;  // the decoded length, however long
  Decoded key_buffer;
  Decoded value_buffer;

  // Reads the pair at the start of [p, end): returns where it ends (at its
  // '&' or `end`), or null on bad percent-encoding. Inlined into the loop
  // over the pairs: as a call, ten a query, it cost 160 instructions a
  // request more (bench/instructions --mode http).
  [[gnu::always_inline]] const char* read(const char* p, const char* end) {
    // What clients send ("port=6881") is told without reading the key byte
    // by byte, and its value is read in one pass that also finds its end.
    const auto [known, eq] = known_key({p, static_cast<std::size_t>(end - p)});
    if (eq == std::string_view::npos) return read_other(p, end);
    return read_value(known, p + eq + 1, end);
  }

  // The value at `v` of a pair whose key, `known`, was told from its name.
  [[gnu::always_inline]] const char* read_value(Key known, const char* v, const char* end) {
    id = known;
    // Mostly escapes: decoded straight away, not scanned for a '%' first.
    if (known == Key::info_hash || known == Key::peer_id) return read_escaped(v, end);
    const char* stop = v;
    while (stop < end && !kValueStop[static_cast<unsigned char>(*stop)]) ++stop;
    if (stop == end || *stop == '&') {
      value_size = static_cast<std::size_t>(stop - v);
      value = plain({v, value_size});
      return stop;
    }
    return read_escaped(v, end);
  }

  // A pair whose key is not told from its name (unknown, escaped, no '=').
  const char* read_other(const char* p, const char* end) {
    const std::string_view rest(p, static_cast<std::size_t>(end - p));
    const auto pair = rest.substr(0, rest.find('&'));
    return read_any(pair) ? p + pair.size() : nullptr;
  }

  // A value that has (or may have) escapes, decoded from `v`.
  const char* read_escaped(const char* v, const char* end) {
    const char* stop = decode_value(v, end, value_buffer);
    value = value_buffer.view();
    value_size = value_buffer.size;
    return stop;
  }

  // Any other pair (an unknown or escaped key, no '='): false on bad
  // percent-encoding.
  bool read_any(std::string_view pair) {
    const auto eq = std::min(pair.find('='), pair.size());
    const auto raw_key = pair.substr(0, eq);
    std::string_view key;  // "" when longer than Decoded::kCapacity: no known key
    if (raw_key.find('%') == std::string_view::npos)
      key = plain(raw_key);
    else if (percent_decode(raw_key, key_buffer))
      key = key_buffer.view();
    else
      return false;
    id = key_of(key);
    const auto raw_value = eq == pair.size() ? std::string_view{} : pair.substr(eq + 1);
    if (raw_value.find('%') == std::string_view::npos) {
      value = plain(raw_value);
      value_size = raw_value.size();
      return true;
    }
    if (!percent_decode(raw_value, value_buffer)) return false;
    value = value_buffer.view();
    value_size = value_buffer.size;
    return true;
  }

  // Bytes that need no decoding, "" when too long as for decoded ones.
  static std::string_view plain(std::string_view raw) {
    return raw.size() <= Decoded::kCapacity ? raw : std::string_view{};
  }
};

// Walks the '&'-separated pairs; `fn(param)` returns an error or nullopt.
template <class Fn>
std::optional<Error> for_each_param(std::string_view query, Fn&& fn) {
  Param param;
  const char* p = query.data();
  const char* const end = p + query.size();
  while (p < end) {
    if (*p == '&') {  // between pairs, or an empty pair
      ++p;
      continue;
    }
    p = param.read(p, end);
    if (!p) return Error::bad_percent_encoding;
    if (auto e = fn(param)) return e;
  }
  return std::nullopt;
}

// Plain decimal: digits only, no sign, no spaces, in range.
template <class T>
bool parse_decimal(std::string_view s, T& out) {
  if (s.empty() || (s[0] == '-' && !std::is_signed_v<T>) || s[0] == '+') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

// numwant only: a count too large for 64 bits asks for as many peers as
// allowed, so it saturates (the tracker caps it) instead of failing.
bool parse_count(std::string_view s, std::int64_t& out) {
  if (parse_decimal(s, out)) return true;
  bool negative = !s.empty() && s[0] == '-';
  auto digits = s.substr(negative ? 1 : 0);
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  out = negative ? std::numeric_limits<std::int64_t>::min()
                 : std::numeric_limits<std::int64_t>::max();
  return true;
}

bool is_id(const Param& p) { return p.value_size == 20; }

bool read_info_hash(const Param& p, core::InfoHash& out) {
  if (is_id(p)) {
    out = core::InfoHash::from_bytes(p.value);
    return true;
  }
  auto hex = p.value_size == 40 ? core::InfoHash::from_hex(p.value) : std::nullopt;
  if (hex) out = *hex;
  return hex.has_value();
}

// Eight hex digits at `p` as a number: two digits a lookup, as escapes
// are decoded, and one validity test at the end.
bool hex8(const char* p, std::uint32_t& out) {
  std::uint32_t v = 0;
  unsigned bad = 0;
  for (std::size_t i = 0; i < 8; i += 2) {
    const unsigned byte = hex_pair(p + i);
    bad |= byte;
    v = v << 8 | (byte & 0xff);
  }
  if (bad & kNoHexDigit) return false;
  out = v;
  return true;
}

// A `key` value as most clients send it: eight hex digits up to '&' or
// `end`. Returns where it ends, or null for anything else (parse_key then
// reads it), without a scan for the value's end first.
const char* read_hex_key(const char* v, const char* end, std::uint32_t& out) {
  if (end - v < 8 || (end - v > 8 && v[8] != '&') || !hex8(v, out)) return nullptr;
  return v + 8;
}

// The key is only an identity hint, so anything is accepted: 8 hex digits
// (what libtorrent and most clients send), else a 32-bit decimal, else a
// hash of the bytes so an odd client still gets a stable hint.
std::uint32_t parse_key(std::string_view s) {
  std::uint32_t v = 0;
  if (s.size() == 8 && hex8(s.data(), v)) return v;
  if (parse_decimal(s, v)) return v;
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}

bool parse_event(std::string_view s, core::Event& out) {
  if (s == "started")
    out = core::Event::started;
  else if (s == "completed")
    out = core::Event::completed;
  else if (s == "stopped")
    out = core::Event::stopped;
  else if (s == "paused" || s == "empty" || s.empty())
    out = core::Event::none;
  else
    return false;
  return true;
}

struct Seen {
  bool info_hash = false;
  bool peer_id = false;
  bool port = false;
};

std::optional<Error> apply_id_param(const Param& p, Key key, AnnounceQuery& q, Seen& seen) {
  bool hash = key == Key::info_hash;
  bool& flag = hash ? seen.info_hash : seen.peer_id;
  if (flag) return Error::duplicate_parameter;
  flag = true;
  if (hash)
    return read_info_hash(p, q.info_hash) ? std::nullopt
                                          : std::optional<Error>(Error::invalid_info_hash);
  if (!is_id(p)) return Error::invalid_peer_id;
  q.peer_id = core::PeerId::from_bytes(p.value);
  return std::nullopt;
}

std::optional<Error> apply_number_param(Key key, std::string_view v, AnnounceQuery& q) {
  bool ok = true;
  if (key == Key::uploaded)
    ok = parse_decimal(v, q.uploaded);
  else if (key == Key::downloaded)
    ok = parse_decimal(v, q.downloaded);
  else if (key == Key::left)
    ok = q.left_present = parse_decimal(v, q.left);
  else {
    std::int64_t n = 0;
    ok = parse_count(v, n);
    q.numwant = n;
  }
  return ok ? std::nullopt : std::optional<Error>(Error::invalid_number);
}

// `key` is p.id; inlined where it is a constant (a key told from its name),
// the switch is gone.
[[gnu::always_inline]] inline std::optional<Error> apply_announce_param(const Param& p, Key key,
                                                                        AnnounceQuery& q,
                                                                        Seen& seen) {
  auto v = p.value;
  switch (key) {
    case Key::info_hash:
    case Key::peer_id:
      return apply_id_param(p, key, q, seen);
    case Key::port: {
      if (seen.port) return Error::duplicate_parameter;
      seen.port = true;
      // Port 0 is unreachable: refused rather than handed out to other peers.
      bool ok = parse_decimal(v, q.port) && q.port != 0;
      return ok ? std::nullopt : std::optional<Error>(Error::invalid_port);
    }
    case Key::uploaded:
    case Key::downloaded:
    case Key::left:
    case Key::numwant:
      return apply_number_param(key, v, q);
    case Key::event:
      return p.value_size <= Decoded::kCapacity && parse_event(v, q.event)
                 ? std::nullopt
                 : std::optional<Error>(Error::invalid_event);
    case Key::compact:
      q.compact = v != "0";
      break;
    case Key::no_peer_id:
      q.no_peer_id = v != "0";
      break;
    case Key::ip:
      q.ip = core::Address::parse(v);  // hostnames are never resolved
      break;
    case Key::key:
      q.key = parse_key(v);
      break;
    case Key::other:
      break;
  }
  return std::nullopt;
}

// A number key's value that read_digits read (at most 19 digits: it fits
// every counter, and numwant saturates as parse_count saturates). Compiled
// for each key: a store into its field, no dispatch.
template <Key K>
std::optional<Error> set_number(std::integral_constant<Key, K>, std::uint64_t n, AnnounceQuery& q,
                                Seen& seen) {
  if constexpr (K == Key::port) {
    if (seen.port) return Error::duplicate_parameter;
    seen.port = true;
    // Port 0 is unreachable: refused rather than handed out to other peers.
    if (n == 0 || n > std::numeric_limits<std::uint16_t>::max()) return Error::invalid_port;
    q.port = static_cast<std::uint16_t>(n);
  } else if constexpr (K == Key::uploaded) {
    q.uploaded = n;
  } else if constexpr (K == Key::downloaded) {
    q.downloaded = n;
  } else if constexpr (K == Key::left) {
    q.left = n;
    q.left_present = true;
  } else {
    static_assert(K == Key::numwant);
    q.numwant = static_cast<std::int64_t>(
        std::min<std::uint64_t>(n, std::numeric_limits<std::int64_t>::max()));
  }
  return std::nullopt;
}

template <class T>
void append_decimal(std::string& out, T v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void percent_encode(std::string_view in, std::string& out) {
  static constexpr char digits[] = "0123456789ABCDEF";
  for (char c : in) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                      u == '-' || u == '.' || u == '_' || u == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(digits[u >> 4]);
      out.push_back(digits[u & 0xf]);
    }
  }
}

std::string_view event_name(core::Event e) {
  switch (e) {
    case core::Event::started:
      return "started";
    case core::Event::completed:
      return "completed";
    case core::Event::stopped:
      return "stopped";
    default:
      return {};
  }
}

// A compact `peers`/`peers6` value: the entries as the store handed them.
// Needs room for kMaxDecimal + 1 bytes and the entries.
char* put_compact_peers(char* at, std::span<const std::uint8_t> entries) {
  at = text::put_decimal(at, entries.size());
  *at++ = ':';
  return text::put(at, {reinterpret_cast<const char*>(entries.data()), entries.size()});
}

void write_peer_dicts(const AnnounceReply& reply, BencodeWriter& w) {
  const core::CompactPeers& peers = reply.peers;
  w.begin_list();
  for (core::Family f : {core::Family::v4, core::Family::v6}) {
    const std::span<const std::uint8_t> entries = peers.compact(f);
    const std::size_t size = core::compact_size(f), address = size - 2;
    for (std::size_t i = 0; i < peers.count(f); ++i) {
      const std::uint8_t* e = entries.data() + i * size;
      char text[INET6_ADDRSTRLEN];
      // inet_ntop into a stack buffer: Address::to_string would allocate.
      if (!inet_ntop(f == core::Family::v4 ? AF_INET : AF_INET6, e, text, sizeof text)) continue;
      w.begin_dict();
      w.key("ip");
      w.string(text);
      if (!reply.no_peer_id && peers.has_ids(f)) {
        w.key("peer id");
        w.string(peers.peer_id(f, i).view());
      }
      w.key("port");
      w.integer(e[address] << 8 | e[address + 1]);
      w.end();
    }
  }
  w.end();
}

}  // namespace

static_assert(kMaxScrapeHashes == 100, "the failure texts name the limit");

std::string_view failure_text(HttpTrackerError e) {
  switch (e) {
    case Error::missing_info_hash:
      return "missing info_hash";
    case Error::invalid_info_hash:
      return "invalid info_hash: need 20 bytes, percent-encoded, or 40 hex digits (a v2 hash is "
             "truncated to its first 20 bytes)";
    case Error::missing_peer_id:
      return "missing peer_id";
    case Error::invalid_peer_id:
      return "invalid peer_id: need 20 bytes, percent-encoded";
    case Error::missing_port:
      return "missing port";
    case Error::invalid_port:
      return "invalid port";
    case Error::bad_percent_encoding:
      return "bad percent-encoding";
    case Error::invalid_event:
      return "unknown event";
    case Error::invalid_number:
      return "invalid number";
    case Error::invalid_ip:
      return "invalid ip";
    case Error::too_many_info_hashes:
      return "too many info_hash values: at most 100 per scrape";
    case Error::duplicate_parameter:
      return "duplicate parameter";
    case Error::request_too_long:
      return "request too long";
    case Error::scrape_too_long:
      return "request too long: scrape at most 100 info_hash values at a time";
  }
  return "invalid request";
}

core::Result<AnnounceQuery, HttpTrackerError> parse_announce_query(std::string_view query) {
  AnnounceQuery q;
  if (auto e = parse_announce_query(query, q)) return *e;
  return q;
}

std::optional<HttpTrackerError> parse_announce_query(std::string_view query, AnnounceQuery& q) {
  Seen seen;
  Param param;
  const char* p = query.data();
  const char* const end = p + query.size();
  while (p < end) {
    if (*p == '&') {  // between pairs, or an empty pair
      ++p;
      continue;
    }
    const char* next = nullptr;
    std::optional<Error> error;
    // A known key's value, by code compiled for that key.
    const auto read_known = [&](auto key, std::size_t name_size) {
      const char* const v = p + name_size + 1;
      if constexpr (is_number(key())) {
        std::uint64_t n = 0;
        if ((next = read_digits(v, end, n))) {
          error = set_number(key, n, q, seen);
          return;
        }
      } else if constexpr (key() == Key::key) {
        std::uint32_t k = 0;
        if ((next = read_hex_key(v, end, k))) {
          q.key = k;
          return;
        }
      }
      if ((next = param.read_value(key(), v, end)))
        error = apply_announce_param(param, key(), q, seen);
    };
    const bool known = visit_known_key({p, static_cast<std::size_t>(end - p)}, read_known);
    if (!known && (next = param.read_other(p, end)))
      error = apply_announce_param(param, param.id, q, seen);
    if (!next) return Error::bad_percent_encoding;
    if (error) return *error;
    p = next;
  }
  if (!seen.info_hash) return Error::missing_info_hash;
  if (!seen.peer_id) return Error::missing_peer_id;
  if (!seen.port) return Error::missing_port;
  return std::nullopt;
}

std::optional<HttpTrackerError> parse_scrape_query(std::string_view query, ScrapeQuery& out) {
  out.count = 0;
  return for_each_param(query, [&](const Param& p) -> std::optional<Error> {
    if (p.id != Key::info_hash) return std::nullopt;
    core::InfoHash hash;
    if (!read_info_hash(p, hash)) return Error::invalid_info_hash;
    if (out.count == kMaxScrapeHashes) return Error::too_many_info_hashes;
    out.hashes[out.count++] = hash;
    return std::nullopt;
  });
}

core::Result<ScrapeQuery, HttpTrackerError> parse_scrape_query(std::string_view query) {
  ScrapeQuery q;
  if (auto e = parse_scrape_query(query, q)) return *e;
  return q;
}

namespace {

// An announce reply's fixed keys, already encoded.
constexpr std::string_view kComplete = "d8:completei", kIncomplete = "e10:incompletei",
                           kInterval = "e8:intervali", kMinInterval = "e12:min intervali",
                           kPeers = "e5:peers", kPeers6 = "6:peers6";

// The longest the counts, intervals and (compact) peers of `reply` can make
// its text up to the end of the peers, without the final 'e'.
std::size_t reply_bound(const AnnounceReply& reply) {
  const std::size_t head = kComplete.size() + kIncomplete.size() + kInterval.size() +
                           kMinInterval.size() + kPeers.size() + 4 * text::kMaxDecimal;
  if (!reply.compact) return head;
  return head + 2 * (text::kMaxDecimal + 1) + reply.peers.compact(core::Family::v4).size() +
         kPeers6.size() + reply.peers.compact(core::Family::v6).size();
}

// The reply up to the end of its peers (both compact strings, or nothing
// for a dictionary reply), at `at`, with room for reply_bound(reply).
char* put_reply_head(const AnnounceReply& reply, char* at) {
  char* p = text::put_decimal(text::put(at, kComplete), reply.complete);
  p = text::put_decimal(text::put(p, kIncomplete), reply.incomplete);
  p = text::put_decimal(text::put(p, kInterval), reply.interval);
  p = text::put_decimal(text::put(p, kMinInterval), reply.min_interval);
  p = text::put(p, kPeers);
  if (reply.compact) {
    p = put_compact_peers(p, reply.peers.compact(core::Family::v4));
    p = put_compact_peers(text::put(p, kPeers6), reply.peers.compact(core::Family::v6));
  }
  return p;
}

}  // namespace

void encode_announce_reply(const AnnounceReply& reply, std::string& out) {
  // Every announce answered over HTTP passes here, and its keys never
  // change: the string is sized once for the longest reply these counts
  // and peers can make, the keys go in already encoded, and the rest is
  // trimmed, instead of two dozen appends.
  const std::size_t at = out.size();
  out.resize(at + reply_bound(reply));
  out.resize(static_cast<std::size_t>(put_reply_head(reply, out.data() + at) - out.data()));
  BencodeWriter w(out);
  if (!reply.compact) write_peer_dicts(reply, w);
  if (!reply.warning.empty()) {
    w.key("warning message");
    w.string(reply.warning);
  }
  w.end();
}

std::string_view write_announce_reply(const AnnounceReply& reply, std::string& scratch) {
  if (!reply.compact || !reply.warning.empty()) {
    scratch.clear();
    encode_announce_reply(reply, scratch);
    return scratch;
  }
  // The usual reply, compact with no warning: resizing a string zero-fills
  // what it adds, so the scratch only grows (to the largest reply so far)
  // and the reply is written over what it held (33 instructions a reply of
  // memset, and two resizes, under callgrind).
  const std::size_t bound = reply_bound(reply) + 1;
  if (scratch.size() < bound) scratch.resize(bound);
  char* const p = put_reply_head(reply, scratch.data());
  *p = 'e';
  return {scratch.data(), static_cast<std::size_t>(p + 1 - scratch.data())};
}

void encode_scrape_reply(std::span<const ScrapeFile> files, std::string& out) {
  // Sort an index, not the caller's span. A scrape holds at most
  // kMaxScrapeHashes files, so the index lives on the stack; a larger span
  // (never from parse_scrape_query) falls back to the heap.
  std::array<std::uint32_t, kMaxScrapeHashes> small;
  std::vector<std::uint32_t> large;
  std::span<std::uint32_t> order(small.data(), std::min(files.size(), small.size()));
  if (files.size() > small.size()) {
    large.resize(files.size());
    order = large;
  }
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return files[a].info_hash < files[b].info_hash;
  });
  // Written in place, as the announce reply: sized once for the longest
  // entries, the fixed keys already encoded, then trimmed.
  constexpr std::string_view kFiles = "d5:filesd", kComplete = "d8:completei",
                             kDownloaded = "e10:downloadedi", kIncomplete = "e10:incompletei",
                             kEnd = "ee";
  constexpr std::size_t kHashSize = core::InfoHash::size;
  static_assert(kHashSize == 20, "each key is written as 20:");
  constexpr std::size_t kEntry = 3 + kHashSize + kComplete.size() + kDownloaded.size() +
                                 kIncomplete.size() + 3 * text::kMaxDecimal + kEnd.size();
  const std::size_t at = out.size();
  out.resize(at + kFiles.size() + order.size() * kEntry + kEnd.size());
  char* p = text::put(out.data() + at, kFiles);
  for (std::size_t n = 0; n < order.size(); ++n) {
    const auto& f = files[order[n]];
    if (n > 0 && files[order[n - 1]].info_hash == f.info_hash) continue;  // keys must be unique
    p = text::put(p, "20:");
    p = text::put(p, f.info_hash.view());
    p = text::put_decimal(text::put(p, kComplete), f.complete);
    p = text::put_decimal(text::put(p, kDownloaded), f.downloaded);
    p = text::put_decimal(text::put(p, kIncomplete), f.incomplete);
    p = text::put(p, kEnd);
  }
  p = text::put(p, kEnd);
  out.resize(static_cast<std::size_t>(p - out.data()));
}

void encode_failure(std::string_view reason, std::string& out) {
  BencodeWriter w(out);
  w.begin_dict();
  w.key("failure reason");
  w.string(reason);
  w.end();
}

std::string encode_announce_query(const AnnounceQuery& q) {
  std::string out;
  out.append("info_hash=");
  percent_encode(q.info_hash.view(), out);
  out.append("&peer_id=");
  percent_encode(q.peer_id.view(), out);
  out.append("&port=");
  append_decimal(out, q.port);
  out.append("&uploaded=");
  append_decimal(out, q.uploaded);
  out.append("&downloaded=");
  append_decimal(out, q.downloaded);
  if (q.left_present) {
    out.append("&left=");
    append_decimal(out, q.left);
  }
  out.append(q.compact ? "&compact=1" : "&compact=0");
  if (q.no_peer_id) out.append("&no_peer_id=1");
  if (auto name = event_name(q.event); !name.empty()) out.append("&event=").append(name);
  if (q.numwant) {
    out.append("&numwant=");
    append_decimal(out, *q.numwant);
  }
  if (q.ip) {
    out.append("&ip=");
    percent_encode(q.ip->to_string(), out);
  }
  if (q.key) {
    char hex[9];
    static constexpr char digits[] = "0123456789ABCDEF";
    for (int i = 0; i < 8; ++i) hex[i] = digits[(*q.key >> (28 - 4 * i)) & 0xf];
    out.append("&key=").append(hex, 8);
  }
  return out;
}

std::string encode_scrape_query(std::span<const core::InfoHash> hashes) {
  std::string out;
  for (const auto& h : hashes) {
    if (!out.empty()) out.push_back('&');
    out.append("info_hash=");
    percent_encode(h.view(), out);
  }
  return out;
}

}  // namespace cairn::codec
