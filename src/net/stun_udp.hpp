#pragma once
// STUN on the tracker's UDP port (docs/protocols.md, "STUN"): a Binding
// request in, its success answer out, sized by nat.stun
// (tracker/stun_policy.hpp). Runs after the rate limiter, like every UDP
// request. Anything else that is STUN (indications, answers, other
// methods, a bad FINGERPRINT) is counted and dropped unanswered.
#include <cstddef>
#include <span>

#include "codec/stun.hpp"
#include "core/endpoint.hpp"
#include "net/worker_state.hpp"
#include "tracker/stun_policy.hpp"

namespace cairn::net {

class StunUdp {
 public:
  explicit StunUdp(tracker::StunMode mode) : mode_(mode) {}

  bool matches(std::span<const std::uint8_t> packet) const {
    return mode_ != tracker::StunMode::off && codec::stun::is_stun(packet);
  }
  // Writes the answer into `out` and returns its size; 0: send nothing.
  std::size_t handle(std::span<const std::uint8_t> packet, const core::Endpoint& from,
                     WorkerState& state, std::span<std::uint8_t> out) const;

 private:
  tracker::StunMode mode_;
};

}  // namespace cairn::net
