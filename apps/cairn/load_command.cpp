#include "load_command.hpp"

#include <cstdio>
#include <stdexcept>

#include "core/passkey.hpp"
#include "load/runner.hpp"

namespace cairn::app {

namespace {

bool is_loopback(const core::Address& a) {
  if (a.family == core::Family::v4) return a.bytes[0] == 127;
  for (int i = 0; i < 15; ++i)
    if (a.bytes[i] != 0) return false;
  return a.bytes[15] == 1;
}

void add_workload_options(CLI::App& c, load::Options& o) {
  c.add_option("--seed", o.seed, "Workload seed: same seed, same hashes, peers and request mix")
      ->capture_default_str();
  c.add_option("--torrents", o.torrents, "Info hashes in the workload")
      ->check(CLI::Range(1u, 100'000'000u))
      ->capture_default_str();
  c.add_option("--peers", o.peers,
               "Simulated peers (each a unique address and port; ws/wss: one per connection)")
      ->check(CLI::Range(1u, 1'000'000'000u))
      ->capture_default_str();
  c.add_option("--zipf", o.zipf, "Zipf exponent of torrent popularity")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  c.add_option("--source-addresses", o.source_addresses,
               "Loopback source addresses 127.0.0.1 ... 127.0.0.N")
      ->check(CLI::Range(1u, 4096u))
      ->capture_default_str();
  c.add_option("--seeders", o.seeders, "Fraction of peers that are seeders (left=0)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  c.add_option("--numwant", o.numwant,
               "numwant of every announce (replies with more peers are invalid)")
      ->check(CLI::Range(-1, 10000))
      ->capture_default_str();
  c.add_option("--scrape-ratio", o.scrape_ratio,
               "Fraction of requests that scrape 1-4 random hashes")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  c.add_option("--ping-ratio", o.ping_ratio, "dht: fraction of queries that are ping")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  c.add_option("--find-node-ratio", o.find_node_ratio,
               "dht: fraction of queries that are find_node (a random target); the rest are "
               "get_peers for the workload's info hashes")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  c.add_option("--offers", o.offers, "ws/wss: WebRTC offers in every announce")
      ->check(CLI::Range(0u, 64u))
      ->capture_default_str();
}

void add_run_options(CLI::App& c, load::Options& o) {
  c.add_option("--threads", o.threads, "Driver threads")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  c.add_option("--sockets", o.sockets, "UDP sockets per thread")
      ->check(CLI::Range(1u, 4096u))
      ->capture_default_str();
  c.add_option("--connections", o.connections,
               "HTTP or WebSocket connections per thread (ws/wss default: 10,000 over all "
               "threads)")
      ->check(CLI::Range(1u, 16384u))
      ->capture_default_str();
  c.add_option("--window", o.window,
               "Requests in flight per socket (default 64) or connection (default 1)")
      ->check(CLI::Range(1u, 4096u));
  c.add_option("--timeout-ms", o.timeout_ms, "A request unanswered this long is a timeout")
      ->check(CLI::Range(1u, 600'000u))
      ->capture_default_str();
  c.add_option("--warmup", o.warmup_s, "Seconds run before counting")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  c.add_option("--duration", o.duration_s, "Seconds counted")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();
  c.add_option("--requests", o.requests, "Send exactly N announces/scrapes instead of a timed run");
  c.add_flag("--preload", o.preload,
             "Announce every simulated peer once (event=started), then exit");
  c.add_option("--hold", o.hold_s,
               "ws/wss --preload: seconds the announced connections stay open after the "
               "\"held\" line")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  c.add_flag("--print-hashes", o.print_hashes,
             "Print every info hash of the workload in hex and exit");
  c.add_flag("--json", o.json, "Also print the result as one JSON line");
  c.add_option("--passkey", o.passkey,
               "A private tracker's passkey (32 URL-safe characters): HTTP requests go to "
               "/PASSKEY/announce and /PASSKEY/scrape, UDP announces carry /PASSKEY/announce as "
               "BEP 41 URL data")
      ->check([](const std::string& key) {
        return core::Passkey::parse(key) ? std::string()
                                         : std::string("expected 32 characters of A-Z a-z 0-9 - _");
      });
}

// aquatic's ws load test mix where the command line says nothing else:
// 10,000 connections (one browser peer each) over 10,000 torrents, 25 %
// seeders. Timed or --preload: a peer answers offers for as long as it
// runs, so a fixed request count has no clean end.
void ws_defaults(const CLI::App& c, load::Options& o) {
  if (o.requests > 0)
    throw std::runtime_error("--requests: ws and wss runs are timed (--duration) or --preload");
  if (c.get_option("--torrents")->count() == 0) o.torrents = 10'000;
  if (c.get_option("--seeders")->count() == 0) o.seeders = 0.25;
  if (c.get_option("--connections")->count() == 0)
    o.connections = (10'000 + o.threads - 1) / o.threads;
}

}  // namespace

LoadCommand::LoadCommand(CLI::App& parent) {
  command_ = parent.add_subcommand(
      "load", "Generate tracker load (for benchmarks) against a loopback target");
  command_
      ->add_option("--mode", mode_,
                   "BEP 15 with a connection id per socket (udp), a connect "
                   "before every request (udp-connect), keep-alive HTTP (http), a connection per "
                   "request (http-close), KRPC queries to a DHT node (dht), WebTorrent peers "
                   "over WebSocket (ws) or WebSocket over TLS, certificate not checked (wss)")
      ->check(CLI::IsMember({"udp", "udp-connect", "http", "http-close", "dht", "ws", "wss"}))
      ->capture_default_str();
  command_->add_option("--target", target_,
                       "Tracker address: 127.0.0.1:PORT or [::1]:PORT (loopback only)");
  add_workload_options(*command_, options_);
  add_run_options(*command_, options_);
}

int LoadCommand::run() const {
  auto& o = options_;
  for (auto m : {load::Mode::udp, load::Mode::udp_connect, load::Mode::http, load::Mode::http_close,
                 load::Mode::dht, load::Mode::ws, load::Mode::wss})
    if (mode_ == load::mode_name(m)) o.mode = m;
  if (o.mode == load::Mode::dht && o.preload)
    throw std::runtime_error("--preload announces BEP 15 peers: use it with --mode udp, not dht");
  if (load::is_ws(o.mode)) ws_defaults(*command_, o);
  if (o.ping_ratio + o.find_node_ratio > 1.0)
    throw std::runtime_error(
        "--ping-ratio plus --find-node-ratio must be at most 1 (the rest is "
        "get_peers)");
  if (o.print_hashes) {
    load::print_hashes(o);
    return 0;
  }
  auto target = core::Endpoint::parse(target_);
  if (!target || target->port == 0)
    throw std::runtime_error("--target: need ADDRESS:PORT, IPv6 in brackets");
  // The sources are loopback addresses, and a load generator must never be
  // pointed at someone else's machine.
  if (!is_loopback(target->address))
    throw std::runtime_error("--target must be a loopback address");
  o.target = *target;
  o.target_text = target_;
  auto summary = load::run_load(o);
  std::fputs(load::human_report(summary).c_str(), stdout);
  if (o.json) std::printf("%s\n", load::json_report(summary).c_str());
  return summary.stats.responses > 0 ? 0 : 2;
}

}  // namespace cairn::app
