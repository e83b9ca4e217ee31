#pragma once
// The state snapshot that lets `cairn serve --state FILE` restart without
// losing its peers and rendezvous records. Pure: bytes in, bytes out; the
// file handling is server/snapshot_file.
//
//   header    magic "CAIRNSNP" (8) | format version u32 | written_at u64
//             (unix seconds, so a reader can age entries across the downtime)
//   torrent   info hash (20) | downloaded u32 | peer count u32, then its peers
//   peer      flags u8 (bit 0 IPv6, bit 1 seeder, bit 2 completed counted)
//             | address (4 or 16) | port u16 big-endian | peer id (20)
//             | age u32 (seconds since its last announce, when written)
//   then, from version 2, after the last torrent:
//   topic     topic (20) | record count u32 | tombstone count u32, then its
//             records (oldest registration first) and its tombstones
//   record    id | family u8 (4 or 6) | source address (4 or 16) | seq u64
//             | signature (64) | age u32 (seconds since registered)
//             | remaining u32 (seconds until it expires) | body length u16
//             | body
//   tombstone id | seq u64 | remaining u32 (seconds it is still kept)
//   id        size u8 (16, or 32 for a public key) | that many bytes
//   trailer   torrents u64 | peers u64 | (version 2) topics u64 | records u64
//             | tombstones u64 | BLAKE2b-256 of every byte before it
//
// Integers are little-endian except the port, which stays in wire order.
// Counts sit in the trailer so the encoder can stream: it never needs the
// whole state in memory at once, and nothing is known before the end (the
// reader, which has the whole file, finds where the torrents end from the
// trailer's torrent count). Version 1 files (no records) are still read.
#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <sodium/crypto_generichash.h>

#include "core/endpoint.hpp"
#include "core/ids.hpp"
#include "core/record_id.hpp"
#include "core/result.hpp"

namespace cairn::codec::snapshot {

inline constexpr std::array<std::uint8_t, 8> magic = {'C', 'A', 'I', 'R', 'N', 'S', 'N', 'P'};
inline constexpr std::uint32_t format_version = 2;
inline constexpr std::uint32_t oldest_version = 1;  // the oldest this build reads

inline constexpr std::size_t header_size = 8 + 4 + 8;
inline constexpr std::size_t checksum_size = 32;
inline constexpr std::size_t trailer_size = 5 * 8 + checksum_size;
inline constexpr std::size_t trailer_size_v1 = 2 * 8 + checksum_size;
inline constexpr std::size_t torrent_size = 20 + 4 + 4;
inline constexpr std::size_t peer_size_v4 = 1 + 4 + 2 + 20 + 4;
inline constexpr std::size_t peer_size_v6 = 1 + 16 + 2 + 20 + 4;
inline constexpr std::size_t topic_size = 20 + 4 + 4;
// A record's size without its body; add 12 for an IPv6 source, 16 for a
// public key.
inline constexpr std::size_t record_size_min = 1 + 16 + 1 + 4 + 8 + 64 + 4 + 4 + 2;
inline constexpr std::size_t tombstone_size_min = 1 + 16 + 8 + 4;
inline constexpr std::size_t max_body = 0xFFFF;

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

// A rendezvous record. The codec keeps every field as it is; the store
// gives them their meaning (seq and signature are zero for unsigned ones).
struct Record {
  core::RecordId id;  // 16 or 32 bytes
  core::Address source;
  std::uint64_t seq = 0;
  core::Signature signature{};
  std::uint32_t age = 0;
  std::uint32_t remaining = 0;
  std::string body;  // at most max_body bytes
  friend bool operator==(const Record&, const Record&) = default;
};

struct Tombstone {
  core::RecordId id;
  std::uint64_t seq = 0;
  std::uint32_t remaining = 0;
  friend bool operator==(const Tombstone&, const Tombstone&) = default;
};

enum class Error : std::uint8_t {
  truncated = 1,      // shorter than a header and trailer
  bad_magic,          // not a snapshot at all
  bad_version,        // written by a format this build does not read
  checksum_mismatch,  // damaged, or cut short
  bad_length,         // records run past, or stop short of, the trailer
  bad_record,         // unknown flag bits, id size or address family
  count_mismatch,     // the trailer's counts disagree with the records
  over_limit,         // beyond Limits
};
std::string_view error_text(Error e);

// Whether `bytes`, the start of a file, may begin a snapshot: they match
// the magic as far as they go (so an empty or cut-short snapshot counts).
// False means the file is something else, not a damaged snapshot.
bool has_magic_prefix(std::span<const std::uint8_t> bytes);

// Sanity bounds for a reader; counts are also bounded by the input's size.
struct Limits {
  std::uint64_t max_bytes = std::uint64_t{1} << 36;
  std::uint64_t max_torrents = 1'000'000'000;
  std::uint32_t max_peers_per_torrent = 100'000'000;
  std::uint64_t max_topics = 1'000'000'000;
  std::uint32_t max_records_per_topic = 100'000'000;  // and as many tombstones
};

// Streams a snapshot: the caller adds every torrent, then every topic,
// takes the bytes from pending() whenever it likes (clear_pending() after
// writing them), and calls finish() once for the trailer.
class Encoder {
 public:
  explicit Encoder(std::uint64_t written_at);
  void add(const Torrent& torrent, std::span<const Peer> peers);
  // After the last add(). A record or tombstone the format cannot hold (an
  // id of another size, a body over max_body; the store never has one) is
  // left out rather than written into a file nobody could read.
  void add_topic(const core::TopicId& topic, std::span<const Record> records,
                 std::span<const Tombstone> tombstones);
  void finish();

  std::span<const std::uint8_t> pending() const { return pending_; }
  void clear_pending() { pending_.clear(); }
  std::uint64_t torrents() const { return torrents_; }
  std::uint64_t peers() const { return peers_; }
  std::uint64_t topics() const { return topics_; }
  std::uint64_t records() const { return records_; }
  std::uint64_t tombstones() const { return tombstones_; }

 private:
  void emit(const std::uint8_t* data, std::size_t size);

  crypto_generichash_state hash_;
  std::vector<std::uint8_t> pending_;
  std::uint64_t torrents_ = 0;
  std::uint64_t peers_ = 0;
  std::uint64_t topics_ = 0;
  std::uint64_t records_ = 0;
  std::uint64_t tombstones_ = 0;
  bool finished_ = false;
};

struct Summary {
  std::uint32_t version = 0;
  std::uint64_t written_at = 0;
  std::uint64_t torrents = 0;
  std::uint64_t peers = 0;
  std::uint64_t topics = 0;
  std::uint64_t records = 0;
  std::uint64_t tombstones = 0;
};

// Checks the whole input (magic, version, checksum, every entry, counts)
// before calling `visit` once per torrent and `visit_topic` once per topic,
// so a bad snapshot visits nothing. The spans are valid only during the
// call; either visitor may be empty.
using Visitor = std::function<void(const Torrent&, std::span<const Peer>)>;
using TopicVisitor =
    std::function<void(const core::TopicId&, std::span<const Record>, std::span<const Tombstone>)>;
core::Result<Summary, Error> decode(std::span<const std::uint8_t> bytes, const Limits& limits,
                                    const Visitor& visit, const TopicVisitor& visit_topic = {});

// The whole snapshot as values, for tests and the fuzz target.
struct TorrentPeers {
  Torrent torrent;
  std::vector<Peer> peers;
  friend bool operator==(const TorrentPeers&, const TorrentPeers&) = default;
};
struct TopicRecords {
  core::TopicId topic;
  std::vector<Record> records;
  std::vector<Tombstone> tombstones;
  friend bool operator==(const TopicRecords&, const TopicRecords&) = default;
};
struct Snapshot {
  std::uint64_t written_at = 0;
  std::vector<TorrentPeers> torrents;
  std::vector<TopicRecords> topics;  // none in a version 1 file
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};
std::vector<std::uint8_t> encode(const Snapshot& s);
core::Result<Snapshot, Error> decode(std::span<const std::uint8_t> bytes,
                                     const Limits& limits = {});

}  // namespace cairn::codec::snapshot
