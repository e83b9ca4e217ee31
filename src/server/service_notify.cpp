#include "server/service_notify.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstring>
#include <ctime>
#include <string>

namespace cairn::server {

namespace {

// sd_notify's result is only logged: a tracker that cannot reach systemd's
// socket keeps serving (systemd then judges it by its own timeouts).
void notify(const std::string& state) {
  if (int r = sd_notify(0, state.c_str()); r < 0)
    spdlog::warn("sd_notify {}: {}", state.substr(0, state.find('\n')), std::strerror(-r));
}

std::uint64_t monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000 +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
}

}  // namespace

ServiceNotifier::ServiceNotifier() {
  std::uint64_t usec = 0;
  // 0 unset arguments: the environment stays, for a child to see.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
    every_ms_ = static_cast<std::int64_t>(usec / 2000);
  if (every_ms_ == 0 && usec > 0) every_ms_ = 1;
}

void ServiceNotifier::ready(std::string_view status) {
  notify("READY=1\nSTATUS=" + std::string(status));
}

void ServiceNotifier::reloading() {
  // MONOTONIC_USEC lets systemd 253+ tell this reload from an older one.
  notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec()));
}

void ServiceNotifier::reloaded(std::string_view status) { ready(status); }

void ServiceNotifier::stopping() { notify("STOPPING=1"); }

void ServiceNotifier::watchdog_tick(std::int64_t now_ms) {
  if (every_ms_ == 0) return;
  const std::int64_t last = last_ms_.load(std::memory_order_relaxed);
  if (last >= 0 && now_ms - last < every_ms_) return;
  last_ms_.store(now_ms, std::memory_order_relaxed);
  notify("WATCHDOG=1");
}

}  // namespace cairn::server
