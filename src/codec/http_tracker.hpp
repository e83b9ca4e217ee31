#pragma once
// The BitTorrent HTTP tracker protocol: announce (BEP 3, 7, 23) and scrape
// (BEP 48) query strings in, bencoded replies out. Binary parameters are
// percent-decoded exactly; every malformed request maps to one fixed
// failure reason a client can show.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/compact_peers.hpp"
#include "core/endpoint.hpp"
#include "core/event.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"

namespace cairn::codec {

enum class HttpTrackerError : std::uint8_t {
  missing_info_hash = 1,
  invalid_info_hash,  // neither 20 bytes after decoding nor 40 hex digits
  missing_peer_id,
  invalid_peer_id,
  missing_port,
  invalid_port,  // not a number in 1..65535 (0 is unreachable)
  bad_percent_encoding,
  invalid_event,   // not started/completed/stopped/paused/empty
  invalid_number,  // uploaded/downloaded/left/numwant/key not a number
  invalid_ip,
  too_many_info_hashes,  // scrape beyond kMaxScrapeHashes
  duplicate_parameter,   // info_hash/peer_id/port given twice in an announce
  // Never from the parsers: the request line was over http.max_request_line
  // (the frontend answers what it could see of it).
  request_too_long,
  scrape_too_long,
};

// Fixed text for each error, for the `failure reason` key.
std::string_view failure_text(HttpTrackerError e);

struct AnnounceQuery {
  core::InfoHash info_hash;
  core::PeerId peer_id;
  std::uint16_t port = 0;
  std::uint64_t uploaded = 0;
  std::uint64_t downloaded = 0;
  std::uint64_t left = 0;  // with left_present false the peer counts as a leecher
  bool left_present = false;
  core::Event event = core::Event::none;  // "paused" (BEP 21) reads as none
  std::optional<std::int64_t> numwant;    // as sent; negative means default
  bool compact = true;                    // compact=0 asks for the dictionary list
  bool no_peer_id = false;                // honoured in the dictionary list
  std::optional<core::Address> ip;        // the `ip` parameter, if it parsed
  std::optional<std::uint32_t> key;
};

// `query` is the raw string after '?'. Unknown parameters are ignored. An
// info_hash is 20 bytes (percent-encoded as clients send it) or 40 hex
// digits (as magnet links write it): no 20-byte value is 40 bytes long.
core::Result<AnnounceQuery, HttpTrackerError> parse_announce_query(std::string_view query);

// The same, into `out`, which must be a default AnnounceQuery (it holds the
// defaults of the parameters the query leaves out): no copy of it into a
// Result per announce.
std::optional<HttpTrackerError> parse_announce_query(std::string_view query, AnnounceQuery& out);

inline constexpr std::size_t kMaxScrapeHashes = 100;

struct ScrapeQuery {
  std::array<core::InfoHash, kMaxScrapeHashes> hashes;
  std::size_t count = 0;  // zero means "all": Cairn answers it with no files
};

core::Result<ScrapeQuery, HttpTrackerError> parse_scrape_query(std::string_view query);

// The same, into `out` (its hashes past `count` are left as they were): a
// ScrapeQuery is 2 KB, and returning it in a Result copied it per scrape.
std::optional<HttpTrackerError> parse_scrape_query(std::string_view query, ScrapeQuery& out);

struct AnnounceReply {
  std::uint32_t interval = 0;
  std::uint32_t min_interval = 0;
  std::uint32_t complete = 0;    // seeders
  std::uint32_t incomplete = 0;  // leechers
  core::CompactPeers peers;      // either family; ids needed only for a dictionary reply
  bool compact = true;           // peers/peers6 strings; else a list of dicts (all families)
  bool no_peer_id = false;
  std::string_view warning;  // "warning message" when not empty
};

// Appends the bencoded body. Compact: IPv4 peers in `peers`, IPv6 in `peers6`
// (both keys always present), each the view's entries as they are.
// Dictionary: one `peers` list, IPv4 first, with ip/port, and peer id
// unless no_peer_id (or the view carries no ids).
void encode_announce_reply(const AnnounceReply& reply, std::string& out);

// The same reply, written at the start of `scratch` and returned: the bytes
// encode_announce_reply would append to an empty string. `scratch`'s size
// is then a high-water mark, not the reply's (it grows but is not shrunk,
// so the usual reply is not zero-filled first); what lies past the
// returned view is garbage.
std::string_view write_announce_reply(const AnnounceReply& reply, std::string& scratch);

struct ScrapeFile {
  core::InfoHash info_hash;
  std::uint32_t complete = 0;
  std::uint32_t downloaded = 0;
  std::uint32_t incomplete = 0;
};

// Appends d5:filesd<hash>d8:completei..e10:downloadedi..e10:incompletei..eee...e
// (keys sorted as bencode requires; hashes are sorted by the encoder).
void encode_scrape_reply(std::span<const ScrapeFile> files, std::string& out);

// Appends d14:failure reason<len>:<reason>e.
void encode_failure(std::string_view reason, std::string& out);

// Client side, for `cairn announce`, the load generator and tests: builds the
// query string (percent-encoding binary values).
std::string encode_announce_query(const AnnounceQuery& q);
std::string encode_scrape_query(std::span<const core::InfoHash> hashes);

}  // namespace cairn::codec
