#pragma once
// The message Cairn nodes exchange over Redis sharded pub/sub to relay a
// WebSocket offer or answer to a peer connected to another node (issue 14;
// docs/architecture.md, "WebSocket offers across nodes"). Binary, fixed
// head, then the JSON message the target's connection is to get, as the
// sending node encoded it:
//
//   magic "CWR1" | kind u8 (1 offer, 2 answer) | info_hash 20 | from_peer 20
//   | to_peer 20 | offer_id 20 | from_node 8 | message (the rest)
//
// Pub/sub carries bytes from any node that can write to the cluster, so a
// message is parsed like any other input: exact sizes, a known kind, a
// bounded message, and nothing else.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/ids.hpp"

namespace cairn::codec::ws_relay {

inline constexpr std::size_t kHead = 4 + 1 + 20 * 4 + 8;
// A relayed message is one the sender's connection took: ws.max_message
// is at most 1 MiB.
inline constexpr std::size_t kMaxMessage = 1 << 20;

enum class Kind : std::uint8_t { offer = 1, answer = 2 };

using NodeId = std::array<std::uint8_t, 8>;

struct Relayed {
  Kind kind = Kind::offer;
  core::InfoHash info_hash;
  core::PeerId from_peer;
  core::PeerId to_peer;
  core::OfferId offer_id;
  NodeId from_node{};
  std::string_view message;  // into the parsed bytes
};

void encode(const Relayed& r, std::string& out);
std::optional<Relayed> parse(std::string_view bytes);

}  // namespace cairn::codec::ws_relay
