#pragma once
// The state file behind `cairn serve --state FILE`: the swarms and
// rendezvous records of stores that offer snapshots (store/snapshots.hpp:
// the memory stores) saved as a codec/snapshot and put back at start.
// Times: the stores count monotonic seconds (`now`), the file stores ages
// and remaining lifetimes and the wall-clock time of writing (`unix_now`),
// so they carry over a restart and the downtime counts against each peer's
// TTL and each record's expiry.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/time.hpp"
#include "store/peer_store.hpp"
#include "store/record_store.hpp"
#include "store/snapshots.hpp"

namespace cairn::server {

struct SnapshotSaved {
  bool ok = false;
  std::string error;  // when !ok: what failed; the previous file is untouched
  std::uint64_t torrents = 0;
  std::uint64_t peers = 0;
  std::uint64_t topics = 0;
  std::uint64_t records = 0;
  std::uint64_t tombstones = 0;
};

// Writes every swarm and topic atomically: a temporary file in the same
// folder, written and fsynced, renamed over `path`, then the folder fsynced,
// so a crash at any point leaves the old file or the new one, whole. Reads
// the stores a part at a time (SwarmSnapshots::for_each_swarm,
// RecordSnapshots::for_each); call it off the I/O threads.
SnapshotSaved save_snapshot(const std::string& path, const store::SwarmSnapshots& store,
                            const store::RecordSnapshots& records, core::Seconds now,
                            std::uint64_t unix_now);

struct SnapshotLoaded {
  enum class Status : std::uint8_t { restored, missing, unreadable };
  Status status = Status::missing;
  std::string error;                     // when unreadable: one phrase, e.g. "checksum mismatch"
  std::uint64_t written_at = 0;          // unix seconds
  std::uint64_t torrents = 0;            // restored with at least one peer
  std::uint64_t peers = 0;               // restored
  std::uint64_t expired = 0;             // dropped: age plus downtime reached peer_ttl
  std::uint64_t over_limit = 0;          // dropped: beyond max_torrents or max_peers_per_torrent
  std::uint64_t topics = 0;              // restored with at least one record
  std::uint64_t records = 0;             // restored
  std::uint64_t records_expired = 0;     // dropped: the downtime used up their time
  std::uint64_t records_over_limit = 0;  // dropped: beyond the record store's caps
};

// Restores `path` into `store` and `records` (meant to be empty) before
// serving. A peer whose age plus the downtime (unix_now - written_at)
// reaches `peer_ttl` is dropped, and so is a record or tombstone whose
// remaining time the downtime used up; a kept record's registration moves
// back by the downtime too (to no earlier than 0). A missing file is no
// error; a damaged one restores nothing. `now` must be at least peer_ttl,
// so every kept peer's last-seen time is representable (the server's clock
// starts there).
SnapshotLoaded load_snapshot(const std::string& path, store::SwarmSnapshots& store,
                             store::RecordSnapshots& records, core::Seconds now,
                             std::uint64_t unix_now, core::Seconds peer_ttl);

// A state file needs both stores' snapshots; start-up only: throws
// std::runtime_error, naming `backend`, if either store has none (its
// state lives outside this process and outlasts it by itself).
void require_snapshots(store::PeerStore& store, store::RecordStore& records,
                       std::string_view backend);

}  // namespace cairn::server
