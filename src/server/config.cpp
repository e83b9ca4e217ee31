#include "server/config.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "store/redis/slot_map.hpp"

namespace cairn::server {

Config::Config()
    : listen{*core::Endpoint::parse("0.0.0.0:6969"), *core::Endpoint::parse("[::]:6969")},
      admin_listen{*core::Endpoint::parse("127.0.0.1:6970")} {
  // Loopback is the operator's own (monitoring, a local proxy, `cairn load`);
  // the kernel drops loopback sources arriving from outside.
  rate_limit.trusted = {*core::Network::parse("127.0.0.0/8"), *core::Network::parse("::1/128")};
}

namespace {

// One configuration key: where it lives, what it means, how to read it from
// TOML (nullopt on success, else the problem) and how to print its value.
struct Key {
  std::string_view section, name, comment;
  std::function<std::optional<std::string>(const toml::node&, Config&)> read;
  std::function<std::string(const Config&)> print;
};

template <class T>
using Field = T& (*)(Config&);

template <class T>
T& get(Field<T> field, const Config& c) {
  return field(const_cast<Config&>(c));
}

template <class T>
Key number(std::string_view section, std::string_view name, std::string_view comment,
           Field<T> field, std::int64_t min, std::int64_t max) {
  return {section, name, comment,
          [=](const toml::node& n, Config& c) -> std::optional<std::string> {
            auto v = n.value<std::int64_t>();
            if (!n.is_integer() || !v || *v < min || *v > max)
              return fmt::format("must be an integer from {} to {}", min, max);
            field(c) = static_cast<T>(*v);
            return std::nullopt;
          },
          [=](const Config& c) { return std::to_string(get(field, c)); }};
}

Key boolean(std::string_view section, std::string_view name, std::string_view comment,
            Field<bool> field) {
  return {section, name, comment,
          [=](const toml::node& n, Config& c) -> std::optional<std::string> {
            if (!n.is_boolean()) return "must be true or false";
            field(c) = *n.value<bool>();
            return std::nullopt;
          },
          [=](const Config& c) { return std::string(get(field, c) ? "true" : "false"); }};
}

Key text(std::string_view section, std::string_view name, std::string_view comment,
         Field<std::string> field) {
  return {section, name, comment,
          [=](const toml::node& n, Config& c) -> std::optional<std::string> {
            if (!n.is_string()) return "must be a string";
            field(c) = *n.value<std::string>();
            return std::nullopt;
          },
          [=](const Config& c) { return fmt::format("\"{}\"", get(field, c)); }};
}

// A list of strings, each parsed by `parse` into T.
template <class T>
Key list(std::string_view section, std::string_view name, std::string_view comment,
         Field<std::vector<T>> field, std::optional<T> (*parse)(std::string_view),
         std::string_view what) {
  return {section, name, comment,
          [=](const toml::node& n, Config& c) -> std::optional<std::string> {
            const auto* array = n.as_array();
            if (!array) return fmt::format("must be a list of {}", what);
            std::vector<T> values;
            for (const auto& item : *array) {
              auto text = item.value<std::string>();
              auto value = text ? parse(*text) : std::nullopt;
              if (!value) return fmt::format("\"{}\" is not {}", text.value_or("?"), what);
              values.push_back(*value);
            }
            field(c) = std::move(values);
            return std::nullopt;
          },
          [=](const Config& c) {
            std::string out = "[";
            for (const auto& v : get(field, c))
              out += fmt::format("{}\"{}\"", out.size() > 1 ? ", " : "", v.to_string());
            return out + "]";
          }};
}

const std::vector<Key>& keys() {
  static const std::vector<Key> table = {
      list<core::Endpoint>(
          "server", "listen",
          "Addresses to serve; each serves the HTTP tracker (TCP) and the UDP tracker. Port 0 "
          "picks a free port.",
          [](Config & c) -> auto& { return c.listen; }, core::Endpoint::parse,
          "an address:port (IPv6 in brackets)"),
      number<unsigned>(
          "server", "workers",
          "Worker threads; 0 means one per core, or two per core on the Redis store.",
          [](Config & c) -> auto& { return c.workers; }, 0, 1024),
      {"server", "log_level", "One of trace, debug, info, warn, error, off. Applied on SIGHUP.",
       [](const toml::node& n, Config& c) -> std::optional<std::string> {
         static const std::string_view levels[] = {"trace", "debug", "info",
                                                   "warn",  "error", "off"};
         auto v = n.value<std::string>();
         for (auto l : levels)
           if (v && *v == l) return c.log_level = *v, std::nullopt;
         return "must be one of trace, debug, info, warn, error, off";
       },
       [](const Config& c) { return fmt::format("\"{}\"", c.log_level); }},
      {"server", "log_format",
       "Log lines on stderr: text, or json (one object a line: time, level, logger, message) "
       "for log shippers.",
       [](const toml::node& n, Config& c) -> std::optional<std::string> {
         auto f = parse_log_format(n.value<std::string>().value_or(""));
         if (!f) return "must be one of text, json";
         c.log_format = *f;
         return std::nullopt;
       },
       [](const Config& c) { return fmt::format("\"{}\"", to_string(c.log_format)); }},
      number<core::Seconds>(
          "server", "summary_interval",
          "Seconds between one-line summaries at info level (requests, torrents, peers, errors); "
          "0: none. Applied on SIGHUP.",
          [](Config & c) -> auto& { return c.summary_interval; }, 0, 86400),
      boolean(
          "server", "access_log",
          "Log one line per refused request (rate-limited, or a torrent the access list refuses) "
          "with the client's address. Off by default: addresses are personal data.",
          [](Config & c) -> auto& { return c.access_log; }),
      number<std::uint32_t>(
          "server", "access_log_per_second",
          "Most access log lines a second, the whole process; more are counted and reported in "
          "the next line.",
          [](Config & c) -> auto& { return c.access_log_per_second; }, 1, 100000),
      text(
          "server", "state_file",
          "File the swarm state and rendezvous records are saved to at shutdown (and every "
          "snapshot_interval) and restored from at start; \"\" keeps none. Relative to this file's "
          "folder.",
          [](Config & c) -> auto& { return c.state_file; }),
      number<core::Seconds>(
          "server", "snapshot_interval",
          "Seconds between saves of state_file while serving; 0 saves only at shutdown.",
          [](Config & c) -> auto& { return c.snapshot_interval; }, 0, 86400),
      number<std::uint64_t>(
          "server", "max_resident_mb",
          "Memory cap in MiB of resident memory; from 90 % of it on, announces for new torrents "
          "fail with \"tracker is full\" and new peers are answered but not stored, until expiry "
          "brings it below 80 %. 0: no cap.",
          [](Config & c) -> auto& { return c.max_resident_mb; }, 0, 1'000'000'000),

      {"store", "backend",
       "Where swarms and rendezvous records are kept: \"memory\", in this process "
       "(server.state_file carries it across restarts), or \"redis\", in a Redis Cluster that "
       "any number of Cairn nodes share (store.redis_nodes; no state_file).",
       [](const toml::node& n, Config& c) -> std::optional<std::string> {
         auto v = n.value<std::string>();
         if (!n.is_string() || !store::is_backend(*v))
           return fmt::format("must be one of {}", store::backend_choices());
         c.store.backend = *v;
         return std::nullopt;
       },
       [](const Config& c) { return fmt::format("\"{}\"", c.store.backend); }},
      {"store", "redis_nodes",
       "For backend \"redis\": some nodes of the Redis Cluster, \"HOST:PORT\" each (IPv6 in "
       "brackets); the rest of the cluster is discovered from them.",
       [](const toml::node& n, Config& c) -> std::optional<std::string> {
         const auto* array = n.as_array();
         if (!array) return "must be a list of \"HOST:PORT\" strings";
         std::vector<std::string> nodes;
         for (const auto& item : *array) {
           auto text = item.value<std::string>();
           if (!text || !store::redis::NodeAddress::parse(*text, ""))
             return fmt::format("\"{}\" is not HOST:PORT", text.value_or("?"));
           nodes.push_back(*text);
         }
         c.store.redis_nodes = std::move(nodes);
         return std::nullopt;
       },
       [](const Config& c) {
         std::string out = "[";
         for (const auto& v : c.store.redis_nodes)
           out += fmt::format("{}\"{}\"", out.size() > 1 ? ", " : "", v);
         return out + "]";
       }},
      text(
          "store", "redis_user", "Redis ACL user to log in as; \"\" is the default user.",
          [](Config & c) -> auto& { return c.store.redis_user; }),
      text(
          "store", "redis_password_file",
          "File whose first line is the Redis password (of redis_user); \"\" sends no AUTH. "
          "Relative to this file's folder.",
          [](Config & c) -> auto& { return c.store.redis_password_file; }),
      {"store", "redis_namespace",
       "Prefix of every key Cairn writes, so several trackers can share one cluster; letters, "
       "digits and - _ . only.",
       [](const toml::node& n, Config& c) -> std::optional<std::string> {
         auto v = n.value<std::string>();
         // Braces would make a hash tag of their own and move keys to other slots.
         const auto fits = [](char ch) {
           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' ||
                  ch == '.';
         };
         if (!n.is_string() || v->empty() || v->size() > 64 ||
             !std::all_of(v->begin(), v->end(), fits))
           return "must be 1 to 64 letters, digits, '-', '_' or '.'";
         c.store.redis_namespace = *v;
         return std::nullopt;
       },
       [](const Config& c) { return fmt::format("\"{}\"", c.store.redis_namespace); }},
      number<std::uint32_t>(
          "store", "redis_timeout_ms",
          "Milliseconds one exchange with the cluster may take; a request Redis cannot answer by "
          "then fails with \"tracker busy, retry\".",
          [](Config & c) -> auto& { return c.store.redis_timeout_ms; }, 10, 60000),
      boolean(
          "store", "redis_tls",
          "Speak TLS to every Redis node (their tls-port); the nodes' certificates must chain to "
          "redis_ca_file and name the host or address Cairn connects to.",
          [](Config & c) -> auto& { return c.store.redis_tls; }),
      text(
          "store", "redis_ca_file",
          "With redis_tls: PEM file of the CA certificates the nodes' certificates chain to; \"\" "
          "trusts the system's CAs. Relative to this file's folder.",
          [](Config & c) -> auto& { return c.store.redis_ca_file; }),
      text(
          "store", "redis_cert_file",
          "With redis_tls: PEM client certificate (then its chain) Cairn presents, as Redis asks "
          "unless tls-auth-clients is no; \"\" presents none. Needs redis_key_file. Relative to "
          "this file's folder.",
          [](Config & c) -> auto& { return c.store.redis_cert_file; }),
      text(
          "store", "redis_key_file",
          "With redis_cert_file: its unencrypted PEM private key. Relative to this file's folder.",
          [](Config & c) -> auto& { return c.store.redis_key_file; }),

      number<std::uint32_t>(
          "tracker", "announce_interval",
          "Seconds a client is asked to wait between announces. Applied on SIGHUP (within the "
          "running peer_ttl).",
          [](Config & c) -> auto& { return c.policy.announce_interval; }, 10, 86400),
      number<std::uint32_t>(
          "tracker", "min_interval",
          "Seconds a client must wait at least between announces. Applied on SIGHUP.",
          [](Config & c) -> auto& { return c.policy.min_interval; }, 1, 86400),
      number<core::Seconds>(
          "tracker", "peer_ttl",
          "Seconds after its last announce that a peer is forgotten; at least announce_interval, "
          "at most 14336 (4 hours).",
          [](Config & c) -> auto& { return c.limits.peer_ttl; }, 10, 14336),
      number<std::uint32_t>(
          "tracker", "numwant_default", "Peers returned when the client does not say how many.",
          [](Config & c) -> auto& { return c.policy.numwant_default; }, 0, 400),
      number<std::uint32_t>(
          "tracker", "numwant_max", "Most peers returned in one reply, whatever the client asks.",
          [](Config & c) -> auto& { return c.policy.numwant_max; }, 0, 400),
      number<std::uint32_t>(
          "tracker", "max_torrents",
          "Most torrents tracked; an announce for a new one beyond it fails with \"tracker is "
          "full\".",
          [](Config & c) -> auto& { return c.limits.max_torrents; }, 1, 1'000'000'000),
      number<std::uint32_t>(
          "tracker", "max_peers_per_torrent",
          "Most peers kept per torrent; new peers beyond it still get peers but are not stored.",
          [](Config & c) -> auto& { return c.limits.max_peers_per_torrent; }, 1, 100'000'000),
      number<core::Seconds>(
          "tracker", "cleanup_interval", "Seconds between sweeps that remove expired peers.",
          [](Config & c) -> auto& { return c.cleanup_interval; }, 1, 3600),
      {"tracker", "access_mode",
       "One of off, whitelist (serve only the torrents in access_list), blacklist (serve all but "
       "those).",
       [](const toml::node& n, Config& c) -> std::optional<std::string> {
         auto mode = tracker::parse_access_mode(n.value<std::string>().value_or(""));
         if (!mode) return "must be one of off, whitelist, blacklist";
         c.access_mode = *mode;
         return std::nullopt;
       },
       [](const Config& c) { return fmt::format("\"{}\"", tracker::to_string(c.access_mode)); }},
      text(
          "tracker", "access_list",
          "File of info hashes (40 hex digits a line, # comments) for access_mode; relative to "
          "this file's folder. Reloaded on SIGHUP.",
          [](Config & c) -> auto& { return c.access_list; }),
      {"tracker", "mode",
       "public (anyone may announce) or private (only users with a passkey, announcing to "
       "/PASSKEY/announce; needs private.database).",
       [](const toml::node& n, Config& c) -> std::optional<std::string> {
         const auto mode = n.value<std::string>();
         if (!n.is_string() || (*mode != "public" && *mode != "private"))
           return "must be one of public, private";
         c.private_mode.enabled = *mode == "private";
         return std::nullopt;
       },
       [](const Config& c) {
         return std::string(c.private_mode.enabled ? "\"private\"" : "\"public\"");
       }},
      boolean(
          "tracker", "full_scrape",
          "Answer a scrape that names no info_hash (HTTP /scrape, the WebSocket scrape) with "
          "every torrent tracked, gzipped for clients that accept it; false refuses it with a "
          "failure reason (the list of torrents stays private).",
          [](Config & c) -> auto& { return c.full_scrape; }),
      number<core::Seconds>(
          "tracker", "full_scrape_interval",
          "Seconds between rebuilds of the full scrape (a background task reads the whole "
          "store); also how often one address may have it.",
          [](Config & c) -> auto& { return c.full_scrape_interval; }, 5, 86400),
      boolean(
          "tracker", "allow_client_ip",
          "Honour the address a client claims (HTTP `ip` parameter, UDP IP field) instead of the "
          "one it connects from.",
          [](Config & c) -> auto& { return c.allow_client_ip; }),

      list<core::Network>(
          "http", "trusted_proxies",
          "Networks (CIDR) of reverse proxies whose X-Forwarded-For / X-Real-IP headers name the "
          "client.",
          [](Config & c) -> auto& { return c.trusted_proxies; }, core::Network::parse,
          "a network such as 10.0.0.0/8"),
      number<core::Seconds>(
          "http", "idle_timeout", "Seconds a keep-alive connection may sit idle between requests.",
          [](Config & c) -> auto& { return c.http.idle_timeout; }, 1, 3600),
      number<core::Seconds>(
          "http", "request_timeout", "Seconds from a request's first byte until its reply is sent.",
          [](Config & c) -> auto& { return c.http.request_timeout; }, 1, 3600),
      number<std::size_t>(
          "http", "max_connections",
          "Open HTTP connections in the whole process (every worker and listen address); more "
          "are closed at once.",
          [](Config & c) -> auto& { return c.http.max_connections; }, 1, 10'000'000),
      number<std::uint32_t>(
          "http", "max_connections_per_address",
          "Open HTTP and WebSocket connections from one client address (IPv6: one /64); more are "
          "closed at once. Addresses in rate_limit.trusted_networks are not counted; 0: no limit.",
          [](Config & c) -> auto& { return c.http.max_connections_per_address; }, 0, 10'000'000),
      number<std::size_t>(
          "http", "max_request_line",
          "Bytes in the request line; longer gets 414 (an announce or scrape: a failure reason).",
          [](Config & c) -> auto& { return c.http.head.max_request_line; }, 256, 65536),
      number<std::size_t>(
          "http", "max_head", "Bytes in the request line and headers together; more gets 431.",
          [](Config & c) -> auto& { return c.http.head.max_head; }, 512, 65536),
      // Only the rendezvous API sends bodies (JSON records of at most a few
      // KiB); each listener's read buffer is max_head + max_body, so the
      // ceiling keeps one worker's buffers small.
      number<std::size_t>(
          "http", "max_body", "Bytes in a request body (Content-Length); more gets 413.",
          [](Config & c) -> auto& { return c.http.head.max_body; }, 0, 1'048'576),

      boolean(
          "ws", "enabled",
          "Serve the WebSocket (WebTorrent) tracker: an Upgrade on / or /announce of any HTTP "
          "listener.",
          [](Config & c) -> auto& { return c.ws_enabled; }),
      number<std::uint32_t>(
          "ws", "announce_interval", "Seconds between announces asked of WebSocket peers.",
          [](Config & c) -> auto& { return c.ws.announce_interval; }, 10, 86400),
      number<core::Seconds>(
          "ws", "peer_ttl",
          "Seconds a WebSocket peer that stops announcing (its connection still open) stays in "
          "its swarm; closing the connection removes it at once.",
          [](Config & c) -> auto& { return c.signaling.peer_ttl; }, 10, 86400),
      number<std::uint32_t>(
          "ws", "max_offers", "Offers relayed per announce, each to another random peer.",
          [](Config & c) -> auto& { return c.signaling.max_offers; }, 0, 64),
      number<core::Seconds>(
          "ws", "offer_ttl",
          "Seconds an offer may be answered; a later answer, or a second one, is refused.",
          [](Config & c) -> auto& { return c.signaling.offer_ttl; }, 1, 3600),
      number<std::size_t>(
          "ws", "max_message",
          "Bytes in one WebSocket message (all its frames); more closes the connection (1009).",
          [](Config & c) -> auto& { return c.ws.frame.max_message; }, 1024, 1 << 20),
      number<std::size_t>(
          "ws", "max_frame", "Bytes in one WebSocket frame; more closes the connection (1009).",
          [](Config & c) -> auto& { return c.ws.frame.max_frame; }, 1024, 1 << 20),
      number<std::size_t>(
          "ws", "max_queue",
          "Bytes waiting for one slow reader; relayed offers and answers beyond it are dropped "
          "and counted.",
          [](Config & c) -> auto& { return c.ws.max_queue; }, 4096, 64 << 20),
      number<core::Seconds>(
          "ws", "send_timeout",
          "Seconds a connection's queue may wait for its reader before the connection closes.",
          [](Config & c) -> auto& { return c.ws.send_timeout; }, 1, 3600),
      number<core::Seconds>(
          "ws", "ping_interval", "Seconds of silence before the server sends a ping.",
          [](Config & c) -> auto& { return c.ws.ping_interval; }, 1, 3600),
      number<core::Seconds>(
          "ws", "idle_timeout",
          "Seconds of silence (no message, no pong) before the connection closes.",
          [](Config & c) -> auto& { return c.ws.idle_timeout; }, 2, 7200),
      number<std::size_t>(
          "ws", "max_torrents_per_connection",
          "Torrents one connection may announce (the JS client shares one per tracker).",
          [](Config & c) -> auto& { return c.ws.max_torrents_per_connection; }, 1, 100'000),

      list<core::Endpoint>(
          "tls", "listen",
          "Addresses to serve https and wss on (TCP only): announce, scrape, /v1/ and the "
          "WebSocket tracker, as on server.listen. Needs cert_file and key_file.",
          [](Config & c) -> auto& { return c.tls.listen; }, core::Endpoint::parse,
          "an address:port (IPv6 in brackets)"),
      text(
          "tls", "cert_file",
          "PEM file: the server's certificate, then its chain. Relative to this file's folder. "
          "Reloaded on SIGHUP.",
          [](Config & c) -> auto& { return c.tls.cert_file; }),
      text(
          "tls", "key_file",
          "PEM file: the certificate's private key (PKCS#8, RSA or EC; not encrypted). Relative "
          "to this file's folder. Reloaded on SIGHUP.",
          [](Config & c) -> auto& { return c.tls.key_file; }),

      number<core::Seconds>(
          "udp", "connection_id_slot",
          "Seconds per connection id time slot; an id is accepted for one to two slots. Below 60, "
          "clients that reuse an id for BEP 15's minute must connect again.",
          [](Config & c) -> auto& { return c.connection_id_slot; }, 1, 3600),
      text(
          "udp", "connection_id_secret_file",
          "File of connection id secrets, 32 hex digits a line: ids are issued under the first "
          "and accepted under any, so nodes that share the file accept each other's ids (list a "
          "new secret first and keep the old one a while to rotate). \"\" draws a secret at "
          "start. Relative to this file's folder.",
          [](Config & c) -> auto& { return c.connection_id_secret_file; }),

      // Rate limits guard against a broken or hostile client, not against
      // load: real clients send a request or two per torrent every
      // announce_interval, so only a runaway loop or a flood gets near them.
      number<std::uint32_t>(
          "rate_limit", "requests_per_second",
          "Sustained requests per second from one client address (IPv6: one /64), per worker, HTTP "
          "and UDP together; 0 turns rate limiting off.",
          [](Config & c) -> auto& { return c.rate_limit.per_second; }, 0, 1'000'000),
      number<std::uint32_t>(
          "rate_limit", "burst",
          "Requests one address may send at once before requests_per_second applies.",
          [](Config & c) -> auto& { return c.rate_limit.burst; }, 1, 10'000'000),
      number<std::uint32_t>(
          "rate_limit", "table_size",
          "Buckets per worker (8 bytes each; rounded up to a power of two); addresses that hash "
          "alike share one.",
          [](Config & c) -> auto& { return c.rate_limit.slots; }, 1024, 1u << 24),
      list<core::Network>(
          "rate_limit", "trusted_networks", "Networks (CIDR) never rate-limited.",
          [](Config & c) -> auto& { return c.rate_limit.trusted; }, core::Network::parse,
          "a network such as 10.0.0.0/8"),

      boolean(
          "rendezvous", "enabled",
          "Serve the rendezvous API (HTTP /v1/ with whoami, UDP actions 16-19); false answers them "
          "as unknown paths and actions.",
          [](Config & c) -> auto& { return c.rendezvous.enabled; }),
      {"rendezvous", "access",
       "One of open (any topic) or access_list (only topics that tracker.access_mode and "
       "access_list allow, as for torrents; others get topic_not_allowed).",
       [](const toml::node& n, Config& c) -> std::optional<std::string> {
         auto access = tracker::parse_topic_access(n.value<std::string>().value_or(""));
         if (!access) return "must be one of open, access_list";
         c.rendezvous.access = *access;
         return std::nullopt;
       },
       [](const Config& c) {
         return fmt::format("\"{}\"", tracker::to_string(c.rendezvous.access));
       }},
      number<core::Seconds>(
          "rendezvous", "min_ttl",
          "Shortest TTL (seconds) a rendezvous record is granted; shorter requests get this.",
          [](Config & c) -> auto& { return c.rendezvous.min_ttl; }, 1, 86400),
      number<core::Seconds>(
          "rendezvous", "max_ttl",
          "Longest TTL (seconds) a record is granted; also how long a signed record's last "
          "sequence number is remembered after it ends.",
          [](Config & c) -> auto& { return c.rendezvous.max_ttl; }, 1, 86400),
      number<core::Seconds>(
          "rendezvous", "default_ttl", "TTL (seconds) of a record whose client asks for none.",
          [](Config & c) -> auto& { return c.rendezvous.default_ttl; }, 1, 86400),
      number<std::uint32_t>(
          "rendezvous", "max_records_per_topic",
          "Most records one topic holds; a new one beyond it fails with topic_full.",
          [](Config & c) -> auto& { return c.record_limits.max_records_per_topic; }, 1, 10'000'000),
      number<std::uint32_t>(
          "rendezvous", "max_records_per_address",
          "Most records one source address (IPv6: one /64) holds over all topics; beyond it: "
          "address_quota.",
          [](Config & c) -> auto& { return c.record_limits.max_records_per_address; }, 1,
          10'000'000),
      number<std::uint32_t>(
          "rendezvous", "max_topics",
          "Most topics held; a record for a new one beyond it fails with tracker_full.",
          [](Config & c) -> auto& { return c.record_limits.max_topics; }, 1, 1'000'000'000),
      {"nat", "stun",
       "STUN Binding requests on the UDP port: on (answer each; a 20-byte request gets the "
       "smallest answer, 32 bytes over IPv4, 44 over IPv6, one padded to the full answer's size "
       "the full one), padded (only answers no larger than the request: unpadded requests, "
       "which ICE agents send, get none), or off.",
       [](const toml::node& n, Config& c) -> std::optional<std::string> {
         auto mode = frontend::parse_stun_mode(n.value<std::string>().value_or(""));
         if (!mode) return "must be one of on, padded, off";
         c.stun = *mode;
         return std::nullopt;
       },
       [](const Config& c) { return fmt::format("\"{}\"", frontend::to_string(c.stun)); }},
      boolean(
          "nat", "punch",
          "Coordinate UDP hole punching between rendezvous records (UDP actions 20-23); needs "
          "rendezvous.enabled. false answers them as unknown actions.",
          [](Config & c) -> auto& { return c.punch.enabled; }),
      number<core::Seconds>(
          "nat", "keepalive",
          "Seconds between a punchable session's keep-alives, told to clients; well under the "
          "30 s many NATs keep an idle UDP mapping.",
          [](Config & c) -> auto& { return c.punch.keepalive; }, 1, 300),
      number<core::Seconds>(
          "nat", "session_ttl",
          "Seconds a punchable session lives after its last keep-alive; at least twice "
          "keepalive.",
          [](Config & c) -> auto& { return c.punch.session_ttl; }, 2, 3600),
      number<std::uint32_t>(
          "nat", "max_sessions", "Most punchable sessions held; beyond it: tracker_full.",
          [](Config & c) -> auto& { return c.punch.max_sessions; }, 1, 100'000'000),
      number<core::Seconds>(
          "nat", "token_ttl",
          "Seconds an attempt's token (and its relay) stays valid from the connect.",
          [](Config & c) -> auto& { return c.punch.token_ttl; }, 5, 3600),
      number<core::Millis>(
          "nat", "target_timeout_ms",
          "Milliseconds for each side to answer its offer; then the other gets not_responding.",
          [](Config & c) -> auto& { return c.punch.target_timeout; }, 100, 60'000),
      number<std::uint32_t>(
          "nat", "session_attempts_per_minute",
          "Attempts one session may start per minute; beyond it: too_many_attempts.",
          [](Config & c) -> auto& { return c.punch.session_attempts_per_minute; }, 1, 100'000),
      number<std::uint32_t>(
          "nat", "address_attempts_per_minute",
          "Attempts one address (IPv6: one /64) may start per minute, all its sockets together; "
          "beyond it: too_many_attempts.",
          [](Config & c) -> auto& { return c.punch.address_attempts_per_minute; }, 1, 1'000'000),
      number<std::uint32_t>(
          "nat", "pending_per_target",
          "Attempts not yet synced that may target one session at once; beyond it: busy.",
          [](Config & c) -> auto& { return c.punch.pending_per_target; }, 1, 1000),
      boolean(
          "nat", "relay",
          "Forward datagrams between the two sides of an attempt that could not punch (both "
          "NATs mapping per destination), within the caps below.",
          [](Config & c) -> auto& { return c.punch.relay; }),
      number<std::uint64_t>(
          "nat", "relay_bytes_per_pair",
          "Bytes the relay forwards for one attempt, both ways together, over its token's life; "
          "beyond it: relay_exhausted.",
          [](Config & c) -> auto& { return c.punch.relay_bytes_per_pair; }, 1, 1ull << 40),
      number<std::uint32_t>(
          "nat", "relay_rate_per_pair",
          "Bytes per second the relay forwards for one attempt (a burst of one second's worth); "
          "beyond it datagrams are dropped.",
          [](Config & c) -> auto& { return c.punch.relay_rate_per_pair; }, 1, 1u << 30),

      list<core::Endpoint>(
          "admin", "listen",
          "Addresses of the admin listener (TCP): GET /metrics (Prometheus), /stats.json and the "
          "live dashboard at /. Anyone who reaches it sees the tracker's figures: keep it on "
          "loopback or a private network. Empty: no admin listener. Port 0 picks a free port.",
          [](Config & c) -> auto& { return c.admin_listen; }, core::Endpoint::parse,
          "an address:port (IPv6 in brackets)"),

      list<core::Endpoint>(
          "dht", "listen",
          "UDP addresses the DHT node (a Mainline DHT bootstrap node, BEP 5) answers on, e.g. "
          "\"0.0.0.0:6881\"; empty: no DHT node. Port 0 picks a free port.",
          [](Config & c) -> auto& { return c.dht_listen; }, core::Endpoint::parse,
          "an address:port (IPv6 in brackets)"),
      boolean(
          "dht", "bridge",
          "get_peers returns the tracker's swarm for the info hash and announce_peer joins it; "
          "false: a pure bootstrap node that hands out nodes only.",
          [](Config & c) -> auto& { return c.dht.bridge; }),
      text(
          "dht", "external_ip",
          "The address other nodes see this node at; its node id is made valid for it (BEP 42), "
          "which nodes that enforce BEP 42 require before they announce to it. \"\": the first "
          "dht.listen address if it is a global one, else a random id.",
          [](Config & c) -> auto& { return c.dht_external_ip; }),
      number<core::Seconds>(
          "dht", "verify_delay",
          "Seconds before a node that queried this one is pinged back; only nodes that answer "
          "then (from the same address, with a BEP 42-valid id) are handed to others.",
          [](Config & c) -> auto& { return c.dht.verify_delay; }, 0, 86400),
      number<std::uint32_t>(
          "dht", "verify_queue",
          "Nodes waiting for that ping, all workers together (44 bytes each); more are not "
          "queued until it drains.",
          [](Config & c) -> auto& { return c.dht.verify_queue; }, 1, 1u << 24),
      number<std::uint32_t>(
          "dht", "max_nodes",
          "Verified nodes kept per address family (48 bytes each; rounded up to a power of two "
          "of buckets of 8); a full bucket replaces the node verified longest ago.",
          [](Config & c) -> auto& { return c.dht.max_nodes; }, 8, 1u << 24),
      number<std::uint32_t>(
          "dht", "nodes_per_reply",
          "Closest nodes a find_node reply carries per family (get_peers: at most 8).",
          [](Config & c) -> auto& { return c.dht.nodes_per_reply; }, 8, 16),
      number<std::uint32_t>(
          "dht", "handouts_per_minute",
          "Times a minute one node may be handed out; a node over it is passed over for the next "
          "closest. 0: no limit.",
          [](Config & c) -> auto& { return c.dht.handouts_per_minute; }, 0, 960),
      text(
          "private", "database",
          "SQLite file of users, passkeys, credit and registered torrents for tracker.mode = "
          "\"private\" (made if missing; `cairn user` edits it); relative to this file's folder.",
          [](Config & c) -> auto& { return c.private_mode.database; }),
      boolean(
          "private", "allow_list",
          "Serve only the torrents registered in the database (`cairn torrent add`); others get "
          "\"torrent not allowed\".",
          [](Config & c) -> auto& { return c.private_mode.allow_list; }),
      number<core::Seconds>(
          "private", "reload_interval",
          "Seconds between readings of the users and torrents, so `cairn user` changes apply "
          "while serving.",
          [](Config & c) -> auto& { return c.private_mode.reload_interval; }, 1, 3600),
      number<core::Seconds>(
          "private", "flush_interval",
          "Seconds between writes of the users' credit to the database (and once at shutdown).",
          [](Config & c) -> auto& { return c.private_mode.flush_interval; }, 1, 3600),
  };
  return table;
}

const Key* find_key(std::string_view section, std::string_view name) {
  for (const auto& k : keys())
    if (k.section == section && k.name == name) return &k;
  return nullptr;
}

// Where each key was set in the file ("tracker.min_interval" -> line), so a
// rule between keys can point at the line to change.
using KeyLines = std::map<std::string, std::size_t, std::less<>>;

// Throws "FILE:LINE: what" with the line of the first of `keys` the file
// sets (the key the message names first is the one to blame; when only the
// other is in the file, that is the line the operator changed), or
// "FILE: what" when the file sets none of them.
[[noreturn]] void fail(const std::string& path, const KeyLines& lines,
                       std::initializer_list<std::string_view> keys, std::string_view what) {
  for (auto key : keys)
    if (auto at = lines.find(key); at != lines.end())
      throw std::runtime_error(fmt::format("{}:{}: {}", path, at->second, what));
  throw std::runtime_error(fmt::format("{}: {}", path, what));
}

void validate(const Config& c, const std::string& path, const KeyLines& lines) {
  using tracker::AccessMode;
  const auto& p = c.policy;
  if (c.listen.empty())
    fail(path, lines, {"server.listen"}, "server.listen needs at least one address");
  if (p.min_interval > p.announce_interval)
    fail(path, lines, {"tracker.min_interval", "tracker.announce_interval"},
         fmt::format("tracker.min_interval ({}) must not exceed tracker.announce_interval ({})",
                     p.min_interval, p.announce_interval));
  if (c.limits.peer_ttl < p.announce_interval)
    fail(path, lines, {"tracker.peer_ttl", "tracker.announce_interval"},
         fmt::format("tracker.peer_ttl ({}) must be at least tracker.announce_interval ({}), or "
                     "peers expire between announces",
                     c.limits.peer_ttl, p.announce_interval));
  if (p.numwant_default > p.numwant_max)
    fail(path, lines, {"tracker.numwant_default", "tracker.numwant_max"},
         fmt::format("tracker.numwant_default ({}) must not exceed tracker.numwant_max ({})",
                     p.numwant_default, p.numwant_max));
  if (c.http.head.max_request_line > c.http.head.max_head)
    fail(path, lines, {"http.max_request_line", "http.max_head"},
         fmt::format("http.max_request_line ({}) must not exceed http.max_head ({})",
                     c.http.head.max_request_line, c.http.head.max_head));
  if (c.ws.ping_interval >= c.ws.idle_timeout)
    fail(path, lines, {"ws.ping_interval", "ws.idle_timeout"},
         fmt::format("ws.ping_interval ({}) must be below ws.idle_timeout ({}), or a live "
                     "connection closes before its pong",
                     c.ws.ping_interval, c.ws.idle_timeout));
  if (c.ws.frame.max_frame > c.ws.frame.max_message)
    fail(path, lines, {"ws.max_frame", "ws.max_message"},
         fmt::format("ws.max_frame ({}) must not exceed ws.max_message ({})", c.ws.frame.max_frame,
                     c.ws.frame.max_message));
  if (c.signaling.peer_ttl < c.ws.announce_interval)
    fail(path, lines, {"ws.peer_ttl", "ws.announce_interval"},
         fmt::format("ws.peer_ttl ({}) must be at least ws.announce_interval ({})",
                     c.signaling.peer_ttl, c.ws.announce_interval));
  if (c.access_mode != AccessMode::off && c.access_list.empty())
    fail(path, lines, {"tracker.access_mode", "tracker.access_list"},
         fmt::format("tracker.access_mode \"{}\" needs tracker.access_list, a file of info hashes",
                     tracker::to_string(c.access_mode)));
  if (c.access_mode == AccessMode::off && !c.access_list.empty())
    fail(path, lines, {"tracker.access_list", "tracker.access_mode"},
         "tracker.access_list is set, but tracker.access_mode is \"off\" (the list would be "
         "ignored); set access_mode to \"whitelist\" or \"blacklist\"");
  if (c.rendezvous.access == tracker::TopicAccess::access_list && c.access_mode == AccessMode::off)
    fail(path, lines, {"rendezvous.access", "tracker.access_mode"},
         "rendezvous.access \"access_list\" needs tracker.access_mode \"whitelist\" or "
         "\"blacklist\" and its tracker.access_list");
  if (c.punch.session_ttl < 2 * c.punch.keepalive)
    fail(path, lines, {"nat.session_ttl", "nat.keepalive"},
         fmt::format("nat.session_ttl ({}) must be at least twice nat.keepalive ({}), or one lost "
                     "keep-alive ends a session",
                     c.punch.session_ttl, c.punch.keepalive));
  if (!c.dht_external_ip.empty() && !core::Address::parse(c.dht_external_ip))
    fail(
        path, lines, {"dht.external_ip"},
        fmt::format("dht.external_ip \"{}\" is not an IP address (e.g. 203.0.113.5 or 2001:db8::5)",
                    c.dht_external_ip));
  const auto& r = c.rendezvous;
  if (r.min_ttl > r.default_ttl || r.default_ttl > r.max_ttl)
    fail(path, lines, {"rendezvous.default_ttl", "rendezvous.min_ttl", "rendezvous.max_ttl"},
         fmt::format("rendezvous.default_ttl ({}) must lie between rendezvous.min_ttl ({}) and "
                     "rendezvous.max_ttl ({})",
                     r.default_ttl, r.min_ttl, r.max_ttl));
  if (c.private_mode.enabled && c.private_mode.database.empty())
    fail(path, lines, {"tracker.mode", "private.database"},
         "tracker.mode \"private\" needs private.database, the SQLite file of users and passkeys "
         "(made if missing)");
  if (!c.private_mode.enabled && !c.private_mode.database.empty())
    fail(path, lines, {"private.database", "tracker.mode"},
         "private.database is set, but tracker.mode is \"public\" (passkeys would be ignored); "
         "set tracker.mode = \"private\"");
  if (c.private_mode.enabled && !c.dht_listen.empty())
    fail(path, lines, {"dht.listen", "tracker.mode"},
         "dht.listen is set, but tracker.mode is \"private\": the DHT bridge would hand a "
         "private swarm's peers to anyone; leave dht.listen empty");
  if (c.store.backend == "redis" && c.store.redis_nodes.empty())
    fail(path, lines, {"store.backend", "store.redis_nodes"},
         "store.backend \"redis\" needs store.redis_nodes, some nodes of the Redis Cluster as "
         "\"HOST:PORT\"");
  if (!c.store.redis_tls && (!c.store.redis_ca_file.empty() || !c.store.redis_cert_file.empty() ||
                             !c.store.redis_key_file.empty()))
    fail(
        path, lines,
        {"store.redis_ca_file", "store.redis_cert_file", "store.redis_key_file", "store.redis_tls"},
        "store.redis_ca_file, redis_cert_file and redis_key_file are for TLS to Redis, but "
        "store.redis_tls is false (they would be ignored); set store.redis_tls = true");
  if (c.store.redis_cert_file.empty() != c.store.redis_key_file.empty())
    fail(path, lines, {"store.redis_cert_file", "store.redis_key_file"},
         "store.redis_cert_file and store.redis_key_file go together (a client certificate and "
         "its key), but only one is set");
  if (c.store.backend != "redis" && !c.store.redis_nodes.empty())
    fail(path, lines, {"store.redis_nodes", "store.backend"},
         fmt::format("store.redis_nodes is set, but store.backend is \"{}\" (the nodes would be "
                     "ignored); set store.backend to \"redis\"",
                     c.store.backend));
}

// The list is read when the server starts; a file that cannot be opened is
// reported here, against the key that names it.
void check_access_list_readable(const Config& c, const std::string& path, const KeyLines& lines) {
  if (c.access_list.empty()) return;
  std::string problem;
  std::error_code ec;
  if (std::filesystem::is_directory(c.access_list, ec))
    problem = "is a folder";
  else if (std::ifstream file(c.access_list); !file)
    problem = std::strerror(errno);
  else
    return;
  fail(path, lines, {"tracker.access_list"},
       fmt::format("tracker.access_list \"{}\" cannot be read: {} (expected a file of info "
                   "hashes)",
                   c.access_list, problem));
}

// A relative list path names a file beside the config, wherever the
// process was started from.
std::string beside(const std::string& config_path, const std::string& path) {
  std::filesystem::path p(path);
  if (path.empty() || p.is_absolute()) return path;
  return (std::filesystem::path(config_path).parent_path() / p).string();
}

}  // namespace

Config load_config(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw std::runtime_error(
        fmt::format("{}:{}: {}", path, e.source().begin.line, e.description()));
  }
  Config config;
  KeyLines lines;
  for (const auto& [section, value] : root) {
    const auto* table = value.as_table();
    if (!table)
      throw std::runtime_error(
          fmt::format("{}:{}: unknown key '{}' (keys live in [server], [store], [tracker], [http], "
                      "[udp], [ws], [tls], [rate_limit], [rendezvous], [nat], [dht], [private])",
                      path, value.source().begin.line, section.str()));
    for (const auto& [name, node] : *table) {
      auto line = node.source().begin.line;
      const Key* key = find_key(section.str(), name.str());
      if (!key)
        throw std::runtime_error(
            fmt::format("{}:{}: unknown key '{}.{}'", path, line, section.str(), name.str()));
      if (auto error = key->read(node, config))
        throw std::runtime_error(
            fmt::format("{}:{}: {}.{} {}", path, line, section.str(), name.str(), *error));
      lines.emplace(fmt::format("{}.{}", section.str(), name.str()), line);
    }
  }
  validate(config, path, lines);
  config.record_limits.tombstone_ttl = config.rendezvous.max_ttl;
  config.access_list = beside(path, config.access_list);
  config.state_file = beside(path, config.state_file);
  config.tls.cert_file = beside(path, config.tls.cert_file);
  config.tls.key_file = beside(path, config.tls.key_file);
  config.store.redis_password_file = beside(path, config.store.redis_password_file);
  config.store.redis_ca_file = beside(path, config.store.redis_ca_file);
  config.store.redis_cert_file = beside(path, config.store.redis_cert_file);
  config.store.redis_key_file = beside(path, config.store.redis_key_file);
  config.connection_id_secret_file = beside(path, config.connection_id_secret_file);
  config.private_mode.database = beside(path, config.private_mode.database);
  check_access_list_readable(config, path, lines);
  return config;
}

std::optional<std::string> tls_problem(const Config& c) {
  const bool pair = !c.tls.cert_file.empty() && !c.tls.key_file.empty();
  if (!c.tls.listen.empty() && !pair)
    return "tls.listen needs tls.cert_file and tls.key_file (--tls-cert, --tls-key): the "
           "certificate and key to serve https and wss with";
  if (c.tls.listen.empty() && (!c.tls.cert_file.empty() || !c.tls.key_file.empty()))
    return "tls.cert_file and tls.key_file are set but tls.listen (--tls-listen) is empty: no "
           "address would serve https";
  return std::nullopt;
}

std::vector<std::string> changed_keys(const Config& a, const Config& b) {
  std::vector<std::string> changed;
  for (const auto& k : keys())
    if (k.print(a) != k.print(b)) changed.push_back(fmt::format("{}.{}", k.section, k.name));
  return changed;
}

std::string default_config_text() {
  Config defaults;
  std::ostringstream out;
  out << "# Cairn configuration. Every key is optional; shown with its default.\n";
  std::string_view section;
  for (const auto& k : keys()) {
    if (k.section != section) {
      section = k.section;
      out << "\n[" << section << "]\n";
    }
    out << "# " << k.comment << "\n" << k.name << " = " << k.print(defaults) << "\n";
  }
  return out.str();
}

}  // namespace cairn::server
