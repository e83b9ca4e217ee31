#include "frontend/krpc_frontend.hpp"

#include <tuple>

#include "frontend/worker_state.hpp"

namespace cairn::frontend {

static_assert(frontend::dht::kOutcomes == std::tuple_size_v<decltype(Counters::dht_outcomes)>,
              "a counter for every DHT outcome");

void KrpcFrontend::handle(std::span<Datagram* const> batch,
                          const tracker::RequestContext& ctx) const {
  for (Datagram* d : batch) {
    auto outcome = frontend::dht::Outcome::garbage;
    d->reply = dht_.handle(d->in, d->from, ctx.now, ctx.now_ms, worker_, ctx.state.access, d->out,
                           outcome);
    Counters::bump(ctx.state.counters.dht_outcomes[static_cast<std::size_t>(outcome)]);
  }
}

}  // namespace cairn::frontend
