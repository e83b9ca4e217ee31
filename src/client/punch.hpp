#pragma once
// Hole punching, the client side (docs/rendezvous.md, "Hole punching"): a
// UDP socket kept punchable at one tracker for one record, and "give me a
// direct UDP path to this peer".
//
//   auto socket = client::PunchSocket::open(url);          // an unconnected UDP socket
//   socket->keep(topic, my_record_id);                      // the session (register the record
//   first) auto path = socket->open_path(peer_record_id, options); // the peer's record, from a
//   look-up path->send(bytes); path->receive(timeout);              // authenticated datagrams,
//   direct
//
// The path owns the socket it returns: connected to the peer's public
// address (or, relayed, to the tracker). Blocking, with deadlines; one
// thread uses a PunchSocket at a time.
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "client/error.hpp"
#include "client/tracker_url.hpp"
#include "client/transport.hpp"  // Millis
#include "codec/punch.hpp"
#include "core/endpoint.hpp"
#include "core/ids.hpp"
#include "core/record_id.hpp"

namespace cairn::client {

struct PunchOptions {
  Millis timeout{15000};      // for the whole of open_path / accept_path
  int attempts = 3;           // each: connect, ready, sync, a probe window
  Millis probe_window{2000};  // per attempt, from the sync
  Millis probe_interval{20};  // between rounds of probes
  // Besides the peer's observed port, probe the next few (every fifth
  // round): a NAT that maps per destination but hands out ports in order
  // gives the path to us one of those.
  int predicted_ports = 4;
  bool relay = true;  // fall back to the tracker's relay when it offers one
  // Sealed records: the key derived from the shared secret, mixed into the
  // probes' key so the tracker, which knows the token, cannot forge them.
  std::optional<std::array<std::uint8_t, 32>> secret_key;
};

// How a path came about, for the caller and docs/benchmarks.md.
struct PathStats {
  Millis elapsed{0};  // from the first connect (or the offer) to the path
  int attempts = 0;
  Millis rtt{0};  // to the tracker, as it measured
  int probes_sent = 0;
};

class DirectPath {
 public:
  DirectPath(int fd, core::Endpoint peer, std::optional<core::Endpoint> relay_via,
             codec::punch::Offer offer, codec::punch::PeerKey key, PathStats stats,
             std::deque<std::vector<std::uint8_t>> inbox, std::uint64_t connection_id);
  ~DirectPath();
  DirectPath(DirectPath&& other) noexcept;
  DirectPath& operator=(DirectPath&&) = delete;
  DirectPath(const DirectPath&) = delete;

  int fd() const { return fd_; }
  const core::Endpoint& peer() const { return peer_; }  // its public address
  bool relayed() const { return relay_.has_value(); }
  const std::optional<core::Endpoint>& relay() const { return relay_; }  // the tracker
  const PathStats& stats() const { return stats_; }

  // One authenticated datagram to the peer (at most kMaxPayload bytes).
  Result<void> send(std::span<const std::uint8_t> payload);
  // The next authenticated datagram from the peer within `timeout`, or
  // nullopt. Answers the peer's late probes meanwhile.
  Result<std::optional<std::vector<std::uint8_t>>> receive(Millis timeout);

 private:
  Result<void> send_raw(std::span<const std::uint8_t> packet);
  std::optional<std::vector<std::uint8_t>> take(std::span<const std::uint8_t> packet);

  int fd_;
  core::Endpoint peer_;
  std::optional<core::Endpoint> relay_;
  codec::punch::Offer offer_;
  codec::punch::PeerKey key_;
  PathStats stats_;
  std::deque<std::vector<std::uint8_t>> inbox_;
  std::uint64_t connection_id_;
  std::uint16_t seq_ = 0;
};

class PunchSocket {
 public:
  // A UDP socket of the tracker's address family, bound to an ephemeral port.
  static Result<std::unique_ptr<PunchSocket>> open(const TrackerUrl& url, Millis timeout);
  ~PunchSocket();
  PunchSocket(const PunchSocket&) = delete;
  PunchSocket& operator=(const PunchSocket&) = delete;

  // Opens or refreshes the session for a record this host registered.
  Result<codec::punch::SessionAnswer> keep(const core::TopicId& topic, const core::RecordId& id);
  // Keeps the session alive for up to `wait` (a keep-alive when one is
  // due); returns early, true, once an offer someone else started waits.
  Result<bool> service(Millis wait);
  // The session's public endpoint, once keep() succeeded.
  const std::optional<core::Endpoint>& observed() const;
  // Ends the session at the tracker (best effort).
  void close_session();

  // A path to the peer that keeps a session for `peer` under our topic.
  // Both sides may call it for each other: they meet in one attempt.
  Result<DirectPath> open_path(const core::RecordId& peer, const PunchOptions& options);
  // A path to whoever connects to us next.
  Result<DirectPath> accept_path(const PunchOptions& options);

  struct Impl;

 private:
  explicit PunchSocket(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::client
