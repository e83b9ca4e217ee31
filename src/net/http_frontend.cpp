#include "net/http_frontend.hpp"

#include <algorithm>

#include "codec/http_response.hpp"
#include "codec/http_tracker.hpp"

namespace cairn::net {

namespace {

constexpr std::string_view kContentType = "text/plain";
constexpr std::string_view kRateLimited = "rate limit exceeded";
constexpr std::string_view kGetOrHead = "GET, HEAD";
constexpr std::string_view kNotFound =
    "not found: this tracker serves /announce and /scrape (BitTorrent), /health, and the "
    "rendezvous API under /v1/";

enum class Route : std::uint8_t { announce, scrape, health, rendezvous, none };

Route route_of(std::string_view path) {
  if (path == "/announce") return Route::announce;
  if (path == "/scrape") return Route::scrape;
  if (path == "/health") return Route::health;
  if (RendezvousHttp::owns(path)) return Route::rendezvous;
  return Route::none;
}

void count_error(tracker::TrackerError e, Counters& counters) {
  Counters::bump(e == tracker::TrackerError::torrent_not_allowed ? counters.torrents_refused
                                                                 : counters.tracker_full);
}

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

std::string_view forwarded_error(HttpFrontend::Forwarded f) {
  return f == HttpFrontend::Forwarded::bad_x_real_ip
             ? "bad X-Real-IP header from a trusted proxy: expected an IP address"
             : "bad X-Forwarded-For header from a trusted proxy: expected an IP address";
}

// Whole seconds until the client's next request is taken, at least one.
std::uint32_t retry_after(const WorkerState& state, const core::Address& client,
                          core::Millis now_ms) {
  const core::Millis wait = state.limiter.wait(client, now_ms);
  return static_cast<std::uint32_t>(std::clamp<core::Millis>((wait + 999) / 1000, 1, 3600));
}

}  // namespace

HttpFrontend::Forwarded HttpFrontend::client_address(const codec::HttpRequest& request,
                                                     const core::Address& peer,
                                                     core::Address& client) const {
  client = peer;
  bool trusted = std::any_of(options_.trusted_proxies.begin(), options_.trusted_proxies.end(),
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

void HttpFrontend::announce(const codec::HttpRequest& request, const core::Address& client,
                            core::Seconds now, WorkerState& state, std::string& body) const {
  Counters::bump(state.counters.http_announces);
  auto query = codec::parse_announce_query(request.query);
  if (!query) {
    Counters::bump(state.counters.http_bad_requests);
    return codec::encode_failure(codec::failure_text(query.error()), body);
  }
  tracker::AnnounceRequest a;
  a.info_hash = query->info_hash;
  a.peer_id = query->peer_id;
  a.endpoint.address = client;
  if (options_.allow_ip_param && query->ip) a.endpoint.address = *query->ip;
  a.endpoint.port = query->port;
  a.event = query->event;
  a.seeder = query->left_present && query->left == 0;
  a.numwant = query->numwant;
  auto reply = tracker_.announce(a, now, state.rng, state.peers, state.access);
  if (!reply) {
    count_error(reply.error(), state.counters);
    return codec::encode_failure(tracker::error_text(reply.error()), body);
  }
  codec::AnnounceReply r;
  r.interval = reply->interval;
  r.min_interval = reply->min_interval;
  r.complete = reply->counts.seeders;
  r.incomplete = reply->counts.leechers;
  r.peers = state.peers;
  r.compact = query->compact;
  r.no_peer_id = query->no_peer_id;
  codec::encode_announce_reply(r, body);
}

void HttpFrontend::scrape(const codec::HttpRequest& request, WorkerState& state,
                          std::string& body) const {
  Counters::bump(state.counters.http_scrapes);
  auto query = codec::parse_scrape_query(request.query);
  if (!query) {
    Counters::bump(state.counters.http_bad_requests);
    return codec::encode_failure(codec::failure_text(query.error()), body);
  }
  std::array<codec::ScrapeFile, codec::kMaxScrapeHashes> files;
  for (std::size_t i = 0; i < query->count; ++i) {
    // A refused torrent reads as unknown: zeros, like a hash never announced.
    auto c = tracker_.scrape(query->hashes[i], state.access);
    if (!c) count_error(c.error(), state.counters);
    auto counts = c ? *c : store::SwarmCounts{};
    files[i] = {query->hashes[i], counts.seeders, counts.downloaded, counts.leechers};
  }
  codec::encode_scrape_reply(std::span(files.data(), query->count), body);
}

const frontend::UpgradeHandler* HttpFrontend::upgrade_for(const codec::HttpRequest& request) const {
  if (!request.connection_upgrade) return nullptr;
  for (const auto& [protocol, handler] : upgrades_)
    if (frontend::asks_upgrade_to(request, protocol)) return handler;
  return nullptr;
}

frontend::HttpResult HttpFrontend::handle(const codec::HttpRequest& request,
                                          const core::Endpoint& peer, core::Seconds now,
                                          core::Millis now_ms, WorkerState& state,
                                          std::string& out) const {
  using frontend::HttpResult;
  Counters::bump(state.counters.http_requests);
  auto response = codec::HttpResponse::to(request, 200, kContentType);
  const Route route = route_of(request.path);
  // A load balancer's probe: never rate-limited, whoever asks.
  if (route == Route::health && codec::is_get_or_head(request.method)) {
    response.body = "ok";
    codec::write_http_response(out, response);
    return HttpResult::keep_open_if(request.keep_alive);
  }
  core::Address client;
  if (auto f = client_address(request, peer.address, client); f != Forwarded::ok) {
    Counters::bump(state.counters.http_bad_forwarded);
    response.status = 400;
    response.body = forwarded_error(f);
    codec::write_http_response(out, response);
    return HttpResult::keep_open_if(request.keep_alive);
  }
  if (const auto* upgrade = upgrade_for(request))
    return upgrade->upgrade({request, peer, client, now, now_ms}, state, out);
  if (route == Route::rendezvous) {
    if (!state.limiter.allow(client, now_ms)) {
      Counters::bump(state.counters.http_rate_limited);
      RendezvousHttp::write_rate_limited(request, retry_after(state, client, now_ms), out);
      return HttpResult::keep_open_if(request.keep_alive);
    }
    // Behind a trusted proxy the client's port is not known.
    const core::Endpoint observed = client == peer.address ? peer : core::Endpoint{client, 0};
    rendezvous_.handle(request, client, observed, now, state, out);
    return HttpResult::keep_open_if(request.keep_alive);
  }
  auto& body = state.body;
  body.clear();
  if (!state.limiter.allow(client, now_ms)) {
    Counters::bump(state.counters.http_rate_limited);
    response.retry_after = retry_after(state, client, now_ms);
    if (route == Route::none) {
      response.status = 429;
      response.body = kRateLimited;
    } else {  // BitTorrent clients show a failure reason, and only with 200
      codec::encode_failure(kRateLimited, body);
      response.body = body;
    }
  } else if (route == Route::none) {
    response.status = 404;
    response.body = kNotFound;
  } else if (!codec::is_get_or_head(request.method)) {
    // BitTorrent clients only GET; anything else is answered and closed, as
    // a method Cairn does not know at all is.
    response.status = 405;
    response.body = codec::http_reason(405);
    response.allow = kGetOrHead;
    response.keep_alive = false;
  } else {
    if (route == Route::announce)
      announce(request, client, now, state, body);
    else
      scrape(request, state, body);
    response.body = body;
  }
  codec::write_http_response(out, response);
  return HttpResult::keep_open_if(response.keep_alive);
}

void HttpFrontend::write_parse_error(const codec::HttpParse& parse, WorkerState& state,
                                     std::string& out) const {
  codec::HttpResponse response;  // HEAD or not, a request that did not parse gets a body
  response.status = parse.error_status;
  response.content_type = kContentType;
  response.body = codec::http_reason(parse.error_status);
  response.keep_alive = false;
  const Route route = route_of(parse.request.path);
  const bool tracker_route = route == Route::announce || route == Route::scrape;
  if (parse.error_status == 414 && tracker_route && codec::is_get_or_head(parse.request.method)) {
    // A request line too long to read: a BitTorrent client shows a failure
    // reason (HTTP 200), not a bare 414. Most often a scrape of too many hashes.
    state.body.clear();
    codec::encode_failure(
        codec::failure_text(route == Route::scrape ? codec::HttpTrackerError::scrape_too_long
                                                   : codec::HttpTrackerError::request_too_long),
        state.body);
    response.status = 200;
    response.body = state.body;
    response.head_only = parse.request.method == codec::HttpMethod::head;
  }
  codec::write_http_response(out, response);
}

}  // namespace cairn::net
