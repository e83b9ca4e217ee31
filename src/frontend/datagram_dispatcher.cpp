#include "frontend/datagram_dispatcher.hpp"

#include <algorithm>
#include <stdexcept>

#include "tracker/admission.hpp"

namespace cairn::frontend {

void DatagramDispatcher::add(const DatagramMatcher& matcher, const DatagramHandler& handler) {
  if (size_ == kMaxEntries) throw std::length_error("too many datagram handlers on one port");
  entries_[size_++] = {matcher, &handler};
}

void DatagramDispatcher::dispatch(std::span<Datagram> batch,
                                  const tracker::RequestContext& ctx) const {
  // Each entry's share of the batch, in arrival order.
  std::array<std::array<Datagram*, kMaxBatch>, kMaxEntries> shares;
  std::array<std::size_t, kMaxEntries> counts{};
  auto& counters = ctx.state.counters;
  for (auto& d : batch.first(std::min(batch.size(), kMaxBatch))) {
    d.reply = 0;
    tracker::bump(counters.udp.received);
    if (!tracker::admit(d.from.address, ctx, counters.udp.rate_limited)) continue;
    std::size_t e = 0;
    while (e < size_ && !entries_[e].matcher.matches(d.in)) ++e;
    if (e == size_) {
      tracker::bump(counters.udp.malformed);
      continue;
    }
    shares[e][counts[e]++] = &d;
  }
  for (std::size_t e = 0; e < size_; ++e)
    if (counts[e] > 0) entries_[e].handler->handle(std::span(shares[e].data(), counts[e]), ctx);
}

}  // namespace cairn::frontend
