#pragma once
// The process's HTTP connection cap (http.max_connections), shared by
// every worker's listeners. One budget, not one per listener: the open-files
// limit it has to fit in is the process's, and a per-listener cap times
// workers times addresses outgrew it on any machine with many cores.
// Touched on accept and close only, never per request, so one shared
// atomic costs nothing measurable.
#include <atomic>
#include <cstddef>

namespace cairn::net {

class ConnectionBudget {
 public:
  explicit ConnectionBudget(std::size_t cap) : cap_(cap) {}
  ConnectionBudget(const ConnectionBudget&) = delete;
  ConnectionBudget& operator=(const ConnectionBudget&) = delete;

  // One more connection, or false when `cap` are open.
  bool take() {
    std::size_t open = open_.load(std::memory_order_relaxed);
    do {
      if (open >= cap_) return false;
    } while (!open_.compare_exchange_weak(open, open + 1, std::memory_order_relaxed));
    return true;
  }
  // After a connection that take() admitted is closed.
  void give_back() { open_.fetch_sub(1, std::memory_order_relaxed); }

  std::size_t cap() const { return cap_; }
  std::size_t open() const { return open_.load(std::memory_order_relaxed); }

 private:
  const std::size_t cap_;
  std::atomic<std::size_t> open_{0};
};

}  // namespace cairn::net
