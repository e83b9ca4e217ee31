#include "server/open_files.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <limits>

namespace cairn::server {

namespace {
// Stdio, the signal pipe, the state file and its folder, the access list,
// spdlog and sanitizer runtimes: what the process holds besides listeners.
constexpr std::uint64_t kFixed = 64;
constexpr std::uint64_t kPerListener = 2;  // its UDP socket and TCP acceptor
constexpr std::uint64_t kPerWorker = 4;    // epoll, eventfd, timerfd, spare
}  // namespace

std::uint64_t raise_open_files_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::numeric_limits<std::uint64_t>::max();
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised{limit.rlim_max, limit.rlim_max};
    // An unlimited hard limit cannot be the soft one (the kernel caps open
    // files at fs.nr_open); keep what we have then.
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? std::numeric_limits<std::uint64_t>::max()
                                         : limit.rlim_cur;
}

std::size_t connections_that_fit(std::uint64_t open_files, std::size_t workers,
                                 std::size_t addresses) {
  const std::uint64_t listeners = std::max<std::uint64_t>(1, std::uint64_t{workers} * addresses);
  const std::uint64_t reserved = kFixed + kPerListener * listeners + kPerWorker * workers;
  if (open_files <= reserved + 1) return 1;
  const std::uint64_t fit = open_files - reserved;
  return static_cast<std::size_t>(
      std::min<std::uint64_t>(fit, std::numeric_limits<std::size_t>::max()));
}

}  // namespace cairn::server
