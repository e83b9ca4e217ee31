#pragma once
// BitTorrent announces for an info hash, over HTTP (BEP 3, 23, 7) and UDP
// (BEP 15), with the codecs the server uses.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "client/error.hpp"
#include "client/transport.hpp"
#include "core/endpoint.hpp"
#include "core/event.hpp"
#include "core/ids.hpp"

namespace cairn::client {

// Where a BitTorrent peer says it is: ":PORT" (wherever the tracker sees
// it) or "IP:PORT" (an unspecified IP counts as none).
struct BtAddress {
  std::optional<core::Address> ip;
  std::uint16_t port = 0;
};
// Nullopt for anything else, port 0 included: nobody can reach a peer there.
std::optional<BtAddress> parse_bt_address(std::string_view text);

struct BtAnnounce {
  core::InfoHash info_hash;
  core::PeerId peer_id;
  std::uint16_t port = 0;
  // Sent as HTTP `ip=` and the BEP 15 IPv4 field (an IPv6 one is not sent
  // over UDP); trackers use it only if they trust client-given addresses.
  std::optional<core::Address> ip;
  core::Event event = core::Event::none;
  std::uint64_t left = 0;  // 0: a seeder
  std::int32_t numwant = 0;
  std::uint32_t key = 0;  // BEP 7/15 key, the same on every announce of one peer
};

struct BtAnswer {
  std::uint32_t interval = 0;
  std::uint32_t seeders = 0, leechers = 0;
  std::vector<core::Endpoint> peers;  // IPv4 and IPv6
};

Result<BtAnswer> announce_http(const TrackerUrl& url, const BtAnnounce& a, Millis timeout);
Result<BtAnswer> announce_udp(UdpSession& session, const BtAnnounce& a, Millis timeout, int tries);

}  // namespace cairn::client
