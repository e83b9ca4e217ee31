#pragma once
// Protocol-independent tracker logic: an announce or scrape, already decoded
// by a frontend (HTTP, UDP), becomes store operations and a response. Policy
// lives here: intervals, numwant caps, the access list (each call takes
// the calling worker's AccessView) and the memory cap (a MemoryGuard someone
// else keeps measuring). Thread-safe (the store is).
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/endpoint.hpp"
#include "core/event.hpp"
#include "core/ids.hpp"
#include "core/peer.hpp"
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

struct AnnounceRequest {
  core::InfoHash info_hash;
  core::PeerId peer_id;
  core::Endpoint endpoint;  // where other peers reach this one
  core::Event event = core::Event::none;
  bool seeder = false;                  // left == 0
  std::optional<std::int64_t> numwant;  // absent or negative: the default
  bool want_v4 = true;
  bool want_v6 = true;
};

struct AnnounceResponse {
  std::uint32_t interval = 0;
  std::uint32_t min_interval = 0;
  store::SwarmCounts counts;
};

enum class TrackerError : std::uint8_t { tracker_full = 1, torrent_not_allowed };

// Fixed text a client sees for each error.
std::string_view error_text(TrackerError e);

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
  core::Result<AnnounceResponse, TrackerError> announce(const AnnounceRequest& request,
                                                        core::Seconds now, core::Rng& rng,
                                                        std::vector<core::PeerInfo>& peers,
                                                        AccessView& access);
  // torrent_not_allowed for a refused torrent; frontends report it as zeros.
  core::Result<store::SwarmCounts, TrackerError> scrape(const core::InfoHash& info_hash,
                                                        AccessView& access) const;
  const Policy& policy() const { return policy_; }
  // Whether the memory cap lets the state grow (no new swarm or peer when not).
  bool may_grow() { return !memory_.full_for_announce(); }

 private:
  std::uint32_t numwant(const std::optional<std::int64_t>& requested) const;
  store::SwarmCounts with_signaling(const core::InfoHash& info_hash,
                                    store::SwarmCounts counts) const;

  Policy policy_;
  store::PeerStore& store_;
  MemoryGuard& memory_;
  const SignalingSwarms* signaling_;
};

}  // namespace cairn::tracker
