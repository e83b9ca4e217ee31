#pragma once
// Redis Cluster's key space: 16384 slots, a key's slot the CRC16 (XMODEM) of
// its hash tag -- the text between the first '{' and the first '}' after
// it, when that is not empty -- or else of the whole key.
#include <cstdint>
#include <string_view>

namespace cairn::store::redis {

constexpr std::uint16_t kSlots = 16384;

std::uint16_t crc16(std::string_view bytes);
// The part of `key` its slot is computed from.
std::string_view hash_tag(std::string_view key);
std::uint16_t key_slot(std::string_view key);

// A short tag whose slot is `slot`: keys named "...{tag}..." live in that
// slot. Per-slot bookkeeping (counters, expiry indexes) lives under these,
// so one script can update a swarm and its slot's counts together. The
// table is made once, on first use.
std::string_view slot_tag(std::uint16_t slot);

}  // namespace cairn::store::redis
