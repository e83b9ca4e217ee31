#include "net/udp_frontend.hpp"

#include <variant>

#include "codec/punch.hpp"
#include "codec/rendezvous_udp.hpp"
#include "codec/udp_tracker.hpp"
#include "net/udp_replies.hpp"

namespace cairn::net {

namespace udp = codec::udp;

namespace {

void count_error(tracker::TrackerError e, Counters& counters) {
  Counters::bump(e == tracker::TrackerError::torrent_not_allowed ? counters.torrents_refused
                                                                 : counters.tracker_full);
}

struct Handler {
  tracker::Tracker& tracker;
  const tracker::ConnectionIds& ids;
  const UdpOptions& options;
  std::size_t request_size;
  const core::Endpoint& from;
  core::Seconds now;
  WorkerState& state;
  std::span<std::uint8_t> out;

  std::size_t operator()(const udp::ConnectRequest& r) {
    Counters::bump(state.counters.udp_connects);
    return udp::encode_connect_response(r.transaction_id, ids.issue(from.address, now), out);
  }

  std::size_t operator()(const udp::AnnounceRequest& r) {
    if (!ids.valid(r.connection_id, from.address, now)) return bad_connection_id(r.transaction_id);
    Counters::bump(state.counters.udp_announces);
    tracker::AnnounceRequest a;
    a.info_hash = r.info_hash;
    a.peer_id = r.peer_id;
    a.endpoint = {from.address, r.port};
    bool ip_given = r.ip != std::array<std::uint8_t, 4>{};
    if (options.allow_ip_field && ip_given) a.endpoint.address = core::Address::v4(r.ip);
    a.event = r.event;
    a.seeder = r.left == 0;
    if (r.numwant >= 0) a.numwant = r.numwant;
    a.want_v4 = from.family() == core::Family::v4;
    a.want_v6 = !a.want_v4;
    auto reply = tracker.announce(a, now, state.rng, state.peers, state.access);
    if (!reply) {
      count_error(reply.error(), state.counters);
      return error_reply(r.transaction_id, tracker::error_text(reply.error()), request_size, out);
    }
    return udp::encode_announce_response(r.transaction_id, reply->interval, reply->counts.leechers,
                                         reply->counts.seeders, state.peers, from.family(), out);
  }

  std::size_t operator()(const udp::ScrapeRequest& r) {
    if (!ids.valid(r.connection_id, from.address, now)) return bad_connection_id(r.transaction_id);
    Counters::bump(state.counters.udp_scrapes);
    std::array<udp::ScrapeStats, udp::kMaxScrapeHashes> stats;
    for (std::size_t i = 0; i < r.count(); ++i) {
      // A refused torrent reads as unknown: zeros, like a hash never announced.
      auto c = tracker.scrape(r.hash(i), state.access);
      if (!c) count_error(c.error(), state.counters);
      stats[i] = c ? udp::ScrapeStats{c->seeders, c->downloaded, c->leechers} : udp::ScrapeStats{};
    }
    return udp::encode_scrape_response(r.transaction_id, std::span(stats.data(), r.count()), out);
  }

  std::size_t bad_connection_id(std::uint32_t txid) {
    Counters::bump(state.counters.udp_bad_connection_id);
    return error_reply(txid, kInvalidConnectionId, request_size, out);
  }
};

}  // namespace

std::size_t UdpFrontend::handle(std::span<const std::uint8_t> packet, const core::Endpoint& from,
                                Now now, WorkerState& state, std::span<std::uint8_t> out,
                                std::span<std::uint8_t> extra_out, UdpExtra& extra) const {
  Counters::bump(state.counters.udp_received);
  if (!state.limiter.allow(from.address, now.now_ms)) {
    Counters::bump(state.counters.udp_rate_limited);
    return 0;
  }
  // STUN first: its test is exact, and no request carrying a Cairn
  // connection id passes it (tracker/connection_ids.hpp).
  if (stun_.matches(packet)) return stun_.handle(packet, from, state, out);
  if (rendezvous_.enabled() && punch_.enabled() && codec::punch::is_punch(packet))
    return punch_.handle(packet, from, now.now, now.precise_ms, state, out, extra_out, extra);
  if (rendezvous_.enabled() && codec::rvudp::is_rendezvous(packet))
    return rendezvous_.handle(packet, from, now.now, state, out);
  auto request = udp::parse_request(packet);
  if (!request) {
    Counters::bump(state.counters.udp_malformed);
    const auto& e = request.error();
    return e.sendable ? error_reply(e.transaction_id, e.message, packet.size(), out) : 0;
  }
  return std::visit(Handler{tracker_, ids_, options_, packet.size(), from, now.now, state, out},
                    *request);
}

}  // namespace cairn::net
