#pragma once
// The optional access log (server.access_log, off by default: peer
// addresses are personal data). When on, one line per refused request
// (over its rate limit, or for a torrent the access list refuses) so an
// operator can see why a client is refused; at most `per_second` lines a
// second over the whole process, the rest counted and reported in the next
// line that is written. Requests that are served are never logged.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/endpoint.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"

namespace cairn::tracker {

class AccessLog {
 public:
  using Sink = std::function<void(const std::string& line)>;
  AccessLog(std::uint32_t per_second, Sink sink)
      : per_second_(per_second), sink_(std::move(sink)) {}

  // "refused 203.0.113.5: rate limit exceeded" (with ", info_hash HEX" when
  // one is given). Safe from any worker.
  void refused(const core::Address& client, std::string_view reason, core::Seconds now,
               const core::InfoHash* info_hash = nullptr);

  std::uint64_t suppressed() const { return suppressed_.load(std::memory_order_relaxed); }

 private:
  bool take(core::Seconds now);

  std::uint32_t per_second_;
  Sink sink_;
  std::atomic<std::int64_t> second_{-1};
  std::atomic<std::uint32_t> used_{0};
  std::atomic<std::uint64_t> suppressed_{0};
  std::atomic<std::uint64_t> unreported_{0};  // suppressed since the last line written
};

}  // namespace cairn::tracker
