#pragma once
// For tests only: run the expiry sweep on request, as of some seconds from
// now, so integration tests wait for an event instead of sleeping through
// TTLs and cleanup intervals.
//
// When CAIRN_TEST_SWEEP_FILE names a file, the housekeeping thread looks for
// it on every tick (4 times a second). A file holding a whole number N
// (0 to kMaxSweepAhead) makes it sweep both stores as of now + N seconds;
// then it deletes the file, so a test that sees the file gone knows the sweep
// is done. The clock does not move: only that one sweep looks ahead. Without
// the variable nothing is looked for, and no worker ever sees any of it.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.hpp"

namespace cairn::server {

inline constexpr const char* kTestSweepVariable = "CAIRN_TEST_SWEEP_FILE";
// An hour covers any TTL a test sets. Far more could move the memory store's
// time base (store/memory/swarm.hpp) past the clock's real reading.
inline constexpr core::Seconds kMaxSweepAhead = 3600;

// The seconds in a request's text ("5", "5\n"); nullopt unless it is a whole
// number from 0 to kMaxSweepAhead.
std::optional<core::Seconds> parse_sweep_ahead(std::string_view text);

class TestSweepFile {
 public:
  // Watches the file CAIRN_TEST_SWEEP_FILE names; none if it is unset.
  static TestSweepFile from_environment();
  explicit TestSweepFile(std::string path) : path_(std::move(path)) {}

  bool active() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

  // If a request is waiting: calls sweep(N) (or logs why the text is not a
  // request), then deletes the file. True if there was a file.
  bool poll(const std::function<void(core::Seconds ahead)>& sweep) const;

 private:
  std::string path_;
};

}  // namespace cairn::server
