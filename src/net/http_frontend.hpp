#pragma once
// The HTTP tracker frontend: a parsed request in, a complete HTTP response
// out. Routes /announce and /scrape (BEP 3, 7, 23, 48), and /v1/ to the
// rendezvous API (net/rendezvous_http.hpp). No sockets
// here; http_listener feeds it. Client addresses come from the socket, and
// from X-Forwarded-For / X-Real-IP only when the socket's peer is a trusted
// proxy (a header from it that names no address is refused with 400); that
// client address is the one rate-limited. A client over its limit gets the
// failure "rate limit exceeded" on /announce and /scrape (HTTP 200, as BEP 3
// failures are), 429 elsewhere, with Retry-After, and keeps its connection:
// TCP sources cannot be spoofed, and closing would only make it reconnect.
// GET /health answers "ok" to anyone, unlimited. HEAD is answered as GET
// without the body; another method gets 405 with Allow. A request asking to
// upgrade to a registered protocol (add_upgrade) goes to that protocol's
// UpgradeHandler, which may take the connection over.
#include <string>
#include <utility>
#include <vector>

#include "codec/http_request.hpp"
#include "core/endpoint.hpp"
#include "core/time.hpp"
#include "frontend/http_upgrade.hpp"
#include "net/rendezvous_http.hpp"
#include "net/worker_state.hpp"
#include "tracker/tracker.hpp"

namespace cairn::net {

struct HttpOptions {
  std::vector<core::Network> trusted_proxies;
  bool allow_ip_param = false;  // honour the announce's `ip` parameter
};

class HttpFrontend {
 public:
  HttpFrontend(tracker::Tracker& tracker, tracker::Rendezvous& rendezvous, HttpOptions options)
      : tracker_(tracker), options_(std::move(options)), rendezvous_(rendezvous) {}

  // Before serving: requests that ask to upgrade to `protocol` (an Upgrade
  // header token, compared without case) go to `handler`, after the client
  // address is known. It must outlive this frontend.
  void add_upgrade(std::string protocol, const frontend::UpgradeHandler& handler) {
    upgrades_.emplace_back(std::move(protocol), &handler);
  }

  // Appends the response to `out`. Returns whether the connection stays
  // open, closes, or is taken over (only through an upgrade handler).
  // `now` and `now_ms` are one reading of the coarse clock.
  frontend::HttpResult handle(const codec::HttpRequest& request, const core::Endpoint& peer,
                              core::Seconds now, core::Millis now_ms, WorkerState& state,
                              std::string& out) const;

  // The response for a request that failed to parse (always closes).
  void write_parse_error(const codec::HttpParse& parse, WorkerState& state, std::string& out) const;

  // Which forwarding header from a trusted proxy named no address, if any.
  enum class Forwarded : std::uint8_t { ok, bad_x_forwarded_for, bad_x_real_ip };

 private:
  void announce(const codec::HttpRequest& request, const core::Address& client, core::Seconds now,
                WorkerState& state, std::string& body) const;
  void scrape(const codec::HttpRequest& request, WorkerState& state, std::string& body) const;
  const frontend::UpgradeHandler* upgrade_for(const codec::HttpRequest& request) const;
  Forwarded client_address(const codec::HttpRequest& request, const core::Address& peer,
                           core::Address& client) const;

  tracker::Tracker& tracker_;
  HttpOptions options_;
  RendezvousHttp rendezvous_;  // everything under /v1/
  std::vector<std::pair<std::string, const frontend::UpgradeHandler*>> upgrades_;
};

}  // namespace cairn::net
