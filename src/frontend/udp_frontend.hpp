#pragma once
// The BEP 15 frontend: UDP tracker requests in, replies out, as a
// DatagramHandler (datagram.hpp). Spoofing rules: a packet without a valid
// connection id changes nothing, and no reply is ever larger than the
// packet that caused it (no amplification). The announces of one batch
// reach the store in one Tracker::announce_batch call.
#include <cstddef>
#include <cstdint>
#include <span>

#include "frontend/datagram.hpp"
#include "tracker/connection_ids.hpp"
#include "tracker/tracker.hpp"

namespace cairn::frontend {

struct UdpOptions {
  bool allow_ip_field = false;  // honour the announce's IPv4 field
};

class UdpFrontend final : public DatagramHandler {
 public:
  // BEP 15's entry: the last, as it takes anything the entries before it
  // did not (see DatagramDispatcher).
  static constexpr DatagramMatcher matcher() { return DatagramMatcher::any(); }

  UdpFrontend(tracker::Tracker& tracker, const tracker::ConnectionIds& ids, UdpOptions options)
      : tracker_(tracker), ids_(ids), options_(options) {}

  void handle(std::span<Datagram* const> batch, const tracker::RequestContext& ctx) const override;

 private:
  tracker::Tracker& tracker_;
  const tracker::ConnectionIds& ids_;
  UdpOptions options_;
};

}  // namespace cairn::frontend
