#include "tracker/connection_ids.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace cairn::tracker {

core::Seconds ConnectionIds::checked(core::Seconds slot_seconds) {
  if (slot_seconds == 0) throw std::invalid_argument("connection id slot of 0 seconds");
  return slot_seconds;
}

ConnectionIds::ConnectionIds(core::Seconds slot_seconds)
    : secrets_(1), slot_seconds_(checked(slot_seconds)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  randombytes_buf(secrets_[0].data(), secrets_[0].size());
}

ConnectionIds::ConnectionIds(const std::array<std::uint8_t, 16>& secret, core::Seconds slot_seconds)
    : secrets_{secret}, slot_seconds_(checked(slot_seconds)) {}

ConnectionIds::ConnectionIds(std::vector<Secret> secrets, core::Seconds slot_seconds,
                             std::int64_t clock_offset)
    : secrets_(std::move(secrets)),
      slot_seconds_(checked(slot_seconds)),
      clock_offset_(clock_offset) {
  if (secrets_.empty()) throw std::invalid_argument("no connection id secret");
}

std::uint32_t ConnectionIds::slot_of(core::Seconds now) const {
  const std::int64_t t = std::max<std::int64_t>(0, std::int64_t{now} + clock_offset_);
  return static_cast<std::uint32_t>(t / slot_seconds_);
}

std::uint64_t ConnectionIds::make(const Secret& secret, const core::Address& client,
                                  std::uint32_t slot) const {
  std::uint8_t input[4 + 1 + 16];
  std::memcpy(input, &slot, 4);
  input[4] = static_cast<std::uint8_t>(client.family);
  std::memcpy(input + 5, client.bytes.data(), 16);
  std::uint64_t id;
  crypto_shorthash(reinterpret_cast<unsigned char*>(&id), input, sizeof input, secret.data());
  return id | kTopBit;
}

std::uint64_t ConnectionIds::issue(const core::Address& client, core::Seconds now) const {
  return make(secrets_.front(), client, slot_of(now));
}

bool ConnectionIds::valid(std::uint64_t id, const core::Address& client, core::Seconds now) const {
  const std::uint32_t slot = slot_of(now);
  for (const Secret& secret : secrets_)
    if (id == make(secret, client, slot) || (slot > 0 && id == make(secret, client, slot - 1)))
      return true;
  return false;
}

}  // namespace cairn::tracker
