#pragma once
// The BEP 15 frontend, and the door to the rendezvous API's UDP actions
// (net/rendezvous_udp.hpp), hole punching (net/punch_udp.hpp) and STUN
// (net/stun_udp.hpp): one request packet in, at most one reply out. No
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
#include "net/punch_udp.hpp"
#include "net/rendezvous_udp.hpp"
#include "net/stun_udp.hpp"
#include "net/worker_state.hpp"
#include "tracker/connection_ids.hpp"
#include "tracker/tracker.hpp"

namespace cairn::net {

struct UdpOptions {
  bool allow_ip_field = false;  // honour the announce's IPv4 field
  tracker::StunMode stun = tracker::StunMode::on;
};

class UdpFrontend {
 public:
  UdpFrontend(tracker::Tracker& tracker, tracker::Rendezvous& rendezvous,
              const tracker::ConnectionIds& ids, UdpOptions options,
              tracker::PunchCoordinator* punch = nullptr)
      : tracker_(tracker),
        ids_(ids),
        options_(options),
        rendezvous_(rendezvous, ids),
        stun_(options.stun),
        punch_(punch, ids) {}

  // A batch's readings of the clock: coarse (`now`, `now_ms`) and, for hole
  // punching's round-trip times, precise.
  struct Now {
    core::Seconds now = 0;
    core::Millis now_ms = 0, precise_ms = 0;
  };
  // Writes the reply into `out` and returns its size; 0 means send nothing.
  // A hole-punching request may also leave a datagram for another endpoint
  // in `extra_out` (extra.size > 0).
  std::size_t handle(std::span<const std::uint8_t> packet, const core::Endpoint& from, Now now,
                     WorkerState& state, std::span<std::uint8_t> out,
                     std::span<std::uint8_t> extra_out, UdpExtra& extra) const;

 private:
  tracker::Tracker& tracker_;
  const tracker::ConnectionIds& ids_;
  UdpOptions options_;
  RendezvousUdp rendezvous_;  // actions 16-19 (docs/rendezvous.md)
  StunUdp stun_;              // STUN Binding (docs/protocols.md)
  PunchUdp punch_;            // actions 20-23 (docs/rendezvous.md)
};

}  // namespace cairn::net
