#pragma once
// BEP 15 connection ids that cannot be forged: a keyed hash (SipHash-2-4,
// libsodium's crypto_shorthash) of the client's address and a time slot,
// under a secret drawn at start. Nothing is stored per client. An id is
// accepted in the slot it was issued in and the next one, so it stays valid
// for at least `slot_seconds` (real clients reuse ids late).
#include <array>
#include <cstdint>

#include "core/clock.hpp"
#include "core/endpoint.hpp"

namespace cairn::tracker {

class ConnectionIds {
 public:
  static constexpr core::Seconds kSlotSeconds = 120;
  ConnectionIds();  // random secret
  explicit ConnectionIds(const std::array<std::uint8_t, 16>& secret) : secret_(secret) {}

  std::uint64_t issue(const core::Address& client, core::Seconds now) const;
  bool valid(std::uint64_t id, const core::Address& client, core::Seconds now) const;

 private:
  std::uint64_t make(const core::Address& client, std::uint32_t slot) const;
  std::array<std::uint8_t, 16> secret_;
};

}  // namespace cairn::tracker
