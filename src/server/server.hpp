#pragma once
// The running process: the stores, the tracker logic, the workers with their
// sockets, a housekeeping thread (coarse clock, expiry sweeps, the memory
// cap's measurements) and, with a state file, a snapshot thread. SIGHUP
// reloads the access list.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "net/http_frontend.hpp"
#include "net/udp_frontend.hpp"
#include "net/worker.hpp"
#include "server/config.hpp"
#include "server/test_sweep.hpp"
#include "store/memory/memory_record_store.hpp"
#include "store/memory/memory_store.hpp"
#include "tracker/access_list.hpp"
#include "tracker/connection_ids.hpp"
#include "tracker/memory_guard.hpp"
#include "tracker/rendezvous.hpp"
#include "tracker/tracker.hpp"

namespace cairn::server {

class Server {
 public:
  explicit Server(Config config);
  ~Server();

  // Binds every listen address on every worker (throws on failure) and
  // prints one "listening udp|http ADDR:PORT" line per address to stdout.
  // The threads it starts block SIGINT, SIGTERM and SIGHUP, so only the
  // caller's thread (run_until_signal's) ever receives them.
  void start();
  // Starts, blocks until SIGINT or SIGTERM, then stops. SIGHUP meanwhile
  // calls reload_access_list().
  void run_until_signal();
  // Closes every listener, lets requests already read be answered (briefly:
  // see net::HttpListener::close), joins the threads and, if start()
  // succeeded and a state file is set, saves the state.
  void stop();
  // Reads tracker.access_list again and swaps it in while workers serve; a
  // bad file keeps the old list. Logs the outcome in one line.
  void reload_access_list();

 private:
  // Lowers http.max_connections, with a warning, if every listener's
  // connections would not fit in the open-files limit (open_files.hpp).
  void fit_connections_in_open_files();
  void bind_address(const core::Endpoint& at);
  void housekeeping_loop();
  void sweep(core::Seconds as_of);
  void check_memory();
  // The state file (server_state.cpp).
  void restore_state();
  void save_state(bool at_shutdown);
  void snapshot_loop();

  Config config_;
  tracker::AccessList access_list_;
  core::CoarseClock clock_;
  // The memory store itself, not the interface: snapshots need its
  // for_each_swarm and restore_swarm.
  std::unique_ptr<store::MemoryStore> store_;
  // Rendezvous records; the memory store itself too, for snapshots.
  store::MemoryRecordStore record_store_;
  tracker::MemoryGuard memory_guard_;
  tracker::Tracker tracker_;
  tracker::Rendezvous rendezvous_;
  tracker::ConnectionIds connection_ids_;
  net::UdpFrontend udp_frontend_;
  net::HttpFrontend http_frontend_;
  std::vector<std::unique_ptr<net::Worker>> workers_;
  std::thread housekeeping_;
  std::thread snapshots_;
  std::mutex snapshot_mutex_;
  std::condition_variable snapshot_wake_;
  bool started_ = false;
  bool memory_full_logged_ = false;  // housekeeping's own
  // For tests only: sweeps on request (test_sweep.hpp).
  const TestSweepFile test_sweep_ = TestSweepFile::from_environment();
  std::atomic<bool> stopping_{false};
};

}  // namespace cairn::server
