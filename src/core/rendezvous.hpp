#pragma once
// The rendezvous API's vocabulary, shared by its wire codecs (JSON and UDP,
// codec/), its logic (tracker/rendezvous) and the client: where a look-up
// left off, a record owner's signature, and a record found. Here, below
// both codec and tracker, so the logic needs no codec to name them.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/endpoint.hpp"
#include "core/record_id.hpp"

namespace cairn::core {

// Where a look-up left off: the store's epoch (so a cursor from before a
// restart reads as none) and the last version seen. 24 hex digits on the
// wire, 12 bytes over UDP; opaque to clients.
struct Cursor {
  static constexpr std::size_t size = 12;  // epoch (4) | version (8), big-endian
  std::uint32_t epoch = 0;
  std::uint64_t version = 0;
  std::string hex() const;
  static std::optional<Cursor> from_hex(std::string_view hex);
  std::array<std::uint8_t, size> bytes() const;
  static Cursor from_bytes(std::span<const std::uint8_t, size> b);
  friend bool operator==(const Cursor&, const Cursor&) = default;
};

struct SignedBy {
  std::uint64_t seq = 0;
  Signature signature{};
  friend bool operator==(const SignedBy&, const SignedBy&) = default;
};

// One record of a look-up answer.
struct FoundRecord {
  RecordId id;
  std::string body;  // as registered
  Address source;    // where it was registered from (fills unspecified addresses)
  std::optional<SignedBy> signed_by;
  std::uint32_t last_seen = 0, expires_in = 0;
};

// How many records one look-up returns: when the client does not say, and
// at most.
inline constexpr std::uint32_t kLookupDefaultLimit = 50, kLookupMaxLimit = 200;

}  // namespace cairn::core
