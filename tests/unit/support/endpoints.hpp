#pragma once
// Addresses and endpoints for tests, made from small numbers: documentation
// and private ranges, never a host that exists.
#include <cstdint>

#include "core/endpoint.hpp"

namespace cairn::test {

// 10.x.y.z holding n's low 24 bits: distinct for n below 2^24.
inline core::Address v4_address(std::uint32_t n) {
  const std::uint8_t b[4] = {10, static_cast<std::uint8_t>(n >> 16),
                             static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  return core::Address::v4(b);
}

// 2001:db8:0:NET::HOST: hosts of one `net` share a /64.
inline core::Address v6_address(std::uint32_t net, std::uint32_t host) {
  std::uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};
  for (int i = 0; i < 4; ++i) {
    b[4 + i] = static_cast<std::uint8_t>(net >> (8 * (3 - i)));
    b[12 + i] = static_cast<std::uint8_t>(host >> (8 * (3 - i)));
  }
  return core::Address::v6(b);
}

inline core::Endpoint v4(std::uint32_t n, std::uint16_t port = 6881) {
  return {v4_address(n), port};
}
inline core::Endpoint v6(std::uint32_t n, std::uint16_t port = 6881) {
  return {v6_address(0, n), port};
}

}  // namespace cairn::test
