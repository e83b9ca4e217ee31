#include "frontend/udp_frontend.hpp"

#include <array>
#include <variant>

#include "codec/passkey.hpp"
#include "codec/udp_tracker.hpp"
#include "frontend/udp_replies.hpp"
#include "tracker/admission.hpp"

namespace cairn::frontend {

namespace udp = codec::udp;

namespace {

// The announces of a batch waiting for their one store call. Answered
// before a scrape of the same batch, so the scrape sees them, as it would
// have one by one.
struct Pending {
  std::array<tracker::AnnounceRequest, kMaxBatch> requests;
  std::array<store::AnnounceResult, kMaxBatch> results;
  std::array<Datagram*, kMaxBatch> datagrams;
  std::array<std::uint32_t, kMaxBatch> transaction_ids;
  std::size_t size = 0;

  void answer(tracker::Tracker& tracker, const tracker::RequestContext& ctx) {
    if (size == 0) return;
    auto& state = ctx.state;
    tracker.announce_batch(std::span(requests.data(), size), state.rng, state.peers,
                           std::span(results.data(), size));
    const std::uint32_t interval = tracker.announce_interval();
    for (std::size_t i = 0; i < size; ++i) {
      Datagram& d = *datagrams[i];
      const auto& r = results[i];
      if (!r.counts) {
        const tracker::TrackerError e = tracker::from_store(r.counts.error());
        tracker::count_error(e, state.counters);
        d.reply = error_reply(transaction_ids[i], tracker::error_text(e), d.in.size(), d.out);
        continue;
      }
      d.reply = udp::encode_announce_response(transaction_ids[i], interval, r.counts->leechers,
                                              r.counts->seeders, r.peers(state.peers),
                                              d.from.family(), d.out);
    }
    size = 0;
  }
};

// A worker's scratch for one scrape, reused: as arrays on the stack these
// were zeroed (2.4 KiB) for every scrape, whatever its number of hashes.
struct ScrapeScratch {
  std::array<core::InfoHash, udp::kMaxScrapeHashes> hashes;
  std::array<store::SwarmCounts, udp::kMaxScrapeHashes> counts;
  std::array<udp::ScrapeStats, udp::kMaxScrapeHashes> stats;
};

// The last source of a batch whose connection id checked out, and that id:
// a client announcing several torrents sends them together under one id,
// and the keyed hash behind the check (tracker/connection_ids.hpp) then runs
// once for them. Exact, not a cache that can go stale: the batch has one
// clock reading, so one slot, and the check depends on nothing else.
struct LastValidId {
  core::Address address;
  std::uint64_t id = 0;
  bool set = false;
};

struct Handler {
  tracker::Tracker& tracker;
  const tracker::ConnectionIds& ids;
  const UdpOptions& options;
  const tracker::RequestContext& ctx;
  Pending& pending;
  LastValidId& last_valid;
  Datagram& d;

  bool valid(std::uint64_t connection_id) {
    if (last_valid.set && last_valid.id == connection_id && last_valid.address == d.from.address)
      return true;
    if (!ids.valid(connection_id, d.from.address, ctx.now)) return false;
    last_valid = {d.from.address, connection_id, true};
    return true;
  }

  std::size_t operator()(const udp::ConnectRequest& r) {
    tracker::bump(ctx.state.counters.udp.connects);
    tracker::count_request(ctx.state.counters.requests, tracker::RequestType::udp_connect,
                           d.from.address);
    return udp::encode_connect_response(r.transaction_id, ids.issue(d.from.address, ctx.now),
                                        d.out);
  }

  std::size_t operator()(const udp::AnnounceRequest& r) {
    if (!valid(r.connection_id)) return bad_connection_id(r.transaction_id);
    tracker::bump(ctx.state.counters.udp.announces);
    tracker::count_request(ctx.state.counters.requests, tracker::RequestType::udp_announce,
                           d.from.address);
    // Private mode: the passkey rides in BEP 41 URL data ("/PASSKEY/announce").
    const auto user = tracker::admit_user(
        tracker::reads_passkeys(ctx) ? codec::passkey_of_path(r.url()) : std::nullopt, ctx);
    if (!user)
      return error_reply(r.transaction_id, tracker::error_text(user.error()), d.in.size(), d.out);
    if (!tracker::admit_torrent(r.info_hash, ctx)) {
      return error_reply(r.transaction_id,
                         tracker::error_text(tracker::TrackerError::torrent_not_allowed),
                         d.in.size(), d.out);
    }
    auto& a = pending.requests[pending.size];
    a.info_hash = r.info_hash;
    a.peer_id = r.peer_id;
    a.endpoint = {d.from.address, r.port};
    bool ip_given = r.ip != std::array<std::uint8_t, 4>{};
    if (options.allow_ip_field && ip_given) a.endpoint.address = core::Address::v4(r.ip);
    a.event = r.event;
    a.seeder = r.left == 0;
    a.numwant =
        tracker.numwant(r.numwant >= 0 ? std::optional<std::int64_t>(r.numwant) : std::nullopt);
    a.want_v4 = d.from.family() == core::Family::v4;
    a.want_v6 = !a.want_v4;
    a.want_peer_ids = false;  // a BEP 15 reply lists endpoints only
    a.now = ctx.now;
    if (*user)
      tracker::record_announce(
          {**user, r.event, r.info_hash, r.peer_id, r.uploaded, r.downloaded, r.left}, ctx);
    pending.datagrams[pending.size] = &d;
    pending.transaction_ids[pending.size] = r.transaction_id;
    ++pending.size;
    return 0;  // answered with the batch's other announces
  }

  std::size_t operator()(const udp::ScrapeRequest& r) {
    if (!valid(r.connection_id)) return bad_connection_id(r.transaction_id);
    tracker::bump(ctx.state.counters.udp.scrapes);
    tracker::count_request(ctx.state.counters.requests, tracker::RequestType::udp_scrape,
                           d.from.address);
    // BEP 41 options follow announces only: a private tracker has no
    // passkey here, and refuses.
    if (const auto user = tracker::admit_user(std::nullopt, ctx); !user)
      return error_reply(r.transaction_id, tracker::error_text(user.error()), d.in.size(), d.out);
    pending.answer(tracker, ctx);
    thread_local ScrapeScratch scratch;
    auto& [hashes, counts, stats] = scratch;
    for (std::size_t i = 0; i < r.count(); ++i) hashes[i] = r.hash(i);
    const auto read = tracker::scrape_or_zeros(tracker, std::span(hashes.data(), r.count()),
                                               std::span(counts.data(), r.count()), ctx);
    if (!read)
      return error_reply(r.transaction_id, tracker::error_text(read.error()), d.in.size(), d.out);
    for (std::size_t i = 0; i < r.count(); ++i)
      stats[i] = udp::ScrapeStats{counts[i].seeders, counts[i].downloaded, counts[i].leechers};
    return udp::encode_scrape_response(r.transaction_id, std::span(stats.data(), r.count()), d.out);
  }

  std::size_t bad_connection_id(std::uint32_t txid) {
    tracker::bump(ctx.state.counters.udp.bad_connection_id);
    return error_reply(txid, kInvalidConnectionId, d.in.size(), d.out);
  }
};

}  // namespace

void UdpFrontend::handle(std::span<Datagram* const> batch,
                         const tracker::RequestContext& ctx) const {
  // A worker's own, reused: built per batch, its 64 requests and results
  // (10 KiB) were written before any was used.
  thread_local Pending pending;
  pending.size = 0;
  LastValidId last_valid;
  for (Datagram* d : batch) {
    auto request = udp::parse_request(d->in);
    if (!request) {
      tracker::bump(ctx.state.counters.udp.malformed);
      const auto& e = request.error();
      d->reply = e.sendable ? error_reply(e.transaction_id, e.message, d->in.size(), d->out) : 0;
      continue;
    }
    const auto source = ctx.from(d->from);
    d->reply =
        std::visit(Handler{tracker_, ids_, options_, source, pending, last_valid, *d}, *request);
  }
  pending.answer(tracker_, ctx);
}

}  // namespace cairn::frontend
