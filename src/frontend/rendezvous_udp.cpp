#include "frontend/rendezvous_udp.hpp"

#include <optional>
#include <variant>

#include "codec/rendezvous_udp.hpp"
#include "frontend/udp_replies.hpp"

namespace cairn::frontend {

namespace rvudp = codec::rvudp;

namespace {

struct Handler {
  tracker::Rendezvous& rendezvous;
  const tracker::ConnectionIds& ids;
  std::size_t request_size;
  const tracker::RequestContext& ctx;
  std::span<std::uint8_t> out;
  const core::Endpoint& from = ctx.source;
  const core::Seconds now = ctx.now;
  tracker::WorkerState& state = ctx.state;

  // The answer to a request without a valid connection id, which changes
  // nothing; nullopt for a valid one.
  std::optional<std::size_t> refuse_unproven(const rvudp::Header& h) {
    if (ids.valid(h.connection_id, from.address, now)) return std::nullopt;
    tracker::bump(state.counters.udp.bad_connection_id);
    return error_reply(h.transaction_id, kInvalidConnectionId, request_size, out);
  }
  std::size_t refused(std::uint32_t txid, tracker::RendezvousError e) {
    tracker::bump(state.counters.rendezvous.refused);
    return error_reply(txid, tracker::error_code(e), request_size, out);
  }

  std::size_t operator()(const rvudp::RegisterRequest& r) {
    if (auto refused = refuse_unproven(r.header)) return *refused;
    tracker::bump(state.counters.rendezvous.registers);
    tracker::count_request(state.counters.requests, tracker::RequestType::rendezvous_register,
                           from.address);
    tracker::RegisterCall call{r.topic, r.id, r.body, r.ttl, r.signed_by, from.address};
    auto granted = rendezvous.register_record(call, now, state.access);
    if (!granted) return refused(r.header.transaction_id, granted.error());
    return rvudp::encode_register_response(r.header.transaction_id, granted->ttl,
                                           granted->reannounce_after, out);
  }

  std::size_t operator()(const rvudp::LookupRequest& r) {
    if (auto refused = refuse_unproven(r.header)) return *refused;
    tracker::bump(state.counters.rendezvous.lookups);
    tracker::count_request(state.counters.requests, tracker::RequestType::rendezvous_lookup,
                           from.address);
    rvudp::LookupResponseWriter writer(r.header.transaction_id, out);
    tracker::LookupCall call;
    call.topic = r.topic;
    call.limit = r.limit == 0 ? core::kLookupMaxLimit : r.limit;
    call.capability = r.capability;
    call.cursor = r.cursor;
    auto outcome = rendezvous.lookup(call, now, state.access,
                                     [&](const core::FoundRecord& f) { return writer.add(f); });
    if (!outcome) return refused(r.header.transaction_id, outcome.error());
    return writer.finish(outcome->cursor, outcome->more);
  }

  std::size_t operator()(const rvudp::UnregisterRequest& r) {
    if (auto refused = refuse_unproven(r.header)) return *refused;
    tracker::bump(state.counters.rendezvous.unregisters);
    tracker::count_request(state.counters.requests, tracker::RequestType::rendezvous_unregister,
                           from.address);
    auto done = rendezvous.unregister(r.topic, r.id, r.signed_by, from.address, now, state.access);
    if (!done) return refused(r.header.transaction_id, done.error());
    return rvudp::encode_unregister_response(r.header.transaction_id, out);
  }

  std::size_t operator()(const rvudp::WhoamiRequest& r) {
    if (auto refused = refuse_unproven(r.header)) return *refused;
    return rvudp::encode_whoami_response(r.header.transaction_id, from, out);
  }
};

}  // namespace

std::size_t RendezvousUdp::handle(std::span<const std::uint8_t> packet,
                                  const tracker::RequestContext& ctx,
                                  std::span<std::uint8_t> out) const {
  auto request = rvudp::parse_request(packet);
  if (!request) {
    tracker::bump(ctx.state.counters.udp.malformed);
    const auto& e = request.error();
    return e.sendable ? error_reply(e.transaction_id, e.message, packet.size(), out) : 0;
  }
  return std::visit(Handler{rendezvous_, ids_, packet.size(), ctx, out}, *request);
}

void RendezvousUdp::handle(std::span<Datagram* const> batch,
                           const tracker::RequestContext& ctx) const {
  for (Datagram* d : batch) d->reply = handle(d->in, ctx.from(d->from), d->out);
}

}  // namespace cairn::frontend
