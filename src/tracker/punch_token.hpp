#pragma once
// The secrets behind a hole-punching attempt (docs/rendezvous.md, "Hole
// punching"): its id, unguessable so nobody can name another pair's attempt,
// and its token, a MAC under the tracker's secret over the attempt, both
// observed endpoints and the time it expires. The tracker gives the token
// to exactly those two endpoints, accepts it back only from them (ready,
// relay) and only until it expires, and the peers key their probes with it.
#include <array>
#include <cstdint>

#include "core/endpoint.hpp"
#include "core/punch.hpp"
#include "core/time.hpp"

namespace cairn::tracker {

struct PunchSecrets {
  std::array<std::uint8_t, 32> token_key{};
  std::array<std::uint8_t, 16> id_key{};
  static PunchSecrets random();  // from libsodium, at start
};

// SipHash-2-4 of a counter under id_key: distinct for distinct counters
// (a bijection would be nicer; 64 bits make a repeat within a process
// negligible, and the coordinator skips one that is in use).
std::uint64_t attempt_id(const PunchSecrets& s, std::uint64_t counter);

// BLAKE2b-128 under token_key over attempt (8) | requester | target |
// expires_at (8, ms), each endpoint as family (1), 16 address bytes, port (2).
core::punch::Token punch_token(const PunchSecrets& s, std::uint64_t attempt,
                               const core::Endpoint& requester, const core::Endpoint& target,
                               core::Millis expires_at);

}  // namespace cairn::tracker
