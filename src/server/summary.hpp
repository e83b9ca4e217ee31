#pragma once
// The periodic one-line summary at INFO (every server.summary_interval),
// so a log alone shows the tracker is alive and what it does: requests and
// errors since the last line and in all, torrents and peers now.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tracker/metrics.hpp"

namespace cairn::server {

struct SummaryFigures {
  std::uint64_t requests = 0;  // UDP, HTTP and WebSocket tracker requests, DHT and STUN too
  std::uint64_t errors = 0;    // refused as malformed, bad ids, rate-limited, full, ...
  std::uint64_t torrents = 0;
  std::uint64_t peers = 0;  // BitTorrent and WebSocket
  std::uint64_t seeders = 0;

  // Read from the registry's rows, by name (server/metrics.cpp registers them).
  static SummaryFigures read(const tracker::MetricsRegistry& metrics);
};

// "summary: 1520 requests in the last 300 s (5.1/s; 88210 in all), 310
// torrents, 2204 peers (1630 seeders), 3 errors in the last 300 s (41 in
// all)".
// Every row name the figures are read from.
std::vector<std::string_view> summary_row_names();

std::string summary_line(const SummaryFigures& now, const SummaryFigures& before,
                         std::uint64_t seconds);

}  // namespace cairn::server
