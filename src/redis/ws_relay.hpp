#pragma once
// WebSocket offers and answers between Cairn nodes that share a Redis
// Cluster (issue 14): tracker::RemoteSignaling over Redis.
//
// Per swarm, under its hash tag, so it lives on the swarm's shard:
//   NS:w{H}    hash: peer id (hex) -> node id (hex), the swarm's WebSocket
//              peers on every node
//   NS:wt{H}   sorted set: peer id -> when it expires (Redis TIME + ttl),
//              trimmed on every announce; both keys carry a TTL
//   NS:wc{H}:N the sharded pub/sub channel of node N for the swarm, which
//              N subscribes to while it holds a peer of the swarm
// An announce is one script call (record the peer, trim, draw peers of
// other nodes with HRANDFIELD); offers of one announce are one pipelined
// exchange of SPUBLISHes. An offer that arrives for a peer here is
// remembered (for ws.offer_ttl, at most kMaxPending at once) so that the
// peer's answer goes back to the offering node; everything else a node
// receives it checks as hostile input (codec::ws_relay) and drops when it
// names no peer here.
//
// Delivery: messages arrive on the subscriber's thread and go to the
// peer's connection through `deliver`, which the server points at the
// owning worker (posted to its thread).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "redis/cluster_client.hpp"
#include "redis/sharded_subscriber.hpp"
#include "store/redis/link.hpp"
#include "tracker/remote_signaling.hpp"
#include "tracker/signaling.hpp"

namespace cairn::redis {

struct WsRelayOptions {
  std::string name_space = "cairn";
  std::chrono::seconds peer_ttl{600};   // ws.peer_ttl: a peer's record lives this long
  std::chrono::seconds offer_ttl{120};  // how long a relayed offer may be answered
};

class WsRelay final : public tracker::RemoteSignaling {
 public:
  using Deliver = std::function<void(const tracker::ConnectionId& to, std::string frame)>;
  static constexpr std::size_t kMaxPending = 1 << 16;

  WsRelay(std::shared_ptr<ClusterClient> cluster, WsRelayOptions options,
          const tracker::SignalingSwarms& swarms, Deliver deliver);
  ~WsRelay() override;

  void announce(const core::InfoHash& info_hash, const core::PeerId& peer, std::uint32_t want,
                std::vector<tracker::RemotePeer>& others) override;
  void leave(const core::InfoHash& info_hash, const core::PeerId& peer) override;
  void offer(const core::InfoHash& info_hash, const core::PeerId& from,
             std::span<const tracker::RemoteOffer> offers) override;
  bool answer(const core::InfoHash& info_hash, const core::PeerId& from, const core::PeerId& to,
              const core::OfferId& offer_id, std::string_view message) override;

  // No more deliveries: before the workers `deliver` posts to stop.
  void stop();
  const tracker::NodeId& node() const { return node_; }

 private:
  struct Pending;
  void received(std::string_view channel, std::string_view payload);
  std::string channel(const core::InfoHash& info_hash, const tracker::NodeId& node) const;
  void publish(store::redis::Batch& batch, const core::InfoHash& info_hash,
               const tracker::NodeId& to, std::string_view payload) const;

  std::shared_ptr<ClusterClient> cluster_;
  WsRelayOptions options_;
  const tracker::SignalingSwarms& swarms_;
  Deliver deliver_;
  tracker::NodeId node_{};
  std::mutex mutex_;                                  // members_, swarms_held_, pending_
  std::unordered_set<std::string> members_;           // H+peer bytes of local peers
  std::unordered_map<std::string, int> swarms_held_;  // H bytes -> local peers in it
  std::unordered_map<std::string, Pending> pending_;  // H+to+offer -> where it came from
  std::unique_ptr<ShardedSubscriber> subscriber_;     // last: its thread calls received()
};

}  // namespace cairn::redis
