#pragma once
// What every handler of every frontend is handed with a request, instead of
// a growing list of parameters: one reading of the coarse clock (the
// listener reads it once per batch), the socket's peer, and the state of the
// worker serving it.
#include "core/endpoint.hpp"
#include "core/time.hpp"
#include "tracker/worker_state.hpp"

namespace cairn::tracker {

struct RequestContext {
  core::Seconds now = 0;
  core::Millis now_ms = 0;
  core::Endpoint source;  // the socket's peer (for HTTP, maybe a trusted proxy)
  WorkerState& state;

  // The same reading and worker, for another datagram of the batch.
  RequestContext from(const core::Endpoint& peer) const { return {now, now_ms, peer, state}; }
};

}  // namespace cairn::tracker
