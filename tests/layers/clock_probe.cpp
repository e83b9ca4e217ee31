// Built against one layer by tests/layers/CMakeLists.txt: it compiles only
// where that layer may read the clock.
#include "clock/coarse_clock.hpp"

cairn::core::Seconds probe_now(const cairn::clock::CoarseClock& clock) { return clock.now(); }
