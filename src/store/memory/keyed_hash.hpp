#pragma once
// A keyed hash (SipHash-2-4, libsodium's crypto_shorthash) for maps and
// shards keyed by what clients choose, such as rendezvous topics and source
// addresses: without the key, drawn at start, nobody can pick many keys
// that land in one shard or one hash slot.
#include <sodium/core.h>
#include <sodium/crypto_shorthash.h>
#include <sodium/randombytes.h>

#include <array>
#include <cstdint>
#include <span>
#include <stdexcept>

namespace cairn::store {

using HashKey = std::array<std::uint8_t, crypto_shorthash_KEYBYTES>;

// Start-up only: throws if libsodium cannot initialise.
inline HashKey random_hash_key() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  HashKey key;
  randombytes_buf(key.data(), key.size());
  return key;
}

inline std::uint64_t keyed_hash(std::span<const std::uint8_t> data, const HashKey& key) {
  std::uint64_t h;
  crypto_shorthash(reinterpret_cast<unsigned char*>(&h), data.data(), data.size(), key.data());
  return h;
}

}  // namespace cairn::store
