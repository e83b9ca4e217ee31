#pragma once
// The BEP 15 frontend, and the door to the rendezvous API's UDP actions
// (net/rendezvous_udp.hpp): one request packet in, at most one reply out. No
// sockets here; udp_listener feeds it batches. Spoofing rules: a packet
// without a valid connection id changes nothing, and no reply is ever larger
// than the packet that caused it (no amplification). A source over its rate
// limit is dropped before parsing, unanswered: replying would let a spoofed
// flood use the tracker as a reflector.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/endpoint.hpp"
#include "core/time.hpp"
#include "frontend/rendezvous_udp.hpp"
#include "frontend/worker_state.hpp"
#include "tracker/connection_ids.hpp"
#include "tracker/tracker.hpp"

namespace cairn::frontend {

struct UdpOptions {
  bool allow_ip_field = false;  // honour the announce's IPv4 field
};

class UdpFrontend {
 public:
  UdpFrontend(tracker::Tracker& tracker, tracker::Rendezvous& rendezvous,
              const tracker::ConnectionIds& ids, UdpOptions options)
      : tracker_(tracker), ids_(ids), options_(options), rendezvous_(rendezvous, ids) {}

  // Writes the reply into `out` and returns its size; 0 means send nothing.
  // `now` and `now_ms` are one reading of the coarse clock.
  std::size_t handle(std::span<const std::uint8_t> packet, const core::Endpoint& from,
                     core::Seconds now, core::Millis now_ms, WorkerState& state,
                     std::span<std::uint8_t> out) const;

 private:
  tracker::Tracker& tracker_;
  const tracker::ConnectionIds& ids_;
  UdpOptions options_;
  RendezvousUdp rendezvous_;  // actions 16-19 (docs/rendezvous.md)
};

}  // namespace cairn::frontend
