#pragma once
// How the tracker answers STUN Binding requests on its UDP port
// (nat.stun; docs/protocols.md, "STUN"; docs/security.md). A STUN answer
// cannot be smaller than the smallest correct one (XOR-MAPPED-ADDRESS: 32
// bytes over IPv4, 44 over IPv6), while real clients (Chromium's ICE agent,
// coturn's turnutils_stunclient) send 20-byte requests, so "never larger
// than the request" would leave them unanswered:
//   on      the largest answer that fits max(request, smallest answer): an
//           unpadded request gets the smallest (a gain of at most 1.6 over
//           IPv4, 2.2 over IPv6, under the per-address rate limit); one
//           padded to the full answer's size gets the full answer
//   padded  only what fits the request: no gain at all; unpadded requests
//           get silence
//   off     no STUN: such datagrams are garbage to the other protocols
#include <cstddef>
#include <optional>
#include <string_view>

#include "core/endpoint.hpp"

namespace cairn::frontend {

enum class StunMode : std::uint8_t { on, padded, off };

std::optional<StunMode> parse_stun_mode(std::string_view text);
std::string_view to_string(StunMode mode);

// The most bytes the success answer to a request of `request_size` bytes
// from an address of `family` may take.
std::size_t stun_budget(StunMode mode, core::Family family, std::size_t request_size);

}  // namespace cairn::frontend
