#include "tracker/connection_ids.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace cairn::tracker {

core::Seconds ConnectionIds::checked(core::Seconds slot_seconds) {
  if (slot_seconds == 0) throw std::invalid_argument("connection id slot of 0 seconds");
  return slot_seconds;
}

ConnectionIds::ConnectionIds(core::Seconds slot_seconds) : slot_seconds_(checked(slot_seconds)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  randombytes_buf(secret_.data(), secret_.size());
}

ConnectionIds::ConnectionIds(const std::array<std::uint8_t, 16>& secret, core::Seconds slot_seconds)
    : secret_(secret), slot_seconds_(checked(slot_seconds)) {}

std::uint64_t ConnectionIds::make(const core::Address& client, std::uint32_t slot) const {
  std::uint8_t input[4 + 1 + 16];
  std::memcpy(input, &slot, 4);
  input[4] = static_cast<std::uint8_t>(client.family);
  std::memcpy(input + 5, client.bytes.data(), 16);
  std::uint64_t id;
  crypto_shorthash(reinterpret_cast<unsigned char*>(&id), input, sizeof input, secret_.data());
  return id | kTopBit;
}

std::uint64_t ConnectionIds::issue(const core::Address& client, core::Seconds now) const {
  return make(client, now / slot_seconds_);
}

bool ConnectionIds::valid(std::uint64_t id, const core::Address& client, core::Seconds now) const {
  std::uint32_t slot = now / slot_seconds_;
  return id == make(client, slot) || (slot > 0 && id == make(client, slot - 1));
}

}  // namespace cairn::tracker
