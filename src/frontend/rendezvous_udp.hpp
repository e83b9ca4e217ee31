#pragma once
// The rendezvous API over UDP (docs/rendezvous.md, actions 16-19): one
// packet in, at most one answer out, under the UDP frontend's rules — no
// state changes without a valid BEP 15 connection id, and an error answer
// never larger than its request. Look-up answers, which only go to a
// client that proved its address with a connection id, hold what fits in
// codec::rvudp::kMaxReply. Registered only while the API is on: off,
// actions 16-19 are unknown actions to the BEP 15 frontend.
#include <cstddef>
#include <span>

#include "frontend/datagram.hpp"
#include "tracker/connection_ids.hpp"
#include "tracker/rendezvous.hpp"

namespace cairn::frontend {

class RendezvousUdp final : public DatagramHandler {
 public:
  // A BEP 15-shaped header whose action (bytes 8-11) is 16 to 19: the 8
  // bytes at offset 4 end with the action, and 16-19 are 0x10-0x13.
  static constexpr DatagramMatcher matcher() { return {12, 4, 0xFFFF'FFFC, 0x10}; }

  RendezvousUdp(tracker::Rendezvous& rendezvous, const tracker::ConnectionIds& ids)
      : rendezvous_(rendezvous), ids_(ids) {}

  void handle(std::span<Datagram* const> batch, const tracker::RequestContext& ctx) const override;

  // One packet (the unit tests' entry point).
  std::size_t handle(std::span<const std::uint8_t> packet, const tracker::RequestContext& ctx,
                     std::span<std::uint8_t> out) const;

 private:
  tracker::Rendezvous& rendezvous_;
  const tracker::ConnectionIds& ids_;
};

}  // namespace cairn::frontend
