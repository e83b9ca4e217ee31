#pragma once
// The swarm-state snapshot that lets `cairn serve --state FILE` restart
// without losing its peers. Pure: bytes in, bytes out; the file handling is
// server/snapshot_file.
//
//   header   magic "CAIRNSNP" (8) | format version u32 | written_at u64
//            (unix seconds, so a reader can age peers across the downtime)
//   torrent  info hash (20) | downloaded u32 | peer count u32, then its peers
//   peer     flags u8 (bit 0 IPv6, bit 1 seeder, bit 2 completed counted)
//            | address (4 or 16) | port u16 big-endian | peer id (20)
//            | age u32 (seconds since its last announce, when written)
//   trailer  torrents u64 | peers u64 | BLAKE2b-256 of every byte before it
//
// Integers are little-endian except the port, which stays in wire order.
// Counts sit in the trailer so the encoder can stream: it never needs the
// whole state in memory at once, and nothing is known before the end.
#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include <sodium/crypto_generichash.h>

#include "core/endpoint.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"

namespace cairn::codec::snapshot {

inline constexpr std::array<std::uint8_t, 8> magic = {'C', 'A', 'I', 'R', 'N', 'S', 'N', 'P'};
inline constexpr std::uint32_t format_version = 1;

inline constexpr std::size_t header_size = 8 + 4 + 8;
inline constexpr std::size_t checksum_size = 32;
inline constexpr std::size_t trailer_size = 8 + 8 + checksum_size;
inline constexpr std::size_t torrent_size = 20 + 4 + 4;
inline constexpr std::size_t peer_size_v4 = 1 + 4 + 2 + 20 + 4;
inline constexpr std::size_t peer_size_v6 = 1 + 16 + 2 + 20 + 4;

struct Peer {
  core::Endpoint endpoint;
  core::PeerId peer_id;
  bool seeder = false;
  bool completed = false;  // its `completed` event was counted
  std::uint32_t age = 0;
  friend bool operator==(const Peer&, const Peer&) = default;
};

struct Torrent {
  core::InfoHash info_hash;
  std::uint32_t downloaded = 0;
  friend bool operator==(const Torrent&, const Torrent&) = default;
};

enum class Error : std::uint8_t {
  truncated = 1,      // shorter than a header and trailer
  bad_magic,          // not a snapshot at all
  bad_version,        // written by a format this build does not read
  checksum_mismatch,  // damaged, or cut short
  bad_length,         // records run past, or stop short of, the trailer
  bad_record,         // unknown flag bits
  count_mismatch,     // the trailer's counts disagree with the records
  over_limit,         // beyond Limits
};
std::string_view error_text(Error e);

// Sanity bounds for a reader; counts are also bounded by the input's size.
struct Limits {
  std::uint64_t max_bytes = std::uint64_t{1} << 36;
  std::uint64_t max_torrents = 1'000'000'000;
  std::uint32_t max_peers_per_torrent = 100'000'000;
};

// Streams a snapshot: the caller adds torrents, takes the bytes from
// pending() whenever it likes (clear_pending() after writing them), and
// calls finish() once for the trailer.
class Encoder {
 public:
  explicit Encoder(std::uint64_t written_at);
  void add(const Torrent& torrent, std::span<const Peer> peers);
  void finish();

  std::span<const std::uint8_t> pending() const { return pending_; }
  void clear_pending() { pending_.clear(); }
  std::uint64_t torrents() const { return torrents_; }
  std::uint64_t peers() const { return peers_; }

 private:
  void emit(const std::uint8_t* data, std::size_t size);

  crypto_generichash_state hash_;
  std::vector<std::uint8_t> pending_;
  std::uint64_t torrents_ = 0;
  std::uint64_t peers_ = 0;
  bool finished_ = false;
};

struct Summary {
  std::uint64_t written_at = 0;
  std::uint64_t torrents = 0;
  std::uint64_t peers = 0;
};

// Checks the whole input (magic, version, checksum, every record, counts)
// before calling `visit` once per torrent, so a bad snapshot visits
// nothing. The peers span is valid only during the call.
using Visitor = std::function<void(const Torrent&, std::span<const Peer>)>;
core::Result<Summary, Error> decode(std::span<const std::uint8_t> bytes, const Limits& limits,
                                    const Visitor& visit);

// The whole snapshot as values, for tests and the fuzz target.
struct TorrentPeers {
  Torrent torrent;
  std::vector<Peer> peers;
  friend bool operator==(const TorrentPeers&, const TorrentPeers&) = default;
};
struct Snapshot {
  std::uint64_t written_at = 0;
  std::vector<TorrentPeers> torrents;
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};
std::vector<std::uint8_t> encode(const Snapshot& s);
core::Result<Snapshot, Error> decode(std::span<const std::uint8_t> bytes, const Limits& limits = {});

}  // namespace cairn::codec::snapshot
