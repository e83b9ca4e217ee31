#pragma once
// PunchSocket's insides (client/punch.hpp), shared by the socket's own
// calls and the attempt engine (punch_engine.cpp): one unconnected UDP
// socket, the tracker's address, the BEP 15 connection id and the session.
#include <sys/socket.h>

#include <chrono>
#include <deque>
#include <optional>
#include <vector>

#include "client/punch.hpp"

namespace cairn::client {

using PunchClock = std::chrono::steady_clock;

struct Datagram {
  core::Endpoint from;
  std::vector<std::uint8_t> bytes;
};

struct PunchSocket::Impl {
  int fd = -1;
  int family = AF_INET;
  TrackerUrl url;
  core::Endpoint tracker;
  Millis timeout{1000};  // per try of an exchange with the tracker
  std::uint64_t connection_id = 0;
  PunchClock::time_point connected_at{};
  std::optional<std::pair<core::TopicId, core::RecordId>> session;
  PunchClock::duration keepalive = std::chrono::seconds(15);
  PunchClock::time_point next_keepalive{};
  std::optional<core::Endpoint> observed;
  std::deque<codec::punch::Offer> offers;  // started by others, not yet taken

  ~Impl();
  Result<void> send_to(const core::Endpoint& to, std::span<const std::uint8_t> bytes) const;
  // The next datagram before `deadline`, or nullopt.
  std::optional<Datagram> receive(PunchClock::time_point deadline) const;
  // A BEP 15 connection id no older than a minute (connects if needed).
  Result<void> ensure_connection_id();
  // Sends a request built for the current connection id and waits for the
  // answer with its transaction id; anything else that arrives goes to
  // note(). Reconnects once on "invalid connection id".
  Result<codec::punch::Answer> exchange(const codec::punch::Request& request);
  // Handles what arrives outside an attempt: session answers, offers.
  void note(const Datagram& d);
  // Sends a keep-alive if one is due (its answer comes to note()).
  void keepalive_if_due();
  codec::punch::Header header(std::uint32_t txid) const { return {connection_id, txid}; }
};

std::uint32_t random_txid();

// The engine behind open_path and accept_path (punch_engine.cpp): `want`
// is the peer's record, or nullopt to take the first offer.
Result<DirectPath> run_attempts(PunchSocket::Impl& s, std::optional<core::RecordId> want,
                                const PunchOptions& options);

}  // namespace cairn::client
