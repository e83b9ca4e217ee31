#pragma once
// STUN (RFC 8489, and the RFC 5389 clients before it) as far as a tracker
// that answers Binding requests needs it, for both sides: the server parses
// requests and encodes success and 420 answers; the client and the tests
// encode requests and parse answers. No sockets, no clock.
//
// STUN shares the tracker's UDP port with BEP 15 and the rendezvous API, so
// is_stun() is exact: the first two bits zero, the magic cookie at bytes
// 4-7, a length that is a multiple of 4 and says exactly how many bytes
// follow the 20-byte header. A BEP 15 connect carries the protocol id there
// (0x27101980 at bytes 4-7), and every connection id Cairn issues has its
// top bit set (tracker/connection_ids.hpp), so no BEP 15 or rendezvous
// request from a client that holds one can pass for STUN.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/endpoint.hpp"
#include "core/result.hpp"

namespace cairn::codec::stun {

inline constexpr std::uint32_t kMagicCookie = 0x2112A442;
inline constexpr std::uint32_t kFingerprintXor = 0x5354554e;
inline constexpr std::size_t kHeaderSize = 20;
inline constexpr std::uint16_t kBindingMethod = 0x001;

// Attribute types Cairn writes or reads.
inline constexpr std::uint16_t kMappedAddress = 0x0001;
inline constexpr std::uint16_t kErrorCode = 0x0009;
inline constexpr std::uint16_t kUnknownAttributes = 0x000A;
inline constexpr std::uint16_t kXorMappedAddress = 0x0020;
inline constexpr std::uint16_t kSoftware = 0x8022;
inline constexpr std::uint16_t kFingerprint = 0x8028;

// The most unknown comprehension-required attributes a 420 answer lists.
inline constexpr std::size_t kMaxUnknown = 8;

using TransactionId = std::array<std::uint8_t, 12>;

enum class MessageClass : std::uint8_t { request, indication, success, error };

bool is_stun(std::span<const std::uint8_t> packet);

// A message that passed is_stun and whose attributes are well formed.
struct Message {
  MessageClass cls = MessageClass::request;
  std::uint16_t method = 0;
  TransactionId transaction_id{};
  bool fingerprint = false;  // it carried one (and it verified)
  // Comprehension-required attributes (type < 0x8000) that Cairn does not
  // know, in order, at most kMaxUnknown: a request with any gets a 420.
  std::array<std::uint16_t, kMaxUnknown> unknown{};
  std::size_t unknown_count = 0;
  std::span<const std::uint16_t> unknown_attributes() const {
    return {unknown.data(), unknown_count};
  }
  bool is_binding_request() const {
    return cls == MessageClass::request && method == kBindingMethod;
  }
};

enum class ParseError : std::uint8_t {
  not_stun = 1,     // is_stun() is false
  bad_attribute,    // an attribute runs past the end, or FINGERPRINT is not last or not 4 bytes
  bad_fingerprint,  // the CRC does not match: not STUN after all, or damaged
};

// Validates the header and walks every attribute; verifies FINGERPRINT.
// Padding bytes are ignored, whatever they hold (RFC 8489 section 14).
core::Result<Message, ParseError> parse_message(std::span<const std::uint8_t> packet);

// --- server side ---

// A success answer is either full (XOR-MAPPED-ADDRESS, MAPPED-ADDRESS,
// SOFTWARE, FINGERPRINT) or minimal (XOR-MAPPED-ADDRESS alone, all an RFC
// 8489 client needs). docs/protocols.md says which one a request gets.
enum class Answer : std::uint8_t { minimal, full };
std::size_t success_size(core::Family family, Answer answer);
// The largest answer no bigger than `budget` bytes, or nullopt.
std::optional<Answer> answer_within(core::Family family, std::size_t budget);

// Each encoder writes into `out` and returns the size (0 if `out` is too small).
std::size_t encode_binding_success(const TransactionId& id, const core::Endpoint& mapped,
                                   Answer answer, std::span<std::uint8_t> out);
// 420 Unknown Attribute, listing `unknown`, with a FINGERPRINT.
std::size_t unknown_attribute_size(std::size_t unknown_count);
std::size_t encode_unknown_attribute_error(const TransactionId& id,
                                           std::span<const std::uint16_t> unknown,
                                           std::span<std::uint8_t> out);

// --- client side ---

// A Binding request with no attributes (20 bytes), as Chromium and coturn's
// turnutils_stunclient send, or padded with a PADDING attribute to `size`
// bytes (a multiple of 4, at least 24) so a server that answers only padded
// requests answers in full.
std::size_t encode_binding_request(const TransactionId& id, std::span<std::uint8_t> out,
                                   std::size_t size = kHeaderSize);

struct BindingAnswer {
  TransactionId transaction_id{};
  std::optional<core::Endpoint> xor_mapped, mapped;
  std::string_view software;  // into the packet
  bool fingerprint = false;
  std::uint16_t error_code = 0;  // 0 for a success answer
};
enum class AnswerError : std::uint8_t { malformed = 1, not_binding_answer, bad_address };
core::Result<BindingAnswer, AnswerError> parse_binding_answer(std::span<const std::uint8_t> packet);

// CRC-32 (ISO-HDLC, as zlib) of `bytes` XOR 0x5354554e: FINGERPRINT's value.
std::uint32_t fingerprint_of(std::span<const std::uint8_t> bytes);

}  // namespace cairn::codec::stun
