#include "server/summary.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>
#include <vector>

namespace cairn::server {

namespace {

// Rows whose sum is a figure (names as server/metrics.cpp registers them;
// one not registered would count zero: summary_row_names() lets a test
// check them against a running server's /metrics-to-be rows).
constexpr std::array<std::string_view, 9> kRequests = {
    "udp_connects",         "udp_announces",      "udp_scrapes",
    "http_requests",        "ws_messages",        "stun_requests",
    "rendezvous_registers", "rendezvous_lookups", "rendezvous_unregisters"};
constexpr std::array<std::string_view, 11> kErrors = {
    "udp_bad_connection_id", "udp_malformed",      "udp_rate_limited",   "http_bad_requests",
    "http_rate_limited",     "ws_refused",         "ws_protocol_errors", "tracker_full",
    "tracker_busy",          "rendezvous_refused", "stun_malformed"};

}  // namespace

std::vector<std::string_view> summary_row_names() {
  std::vector<std::string_view> names(kRequests.begin(), kRequests.end());
  names.insert(names.end(), kErrors.begin(), kErrors.end());
  for (std::string_view n : {"store_torrents", "store_peers", "ws_peers", "store_seeders"})
    names.push_back(n);
  return names;
}

SummaryFigures SummaryFigures::read(const tracker::MetricsRegistry& metrics) {
  SummaryFigures f;
  for (const auto& row : metrics.rows()) {
    for (auto name : kRequests)
      if (row.name == name) f.requests += row.value;
    for (auto name : kErrors)
      if (row.name == name) f.errors += row.value;
    if (row.name == "store_torrents") f.torrents += row.value;
    if (row.name == "store_peers" || row.name == "ws_peers") f.peers += row.value;
    if (row.name == "store_seeders") f.seeders += row.value;
  }
  return f;
}

std::string summary_line(const SummaryFigures& now, const SummaryFigures& before,
                         std::uint64_t seconds) {
  const std::uint64_t requests = now.requests - before.requests;
  const double rate = seconds ? static_cast<double>(requests) / static_cast<double>(seconds) : 0;
  return fmt::format(
      "summary: {} requests in the last {} s ({:.1f}/s; {} in all), {} torrents, {} peers ({} "
      "seeders), {} errors in the last {} s ({} in all)",
      requests, seconds, rate, now.requests, now.torrents, now.peers, now.seeders,
      now.errors - before.errors, seconds, now.errors);
}

}  // namespace cairn::server
