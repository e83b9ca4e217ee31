#include "net/ws_session.hpp"

namespace cairn::net {

namespace ws = codec::ws;

namespace {

constexpr std::string_view kRateLimited = "rate limit exceeded";
constexpr std::string_view kNotAllowed = "torrent not allowed";
constexpr std::string_view kOtherPeerId =
    "one peer_id per torrent on a connection: this torrent was announced with another";
constexpr std::string_view kTooManyTorrents = "too many torrents on one connection";
constexpr std::string_view kFullScrape = "full scrape is not available: name the info_hash";
constexpr std::string_view kBinary = "binary messages are not read: send JSON as text";

store::SwarmCounts counts_or_zero(tracker::Tracker& t, const core::InfoHash& h,
                                  tracker::AccessView& access) {
  auto c = t.scrape(h, access);
  return c ? *c : store::SwarmCounts{};
}

}  // namespace

WsSession::WsSession(const WsShared& shared, WsWorker& worker, const core::Address& client,
                     core::Seconds now)
    : shared_(shared), worker_(worker), client_(client), last_heard_(now) {
  Counters::bump(worker_.state.counters.ws_connections);
}

WsSession::~WsSession() { close(); }

void WsSession::attach(WsSink& sink) {
  self_ = worker_.hub.add(sink);
  attached_ = true;
}

void WsSession::close() {
  for (const auto& e : joined_.entries()) shared_.swarms.leave(e.info_hash, e.peer_id, self_);
  joined_ = {};
  if (attached_) worker_.hub.remove(self_);
  attached_ = false;
}

std::size_t WsSession::on_bytes(std::span<char> buffer, core::Seconds now, core::Millis now_ms,
                                std::string& out) {
  std::size_t pos = 0;
  while (!closing_) {
    const auto e = ws::next_event(buffer, pos, frames_, shared_.limits.frame, ws::Role::server);
    if (e.kind == ws::EventKind::need_more) break;
    last_heard_ = now;
    ping_sent_ = false;
    switch (e.kind) {
      case ws::EventKind::message:
        if (e.opcode == ws::Opcode::text)
          on_message(e.payload, now, now_ms, out);
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
        Counters::bump(worker_.state.counters.ws_protocol_errors);
        ws::write_close(out, e.code);
        closing_ = true;
        break;
      default:  // pong: only proof of life
        break;
    }
  }
  return closing_ ? buffer.size() : pos;
}

bool WsSession::tick(core::Seconds now, std::string& out) {
  if (now - last_heard_ >= shared_.limits.idle_timeout) {
    Counters::bump(worker_.state.counters.ws_timeouts);
    return false;
  }
  if (!ping_sent_ && now - last_heard_ >= shared_.limits.ping_interval) {
    ws::write_frame(out, ws::Opcode::ping, {});
    ping_sent_ = true;
  }
  return true;
}

void WsSession::on_message(std::string_view text, core::Seconds now, core::Millis now_ms,
                           std::string& out) {
  auto& counters = worker_.state.counters;
  Counters::bump(counters.ws_messages);
  auto parsed = worker_.parser.parse(text, worker_.request);
  if (!parsed) {
    const auto& r = parsed.error();
    return refuse(r.action, r.info_hash, ws::failure_text(r.error), out);
  }
  const auto& req = worker_.request;
  if (!worker_.state.limiter.allow(client_, now_ms)) {
    Counters::bump(worker_.state.counters.http_rate_limited);
    const bool scraping = req.kind == ws::MessageKind::scrape;
    std::optional<core::InfoHash> h;
    if (req.kind == ws::MessageKind::announce) h = req.announce.info_hash;
    if (req.kind == ws::MessageKind::answer) h = req.answer.info_hash;
    return refuse(scraping ? ws::Action::scrape : ws::Action::announce, h, kRateLimited, out);
  }
  switch (req.kind) {
    case ws::MessageKind::announce:
      Counters::bump(counters.ws_announces);
      return announce(req.announce, now, out);
    case ws::MessageKind::answer:
      Counters::bump(counters.ws_answers);
      return answer(req.answer, now, out);
    case ws::MessageKind::scrape:
      Counters::bump(counters.ws_scrapes);
      return scrape(req.scrape, out);
  }
}

void WsSession::announce(const ws::AnnounceIn& a, core::Seconds now, std::string& out) {
  auto& state = worker_.state;
  const auto action = ws::Action::announce;
  if (!state.access.allows(a.info_hash)) {
    Counters::bump(state.counters.torrents_refused);
    return refuse(action, a.info_hash, kNotAllowed, out);
  }
  const auto join =
      joined_.join(a.info_hash, a.peer_id, shared_.limits.max_torrents_per_connection);
  if (join == tracker::JoinedTorrents::Join::other_peer_id)
    return refuse(action, a.info_hash, kOtherPeerId, out);
  if (join == tracker::JoinedTorrents::Join::too_many)
    return refuse(action, a.info_hash, kTooManyTorrents, out);

  auto& ids = worker_.offer_ids;
  ids.clear();
  for (const auto& o : a.offers) ids.push_back(o.offer_id);
  tracker::SignalAnnounce s{a.info_hash, a.peer_id, self_,
                            a.event,     a.seeder,  shared_.tracker.may_grow()};
  auto joined = shared_.swarms.announce(s, ids, now, state.rng.next(), worker_.targets);
  if (a.event == core::Event::stopped || !joined) joined_.remove(a.info_hash);
  if (!joined) {
    if (joined.error() == tracker::SignalingError::torrent_limit)
      Counters::bump(state.counters.tracker_full);
    return refuse(action, a.info_hash, tracker::error_text(joined.error()), out);
  }
  // The store's peers too: a swarm counts its BitTorrent clients and its
  // browsers alike.
  const auto counts = counts_or_zero(shared_.tracker, a.info_hash, state.access);
  worker_.message.clear();
  ws::encode_announce_reply(a.info_hash, shared_.limits.announce_interval, counts.seeders,
                            counts.leechers, worker_.message);
  reply(worker_.message, out);
  for (const auto& t : worker_.targets) {
    const auto& offer = a.offers[t.offer];
    worker_.message.clear();
    ws::encode_offer(a.info_hash, a.peer_id, offer.offer_id, *offer.offer, worker_.message);
    relay(t.to, worker_.message);
    Counters::bump(state.counters.ws_offers_relayed);
  }
}

void WsSession::answer(const ws::AnswerIn& a, core::Seconds now, std::string& out) {
  const auto action = ws::Action::announce;
  if (!joined_.holds(a.info_hash, a.peer_id))
    return refuse(action, a.info_hash, tracker::error_text(tracker::SignalingError::not_in_swarm),
                  out);
  auto to = shared_.swarms.answer(a.info_hash, a.peer_id, self_, a.to_peer_id, a.offer_id, now);
  if (!to) return refuse(action, a.info_hash, tracker::error_text(to.error()), out);
  worker_.message.clear();
  ws::encode_answer(a.info_hash, a.peer_id, a.offer_id, *a.answer, worker_.message);
  relay(*to, worker_.message);
  Counters::bump(worker_.state.counters.ws_answers_relayed);
  // Like bittorrent-tracker, nothing goes back to the answering peer.
}

void WsSession::scrape(const ws::ScrapeIn& s, std::string& out) {
  if (s.full) return refuse(ws::Action::scrape, std::nullopt, kFullScrape, out);
  std::array<ws::ScrapeFileOut, ws::kMaxScrapeHashes> files;
  for (std::size_t i = 0; i < s.info_hashes.size(); ++i) {
    // A refused torrent reads as unknown: zeros, as over HTTP.
    const auto c = counts_or_zero(shared_.tracker, s.info_hashes[i], worker_.state.access);
    files[i] = {s.info_hashes[i], c.seeders, c.leechers, c.downloaded};
  }
  worker_.message.clear();
  ws::encode_scrape_reply(std::span(files.data(), s.info_hashes.size()), worker_.message);
  reply(worker_.message, out);
}

void WsSession::refuse(std::optional<ws::Action> action,
                       const std::optional<core::InfoHash>& info_hash, std::string_view reason,
                       std::string& out) {
  Counters::bump(worker_.state.counters.ws_refused);
  worker_.message.clear();
  ws::encode_error(action, info_hash, reason, worker_.message);
  reply(worker_.message, out);
}

void WsSession::reply(std::string_view message, std::string& out) {
  ws::write_frame(out, ws::Opcode::text, message);
}

void WsSession::relay(const tracker::ConnectionRef& to, std::string_view message) {
  worker_.frame.clear();
  ws::write_frame(worker_.frame, ws::Opcode::text, message);
  worker_.hub.deliver(to, worker_.frame);
}

}  // namespace cairn::net
