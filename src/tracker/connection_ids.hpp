#pragma once
// BEP 15 connection ids that cannot be forged: a keyed hash (SipHash-2-4,
// libsodium's crypto_shorthash) of the client's address and a time slot,
// under a secret drawn at start. Nothing is stored per client. An id is
// accepted in the slot it was issued in and the next one, so it stays valid
// for at least one slot and less than two (real clients reuse ids late).
// The slot is 2 minutes unless configured (udp.connection_id_slot): BEP 15
// clients use an id for up to a minute; shorter slots are for tests.
//
// The top bit of every id is set, so the first byte on the wire (ids go
// big-endian) is 0x80 or more: a STUN message starts with two zero bits
// (RFC 8489 section 5), so no request carrying a Cairn id can be mistaken
// for STUN on the shared UDP port (codec/stun.hpp). That leaves 63 bits of
// SipHash, still far beyond guessing within a slot.
//
// Several nodes of one cluster accept each other's ids when they share the
// secrets and count slots from the same time (wall-clock seconds: the
// server passes its clock's offset). Ids are issued under the first secret
// and accepted under any, so a new secret can be rolled out before it is
// used (udp.connection_id_secret_file).
#include <array>
#include <cstdint>
#include <vector>

#include "core/endpoint.hpp"
#include "core/time.hpp"

namespace cairn::tracker {

class ConnectionIds {
 public:
  static constexpr core::Seconds kSlotSeconds = 120;
  static constexpr std::uint64_t kTopBit = std::uint64_t{1} << 63;
  // The first draws a random secret. Both throw std::invalid_argument for
  // a 0-second slot.
  explicit ConnectionIds(core::Seconds slot_seconds = kSlotSeconds);
  explicit ConnectionIds(const std::array<std::uint8_t, 16>& secret,
                         core::Seconds slot_seconds = kSlotSeconds);
  using Secret = std::array<std::uint8_t, 16>;
  // Throws std::invalid_argument for no secret too. `clock_offset` is
  // added to every `now`.
  ConnectionIds(std::vector<Secret> secrets, core::Seconds slot_seconds, std::int64_t clock_offset);

  std::uint64_t issue(const core::Address& client, core::Seconds now) const;
  bool valid(std::uint64_t id, const core::Address& client, core::Seconds now) const;

 private:
  std::uint64_t make(const Secret& secret, const core::Address& client, std::uint32_t slot) const;
  std::uint32_t slot_of(core::Seconds now) const;
  static core::Seconds checked(core::Seconds slot_seconds);
  std::vector<Secret> secrets_;  // the first issues
  core::Seconds slot_seconds_;
  std::int64_t clock_offset_ = 0;
};

}  // namespace cairn::tracker
