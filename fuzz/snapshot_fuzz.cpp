// snapshot::decode on any bytes: it decodes or refuses, and what it accepts
// is canonical, so encoding it again must give the input byte for byte.
// Random bytes almost never carry a valid checksum, so each input is also
// tried with its last 32 bytes replaced by the right one: that is what
// reaches the record parser.
#include <sodium/crypto_generichash.h>

#include <cstdint>
#include <vector>

#include "codec/snapshot.hpp"

using namespace cairn::codec::snapshot;

namespace {
void check(const std::vector<std::uint8_t>& bytes) {
  Limits limits;
  limits.max_peers_per_torrent = 1000;  // the input's size bounds them anyway
  auto decoded = decode(bytes, limits);
  if (decoded.has_value() && encode(*decoded) != bytes) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> bytes(data, data + size);
  check(bytes);
  if (size < checksum_size) return 0;
  const std::size_t hashed = size - checksum_size;
  crypto_generichash(bytes.data() + hashed, checksum_size, bytes.data(), hashed, nullptr, 0);
  check(bytes);
  return 0;
}
