#include "net/http_frontend.hpp"

#include <algorithm>

#include "codec/http_response.hpp"
#include "codec/http_tracker.hpp"

namespace cairn::net {

namespace {

constexpr std::string_view kContentType = "text/plain";
constexpr std::string_view kRateLimited = "rate limit exceeded";

void count_error(tracker::TrackerError e, Counters& counters) {
  Counters::bump(e == tracker::TrackerError::torrent_not_allowed ? counters.torrents_refused
                                                                 : counters.tracker_full);
}

// The rightmost entry of X-Forwarded-For is the one our trusted proxy added.
std::optional<core::Address> last_forwarded(std::string_view header) {
  auto comma = header.rfind(',');
  auto entry = comma == std::string_view::npos ? header : header.substr(comma + 1);
  while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t')) entry.remove_prefix(1);
  while (!entry.empty() && (entry.back() == ' ' || entry.back() == '\t')) entry.remove_suffix(1);
  return core::Address::parse(entry);
}

}  // namespace

core::Address HttpFrontend::client_address(const codec::HttpRequest& request,
                                           const core::Address& peer) const {
  bool trusted = std::any_of(options_.trusted_proxies.begin(), options_.trusted_proxies.end(),
                             [&](const core::Network& n) { return n.contains(peer); });
  if (!trusted) return peer;
  if (auto a = last_forwarded(request.x_forwarded_for)) return *a;
  if (auto a = core::Address::parse(request.x_real_ip)) return *a;
  return peer;
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

bool HttpFrontend::handle(const codec::HttpRequest& request, const core::Endpoint& peer,
                          core::Seconds now, core::Millis now_ms, WorkerState& state,
                          std::string& out) const {
  Counters::bump(state.counters.http_requests);
  auto& body = state.body;
  body.clear();
  auto client = client_address(request, peer.address);
  if (RendezvousHttp::owns(request.path)) {
    if (!state.limiter.allow(client, now_ms)) {
      Counters::bump(state.counters.http_rate_limited);
      RendezvousHttp::write_rate_limited(request, out);
      return request.keep_alive;
    }
    // Behind a trusted proxy the client's port is not known.
    const core::Endpoint observed = client == peer.address ? peer : core::Endpoint{client, 0};
    rendezvous_.handle(request, client, observed, now, state, out);
    return request.keep_alive;
  }
  if (!state.limiter.allow(client, now_ms)) {
    Counters::bump(state.counters.http_rate_limited);
    codec::encode_failure(kRateLimited, body);
  } else if (request.method != codec::HttpMethod::get &&
             (request.path == "/announce" || request.path == "/scrape")) {
    // The parser takes POST and DELETE (for the rendezvous API); BitTorrent
    // clients only GET, so anything else here is refused and closed, as the
    // parser refuses the methods it does not know.
    write_error(405, out);
    return false;
  } else if (request.path == "/announce") {
    announce(request, client, now, state, body);
  } else if (request.path == "/scrape") {
    scrape(request, state, body);
  } else {
    codec::write_http_response(out, 404, kContentType, "not found", request.keep_alive);
    return request.keep_alive;
  }
  codec::write_http_response(out, 200, kContentType, body, request.keep_alive);
  return request.keep_alive;
}

void HttpFrontend::write_error(int status, std::string& out) {
  codec::write_http_response(out, status, kContentType, codec::http_reason(status), false);
}

}  // namespace cairn::net
