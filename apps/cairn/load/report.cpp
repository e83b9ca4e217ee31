#include "load/report.hpp"

#include <cstdio>

namespace cairn::load {

namespace {

std::string format(const char* fmt, auto... args) {
  char buf[512];
  int n = std::snprintf(buf, sizeof buf, fmt, args...);
  return std::string(
      buf, n < 0 ? 0 : std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1));
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
  }
  out.push_back('"');
  return out;
}

double per_second(std::uint64_t n, double s) { return s > 0 ? static_cast<double>(n) / s : 0; }
// Per announce reply, or in dht mode per get_peers reply.
double peers_per_reply(const Stats& st) {
  const std::uint64_t replies = st.announces + st.get_peers;
  return replies ? static_cast<double>(st.announce_peers) / static_cast<double>(replies) : 0;
}
using ull = unsigned long long;

}  // namespace

std::string human_report(const RunSummary& s) {
  const auto& o = *s.options;
  const auto& st = s.stats;
  std::string out;
  out += format("cairn load: mode %s, target %s, %u thread(s), %u %s in all x window %u%s\n",
                mode_name(o.mode), o.target_text.c_str(), o.threads, s.lanes,
                is_udp(o.mode) ? "sockets" : "connections", s.window, o.preload ? ", preload" : "");
  out +=
      format("workload: %u torrents, %u peers over %u source address(es), zipf %.2f, seed %llu\n",
             o.torrents, s.peers, o.source_addresses, o.zipf, static_cast<ull>(o.seed));
  for (const auto& n : s.notes) {
    out += "note: ";
    out += n;
    out += '\n';
  }
  out += format(
      "%.2f s: %llu requests, %llu responses (%.0f/s), %llu invalid, %llu timeouts, %llu "
      "reconnects\n",
      s.duration_s, static_cast<ull>(st.requests), static_cast<ull>(st.responses),
      per_second(st.responses, s.duration_s), static_cast<ull>(st.invalid),
      static_cast<ull>(st.timeouts), static_cast<ull>(st.reconnects));
  if (is_ws(o.mode))
    out += format(
        "announces %llu, offers received %llu (answered %llu), answers received %llu, scrapes "
        "%llu; %llu tracker errors; %llu answers awaited in vain; %llu WebSocket upgrades\n",
        static_cast<ull>(st.announces), static_cast<ull>(st.offers),
        static_cast<ull>(st.answers_sent), static_cast<ull>(st.answers),
        static_cast<ull>(st.scrapes), static_cast<ull>(st.errors), static_cast<ull>(st.unanswered),
        static_cast<ull>(st.opened));
  else if (o.mode == Mode::dht)
    out += format("ping %llu, find_node %llu, get_peers %llu; %.1f values per get_peers reply\n",
                  static_cast<ull>(st.pings), static_cast<ull>(st.find_nodes),
                  static_cast<ull>(st.get_peers), peers_per_reply(st));
  else
    out += format("announces %llu, scrapes %llu, connects %llu; %.1f peers per announce reply\n",
                  static_cast<ull>(st.announces), static_cast<ull>(st.scrapes),
                  static_cast<ull>(st.connects), peers_per_reply(st));
  if (o.preload)
    out += format("preload: %llu peers never got a reply after repeated tries\n",
                  static_cast<ull>(st.lost));
  out += format("latency us: p50 %llu, p99 %llu, p99.9 %llu\n",
                static_cast<ull>(st.latency.percentile(0.5)),
                static_cast<ull>(st.latency.percentile(0.99)),
                static_cast<ull>(st.latency.percentile(0.999)));
  return out;
}

std::string json_report(const RunSummary& s) {
  const auto& o = *s.options;
  const auto& st = s.stats;
  std::string out = "{\"mode\":";
  out += json_string(mode_name(o.mode));
  out += ",\"target\":";
  out += json_string(o.target_text);
  out += format(
      ",\"threads\":%u,\"duration_s\":%.3f,\"requests\":%llu,\"responses\":%llu,\"responses_per_"
      "s\":%.1f",
      o.threads, s.duration_s, static_cast<ull>(st.requests), static_cast<ull>(st.responses),
      per_second(st.responses, s.duration_s));
  out += format(
      ",\"invalid\":%llu,\"timeouts\":%llu,\"reconnects\":%llu,\"announces\":%llu,\"scrapes\":%llu",
      static_cast<ull>(st.invalid), static_cast<ull>(st.timeouts), static_cast<ull>(st.reconnects),
      static_cast<ull>(st.announces), static_cast<ull>(st.scrapes));
  out += format(",\"connects\":%llu,\"peers_per_reply\":%.2f,\"lost\":%llu",
                static_cast<ull>(st.connects), peers_per_reply(st), static_cast<ull>(st.lost));
  out +=
      format(",\"pings\":%llu,\"find_nodes\":%llu,\"get_peers\":%llu", static_cast<ull>(st.pings),
             static_cast<ull>(st.find_nodes), static_cast<ull>(st.get_peers));
  out += format(
      ",\"offers\":%llu,\"answers\":%llu,\"answers_sent\":%llu,\"errors\":%llu,\"opened\":%llu,"
      "\"unanswered\":%llu",
      static_cast<ull>(st.offers), static_cast<ull>(st.answers), static_cast<ull>(st.answers_sent),
      static_cast<ull>(st.errors), static_cast<ull>(st.opened), static_cast<ull>(st.unanswered));
  out += format(",\"latency_us\":{\"p50\":%llu,\"p99\":%llu,\"p999\":%llu}",
                static_cast<ull>(st.latency.percentile(0.5)),
                static_cast<ull>(st.latency.percentile(0.99)),
                static_cast<ull>(st.latency.percentile(0.999)));
  out += format(
      ",\"torrents\":%u,\"peers\":%u,\"seed\":%llu,\"preload\":%s,\"lanes\":%u,\"window\":%u",
      o.torrents, s.peers, static_cast<ull>(o.seed), o.preload ? "true" : "false", s.lanes,
      s.window);
  out += ",\"notes\":[";
  for (std::size_t i = 0; i < s.notes.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += json_string(s.notes[i]);
  }
  out += "]}";
  return out;
}

}  // namespace cairn::load
