#include "server/frontends.hpp"

#include <sodium.h>

#include <array>
#include <optional>

#include "frontend/http_frontend.hpp"
#include "frontend/punch_udp.hpp"
#include "frontend/rendezvous_http.hpp"
#include "frontend/rendezvous_udp.hpp"
#include "frontend/stun_udp.hpp"
#include "frontend/udp_frontend.hpp"
#include "frontend/ws_upgrade.hpp"

namespace cairn::server {

using frontend::HttpRoute;

namespace {

// The DHT node's id, valid under BEP 42 for the address the DHT sees it at
// (dht.external_ip, else the first dht.listen address if it is global).
tracker::dht::NodeId dht_node_id(const Config& c) {
  std::optional<core::Address> external = core::Address::parse(c.dht_external_ip);
  if (!external && !c.dht_listen.empty() && !c.dht_listen.front().address.is_unspecified())
    external = c.dht_listen.front().address;
  std::array<std::uint8_t, 20> random;
  randombytes_buf(random.data(), random.size());
  return tracker::dht::own_node_id(external, random);
}

}  // namespace

Frontends::Frontends(const Config& config, tracker::Tracker& tracker,
                     tracker::Rendezvous& rendezvous, const tracker::ConnectionIds& connection_ids,
                     tracker::PunchCoordinator* punch, tracker::SignalingSwarms& signaling,
                     std::size_t workers, frontend::FullScrape* full_scrape,
                     tracker::RemoteSignaling* remote_signaling)
    : http_(config.trusted_proxies) {
  // The DHT node answers on sockets of its own (dht.listen): each has a
  // table with one entry, KRPC (add_dht_socket). With the bridge its
  // get_peers and announce_peer use the tracker's swarms.
  if (!config.dht_listen.empty())
    dht_ = std::make_unique<frontend::dht::Dht>(config.dht, dht_node_id(config), &tracker);

  // UDP: the first entry whose matcher takes a datagram gets it, so the
  // entries with a narrow matcher come first and BEP 15, which takes
  // anything, comes last; a KRPC entry (a bencoded dictionary: 'd' first)
  // goes before BEP 15 too. STUN first: no BEP 15 or rendezvous request
  // carrying a connection id can match it (tracker/connection_ids.hpp).
  // With nat.stun off, STUN datagrams are garbage to BEP 15.
  if (config.stun != frontend::StunMode::off)
    datagrams_.add(frontend::StunUdp::matcher(), make<frontend::StunUdp>(config.stun));
  if (rendezvous.enabled())  // off: actions 16-19 are unknown actions to BEP 15
    datagrams_.add(frontend::RendezvousUdp::matcher(),
                   make<frontend::RendezvousUdp>(rendezvous, connection_ids));
  if (punch)  // null with nat.punch or the rendezvous API off: actions 20-23 unknown
    datagrams_.add(frontend::PunchUdp::matcher(), make<frontend::PunchUdp>(*punch, connection_ids));
  datagrams_.add(frontend::UdpFrontend::matcher(),
                 make<frontend::UdpFrontend>(tracker, connection_ids,
                                             frontend::UdpOptions{config.allow_client_ip}));

  // HTTP: the first route that takes the path (exact, or a prefix) gets it;
  // `served` names it in the 404 of a path no route takes.
  http_.add({"/announce", HttpRoute::Match::exact, HttpRoute::Methods::get_or_head,
             HttpRoute::Limit::rate_limited,
             &make<frontend::HttpAnnounce>(tracker, config.allow_client_ip),
             "/announce and /scrape (BitTorrent)"});
  http_.add({"/scrape", HttpRoute::Match::exact, HttpRoute::Methods::get_or_head,
             HttpRoute::Limit::rate_limited, &make<frontend::HttpScrape>(tracker, full_scrape),
             ""});
  // "/PASSKEY/announce" and "/PASSKEY/scrape": a private tracker's users'
  // URLs (the handlers ask the admission step for the user); public mode
  // serves them as the plain routes. Unnamed in the 404: a passkey is
  // handed to users, not discovered.
  http_.add({"/announce", HttpRoute::Match::after_passkey, HttpRoute::Methods::get_or_head,
             HttpRoute::Limit::rate_limited,
             &make<frontend::HttpAnnounce>(tracker, config.allow_client_ip), ""});
  http_.add({"/scrape", HttpRoute::Match::after_passkey, HttpRoute::Methods::get_or_head,
             HttpRoute::Limit::rate_limited, &make<frontend::HttpScrape>(tracker, full_scrape),
             ""});
  http_.add({"/health", HttpRoute::Match::exact, HttpRoute::Methods::get_or_head,
             HttpRoute::Limit::unlimited, &make<frontend::HttpHealth>(), "/health"});
  http_.add({frontend::RendezvousHttp::kPrefix, HttpRoute::Match::prefix, HttpRoute::Methods::any,
             HttpRoute::Limit::rate_limited, &make<frontend::RendezvousHttp>(rendezvous),
             "the rendezvous API under /v1/"});
  // HTTP Upgrade: a request with "Connection: upgrade" naming a protocol
  // registered here, on any path, goes to that protocol's UpgradeHandler,
  // which may take the connection over (frontend/connection.hpp).
  // Private mode has no WebSocket tracker: WebTorrent announces carry no passkey.
  if (config.ws_enabled &&
      !config.private_mode
           .enabled)  // the WebSocket tracker (WebTorrent signaling), on / and /announce
    http_.add_upgrade("websocket", make<frontend::WsUpgrade>(tracker, signaling, config.ws, workers,
                                                             full_scrape, remote_signaling));
}

void Frontends::add_admin(const tracker::MetricsRegistry& metrics, frontend::TopTorrents top,
                          std::vector<frontend::StaticFile> dashboard) {
  admin_.add({"/metrics", HttpRoute::Match::exact, HttpRoute::Methods::get_or_head,
              HttpRoute::Limit::rate_limited, &make<frontend::AdminMetrics>(metrics),
              "/metrics (Prometheus)"});
  admin_.add({"/stats.json", HttpRoute::Match::exact, HttpRoute::Methods::get_or_head,
              HttpRoute::Limit::rate_limited, &make<frontend::AdminStats>(metrics, std::move(top)),
              "/stats.json"});
  admin_.add({"/health", HttpRoute::Match::exact, HttpRoute::Methods::get_or_head,
              HttpRoute::Limit::unlimited, &make<frontend::HttpHealth>(), "/health"});
  // Last: the dashboard's files, "/" its page.
  admin_.add({"/", HttpRoute::Match::prefix, HttpRoute::Methods::get_or_head,
              HttpRoute::Limit::rate_limited, &make<frontend::AdminFiles>(std::move(dashboard)),
              "/ (the dashboard)"});
}

Frontends::DhtSocket& Frontends::add_dht_socket(std::size_t sockets, std::uint64_t seed) {
  return *dht_sockets_.emplace_back(std::make_unique<DhtSocket>(*dht_, sockets, seed));
}

}  // namespace cairn::server
