#pragma once
// Snapshots: an optional capability of a store whose state lives in this
// process (the memory stores), so the server can save it to its state file
// and put it back at start (server/snapshot_file.hpp). A store whose state
// lives elsewhere (a Redis cluster) keeps it across restarts by itself and
// offers none: PeerStore::snapshots() and RecordStore::snapshots() return
// nullptr, and the server refuses a state file.
#include <cstdint>
#include <functional>
#include <span>

#include "core/ids.hpp"
#include "core/peer.hpp"
#include "core/record_id.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "store/peer_store.hpp"
#include "store/record_store.hpp"

namespace cairn::store {

// One peer with everything a snapshot needs to restore it.
struct StoredPeer {
  PeerInfo peer;
  core::Seconds last_seen = 0;
  bool seeder = false;
  bool completed = false;
};

class SwarmSnapshots {
 public:
  // Calls `visit` once per swarm with a copy of its peers, taken a part of
  // the store at a time and handed over outside its lock, so announces wait
  // at most for one part's copy.
  using SwarmVisitor =
      std::function<void(const core::InfoHash&, const SwarmCounts&, std::span<const StoredPeer>)>;
  virtual void for_each_swarm(const SwarmVisitor& visit) const = 0;

  // Puts back a swarm read from a snapshot: its peers with their last-seen
  // times and flags, and its download count (the larger of it and any
  // count already held, if the swarm exists). Limits apply as to announces:
  // a new swarm beyond max_torrents is refused with torrent_limit, peers
  // beyond max_peers_per_torrent are not stored. Returns the peers stored.
  virtual core::Result<std::uint32_t, StoreError> restore_swarm(
      const core::InfoHash& info_hash, std::uint32_t downloaded,
      std::span<const StoredPeer> peers) = 0;

 protected:
  ~SwarmSnapshots() = default;  // not owned through this interface
};

// The highest seq of a signed record that is gone (removed or expired),
// remembered until `until` so a replayed registration or removal stays
// refused.
struct RecordTombstone {
  core::RecordId id;
  std::uint64_t seq = 0;
  core::Seconds until = 0;
  friend bool operator==(const RecordTombstone&, const RecordTombstone&) = default;
};

class RecordSnapshots {
 public:
  // Calls `visit` once per topic with a copy of its records (in version
  // order) and tombstones, taken a part of the store at a time and handed
  // over outside its lock.
  using TopicVisitor = std::function<void(const core::TopicId&, std::span<const StoredRecord>,
                                          std::span<const RecordTombstone>)>;
  virtual void for_each(const TopicVisitor& visit) const = 0;

  // Puts back a topic read from a snapshot: its records with their sources,
  // seqs, signatures and times (each gets a new version, in the order
  // given) and its tombstones. The caps apply as to puts: a new topic
  // beyond max_topics is refused with tracker_full; records beyond
  // max_records_per_topic or their address's quota are not stored, nor is
  // a record or tombstone whose id the topic already holds (the store is
  // meant to be empty). Returns the records stored.
  virtual core::Result<std::uint32_t, RecordStoreError> restore(
      const core::TopicId& topic, std::span<const StoredRecord> records,
      std::span<const RecordTombstone> tombstones) = 0;

 protected:
  ~RecordSnapshots() = default;  // not owned through this interface
};

}  // namespace cairn::store
