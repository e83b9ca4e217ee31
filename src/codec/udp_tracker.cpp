#include "codec/udp_tracker.hpp"

#include <algorithm>
#include <cstring>

#include "codec/big_endian.hpp"

namespace cairn::codec::udp {

namespace {

using be::load16;
using be::load32;
using be::load64;
using be::store16;
using be::store32;
using be::store64;

constexpr std::size_t kHeader = 16;         // connection id, action, transaction id
constexpr std::size_t kAnnounceSize = 98;   // BEP 15 announce without options
constexpr std::size_t kResponseHeader = 8;  // action, transaction id

enum class Option : std::uint8_t { end = 0, nop = 1, url_data = 2 };

ParseError sendable(std::uint32_t txid, std::string_view message) { return {true, txid, message}; }

// BEP 41. A truncated option or an unknown type ends parsing without
// failing the announce: the options are hints, the announce is complete.
void parse_options(std::span<const std::uint8_t> opts, AnnounceRequest& r) {
  std::size_t i = 0;
  while (i < opts.size()) {
    auto type = static_cast<Option>(opts[i++]);
    if (type == Option::nop) continue;
    if (type != Option::url_data || i >= opts.size()) return;
    std::size_t len = opts[i++];
    if (len > opts.size() - i) return;
    std::size_t keep = std::min(len, kMaxUrlData - r.url_data_size);
    std::memcpy(r.url_data.data() + r.url_data_size, opts.data() + i, keep);
    r.url_data_size += keep;
    i += len;
  }
}

// Builds the announce inside the result: AnnounceRequest carries 1 KiB of
// URL data, and copying it into a Request and then into the result cost
// more than the parse itself (docs/benchmarks.md). One named return, so the
// result is constructed in the caller's storage.
core::Result<Request, ParseError> read_announce(std::span<const std::uint8_t> p, std::uint32_t txid,
                                                std::uint32_t event) {
  core::Result<Request, ParseError> result(boost::system::in_place_value,
                                           std::in_place_type<AnnounceRequest>);
  auto& r = std::get<AnnounceRequest>(*result);
  const std::uint8_t* b = p.data();
  r.connection_id = load64(b);
  r.transaction_id = txid;
  r.info_hash = core::InfoHash::from_bytes(p.subspan<16, 20>());
  r.peer_id = core::PeerId::from_bytes(p.subspan<36, 20>());
  r.downloaded = load64(b + 56);
  r.left = load64(b + 64);
  r.uploaded = load64(b + 72);
  r.event = static_cast<core::Event>(event);
  std::memcpy(r.ip.data(), b + 84, 4);
  r.key = load32(b + 88);
  r.numwant = static_cast<std::int32_t>(load32(b + 92));
  r.port = load16(b + 96);
  parse_options(p.subspan(kAnnounceSize), r);
  return result;
}

core::Result<Request, ParseError> parse_announce(std::span<const std::uint8_t> p,
                                                 std::uint32_t txid) {
  if (p.size() < kAnnounceSize) return sendable(txid, "malformed announce");
  std::uint32_t event = load32(p.data() + 80);
  if (event > 3) return sendable(txid, "unknown event");
  // Nobody can connect to port 0: storing it would hand every other peer
  // an address that cannot work (docs/protocols.md).
  if (load16(p.data() + 96) == 0) return sendable(txid, "invalid port");
  return read_announce(p, txid, event);
}

core::Result<Request, ParseError> parse_scrape(std::span<const std::uint8_t> p,
                                               std::uint32_t txid) {
  auto body = p.size() - kHeader;
  if (body % 20 != 0) return sendable(txid, "malformed scrape");
  if (body == 0) return sendable(txid, "no info hash");
  // Unreachable while kMaxPacket is 1500 (75 hashes need 1516 bytes), kept
  // so the limit holds if the packet size limit ever grows.
  if (body / 20 > kMaxScrapeHashes) return sendable(txid, "too many info hashes");
  return Request{ScrapeRequest{load64(p.data()), txid, p.subspan(kHeader)}};
}

}  // namespace

core::Result<Request, ParseError> parse_request(std::span<const std::uint8_t> packet) {
  if (packet.size() < kHeader || packet.size() > kMaxPacket)
    return ParseError{false, 0, "malformed"};
  const std::uint8_t* b = packet.data();
  auto action = load32(b + 8);
  auto txid = load32(b + 12);
  switch (action) {
    case static_cast<std::uint32_t>(Action::connect):
      // Without the magic this is not a BEP 15 client: never answer it.
      if (load64(b) != kProtocolId) return ParseError{false, txid, "bad protocol id"};
      return Request{ConnectRequest{txid}};
    case static_cast<std::uint32_t>(Action::announce):
      return parse_announce(packet, txid);
    case static_cast<std::uint32_t>(Action::scrape):
      return parse_scrape(packet, txid);
    default:
      return sendable(txid, "unknown action");
  }
}

std::size_t encode_connect_response(std::uint32_t transaction_id, std::uint64_t connection_id,
                                    std::span<std::uint8_t> out) {
  if (out.size() < 16) return 0;
  store32(out.data(), static_cast<std::uint32_t>(Action::connect));
  store32(out.data() + 4, transaction_id);
  store64(out.data() + 8, connection_id);
  return 16;
}

std::size_t encode_announce_response(std::uint32_t transaction_id, std::uint32_t interval,
                                     std::uint32_t leechers, std::uint32_t seeders,
                                     const core::CompactPeers& peers, core::Family family,
                                     std::span<std::uint8_t> out) {
  const std::span<const std::uint8_t> entries = peers.compact(family);
  const std::size_t size = 20 + entries.size();
  if (out.size() < size) return 0;
  std::uint8_t* b = out.data();
  store32(b, static_cast<std::uint32_t>(Action::announce));
  store32(b + 4, transaction_id);
  store32(b + 8, interval);
  store32(b + 12, leechers);
  store32(b + 16, seeders);
  if (!entries.empty()) std::memcpy(b + 20, entries.data(), entries.size());
  return size;
}

std::size_t encode_scrape_response(std::uint32_t transaction_id, std::span<const ScrapeStats> stats,
                                   std::span<std::uint8_t> out) {
  std::size_t size = kResponseHeader + 12 * stats.size();
  if (out.size() < size) return 0;
  std::uint8_t* b = out.data();
  store32(b, static_cast<std::uint32_t>(Action::scrape));
  store32(b + 4, transaction_id);
  b += kResponseHeader;
  for (const auto& s : stats) {
    store32(b, s.seeders);
    store32(b + 4, s.completed);
    store32(b + 8, s.leechers);
    b += 12;
  }
  return size;
}

std::size_t encode_error_response(std::uint32_t transaction_id, std::string_view message,
                                  std::span<std::uint8_t> out) {
  std::size_t size = kResponseHeader + message.size();
  if (out.size() < size) return 0;
  store32(out.data(), static_cast<std::uint32_t>(Action::error));
  store32(out.data() + 4, transaction_id);
  if (!message.empty()) std::memcpy(out.data() + kResponseHeader, message.data(), message.size());
  return size;
}

// --- client side ---

std::size_t encode_connect_request(std::uint32_t transaction_id, std::span<std::uint8_t> out) {
  if (out.size() < kHeader) return 0;
  store64(out.data(), kProtocolId);
  store32(out.data() + 8, static_cast<std::uint32_t>(Action::connect));
  store32(out.data() + 12, transaction_id);
  return kHeader;
}

std::size_t encode_announce_request(const AnnounceRequest& r, std::span<std::uint8_t> out) {
  auto url = r.url().substr(0, kMaxUrlData);
  std::size_t chunks = (url.size() + 254) / 255;
  std::size_t size = kAnnounceSize + 2 * chunks + url.size();
  if (out.size() < size) return 0;
  std::uint8_t* b = out.data();
  store64(b, r.connection_id);
  store32(b + 8, static_cast<std::uint32_t>(Action::announce));
  store32(b + 12, r.transaction_id);
  std::memcpy(b + 16, r.info_hash.bytes.data(), 20);
  std::memcpy(b + 36, r.peer_id.bytes.data(), 20);
  store64(b + 56, r.downloaded);
  store64(b + 64, r.left);
  store64(b + 72, r.uploaded);
  store32(b + 80, static_cast<std::uint32_t>(r.event));
  std::memcpy(b + 84, r.ip.data(), 4);
  store32(b + 88, r.key);
  store32(b + 92, static_cast<std::uint32_t>(r.numwant));
  store16(b + 96, r.port);
  b += kAnnounceSize;
  for (std::size_t at = 0; at < url.size(); at += 255) {
    auto chunk = url.substr(at, 255);
    *b++ = static_cast<std::uint8_t>(Option::url_data);
    *b++ = static_cast<std::uint8_t>(chunk.size());
    std::memcpy(b, chunk.data(), chunk.size());
    b += chunk.size();
  }
  return size;
}

std::size_t encode_scrape_request(std::uint64_t connection_id, std::uint32_t transaction_id,
                                  std::span<const core::InfoHash> hashes,
                                  std::span<std::uint8_t> out) {
  std::size_t size = kHeader + 20 * hashes.size();
  if (out.size() < size) return 0;
  store64(out.data(), connection_id);
  store32(out.data() + 8, static_cast<std::uint32_t>(Action::scrape));
  store32(out.data() + 12, transaction_id);
  for (std::size_t i = 0; i < hashes.size(); ++i)
    std::memcpy(out.data() + kHeader + 20 * i, hashes[i].bytes.data(), 20);
  return size;
}

core::Endpoint AnnounceResponse::peer(std::size_t i) const {
  core::Endpoint e;
  if (family == core::Family::v4) {
    const std::uint8_t* p = peers.data() + 6 * i;
    e.address = core::Address::v4(std::span<const std::uint8_t, 4>(p, 4));
    e.port = load16(p + 4);
  } else {
    const std::uint8_t* p = peers.data() + 18 * i;
    e.address = core::Address::v6(std::span<const std::uint8_t, 16>(p, 16));
    e.port = load16(p + 16);
  }
  return e;
}

ScrapeStats ScrapeResponse::at(std::size_t i) const {
  const std::uint8_t* p = stats.data() + 12 * i;
  return {load32(p), load32(p + 4), load32(p + 8)};
}

core::Result<Response, ResponseError> parse_response(std::span<const std::uint8_t> packet,
                                                     core::Family family) {
  if (packet.size() < kResponseHeader) return ResponseError::truncated;
  const std::uint8_t* b = packet.data();
  auto txid = load32(b + 4);
  auto rest = packet.subspan(kResponseHeader);
  switch (load32(b)) {
    case static_cast<std::uint32_t>(Action::connect):
      if (packet.size() < 16) return ResponseError::truncated;
      return Response{ConnectResponse{txid, load64(b + 8)}};
    case static_cast<std::uint32_t>(Action::announce): {
      if (packet.size() < 20) return ResponseError::truncated;
      AnnounceResponse r{txid,           load32(b + 8),      load32(b + 12),
                         load32(b + 16), packet.subspan(20), family};
      if (r.peers.size() % (family == core::Family::v4 ? 6 : 18) != 0)
        return ResponseError::bad_peer_list;
      return Response{r};
    }
    case static_cast<std::uint32_t>(Action::scrape):
      if (rest.size() % 12 != 0) return ResponseError::truncated;
      return Response{ScrapeResponse{txid, rest}};
    case static_cast<std::uint32_t>(Action::error):
      return Response{
          ErrorResponse{txid, {reinterpret_cast<const char*>(rest.data()), rest.size()}}};
    default:
      return ResponseError::unknown_action;
  }
}

}  // namespace cairn::codec::udp
