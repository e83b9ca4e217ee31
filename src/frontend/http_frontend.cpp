#include "frontend/http_frontend.hpp"

#include <array>
#include <span>
#include <vector>

#include "codec/gzip.hpp"
#include "codec/http_response.hpp"
#include "codec/http_tracker.hpp"
#include "codec/passkey.hpp"
#include "tracker/admission.hpp"

namespace cairn::frontend {

namespace {

constexpr std::string_view kContentType = "text/plain";
constexpr std::string_view kRateLimited = "rate limit exceeded";

// A scrape's counts and files: most scrapes name a few torrents, and
// value-initialising arrays for the 100 one may name cost more than the
// rest of a scrape (~550 instructions of rep stos, under callgrind), so a
// small array on the stack, and the heap beyond it.
constexpr std::size_t kSmallScrape = 8;

template <class T>
std::span<T> scratch(std::array<T, kSmallScrape>& small, std::vector<T>& large, std::size_t n) {
  if (n <= small.size()) return {small.data(), n};
  large.resize(n);
  return large;
}

// A 200 whose body is `body` (the worker's scratch, already filled).
void write_ok(const codec::HttpRequest& request, std::string_view body, std::string& out) {
  codec::write_plain_ok(out, request, body);
}

// A failure reason a BitTorrent client shows (BEP 3: HTTP 200), built in
// the worker's scratch body.
void write_failure(const codec::HttpRequest& request, std::string_view reason,
                   tracker::WorkerState& state, std::string& out) {
  state.body.clear();
  codec::encode_failure(reason, state.body);
  write_ok(request, state.body, out);
}

// A request line too long to read: a BitTorrent client shows a failure
// reason (HTTP 200), not a bare 414.
bool write_failure_too_long(const codec::HttpRequest& request, codec::HttpTrackerError e,
                            tracker::WorkerState& state, std::string& out) {
  state.body.clear();
  codec::encode_failure(codec::failure_text(e), state.body);
  codec::HttpResponse response;  // a request that did not parse closes its connection
  response.content_type = kContentType;
  response.body = state.body;
  response.keep_alive = false;
  response.head_only = request.method == codec::HttpMethod::head;
  codec::write_http_response(out, response);
  return true;
}

}  // namespace

void BitTorrentHttp::write_rate_limited(const codec::HttpRequest& request,
                                        std::uint32_t retry_after, tracker::WorkerState& state,
                                        std::string& out) const {
  state.body.clear();
  codec::encode_failure(kRateLimited, state.body);
  auto response = codec::HttpResponse::to(request, 200, kContentType);
  response.body = state.body;
  response.retry_after = retry_after;
  codec::write_http_response(out, response);
}

void HttpAnnounce::handle(const codec::HttpRequest& request, const core::Address& client,
                          const tracker::RequestContext& ctx, std::string& out) const {
  auto& state = ctx.state;
  // state.body is not cleared here: the reply is written over it
  // (codec::write_announce_reply), and every failure clears it first.
  tracker::bump(state.counters.http.announces);
  tracker::count_request(state.counters.requests, tracker::RequestType::http_announce, client);
  // Private mode: the passkey is the path's ("/PASSKEY/announce").
  const auto user = tracker::admit_user(codec::passkey_of_path(request.path), ctx);
  if (!user) return write_failure(request, tracker::error_text(user.error()), state, out);
  codec::AnnounceQuery query;
  if (const auto e = codec::parse_announce_query(request.query, query)) {
    tracker::bump(state.counters.http.bad_requests);
    return write_failure(request, codec::failure_text(*e), state, out);
  }
  if (!tracker::admit_torrent(query.info_hash, ctx)) {
    const auto e = tracker::TrackerError::torrent_not_allowed;
    return write_failure(request, tracker::error_text(e), state, out);
  }
  tracker::AnnounceRequest a;
  a.info_hash = query.info_hash;
  a.peer_id = query.peer_id;
  a.endpoint.address = client;
  if (allow_ip_param_ && query.ip) a.endpoint.address = *query.ip;
  a.endpoint.port = query.port;
  a.event = query.event;
  a.seeder = query.left_present && query.left == 0;
  a.numwant = tracker_.numwant(query.numwant);
  a.want_peer_ids = !query.compact && !query.no_peer_id;  // only a dictionary reply lists ids
  a.now = ctx.now;
  if (*user)
    tracker::record_announce({**user, query.event, query.info_hash, query.peer_id, query.uploaded,
                              query.downloaded, query.left},
                             ctx);
  auto reply = tracker_.announce(a, state.rng, state.peers, state.access);
  if (!reply) {
    tracker::count_error(reply.error(), state.counters);
    // The access list's refusal, as admit_torrent logs it for UDP and scrapes.
    if (reply.error() == tracker::TrackerError::torrent_not_allowed && state.access_log)
      state.access_log->refused(client, tracker::error_text(reply.error()), ctx.now, &a.info_hash);
    return write_failure(request, tracker::error_text(reply.error()), state, out);
  }
  // Every field given: a default AnnounceReply and then its fields was a
  // zero-fill (rep stos) and the stores again.
  const codec::AnnounceReply r{
      reply->interval,    reply->min_interval, reply->counts.seeders, reply->counts.leechers,
      state.peers.view(), query.compact,       query.no_peer_id,      {}};
  write_ok(request, codec::write_announce_reply(r, state.body), out);
}

bool HttpAnnounce::write_too_long(const codec::HttpRequest& request, tracker::WorkerState& state,
                                  std::string& out) const {
  return write_failure_too_long(request, codec::HttpTrackerError::request_too_long, state, out);
}

void HttpScrape::handle(const codec::HttpRequest& request, const core::Address& client,
                        const tracker::RequestContext& ctx, std::string& out) const {
  auto& state = ctx.state;
  auto& body = state.body;
  body.clear();
  tracker::bump(state.counters.http.scrapes);
  tracker::count_request(state.counters.requests, tracker::RequestType::http_scrape, client);
  if (const auto user = tracker::admit_user(codec::passkey_of_path(request.path), ctx); !user)
    return write_failure(request, tracker::error_text(user.error()), state, out);
  codec::ScrapeQuery query;
  if (const auto e = codec::parse_scrape_query(request.query, query)) {
    tracker::bump(state.counters.http.bad_requests);
    return write_failure(request, codec::failure_text(*e), state, out);
  }
  if (query.count == 0) return full(request, client, ctx, out);
  std::array<store::SwarmCounts, kSmallScrape> small_counts;
  std::vector<store::SwarmCounts> large_counts;
  const auto counts = scratch(small_counts, large_counts, query.count);
  const auto read =
      tracker::scrape_or_zeros(tracker_, std::span(query.hashes.data(), query.count), counts, ctx);
  if (!read) return write_failure(request, tracker::error_text(read.error()), state, out);
  std::array<codec::ScrapeFile, kSmallScrape> small_files;
  std::vector<codec::ScrapeFile> large_files;
  const auto files = scratch(small_files, large_files, query.count);
  for (std::size_t i = 0; i < query.count; ++i)
    files[i] = {query.hashes[i], counts[i].seeders, counts[i].downloaded, counts[i].leechers};
  codec::encode_scrape_reply(files, body);
  write_ok(request, body, out);
}

void HttpScrape::full(const codec::HttpRequest& request, const core::Address& client,
                      const tracker::RequestContext& ctx, std::string& out) const {
  auto& state = ctx.state;
  if (!full_scrape_) {
    tracker::bump(state.counters.http.full_scrapes_refused);
    return write_failure(request, kFullScrapeOff, state, out);
  }
  auto outcome = full_scrape_->take(client, ctx.now, request.method == codec::HttpMethod::head);
  if (!outcome.bodies) {
    tracker::bump(state.counters.http.full_scrapes_refused);
    return write_failure(request, outcome.refusal, state, out);
  }
  tracker::bump(state.counters.http.full_scrapes);
  const bool gz = codec::accepts_gzip(request.accept_encoding);
  auto response = codec::HttpResponse::to(request, 200, kContentType);
  response.body = gz ? outcome.bodies->gzipped : outcome.bodies->bencoded;
  if (gz) response.content_encoding = "gzip";
  codec::write_http_response(out, response);
}

bool HttpScrape::write_too_long(const codec::HttpRequest& request, tracker::WorkerState& state,
                                std::string& out) const {
  return write_failure_too_long(request, codec::HttpTrackerError::scrape_too_long, state, out);
}

void HttpHealth::handle(const codec::HttpRequest& request, const core::Address& /*client*/,
                        const tracker::RequestContext& /*ctx*/, std::string& out) const {
  write_ok(request, "ok", out);
}

}  // namespace cairn::frontend
