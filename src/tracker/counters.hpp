#pragma once
// A worker's counter blocks: one per frontend or concern, one instance per
// worker, written only by that worker's thread (tracker::bump: a relaxed
// load and store, no shared read-modify-write) and summed over the workers
// by the MetricsRegistry (metrics.hpp) when it is read.
//
// A block is a struct of Counters and an each(f) that names every field
// with a help text, in order. A new block (a DHT's, say): a struct like
// these in its own header, a member of WorkerCounters below, and one
// add_blocks line in server/metrics.cpp.
#include <array>
#include <cstddef>

#include "tracker/metrics.hpp"
#include "tracker/private_counters.hpp"
#include "tracker/request_counters.hpp"

namespace cairn::tracker {

// BEP 15 and everything else the UDP port receives.
struct UdpCounters {
  Counter received, connects, announces, scrapes, bad_connection_id, malformed, send_dropped,
      rate_limited;
  template <typename F>
  void each(F&& f) const {
    f("received", "UDP datagrams received", received);
    f("connects", "BEP 15 connect requests answered", connects);
    f("announces", "BEP 15 announce requests", announces);
    f("scrapes", "BEP 15 scrape requests", scrapes);
    f("bad_connection_id", "UDP requests with an invalid connection id", bad_connection_id);
    f("malformed", "UDP datagrams that did not parse", malformed);
    f("send_dropped", "UDP replies the socket did not take", send_dropped);
    f("rate_limited", "UDP datagrams dropped unanswered over the rate limit", rate_limited);
  }
};

// The HTTP port (and https): connections and the tracker's routes.
struct HttpCounters {
  Counter connections, connections_refused, refused_per_address, tls_failures, requests, announces,
      scrapes, bad_requests, bad_forwarded, timeouts, rate_limited, full_scrapes,
      full_scrapes_refused;
  template <typename F>
  void each(F&& f) const {
    f("connections", "HTTP connections accepted", connections);
    f("connections_refused", "HTTP connections closed at once over http.max_connections",
      connections_refused);
    f("refused_per_address",
      "HTTP connections closed at once: their address held http.max_connections_per_address",
      refused_per_address);
    f("tls_failures", "TLS connections closed for a failed handshake or a bad record",
      tls_failures);
    f("requests", "HTTP requests routed", requests);
    f("announces", "HTTP announce requests", announces);
    f("scrapes", "HTTP scrape requests", scrapes);
    f("bad_requests", "HTTP requests refused as malformed", bad_requests);
    f("bad_forwarded", "HTTP requests whose trusted proxy header named no address", bad_forwarded);
    f("timeouts", "HTTP connections closed idle or with a request unanswered in time", timeouts);
    f("rate_limited", "HTTP requests answered \"rate limit exceeded\"", rate_limited);
    f("full_scrapes", "HTTP full scrapes (no info_hash) answered with every torrent", full_scrapes);
    f("full_scrapes_refused",
      "HTTP full scrapes refused: switched off, not ready, or asked again within the interval",
      full_scrapes_refused);
  }
};

// The rendezvous API, over HTTP and UDP alike.
struct RendezvousCounters {
  Counter registers, lookups, unregisters, refused;
  template <typename F>
  void each(F&& f) const {
    f("registers", "rendezvous registrations", registers);
    f("lookups", "rendezvous look-ups", lookups);
    f("unregisters", "rendezvous removals", unregisters);
    f("refused", "rendezvous requests answered with an error", refused);
  }
};

// The admission step's refusals (admission.hpp), for every protocol.
struct AdmissionCounters {
  Counter full, torrents_refused, busy;
  template <typename F>
  void each(F&& f) const {
    f("full", "announces refused as \"tracker is full\"", full);
    f("torrents_refused", "announces and scraped hashes the access list refused", torrents_refused);
    f("busy",
      "announces, scrapes and look-ups answered \"tracker busy, retry\": the store could not "
      "answer in time",
      busy);
  }
};

// Connections taken over by another protocol (frontend/connection.hpp).
struct ConnectionCounters {
  Counter taken_over, deliveries_dropped, slow_readers, idle_timeouts;
  template <typename F>
  void each(F&& f) const {
    f("taken_over", "connections taken over after an HTTP Upgrade", taken_over);
    f("deliveries_dropped", "messages dropped: their connection gone or its queue full",
      deliveries_dropped);
    f("slow_readers", "taken-over connections closed: queue not emptied in send_timeout",
      slow_readers);
    f("idle_timeouts", "taken-over connections closed silent past idle_timeout", idle_timeouts);
  }
};

// The WebSocket tracker (frontend/ws_connection.hpp). Its connections'
// timeouts, slow readers and dropped relays are the `connections` block's.
struct WsCounters {
  Counter connections, messages, announces, answers, scrapes, refused, rate_limited, offers_relayed,
      answers_relayed, protocol_errors;
  template <typename F>
  void each(F&& f) const {
    f("connections", "WebSocket handshakes accepted", connections);
    f("messages", "WebSocket tracker messages read", messages);
    f("announces", "WebSocket announces", announces);
    f("answers", "WebSocket answers to offers", answers);
    f("scrapes", "WebSocket scrapes", scrapes);
    f("refused", "WebSocket messages answered with a failure reason", refused);
    f("rate_limited", "WebSocket messages refused over the rate limit", rate_limited);
    f("offers_relayed", "WebRTC offers sent on to another peer", offers_relayed);
    f("answers_relayed", "WebRTC answers sent back to the offering peer", answers_relayed);
    f("protocol_errors", "WebSocket connections closed for a frame RFC 6455 forbids",
      protocol_errors);
  }
};

// The DHT node (frontend/dht): what became of each packet, one counter
// per frontend::dht::Outcome in its order (krpc_frontend.cpp checks the
// count), and the verification pings sent.
struct DhtCounters {
  static constexpr std::size_t kOutcomes = 12;
  std::array<Counter, kOutcomes> outcomes{};
  Counter pings_sent;
  template <typename F>
  void each(F&& f) const {
    static constexpr const char* names[kOutcomes][2] = {
        {"ping", "DHT ping queries answered"},
        {"find_node", "DHT find_node queries answered"},
        {"get_peers", "DHT get_peers queries answered"},
        {"announce_peer", "DHT announce_peer queries accepted"},
        {"unknown_method", "DHT queries of an unknown method (error 204)"},
        {"bad_query", "DHT queries with bad or missing arguments"},
        {"bad_token", "DHT announce_peer queries with a token not ours (error 203)"},
        {"refused", "DHT announce_peer queries the tracker refused (error 201)"},
        {"garbage", "DHT datagrams that were not KRPC, or unasked replies: no answer"},
        {"node_verified", "DHT nodes verified by answering our ping"},
        {"reply_rejected", "DHT replies not to our ping, or from a node BEP 42 rejects"},
        {"error_received", "DHT error messages received"},
    };
    for (std::size_t i = 0; i < kOutcomes; ++i) f(names[i][0], names[i][1], outcomes[i]);
    f("pings_sent", "DHT verification pings sent", pings_sent);
  }
};

// STUN on the UDP port (frontend/stun_udp.hpp).
struct StunCounters {
  Counter requests, answered, unanswered, malformed, ignored;
  template <typename F>
  void each(F&& f) const {
    f("requests", "STUN Binding requests (answered or not)", requests);
    f("answered", "STUN answers sent (Binding success, or 420 Unknown Attribute)", answered);
    f("unanswered", "STUN Binding requests left unanswered: no answer fitted nat.stun's size rule",
      unanswered);
    f("malformed", "STUN datagrams dropped: bad length, attributes or FINGERPRINT", malformed);
    f("ignored", "STUN indications, answers and other methods: dropped", ignored);
  }
};

// Hole punching over UDP (frontend/punch_udp.hpp, tracker/punch_coordinator.hpp).
struct PunchCounters {
  Counter sessions, keepalives, attempts, synced, relayed, relay_dropped, refused;
  template <typename F>
  void each(F&& f) const {
    f("sessions", "punchable sessions opened (or moved to a new socket)", sessions);
    f("keepalives", "punchable sessions refreshed by a keep-alive", keepalives);
    f("attempts", "hole-punching attempts started", attempts);
    f("synced", "hole-punching attempts that sent both sides their sync", synced);
    f("relayed", "datagrams the relay forwarded between two sides of an attempt", relayed);
    f("relay_dropped", "datagrams the relay dropped over the pair's rate", relay_dropped);
    f("refused", "hole-punching requests answered with an error", refused);
  }
};

// One worker's set of blocks (WorkerState::counters).
struct WorkerCounters {
  UdpCounters udp;
  HttpCounters http;
  RendezvousCounters rendezvous;
  AdmissionCounters tracker;
  ConnectionCounters connections;
  WsCounters ws;
  DhtCounters dht;
  StunCounters stun;
  PunchCounters punch;
  PrivateCounters private_mode;
  // The labeled metrics' blocks (request_counters.hpp).
  RequestCounters requests;
  TrafficCounters traffic;
  LatencyCounters latency;
};

}  // namespace cairn::tracker
