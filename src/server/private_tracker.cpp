#include "server/private_tracker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <limits>

namespace cairn::server {

namespace {

// Records a worker keeps between two drains (a quarter second apart):
// room for 260,000 announces a second per worker, 4.7 MB at most each.
constexpr std::size_t kMaxPending = 1 << 16;
constexpr auto kDrainEvery = std::chrono::milliseconds(250);

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

PrivateTracker::PrivateTracker(const Config::Private& config, core::Seconds peer_ttl,
                               std::size_t workers)
    : config_(config), peer_ttl_(peer_ttl), db_(config.database) {
  for (std::size_t i = 0; i < workers; ++i)
    workers_.push_back(
        std::make_unique<tracker::PrivateWorker>(directory_, kMaxPending, &steady_ns));
  data_version_ = db_.data_version();
  directory_.publish(db_.snapshot(config_.allow_list));
}

PrivateTracker::~PrivateTracker() { stop(); }

std::size_t PrivateTracker::users() const { return directory_.current()->users.size(); }

void PrivateTracker::start(std::function<core::Seconds()> now) {
  now_ = std::move(now);
  running_ = true;
  thread_ = std::thread([this] { loop(); });
}

bool PrivateTracker::stop() {
  if (!running_) return true;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  running_ = false;
  // The workers have stopped: what they recorded last is credited now.
  const core::Seconds now = now_();
  drain(now, std::numeric_limits<std::int64_t>::max());
  return flush(now);
}

void PrivateTracker::loop() {
  auto next_reload =
      std::chrono::steady_clock::now() + std::chrono::seconds(config_.reload_interval);
  auto next_flush = std::chrono::steady_clock::now() + std::chrono::seconds(config_.flush_interval);
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, kDrainEvery, [this] { return stopping_; })) {
    lock.unlock();
    const core::Seconds now = now_();
    drain(now, steady_ns());
    const auto t = std::chrono::steady_clock::now();
    if (t >= next_reload) {
      next_reload = t + std::chrono::seconds(config_.reload_interval);
      reload();
    }
    if (t >= next_flush) {
      next_flush = t + std::chrono::seconds(config_.flush_interval);
      flush(now);
    }
    lock.lock();
  }
}

void PrivateTracker::drain(core::Seconds now, std::int64_t until) {
  // A record is stamped under its worker's lock, so every record stamped
  // before `until` is in what the takes below return; those stamped later
  // wait for the next drain, which sees the rest of their time.
  for (auto& w : workers_) w->take(batch_);
  // Each worker's records are in order already; stable keeps a tie so.
  // With one worker, or one busy worker, the batch is often sorted as it is.
  const auto earlier = [](const auto& a, const auto& b) { return a.at < b.at; };
  if (!std::is_sorted(batch_.begin(), batch_.end(), earlier))
    std::stable_sort(batch_.begin(), batch_.end(), earlier);
  auto end = std::partition_point(batch_.begin(), batch_.end(),
                                  [&](const auto& r) { return r.at < until; });
  for (auto it = batch_.begin(); it != end; ++it) {
    const tracker::Credit c = ledger_.apply(*it, now);
    if (!c.empty()) credit_[{it->user, it->info_hash}] += c;
  }
  batch_.erase(batch_.begin(), end);
}

void PrivateTracker::reload() {
  try {
    const auto version = db_.data_version();
    if (version == data_version_) return;
    data_version_ = version;
    auto snapshot = db_.snapshot(config_.allow_list);
    const std::size_t users = snapshot.users.size(), torrents = snapshot.torrents.size();
    directory_.publish(std::move(snapshot));
    spdlog::info("private: {} users enabled{} (database changed)", users,
                 config_.allow_list ? fmt::format(", {} torrents registered", torrents) : "");
  } catch (const DatabaseError& e) {
    spdlog::error("private: users not reloaded, keeping the last ones: {}", e.what());
  }
}

bool PrivateTracker::flush(core::Seconds now) {
  if (now > peer_ttl_) ledger_.expire(now - peer_ttl_);
  std::vector<TorrentCredit> credit(credit_.begin(), credit_.end());
  std::vector<std::pair<tracker::UserId, std::uint32_t>> active;
  ledger_.each_active([&](tracker::UserId u, std::uint32_t n) { active.emplace_back(u, n); });
  try {
    db_.flush(credit, active);
  } catch (const DatabaseError& e) {
    // Kept for the next flush: credit is never lost to a busy database.
    spdlog::error("private: credit not written, retrying at the next flush: {}", e.what());
    return false;
  }
  credit_.clear();
  return true;
}

}  // namespace cairn::server
