#pragma once
// DHT node ids and the rules that tie them to addresses (BEP 42): a node's
// id must begin with 21 bits of CRC32C of its masked IP address and a
// random r in 0..7, and end with a byte whose low 3 bits are r. A table that
// stores only such nodes cannot be filled around a target by a few hosts
// choosing their ids. Local addresses are exempt, as BEP 42 says (they are
// not the address the rest of the DHT sees).
#include <array>
#include <cstdint>
#include <optional>

#include "core/endpoint.hpp"
#include "core/ids.hpp"

namespace cairn::tracker::dht {

struct NodeIdTag {};
using NodeId = core::Id20<NodeIdTag>;

// The CRC32C of BEP 42 for this address and r (0..7): its first 21 bits
// are what a valid id begins with.
std::uint32_t bep42_prefix(const core::Address& address, std::uint8_t r);

// Whether `id` is valid for `address` under BEP 42. Local addresses
// (is_local) are always valid.
bool bep42_valid(const NodeId& id, const core::Address& address);

// A valid id for `address`: r and the free bits come from `random`.
NodeId bep42_id(const core::Address& address, const std::array<std::uint8_t, 20>& random);

// This node's own id: valid under BEP 42 for `external` (the address the
// rest of the DHT sees it at) when that is a global address, which nodes
// that enforce BEP 42 need before they announce to it; otherwise the random
// bytes as they are.
NodeId own_node_id(const std::optional<core::Address>& external,
                   const std::array<std::uint8_t, 20>& random);

// Where an address can be reached from: anywhere (global), within a
// private network (RFC 1918, link-local, IPv6 unique-local), or this host
// only (loopback). Ordered: a node of one scope is worth handing only to
// requesters of that scope or a narrower one.
enum class Scope : std::uint8_t { global = 0, site = 1, host = 2 };
Scope scope_of(const core::Address& address);

// BEP 42's exempt addresses: 10/8, 172.16/12, 192.168/16, 169.254/16,
// 127/8, and their IPv6 counterparts (::1, fe80::/10, fc00::/7).
inline bool is_local(const core::Address& address) { return scope_of(address) != Scope::global; }

// XOR distance, compared as a 160-bit unsigned number: a < b means a is
// closer. Node ids, info hashes and targets share the space.
inline std::array<std::uint8_t, 20> distance(const NodeId& a, const NodeId& b) {
  std::array<std::uint8_t, 20> d;
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = a.bytes[i] ^ b.bytes[i];
  return d;
}

}  // namespace cairn::tracker::dht
