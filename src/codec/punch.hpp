#pragma once
// Coordinated UDP hole punching (docs/rendezvous.md, "Hole punching"): the
// rendezvous API's actions 20-23 between a peer and the tracker, both
// directions, and the messages two peers exchange with each other once
// introduced (probes, acknowledgements, data), authenticated with a key
// derived from the tracker's token. No sockets, no clock.
//
// Requests carry the BEP 15 header (connection id, action, transaction id)
// like actions 16-19; errors go back as BEP 15 error packets
// (udp::encode_error_response). Integers are big-endian.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>

#include "codec/rendezvous_udp.hpp"  // Header
#include "codec/udp_tracker.hpp"     // ParseError, ErrorResponse, ResponseError
#include "core/endpoint.hpp"
#include "core/ids.hpp"
#include "core/record_id.hpp"
#include "core/result.hpp"

namespace cairn::codec::punch {

using rvudp::Header;

enum class Action : std::uint32_t { session = 20, connect = 21, ready = 22, relay = 23 };

// Whether bytes 8..11 hold one of the actions above (the frontend's test,
// like rvudp::is_rendezvous).
bool is_punch(std::span<const std::uint8_t> packet);

using Token = std::array<std::uint8_t, 16>;
enum class Role : std::uint8_t { requester = 0, target = 1 };
inline Role other(Role r) { return r == Role::requester ? Role::target : Role::requester; }

// The most payload bytes a relayed datagram or a peer data message carries,
// so either fits 1,280 bytes with its headers.
inline constexpr std::size_t kMaxPayload = 1200;

// --- peer to tracker ---

struct SessionRequest {  // keep (or end) a punchable session for a record
  Header header;
  core::TopicId topic;
  core::RecordId id;
  bool closing = false;
};
struct ConnectRequest {  // introduce me to the session of this record
  Header header;
  core::TopicId topic;
  core::RecordId id;
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
using Request = std::variant<SessionRequest, ConnectRequest, ReadyRequest, RelayRequest>;

core::Result<Request, udp::ParseError> parse_request(std::span<const std::uint8_t> packet);

std::size_t encode_request(const Request& r, std::span<std::uint8_t> out);

// --- tracker to peer ---

struct SessionAnswer {
  std::uint32_t transaction_id = 0;
  std::uint16_t keepalive = 0;    // seconds between keep-alives
  std::uint16_t session_ttl = 0;  // seconds a session lives without one
  core::Endpoint observed;        // the socket's public address, as the tracker sees it
  bool relay = false;             // the tracker relays pairs that cannot punch
};
struct Offer {
  std::uint32_t transaction_id = 0;  // the connect's; 0 when sent to the target unasked
  std::uint64_t attempt = 0;
  Role role = Role::requester;  // of the receiver
  bool relay = false;
  Token token{};
  core::TopicId topic;
  core::Endpoint peer;           // the other side's public address
  core::RecordId peer_id;        // the other side's record
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
using Answer = std::variant<SessionAnswer, Offer, Sync, Relayed, udp::ErrorResponse>;

// Each writes into `out` and returns the size (0 if `out` is too small).
std::size_t encode_answer(const Answer& a, std::span<std::uint8_t> out);
// A forwarded datagram straight from the relay request it came in as; at
// most the request's size less 24 bytes.
std::size_t encode_relayed(const RelayRequest& from, std::span<std::uint8_t> out);

core::Result<Answer, udp::ResponseError> parse_answer(std::span<const std::uint8_t> packet);

// --- peer to peer ---

enum class PeerType : std::uint8_t { probe = 1, ack = 2, data = 3 };
struct PeerMessage {
  PeerType type = PeerType::probe;
  Role sender = Role::requester;
  std::uint64_t attempt = 0;
  std::uint16_t seq = 0;
  std::span<const std::uint8_t> payload;  // data only; into the packet
};

// BLAKE2b-256 keyed with the token over "cairn punch v1" and, for sealed
// records, the key derived from the shared secret (32 bytes): then the
// tracker, which knows the token, cannot forge a probe.
using PeerKey = std::array<std::uint8_t, 32>;
PeerKey peer_key(const Token& token, std::span<const std::uint8_t> secret_key = {});

// "CRNP" type(1) sender(1) attempt(8) seq(2) [payload] MAC(16): a BLAKE2b-128
// keyed with the peer key over the bytes before it.
inline constexpr std::size_t kPeerOverhead = 4 + 1 + 1 + 8 + 2 + 16;
std::size_t encode_peer_message(const PeerMessage& m, const PeerKey& key,
                                std::span<std::uint8_t> out);
// nullopt unless the packet is a peer message under `key`.
std::optional<PeerMessage> parse_peer_message(std::span<const std::uint8_t> packet,
                                              const PeerKey& key);

}  // namespace cairn::codec::punch
