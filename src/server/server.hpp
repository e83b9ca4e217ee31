#pragma once
// The running process: the stores, the tracker logic, the workers with their
// sockets, a housekeeping thread (coarse clock, expiry sweeps, the memory
// cap's measurements, the summary line, systemd's watchdog) and, with a
// state file, a snapshot thread. SIGHUP reloads the configuration's live
// keys, the access list and the TLS pair.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "clock/coarse_clock.hpp"
#include "net/address_connections.hpp"
#include "net/connection_budget.hpp"
#include "net/tls_context.hpp"
#include "net/worker.hpp"
#include "redis/ws_relay.hpp"
#include "server/admin_listener.hpp"
#include "server/config.hpp"
#include "server/frontends.hpp"
#include "server/full_scrape_task.hpp"
#include "server/labeled_metrics.hpp"
#include "server/metrics.hpp"
#include "server/private_tracker.hpp"
#include "server/service_notify.hpp"
#include "server/state_file_lock.hpp"
#include "server/summary.hpp"
#include "server/swarm_census.hpp"
#include "server/test_sweep.hpp"
#include "store/peer_store.hpp"
#include "store/record_store.hpp"
#include "tracker/access_list.hpp"
#include "tracker/access_log.hpp"
#include "tracker/connection_ids.hpp"
#include "tracker/memory_guard.hpp"
#include "tracker/rendezvous.hpp"
#include "tracker/signaling.hpp"
#include "tracker/tracker.hpp"

namespace cairn::server {

class Server {
 public:
  explicit Server(Config config);
  ~Server();

  // Claims the state file (state_file_lock.hpp), binds every listen
  // address on every worker, restores the state, starts the threads and
  // prints one "listening udp|http ADDR:PORT" line per address to stdout,
  // "listening https ADDR:PORT" per tls.listen address, and "listening
  // admin ADDR:PORT" per admin.listen address.
  // Throws on failure, with a message for a person and nothing served.
  // The threads it starts block SIGINT, SIGTERM and SIGHUP, so only the
  // caller's thread (run_until_signal's) ever receives them.
  void start();
  // Starts, waits (sigwaitinfo) for SIGINT or SIGTERM, then stops; returns
  // stop()'s result. SIGHUP meanwhile reloads the configuration, the access
  // list and TLS.
  bool run_until_signal();
  // Closes every listener, lets requests already read be answered (briefly:
  // see net::HttpListener::close), joins the threads and, if start()
  // succeeded and a state file is set, saves the state. False if that save
  // failed (it is logged): the caller should exit non-zero.
  bool stop();
  // Reads tracker.access_list again and swaps it in while workers serve; a
  // bad file keeps the old list. Logs the outcome in one line.
  void reload_access_list();
  // Reads tls.cert_file and tls.key_file again: new connections use the new
  // pair; a pair that does not load keeps the old one. Logs the outcome.
  void reload_tls();
  // Where SIGHUP reads the configuration again from: the file and the
  // command line's overrides, as at start. Without one, a SIGHUP reloads
  // the access list and TLS pair only. Set before run_until_signal().
  void set_config_source(std::function<Config()> source) { config_source_ = std::move(source); }
  // Reads the configuration again (config_source) and applies what can
  // change while serving (server.log_level, log_format, summary_interval,
  // tracker.announce_interval and min_interval within the running peer_ttl);
  // logs what it applied and names every changed key that needs a
  // restart. A file that does not load changes nothing (logged).
  void reload_config();
  // Every worker's rate limiter made anew from `limit` (SIGHUP).
  void apply_rate_limit(const tracker::RateLimitConfig& limit);

  // Every worker's counters and the stores' numbers (server/metrics.hpp),
  // for an admin route to expose; readable from any thread.
  const tracker::MetricsRegistry& metrics() const { return metrics_; }
  // The addresses start() bound (ports picked for port 0), for tests.
  const std::vector<core::Endpoint>& listening() const { return listening_; }

 private:
  // Lowers http.max_connections, with a warning, if it would not fit in
  // the open-files limit (open_files.hpp), and makes the budget every
  // listener draws from.
  void fit_connections_in_open_files();
  // Where `at` was bound (its port picked if 0).
  // With `tls`, TCP only and served over TLS.
  core::Endpoint bind_address(const core::Endpoint& at, bool tls);
  core::Endpoint bind_workers(const core::Endpoint& at, bool tls);
  core::Endpoint bind_dht(const core::Endpoint& at);
  std::unique_ptr<redis::WsRelay> make_ws_relay();
  void housekeeping_loop();
  void maybe_log_summary();  // every summary_interval, from housekeeping
  void sweep(core::Seconds as_of);
  void check_memory();
  // The state file (server_state.cpp).
  void restore_state();
  bool save_state(bool at_shutdown);  // false if it failed (logged)
  void snapshot_loop();

  Config config_;
  std::unique_ptr<StateFileLock> state_lock_;  // from start() on, with a state file
  tracker::AccessList access_list_;
  std::function<Config()> config_source_;           // SIGHUP's (set_config_source)
  ServiceNotifier notifier_;                        // sd_notify; no-ops outside systemd
  std::unique_ptr<tracker::AccessLog> access_log_;  // with server.access_log
  std::atomic<core::Seconds> summary_interval_;     // changed by a reload
  SummaryFigures last_summary_;                     // housekeeping's own
  core::Seconds last_summary_at_ = 0;
  clock::CoarseClock clock_;
  // The clock's offset to wall time, so every node of a cluster shares
  // `now`; and what the stores of one backend share (the factory's).
  store::StoreEnv store_env_;
  // Made by store::make_peer_store / make_record_store from
  // config_.store; the state file uses their snapshots().
  std::unique_ptr<store::PeerStore> store_;
  std::unique_ptr<store::RecordStore> record_store_;  // rendezvous records
  tracker::MemoryGuard memory_guard_;
  tracker::SignalingSwarms signaling_;  // WebSocket peers (the store holds the rest)
  tracker::Tracker tracker_;
  tracker::Rendezvous rendezvous_;
  tracker::ConnectionIds connection_ids_;
  std::unique_ptr<tracker::PunchCoordinator> punch_;   // null with nat.punch or rendezvous off
  std::unique_ptr<frontend::FullScrape> full_scrape_;  // null with tracker.full_scrape off
  // WebSocket peers on other nodes (store.backend "redis" with the
  // WebSocket tracker on); null otherwise.
  std::unique_ptr<redis::WsRelay> ws_relay_;
  Frontends frontends_;  // what the listeners serve (the registration point)
  std::unique_ptr<net::ConnectionBudget> connection_budget_;  // outlives the listeners
  std::unique_ptr<net::TlsContext> tls_;                      // so does this (with tls.listen)
  net::AddressConnections per_address_;                       // so does this
  std::vector<std::unique_ptr<net::Worker>> workers_;
  // Private mode's passkeys and accounting (tracker.mode = "private"); null
  // in public mode. Its workers' parts are the workers' private_mode.
  std::unique_ptr<PrivateTracker> private_;
  SnapshotStats snapshot_stats_;  // the state file's saves, for metrics
  // For the admin pages: a memory store is read every second at most; a
  // remote one, where a census lists every slot's swarms and scrapes each
  // (a few seconds of Redis CPU for 100,000 swarms), every 5 minutes at
  // most (or every full_scrape_interval if that is longer), and only when
  // a page asks: a Prometheus scraping /metrics every 15 s does not make
  // the cluster list every swarm each time.
  SwarmCensus census_{*store_, config_.store.backend == "memory"
                                   ? std::chrono::seconds(1)
                                   : std::chrono::seconds(std::max<core::Seconds>(
                                         300, config_.full_scrape_interval))};
  tracker::MetricsRegistry metrics_;      // after the workers: it points into them
  std::unique_ptr<AdminListener> admin_;  // with admin.listen; after what it serves
  std::vector<core::Endpoint> listening_;
  std::thread housekeeping_;
  std::unique_ptr<FullScrapeTask> full_scrape_task_;  // from start(), with full_scrape_
  std::thread snapshots_;
  std::mutex snapshot_mutex_;
  std::condition_variable snapshot_wake_;
  bool started_ = false;
  bool stopped_cleanly_ = true;      // false once the final save failed
  bool memory_full_logged_ = false;  // housekeeping's own
  // For tests only: sweeps on request (test_sweep.hpp).
  const TestSweepFile test_sweep_ = TestSweepFile::from_environment();
  std::atomic<bool> stopping_{false};
};

}  // namespace cairn::server
