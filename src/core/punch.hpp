#pragma once
// Hole punching's vocabulary (docs/rendezvous.md, "Hole punching"), shared
// by its wire codec (codec/punch), its logic (tracker/punch_coordinator)
// and the client: the requests a peer sends the tracker and the answers it
// gets, as values. Here, below both codec and tracker, so the logic needs
// no codec to name them; the bytes are codec/punch's business.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/endpoint.hpp"
#include "core/ids.hpp"
#include "core/record_id.hpp"

namespace cairn::core::punch {

using Token = std::array<std::uint8_t, 16>;
enum class Role : std::uint8_t { requester = 0, target = 1 };
inline Role other(Role r) { return r == Role::requester ? Role::target : Role::requester; }

// A request's BEP 15 header (its action is the request's type).
struct Header {
  std::uint64_t connection_id = 0;
  std::uint32_t transaction_id = 0;
};

// --- peer to tracker ---

struct SessionRequest {  // keep (or end) a punchable session for a record
  Header header;
  TopicId topic;
  RecordId id;
  bool closing = false;
};
struct ConnectRequest {  // introduce me to the session of this record
  Header header;
  TopicId topic;
  RecordId id;
};
struct ReadyRequest {  // answered an offer: ready to probe (or refusing)
  Header header;
  std::uint64_t attempt = 0;
  Token token{};
  bool refuse = false;
};
struct RelayRequest {  // forward this payload to the other side
  Header header;
  std::uint64_t attempt = 0;
  Token token{};
  std::span<const std::uint8_t> payload;  // into the packet
};

// --- tracker to peer (errors are the transport's: BEP 15 error packets) ---

struct SessionAnswer {
  std::uint32_t transaction_id = 0;
  std::uint16_t keepalive = 0;    // seconds between keep-alives
  std::uint16_t session_ttl = 0;  // seconds a session lives without one
  Endpoint observed;              // the socket's public address, as the tracker sees it
  bool relay = false;             // the tracker relays pairs that cannot punch
};
struct Offer {
  std::uint32_t transaction_id = 0;  // the connect's; 0 when sent to the target unasked
  std::uint64_t attempt = 0;
  Role role = Role::requester;  // of the receiver
  bool relay = false;
  Token token{};
  TopicId topic;
  Endpoint peer;                 // the other side's public address
  RecordId peer_id;              // the other side's record
  std::uint16_t expires_in = 0;  // seconds the token stays valid
};
struct Sync {
  std::uint32_t transaction_id = 0;  // of the receiver's latest ready
  std::uint64_t attempt = 0;
  std::uint16_t delay_ms = 0;  // wait this long, then probe
  std::uint16_t rtt_ms = 0;    // the round trip the tracker measured to the receiver
};
struct Relayed {
  std::uint64_t attempt = 0;
  std::span<const std::uint8_t> payload;  // into the packet
};

}  // namespace cairn::core::punch
