#pragma once
// systemd's notification protocol (sd_notify(3), Debian's libsystemd), for
// a unit of Type=notify: READY=1 once every socket is bound and served,
// WATCHDOG=1 at half of WATCHDOG_USEC while the housekeeping thread runs,
// RELOADING=1 ... READY=1 around a SIGHUP reload, STOPPING=1 at shutdown.
// Without NOTIFY_SOCKET (not started by systemd) every call does nothing.
#include <atomic>
#include <cstdint>
#include <string_view>

namespace cairn::server {

class ServiceNotifier {
 public:
  ServiceNotifier();

  void ready(std::string_view status);
  void reloading();
  void reloaded(std::string_view status);
  void stopping();
  // Called often (every housekeeping tick) with a monotonic reading in
  // milliseconds: sends WATCHDOG=1 when half of WATCHDOG_USEC has passed
  // since the last one. A housekeeping thread that hangs stops the
  // pings, and systemd restarts the service.
  void watchdog_tick(std::int64_t now_ms);

  // Milliseconds between pings (half of WATCHDOG_USEC), 0 without a watchdog.
  std::int64_t watchdog_every_ms() const { return every_ms_; }

 private:
  std::int64_t every_ms_ = 0;
  std::atomic<std::int64_t> last_ms_{-1};
};

}  // namespace cairn::server
