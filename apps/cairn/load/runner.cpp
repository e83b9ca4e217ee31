#include "load/runner.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "load/dht_driver.hpp"
#include "load/driver.hpp"
#include "load/http_driver.hpp"
#include "load/udp_driver.hpp"
#include "load/ws_driver.hpp"
#include "load/ws_stream.hpp"

namespace cairn::load {

namespace {

WorkloadShape shape_of(const Options& o) {
  return {o.seed, o.torrents, o.peers, o.zipf, o.source_addresses, o.seeders, !is_ws(o.mode)};
}

// Every adjustment is reported, so a run never silently differs from what
// was asked.
std::vector<std::string> settle(Options& o) {
  std::vector<std::string> notes;
  if (o.target.family() == core::Family::v6 && o.source_addresses != 1) {
    notes.push_back("IPv6: only ::1 exists, so 1 source address instead of " +
                    std::to_string(o.source_addresses));
    o.source_addresses = 1;
  }
  if (!is_ws(o.mode) && o.peers > Workload::max_peers(o.source_addresses)) {
    notes.push_back("peers capped at " + std::to_string(Workload::max_peers(o.source_addresses)) +
                    " (65535 ports per source address) instead of " + std::to_string(o.peers));
    o.peers = Workload::max_peers(o.source_addresses);
  }
  if (o.window == 0) o.window = is_udp(o.mode) ? 64 : 1;
  if (o.mode == Mode::http_close && o.window != 1) {
    notes.push_back("http-close: one request per connection, window 1");
    o.window = 1;
  }
  return notes;
}

// Every ws lane is a socket held open for the whole run: the soft limit on
// open files goes up to fit them (the hard one too, for root), or the run
// stops with what to do.
void raise_open_files(std::uint32_t lanes, std::vector<std::string>& notes) {
  const rlim_t need = rlim_t{lanes} + 64;  // stdio, epoll, a few spare
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur >= need) return;
  rlimit raised{need, std::max(need, limit.rlim_max)};
  if (::setrlimit(RLIMIT_NOFILE, &raised) != 0)
    throw std::runtime_error(std::to_string(lanes) + " connections need " + std::to_string(need) +
                             " open files, but the limit is " + std::to_string(limit.rlim_cur) +
                             " (hard " + std::to_string(limit.rlim_max) +
                             "): raise it (ulimit -n) or ask for fewer connections");
  notes.push_back("open-files limit raised from " + std::to_string(limit.rlim_cur) + " to " +
                  std::to_string(need));
}

// Lanes (sockets or connections) over all threads, rounded up to a
// multiple of the source addresses so every address has the same lanes.
std::uint32_t lane_total(const Options& o, std::vector<std::string>& notes) {
  std::uint32_t asked = o.threads * (is_udp(o.mode) ? o.sockets : o.connections);
  std::uint32_t n = o.source_addresses;
  std::uint32_t total = (asked + n - 1) / n * n;
  if (total != asked)
    notes.push_back(std::to_string(total) + " lanes in all instead of " + std::to_string(asked) +
                    ": a whole number per source address");
  return total;
}

}  // namespace

void print_hashes(const Options& options) {
  Workload w(shape_of(options));
  std::string out;
  out.reserve(41ull * w.torrent_count());
  for (std::uint32_t i = 0; i < w.torrent_count(); ++i) out.append(w.hash(i).hex()).push_back('\n');
  std::fwrite(out.data(), 1, out.size(), stdout);
}

RunSummary run_load(Options& o) {
  RunSummary summary;
  summary.options = &o;
  summary.notes = settle(o);
  std::uint32_t lanes = lane_total(o, summary.notes);
  if (is_ws(o.mode)) {
    // One browser peer per connection.
    o.peers = lanes;
    raise_open_files(lanes, summary.notes);
  }
  Workload workload(shape_of(o));
  // OpenSSL writes to its socket with write(): a tracker that closes first
  // must not kill the generator with SIGPIPE.
  if (o.mode == Mode::wss) std::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> tls(
      o.mode == Mode::wss ? new_tls_client_context() : nullptr, free_tls_client_context);
  std::atomic<std::uint32_t> settled{0};
  std::vector<std::uint8_t> stopped(workload.peer_count());
  Micros start = now_us();
  bool counted = o.preload || o.requests > 0;
  RunClock clock =
      counted ? RunClock::counted(start) : RunClock::timed(start, o.warmup_s, o.duration_s);

  std::vector<DriverResult> results(o.threads);
  std::vector<std::exception_ptr> errors(o.threads);
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < o.threads; ++t) {
    DriverSetup setup{&o,
                      &workload,
                      &stopped,
                      lanes * t / o.threads,
                      lanes * (t + 1) / o.threads - lanes * t / o.threads,
                      lanes,
                      clock,
                      tls.get(),
                      &settled};
    threads.emplace_back([&, setup, t] {
      try {
        results[t] = o.mode == Mode::dht ? run_dht(setup)
                     : is_udp(o.mode)    ? run_udp(setup)
                     : is_ws(o.mode)     ? run_ws(setup)
                                         : run_http(setup);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);

  Micros finished = start;
  for (const auto& r : results) {
    summary.stats.merge(r.stats);
    finished = std::max(finished, r.finished);
  }
  Micros end = std::min(finished, clock.stop_at);
  summary.duration_s = static_cast<double>(std::max<Micros>(end - clock.measure_from, 1)) / 1e6;
  summary.peers = workload.peer_count();
  summary.lanes = lanes;
  summary.window = o.window;
  return summary;
}

}  // namespace cairn::load
