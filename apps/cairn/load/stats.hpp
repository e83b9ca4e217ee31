#pragma once
// Per-thread counters, summed once at the end. Only events inside the
// measured window count: warm-up and the tail after the end are dropped.
#include <cstdint>

#include "load/histogram.hpp"

namespace cairn::load {

struct Stats {
  std::uint64_t requests = 0;   // packets or HTTP requests sent, connects included
  std::uint64_t responses = 0;  // valid replies only
  std::uint64_t invalid = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t reconnects = 0;      // server-closed keep-alive connections reopened
  std::uint64_t connects = 0;        // valid BEP 15 connect replies
  std::uint64_t announces = 0;       // valid announce replies
  std::uint64_t scrapes = 0;         // valid scrape replies
  std::uint64_t announce_peers = 0;  // peers listed over all valid announce (get_peers) replies
  std::uint64_t pings = 0;           // dht: valid replies by query
  std::uint64_t find_nodes = 0;
  std::uint64_t get_peers = 0;
  std::uint64_t lost = 0;          // preload announces given up after repeated timeouts
  std::uint64_t offers = 0;        // ws: offers relayed to this generator's peers
  std::uint64_t answers = 0;       // ws: answers relayed back to the peers that offered
  std::uint64_t answers_sent = 0;  // ws: one per offer received (also in requests)
  std::uint64_t errors = 0;        // ws: "failure reason" messages (also in invalid)
  std::uint64_t opened = 0;        // ws: WebSocket handshakes completed
  std::uint64_t unanswered = 0;    // ws: answers awaited in vain (--timeout-ms after the reply)
  Histogram latency;               // microseconds, valid replies only

  void merge(const Stats& o);
  void clear() { *this = Stats{}; }
};

inline void Stats::merge(const Stats& o) {
  requests += o.requests;
  responses += o.responses;
  invalid += o.invalid;
  timeouts += o.timeouts;
  reconnects += o.reconnects;
  connects += o.connects;
  announces += o.announces;
  scrapes += o.scrapes;
  announce_peers += o.announce_peers;
  pings += o.pings;
  find_nodes += o.find_nodes;
  get_peers += o.get_peers;
  lost += o.lost;
  offers += o.offers;
  answers += o.answers;
  answers_sent += o.answers_sent;
  errors += o.errors;
  opened += o.opened;
  unanswered += o.unanswered;
  latency.merge(o.latency);
}

}  // namespace cairn::load
