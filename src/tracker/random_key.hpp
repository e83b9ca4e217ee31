#pragma once
// A key drawn at start for a keyed hash (SipHash-2-4) of what clients
// choose, such as their addresses: without it nobody can pick many values
// that land in one slot of a table.
#include <sodium/core.h>
#include <sodium/randombytes.h>

#include <array>
#include <cstdint>
#include <stdexcept>

namespace cairn::tracker {

// Start-up only: throws if libsodium cannot initialise.
inline std::array<std::uint8_t, 16> random_key() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  std::array<std::uint8_t, 16> key;
  randombytes_buf(key.data(), key.size());
  return key;
}

}  // namespace cairn::tracker
