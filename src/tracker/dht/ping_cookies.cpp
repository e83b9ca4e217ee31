#include "tracker/dht/ping_cookies.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace cairn::tracker::dht {

PingCookies::PingCookies() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  randombytes_buf(secret_.data(), secret_.size());
}

PingCookies::Cookie PingCookies::make(const core::Endpoint& node, const NodeId& id,
                                      std::uint32_t slot) const {
  std::uint8_t input[4 + 1 + 16 + 2 + 20];
  std::memcpy(input, &slot, 4);
  input[4] = static_cast<std::uint8_t>(node.address.family);
  std::memcpy(input + 5, node.address.bytes.data(), 16);
  std::memcpy(input + 21, &node.port, 2);
  std::memcpy(input + 23, id.bytes.data(), 20);
  std::uint8_t hash[crypto_shorthash_BYTES];
  crypto_shorthash(hash, input, sizeof input, secret_.data());
  Cookie c;
  std::memcpy(c.data(), hash, c.size());
  return c;
}

PingCookies::Cookie PingCookies::issue(const core::Endpoint& node, const NodeId& id,
                                       core::Seconds now) const {
  return make(node, id, now / kSlotSeconds);
}

bool PingCookies::valid(std::string_view transaction, const core::Endpoint& node, const NodeId& id,
                        core::Seconds now) const {
  if (transaction.size() != kSize) return false;
  const std::uint32_t slot = now / kSlotSeconds;
  auto matches = [&](std::uint32_t s) {
    return std::memcmp(make(node, id, s).data(), transaction.data(), kSize) == 0;
  };
  return matches(slot) || (slot > 0 && matches(slot - 1));
}

}  // namespace cairn::tracker::dht
