#pragma once
// The registration point: every protocol the tracker serves on its ports,
// and in which order UDP datagrams are matched. A new frontend is a new
// file (a DatagramHandler, HttpHandler or UpgradeHandler, frontend/) plus
// one line in frontends.cpp; docs/architecture.md ("Plugging in") says
// which line.
#include <memory>
#include <vector>

#include "frontend/admin_http.hpp"
#include "frontend/datagram_dispatcher.hpp"
#include "frontend/full_scrape.hpp"
#include "frontend/http_router.hpp"
#include "frontend/krpc_frontend.hpp"
#include "server/config.hpp"
#include "tracker/connection_ids.hpp"
#include "tracker/remote_signaling.hpp"
#include "tracker/rendezvous.hpp"
#include "tracker/signaling.hpp"
#include "tracker/tracker.hpp"

namespace cairn::server {

class Frontends {
 public:
  // Every reference must outlive this.
  // `punch`: null when hole punching is off. `workers`: how many workers
  // will serve (the WebSocket tracker keeps scratch space for each).
  // `full_scrape`: null when tracker.full_scrape is off (refused).
  Frontends(const Config& config, tracker::Tracker& tracker, tracker::Rendezvous& rendezvous,
            const tracker::ConnectionIds& connection_ids, tracker::PunchCoordinator* punch,
            tracker::SignalingSwarms& signaling, std::size_t workers,
            frontend::FullScrape* full_scrape = nullptr,
            tracker::RemoteSignaling* remote_signaling = nullptr);

  // Shared by every worker (handlers are const; per-worker state comes
  // with each request's context).
  const frontend::DatagramDispatcher& datagrams() const { return datagrams_; }
  const frontend::HttpRouter& http() const { return http_; }
  // The admin listener's routes (admin.listen): its own table, on its own
  // addresses. Filled by add_admin, once the metrics are registered.
  const frontend::HttpRouter& admin() const { return admin_; }
  void add_admin(const tracker::MetricsRegistry& metrics, frontend::TopTorrents top,
                 std::vector<frontend::StaticFile> dashboard);

  // The DHT node (dht.listen), shared by every DHT socket; null when off.
  frontend::dht::Dht* dht() { return dht_.get(); }
  // What one DHT socket serves: a dispatch table of its own whose one entry
  // is KRPC, and the socket's verification queue (the pings go out over the
  // socket their node came in on). `sockets`: DHT sockets over all
  // workers, which share dht.verify_queue. At start-up, with dht() set.
  struct DhtSocket {
    DhtSocket(frontend::dht::Dht& dht, std::size_t sockets, std::uint64_t seed)
        : worker(dht.policy(), sockets, seed), krpc(dht, worker) {
      datagrams.add(frontend::KrpcFrontend::matcher(), krpc);
    }
    frontend::dht::DhtWorker worker;
    frontend::KrpcFrontend krpc;
    frontend::DatagramDispatcher datagrams;
  };
  DhtSocket& add_dht_socket(std::size_t sockets, std::uint64_t seed);

 private:
  // Keeps a handler alive as long as the tables that point to it.
  template <typename Handler, typename... Args>
  const Handler& make(Args&&... args) {
    auto h = std::make_unique<Handler>(std::forward<Args>(args)...);
    const Handler& ref = *h;
    handlers_.push_back(std::shared_ptr<const void>(std::move(h)));
    return ref;
  }

  std::vector<std::shared_ptr<const void>> handlers_;
  std::unique_ptr<frontend::dht::Dht> dht_;
  std::vector<std::unique_ptr<DhtSocket>> dht_sockets_;
  frontend::DatagramDispatcher datagrams_;
  frontend::HttpRouter http_;
  frontend::HttpRouter admin_{{}};  // no trusted proxies
};

}  // namespace cairn::server
