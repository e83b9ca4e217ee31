#pragma once
// The WebSocket tracker (WebTorrent signaling, docs/protocols.md): one
// connection taken over from HTTP after its Upgrade (ws_upgrade.hpp), as a
// frontend::ConnectionHandler. Frames in (codec::ws), messages answered,
// offers and answers relayed to other connections through the worker's
// ConnectionRouter, pings sent on silence, and, when it closes, `stopped`
// for every torrent it joined. The listener carries the bytes (plain or
// TLS) and enforces the ConnectionLimits (queue cap, send and idle
// timeouts) that upgrade() chose from WsLimits.
//
// A connection holds at most one peer id per torrent, and up to
// ws.max_torrents_per_connection torrents (the JS client shares one socket
// per tracker URL for all its torrents). Errors carry a fixed failure
// reason with the action and info hash when known; the connection stays
// open after them, as the JS client expects, but not after a frame that
// breaks RFC 6455 or exceeds a size limit (closed with its close code).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "codec/websocket_frame.hpp"
#include "codec/ws_tracker.hpp"
#include "core/endpoint.hpp"
#include "core/time.hpp"
#include "frontend/connection.hpp"
#include "frontend/full_scrape.hpp"
#include "tracker/remote_signaling.hpp"
#include "tracker/request_context.hpp"
#include "tracker/signaling.hpp"
#include "tracker/tracker.hpp"
#include "tracker/worker_state.hpp"

namespace cairn::frontend {

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
  FullScrape* full_scrape = nullptr;  // a scrape naming no hash; null: refused
  // Peers on other nodes of a shared Redis Cluster; null: this node's only.
  tracker::RemoteSignaling* remote = nullptr;
};

// Scratch space one worker's connections reuse for every message, so an
// idle connection holds none of it.
struct WsScratch {
  codec::ws::RequestParser parser;
  codec::ws::Request request;
  std::vector<tracker::OfferTarget> targets;
  std::vector<core::OfferId> offer_ids;
  std::vector<tracker::RemotePeer> remote_peers;
  std::vector<tracker::RemoteOffer> remote_offers;  // strings keep their room between announces
  std::string message;                              // one encoded message
  std::string frame;                                // one framed message
};

class WsConnection final : public ConnectionHandler {
 public:
  // `client` is the address rate limits apply to; `state` and `scratch`
  // are the worker's that owns the connection.
  WsConnection(const WsShared& shared, WsScratch& scratch, tracker::WorkerState& state,
               const core::Endpoint& source, const core::Address& client, core::Seconds now);
  ~WsConnection() override;
  WsConnection(const WsConnection&) = delete;
  WsConnection& operator=(const WsConnection&) = delete;

  void on_open(ConnectionSink& self, core::Seconds now, std::string& out) override;
  // Reads every whole frame (unmasking in place) and answers it.
  InputResult on_input(std::span<char> bytes, core::Seconds now, core::Millis now_ms,
                       std::string& out) override;
  // A ping after ws.ping_interval of silence (the listener closes the
  // connection at ws.idle_timeout).
  After on_tick(core::Seconds now, std::string& out) override;
  // A close frame: "going away".
  void on_shutdown(std::string& out) override;
  // Leaves every swarm joined: a closed connection is `stopped`.
  void on_closed(CloseReason why) override;

 private:
  void on_message(std::string_view text, const tracker::RequestContext& ctx, std::string& out);
  void announce(const codec::ws::AnnounceIn& a, const tracker::RequestContext& ctx,
                std::string& out);
  void answer(const codec::ws::AnswerIn& a, core::Seconds now, std::string& out);
  void scrape(const codec::ws::ScrapeIn& s, const tracker::RequestContext& ctx, std::string& out);
  void full_scrape(const tracker::RequestContext& ctx, std::string& out);
  void refuse(std::optional<codec::ws::Action> action,
              const std::optional<core::InfoHash>& info_hash, std::string_view reason,
              std::string& out);
  void reply(std::string_view message, std::string& out);
  void relay(const tracker::ConnectionId& to, std::string_view message);
  // The offers the local swarm had no peer for go to peers on other nodes.
  void offer_remotely(const codec::ws::AnnounceIn& a, std::size_t sent);
  void leave_all();

  const WsShared& shared_;
  WsScratch& scratch_;
  tracker::WorkerState& state_;
  core::Endpoint source_;
  core::Address client_;
  codec::ws::MessageState frames_;
  tracker::JoinedTorrents joined_;
  tracker::ConnectionId self_;
  bool closing_ = false;
  bool ping_sent_ = false;
  core::Seconds last_heard_;
};

}  // namespace cairn::frontend
