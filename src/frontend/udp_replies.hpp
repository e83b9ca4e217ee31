#pragma once
// What the UDP frontends (BEP 15 and rendezvous) share about answering: an
// error goes back only if it is no larger than the packet that caused it,
// so a spoofed source cannot use the tracker to amplify a flood.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "codec/udp_tracker.hpp"

namespace cairn::frontend {

inline constexpr std::string_view kInvalidConnectionId = "invalid connection id";

inline std::size_t error_reply(std::uint32_t txid, std::string_view message,
                               std::size_t request_size, std::span<std::uint8_t> out) {
  if (8 + message.size() > request_size) return 0;
  return codec::udp::encode_error_response(txid, message, out);
}

}  // namespace cairn::frontend
