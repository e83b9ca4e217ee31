#pragma once
// Checks what a client is about to announce before anything is sent, so a
// mistake is reported as the caller's, with what was expected, rather than
// as a tracker's refusal in every tier. The rules are the codec's
// (codec/rendezvous_record.hpp) and BitTorrent's; this says which one broke.
#include <string_view>

#include "client/client.hpp"

namespace cairn::client {

// One address of a presence: for a topic or secret IP:PORT, [IPv6]:PORT,
// :PORT or a URL; for an info hash IP:PORT or :PORT, and an IPv4 IP if a
// udp:// tracker is to carry it (BEP 15 has 4 bytes for it). The message
// does not repeat the address.
Result<void> check_address(const Subject& subject, const Tiers& tiers, std::string_view address);

// The record a topic or secret registers (addresses and meta): counts,
// names, values and size (for a secret, the size once sealed). The message
// names the protocol or tag at fault.
Result<void> check_record(const Subject& subject, const codec::rv::Record& record);

}  // namespace cairn::client
