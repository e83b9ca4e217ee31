#pragma once
// Ids for tests, made from small numbers the same way in every test: n sits
// in the first two bytes (so ids of n below 65536 differ, and those of n
// below 256 sort as n does), and the other bytes spread over 0..255.
#include <cstddef>
#include <cstdint>

#include "core/ids.hpp"
#include "core/record_id.hpp"

namespace cairn::test {

template <class Bytes>
void fill_pattern(Bytes& bytes, std::size_t size, std::uint32_t n) {
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(n * 13 + 29 * i);
  bytes[0] = static_cast<std::uint8_t>(n);
  bytes[1] = static_cast<std::uint8_t>(n >> 8);
}

// An InfoHash, PeerId or TopicId.
template <class Id>
Id id_of(std::uint32_t n) {
  Id id;
  fill_pattern(id.bytes, Id::size, n);
  return id;
}

// A record id of `size` bytes: RecordId::random_size or key_size.
inline core::RecordId record_id_of(std::uint32_t n, std::size_t size) {
  core::RecordId id;
  id.size = static_cast<std::uint8_t>(size);
  fill_pattern(id.bytes, size, n);
  return id;
}
inline core::RecordId unsigned_id_of(std::uint32_t n) {
  return record_id_of(n, core::RecordId::random_size);
}
inline core::RecordId key_id_of(std::uint32_t n) {
  return record_id_of(n, core::RecordId::key_size);
}

}  // namespace cairn::test
