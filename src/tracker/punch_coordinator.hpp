#pragma once
// Coordinated UDP hole punching (docs/rendezvous.md, "Hole punching"): the
// tracker's side, whichever worker a packet reached. Pure: time comes in as
// `now` (milliseconds, fine-grained: the coarse clock's 250 ms steps are too
// coarse for round-trip times), secrets at construction; the frontend sends
// what each call returns. Thread-safe: one mutex, held for a few map
// operations per call (punching is rare next to announces).
//
// A session is a record's punchable presence: the socket that keeps it
// (its public endpoint, as observed) and when it last sent a keep-alive.
// A connect between two live sessions starts an attempt: each side gets an
// offer with the other's endpoint and the token; each answers ready; the
// tracker measures both round trips from offer to ready and then tells
// both when to probe (sync), the one nearer the tracker after a delay of
// half the difference of the round trips, so both start together (DCUtR's
// RTT/2 rule, with the tracker in the middle).
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <variant>

#include "core/endpoint.hpp"
#include "core/punch.hpp"
#include "core/time.hpp"
#include "tracker/access_list.hpp"
#include "tracker/punch_token.hpp"
#include "tracker/rendezvous.hpp"

namespace cairn::tracker {

struct PunchPolicy {
  bool enabled = true;
  core::Seconds keepalive = 15;    // told to clients; well under NATs' 30 s
  core::Seconds session_ttl = 45;  // a session without a keep-alive for this long ends
  std::uint32_t max_sessions = 100'000;
  core::Seconds token_ttl = 60;        // an attempt, its token and its relay live this long
  core::Millis target_timeout = 2000;  // for a side to answer its offer
  std::uint32_t session_attempts_per_minute = 10;
  std::uint32_t address_attempts_per_minute = 30;  // IPv6: per /64
  std::uint32_t pending_per_target = 4;            // attempts not yet synced
  bool relay = false;
  std::uint64_t relay_bytes_per_pair = 1 << 20;  // over the attempt's life, both ways
  std::uint32_t relay_rate_per_pair = 64 << 10;  // bytes per second, both ways
};

enum class PunchError : std::uint8_t {
  no_session = 1,     // the requester keeps no session from this socket
  not_found,          // no live session for the record (gone, or never punchable)
  not_owner,          // a session for a record another address registered
  topic_not_allowed,  // rendezvous.access
  self,               // connecting to one's own session
  family_mismatch,    // IPv4 and IPv6 sessions cannot punch
  busy,               // the target has pending_per_target attempts already
  too_many_attempts,  // per session or per address, per minute
  refused,            // the target said no
  not_responding,     // the other side did not answer its offer in time
  unknown_attempt,    // expired, or not one of this endpoint's attempts
  relay_unavailable,  // nat.relay is off, or the attempt is not synced yet
  relay_exhausted,    // the pair used relay_bytes_per_pair
  tracker_full,       // max_sessions
};

// The stable code ("not_found", ...) sent in a BEP 15 error packet.
std::string_view error_code(PunchError e);

// What happened, for the frontend's counters.
enum class PunchEvent : std::uint8_t {
  none,
  session_opened,
  session_refreshed,
  session_closed,
  attempt_started,
  synced,
  relayed,
  relay_dropped,  // over the rate: dropped unanswered
  refused,        // answered with an error
};

// A request refused: the frontend answers with error_code(error) the way
// its protocol carries errors (a BEP 15 error packet).
struct PunchRefusal {
  std::uint32_t transaction_id = 0;
  PunchError error = PunchError::not_found;
};

using PunchAnswer = std::variant<core::punch::SessionAnswer, core::punch::Offer, core::punch::Sync,
                                 core::punch::Relayed, PunchRefusal>;

// A datagram for the frontend to send to `to` (not the sender).
struct PunchSend {
  core::Endpoint to;
  PunchAnswer answer;  // a Relayed answer points into the request
};

struct PunchOutcome {
  std::optional<PunchAnswer> reply;  // to the sender; none: silence
  std::optional<PunchSend> other;    // to the other side of an attempt
  PunchEvent event = PunchEvent::none;
};

struct PunchStats {
  std::uint64_t sessions = 0, attempts = 0;
};

class PunchCoordinator {
 public:
  PunchCoordinator(const PunchPolicy& policy, const Rendezvous& rendezvous,
                   const PunchSecrets& secrets);
  ~PunchCoordinator();

  PunchOutcome session(const core::punch::SessionRequest& r, const core::Endpoint& from,
                       core::Millis now, AccessView& access);
  PunchOutcome connect(const core::punch::ConnectRequest& r, const core::Endpoint& from,
                       core::Millis now, AccessView& access);
  PunchOutcome ready(const core::punch::ReadyRequest& r, const core::Endpoint& from,
                     core::Millis now);
  PunchOutcome relay(const core::punch::RelayRequest& r, const core::Endpoint& from,
                     core::Millis now);

  // Drops sessions, attempts and rate windows whose time has passed
  // (housekeeping calls it; lookups also treat them as gone meanwhile).
  void expire(core::Millis now);

  PunchStats stats() const;
  const PunchPolicy& policy() const { return policy_; }

 private:
  struct State;
  PunchPolicy policy_;
  const Rendezvous& rendezvous_;
  PunchSecrets secrets_;
  mutable std::mutex mutex_;
  std::unique_ptr<State> state_;
};

}  // namespace cairn::tracker
