#include "codec/ws_relay.hpp"

#include <cstring>

namespace cairn::codec::ws_relay {

namespace {

constexpr std::string_view kMagic = "CWR1";

template <std::size_t N>
void put(std::string& out, const std::array<std::uint8_t, N>& bytes) {
  out.append(reinterpret_cast<const char*>(bytes.data()), N);
}

template <std::size_t N>
void take(std::string_view& in, std::array<std::uint8_t, N>& bytes) {
  std::memcpy(bytes.data(), in.data(), N);
  in.remove_prefix(N);
}

}  // namespace

void encode(const Relayed& r, std::string& out) {
  out.append(kMagic);
  out.push_back(static_cast<char>(r.kind));
  put(out, r.info_hash.bytes);
  put(out, r.from_peer.bytes);
  put(out, r.to_peer.bytes);
  put(out, r.offer_id.bytes);
  put(out, r.from_node);
  out.append(r.message);
}

std::optional<Relayed> parse(std::string_view in) {
  if (in.size() < kHead || in.size() > kHead + kMaxMessage || !in.starts_with(kMagic))
    return std::nullopt;
  in.remove_prefix(kMagic.size());
  const auto kind = static_cast<std::uint8_t>(in.front());
  if (kind != static_cast<std::uint8_t>(Kind::offer) &&
      kind != static_cast<std::uint8_t>(Kind::answer))
    return std::nullopt;
  in.remove_prefix(1);
  Relayed r;
  r.kind = static_cast<Kind>(kind);
  take(in, r.info_hash.bytes);
  take(in, r.from_peer.bytes);
  take(in, r.to_peer.bytes);
  take(in, r.offer_id.bytes);
  take(in, r.from_node);
  r.message = in;
  return r;
}

}  // namespace cairn::codec::ws_relay
