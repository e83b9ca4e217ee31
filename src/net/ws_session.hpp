#pragma once
// One WebSocket connection of the WebTorrent tracker, whatever carries its
// bytes (the plain HTTP listener's socket, or TLS): frames in, messages
// answered, offers and answers relayed through the worker's hub, pings
// sent on silence, and, when it closes, `stopped` for every torrent it
// joined. The transport feeds it bytes and writes what it appends to `out`;
// frames relayed to it by others come through its WsSink.
//
// A connection holds at most one peer id per torrent, and up to
// ws.max_torrents_per_connection torrents (the JS client shares one socket
// per tracker URL for all its torrents). Errors carry a fixed failure
// reason with the action and info hash when known; the connection stays
// open after them, as the JS client expects, but not after a frame that
// breaks RFC 6455 or exceeds a size limit (closed with its close code).
#include <cstdint>
#include <span>
#include <string>

#include "codec/websocket_frame.hpp"
#include "codec/ws_tracker.hpp"
#include "core/endpoint.hpp"
#include "core/time.hpp"
#include "net/worker_state.hpp"
#include "net/ws_hub.hpp"
#include "tracker/signaling.hpp"
#include "tracker/tracker.hpp"

namespace cairn::net {

struct WsLimits {
  codec::ws::FrameLimits frame;        // ws.max_frame, ws.max_message
  std::size_t max_queue = 256 * 1024;  // ws.max_queue: bytes waiting for a slow reader
  core::Seconds send_timeout = 30;     // ws.send_timeout: a queue stuck this long closes
  core::Seconds ping_interval = 60;    // ws.ping_interval: silence before a ping
  core::Seconds idle_timeout = 150;    // ws.idle_timeout: silence before closing
  std::size_t max_torrents_per_connection = 100;
  std::uint32_t announce_interval = 120;  // ws.announce_interval, sent in replies
};

// What every WebSocket connection of the process shares.
struct WsShared {
  tracker::Tracker& tracker;  // counts (with the store's peers) and the memory cap
  tracker::SignalingSwarms& swarms;
  WsLimits limits;
};

// What one worker's connections share: the worker's state, its hub, and
// scratch space reused for every message.
struct WsWorker {
  WorkerState& state;
  WsHub& hub;
  codec::ws::RequestParser parser;
  codec::ws::Request request;
  std::vector<tracker::OfferTarget> targets;
  std::vector<core::OfferId> offer_ids;
  std::string message;  // one encoded message
  std::string frame;    // one framed message
  WsWorker(WorkerState& s, WsHub& h) : state(s), hub(h) {}
};

class WsSession {
 public:
  // `client` is the address rate limits apply to.
  WsSession(const WsShared& shared, WsWorker& worker, const core::Address& client,
            core::Seconds now);
  ~WsSession();
  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  // Registers with the worker's hub, so others can relay to `sink`.
  void attach(WsSink& sink);

  // Reads every event in buffer[0..size) (unmasking in place), appends
  // what it answers to `out` and returns the bytes used; the rest is the
  // start of a frame to keep. After it, closing() may be true: write `out`,
  // then close.
  std::size_t on_bytes(std::span<char> buffer, core::Seconds now, core::Millis now_ms,
                       std::string& out);
  // Once a second: appends a ping after ws.ping_interval of silence;
  // false when the connection has been silent past ws.idle_timeout.
  bool tick(core::Seconds now, std::string& out);
  bool closing() const { return closing_; }
  // Leaves every swarm joined (a closed connection is `stopped`) and the hub.
  void close();

 private:
  void on_message(std::string_view text, core::Seconds now, core::Millis now_ms, std::string& out);
  void announce(const codec::ws::AnnounceIn& a, core::Seconds now, std::string& out);
  void answer(const codec::ws::AnswerIn& a, core::Seconds now, std::string& out);
  void scrape(const codec::ws::ScrapeIn& s, std::string& out);
  void refuse(std::optional<codec::ws::Action> action,
              const std::optional<core::InfoHash>& info_hash, std::string_view reason,
              std::string& out);
  void reply(std::string_view message, std::string& out);
  void relay(const tracker::ConnectionRef& to, std::string_view message);

  const WsShared& shared_;
  WsWorker& worker_;
  core::Address client_;
  codec::ws::MessageState frames_;
  tracker::JoinedTorrents joined_;
  tracker::ConnectionRef self_;
  bool attached_ = false;
  bool closing_ = false;
  bool ping_sent_ = false;
  core::Seconds last_heard_;
};

}  // namespace cairn::net
