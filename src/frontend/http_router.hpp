#pragma once
// HTTP routing: a table of routes (http_handler.hpp), exact paths first
// match wins in the order added; the server builds it in one place
// (server/frontends.cpp). For every request, in this order:
// - a route marked unlimited (GET /health) is answered at once, to anyone;
// - the client's address: the socket's, or from X-Forwarded-For / X-Real-IP
//   when the socket's peer is a trusted proxy (a header from it that names
//   no address is refused with 400);
// - the admission step (tracker/admission.hpp): a client over its rate
//   limit gets the route's own refusal (or 429) with Retry-After and keeps
//   its connection: TCP sources cannot be spoofed, and closing would only
//   make it reconnect;
// - a request asking to upgrade (Connection: upgrade) to a protocol
//   registered with add_upgrade: that protocol's UpgradeHandler, whatever
//   the path, which may take the connection over (frontend/connection.hpp);
// - no route: 404 naming what the tracker serves; a method the route does
//   not take: 405 with Allow, and the connection closes;
// - the route's handler.
#include <string>
#include <vector>

#include "codec/http_request.hpp"
#include "frontend/http_handler.hpp"
#include "frontend/http_upgrade.hpp"
#include "tracker/request_context.hpp"

namespace cairn::frontend {

class HttpRouter {
 public:
  // Forwarding headers are read only from these peers.
  explicit HttpRouter(std::vector<core::Network> trusted_proxies)
      : trusted_proxies_(std::move(trusted_proxies)) {}

  // Adds a route after those already added; its handler must outlive this.
  void add(const HttpRoute& route);
  // Requests that ask to upgrade to `protocol` (an Upgrade header token,
  // compared without case: "websocket") go to `handler`, which must
  // outlive this.
  void add_upgrade(std::string_view protocol, const UpgradeHandler& handler) {
    upgrades_.push_back({protocol, &handler});
  }

  // Appends the response to `out`. Returns whether the connection stays
  // open, closes, or is taken over (only by an upgrade handler).
  // ctx.source is the socket's peer.
  HttpResult handle(const codec::HttpRequest& request, const tracker::RequestContext& ctx,
                    std::string& out) const;

  // The response for a request that failed to parse (always closes).
  void write_parse_error(const codec::HttpParse& parse, tracker::WorkerState& state,
                         std::string& out) const;

  // Which forwarding header from a trusted proxy named no address, if any.
  enum class Forwarded : std::uint8_t { ok, bad_x_forwarded_for, bad_x_real_ip };

 private:
  const HttpRoute* route_of(std::string_view path) const;
  const UpgradeHandler* upgrade_for(const codec::HttpRequest& request) const;
  Forwarded client_address(const codec::HttpRequest& request, const core::Address& peer,
                           core::Address& client) const;

  std::vector<core::Network> trusted_proxies_;
  std::vector<HttpRoute> routes_;
  struct Upgrade {
    std::string_view protocol;
    const UpgradeHandler* handler;
  };
  std::vector<Upgrade> upgrades_;
  std::string not_found_;  // the 404's text, from the routes' `served`
};

}  // namespace cairn::frontend
