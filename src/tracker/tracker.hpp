#pragma once
// Protocol-independent tracker logic: an announce or scrape, already decoded
// by a frontend (HTTP, UDP), becomes store operations and a response. Policy
// lives here: intervals, numwant caps, the access list (each call takes
// the calling worker's AccessView) and the memory cap (a MemoryGuard someone
// else keeps measuring). Thread-safe (the store is).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/compact_peers.hpp"
#include "core/endpoint.hpp"
#include "core/event.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "store/peer_store.hpp"
#include "tracker/access_list.hpp"
#include "tracker/memory_guard.hpp"
#include "tracker/signaling.hpp"

namespace cairn::tracker {

struct Policy {
  std::uint32_t announce_interval = 1800;
  std::uint32_t min_interval = 900;
  std::uint32_t numwant_default = 50;
  std::uint32_t numwant_max = 200;
};

// One announce, whichever protocol carried it: the frontend fills in what
// the client sent (numwant through Tracker::numwant, `now` from its request
// context), the tracker enriches it in place (random seed, may_grow) and
// hands it to the store as it is, without another copy.
using AnnounceRequest = store::Announce;

struct AnnounceResponse {
  std::uint32_t interval = 0;
  std::uint32_t min_interval = 0;
  store::SwarmCounts counts;
};

// busy: the store could not answer now (a Redis cluster unreachable or
// failing over); the client should retry. passkey_*: private mode's
// refusals (admission.hpp).
enum class TrackerError : std::uint8_t {
  tracker_full = 1,
  torrent_not_allowed,
  busy,
  passkey_missing,
  passkey_refused,
};

// Fixed text a client sees for each error.
std::string_view error_text(TrackerError e);

// What a store's refusal of an announce means to the client: busy (retry)
// or full.
TrackerError from_store(store::StoreError e);

// WebSocket (WebTorrent) peers live in `signaling`, not the store: their
// counts are added to the store's in every announce reply and scrape, so a
// swarm counts its browsers and its BitTorrent clients alike.
class Tracker {
 public:
  Tracker(const Policy& policy, store::PeerStore& store, MemoryGuard& memory,
          const SignalingSwarms* signaling = nullptr)
      : policy_(policy), store_(store), memory_(memory), signaling_(signaling) {}

  // Fills `peers` (cleared first) with the peers to hand back. A torrent
  // the access list refuses changes nothing. While the memory guard is
  // full, a new torrent fails with tracker_full and a new peer is answered
  // but not stored.
  core::Result<AnnounceResponse, TrackerError> announce(AnnounceRequest& request, core::Rng& rng,
                                                        core::PeerList& peers, AccessView& access);
  // Every announce of a batch (a UDP receive batch), each already admitted
  // by the access list (admission.hpp), in one store call: results[i] and
  // results[i].peers(peers) are what announce() would have given; a failed
  // one's error is from_store(its StoreError). The interval is announce_interval().
  void announce_batch(std::span<AnnounceRequest> batch, core::Rng& rng, core::PeerList& peers,
                      std::span<store::AnnounceResult> results);
  // Up to `numwant` (capped at numwant_max) peers of a swarm, of the
  // families asked for and without ids, without announcing: the DHT's
  // get_peers. A torrent the access list refuses has none
  // (torrent_not_allowed); a store that cannot answer now, none either
  // (busy).
  core::Result<store::SwarmCounts, TrackerError> lookup(const core::InfoHash& info_hash,
                                                        std::uint32_t numwant, bool want_v4,
                                                        bool want_v6, core::Rng& rng,
                                                        core::PeerList& peers,
                                                        AccessView& access) const;
  // counts[i] for hashes[i], each already admitted by the access list
  // (admission.hpp), in one store call: a multi-hash scrape costs a remote
  // store one pipelined exchange. A hash the store could not read is busy.
  void scrape_batch(std::span<const core::InfoHash> hashes, std::span<store::Counted> counts) const;
  // torrent_not_allowed for a refused torrent (frontends report it as
  // zeros); busy when the store cannot answer now.
  core::Result<store::SwarmCounts, TrackerError> scrape(const core::InfoHash& info_hash,
                                                        AccessView& access) const;
  // Every swarm with a peer, BitTorrent and WebSocket peers counted
  // together as scrape() counts them, to `out` (cleared first), in no
  // order: the full scrape's contents. Slow (the whole store): for a
  // background task, never a worker.
  void list_swarms(std::vector<store::SwarmEntry>& out) const;
  // The intervals and numwant bounds; the intervals as set at construction
  // (announce_interval() and min_interval() follow set_intervals()).
  const Policy& policy() const { return policy_; }
  // The intervals sent in replies now. A SIGHUP reload changes them while
  // workers read them: relaxed atomics, one load each per reply.
  std::uint32_t announce_interval() const {
    return announce_interval_.load(std::memory_order_relaxed);
  }
  std::uint32_t min_interval() const { return min_interval_.load(std::memory_order_relaxed); }
  // The caller has checked them (min <= announce <= the stores' peer_ttl).
  void set_intervals(std::uint32_t announce, std::uint32_t min) {
    announce_interval_.store(announce, std::memory_order_relaxed);
    min_interval_.store(min, std::memory_order_relaxed);
  }
  // Whether the memory cap lets the state grow (no new swarm or peer when not).
  bool may_grow() { return !memory_.full_for_announce(); }
  // How many peers to hand back for what the client asked (absent or
  // negative: the default), within the policy's cap.
  std::uint32_t numwant(const std::optional<std::int64_t>& requested) const {
    if (!requested || *requested < 0) return std::min(policy_.numwant_default, policy_.numwant_max);
    return static_cast<std::uint32_t>(std::min<std::int64_t>(*requested, policy_.numwant_max));
  }

 private:
  void enrich(AnnounceRequest& request, core::Rng& rng);
  store::SwarmCounts with_signaling(const core::InfoHash& info_hash,
                                    store::SwarmCounts counts) const;

  Policy policy_;
  std::atomic<std::uint32_t> announce_interval_{policy_.announce_interval};
  std::atomic<std::uint32_t> min_interval_{policy_.min_interval};
  store::PeerStore& store_;
  MemoryGuard& memory_;
  const SignalingSwarms* signaling_;
};

}  // namespace cairn::tracker
