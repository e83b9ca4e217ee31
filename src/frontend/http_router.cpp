#include "frontend/http_router.hpp"

#include <algorithm>
#include <optional>

#include "codec/http_response.hpp"
#include "tracker/admission.hpp"

namespace cairn::frontend {

namespace {

constexpr std::string_view kContentType = "text/plain";
constexpr std::string_view kRateLimited = "rate limit exceeded";
constexpr std::string_view kGetOrHead = "GET, HEAD";

// An address, or an address with a port (some proxies add the client's
// port: "203.0.113.5:41000", "[2001:db8::5]:41000").
std::optional<core::Address> forwarded_address(std::string_view entry) {
  while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t')) entry.remove_prefix(1);
  while (!entry.empty() && (entry.back() == ' ' || entry.back() == '\t')) entry.remove_suffix(1);
  if (auto a = core::Address::parse(entry)) return a;
  if (auto e = core::Endpoint::parse(entry)) return e->address;
  return std::nullopt;
}

// The rightmost entry of X-Forwarded-For is the one our trusted proxy added.
std::optional<core::Address> last_forwarded(std::string_view header) {
  auto comma = header.rfind(',');
  return forwarded_address(comma == std::string_view::npos ? header : header.substr(comma + 1));
}

std::string_view forwarded_error(HttpRouter::Forwarded f) {
  return f == HttpRouter::Forwarded::bad_x_real_ip
             ? "bad X-Real-IP header from a trusted proxy: expected an IP address"
             : "bad X-Forwarded-For header from a trusted proxy: expected an IP address";
}

}  // namespace

void HttpRouter::add(const HttpRoute& route) {
  routes_.push_back(route);
  // "a", "a and b", "a, b, and c".
  std::vector<std::string_view> served;
  for (const auto& r : routes_)
    if (!r.served.empty()) served.push_back(r.served);
  not_found_ = "not found: this tracker serves ";
  for (std::size_t i = 0; i < served.size(); ++i) {
    if (i > 0) not_found_ += served.size() > 2 ? ", " : " ";
    if (i > 0 && i + 1 == served.size()) not_found_ += "and ";
    not_found_ += served[i];
  }
}

const HttpRoute* HttpRouter::route_of(std::string_view path) const {
  for (const auto& r : routes_)
    if (r.takes(path)) return &r;
  return nullptr;
}

const UpgradeHandler* HttpRouter::upgrade_for(const codec::HttpRequest& request) const {
  if (!request.connection_upgrade) return nullptr;  // every plain request: one branch
  for (const auto& u : upgrades_)
    if (asks_upgrade_to(request, u.protocol)) return u.handler;
  return nullptr;
}

HttpRouter::Forwarded HttpRouter::client_address(const codec::HttpRequest& request,
                                                 const core::Address& peer,
                                                 core::Address& client) const {
  client = peer;
  // Without either header (every request that comes straight from its
  // client) there is nothing to read, from a trusted proxy or not.
  if (request.x_forwarded_for.empty() && request.x_real_ip.empty()) return Forwarded::ok;
  bool trusted = std::any_of(trusted_proxies_.begin(), trusted_proxies_.end(),
                             [&](const core::Network& n) { return n.contains(peer); });
  if (!trusted) return Forwarded::ok;
  // A header that names no address is refused, not read as the proxy's own
  // address: that would put every such client behind one (often trusted,
  // never rate-limited) address.
  if (!request.x_forwarded_for.empty()) {
    auto a = last_forwarded(request.x_forwarded_for);
    if (!a) return Forwarded::bad_x_forwarded_for;
    client = *a;
  } else if (!request.x_real_ip.empty()) {
    auto a = forwarded_address(request.x_real_ip);
    if (!a) return Forwarded::bad_x_real_ip;
    client = *a;
  }
  return Forwarded::ok;
}

HttpResult HttpRouter::handle(const codec::HttpRequest& request, const tracker::RequestContext& ctx,
                              std::string& out) const {
  auto& counters = ctx.state.counters;
  tracker::bump(counters.http.requests);
  const HttpRoute* route = route_of(request.path);
  if (route && route->limit == HttpRoute::Limit::unlimited && route->allows(request.method)) {
    route->handler->handle(request, ctx.source.address, ctx, out);
    return HttpResult::keep_open_if(request.keep_alive);
  }
  // The router's own answers (the handler writes the rest) are built only
  // on their paths: an announce does not pay for a response it never sends.
  const auto answer = [&](int status, std::string_view body) {
    auto response = codec::HttpResponse::to(request, status, kContentType);
    response.body = body;
    return response;
  };
  core::Address client;
  if (auto f = client_address(request, ctx.source.address, client); f != Forwarded::ok) {
    tracker::bump(counters.http.bad_forwarded);
    codec::write_http_response(out, answer(400, forwarded_error(f)));
    return HttpResult::keep_open_if(request.keep_alive);
  }
  const UpgradeHandler* upgrade = upgrade_for(request);
  if (!tracker::admit(client, ctx, counters.http.rate_limited)) {
    const std::uint32_t retry = tracker::retry_after(client, ctx);
    if (route && !upgrade) {
      route->handler->write_rate_limited(request, retry, ctx.state, out);
      return HttpResult::keep_open_if(request.keep_alive);
    }
    auto response = answer(429, kRateLimited);
    response.retry_after = retry;
    codec::write_http_response(out, response);
    return HttpResult::keep_open_if(response.keep_alive);
  }
  if (upgrade) return upgrade->upgrade(request, client, ctx, out);
  if (!route) {
    codec::write_http_response(out, answer(404, not_found_));
    return HttpResult::keep_open_if(request.keep_alive);
  }
  if (!route->allows(request.method)) {
    // BitTorrent clients only GET; anything else is answered and closed, as
    // a method Cairn does not know at all is.
    auto response = answer(405, codec::http_reason(405));
    response.allow = kGetOrHead;
    response.keep_alive = false;
    codec::write_http_response(out, response);
    return HttpResult::keep_open_if(false);
  }
  route->handler->handle(request, client, ctx, out);
  return HttpResult::keep_open_if(request.keep_alive);
}

void HttpRouter::write_parse_error(const codec::HttpParse& parse, tracker::WorkerState& state,
                                   std::string& out) const {
  const HttpRoute* route = route_of(parse.request.path);
  if (parse.error_status == 414 && route && route->allows(parse.request.method) &&
      route->handler->write_too_long(parse.request, state, out))
    return;
  codec::HttpResponse response;  // HEAD or not, a request that did not parse gets a body
  response.status = parse.error_status;
  response.content_type = kContentType;
  response.body = codec::http_reason(parse.error_status);
  response.keep_alive = false;
  codec::write_http_response(out, response);
}

}  // namespace cairn::frontend
