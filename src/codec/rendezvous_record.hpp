#pragma once
// The content of a rendezvous record and its binary body (docs/rendezvous.md,
// "The record body"): one definition for the UDP API, for what signatures
// cover and for the plaintext of sealed records. Pure: no I/O, no clock.
//
// The decoder accepts only canonical bodies (ascending field types, single
// fields at most once, every limit kept), so decode(encode(r)) == r and
// encode(decode(b)) == b: a body that verifies under a signature is exactly
// what the tracker stores and returns.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.hpp"
#include "core/result.hpp"

namespace cairn::codec::rv {

inline constexpr std::size_t kMaxBody = 1040;  // any record fits one UDP look-up answer
inline constexpr std::size_t kMaxSealed = 1024;
inline constexpr std::size_t kMaxAddresses = 8;
inline constexpr std::size_t kMaxAddressBytes = 255;
inline constexpr std::size_t kMaxProtocols = 16;
inline constexpr std::size_t kMaxTags = 16;
inline constexpr std::size_t kMaxNameBytes = 32;  // a protocol, a tag key
inline constexpr std::size_t kMaxTagValueBytes = 255;

// Field types of the body.
enum class Field : std::uint8_t {
  address = 1,
  up_bps = 2,
  down_bps = 3,
  protocol = 4,
  tag = 5,
  sealed = 6,
};

struct Tag {
  std::string key, value;
  friend bool operator==(const Tag&, const Tag&) = default;
};

struct Record {
  std::vector<std::string> addresses;  // "ip:port", "[v6]:port", ":port", or a URL
  std::optional<std::uint64_t> up_bps, down_bps;
  std::vector<std::string> protocols;
  std::vector<Tag> tags;
  std::optional<std::string> sealed;  // opaque bytes
  friend bool operator==(const Record&, const Record&) = default;
};

enum class RecordError : std::uint8_t {
  bad_record = 1,    // a field breaks a rule (count, length, charset, order)
  record_too_large,  // body over kMaxBody, or sealed over kMaxSealed
};

// The stable code of each error ("bad_record", "record_too_large").
std::string_view error_code(RecordError e);

// A rule a record breaks, with a fixed text saying which ("more than 8
// addresses"), for the message of an error answer.
struct RecordProblem {
  RecordError error;
  std::string_view what;
};
// The first rule `record` breaks, if any; every rule but the encoded body's
// total size (kMaxBody), which encode_body checks.
std::optional<RecordProblem> check_record(const Record& record);

// A protocol name or tag key: 1..kMaxNameBytes of [A-Za-z0-9.+_/-].
bool valid_name(std::string_view name);
// An address as the body may carry it: non-empty, at most kMaxAddressBytes,
// no control characters; either a URL ("scheme://...") or an endpoint whose
// address part may be empty or unspecified (":7000", "0.0.0.0:7000",
// "[::]:7000").
bool valid_address(std::string_view address);

core::Result<std::string, RecordError> encode_body(const Record& record);
core::Result<Record, RecordError> decode_body(std::string_view body);

// The port of an unspecified address (":7000", "0.0.0.0:7000", "[::]:7000"),
// else nullopt (a concrete address, or a URL).
std::optional<std::uint16_t> unspecified_port(std::string_view address);
// How an answer shows an address: an unspecified one with `source` (the
// address the record was registered from) and its port; others unchanged.
std::string fill_address(std::string_view address, const core::Address& source);

// The messages a signed record's key signs (docs/rendezvous.md, "Signed
// records"). `ttl` is the TTL the client asked for, 0 for the default.
std::string register_message(std::string_view topic20, std::uint64_t seq, std::uint32_t ttl,
                             std::string_view body);
std::string remove_message(std::string_view topic20, std::uint64_t seq);

}  // namespace cairn::codec::rv
