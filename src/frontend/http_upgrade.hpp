#pragma once
// What an HTTP handler decides about the connection a request came on:
// keep it open, close it after the reply, or hand it to another protocol
// (an HTTP/1.1 Upgrade, RFC 9110 7.8). The decision is the pure handler's;
// the listener only carries it out (frontend/connection.hpp).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "codec/http_request.hpp"
#include "core/endpoint.hpp"
#include "frontend/connection.hpp"
#include "tracker/request_context.hpp"

namespace cairn::frontend {

struct HttpResult {
  enum class Next : std::uint8_t { keep_open, close, take_over };
  Next next = Next::keep_open;
  // take_over only: the protocol that gets the connection, and its bounds.
  std::unique_ptr<ConnectionHandler> handler;
  ConnectionLimits limits;

  static HttpResult keep_open_if(bool keep) {
    HttpResult r;
    r.next = keep ? Next::keep_open : Next::close;
    return r;
  }
  static HttpResult take_over(std::unique_ptr<ConnectionHandler> h, ConnectionLimits l) {
    HttpResult r;
    r.next = Next::take_over;
    r.handler = std::move(h);
    r.limits = l;
    return r;
  }
};

// A protocol reached by an Upgrade, registered with HttpRouter::add_upgrade
// under its token (server/frontends.cpp). Shared by every worker: const,
// state goes in the handlers it makes; the worker's ConnectionRouter, for
// writing to connections later, is ctx.state.connections.
class UpgradeHandler {
 public:
  UpgradeHandler() = default;
  UpgradeHandler(const UpgradeHandler&) = delete;
  UpgradeHandler& operator=(const UpgradeHandler&) = delete;
  virtual ~UpgradeHandler() = default;
  // `request` asked for this protocol, on any path (the handler refuses
  // those it does not serve), and was admitted (tracker/admission.hpp).
  // `client` as for HttpHandler::handle. Appends the reply to `out`: a 101
  // with the handshake and take_over, or a refusal and keep_open or close.
  virtual HttpResult upgrade(const codec::HttpRequest& request, const core::Address& client,
                             const tracker::RequestContext& ctx, std::string& out) const = 0;
};

namespace detail {
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}
}  // namespace detail

// Whether an HTTP/1.1 request asks to switch to `protocol`: "Connection:
// upgrade" and `protocol` among the Upgrade header's products (compared
// without case or version: "WebSocket", "websocket/13").
inline bool asks_upgrade_to(const codec::HttpRequest& r, std::string_view protocol) {
  if (!r.connection_upgrade || r.version_minor != 1) return false;
  std::string_view list = r.upgrade;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view product = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    product = product.substr(0, product.find('/'));
    while (!product.empty() && (product.front() == ' ' || product.front() == '\t'))
      product.remove_prefix(1);
    while (!product.empty() && (product.back() == ' ' || product.back() == '\t'))
      product.remove_suffix(1);
    if (detail::iequals(product, protocol)) return true;
  }
  return false;
}

}  // namespace cairn::frontend
