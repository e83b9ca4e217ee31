#include "tracker/private_mode.hpp"

namespace cairn::tracker {

void PrivateDirectory::publish(PrivateSnapshot snapshot) {
  auto next = std::make_shared<const PrivateSnapshot>(std::move(snapshot));
  std::lock_guard lock(mutex_);
  current_.swap(next);
  version_.fetch_add(1, std::memory_order_relaxed);
}

std::shared_ptr<const PrivateSnapshot> PrivateDirectory::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

PrivateWorker::PrivateWorker(const PrivateDirectory& directory, std::size_t max_pending,
                             Stamp stamp)
    : directory_(&directory), max_pending_(max_pending), stamp_(stamp) {
  refresh();
}

void PrivateWorker::refresh() {
  std::lock_guard lock(directory_->mutex_);
  snapshot_ = directory_->current_;
  version_ = directory_->version_.load(std::memory_order_relaxed);
}

bool PrivateWorker::record(const AnnounceRecord& r) {
  std::lock_guard lock(pending_mutex_);
  if (pending_.size() >= max_pending_) return false;
  pending_.push_back(r);
  pending_.back().at = stamp_();
  return true;
}

void PrivateWorker::take(std::vector<AnnounceRecord>& out) {
  {
    // A swap, so the worker waits for no copy; both buffers keep their
    // capacity, and a warm worker allocates nothing.
    std::lock_guard lock(pending_mutex_);
    pending_.swap(spare_);
  }
  out.insert(out.end(), spare_.begin(), spare_.end());
  spare_.clear();
}

}  // namespace cairn::tracker
