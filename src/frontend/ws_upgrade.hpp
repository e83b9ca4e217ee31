#pragma once
// The HTTP side of the WebSocket tracker: a request that asks to upgrade
// to "websocket" (registered with HttpRouter::add_upgrade in
// server/frontends.cpp) on `/` or `/announce` (the JS client appends
// nothing to the tracker URL, others use /announce) gets the RFC 6455
// handshake and its connection becomes a WsConnection; a bad handshake is
// refused (400 or 426) and another path gets a 404, both closing.
#include <cstddef>
#include <memory>
#include <vector>

#include "frontend/full_scrape.hpp"
#include "frontend/http_upgrade.hpp"
#include "frontend/ws_connection.hpp"

namespace cairn::frontend {

class WsUpgrade final : public UpgradeHandler {
 public:
  // `workers`: how many workers serve (ConnectionRouter::worker() below
  // it), each with scratch space of its own.
  // `full_scrape`: null when tracker.full_scrape is off. `remote`: peers on
  // other nodes (a Redis Cluster store), or null.
  WsUpgrade(tracker::Tracker& tracker, tracker::SignalingSwarms& swarms, const WsLimits& limits,
            std::size_t workers, FullScrape* full_scrape = nullptr,
            tracker::RemoteSignaling* remote = nullptr);

  HttpResult upgrade(const codec::HttpRequest& request, const core::Address& client,
                     const tracker::RequestContext& ctx, std::string& out) const override;

  // What the listener enforces for each connection (frontend/connection.hpp).
  ConnectionLimits connection_limits() const;

 private:
  WsShared shared_;
  // One per worker, touched only by that worker's thread.
  std::vector<std::unique_ptr<WsScratch>> scratch_;
};

}  // namespace cairn::frontend
