// The hole-punching messages (codec/punch.hpp) on any input: a request that
// parses re-encodes to the same bytes (one spelling per request); a refused
// one is answered only when it carried a header; an answer that parses
// re-encodes to bytes that read back as themselves; a peer message never passes without its MAC.
#include <array>
#include <cstdint>
#include <cstring>

#include "codec/punch.hpp"

using namespace cairn::codec::punch;

namespace {
std::array<std::uint8_t, 1600> out;
const PeerKey kKey = peer_key(Token{7});

void check_request(std::span<const std::uint8_t> packet) {
  auto r = parse_request(packet);
  if (!r) {
    if (r.error().sendable && packet.size() < 16) __builtin_trap();
    return;
  }
  std::size_t n = encode_request(*r, out);
  if (n != packet.size() || std::memcmp(out.data(), packet.data(), n) != 0) __builtin_trap();
  if (auto* relay = std::get_if<RelayRequest>(&*r)) {
    std::size_t forwarded = encode_relayed(*relay, out);
    if (forwarded == 0 || forwarded + 24 != packet.size()) __builtin_trap();
  }
}

void check_answer(std::span<const std::uint8_t> packet) {
  auto a = parse_answer(packet);
  if (!a) return;
  // A relayed payload may run past kMaxPayload on input, which the encoder refuses.
  std::size_t n = encode_answer(*a, out);
  if (n == 0) {
    if (!std::holds_alternative<Relayed>(*a)) __builtin_trap();
    return;
  }
  // Re-encoded, it reads back as itself (a v4-mapped address comes back as IPv4).
  std::array<std::uint8_t, 1600> again;
  auto b = parse_answer(std::span(out.data(), n));
  if (!b || encode_answer(*b, again) != n || std::memcmp(again.data(), out.data(), n) != 0)
    __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> packet(data, size);
  check_request(packet);
  check_answer(packet);
  auto m = parse_peer_message(packet, kKey);
  if (m) {
    // Only our own encoder makes a MAC that verifies: re-encode and compare.
    std::size_t n = encode_peer_message(*m, kKey, out);
    if (n != size || std::memcmp(out.data(), data, n) != 0) __builtin_trap();
  }
  return 0;
}
