#include "tracker/dht/node_id.hpp"

#include <boost/crc.hpp>

namespace cairn::tracker::dht {

namespace {

// CRC32C (Castagnoli), reflected, as BEP 42 and every client use it.
using Crc32c = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

bool in(const core::Address& a, std::uint8_t b0, std::uint8_t mask0, std::uint8_t b1 = 0,
        std::uint8_t mask1 = 0) {
  return (a.bytes[0] & mask0) == b0 && (a.bytes[1] & mask1) == b1;
}

}  // namespace

std::uint32_t bep42_prefix(const core::Address& address, std::uint8_t r) {
  static constexpr std::uint8_t v4_mask[] = {0x03, 0x0f, 0x3f, 0xff};
  static constexpr std::uint8_t v6_mask[] = {0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff};
  const bool v4 = address.family == core::Family::v4;
  const std::uint8_t* mask = v4 ? v4_mask : v6_mask;
  const std::size_t n = v4 ? 4 : 8;  // IPv6: the high 64 bits
  std::uint8_t masked[8];
  for (std::size_t i = 0; i < n; ++i)
    masked[i] = static_cast<std::uint8_t>(address.bytes[i] & mask[i]);
  masked[0] = static_cast<std::uint8_t>(masked[0] | (r & 7) << 5);
  Crc32c crc;
  crc.process_bytes(masked, n);
  return crc.checksum();
}

bool bep42_valid(const NodeId& id, const core::Address& address) {
  if (is_local(address)) return true;
  const std::uint32_t crc = bep42_prefix(address, id.bytes[19] & 7);
  return id.bytes[0] == static_cast<std::uint8_t>(crc >> 24) &&
         id.bytes[1] == static_cast<std::uint8_t>(crc >> 16) &&
         (id.bytes[2] & 0xf8) == (static_cast<std::uint8_t>(crc >> 8) & 0xf8);
}

NodeId bep42_id(const core::Address& address, const std::array<std::uint8_t, 20>& random) {
  NodeId id = NodeId::from_bytes(std::span<const std::uint8_t, 20>(random));
  const std::uint32_t crc = bep42_prefix(address, random[19] & 7);
  id.bytes[0] = static_cast<std::uint8_t>(crc >> 24);
  id.bytes[1] = static_cast<std::uint8_t>(crc >> 16);
  id.bytes[2] = static_cast<std::uint8_t>((crc >> 8 & 0xf8) | (random[2] & 7));
  return id;
}

NodeId own_node_id(const std::optional<core::Address>& external,
                   const std::array<std::uint8_t, 20>& random) {
  if (external && !is_local(*external)) return bep42_id(*external, random);
  return NodeId::from_bytes(std::span<const std::uint8_t, 20>(random));
}

Scope scope_of(const core::Address& a) {
  if (a.family == core::Family::v4) {
    if (in(a, 127, 0xff)) return Scope::host;
    if (in(a, 10, 0xff) || in(a, 172, 0xff, 16, 0xf0) || in(a, 192, 0xff, 168, 0xff) ||
        in(a, 169, 0xff, 254, 0xff))
      return Scope::site;
    return Scope::global;
  }
  static constexpr std::uint8_t loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if (a.bytes == std::to_array(loopback)) return Scope::host;
  if (in(a, 0xfe, 0xff, 0x80, 0xc0) || in(a, 0xfc, 0xfe)) return Scope::site;
  return Scope::global;
}

}  // namespace cairn::tracker::dht
