#pragma once
// Private mode's background task (tracker.mode = "private"), off the I/O
// threads: every quarter second it drains each worker's announce records
// into the accounting ledger (tracker/accounting.hpp); every
// private.reload_interval it publishes a new passkey snapshot if the
// database changed (`cairn user` while serving); every
// private.flush_interval, and once at stop, it writes the credit gathered
// meanwhile to the database in one transaction.
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "server/config.hpp"
#include "server/user_database.hpp"
#include "tracker/accounting.hpp"
#include "tracker/private_mode.hpp"

namespace cairn::server {

class PrivateTracker {
 public:
  // Opens the database (throws DatabaseError) and publishes its users.
  // `peer_ttl`: a peer silent this long is no longer active.
  PrivateTracker(const Config::Private& config, core::Seconds peer_ttl, std::size_t workers);
  ~PrivateTracker();

  tracker::PrivateWorker& worker(std::size_t i) { return *workers_[i]; }
  std::size_t users() const;

  // `now`: the server's clock, read from the task's thread.
  void start(std::function<core::Seconds()> now);
  // Drains, writes the last credit and joins; false if that write failed
  // (logged). Safe to call twice.
  bool stop();

 private:
  void loop();
  // Credits, in stamp order over all workers, every record stamped before
  // `until` (all of them: the final drain).
  void drain(core::Seconds now, std::int64_t until);
  void reload();
  bool flush(core::Seconds now);

  Config::Private config_;
  core::Seconds peer_ttl_;
  UserDatabase db_;  // this task's connection
  tracker::PrivateDirectory directory_;
  std::vector<std::unique_ptr<tracker::PrivateWorker>> workers_;
  std::int64_t data_version_ = 0;
  tracker::Ledger ledger_;
  boost::unordered_flat_map<tracker::UserTorrent, tracker::Credit, tracker::UserTorrentHash>
      credit_;
  // Records taken but stamped after the drain began: the next drain's.
  std::vector<tracker::AnnounceRecord> batch_;
  std::function<core::Seconds()> now_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool running_ = false;
};

}  // namespace cairn::server
