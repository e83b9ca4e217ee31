#pragma once
// WebSocket peers on other Cairn nodes that share a Redis Cluster: where a
// node finds them for its own peers' offers, and how offers and answers
// reach them (redis::WsRelay implements it over sharded pub/sub; there is
// none with the memory store). SignalingSwarms keeps this node's peers as
// before; this adds the others, so a browser on node A and one on node B
// find each other.
//
// Calls come from a worker thread and may wait for one exchange with the
// cluster (bounded by store.redis_timeout_ms); a cluster that cannot be
// reached leaves the peer served by this node's swarm alone.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"

namespace cairn::tracker {

using NodeId = std::array<std::uint8_t, 8>;

// A peer of the swarm on another node.
struct RemotePeer {
  core::PeerId peer_id;
  NodeId node{};
};

// One offer for a peer on another node: `message` is the offer as that
// peer is to get it (codec::ws::encode_offer).
struct RemoteOffer {
  RemotePeer to;
  core::OfferId offer_id;
  std::string message;
};

class RemoteSignaling {
 public:
  virtual ~RemoteSignaling() = default;

  // `peer` (connected here) announced to the swarm and stays in it: it is
  // recorded as this node's for the swarm's peer TTL, and `others`
  // (cleared first) gets up to `want` peers of the swarm on other nodes, at
  // random.
  virtual void announce(const core::InfoHash& info_hash, const core::PeerId& peer,
                        std::uint32_t want, std::vector<RemotePeer>& others) = 0;
  // `peer` left the swarm (stopped, or its connection closed).
  virtual void leave(const core::InfoHash& info_hash, const core::PeerId& peer) = 0;
  // Sends `from`'s offers to their peers on other nodes, in one exchange.
  virtual void offer(const core::InfoHash& info_hash, const core::PeerId& from,
                     std::span<const RemoteOffer> offers) = 0;
  // `from` (connected here) answers offer `offer_id` of `to`: true if that
  // offer came to `from` from another node and is not answered yet (the
  // answer, `message`, is then sent back there); false if it is unknown
  // here, answered already or expired.
  virtual bool answer(const core::InfoHash& info_hash, const core::PeerId& from,
                      const core::PeerId& to, const core::OfferId& offer_id,
                      std::string_view message) = 0;
};

}  // namespace cairn::tracker
