#include "frontend/punch_udp.hpp"

#include <variant>

#include "codec/punch.hpp"
#include "frontend/udp_replies.hpp"

namespace cairn::frontend {

namespace punch = codec::punch;
using tracker::bump;
using tracker::PunchEvent;

namespace {

void count(PunchEvent e, tracker::PunchCounters& c) {
  switch (e) {
    case PunchEvent::session_opened:
      return bump(c.sessions);
    case PunchEvent::session_refreshed:
      return bump(c.keepalives);
    case PunchEvent::attempt_started:
      return bump(c.attempts);
    case PunchEvent::synced:
      return bump(c.synced);
    case PunchEvent::relayed:
      return bump(c.relayed);
    case PunchEvent::relay_dropped:
      return bump(c.relay_dropped);
    case PunchEvent::refused:
      return bump(c.refused);
    case PunchEvent::session_closed:
    case PunchEvent::none:
      return;
  }
}

// An answer from the coordinator as bytes: a refusal as a BEP 15 error
// under the UDP rule (no larger than the request), the rest as they are
// (the sender holds a connection id, so it is no reflector's victim).
struct Encode {
  std::size_t request_size;
  std::span<std::uint8_t> out;
  std::size_t operator()(const tracker::PunchRefusal& r) const {
    return error_reply(r.transaction_id, tracker::error_code(r.error), request_size, out);
  }
  template <class Answer>
  std::size_t operator()(const Answer& a) const {
    return punch::encode_answer(a, out);
  }
};

std::size_t encode(const tracker::PunchAnswer& a, std::size_t request_size,
                   std::span<std::uint8_t> out) {
  return std::visit(Encode{request_size, out}, a);
}

struct Dispatch {
  tracker::PunchCoordinator& coordinator;
  const tracker::RequestContext& ctx;
  tracker::PunchOutcome operator()(const punch::SessionRequest& r) {
    return coordinator.session(r, ctx.source, ctx.precise_ms, ctx.state.access);
  }
  tracker::PunchOutcome operator()(const punch::ConnectRequest& r) {
    return coordinator.connect(r, ctx.source, ctx.precise_ms, ctx.state.access);
  }
  tracker::PunchOutcome operator()(const punch::ReadyRequest& r) {
    return coordinator.ready(r, ctx.source, ctx.precise_ms);
  }
  tracker::PunchOutcome operator()(const punch::RelayRequest& r) {
    return coordinator.relay(r, ctx.source, ctx.precise_ms);
  }
};

}  // namespace

void PunchUdp::handle(Datagram& d, const tracker::RequestContext& ctx) const {
  auto& counters = ctx.state.counters;
  auto request = punch::parse_request(d.in);
  if (!request) {
    bump(counters.udp.malformed);
    const auto& e = request.error();
    d.reply = e.sendable ? error_reply(e.transaction_id, e.message, d.in.size(), d.out) : 0;
    return;
  }
  const auto& header =
      std::visit([](const auto& r) -> const punch::Header& { return r.header; }, *request);
  if (!ids_.valid(header.connection_id, ctx.source.address, ctx.now)) {
    bump(counters.udp.bad_connection_id);
    d.reply = error_reply(header.transaction_id, kInvalidConnectionId, d.in.size(), d.out);
    return;
  }
  auto outcome = std::visit(Dispatch{coordinator_, ctx}, *request);
  count(outcome.event, counters.punch);
  if (outcome.other) {
    d.forward_to = outcome.other->to;
    d.forward = encode(outcome.other->answer, d.in.size(), d.forward_out);
  }
  d.reply = outcome.reply ? encode(*outcome.reply, d.in.size(), d.out) : 0;
}

void PunchUdp::handle(std::span<Datagram* const> batch, const tracker::RequestContext& ctx) const {
  for (Datagram* d : batch) handle(*d, ctx.from(d->from));
}

}  // namespace cairn::frontend
