#pragma once
// BitTorrent announces for an info hash, over HTTP (BEP 3, 23, 7) and UDP
// (BEP 15), with the codecs the server uses.
#include <cstdint>
#include <vector>

#include "client/error.hpp"
#include "client/transport.hpp"
#include "core/endpoint.hpp"
#include "core/event.hpp"
#include "core/ids.hpp"

namespace cairn::client {

struct BtAnnounce {
  core::InfoHash info_hash;
  core::PeerId peer_id;
  std::uint16_t port = 0;
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
