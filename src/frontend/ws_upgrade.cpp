#include "frontend/ws_upgrade.hpp"

#include <algorithm>

#include "codec/http_response.hpp"

namespace cairn::frontend {

namespace {

bool websocket_path(std::string_view path) { return path == "/" || path == "/announce"; }

// A whole frame's header (at most 14 bytes) and payload.
constexpr std::size_t kFrameHeader = 14;

}  // namespace

WsUpgrade::WsUpgrade(tracker::Tracker& tracker, tracker::SignalingSwarms& swarms,
                     const WsLimits& limits, std::size_t workers, FullScrape* full_scrape,
                     tracker::RemoteSignaling* remote)
    : shared_{tracker, swarms, limits, full_scrape, remote} {
  for (std::size_t i = 0; i < std::max<std::size_t>(workers, 1); ++i)
    scratch_.push_back(std::make_unique<WsScratch>());
}

ConnectionLimits WsUpgrade::connection_limits() const {
  const auto& l = shared_.limits;
  ConnectionLimits c;
  c.max_input = l.frame.max_frame + kFrameHeader;
  c.max_out = l.max_queue;
  c.send_timeout = l.send_timeout;
  c.idle_timeout = l.idle_timeout;
  return c;
}

HttpResult WsUpgrade::upgrade(const codec::HttpRequest& request, const core::Address& client,
                              const tracker::RequestContext& ctx, std::string& out) const {
  if (!websocket_path(request.path)) {
    auto response = codec::HttpResponse::to(request, 404, "text/plain");
    response.body = "the WebSocket tracker is on / and /announce";
    response.keep_alive = false;
    codec::write_http_response(out, response);
    return HttpResult::keep_open_if(false);
  }
  auto accept = codec::ws::check_upgrade(request);
  if (!accept) {
    tracker::bump(ctx.state.counters.http.bad_requests);
    codec::ws::write_upgrade_refusal(out, accept.error());
    return HttpResult::keep_open_if(false);
  }
  const std::uint32_t worker = ctx.state.connections ? ctx.state.connections->worker() : 0;
  if (worker >= scratch_.size()) {  // more workers than announced: a start-up mistake
    codec::write_http_response(out, 503, "text/plain", "WebSocket tracker not ready", false);
    return HttpResult::keep_open_if(false);
  }
  codec::ws::write_upgrade_response(out, *accept);
  return HttpResult::take_over(std::make_unique<WsConnection>(shared_, *scratch_[worker], ctx.state,
                                                              ctx.source, client, ctx.now),
                               connection_limits());
}

}  // namespace cairn::frontend
