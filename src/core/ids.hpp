#pragma once
// Fixed-size identifiers: BitTorrent info hashes and peer ids, rendezvous
// topics. All are 20 raw bytes; v2 (BEP 52) SHA-256 info hashes are
// truncated to their first 20 bytes before they get here, as BEP 52 says
// trackers see them.
#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cairn::core {

template <class Tag>
struct Id20 {
  static constexpr std::size_t size = 20;
  std::array<std::uint8_t, size> bytes{};

  static Id20 from_bytes(std::span<const std::uint8_t, size> b) {
    Id20 id;
    std::memcpy(id.bytes.data(), b.data(), size);
    return id;
  }
  static Id20 from_bytes(std::string_view b) {  // b.size() must be 20
    Id20 id;
    std::memcpy(id.bytes.data(), b.data(), size);
    return id;
  }
  // Accepts exactly 40 hex digits (either case).
  static std::optional<Id20> from_hex(std::string_view hex);
  std::string hex() const;
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes.data()), size}; }

  friend auto operator<=>(const Id20&, const Id20&) = default;
  // Three word compares instead of a memcmp call: ids are compared on every
  // swarm lookup.
  friend bool operator==(const Id20& a, const Id20& b) {
    std::uint64_t a0, a1, b0, b1;
    std::uint32_t a2, b2;
    std::memcpy(&a0, a.bytes.data(), 8);
    std::memcpy(&b0, b.bytes.data(), 8);
    std::memcpy(&a1, a.bytes.data() + 8, 8);
    std::memcpy(&b1, b.bytes.data() + 8, 8);
    std::memcpy(&a2, a.bytes.data() + 16, 4);
    std::memcpy(&b2, b.bytes.data() + 16, 4);
    return ((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2)) == 0;
  }
};

struct InfoHashTag {};
struct PeerIdTag {};
struct TopicTag {};
struct OfferTag {};
using InfoHash = Id20<InfoHashTag>;
using PeerId = Id20<PeerIdTag>;
using TopicId = Id20<TopicTag>;
// A WebRTC offer's id in WebTorrent signaling: 20 bytes the offering peer
// draws, which its answer carries back.
using OfferId = Id20<OfferTag>;

// Hex helpers shared by every id type.
std::string to_hex(std::span<const std::uint8_t> bytes);
bool from_hex(std::string_view hex, std::span<std::uint8_t> out);

template <class Tag>
std::optional<Id20<Tag>> Id20<Tag>::from_hex(std::string_view hex) {
  Id20 id;
  if (hex.size() != 2 * size || !core::from_hex(hex, id.bytes)) return std::nullopt;
  return id;
}
template <class Tag>
std::string Id20<Tag>::hex() const {
  return to_hex(bytes);
}

// A 64-bit hash of the id's first bytes: ids are already uniformly random
// (SHA-1/SHA-256 output), so no further mixing is needed.
struct Id20Hash {
  template <class Tag>
  std::size_t operator()(const Id20<Tag>& id) const noexcept {
    std::uint64_t h;
    std::memcpy(&h, id.bytes.data(), sizeof h);
    return h;
  }
};

}  // namespace cairn::core
