#pragma once
// The state file behind `cairn serve --state FILE`: the memory store's
// swarms saved as a codec/snapshot and put back at start. Times: the store
// counts monotonic seconds (`now`), the file stores each peer's age and the
// wall-clock time of writing (`unix_now`), so ages carry over a restart and
// the downtime counts against each peer's TTL.
#include <cstdint>
#include <string>

#include "core/clock.hpp"
#include "store/memory/memory_store.hpp"

namespace cairn::server {

struct SnapshotSaved {
  bool ok = false;
  std::string error;  // when !ok: what failed; the previous file is untouched
  std::uint64_t torrents = 0;
  std::uint64_t peers = 0;
};

// Writes every swarm atomically: a temporary file in the same folder,
// written and fsynced, renamed over `path`, then the folder fsynced, so a
// crash at any point leaves the old file or the new one, whole. Reads the
// store one shard at a time (MemoryStore::for_each_swarm); call it off the
// I/O threads.
SnapshotSaved save_snapshot(const std::string& path, const store::MemoryStore& store,
                            core::Seconds now, std::uint64_t unix_now);

struct SnapshotLoaded {
  enum class Status : std::uint8_t { restored, missing, unreadable };
  Status status = Status::missing;
  std::string error;            // when unreadable: one phrase, e.g. "checksum mismatch"
  std::uint64_t written_at = 0;  // unix seconds
  std::uint64_t torrents = 0;    // restored with at least one peer
  std::uint64_t peers = 0;       // restored
  std::uint64_t expired = 0;     // dropped: age plus downtime reached peer_ttl
  std::uint64_t over_limit = 0;  // dropped: beyond max_torrents or max_peers_per_torrent
};

// Restores `path` into `store` (meant to be empty) before serving. A peer
// whose age plus the downtime (unix_now - written_at) reaches `peer_ttl` is
// dropped. A missing file is no error; a damaged one restores nothing.
// `now` must be at least peer_ttl, so every kept peer's last-seen time is
// representable (the server's clock starts there).
SnapshotLoaded load_snapshot(const std::string& path, store::MemoryStore& store, core::Seconds now,
                             std::uint64_t unix_now, core::Seconds peer_ttl);

}  // namespace cairn::server
