#pragma once
// Hole punching over UDP (docs/rendezvous.md, "Hole punching", actions
// 20-23): the door from the UDP frontend to tracker::PunchCoordinator. Like
// actions 16-19, nothing happens without a valid BEP 15 connection id, and
// an error answer is never larger than its request. Besides the answer to
// the sender, a request may cause one datagram to the other side of an
// attempt (an offer, a sync, a relayed payload), always to an endpoint that
// keeps a session (it proved its address with a connection id) and never
// larger than the relay request it forwards.
#include <cstddef>
#include <span>

#include "core/endpoint.hpp"
#include "core/time.hpp"
#include "net/worker_state.hpp"
#include "tracker/connection_ids.hpp"
#include "tracker/punch_coordinator.hpp"

namespace cairn::net {

// A datagram for an endpoint other than the sender's; size 0: none.
struct UdpExtra {
  core::Endpoint to;
  std::size_t size = 0;
};

class PunchUdp {
 public:
  PunchUdp(tracker::PunchCoordinator* coordinator, const tracker::ConnectionIds& ids)
      : coordinator_(coordinator), ids_(ids) {}

  // Off (nat.punch false, or no coordinator): actions 20-23 are unknown
  // actions to the UDP frontend.
  bool enabled() const { return coordinator_ != nullptr && coordinator_->policy().enabled; }

  // `now` for connection ids; `precise_ms` (not the coarse clock's 250 ms
  // steps) for the coordinator's round-trip times.
  std::size_t handle(std::span<const std::uint8_t> packet, const core::Endpoint& from,
                     core::Seconds now, core::Millis precise_ms, WorkerState& state,
                     std::span<std::uint8_t> out, std::span<std::uint8_t> extra_out,
                     UdpExtra& extra) const;

 private:
  tracker::PunchCoordinator* coordinator_;
  const tracker::ConnectionIds& ids_;
};

}  // namespace cairn::net
