#include "frontend/ws_connection.hpp"

#include <array>

#include "tracker/admission.hpp"

namespace cairn::frontend {

namespace ws = codec::ws;

namespace {

constexpr std::string_view kRateLimited = "rate limit exceeded";
constexpr std::string_view kNotAllowed = "torrent not allowed";
constexpr std::string_view kOtherPeerId =
    "one peer_id per torrent on a connection: this torrent was announced with another";
constexpr std::string_view kTooManyTorrents = "too many torrents on one connection";
constexpr std::string_view kBinary = "binary messages are not read: send JSON as text";

}  // namespace

WsConnection::WsConnection(const WsShared& shared, WsScratch& scratch, tracker::WorkerState& state,
                           const core::Endpoint& source, const core::Address& client,
                           core::Seconds now)
    : shared_(shared),
      scratch_(scratch),
      state_(state),
      source_(source),
      client_(client),
      last_heard_(now) {}

// Only if the listener went away without on_closed (a test's fake).
WsConnection::~WsConnection() { leave_all(); }

void WsConnection::on_open(ConnectionSink& self, core::Seconds, std::string&) {
  self_ = self.id();
  tracker::bump(state_.counters.ws.connections);
}

void WsConnection::on_closed(CloseReason) { leave_all(); }

void WsConnection::leave_all() {
  for (const auto& e : joined_.entries()) {
    shared_.swarms.leave(e.info_hash, e.peer_id, self_);
    if (shared_.remote) shared_.remote->leave(e.info_hash, e.peer_id);
  }
  joined_ = {};
}

InputResult WsConnection::on_input(std::span<char> bytes, core::Seconds now, core::Millis now_ms,
                                   std::string& out) {
  const tracker::RequestContext ctx{now, now_ms, source_, state_};
  std::size_t pos = 0;
  while (!closing_) {
    const auto e = ws::next_event(bytes, pos, frames_, shared_.limits.frame, ws::Role::server);
    if (e.kind == ws::EventKind::need_more) break;
    last_heard_ = now;
    ping_sent_ = false;
    switch (e.kind) {
      case ws::EventKind::message:
        if (e.opcode == ws::Opcode::text)
          on_message(e.payload, ctx, out);
        else
          refuse(std::nullopt, std::nullopt, kBinary, out);
        break;
      case ws::EventKind::ping:
        ws::write_frame(out, ws::Opcode::pong, e.payload);
        break;
      case ws::EventKind::close:
        // RFC 6455 5.5.1: answer with a close frame, echoing the code.
        ws::write_close(out, e.code == ws::CloseCode::none ? ws::CloseCode::normal : e.code);
        closing_ = true;
        break;
      case ws::EventKind::error:
        tracker::bump(state_.counters.ws.protocol_errors);
        ws::write_close(out, e.code);
        closing_ = true;
        break;
      default:  // pong: only proof of life
        break;
    }
  }
  if (closing_) return {bytes.size(), After::close};
  return {pos, After::keep_open};
}

After WsConnection::on_tick(core::Seconds now, std::string& out) {
  if (!ping_sent_ && now - last_heard_ >= shared_.limits.ping_interval) {
    ws::write_frame(out, ws::Opcode::ping, {});
    ping_sent_ = true;
  }
  return After::keep_open;
}

void WsConnection::on_shutdown(std::string& out) {
  ws::write_close(out, ws::CloseCode::going_away);
}

void WsConnection::on_message(std::string_view text, const tracker::RequestContext& ctx,
                              std::string& out) {
  auto& counters = state_.counters.ws;
  tracker::bump(counters.messages);
  auto parsed = scratch_.parser.parse(text, scratch_.request);
  if (!parsed) {
    const auto& r = parsed.error();
    return refuse(r.action, r.info_hash, ws::failure_text(r.error), out);
  }
  const auto& req = scratch_.request;
  if (!tracker::admit(client_, ctx, counters.rate_limited)) {
    const bool scraping = req.kind == ws::MessageKind::scrape;
    std::optional<core::InfoHash> h;
    if (req.kind == ws::MessageKind::announce) h = req.announce.info_hash;
    if (req.kind == ws::MessageKind::answer) h = req.answer.info_hash;
    return refuse(scraping ? ws::Action::scrape : ws::Action::announce, h, kRateLimited, out);
  }
  switch (req.kind) {
    case ws::MessageKind::announce:
      tracker::bump(counters.announces);
      tracker::count_request(state_.counters.requests, tracker::RequestType::ws_announce, client_);
      return announce(req.announce, ctx, out);
    case ws::MessageKind::answer:
      tracker::bump(counters.answers);
      return answer(req.answer, ctx.now, out);
    case ws::MessageKind::scrape:
      tracker::bump(counters.scrapes);
      tracker::count_request(state_.counters.requests, tracker::RequestType::ws_scrape, client_);
      return scrape(req.scrape, ctx, out);
  }
}

void WsConnection::announce(const ws::AnnounceIn& a, const tracker::RequestContext& ctx,
                            std::string& out) {
  const auto action = ws::Action::announce;
  if (!tracker::admit_torrent(a.info_hash, ctx))
    return refuse(action, a.info_hash, kNotAllowed, out);
  const auto join =
      joined_.join(a.info_hash, a.peer_id, shared_.limits.max_torrents_per_connection);
  if (join == tracker::JoinedTorrents::Join::other_peer_id)
    return refuse(action, a.info_hash, kOtherPeerId, out);
  if (join == tracker::JoinedTorrents::Join::too_many)
    return refuse(action, a.info_hash, kTooManyTorrents, out);

  auto& ids = scratch_.offer_ids;
  ids.clear();
  for (const auto& o : a.offers) ids.push_back(o.offer_id);
  tracker::SignalAnnounce s{a.info_hash, a.peer_id, self_,
                            a.event,     a.seeder,  shared_.tracker.may_grow()};
  auto joined = shared_.swarms.announce(s, ids, ctx.now, state_.rng.next(), scratch_.targets);
  if (a.event == core::Event::stopped || !joined) joined_.remove(a.info_hash);
  if (shared_.remote && a.event == core::Event::stopped)
    shared_.remote->leave(a.info_hash, a.peer_id);
  if (!joined) {
    if (joined.error() == tracker::SignalingError::torrent_limit)
      tracker::count_error(tracker::TrackerError::tracker_full, state_.counters);
    return refuse(action, a.info_hash, tracker::error_text(joined.error()), out);
  }
  // The store's peers too: a swarm counts its BitTorrent clients and its
  // browsers alike. A store that cannot say (busy) makes the reply the
  // fixed retry failure; the offers, which need no store, still go.
  const auto counts = tracker::scrape_or_zeros(shared_.tracker, a.info_hash, ctx);
  if (counts) {
    scratch_.message.clear();
    ws::encode_announce_reply(a.info_hash, shared_.limits.announce_interval, counts->seeders,
                              counts->leechers, scratch_.message);
    reply(scratch_.message, out);
  } else {
    refuse(action, a.info_hash, tracker::error_text(counts.error()), out);
  }
  for (const auto& t : scratch_.targets) {
    const auto& offer = a.offers[t.offer];
    scratch_.message.clear();
    ws::encode_offer(a.info_hash, a.peer_id, offer.offer_id, offer.offer, scratch_.message);
    relay(t.to, scratch_.message);
    tracker::bump(state_.counters.ws.offers_relayed);
  }
  if (shared_.remote && a.event != core::Event::stopped) offer_remotely(a, scratch_.targets.size());
}

// Offers [sent, max_offers) of the announce go to peers of the swarm on
// other nodes, if there are any; the announce also records the peer as
// this node's, so their offers find it.
void WsConnection::offer_remotely(const ws::AnnounceIn& a, std::size_t sent) {
  const std::size_t usable =
      std::min<std::size_t>(a.offers.size(), shared_.swarms.limits().max_offers);
  const auto want = static_cast<std::uint32_t>(usable > sent ? usable - sent : 0);
  auto& peers = scratch_.remote_peers;
  shared_.remote->announce(a.info_hash, a.peer_id, want, peers);
  if (peers.empty()) return;
  auto& offers = scratch_.remote_offers;
  if (offers.size() < peers.size()) offers.resize(peers.size());
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const auto& offer = a.offers[sent + i];
    offers[i].to = peers[i];
    offers[i].offer_id = offer.offer_id;
    offers[i].message.clear();
    ws::encode_offer(a.info_hash, a.peer_id, offer.offer_id, offer.offer, offers[i].message);
  }
  shared_.remote->offer(a.info_hash, a.peer_id, std::span(offers.data(), peers.size()));
  for (std::size_t i = 0; i < peers.size(); ++i) tracker::bump(state_.counters.ws.offers_relayed);
}

void WsConnection::answer(const ws::AnswerIn& a, core::Seconds now, std::string& out) {
  const auto action = ws::Action::announce;
  if (!joined_.holds(a.info_hash, a.peer_id))
    return refuse(action, a.info_hash, tracker::error_text(tracker::SignalingError::not_in_swarm),
                  out);
  auto to = shared_.swarms.answer(a.info_hash, a.peer_id, self_, a.to_peer_id, a.offer_id, now);
  scratch_.message.clear();
  ws::encode_answer(a.info_hash, a.peer_id, a.offer_id, a.answer, scratch_.message);
  if (!to && to.error() == tracker::SignalingError::no_such_offer && shared_.remote &&
      shared_.remote->answer(a.info_hash, a.peer_id, a.to_peer_id, a.offer_id, scratch_.message)) {
    tracker::bump(state_.counters.ws.answers_relayed);  // to the offer's node
    return;
  }
  if (!to) return refuse(action, a.info_hash, tracker::error_text(to.error()), out);
  relay(*to, scratch_.message);
  tracker::bump(state_.counters.ws.answers_relayed);
  // Like bittorrent-tracker, nothing goes back to the answering peer.
}

void WsConnection::scrape(const ws::ScrapeIn& s, const tracker::RequestContext& ctx,
                          std::string& out) {
  if (s.full) return full_scrape(ctx, out);
  // A refused torrent reads as unknown: zeros, as over HTTP; the admitted
  // ones reach the store in one call.
  const std::size_t n = s.info_hashes.size();
  std::array<store::SwarmCounts, ws::kMaxScrapeHashes> counts;
  const auto read = tracker::scrape_or_zeros(shared_.tracker, std::span(s.info_hashes.data(), n),
                                             std::span(counts.data(), n), ctx);
  if (!read)
    return refuse(ws::Action::scrape, std::nullopt, tracker::error_text(read.error()), out);
  std::array<ws::ScrapeFileOut, ws::kMaxScrapeHashes> files;
  for (std::size_t i = 0; i < n; ++i)
    files[i] = {s.info_hashes[i], counts[i].seeders, counts[i].leechers, counts[i].downloaded};
  scratch_.message.clear();
  ws::encode_scrape_reply(std::span(files.data(), s.info_hashes.size()), scratch_.message);
  reply(scratch_.message, out);
}

// The HTTP full scrape's switch, bytes and per-address limit
// (full_scrape.hpp), in the WebSocket tracker's JSON.
void WsConnection::full_scrape(const tracker::RequestContext& ctx, std::string& out) {
  if (!shared_.full_scrape) return refuse(ws::Action::scrape, std::nullopt, kFullScrapeOff, out);
  auto outcome = shared_.full_scrape->take(client_, ctx.now);
  if (!outcome.bodies) return refuse(ws::Action::scrape, std::nullopt, outcome.refusal, out);
  reply(outcome.bodies->ws_json, out);
}

void WsConnection::refuse(std::optional<ws::Action> action,
                          const std::optional<core::InfoHash>& info_hash, std::string_view reason,
                          std::string& out) {
  tracker::bump(state_.counters.ws.refused);
  scratch_.message.clear();
  ws::encode_error(action, info_hash, reason, scratch_.message);
  reply(scratch_.message, out);
}

void WsConnection::reply(std::string_view message, std::string& out) {
  ws::write_frame(out, ws::Opcode::text, message);
}

// A receiver whose queue is full, or gone, drops the frame; the router
// counts it (connections_deliveries_dropped).
void WsConnection::relay(const tracker::ConnectionId& to, std::string_view message) {
  if (state_.connections == nullptr) return;
  scratch_.frame.clear();
  ws::write_frame(scratch_.frame, ws::Opcode::text, message);
  state_.connections->deliver(to, scratch_.frame);
}

}  // namespace cairn::frontend
