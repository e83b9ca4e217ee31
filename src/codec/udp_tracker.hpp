#pragma once
// The BitTorrent UDP tracker protocol (BEP 15) with BEP 41 options, for both
// sides: the server parses requests and encodes responses; the client and the
// load generator encode requests and parse responses. No sockets: the caller
// hands in and gets back byte buffers.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>

#include "core/compact_peers.hpp"
#include "core/endpoint.hpp"
#include "core/event.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"

namespace cairn::codec::udp {

inline constexpr std::uint64_t kProtocolId = 0x41727101980;
inline constexpr std::size_t kMaxScrapeHashes = 74;
inline constexpr std::size_t kMaxUrlData = 1024;  // BEP 41 URLData kept, concatenated
inline constexpr std::size_t kMaxPacket = 1500;   // larger requests are malformed

enum class Action : std::uint32_t { connect = 0, announce = 1, scrape = 2, error = 3 };

struct ConnectRequest {
  std::uint32_t transaction_id = 0;
};

struct AnnounceRequest {
  // Provided, not defaulted, so that value-initialisation (the parser builds
  // the request in place in its variant) leaves url_data unwritten: zeroing
  // its 1 KiB was the largest part of parsing an announce
  // (docs/benchmarks.md). Only its first url_data_size bytes are ever read.
  AnnounceRequest() {}  // NOLINT(modernize-use-equals-default)
  std::uint64_t connection_id = 0;
  std::uint32_t transaction_id = 0;
  core::InfoHash info_hash;
  core::PeerId peer_id;
  std::uint64_t downloaded = 0;
  std::uint64_t left = 0;
  std::uint64_t uploaded = 0;
  core::Event event = core::Event::none;
  std::array<std::uint8_t, 4> ip{};  // IPv4 field; zero means "use the source"
  std::uint32_t key = 0;
  std::int32_t numwant = -1;  // -1: default
  std::uint16_t port = 0;
  // BEP 41: URLData options concatenated (path and query of the tracker URL).
  std::array<char, kMaxUrlData> url_data;  // unset past url_data_size
  std::size_t url_data_size = 0;
  std::string_view url() const { return {url_data.data(), url_data_size}; }
};

struct ScrapeRequest {
  std::uint64_t connection_id = 0;
  std::uint32_t transaction_id = 0;
  std::span<const std::uint8_t> hashes;  // count * 20 raw bytes, into the packet
  std::size_t count() const { return hashes.size() / 20; }
  core::InfoHash hash(std::size_t i) const {
    return core::InfoHash::from_bytes(
        std::span<const std::uint8_t, 20>(hashes.data() + 20 * i, 20));
  }
};

using Request = std::variant<ConnectRequest, AnnounceRequest, ScrapeRequest>;

// Why a packet was refused. `sendable` says whether an error reply may go
// back at all: only when the packet was long enough to carry a transaction id
// and plausibly came from a BEP 15 client, so garbage from a spoofed source
// is never answered (no amplification).
struct ParseError {
  bool sendable = false;
  std::uint32_t transaction_id = 0;
  std::string_view message;  // fixed text for the error reply
};

core::Result<Request, ParseError> parse_request(std::span<const std::uint8_t> packet);

// Response encoders write into `out` and return the bytes written (0 when
// `out` is too small). An announce reply carries the compact entries of
// `family` (one address size, that of the socket) as they are; peers of
// the other family are skipped.
std::size_t encode_connect_response(std::uint32_t transaction_id, std::uint64_t connection_id,
                                    std::span<std::uint8_t> out);
std::size_t encode_announce_response(std::uint32_t transaction_id, std::uint32_t interval,
                                     std::uint32_t leechers, std::uint32_t seeders,
                                     const core::CompactPeers& peers, core::Family family,
                                     std::span<std::uint8_t> out);
struct ScrapeStats {
  std::uint32_t seeders = 0;
  std::uint32_t completed = 0;
  std::uint32_t leechers = 0;
};
std::size_t encode_scrape_response(std::uint32_t transaction_id, std::span<const ScrapeStats> stats,
                                   std::span<std::uint8_t> out);
std::size_t encode_error_response(std::uint32_t transaction_id, std::string_view message,
                                  std::span<std::uint8_t> out);

// --- client side ---
std::size_t encode_connect_request(std::uint32_t transaction_id, std::span<std::uint8_t> out);
// Writes BEP 41 URLData options (split in 255-byte chunks) when url is not empty.
std::size_t encode_announce_request(const AnnounceRequest& r, std::span<std::uint8_t> out);
std::size_t encode_scrape_request(std::uint64_t connection_id, std::uint32_t transaction_id,
                                  std::span<const core::InfoHash> hashes,
                                  std::span<std::uint8_t> out);

struct ConnectResponse {
  std::uint32_t transaction_id = 0;
  std::uint64_t connection_id = 0;
};
struct AnnounceResponse {
  std::uint32_t transaction_id = 0;
  std::uint32_t interval = 0;
  std::uint32_t leechers = 0;
  std::uint32_t seeders = 0;
  std::span<const std::uint8_t> peers;  // raw compact peers, into the packet
  core::Family family = core::Family::v4;
  std::size_t peer_count() const { return peers.size() / (family == core::Family::v4 ? 6 : 18); }
  core::Endpoint peer(std::size_t i) const;
};
struct ScrapeResponse {
  std::uint32_t transaction_id = 0;
  std::span<const std::uint8_t> stats;  // 12 bytes per hash, into the packet
  std::size_t count() const { return stats.size() / 12; }
  ScrapeStats at(std::size_t i) const;
};
struct ErrorResponse {
  std::uint32_t transaction_id = 0;
  std::string_view message;
};
using Response = std::variant<ConnectResponse, AnnounceResponse, ScrapeResponse, ErrorResponse>;

enum class ResponseError : std::uint8_t { truncated = 1, unknown_action, bad_peer_list };

// `family`: the address family of the socket the response arrived on.
core::Result<Response, ResponseError> parse_response(std::span<const std::uint8_t> packet,
                                                     core::Family family);

}  // namespace cairn::codec::udp
