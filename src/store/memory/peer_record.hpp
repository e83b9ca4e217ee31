#pragma once
// One stored peer as packed bytes (alignment 1), laid out like the wire so a
// reply is mostly a copy and the memory cost per peer stays near its payload:
//
//   [address 4|16][port 2, big-endian][peer id 20][state 2]
//   IPv4: 28 bytes, IPv6: 40 bytes.
//
// The first 6 (or 18) bytes are the key: comparing them with memcmp orders
// peers by endpoint, so a swarm keeps each family's records sorted and finds
// a peer by binary search. `state` packs the last-seen time (14 bits, seconds
// from a base the owning shard keeps, see Swarm) above two flag bits.
#include <cstdint>
#include <cstring>

#include "core/endpoint.hpp"
#include "core/peer.hpp"

namespace cairn::store::record {

// Families index arrays: 0 = IPv4, 1 = IPv6.
inline int family_index(core::Family f) { return f == core::Family::v4 ? 0 : 1; }

constexpr std::size_t key_size(int family) { return family == 0 ? 6 : 18; }
constexpr std::size_t id_offset(int family) { return key_size(family); }
constexpr std::size_t state_offset(int family) { return key_size(family) + 20; }
constexpr std::size_t size(int family) { return key_size(family) + 22; }
constexpr std::size_t max_size = size(1);

inline constexpr std::uint16_t flag_seeder = 1;
inline constexpr std::uint16_t flag_completed = 2;  // its `completed` was counted
inline constexpr std::uint16_t flag_bits = 2;
inline constexpr std::uint16_t max_stamp = 0xFFFF >> flag_bits;
// The stamp of a record whose peer has left (stopped) but whose slot a large
// swarm keeps until its next expiry sweep (see Swarm): never a live stamp,
// which stays below it.
inline constexpr std::uint16_t gone_stamp = max_stamp;

inline std::uint16_t state(const std::uint8_t* rec, int family) {
  std::uint16_t s;
  std::memcpy(&s, rec + state_offset(family), sizeof s);
  return s;
}
inline void set_state(std::uint8_t* rec, int family, std::uint16_t s) {
  std::memcpy(rec + state_offset(family), &s, sizeof s);
}
inline std::uint16_t stamp(const std::uint8_t* rec, int family) {
  return state(rec, family) >> flag_bits;
}
inline std::uint16_t flags(const std::uint8_t* rec, int family) {
  return state(rec, family) & ((1u << flag_bits) - 1);
}
inline bool gone(const std::uint8_t* rec, int family) { return stamp(rec, family) == gone_stamp; }
inline void set_stamp(std::uint8_t* rec, int family, std::uint16_t stamp) {
  set_state(rec, family, static_cast<std::uint16_t>(stamp << flag_bits | flags(rec, family)));
}
inline void set_flags(std::uint8_t* rec, int family, std::uint16_t flags) {
  set_state(rec, family, static_cast<std::uint16_t>(stamp(rec, family) << flag_bits | flags));
}

inline core::PeerInfo read_peer(const std::uint8_t* rec, int family) {
  core::PeerInfo p;
  const std::size_t addr = key_size(family) - 2;
  p.endpoint.address.family = family == 0 ? core::Family::v4 : core::Family::v6;
  std::memcpy(p.endpoint.address.bytes.data(), rec, addr);
  p.endpoint.port = static_cast<std::uint16_t>(rec[addr] << 8 | rec[addr + 1]);
  std::memcpy(p.peer_id.bytes.data(), rec + id_offset(family), core::PeerId::size);
  return p;
}

}  // namespace cairn::store::record
