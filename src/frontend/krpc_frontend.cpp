#include "frontend/krpc_frontend.hpp"

#include "frontend/worker_state.hpp"

namespace cairn::frontend {

static_assert(frontend::dht::kOutcomes == tracker::DhtCounters::kOutcomes,
              "a counter for every DHT outcome");

void KrpcFrontend::handle(std::span<Datagram* const> batch,
                          const tracker::RequestContext& ctx) const {
  for (Datagram* d : batch) {
    auto outcome = frontend::dht::Outcome::garbage;
    d->reply = dht_.handle(d->in, d->from, ctx.now, ctx.now_ms, worker_, ctx.state.access, d->out,
                           outcome);
    tracker::bump(ctx.state.counters.dht.outcomes[static_cast<std::size_t>(outcome)]);
    // The outcomes up to `refused` are those of a query (dht.hpp's order).
    if (outcome <= frontend::dht::Outcome::refused)
      tracker::count_request(ctx.state.counters.requests, tracker::RequestType::dht_query,
                             d->from.address);
  }
}

}  // namespace cairn::frontend
