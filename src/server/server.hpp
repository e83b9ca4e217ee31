#pragma once
// The running process: the store, the tracker logic, the workers with their
// sockets, and a housekeeping thread (coarse clock, expiry sweeps). SIGHUP
// reloads the access list.
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "net/http_frontend.hpp"
#include "net/udp_frontend.hpp"
#include "net/worker.hpp"
#include "server/config.hpp"
#include "store/peer_store.hpp"
#include "tracker/access_list.hpp"
#include "tracker/connection_ids.hpp"
#include "tracker/tracker.hpp"

namespace cairn::server {

class Server {
 public:
  explicit Server(Config config);
  ~Server();

  // Binds every listen address on every worker (throws on failure) and
  // prints one "listening udp|http ADDR:PORT" line per address to stdout.
  void start();
  // Starts, blocks until SIGINT or SIGTERM, then stops the workers. SIGHUP
  // meanwhile calls reload_access_list().
  void run_until_signal();
  void stop();
  // Reads tracker.access_list again and swaps it in while workers serve; a
  // bad file keeps the old list. Logs the outcome in one line.
  void reload_access_list();

 private:
  void bind_address(const core::Endpoint& at);
  void housekeeping_loop();

  Config config_;
  tracker::AccessList access_list_;
  core::CoarseClock clock_;
  std::unique_ptr<store::PeerStore> store_;
  tracker::Tracker tracker_;
  tracker::ConnectionIds connection_ids_;
  net::UdpFrontend udp_frontend_;
  net::HttpFrontend http_frontend_;
  std::vector<std::unique_ptr<net::Worker>> workers_;
  std::thread housekeeping_;
  std::atomic<bool> stopping_{false};
};

}  // namespace cairn::server
