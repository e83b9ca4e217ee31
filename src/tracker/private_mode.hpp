#pragma once
// Private mode (tracker.mode = "private"): who may announce, and what they
// announced, for the accounting. The hot path only reads an in-memory
// snapshot (passkey -> user, and the registered torrents) through a
// worker's PrivateWorker, and appends what it admitted to that worker's
// buffer; a background task (server/private_tracker.hpp) rebuilds the
// snapshot from the database every few seconds and drains the buffers into
// the ledger (accounting.hpp) and the database. Nothing here does I/O.
#include <atomic>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/event.hpp"
#include "core/ids.hpp"
#include "core/passkey.hpp"
#include "tracker/access_list.hpp"

namespace cairn::tracker {

using UserId = std::uint32_t;

// What the database said at one reading: enabled users only (a disabled
// or removed one reads as unknown), and the registered torrents when the
// allow-list is on.
struct PrivateSnapshot {
  boost::unordered_flat_map<core::Passkey, UserId, core::PasskeyHash> users;
  bool allow_list = false;  // only `torrents` are served
  InfoHashSet torrents;
};

// One admitted announce, as the accounting needs it.
struct AnnounceRecord {
  UserId user = 0;
  core::Event event = core::Event::none;
  core::InfoHash info_hash;
  core::PeerId peer_id;
  std::uint64_t uploaded = 0;
  std::uint64_t downloaded = 0;
  std::uint64_t left = 0;
  // When the worker kept it (PrivateWorker's stamp): one peer's announces
  // may reach different workers (a new HTTP connection each), and the
  // ledger must see them in the order they were served.
  std::int64_t at = 0;
};

// A reading of a monotonic clock every thread shares (the server's: the
// steady clock in nanoseconds), injected as the tracker layer has no clock.
using Stamp = std::int64_t (*)();

// The shared snapshot, replaced whole (as AccessList's set is): a worker's
// view compares one version number per request and takes the mutex only
// when it moved.
class PrivateDirectory {
 public:
  PrivateDirectory() : current_(std::make_shared<const PrivateSnapshot>()) {}
  void publish(PrivateSnapshot snapshot);
  std::shared_ptr<const PrivateSnapshot> current() const;

 private:
  friend class PrivateWorker;
  mutable std::mutex mutex_;
  std::shared_ptr<const PrivateSnapshot> current_;
  std::atomic<std::uint64_t> version_{0};
};

// One worker's handle: its view of the snapshot and its buffer of admitted
// announces. The worker thread calls user(), allows() and record(); the
// background task calls take().
class PrivateWorker {
 public:
  // `max_pending`: records kept between two drains; beyond it announces
  // are still answered but not credited. `stamp` dates each record.
  PrivateWorker(const PrivateDirectory& directory, std::size_t max_pending, Stamp stamp);

  const PrivateSnapshot& snapshot() {
    if (directory_->version_.load(std::memory_order_relaxed) != version_) refresh();
    return *snapshot_;
  }
  const UserId* user(const core::Passkey& key) {
    const auto& users = snapshot().users;
    auto it = users.find(key);
    return it == users.end() ? nullptr : &it->second;
  }
  bool allows(const core::InfoHash& info_hash) {
    const auto& s = snapshot();
    return !s.allow_list || s.torrents.contains(info_hash);
  }
  // Keeps `r`, stamped (its `at` is set here, under the buffer's lock, so
  // a record stamped before a take() is in what that take returns). False
  // when the buffer is full: the record is not kept.
  bool record(const AnnounceRecord& r);
  // Appends the records to `out` and empties the buffer. One thread at a
  // time (the private task).
  void take(std::vector<AnnounceRecord>& out);

 private:
  void refresh();

  const PrivateDirectory* directory_;
  std::shared_ptr<const PrivateSnapshot> snapshot_;
  std::uint64_t version_ = 0;
  std::size_t max_pending_;
  Stamp stamp_;
  std::mutex pending_mutex_;  // the worker's and the drain's; uncontended but for a drain
  std::vector<AnnounceRecord> pending_;
  std::vector<AnnounceRecord> spare_;  // the draining thread's, between takes
};

}  // namespace cairn::tracker
