#pragma once
// Hole punching over UDP (docs/rendezvous.md, "Hole punching", actions
// 20-23): the door from the datagram dispatcher to
// tracker::PunchCoordinator. Like actions 16-19, nothing happens without a
// valid BEP 15 connection id, and an error answer is never larger than its
// request. Besides the answer to the sender, a request may cause one
// datagram to the other side of an attempt (an offer, a sync, a relayed
// payload: Datagram::forward), always to an endpoint that keeps a session
// (it proved its address with a connection id) and never larger than the
// relay request it forwards. Registered only with nat.punch and the
// rendezvous API on; off, actions 20-23 are unknown actions to BEP 15.
#include <cstddef>
#include <cstdint>
#include <span>

#include "frontend/datagram.hpp"
#include "tracker/connection_ids.hpp"
#include "tracker/punch_coordinator.hpp"
#include "tracker/request_context.hpp"

namespace cairn::frontend {

class PunchUdp final : public DatagramHandler {
 public:
  // A BEP 15-shaped header whose action (bytes 8-11) is 20 to 23
  // (0x14-0x17), as RendezvousUdp's matcher takes 16 to 19.
  static constexpr DatagramMatcher matcher() { return {12, 4, 0xFFFF'FFFC, 0x14}; }

  PunchUdp(tracker::PunchCoordinator& coordinator, const tracker::ConnectionIds& ids)
      : coordinator_(coordinator), ids_(ids) {}

  void handle(std::span<Datagram* const> batch, const tracker::RequestContext& ctx) const override;

  // One packet (the unit tests' entry point): sets d.reply and d.forward.
  void handle(Datagram& d, const tracker::RequestContext& ctx) const;

 private:
  tracker::PunchCoordinator& coordinator_;
  const tracker::ConnectionIds& ids_;
};

}  // namespace cairn::frontend
