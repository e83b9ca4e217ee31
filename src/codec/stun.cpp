#include "codec/stun.hpp"

#include <algorithm>
#include <boost/crc.hpp>
#include <cstring>

#include "codec/big_endian.hpp"

#ifndef CAIRN_VERSION
#define CAIRN_VERSION "0"
#endif

namespace cairn::codec::stun {

namespace {

constexpr std::string_view kSoftwareText = "Cairn " CAIRN_VERSION;
constexpr std::uint16_t kMessageIntegrity = 0x0008;
constexpr std::uint16_t kMessageIntegritySha256 = 0x001C;
constexpr std::uint16_t kPadding = 0x0026;  // RFC 5780

constexpr std::size_t padded(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

// Comprehension-required attributes a Binding server may see and ignore:
// RFC 8489's own (credentials Cairn does not ask for, addresses, errors),
// ICE's (RFC 8445) and RFC 5780's PADDING. Anything else below 0x8000 gets
// a 420, as RFC 8489 section 6.3.1 asks.
bool known(std::uint16_t type) {
  switch (type) {
    case kMappedAddress:
    case 0x0006:  // USERNAME
    case kMessageIntegrity:
    case kErrorCode:
    case kUnknownAttributes:
    case 0x0014:  // REALM
    case 0x0015:  // NONCE
    case kMessageIntegritySha256:
    case 0x001D:  // PASSWORD-ALGORITHM
    case 0x001E:  // USERHASH
    case kXorMappedAddress:
    case 0x0024:  // PRIORITY
    case 0x0025:  // USE-CANDIDATE
    case kPadding:
      return true;
    default:
      return false;
  }
}

std::uint16_t message_type(std::uint16_t method, MessageClass cls) {
  auto c = static_cast<unsigned>(cls);
  return static_cast<std::uint16_t>((method & 0x000F) | (method & 0x0070) << 1 |
                                    (method & 0x0F80) << 2 | (c & 1) << 4 | (c & 2) << 7);
}

void write_header(std::uint8_t* p, std::uint16_t type, std::size_t body, const TransactionId& id) {
  be::store16(p, type);
  be::store16(p + 2, static_cast<std::uint16_t>(body));
  be::store32(p + 4, kMagicCookie);
  std::memcpy(p + 8, id.data(), id.size());
}

std::size_t address_value_size(core::Family f) { return f == core::Family::v4 ? 8 : 20; }

// MAPPED-ADDRESS or, XORed with the cookie and transaction id,
// XOR-MAPPED-ADDRESS (RFC 8489 sections 14.1 and 14.2). Returns the bytes
// written, header included.
std::size_t write_address(std::uint8_t* p, std::uint16_t type, const core::Endpoint& e,
                          const TransactionId& id) {
  bool x = type == kXorMappedAddress;
  std::size_t n = e.address.size();
  be::store16(p, type);
  be::store16(p + 2, static_cast<std::uint16_t>(address_value_size(e.family())));
  p[4] = 0;
  p[5] = e.family() == core::Family::v4 ? 1 : 2;
  be::store16(p + 6, x ? static_cast<std::uint16_t>(e.port ^ (kMagicCookie >> 16)) : e.port);
  std::array<std::uint8_t, 16> mask{};
  if (x) {
    be::store32(mask.data(), kMagicCookie);
    std::memcpy(mask.data() + 4, id.data(), id.size());
  }
  for (std::size_t i = 0; i < n; ++i) p[8 + i] = e.address.bytes[i] ^ mask[i];
  return 4 + address_value_size(e.family());
}

std::optional<core::Endpoint> read_address(std::span<const std::uint8_t> v, bool x,
                                           const TransactionId& id) {
  if (v.size() < 4 || v[0] != 0 || (v[1] != 1 && v[1] != 2)) return std::nullopt;
  std::size_t n = v[1] == 1 ? 4 : 16;
  if (v.size() != 4 + n) return std::nullopt;
  std::array<std::uint8_t, 16> mask{}, bytes{};
  if (x) {
    be::store32(mask.data(), kMagicCookie);
    std::memcpy(mask.data() + 4, id.data(), id.size());
  }
  for (std::size_t i = 0; i < n; ++i) bytes[i] = v[4 + i] ^ mask[i];
  auto port = be::load16(v.data() + 2);
  if (x) port = static_cast<std::uint16_t>(port ^ (kMagicCookie >> 16));
  core::Address a = n == 4 ? core::Address::v4(std::span<const std::uint8_t, 4>(bytes.data(), 4))
                           : core::Address::v6(bytes);
  return core::Endpoint{a, port};
}

// Appends FINGERPRINT to a message of `size` bytes whose header already
// counts it; returns the new size.
std::size_t write_fingerprint(std::uint8_t* msg, std::size_t size) {
  std::uint8_t* p = msg + size;
  be::store16(p, kFingerprint);
  be::store16(p + 2, 4);
  be::store32(p + 4, fingerprint_of({msg, size}));
  return size + 8;
}

// Calls visit(type, value) for every attribute; false if one runs past the
// end or FINGERPRINT is misplaced or wrong.
template <class Visit>
core::Result<bool, ParseError> walk(std::span<const std::uint8_t> packet, Visit&& visit) {
  std::size_t at = kHeaderSize;
  bool fingerprint = false;
  while (at < packet.size()) {
    if (fingerprint || packet.size() - at < 4) return ParseError::bad_attribute;
    std::uint16_t type = be::load16(packet.data() + at);
    std::size_t length = be::load16(packet.data() + at + 2);
    if (padded(length) > packet.size() - at - 4) return ParseError::bad_attribute;
    auto value = packet.subspan(at + 4, length);
    if (type == kFingerprint) {
      if (length != 4) return ParseError::bad_attribute;
      if (be::load32(value.data()) != fingerprint_of(packet.first(at)))
        return ParseError::bad_fingerprint;
      fingerprint = true;
    }
    visit(type, value);
    at += 4 + padded(length);
  }
  return fingerprint;
}

}  // namespace

std::uint32_t fingerprint_of(std::span<const std::uint8_t> bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum() ^ kFingerprintXor;
}

bool is_stun(std::span<const std::uint8_t> packet) {
  if (packet.size() < kHeaderSize || (packet[0] & 0xC0) != 0) return false;
  std::size_t length = be::load16(packet.data() + 2);
  return be::load32(packet.data() + 4) == kMagicCookie && length % 4 == 0 &&
         length == packet.size() - kHeaderSize;
}

core::Result<Message, ParseError> parse_message(std::span<const std::uint8_t> packet) {
  if (!is_stun(packet)) return ParseError::not_stun;
  Message m;
  std::uint16_t t = be::load16(packet.data());
  m.method = static_cast<std::uint16_t>((t & 0x000F) | (t & 0x00E0) >> 1 | (t & 0x3E00) >> 2);
  m.cls = static_cast<MessageClass>((t >> 7 & 2) | (t >> 4 & 1));
  std::memcpy(m.transaction_id.data(), packet.data() + 8, m.transaction_id.size());
  // Attributes after MESSAGE-INTEGRITY are ignored (section 14.5), so an
  // unknown one there asks for no 420.
  bool after_integrity = false;
  auto walked = walk(packet, [&](std::uint16_t type, std::span<const std::uint8_t>) {
    if (!after_integrity && type < 0x8000 && !known(type) && m.unknown_count < kMaxUnknown)
      m.unknown[m.unknown_count++] = type;
    if (type == kMessageIntegrity || type == kMessageIntegritySha256) after_integrity = true;
  });
  if (!walked) return walked.error();
  m.fingerprint = *walked;
  return m;
}

std::size_t success_size(core::Family family, Answer answer) {
  std::size_t address = 4 + address_value_size(family);
  if (answer == Answer::minimal) return kHeaderSize + address;
  return kHeaderSize + 2 * address + 4 + padded(kSoftwareText.size()) + 8;
}

std::optional<Answer> answer_within(core::Family family, std::size_t budget) {
  if (success_size(family, Answer::full) <= budget) return Answer::full;
  if (success_size(family, Answer::minimal) <= budget) return Answer::minimal;
  return std::nullopt;
}

std::size_t encode_binding_success(const TransactionId& id, const core::Endpoint& mapped,
                                   Answer answer, std::span<std::uint8_t> out) {
  std::size_t size = success_size(mapped.family(), answer);
  if (out.size() < size) return 0;
  std::uint8_t* p = out.data();
  write_header(p, message_type(kBindingMethod, MessageClass::success), size - kHeaderSize, id);
  std::size_t at = kHeaderSize;
  at += write_address(p + at, kXorMappedAddress, mapped, id);
  if (answer == Answer::minimal) return at;
  at += write_address(p + at, kMappedAddress, mapped, id);
  be::store16(p + at, kSoftware);
  be::store16(p + at + 2, static_cast<std::uint16_t>(kSoftwareText.size()));
  std::memset(p + at + 4, 0, padded(kSoftwareText.size()));
  std::memcpy(p + at + 4, kSoftwareText.data(), kSoftwareText.size());
  at += 4 + padded(kSoftwareText.size());
  return write_fingerprint(p, at);
}

namespace {
constexpr std::string_view kUnknownReason = "Unknown Attribute";
}

std::size_t unknown_attribute_size(std::size_t unknown_count) {
  return kHeaderSize + 8 + padded(kUnknownReason.size()) + 4 + padded(2 * unknown_count) + 8;
}

std::size_t encode_unknown_attribute_error(const TransactionId& id,
                                           std::span<const std::uint16_t> unknown,
                                           std::span<std::uint8_t> out) {
  std::size_t size = unknown_attribute_size(unknown.size());
  if (out.size() < size) return 0;
  std::memset(out.data(), 0, size);
  std::uint8_t* p = out.data();
  write_header(p, message_type(kBindingMethod, MessageClass::error), size - kHeaderSize, id);
  std::size_t at = kHeaderSize;
  be::store16(p + at, kErrorCode);
  be::store16(p + at + 2, static_cast<std::uint16_t>(4 + kUnknownReason.size()));
  p[at + 6] = 4;   // class: 4xx
  p[at + 7] = 20;  // number: 420
  std::memcpy(p + at + 8, kUnknownReason.data(), kUnknownReason.size());
  at += 8 + padded(kUnknownReason.size());
  be::store16(p + at, kUnknownAttributes);
  be::store16(p + at + 2, static_cast<std::uint16_t>(2 * unknown.size()));
  for (std::size_t i = 0; i < unknown.size(); ++i) be::store16(p + at + 4 + 2 * i, unknown[i]);
  at += 4 + padded(2 * unknown.size());
  return write_fingerprint(p, at);
}

std::size_t encode_binding_request(const TransactionId& id, std::span<std::uint8_t> out,
                                   std::size_t size) {
  bool plain = size == kHeaderSize;
  if (out.size() < size || size % 4 != 0 || (!plain && size < kHeaderSize + 4)) return 0;
  std::memset(out.data(), 0, size);
  write_header(out.data(), message_type(kBindingMethod, MessageClass::request), size - kHeaderSize,
               id);
  if (!plain) {
    be::store16(out.data() + kHeaderSize, kPadding);
    be::store16(out.data() + kHeaderSize + 2, static_cast<std::uint16_t>(size - kHeaderSize - 4));
  }
  return size;
}

core::Result<BindingAnswer, AnswerError> parse_binding_answer(
    std::span<const std::uint8_t> packet) {
  auto m = parse_message(packet);
  if (!m) return AnswerError::malformed;
  if (m->method != kBindingMethod ||
      (m->cls != MessageClass::success && m->cls != MessageClass::error))
    return AnswerError::not_binding_answer;
  BindingAnswer a;
  a.transaction_id = m->transaction_id;
  a.fingerprint = m->fingerprint;
  bool bad = false;
  walk(packet, [&](std::uint16_t type, std::span<const std::uint8_t> v) {
    if (type == kXorMappedAddress || type == kMappedAddress) {
      auto e = read_address(v, type == kXorMappedAddress, a.transaction_id);
      if (!e) bad = true;
      (type == kXorMappedAddress ? a.xor_mapped : a.mapped) = e;
    } else if (type == kSoftware) {
      a.software = {reinterpret_cast<const char*>(v.data()), v.size()};
    } else if (type == kErrorCode && v.size() >= 4) {
      a.error_code = static_cast<std::uint16_t>((v[2] & 7) * 100 + v[3]);
    }
  });
  if (bad) return AnswerError::bad_address;
  if (m->cls == MessageClass::error && a.error_code == 0) return AnswerError::malformed;
  return a;
}

}  // namespace cairn::codec::stun
