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

#include "codec/udp_tracker.hpp"  // ParseError, ErrorResponse, ResponseError
#include "core/punch.hpp"
#include "core/result.hpp"

namespace cairn::codec::punch {

// The vocabulary (core/punch.hpp), under the codec's names.
using core::punch::ConnectRequest;
using core::punch::Header;
using core::punch::Offer;
using core::punch::other;
using core::punch::ReadyRequest;
using core::punch::Relayed;
using core::punch::RelayRequest;
using core::punch::Role;
using core::punch::SessionAnswer;
using core::punch::SessionRequest;
using core::punch::Sync;
using core::punch::Token;

enum class Action : std::uint32_t { session = 20, connect = 21, ready = 22, relay = 23 };

// Whether bytes 8..11 hold one of the actions above (the frontend's test,
// like rvudp::is_rendezvous).
bool is_punch(std::span<const std::uint8_t> packet);

// The most payload bytes a relayed datagram or a peer data message carries,
// so either fits 1,280 bytes with its headers.
inline constexpr std::size_t kMaxPayload = 1200;

// --- peer to tracker ---

using Request = std::variant<SessionRequest, ConnectRequest, ReadyRequest, RelayRequest>;

core::Result<Request, udp::ParseError> parse_request(std::span<const std::uint8_t> packet);

std::size_t encode_request(const Request& r, std::span<std::uint8_t> out);

// --- tracker to peer ---

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
