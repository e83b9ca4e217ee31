#pragma once
// WebTorrent signaling: the WebSocket peers of each swarm and the WebRTC
// offers in flight between them (docs/protocols.md, "WebSocket tracker").
//
// A WebSocket peer has no address another peer could dial: it is reached
// only through its connection, so it is kept here, beside the store, with a
// ConnectionId naming the worker and slot that hold its socket. Counts
// (scrape, announce replies) add these peers to the store's; offers go only
// to them.
//
// - announce: joins, updates or (stopped) leaves the swarm; with offers,
//   picks up to min(offers, max_offers) other peers at random, one per
//   offer, and remembers on the sender that each of them may answer that
//   offer until offer_ttl has passed.
// - answer: the offering peer's connection, if the answering peer was sent
//   that offer and has not answered it yet; each offer is answered once.
// - A peer id belongs to the connection that announced it first: another
//   connection announcing or answering with it is refused, so a peer that
//   saw an id in an offer cannot steal the answers meant for it.
// - leave (the connection closed): removes the peer if that connection
//   still holds it.
// - expire: peers not seen for peer_ttl (their connection stayed open but
//   stopped announcing), and expired offers.
//
// Sharded by info hash, one lock per shard, like the memory store; time
// and randomness come from the caller. Safe to call from many threads.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "core/event.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "store/peer_store.hpp"
#include "tracker/connection_router.hpp"

namespace cairn::tracker {

struct SignalingLimits {
  std::uint32_t max_offers = 10;  // offers relayed per announce
  core::Seconds offer_ttl = 120;  // how long an offer may be answered
  core::Seconds peer_ttl = 600;   // a peer that stops announcing
  std::uint32_t max_torrents = 10'000'000;
  std::uint32_t max_peers_per_torrent = 100'000;
};

struct SignalAnnounce {
  core::InfoHash info_hash;
  core::PeerId peer_id;
  ConnectionId connection;
  core::Event event = core::Event::none;
  bool seeder = false;
  bool may_grow = true;  // false: no new swarm or peer (the memory cap)
};

// One offer to relay: offer `offer` of the announce goes to `peer_id` on
// `to`.
struct OfferTarget {
  core::PeerId peer_id;
  ConnectionId to;
  std::uint32_t offer = 0;
};

enum class SignalingError : std::uint8_t {
  peer_id_in_use = 1,  // another connection holds this peer id in this swarm
  torrent_limit,       // a new swarm past max_torrents, or the memory cap
  not_in_swarm,        // an answer from a peer id this connection has not announced
  no_such_offer,       // not sent to this peer, already answered, or expired
};

std::string_view error_text(SignalingError e);

struct SignalingStats {
  std::uint64_t torrents = 0;
  std::uint64_t peers = 0;
  std::uint64_t offers_pending = 0;
};

class SignalingSwarms {
 public:
  explicit SignalingSwarms(SignalingLimits limits);
  ~SignalingSwarms();
  SignalingSwarms(const SignalingSwarms&) = delete;
  SignalingSwarms& operator=(const SignalingSwarms&) = delete;

  // Applies the announce; fills `targets` (cleared first) with one peer per
  // offer id, at most max_offers, never the sender. A peer past
  // max_peers_per_torrent (or while may_grow is false) is not stored: it
  // gets counts, but its offers are not relayed (no answer could find it).
  core::Result<store::SwarmCounts, SignalingError> announce(
      const SignalAnnounce& a, std::span<const core::OfferId> offer_ids, core::Seconds now,
      std::uint64_t random, std::vector<OfferTarget>& targets);

  // Where the answer of `from` (on connection `by`) to `to`'s offer goes.
  core::Result<ConnectionId, SignalingError> answer(const core::InfoHash& info_hash,
                                                    const core::PeerId& from,
                                                    const ConnectionId& by, const core::PeerId& to,
                                                    const core::OfferId& offer_id,
                                                    core::Seconds now);

  // The connection closed: `peer_id` leaves if `connection` still holds it.
  void leave(const core::InfoHash& info_hash, const core::PeerId& peer_id,
             const ConnectionId& connection);

  // The connection of `peer_id` in the swarm, if it is connected to this
  // node: where an offer or answer from another node goes.
  std::optional<ConnectionId> where(const core::InfoHash& info_hash,
                                    const core::PeerId& peer_id) const;

  store::SwarmCounts counts(const core::InfoHash& info_hash) const;
  // Every swarm with a peer and its counts, a page per shard (copied under
  // the shard's lock, visited after): the full scrape's listing.
  void list(const store::PeerStore::SwarmPage& visit) const;
  // Whether any swarm exists: lets the HTTP and UDP paths skip the lookup
  // on a tracker no browser uses.
  bool empty() const { return swarms_.load(std::memory_order_relaxed) == 0; }

  // Removes peers not seen for peer_ttl and offers past their time; returns
  // the peers removed.
  std::uint64_t expire(core::Seconds now);
  SignalingStats stats() const;

  const SignalingLimits& limits() const { return limits_; }

 private:
  struct Shard;
  Shard& shard_of(const core::InfoHash& h) const;

  SignalingLimits limits_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<std::uint64_t> swarms_{0};
};

// The torrents one connection has joined, each under one peer id: what
// closing it stops, and what keeps it to one peer id per torrent.
class JoinedTorrents {
 public:
  enum class Join : std::uint8_t { known, added, other_peer_id, too_many };
  // Whether `peer_id` may speak for `info_hash` on this connection; adds
  // the pair when it is new and fewer than `max` are held.
  Join join(const core::InfoHash& info_hash, const core::PeerId& peer_id, std::size_t max);
  // Whether this connection announced `info_hash` as `peer_id`.
  bool holds(const core::InfoHash& info_hash, const core::PeerId& peer_id) const;
  void remove(const core::InfoHash& info_hash);
  struct Entry {
    core::InfoHash info_hash;
    core::PeerId peer_id;
  };
  std::span<const Entry> entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

}  // namespace cairn::tracker
