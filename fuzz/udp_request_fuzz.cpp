// parse_request on any datagram, then what the server does next: encode the
// matching response (or the error reply, when one may be sent) into a
// packet-sized buffer, and check the client-side parser reads it back. An
// announce's BEP 41 URL data goes through the passkey lookup private mode
// makes of it: a passkey found is 32 URL-safe characters from the URL.
#include <array>
#include <cstdint>

#include "codec/passkey.hpp"
#include "codec/udp_tracker.hpp"

using namespace cairn::codec::udp;
using namespace cairn::core;

namespace {
std::array<std::uint8_t, kMaxPacket> out;

// The socket family the packet came in on, drawn from the input.
Family family_of(const AnnounceRequest& a) { return a.key & 1 ? Family::v6 : Family::v4; }

std::size_t respond(const Request& request) {
  if (auto* c = std::get_if<ConnectRequest>(&request))
    return encode_connect_response(c->transaction_id, 42, out);
  if (auto* s = std::get_if<ScrapeRequest>(&request)) {
    std::array<ScrapeStats, kMaxScrapeHashes> stats{};
    return encode_scrape_response(s->transaction_id, std::span(stats.data(), s->count()), out);
  }
  const auto& a = std::get<AnnounceRequest>(request);
  // A peer of each family: the reply carries only the socket's.
  std::span<const std::uint8_t, 16> v6(a.info_hash.bytes.data(), 16);
  std::array<PeerInfo, 2> peers{PeerInfo{{Address::v4(a.ip), a.port}, a.peer_id},
                                PeerInfo{{Address::v6(v6), a.port}, a.peer_id}};
  const PeerList list(peers);
  return encode_announce_response(a.transaction_id, 1800, 1, 0, list.view(), family_of(a), out);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto request = parse_request({data, size});
  if (!request.has_value() && !request.error().sendable) return 0;  // dropped, never answered
  std::size_t n = request.has_value() ? respond(*request)
                                      : encode_error_response(request.error().transaction_id,
                                                              request.error().message, out);
  if (n == 0) __builtin_trap();  // every reply fits one packet
  auto* announce = request.has_value() ? std::get_if<AnnounceRequest>(&*request) : nullptr;
  if (announce) {
    const auto url = announce->url();
    if (auto key = cairn::codec::passkey_of_path(url)) {
      if (url.size() < 1 + kPasskeySize || url.substr(1, kPasskeySize) != key->view() ||
          !Passkey::parse(key->view()))
        __builtin_trap();
    }
  }
  auto reply =
      parse_response(std::span(out.data(), n), announce ? family_of(*announce) : Family::v4);
  if (!reply.has_value()) __builtin_trap();
  return 0;
}
