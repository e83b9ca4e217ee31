#pragma once
// The whole configuration as one typed struct with a default for every key.
// Every key is declared once, in the table in config.cpp (name, comment,
// how to read and print it), which drives loading, validation and
// `cairn serve --print-config`.
#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.hpp"
#include "frontend/dht/dht.hpp"
#include "frontend/stun_policy.hpp"
#include "frontend/ws_connection.hpp"
#include "net/http_listener.hpp"
#include "server/log_format.hpp"
#include "store/peer_store.hpp"
#include "store/record_store.hpp"
#include "store/store_factory.hpp"
#include "tracker/access_list.hpp"
#include "tracker/connection_ids.hpp"
#include "tracker/punch_coordinator.hpp"
#include "tracker/rate_limiter.hpp"
#include "tracker/rendezvous.hpp"
#include "tracker/signaling.hpp"
#include "tracker/tracker.hpp"

namespace cairn::server {

struct Config {
  std::vector<core::Endpoint> listen;  // default: 0.0.0.0:6969 and [::]:6969
  unsigned workers = 0;                // 0: one per core (two on the Redis store)
  std::string log_level = "info";
  LogFormat log_format = LogFormat::text;  // `cairn serve --log-format` overrides it
  core::Seconds summary_interval = 300;    // the INFO summary line; 0: none
  // One line per refused request (server/access_log), at most this many a
  // second; off by default (peer addresses are personal data).
  bool access_log = false;
  std::uint32_t access_log_per_second = 10;
  // Swarm state kept across restarts; "" keeps none. Relative to the
  // config file's folder (`cairn serve --state` overrides it).
  std::string state_file;
  core::Seconds snapshot_interval = 300;  // 0: written only at shutdown
  std::uint64_t max_resident_mb = 0;      // memory cap (tracker::MemoryGuard); 0: none

  store::StoreConfig store;  // the backend; its caps are `limits` and `record_limits`

  tracker::Policy policy;
  store::Limits limits;
  core::Seconds cleanup_interval = 30;
  bool allow_client_ip = false;  // honour `ip` (HTTP) and the IP field (UDP)
  tracker::AccessMode access_mode = tracker::AccessMode::off;
  std::string access_list;  // file of info hashes; relative to the config file's folder
  // GET /scrape with no info_hash (and the WebSocket scrape with none):
  // every torrent, rebuilt every full_scrape_interval off the workers and
  // served to one address at most once per interval (frontend/full_scrape.hpp).
  bool full_scrape = true;
  core::Seconds full_scrape_interval = 30;

  tracker::RateLimitConfig rate_limit;  // default trusted: loopback

  tracker::RendezvousPolicy rendezvous;
  store::RecordLimits record_limits;  // tombstone_ttl follows rendezvous.max_ttl

  std::vector<core::Network> trusted_proxies;
  net::HttpConnectionLimits http;

  // Built-in TLS: https (announce, scrape, /v1/) and wss on these addresses,
  // TCP only; the pair is read again on SIGHUP.
  struct Tls {
    std::vector<core::Endpoint> listen;
    std::string cert_file;
    std::string key_file;
  } tls;

  // The WebSocket (WebTorrent) tracker on every HTTP listener.
  bool ws_enabled = true;
  frontend::WsLimits ws;
  tracker::SignalingLimits signaling;  // its caps are `limits`' (tracker.max_torrents, ...)

  // Seconds per BEP 15 connection id slot; an id lives one to two slots.
  core::Seconds connection_id_slot = tracker::ConnectionIds::kSlotSeconds;
  // Secrets shared by the nodes of one cluster (server/secret_file.hpp);
  // "": a secret drawn at start. Relative to the config file's folder.
  std::string connection_id_secret_file;

  frontend::StunMode stun = frontend::StunMode::on;  // STUN Binding on the UDP port
  tracker::PunchPolicy punch;                        // hole punching (UDP actions 20-23)

  // The DHT node (docs/protocols.md, "DHT"): none unless dht_listen names
  // an address.
  std::vector<core::Endpoint> dht_listen;
  frontend::dht::DhtPolicy dht;
  // The address other nodes see this one at, for a BEP 42-valid node id;
  // "": the first dht_listen address if it is a global one, else none.
  std::string dht_external_ip;

  // Private mode (tracker.mode = "private", docs/private.md): passkeys,
  // accounting and the optional torrent allow-list in an SQLite database.
  struct Private {
    bool enabled = false;
    std::string database;  // relative to the config file's folder
    bool allow_list = false;
    core::Seconds reload_interval = 2;  // users and torrents read again
    core::Seconds flush_interval = 5;   // credit written
  } private_mode;
  // The admin listener (/metrics, /stats.json, the dashboard); empty: off.
  std::vector<core::Endpoint> admin_listen;  // default: 127.0.0.1:6970

  Config();
};

// Reads a TOML file over the defaults. Throws std::runtime_error naming the
// file, line and key for a syntax error, an unknown key, a bad value, keys
// that contradict each other (the line of the key named first, or of the
// other one when only it is in the file) or an access list that cannot be
// read.
Config load_config(const std::string& path);

// The keys ("section.name") whose values differ between `a` and `b`, in
// table order: what a SIGHUP reload found changed.
std::vector<std::string> changed_keys(const Config& a, const Config& b);

// The full default configuration as TOML, with a comment on every key.
std::string default_config_text();

// What is wrong with the [tls] keys taken together (an address without a
// certificate, or a certificate with no address), or nothing. Checked once
// the command line's --tls-* flags are applied over the file.
std::optional<std::string> tls_problem(const Config& c);

}  // namespace cairn::server
