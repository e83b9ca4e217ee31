// Server's state file: restored before serving, saved every
// snapshot_interval by a thread of its own (a large state takes a while to
// encode and fsync; the housekeeping thread must keep ticking the clock)
// and once more at shutdown, after the workers have stopped.
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>

#include "server/server.hpp"
#include "server/snapshot_file.hpp"

namespace cairn::server {

namespace {

std::uint64_t unix_now() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

void Server::restore_state() {
  const std::string& path = config_.state_file;
  if (path.empty()) return;
  clock_.tick();
  const std::uint64_t wall = unix_now();
  const SnapshotLoaded r = load_snapshot(path, *store_->snapshots(), *record_store_->snapshots(),
                                         clock_.now(), wall, config_.limits.peer_ttl);
  switch (r.status) {
    case SnapshotLoaded::Status::missing:
      spdlog::info("state file {} not found; starting empty", path);
      return;
    case SnapshotLoaded::Status::unreadable:
      spdlog::error("state file {} unreadable: {}; starting empty", path, r.error);
      return;
    case SnapshotLoaded::Status::restored:
      break;
  }
  spdlog::info(
      "state restored from {} (written {} s ago): {} torrents, {} peers; {} peers dropped as "
      "expired",
      path, wall > r.written_at ? wall - r.written_at : 0, r.torrents, r.peers, r.expired);
  if (r.over_limit > 0)
    spdlog::warn(
        "state file {}: {} peers not restored, beyond tracker.max_torrents or "
        "tracker.max_peers_per_torrent",
        path, r.over_limit);
  if (r.records + r.records_expired + r.records_over_limit > 0)
    spdlog::info(
        "state restored from {}: {} rendezvous records in {} topics; {} records dropped "
        "as expired",
        path, r.records, r.topics, r.records_expired);
  if (r.records_over_limit > 0)
    spdlog::warn(
        "state file {}: {} rendezvous records not restored, beyond the record store's "
        "caps",
        path, r.records_over_limit);
}

bool Server::save_state(bool at_shutdown) {
  const std::string& path = config_.state_file;
  if (path.empty()) return true;
  if (at_shutdown) clock_.tick();  // the housekeeping thread has stopped ticking it
  const auto began = std::chrono::steady_clock::now();
  const SnapshotSaved r = save_snapshot(path, *store_->snapshots(), *record_store_->snapshots(),
                                        clock_.now(), unix_now());
  if (!r.ok) {
    snapshot_stats_.failed.fetch_add(1);
    spdlog::error("state not saved to {}: {}", path, r.error);
    return false;
  }
  const auto took = std::chrono::steady_clock::now() - began;
  snapshot_stats_.last_duration_us.store(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
  std::error_code size_error;
  const auto bytes = std::filesystem::file_size(path, size_error);
  snapshot_stats_.last_bytes.store(size_error ? 0 : static_cast<std::uint64_t>(bytes));
  snapshot_stats_.saved.fetch_add(1);
  spdlog::log(at_shutdown ? spdlog::level::info : spdlog::level::debug,
              "state saved to {}: {} torrents, {} peers, {} rendezvous records in {} topics", path,
              r.torrents, r.peers, r.records, r.topics);
  return true;
}

void Server::snapshot_loop() {
  const auto interval = std::chrono::seconds(config_.snapshot_interval);
  std::unique_lock lock(snapshot_mutex_);
  while (!snapshot_wake_.wait_for(lock, interval, [this] { return stopping_.load(); })) {
    lock.unlock();
    save_state(false);
    lock.lock();
  }
}

}  // namespace cairn::server
