#include "codec/rendezvous_record.hpp"

#include <algorithm>
#include <charconv>

#include "codec/big_endian.hpp"

namespace cairn::codec::rv {

namespace {

constexpr std::size_t kFieldHeader = 3;  // type (1), length (2)
constexpr std::size_t kBandwidthBytes = 8;

bool is_name_char(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c == '.' || c == '+' || c == '-' || c == '_' || c == '/';
}

bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
// past U+10FFFF. Addresses and tag values go out as JSON strings, which
// must be Unicode text, so a body registered over UDP must be text too.
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t more = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // the range of the first continuation byte
    if (c >= 0xc2 && c <= 0xdf) {
      more = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c == 0xe0) lo = 0xa0;  // overlong
      if (c == 0xed) hi = 0x9f;  // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c == 0xf0) lo = 0x90;  // overlong
      if (c == 0xf4) hi = 0x8f;  // past U+10FFFF
    } else {
      return false;
    }
    if (s.size() - i <= more) return false;
    for (std::size_t k = 1; k <= more; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) return false;
    }
    i += more + 1;
  }
  return true;
}

// RFC 3986 scheme, then "://" and something after it.
bool is_url(std::string_view s) {
  auto sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0 || sep + 3 == s.size()) return false;
  auto scheme = s.substr(0, sep);
  if (!((scheme[0] >= 'a' && scheme[0] <= 'z') || (scheme[0] >= 'A' && scheme[0] <= 'Z')))
    return false;
  return std::all_of(scheme.begin(), scheme.end(), [](char c) {
    return is_name_char(c) && c != '_' && c != '/';  // ALPHA / DIGIT / "+" / "-" / "."
  });
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  if (text.empty() || text.size() > 5) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// Tags are shown as one JSON object, so a key may appear only once.
bool distinct_keys(const std::vector<Tag>& tags) {
  for (std::size_t i = 0; i < tags.size(); ++i)
    for (std::size_t j = i + 1; j < tags.size(); ++j)
      if (tags[i].key == tags[j].key) return false;
  return true;
}

template <class Items, class Valid>
bool all_valid(const Items& items, Valid valid) {
  return std::all_of(items.begin(), items.end(), valid);
}

RecordProblem bad(std::string_view what) { return {RecordError::bad_record, what}; }

static_assert(kMaxAddresses == 8 && kMaxAddressBytes == 255 && kMaxProtocols == 16 &&
                  kMaxTags == 16 && kMaxNameBytes == 32 && kMaxTagValueBytes == 255 &&
                  kMaxSealed == 1024,
              "check()'s texts name the limits");

// Every rule but the body's total size, which only the encoder knows. The
// texts follow docs/rendezvous.md's table of limits.
std::optional<RecordProblem> check(const Record& r) {
  if (r.addresses.size() > kMaxAddresses) return bad("more than 8 addresses");
  if (!all_valid(r.addresses, [](const auto& a) { return valid_address(a); }))
    return bad(
        "an address is not ip:port, [ipv6]:port, :port or a URL (at most 255 bytes, no control "
        "characters)");
  if (r.protocols.size() > kMaxProtocols) return bad("more than 16 protocols");
  if (!all_valid(r.protocols, [](const auto& p) { return valid_name(p); }))
    return bad("a protocol is not 1-32 letters, digits or .+-_/");
  if (r.tags.size() > kMaxTags) return bad("more than 16 tags");
  if (!all_valid(r.tags, [](const Tag& t) { return valid_name(t.key); }))
    return bad("a tag key is not 1-32 letters, digits or .+-_/");
  if (!all_valid(r.tags, [](const Tag& t) {
        return t.value.size() <= kMaxTagValueBytes && valid_utf8(t.value);
      }))
    return bad("a tag value is over 255 bytes or not UTF-8");
  if (!distinct_keys(r.tags)) return bad("a tag key appears twice");
  if (r.sealed && r.sealed->size() > kMaxSealed)
    return RecordProblem{RecordError::record_too_large, "sealed is over 1,024 bytes"};
  return std::nullopt;
}

// Field values are bounded well below 64 KiB by check(), so the length fits.
void put_field(std::string& out, Field type, std::initializer_list<std::string_view> parts) {
  std::size_t length = 0;
  for (auto p : parts) length += p.size();
  out.push_back(static_cast<char>(type));
  be::append(out, static_cast<std::uint16_t>(length));
  for (auto p : parts) out.append(p);
}

void put_bandwidth(std::string& out, Field type, const std::optional<std::uint64_t>& bps) {
  if (!bps) return;
  std::string value;
  be::append(value, *bps);
  put_field(out, type, {value});
}

bool read_bandwidth(std::string_view value, std::optional<std::uint64_t>& out) {
  if (value.size() != kBandwidthBytes) return false;
  out = be::load64(reinterpret_cast<const std::uint8_t*>(value.data()));
  return true;
}

// One field's value into the record; false for an unknown type or a value
// of the wrong shape. The rules on contents are check()'s.
bool read_field(std::uint8_t type, std::string_view value, Record& r) {
  switch (static_cast<Field>(type)) {
    case Field::address:
      r.addresses.emplace_back(value);
      return true;
    case Field::up_bps:
      return read_bandwidth(value, r.up_bps);
    case Field::down_bps:
      return read_bandwidth(value, r.down_bps);
    case Field::protocol:
      r.protocols.emplace_back(value);
      return true;
    case Field::tag: {
      // Keys cannot hold a 0 byte, so the first one ends the key.
      auto zero = value.find('\0');
      if (zero == std::string_view::npos) return false;
      r.tags.push_back({std::string(value.substr(0, zero)), std::string(value.substr(zero + 1))});
      return true;
    }
    case Field::sealed:
      r.sealed.emplace(value);
      return true;
  }
  return false;
}

bool is_single(std::uint8_t type) {
  return type == static_cast<std::uint8_t>(Field::up_bps) ||
         type == static_cast<std::uint8_t>(Field::down_bps) ||
         type == static_cast<std::uint8_t>(Field::sealed);
}

constexpr std::string_view kRegisterPrefix{"cairn-rv1 register\0", 19};
constexpr std::string_view kRemovePrefix{"cairn-rv1 remove\0", 17};

std::string signed_message(std::string_view prefix, std::string_view topic20, std::uint64_t seq) {
  std::string m(prefix);
  m.append(topic20);
  be::append(m, seq);
  return m;
}

}  // namespace

std::string_view error_code(RecordError e) {
  return e == RecordError::record_too_large ? "record_too_large" : "bad_record";
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes &&
         std::all_of(name.begin(), name.end(), is_name_char);
}

bool valid_address(std::string_view address) {
  if (address.empty() || address.size() > kMaxAddressBytes || !valid_utf8(address) ||
      std::any_of(address.begin(), address.end(), is_control))
    return false;
  if (is_url(address)) return true;
  if (address.front() == ':') return parse_port(address.substr(1)).has_value();
  return core::Endpoint::parse(address).has_value();
}

std::optional<RecordProblem> check_record(const Record& record) { return check(record); }

core::Result<std::string, RecordError> encode_body(const Record& record) {
  if (auto e = check(record)) return e->error;
  std::string out;
  for (const auto& a : record.addresses) put_field(out, Field::address, {a});
  put_bandwidth(out, Field::up_bps, record.up_bps);
  put_bandwidth(out, Field::down_bps, record.down_bps);
  for (const auto& p : record.protocols) put_field(out, Field::protocol, {p});
  for (const auto& t : record.tags)
    put_field(out, Field::tag, {t.key, std::string_view("\0", 1), t.value});
  if (record.sealed) put_field(out, Field::sealed, {*record.sealed});
  if (out.size() > kMaxBody) return RecordError::record_too_large;
  return out;
}

core::Result<Record, RecordError> decode_body(std::string_view body) {
  if (body.size() > kMaxBody) return RecordError::record_too_large;
  Record r;
  std::uint8_t last = 0;
  while (!body.empty()) {
    if (body.size() < kFieldHeader) return RecordError::bad_record;
    auto type = static_cast<std::uint8_t>(body[0]);
    std::size_t length = be::load16(reinterpret_cast<const std::uint8_t*>(body.data() + 1));
    if (length > body.size() - kFieldHeader) return RecordError::bad_record;
    // Ascending types, single fields once: the only order the encoder writes.
    if (type < last || (type == last && is_single(type))) return RecordError::bad_record;
    last = type;
    if (!read_field(type, body.substr(kFieldHeader, length), r)) return RecordError::bad_record;
    body.remove_prefix(kFieldHeader + length);
  }
  if (auto e = check(r)) return e->error;
  return r;
}

std::optional<std::uint16_t> unspecified_port(std::string_view address) {
  if (!address.empty() && address.front() == ':') return parse_port(address.substr(1));
  auto e = core::Endpoint::parse(address);
  if (!e || !e->address.is_unspecified()) return std::nullopt;
  return e->port;
}

std::string fill_address(std::string_view address, const core::Address& source) {
  auto port = unspecified_port(address);
  if (!port) return std::string(address);
  return core::Endpoint{source, *port}.to_string();
}

std::string register_message(std::string_view topic20, std::uint64_t seq, std::uint32_t ttl,
                             std::string_view body) {
  std::string m = signed_message(kRegisterPrefix, topic20, seq);
  be::append(m, ttl);
  m.append(body);
  return m;
}

std::string remove_message(std::string_view topic20, std::uint64_t seq) {
  return signed_message(kRemovePrefix, topic20, seq);
}

}  // namespace cairn::codec::rv
