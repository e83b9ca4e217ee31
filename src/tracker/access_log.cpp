#include "tracker/access_log.hpp"

namespace cairn::tracker {

// A budget per second of the coarse clock. Workers race at the turn of a
// second: one of them resets the count; a few lines more or less in that
// second do not matter, an unbounded number would.
bool AccessLog::take(core::Seconds now) {
  std::int64_t second = second_.load(std::memory_order_relaxed);
  if (second != static_cast<std::int64_t>(now) &&
      second_.compare_exchange_strong(second, static_cast<std::int64_t>(now),
                                      std::memory_order_relaxed))
    used_.store(0, std::memory_order_relaxed);
  return used_.fetch_add(1, std::memory_order_relaxed) < per_second_;
}

void AccessLog::refused(const core::Address& client, std::string_view reason, core::Seconds now,
                        const core::InfoHash* info_hash) {
  if (!take(now)) {
    suppressed_.fetch_add(1, std::memory_order_relaxed);
    unreported_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::string line = "refused " + client.to_string() + ": " + std::string(reason);
  if (info_hash) line += ", info_hash " + info_hash->hex();
  if (const auto missed = unreported_.exchange(0, std::memory_order_relaxed))
    line += " (" + std::to_string(missed) + " refusals not logged before this one: over " +
            std::to_string(per_second_) + " lines a second)";
  sink_(line);
}

}  // namespace cairn::tracker
