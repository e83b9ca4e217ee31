#include "frontend/stun_udp.hpp"

#include "codec/stun.hpp"

namespace cairn::frontend {

namespace stun = codec::stun;
using tracker::bump;

std::size_t StunUdp::handle(std::span<const std::uint8_t> packet,
                            const tracker::RequestContext& ctx, std::span<std::uint8_t> out) const {
  auto& counters = ctx.state.counters.stun;
  // The matcher looks at 8 bytes; the rest of the test (the length, the
  // attributes, FINGERPRINT) is here.
  auto m = stun::parse_message(packet);
  if (!m) {
    bump(counters.malformed);
    return 0;
  }
  if (!m->is_binding_request()) {
    bump(counters.ignored);
    return 0;
  }
  bump(counters.requests);
  // RFC 8489 section 6.3.1: a 420 for unknown comprehension-required
  // attributes, but as an error, never larger than the request.
  if (m->unknown_count > 0) {
    if (stun::unknown_attribute_size(m->unknown_count) > packet.size()) {
      bump(counters.unanswered);
      return 0;
    }
    bump(counters.answered);
    return stun::encode_unknown_attribute_error(m->transaction_id, m->unknown_attributes(), out);
  }
  const auto family = ctx.source.family();
  auto answer = stun::answer_within(family, stun_budget(mode_, family, packet.size()));
  if (!answer) {
    bump(counters.unanswered);
    return 0;
  }
  bump(counters.answered);
  return stun::encode_binding_success(m->transaction_id, ctx.source, *answer, out);
}

void StunUdp::handle(std::span<Datagram* const> batch, const tracker::RequestContext& ctx) const {
  for (Datagram* d : batch) d->reply = handle(d->in, ctx.from(d->from), d->out);
}

}  // namespace cairn::frontend
