#include "net/punch_udp.hpp"

#include <variant>

#include "codec/punch.hpp"
#include "net/udp_replies.hpp"

namespace cairn::net {

namespace punch = codec::punch;
using tracker::PunchEvent;

namespace {

void count(PunchEvent e, Counters& c) {
  switch (e) {
    case PunchEvent::session_opened:
      return Counters::bump(c.punch_sessions);
    case PunchEvent::session_refreshed:
      return Counters::bump(c.punch_keepalives);
    case PunchEvent::attempt_started:
      return Counters::bump(c.punch_attempts);
    case PunchEvent::synced:
      return Counters::bump(c.punch_synced);
    case PunchEvent::relayed:
      return Counters::bump(c.punch_relayed);
    case PunchEvent::relay_dropped:
      return Counters::bump(c.punch_relay_dropped);
    case PunchEvent::refused:
      return Counters::bump(c.punch_refused);
    case PunchEvent::session_closed:
    case PunchEvent::none:
      return;
  }
}

// An answer from the coordinator as bytes: an error under the UDP rule (no
// larger than the request), the rest as they are (the sender holds a
// connection id, so it is no reflector's victim).
std::size_t encode(const punch::Answer& a, std::size_t request_size, std::span<std::uint8_t> out) {
  if (auto* e = std::get_if<codec::udp::ErrorResponse>(&a))
    return error_reply(e->transaction_id, e->message, request_size, out);
  return punch::encode_answer(a, out);
}

struct Dispatch {
  tracker::PunchCoordinator& coordinator;
  const core::Endpoint& from;
  core::Millis now;
  WorkerState& state;
  tracker::PunchOutcome operator()(const punch::SessionRequest& r) {
    return coordinator.session(r, from, now, state.access);
  }
  tracker::PunchOutcome operator()(const punch::ConnectRequest& r) {
    return coordinator.connect(r, from, now, state.access);
  }
  tracker::PunchOutcome operator()(const punch::ReadyRequest& r) {
    return coordinator.ready(r, from, now);
  }
  tracker::PunchOutcome operator()(const punch::RelayRequest& r) {
    return coordinator.relay(r, from, now);
  }
};

}  // namespace

std::size_t PunchUdp::handle(std::span<const std::uint8_t> packet, const core::Endpoint& from,
                             core::Seconds now, core::Millis precise_ms, WorkerState& state,
                             std::span<std::uint8_t> out, std::span<std::uint8_t> extra_out,
                             UdpExtra& extra) const {
  auto request = punch::parse_request(packet);
  if (!request) {
    Counters::bump(state.counters.udp_malformed);
    const auto& e = request.error();
    return e.sendable ? error_reply(e.transaction_id, e.message, packet.size(), out) : 0;
  }
  const auto& header =
      std::visit([](const auto& r) -> const punch::Header& { return r.header; }, *request);
  if (!ids_.valid(header.connection_id, from.address, now)) {
    Counters::bump(state.counters.udp_bad_connection_id);
    return error_reply(header.transaction_id, kInvalidConnectionId, packet.size(), out);
  }
  auto outcome = std::visit(Dispatch{*coordinator_, from, precise_ms, state}, *request);
  count(outcome.event, state.counters);
  if (outcome.other) {
    extra.to = outcome.other->to;
    extra.size = encode(outcome.other->answer, packet.size(), extra_out);
  }
  return outcome.reply ? encode(*outcome.reply, packet.size(), out) : 0;
}

}  // namespace cairn::net
