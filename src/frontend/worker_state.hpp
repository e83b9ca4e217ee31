#pragma once
// The worker's state lives in the tracker layer (tracker/worker_state.hpp),
// where the admission step counts into it; the frontends and the listeners
// name it here as they always have.
#include "tracker/worker_state.hpp"

namespace cairn::frontend {

using tracker::WorkerCounters;
using tracker::WorkerState;

}  // namespace cairn::frontend
