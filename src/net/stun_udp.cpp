#include "net/stun_udp.hpp"

namespace cairn::net {

namespace stun = codec::stun;

std::size_t StunUdp::handle(std::span<const std::uint8_t> packet, const core::Endpoint& from,
                            WorkerState& state, std::span<std::uint8_t> out) const {
  auto& counters = state.counters;
  auto m = stun::parse_message(packet);
  if (!m) {
    Counters::bump(counters.stun_malformed);
    return 0;
  }
  if (!m->is_binding_request()) {
    Counters::bump(counters.stun_ignored);
    return 0;
  }
  Counters::bump(counters.stun_requests);
  // RFC 8489 section 6.3.1: a 420 for unknown comprehension-required
  // attributes, but as an error, never larger than the request.
  if (m->unknown_count > 0) {
    if (stun::unknown_attribute_size(m->unknown_count) > packet.size()) {
      Counters::bump(counters.stun_unanswered);
      return 0;
    }
    return stun::encode_unknown_attribute_error(m->transaction_id, m->unknown_attributes(), out);
  }
  auto answer =
      stun::answer_within(from.family(), tracker::stun_budget(mode_, from.family(), packet.size()));
  if (!answer) {
    Counters::bump(counters.stun_unanswered);
    return 0;
  }
  return stun::encode_binding_success(m->transaction_id, from, *answer, out);
}

}  // namespace cairn::net
