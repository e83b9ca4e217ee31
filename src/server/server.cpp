#include "server/server.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <stdexcept>
#include <system_error>

#include "admin/dashboard_files.hpp"
#include "frontend/record_format.hpp"
#include "net/bind.hpp"
#include "net/dht_pinger.hpp"
#include "net/http_listener.hpp"
#include "net/udp_listener.hpp"
#include "server/access_list_file.hpp"
#include "server/cluster_files.hpp"
#include "server/open_files.hpp"
#include "server/process_memory.hpp"
#include "server/snapshot_file.hpp"
#include "store/store_factory.hpp"

namespace cairn::server {

namespace {

// The WebSocket swarms take the store's caps.
tracker::SignalingLimits signaling_limits(const Config& c) {
  auto l = c.signaling;
  l.max_torrents = c.limits.max_torrents;
  l.max_peers_per_torrent = c.limits.max_peers_per_torrent;
  return l;
}

// 0 means one worker per core, or two on the Redis store: there a worker
// waits for each receive batch's round trip, and a second one uses the core
// meanwhile (bench/compare: 28,000 announces/s with one per core, 30,000
// with two, on two cores beside the cluster).
unsigned worker_count(const Config& c) {
  if (c.workers > 0) return c.workers;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return c.store.backend == "redis" ? 2 * cores : cores;
}

tracker::InfoHashSet initial_access_list(const Config& c) {
  if (c.access_mode == tracker::AccessMode::off) return {};
  return read_access_list(c.access_list);
}

// Wall-clock seconds minus the clock's: what a shared store and the
// connection ids add to `now`, so every node of a cluster counts time
// alike (to the second, as far as their clocks agree).
std::int64_t wall_offset(const clock::CoarseClock& clock) {
  const auto wall = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return static_cast<std::int64_t>(wall.count()) - std::int64_t{clock.now()};
}

tracker::ConnectionIds make_connection_ids(const Config& c, std::int64_t clock_offset) {
  if (c.connection_id_secret_file.empty()) return tracker::ConnectionIds(c.connection_id_slot);
  return tracker::ConnectionIds(read_connection_id_secrets(c.connection_id_secret_file),
                                c.connection_id_slot, clock_offset);
}

// The signals run_until_signal waits for: stop (SIGINT, SIGTERM) and
// reload (SIGHUP).
sigset_t stop_and_reload_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, s);
  return set;
}

// Blocks the stop and reload signals in the calling thread for its
// lifetime, so threads started meanwhile inherit a mask without them and
// the kernel can only deliver them to the thread that waits for them.
// Without it a signal may land on any thread; under TSan, which defers a
// signal until its thread next enters an intercepted call, one that landed
// on a worker or housekeeping thread was once never acted on.
class SignalsBlocked {
 public:
  SignalsBlocked() {
    const sigset_t set = stop_and_reload_signals();
    if (int e = pthread_sigmask(SIG_BLOCK, &set, &previous_))
      throw std::system_error(e, std::generic_category(), "pthread_sigmask");
  }
  ~SignalsBlocked() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  SignalsBlocked(const SignalsBlocked&) = delete;
  SignalsBlocked& operator=(const SignalsBlocked&) = delete;

 private:
  sigset_t previous_;
};

// Two listen addresses of one family and port, one of them the wildcard or
// both the same, would share the port: the probe in bind_workers would take
// the second for another process's.
void check_distinct(const std::vector<core::Endpoint>& listen) {
  for (std::size_t i = 0; i < listen.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const core::Endpoint &a = listen[j], &b = listen[i];
      if (a.port == 0 || a.port != b.port || a.family() != b.family()) continue;
      if (a.address == b.address || a.address.is_unspecified() || b.address.is_unspecified())
        throw std::runtime_error("listen addresses " + a.to_string() + " and " + b.to_string() +
                                 " overlap; give each port once per address family");
    }
  }
}

// Port 0 means "any free port": the probe picks one and every worker binds
// that number. If another process takes it in between, start over with a
// fresh pick.
template <class Bind>
core::Endpoint bind_retrying(const core::Endpoint& at, Bind bind) {
  for (int attempt = 0;; ++attempt) {
    try {
      return bind();
    } catch (const net::ListenError& e) {
      if (at.port != 0 || e.code() != std::errc::address_in_use || attempt >= 20) throw;
    }
  }
}

// The access log's lines go to a logger of their own ("access"), beside
// the default one's sinks, so they can be told apart (and, in json, by
// their "logger").
std::unique_ptr<tracker::AccessLog> make_access_log(std::uint32_t per_second) {
  auto logger = spdlog::default_logger()->clone("access");
  return std::make_unique<tracker::AccessLog>(
      per_second, [logger](const std::string& line) { logger->info("{}", line); });
}

}  // namespace

Server::Server(Config config)
    : config_(std::move(config)),
      access_list_(config_.access_mode, initial_access_list(config_)),
      access_log_(config_.access_log ? make_access_log(config_.access_log_per_second) : nullptr),
      summary_interval_(config_.summary_interval),
      // Late enough that a restored peer's or record's last-seen time is
      // past zero.
      clock_(std::max(config_.limits.peer_ttl, config_.rendezvous.max_ttl) + 1),
      store_env_{wall_offset(clock_), nullptr},
      store_(store::make_peer_store(config_.store, config_.limits, store_env_)),
      record_store_(store::make_record_store(config_.store, config_.record_limits, store_env_)),
      memory_guard_(config_.max_resident_mb << 20, resident_bytes),
      signaling_(signaling_limits(config_)),
      tracker_(config_.policy, *store_, memory_guard_, &signaling_),
      rendezvous_(config_.rendezvous, *record_store_, memory_guard_, frontend::record_format()),
      connection_ids_(make_connection_ids(config_, store_env_.clock_offset)),
      punch_(config_.punch.enabled && config_.rendezvous.enabled
                 ? std::make_unique<tracker::PunchCoordinator>(config_.punch, rendezvous_,
                                                               tracker::PunchSecrets::random())
                 : nullptr),
      full_scrape_(config_.full_scrape
                       ? std::make_unique<frontend::FullScrape>(config_.full_scrape_interval)
                       : nullptr),
      ws_relay_(make_ws_relay()),
      frontends_(config_, tracker_, rendezvous_, connection_ids_, punch_.get(), signaling_,
                 worker_count(config_), full_scrape_.get(), ws_relay_.get()),
      per_address_(config_.http.max_connections_per_address, config_.rate_limit.trusted) {
  if (!config_.state_file.empty())
    require_snapshots(*store_, *record_store_, config_.store.backend);
  use_one_malloc_arena();
  unsigned n = worker_count(config_);
  for (unsigned i = 0; i < n; ++i) {
    std::uint64_t seed;
    randombytes_buf(&seed, sizeof seed);
    workers_.push_back(std::make_unique<net::Worker>(i, seed, config_.rate_limit, access_list_));
    workers_.back()->state().access_log = access_log_.get();
  }
  net::connect_registries(workers_);
  if (config_.private_mode.enabled) {
    private_ = std::make_unique<PrivateTracker>(config_.private_mode, config_.limits.peer_ttl, n);
    for (unsigned i = 0; i < n; ++i) workers_[i]->state().private_mode = &private_->worker(i);
  }
  register_metrics(metrics_, workers_, *store_, *record_store_, signaling_);
  register_labeled_metrics(metrics_, {workers_, *store_, memory_guard_,
                                      config_.max_resident_mb << 20, snapshot_stats_, census_});
  frontends_.add_admin(
      metrics_,
      [this](std::size_t wanted) {
        auto top = census_.get()->top;
        top.resize(std::min(wanted, top.size()));
        return top;
      },
      admin::dashboard_files());
  if (!config_.admin_listen.empty())
    admin_ = std::make_unique<AdminListener>(frontends_.admin(), clock_,
                                             static_cast<std::uint32_t>(workers_.size()));
}

Server::~Server() { stop(); }

std::unique_ptr<redis::WsRelay> Server::make_ws_relay() {
  if (!config_.ws_enabled) return nullptr;
  auto cluster = std::dynamic_pointer_cast<redis::ClusterClient>(store_env_.redis);
  if (!cluster) return nullptr;  // the memory store: one node, one swarm of browsers
  redis::WsRelayOptions o;
  o.name_space = config_.store.redis_namespace;
  o.peer_ttl = std::chrono::seconds(signaling_.limits().peer_ttl);
  o.offer_ttl = std::chrono::seconds(signaling_.limits().offer_ttl);
  // Messages from other nodes go to the worker that owns the connection.
  // Only after start() can a peer be here to get one; stop() ends the
  // relay's thread before the workers.
  return std::make_unique<redis::WsRelay>(
      std::move(cluster), std::move(o), signaling_,
      [this](const tracker::ConnectionId& to, std::string frame) {
        if (to.worker < workers_.size()) workers_[to.worker]->registry().post(to, std::move(frame));
      });
}

// probe_port picks a port free for UDP and checks it for TCP; with `tls`,
// only TCP.
core::Endpoint Server::bind_address(const core::Endpoint& at, bool tls) {
  return bind_retrying(at, [&] { return bind_workers(at, tls); });
}

// Every worker gets a socket of its own for each dht.listen address.
core::Endpoint Server::bind_dht(const core::Endpoint& at) {
  return bind_retrying(at, [&] {
    core::Endpoint bound = at;
    bound.port = net::probe_udp_port(at, "dht");
    std::vector<boost::asio::ip::udp::socket> sockets;
    for (auto& w : workers_) sockets.push_back(net::bind_udp(w->io(), bound, "dht"));
    const std::size_t total = workers_.size() * config_.dht_listen.size();
    for (std::size_t i = 0; i < workers_.size(); ++i) {
      std::uint64_t seed;
      randombytes_buf(&seed, sizeof seed);
      auto& w = *workers_[i];
      auto& parts = frontends_.add_dht_socket(total, seed);
      auto listener = std::make_unique<net::UdpListener>(std::move(sockets[i]), parts.datagrams,
                                                         clock_, w.state());
      auto pinger = std::make_unique<net::DhtPinger>(*listener, *frontends_.dht(), parts.worker,
                                                     clock_, w.state());
      w.add(std::move(listener));
      w.add(std::move(pinger));
    }
    return bound;
  });
}

core::Endpoint Server::bind_workers(const core::Endpoint& at, bool tls) {
  core::Endpoint bound = at;
  // Another process on the port would otherwise share it with our workers
  // (SO_REUSEPORT) and take part of the traffic.
  bound.port = tls ? net::probe_tcp_port(at, "https") : net::probe_port(at);
  std::vector<boost::asio::ip::udp::socket> udp;
  std::vector<boost::asio::ip::tcp::acceptor> tcp;
  for (auto& w : workers_) {
    if (!tls) udp.push_back(net::bind_udp(w->io(), bound));
    tcp.push_back(net::bind_tcp(w->io(), bound, tls ? "https" : "http"));
  }
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    auto& w = *workers_[i];
    if (!tls)
      w.add(std::make_unique<net::UdpListener>(std::move(udp[i]), frontends_.datagrams(), clock_,
                                               w.state()));
    w.add(std::make_unique<net::HttpListener>(
        std::move(tcp[i]), frontends_.http(), clock_, w.state(), config_.http, *connection_budget_,
        w.registry(), per_address_, tls ? tls_.get() : nullptr));
  }
  return bound;
}

// Before any listener is made: they all draw from the budget made here.
void Server::fit_connections_in_open_files() {
  const std::uint64_t open_files = raise_open_files_limit();
  const std::size_t addresses = config_.listen.size() + config_.tls.listen.size();
  const std::size_t fit = connections_that_fit(open_files, workers_.size(), addresses);
  if (config_.http.max_connections > fit) {
    spdlog::warn(
        "http.max_connections {} does not fit in the open-files limit of {} (workers: {}, "
        "addresses: {}): using {}; raise the limit (ulimit -n, systemd LimitNOFILE=) to keep "
        "the configured cap",
        config_.http.max_connections, open_files, workers_.size(), addresses, fit);
    config_.http.max_connections = fit;
  }
  connection_budget_ = std::make_unique<net::ConnectionBudget>(config_.http.max_connections);
}

void Server::start() {
  check_distinct(config_.listen);
  check_distinct(config_.dht_listen);
  if (private_ && !config_.dht_listen.empty())
    throw std::runtime_error(
        "dht.listen (--dht-listen) is set, but tracker.mode is \"private\": the DHT bridge "
        "would hand a private swarm's peers to anyone; leave it empty");
  check_distinct(config_.admin_listen);
  if (!config_.state_file.empty())
    state_lock_ = std::make_unique<StateFileLock>(config_.state_file);
  if (!config_.tls.listen.empty())
    tls_ = std::make_unique<net::TlsContext>(config_.tls.cert_file, config_.tls.key_file);
  fit_connections_in_open_files();
  // Bound before the state is restored, so no other process can take a port
  // meanwhile; nothing is served until the workers start below.
  std::vector<core::Endpoint> bound;
  for (const auto& at : config_.listen) bound.push_back(bind_address(at, false));
  listening_ = bound;
  std::vector<core::Endpoint> bound_tls;
  for (const auto& at : config_.tls.listen) bound_tls.push_back(bind_address(at, true));
  std::vector<core::Endpoint> dht_bound;
  for (const auto& at : config_.dht_listen) dht_bound.push_back(bind_dht(at));
  std::vector<core::Endpoint> admin_bound;
  for (const auto& at : config_.admin_listen)
    admin_bound.push_back(bind_retrying(at, [&] { return admin_->bind(at); }));
  restore_state();
  last_summary_at_ = clock_.now();
  {
    // Every thread below inherits the mask; a signal sent meanwhile stays
    // pending and reaches this thread when the block ends.
    SignalsBlocked blocked;
    // spdlog builds its registry on first use: here, before any thread of
    // ours can log, rather than on two threads at once (safe in spdlog, but
    // inside its uninstrumented library, where ThreadSanitizer cannot see
    // the guard and reports a race).
    spdlog::default_logger_raw();
    for (auto& w : workers_) w->start();
    if (admin_) admin_->start();
    housekeeping_ = std::thread([this] { housekeeping_loop(); });
    if (private_) private_->start([this] { return clock_.now(); });
    if (full_scrape_) {
      full_scrape_task_ = std::make_unique<FullScrapeTask>(tracker_, *full_scrape_,
                                                           [this] { return clock_.now(); });
      full_scrape_task_->start();
    }
    if (!config_.state_file.empty() && config_.snapshot_interval > 0)
      snapshots_ = std::thread([this] { snapshot_loop(); });
  }
  started_ = true;
  for (const auto& at : bound)
    std::printf("listening udp %s\nlistening http %s\n", at.to_string().c_str(),
                at.to_string().c_str());
  for (const auto& at : bound_tls) std::printf("listening https %s\n", at.to_string().c_str());
  for (const auto& at : dht_bound) std::printf("listening dht %s\n", at.to_string().c_str());
  for (const auto& at : admin_bound) std::printf("listening admin %s\n", at.to_string().c_str());
  std::fflush(stdout);
  // Every socket is bound and its worker running: systemctl start returns.
  notifier_.ready(fmt::format("serving on {} addresses with {} workers",
                              bound.size() + bound_tls.size() + dht_bound.size(), workers_.size()));
  if (notifier_.watchdog_every_ms() > 0)
    spdlog::info("systemd watchdog: a ping every {} ms", notifier_.watchdog_every_ms());
  if (access_log_)
    spdlog::info("access log on: refused requests, at most {} lines a second",
                 config_.access_log_per_second);
  spdlog::info("serving with {} workers; peer ttl {} s, announce interval {} s", workers_.size(),
               config_.limits.peer_ttl, config_.policy.announce_interval);
  if (config_.access_mode != tracker::AccessMode::off)
    spdlog::info("access list ({}): {} hashes from {}", tracker::to_string(config_.access_mode),
                 access_list_.size(), config_.access_list);
  if (memory_guard_.enabled()) spdlog::info("memory cap {} MiB resident", config_.max_resident_mb);
  if (private_)
    spdlog::info("private mode: {} users enabled in {}{}; WebSocket tracker off", private_->users(),
                 config_.private_mode.database,
                 config_.private_mode.allow_list ? ", registered torrents only" : "");
  if (test_sweep_.active())
    spdlog::warn("{} is set: sweeps on request from {} (a test hook; unset it in production)",
                 kTestSweepVariable, test_sweep_.path());
  if (const auto* dht = frontends_.dht())
    spdlog::info("dht node {} ({}), verifying nodes after {} s", dht->id().hex(),
                 dht->bridging() ? "bridged to the tracker's swarms" : "bootstrap only",
                 config_.dht.verify_delay);
  if (config_.rate_limit.per_second == 0)
    spdlog::info("rate limiting off");
  else
    spdlog::info("rate limit {}/s, burst {}, per address and worker", config_.rate_limit.per_second,
                 config_.rate_limit.burst);
}

void Server::reload_access_list() {
  if (config_.access_mode == tracker::AccessMode::off) {
    spdlog::info("access list: tracker.access_mode is off, nothing to reload");
    return;
  }
  try {
    access_list_.replace(read_access_list(config_.access_list));
  } catch (const std::exception& e) {
    spdlog::error("access list not reloaded, keeping the old one ({} hashes): {}",
                  access_list_.size(), e.what());
    return;
  }
  spdlog::info("access list reloaded: {} hashes", access_list_.size());
}

void Server::reload_tls() {
  if (!tls_) return;
  try {
    tls_->reload();
  } catch (const net::TlsError& e) {
    spdlog::error("tls: certificate not reloaded, keeping the old one: {}", e.what());
    return;
  }
  spdlog::info("tls: certificate and key reloaded from {} and {}", tls_->cert_file(),
               tls_->key_file());
}

void Server::housekeeping_loop() {
  core::Seconds last_cleanup = clock_.now();
  while (!stopping_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    clock_.tick();
    auto now = clock_.now();
    if (now - last_cleanup >= config_.cleanup_interval) {
      last_cleanup = now;
      sweep(now);
    }
    test_sweep_.poll([&](core::Seconds ahead) {
      spdlog::info("test sweep as of {} s from now", ahead);
      sweep(now + ahead);
    });
    check_memory();
    notifier_.watchdog_tick(clock_.now_ms());
    maybe_log_summary();
  }
}

void Server::maybe_log_summary() {
  const core::Seconds every = summary_interval_.load();
  const core::Seconds now = clock_.now();
  if (every == 0 || now - last_summary_at_ < every) return;
  const auto figures = SummaryFigures::read(metrics_);
  // The first line covers the time since start; last_summary_ is zeros then.
  spdlog::info("{}", summary_line(figures, last_summary_, now - last_summary_at_));
  last_summary_ = figures;
  last_summary_at_ = now;
}

// A worker's limiter is its own (shared-nothing), so the new one is made
// and swapped in on the worker's thread. Its buckets start full: a client
// limited a moment ago may send a burst again.
void Server::apply_rate_limit(const tracker::RateLimitConfig& limit) {
  for (auto& w : workers_)
    boost::asio::post(
        w->io(), [&state = w->state(), limit] { state.limiter = tracker::RateLimiter(limit); });
}

void Server::reload_config() {
  if (!config_source_) {
    spdlog::info("reload: started without a config file; reloading the access list and TLS only");
    return;
  }
  Config fresh;
  try {
    fresh = config_source_();
  } catch (const std::exception& e) {
    spdlog::error("reload: configuration not applied, the running one stays: {}", e.what());
    return;
  }
  std::vector<std::string> applied, restart;
  bool rate_limit_changed = false;
  for (auto& key : changed_keys(config_, fresh)) {
    if (key == "server.log_level") {
      config_.log_level = fresh.log_level;
      spdlog::set_level(spdlog::level::from_str(config_.log_level));
    } else if (key == "server.log_format") {
      config_.log_format = fresh.log_format;
      use_log_format(config_.log_format);
    } else if (key == "server.summary_interval") {
      config_.summary_interval = fresh.summary_interval;
      summary_interval_ = fresh.summary_interval;
    } else if (key.starts_with("rate_limit.")) {
      rate_limit_changed = true;
    } else if ((key == "tracker.announce_interval" || key == "tracker.min_interval") &&
               fresh.policy.announce_interval <= config_.limits.peer_ttl) {
      // Checked against the running peer_ttl (a new one needs a restart):
      // peers must not expire between two announces.
      config_.policy.announce_interval = fresh.policy.announce_interval;
      config_.policy.min_interval = fresh.policy.min_interval;
      tracker_.set_intervals(fresh.policy.announce_interval, fresh.policy.min_interval);
    } else {
      restart.push_back(std::move(key));
      continue;
    }
    applied.push_back(std::move(key));
  }
  if (rate_limit_changed) {
    config_.rate_limit = fresh.rate_limit;
    apply_rate_limit(config_.rate_limit);
  }
  if (applied.empty() && restart.empty()) spdlog::info("reload: configuration unchanged");
  if (!applied.empty()) spdlog::info("reload: applied {}", fmt::join(applied, ", "));
  if (!restart.empty())
    spdlog::warn("reload: changed but not applied, needs a restart: {}", fmt::join(restart, ", "));
}

void Server::sweep(core::Seconds as_of) {
  auto removed = store_->expire(as_of);
  if (removed > 0) spdlog::debug("expired {} peers", removed);
  auto records = record_store_->expire(as_of);
  if (records > 0) spdlog::debug("expired {} rendezvous records", records);
  // Punching keeps its own finer clock; a test sweep `ahead` moves it too.
  if (punch_) punch_->expire(clock_.precise_ms() + core::Millis{as_of - clock_.now()} * 1000);
  auto ws_peers = signaling_.expire(as_of);
  if (ws_peers > 0) spdlog::debug("expired {} WebSocket peers", ws_peers);
}

// Announces measure as they go (see MemoryGuard); this tick measures too,
// so the cap clears once expiry has freed memory even if no announce comes,
// and logs each change, whoever saw it first.
void Server::check_memory() {
  if (!memory_guard_.enabled()) return;
  // Freed memory counts against the cap until the heap gives it back.
  if (memory_guard_.full()) release_free_memory();
  memory_guard_.measure();
  if (memory_guard_.full() == memory_full_logged_) return;
  memory_full_logged_ = memory_guard_.full();
  const std::uint64_t resident = resident_bytes();
  if (memory_full_logged_)
    spdlog::warn("memory cap: {} MiB resident of {} MiB; refusing new torrents and peers",
                 resident >> 20, config_.max_resident_mb);
  else
    spdlog::info("memory cap: {} MiB resident of {} MiB; accepting new torrents and peers again",
                 resident >> 20, config_.max_resident_mb);
}

bool Server::run_until_signal() {
  // The stop and reload signals stay blocked on this thread too, and are
  // taken with sigwaitinfo: no handler ever runs, so nothing depends on where
  // a thread was when a signal came. (ThreadSanitizer defers a handler to
  // its thread's next intercepted call; under it, a SIGTERM sent as the
  // listening lines appeared was once never acted on.) Blocked before
  // start(), a stop request sent that early stays pending and is not lost.
  const sigset_t signals = stop_and_reload_signals();
  if (int e = pthread_sigmask(SIG_BLOCK, &signals, nullptr))
    throw std::system_error(e, std::generic_category(), "pthread_sigmask");
  start();
  for (;;) {
    const int signal = sigwaitinfo(&signals, nullptr);
    if (signal < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "sigwaitinfo");
    }
    if (signal != SIGHUP) {
      spdlog::info("signal {}: stopping", signal);
      break;
    }
    // The reload runs here on the main thread: reading and hashing a large
    // file never delays a worker.
    notifier_.reloading();
    reload_config();
    reload_access_list();
    reload_tls();
    notifier_.reloaded("serving; configuration reloaded");
  }
  return stop();
}

bool Server::stop() {
  if (stopping_.exchange(true)) return stopped_cleanly_;
  if (ws_relay_) ws_relay_->stop();
  if (started_) notifier_.stopping();
  // All listeners close before any worker is waited for, so no worker keeps
  // accepting while another drains.
  for (auto& w : workers_) w->close();
  if (admin_) admin_->close();
  for (auto& w : workers_) w->stop();
  if (admin_) admin_->stop();
  {
    std::lock_guard lock(snapshot_mutex_);  // so the snapshot thread cannot miss the wake-up
  }
  snapshot_wake_.notify_all();
  if (snapshots_.joinable()) snapshots_.join();
  if (housekeeping_.joinable()) housekeeping_.join();
  // After the workers: their last announces are credited too.
  if (private_ && !private_->stop()) stopped_cleanly_ = false;
  if (full_scrape_task_) full_scrape_task_->stop();
  // A start that failed has said why; it saves nothing and says no more.
  if (!started_) return stopped_cleanly_;
  stopped_cleanly_ = save_state(true);
  spdlog::info("stopped");
  return stopped_cleanly_;
}

}  // namespace cairn::server
