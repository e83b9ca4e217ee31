#pragma once
// KRPC (the Mainline DHT, BEP 5) on a DHT socket: each datagram of a batch
// goes to the DHT node (frontend::dht::Dht), which answers it, learns from
// it, or drops it (docs/protocols.md, "DHT"); what became of each is
// counted. One per DHT socket, with that socket's DhtWorker (its
// verification queue: a node is pinged back over the socket it came in
// on, see net/dht_pinger.hpp). The dispatcher in front has applied the
// rate limit.
#include "frontend/datagram.hpp"
#include "frontend/dht/dht.hpp"

namespace cairn::frontend {

class KrpcFrontend final : public DatagramHandler {
 public:
  KrpcFrontend(frontend::dht::Dht& dht, frontend::dht::DhtWorker& worker)
      : dht_(dht), worker_(worker) {}

  // Bencoded dictionaries only: anything else is dropped unanswered by the
  // dispatcher, before any decoding.
  static constexpr DatagramMatcher matcher() { return DatagramMatcher::krpc(); }

  void handle(std::span<Datagram* const> batch, const tracker::RequestContext& ctx) const override;

 private:
  frontend::dht::Dht& dht_;
  frontend::dht::DhtWorker& worker_;
};

}  // namespace cairn::frontend
