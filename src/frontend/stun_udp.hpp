#pragma once
// STUN on the tracker's UDP port (docs/protocols.md, "STUN"): a Binding
// request in, its success answer out, sized by nat.stun
// (frontend/stun_policy.hpp). The dispatcher has admitted (rate-limited)
// and counted each datagram. Anything else the matcher takes (indications,
// answers, other methods, a bad FINGERPRINT, or not exactly STUN) is
// counted and dropped unanswered. Registered only with nat.stun on or
// padded; off, such datagrams are garbage to BEP 15.
#include <cstddef>
#include <cstdint>
#include <span>

#include "frontend/datagram.hpp"
#include "frontend/stun_policy.hpp"
#include "tracker/request_context.hpp"

namespace cairn::frontend {

class StunUdp final : public DatagramHandler {
 public:
  static constexpr DatagramMatcher matcher() { return DatagramMatcher::stun(); }

  explicit StunUdp(frontend::StunMode mode) : mode_(mode) {}

  void handle(std::span<Datagram* const> batch, const tracker::RequestContext& ctx) const override;

  // One packet (the unit tests' entry point): the answer's size in `out`; 0: none.
  std::size_t handle(std::span<const std::uint8_t> packet, const tracker::RequestContext& ctx,
                     std::span<std::uint8_t> out) const;

 private:
  frontend::StunMode mode_;
};

}  // namespace cairn::frontend
