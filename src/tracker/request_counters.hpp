#pragma once
// The counter blocks behind the labeled metrics (docs/architecture.md,
// "Metrics"): requests by protocol, kind and the client's address family
// (aquatic's requests by type and ip_version, torrust's lesson to label the
// family), bytes in and out, and the request latency histogram. Like every
// block (counters.hpp) one instance per worker, written by its thread only.
#include <array>
#include <cstddef>
#include <cstdint>

#include "core/endpoint.hpp"
#include "tracker/metrics.hpp"

namespace cairn::tracker {

// Every (protocol, kind) pair a frontend counts: a fixed list, so the
// labels' cardinality is bounded by its length times two families.
enum class RequestType : std::uint8_t {
  udp_connect,
  udp_announce,
  udp_scrape,
  http_announce,
  http_scrape,
  ws_announce,
  ws_scrape,
  rendezvous_register,
  rendezvous_lookup,
  rendezvous_unregister,
  dht_query,
  count_
};
inline constexpr std::size_t kRequestTypes = static_cast<std::size_t>(RequestType::count_);

struct RequestLabels {
  const char* protocol;
  const char* kind;
};
// The labels of each RequestType, in its order.
inline constexpr std::array<RequestLabels, kRequestTypes> kRequestLabels = {{
    {"udp", "connect"},
    {"udp", "announce"},
    {"udp", "scrape"},
    {"http", "announce"},
    {"http", "scrape"},
    {"ws", "announce"},
    {"ws", "scrape"},
    {"rendezvous", "register"},
    {"rendezvous", "lookup"},
    {"rendezvous", "unregister"},
    {"dht", "query"},
}};

struct RequestCounters {
  // [type][0: IPv4, 1: IPv6]
  std::array<std::array<Counter, 2>, kRequestTypes> by_type{};
};

// Adds `n` to a counter only its own thread writes (as bump does).
inline void add(Counter& c, std::uint64_t n) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

inline void count_request(RequestCounters& c, RequestType type, const core::Address& client) {
  bump(c.by_type[static_cast<std::size_t>(type)][client.family == core::Family::v4 ? 0 : 1]);
}

// Bytes the listeners read and wrote (UDP payloads; TCP plaintext, so
// https counts what HTTP saw).
struct TrafficCounters {
  Counter udp_in, udp_out, tcp_in, tcp_out;
};

// How long requests took to answer, up to their replies' write: per UDP
// receive batch, from its read (each datagram of a batch observes the
// batch's time), and per HTTP read (its pipelined requests together), from
// the wake-up that found the connection ready.
struct LatencyCounters {
  // Upper bounds of the buckets in microseconds; the last bucket is +Inf.
  static constexpr std::array<std::uint32_t, 10> kBoundsUs = {50,   100,  250,   500,   1000,
                                                              2500, 5000, 10000, 50000, 250000};
  struct Histogram {
    std::array<Counter, kBoundsUs.size() + 1> buckets{};  // not cumulative
    Counter sum_us;
    void observe(std::uint64_t us, std::uint64_t times = 1) {
      std::size_t i = 0;
      while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
      add(buckets[i], times);
      add(sum_us, us * times);
    }
  };
  Histogram udp, http;
};

}  // namespace cairn::tracker
