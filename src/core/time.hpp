#pragma once
// Time as the tracker sees it: whole seconds, plus milliseconds for the few
// policies (rate limits) that need finer steps. Only the names live here:
// codec, store and tracker are handed `now` and never read a clock, so tests
// drive time by hand. The clock itself (clock/coarse_clock.hpp) is reachable
// only from net/ and server/.
#include <cstdint>

namespace cairn::core {

using Seconds = std::uint32_t;
using Millis = std::uint64_t;  // 64 bits: never wraps

}  // namespace cairn::core
