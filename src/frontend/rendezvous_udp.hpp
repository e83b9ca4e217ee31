#pragma once
// The rendezvous API over UDP (docs/rendezvous.md, actions 16-19): one
// packet in, at most one answer out, under the UDP frontend's rules — no
// state changes without a valid BEP 15 connection id, and an error answer
// never larger than its request. Look-up answers, which only go to a
// client that proved its address with a connection id, hold what fits in
// codec::rvudp::kMaxReply.
#include <cstddef>
#include <span>

#include "core/endpoint.hpp"
#include "core/time.hpp"
#include "frontend/worker_state.hpp"
#include "tracker/connection_ids.hpp"
#include "tracker/rendezvous.hpp"

namespace cairn::frontend {

class RendezvousUdp {
 public:
  RendezvousUdp(tracker::Rendezvous& rendezvous, const tracker::ConnectionIds& ids)
      : rendezvous_(rendezvous), ids_(ids) {}

  // Off: actions 16-19 are unknown actions to the UDP frontend.
  bool enabled() const { return rendezvous_.enabled(); }

  std::size_t handle(std::span<const std::uint8_t> packet, const core::Endpoint& from,
                     core::Seconds now, WorkerState& state, std::span<std::uint8_t> out) const;

 private:
  tracker::Rendezvous& rendezvous_;
  const tracker::ConnectionIds& ids_;
};

}  // namespace cairn::frontend
