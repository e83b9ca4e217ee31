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

// busy: the store could not answer now (a Redis cluster unreachable or
// failing over); the client should retry.
enum class TrackerError : std::uint8_t { tracker_full = 1, torrent_not_allowed, busy };

// Fixed text a client sees for each error.
std::string_view error_text(TrackerError e);

class Tracker {
 public:
  Tracker(const Policy& policy, store::PeerStore& store, MemoryGuard& memory)
      : policy_(policy), store_(store), memory_(memory) {}

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

 private:
  std::uint32_t numwant(const std::optional<std::int64_t>& requested) const;

  Policy policy_;
  store::PeerStore& store_;
  MemoryGuard& memory_;
};

}  // namespace cairn::tracker
