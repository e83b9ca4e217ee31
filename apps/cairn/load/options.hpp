#pragma once
// Everything `cairn load` can be told, as one struct with its defaults.
// Filled by LoadCommand from the command line, read by every other file.
#include <cstdint>
#include <string>

#include "core/endpoint.hpp"

namespace cairn::load {

enum class Mode : std::uint8_t {
  udp,          // BEP 15, one connection id per socket refreshed every minute
  udp_connect,  // BEP 15, a connect before every announce or scrape
  http,         // keep-alive connections, reconnecting when the server closes
  http_close,   // a new connection for every request
  dht,          // KRPC (BEP 5): ping, find_node and get_peers
  ws,           // WebSocket (WebTorrent) peers: announces with offers, answers, scrapes
  wss,          // the same over TLS
};

// Modes whose lanes are UDP sockets.
inline bool is_udp(Mode m) { return m == Mode::udp || m == Mode::udp_connect || m == Mode::dht; }
inline bool is_ws(Mode m) { return m == Mode::ws || m == Mode::wss; }
inline const char* mode_name(Mode m) {
  switch (m) {
    case Mode::udp:
      return "udp";
    case Mode::udp_connect:
      return "udp-connect";
    case Mode::http:
      return "http";
    case Mode::http_close:
      return "http-close";
    case Mode::dht:
      return "dht";
    case Mode::ws:
      return "ws";
    case Mode::wss:
      return "wss";
  }
  return "?";
}

struct Options {
  Mode mode = Mode::udp;
  core::Endpoint target;
  std::string target_text;  // as given, for the report and the Host header

  unsigned threads = 1;
  unsigned sockets = 16;      // UDP sockets per thread
  unsigned connections = 64;  // HTTP connections per thread
  unsigned window = 0;        // in flight per socket/connection; 0: 64 for UDP, 1 for HTTP
  unsigned timeout_ms = 1000;

  std::uint64_t seed = 1;
  std::uint32_t torrents = 100'000;
  std::uint32_t peers = 1'000'000;
  double zipf = 1.0;
  unsigned source_addresses = 16;  // 127.0.0.1 ... 127.0.0.N
  double seeders = 0.30;
  std::int32_t numwant = 50;
  double scrape_ratio = 0.10;
  double ping_ratio = 0.10;       // dht: the rest after find_node is get_peers
  double find_node_ratio = 0.30;  // dht
  unsigned offers = 10;           // ws: offers per announce
  double hold_s = 0;              // ws preload: seconds the announced connections stay open
  // A private tracker's passkey: announces go to /PASSKEY/announce (HTTP)
  // or carry it as BEP 41 URL data (UDP); "" for none.
  std::string passkey;

  double warmup_s = 2;
  double duration_s = 10;
  std::uint64_t requests = 0;  // when nonzero, replaces warmup and duration

  bool preload = false;
  bool print_hashes = false;
  bool json = false;
};

}  // namespace cairn::load
