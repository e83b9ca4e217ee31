#pragma once
// Cairn's DHT node: a Mainline DHT bootstrap node (BEP 5) and, with the
// bridge on, a door between the DHT and the tracker's swarms.
//
// As a bootstrap node it answers ping, find_node and get_peers with the
// closest verified nodes it knows (RoutingTable), and learns nodes only by
// verifying them: a node that queries is pinged back after a delay
// (VerifyQueue) with a SYN-cookie transaction id (PingCookies), and is
// stored only if it answers from the same endpoint with the same id and
// that id is valid for its address under BEP 42. Read-only nodes (BEP 43)
// are served and never stored.
//
// As a bridge, get_peers returns the tracker's swarm for the info hash
// (Tracker::lookup: the access list applies) and announce_peer, with a
// valid write token, announces the peer into that swarm (Tracker::announce:
// TTL, caps and memory guard apply). docs/protocols.md states the policy.
//
// Errors carry fixed texts and are never larger than the query that caused
// them; garbage, replies and errors get no answer.
//
// It lives in the frontend layer because it speaks KRPC (codec/krpc.hpp);
// the protocol-neutral parts (node ids, routing table, verification queue,
// ping cookies) are in tracker/dht/. Dht is shared by the workers and
// thread-safe; each worker keeps a
// DhtWorker (its verification queue and scratch space). Pure: time comes in
// as `now` (seconds) and `now_ms`, randomness through the worker's Rng.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "codec/krpc.hpp"
#include "core/compact_peers.hpp"
#include "core/endpoint.hpp"
#include "core/peer.hpp"
#include "core/random.hpp"
#include "core/time.hpp"
#include "tracker/access_list.hpp"
#include "tracker/connection_ids.hpp"
#include "tracker/dht/node_id.hpp"
#include "tracker/dht/ping_cookies.hpp"
#include "tracker/dht/routing_table.hpp"
#include "tracker/dht/verify_queue.hpp"
#include "tracker/tracker.hpp"

namespace cairn::frontend::dht {

using tracker::AccessView;
using tracker::ConnectionIds;
using tracker::Tracker;
using tracker::dht::Node;
using tracker::dht::NodeId;
using tracker::dht::PendingNode;
using tracker::dht::PingCookies;
using tracker::dht::RoutingTable;
using tracker::dht::VerifyQueue;

struct DhtPolicy {
  core::Seconds verify_delay = 900;        // before a node that queried is pinged back
  std::uint32_t verify_queue = 65536;      // nodes waiting for their ping, all workers together
  std::uint32_t max_nodes = 65536;         // routing table capacity, per address family
  std::uint32_t nodes_per_reply = 8;       // find_node: 8 to 16 per family
  std::uint32_t handouts_per_minute = 60;  // per node; 0: no limit
  bool bridge = true;                      // get_peers/announce_peer use the tracker's swarms
};

// The largest reply get_peers fills with values: under the 1,280-byte IPv6
// minimum MTU with room for UDP/IP headers, as libtorrent keeps its own.
inline constexpr std::size_t kMaxReply = 1200;
// Nodes a get_peers reply carries per family: fewer than find_node, to
// leave room for values.
inline constexpr std::size_t kGetPeersNodes = 8;

// What became of one packet: the frontend counts these.
enum class Outcome : std::uint8_t {
  ping,
  find_node,
  get_peers,
  announce_peer,
  unknown_method,  // answered 204
  bad_query,       // a query with bad or missing arguments: 203 (or silence)
  bad_token,       // announce_peer with a token we did not give it: 203
  refused,         // announce_peer the tracker refused (access list, full): 201
  garbage,         // not KRPC, or a refused reply or error: silence
  node_verified,   // the reply to one of our pings: the node is in the table
  reply_rejected,  // a reply that is not to our ping, or from a node BEP 42 rejects
  error_received,  // an error message: nothing to do
};
inline constexpr std::size_t kOutcomes = static_cast<std::size_t>(Outcome::error_received) + 1;

// One worker's part: its verification queue and scratch space.
class DhtWorker {
 public:
  DhtWorker(const DhtPolicy& policy, std::size_t workers, std::uint64_t seed);

  VerifyQueue& queue() { return queue_; }
  core::Rng& rng() { return rng_; }

 private:
  friend class Dht;
  VerifyQueue queue_;
  core::Rng rng_;
  core::PeerList peers_;
  std::array<Node, 16> nodes_;  // closest nodes, per family in turn
};

class Dht {
 public:
  // `bridge` is the tracker whose swarms get_peers and announce_peer use;
  // null (or policy.bridge false) makes a pure bootstrap node.
  Dht(const DhtPolicy& policy, const NodeId& id, Tracker* bridge);

  const NodeId& id() const { return id_; }
  const DhtPolicy& policy() const { return policy_; }
  bool bridging() const { return bridge_ != nullptr; }
  RoutingTable& table(core::Family f) { return f == core::Family::v4 ? table4_ : table6_; }

  // Handles one packet from `from` and writes the answer into `out`;
  // returns its size, 0 for none.
  std::size_t handle(std::span<const std::uint8_t> packet, const core::Endpoint& from,
                     core::Seconds now, core::Millis now_ms, DhtWorker& worker, AccessView& access,
                     std::span<std::uint8_t> out, Outcome& outcome);

  // Writes the verification ping for one due node into `out`; its size.
  std::size_t encode_ping(const PendingNode& node, core::Seconds now,
                          std::span<std::uint8_t> out) const;

  // The peer id a DHT-announced peer gets in the tracker's swarm: "-DH"
  // marks it (docs/protocols.md), the announcing node's id fills the rest.
  static core::PeerId peer_id_for(std::string_view node_id);

 private:
  struct Query;
  std::size_t answer(const Query& q, std::span<std::uint8_t> out, Outcome& outcome);
  std::size_t find_node(const Query& q, std::span<std::uint8_t> out);
  std::size_t get_peers(const Query& q, std::span<std::uint8_t> out);
  std::size_t announce_peer(const Query& q, std::span<std::uint8_t> out, Outcome& outcome);
  std::size_t error(const Query& q, codec::krpc::ErrorCode code, std::string_view text,
                    std::span<std::uint8_t> out) const;
  Outcome take_reply(const codec::krpc::Message& m, const core::Endpoint& from, core::Seconds now);
  void maybe_verify_later(const codec::krpc::Message& m, const core::Endpoint& from,
                          core::Seconds now, DhtWorker& worker) const;
  // Closest nodes for `target` in the families the query wants, as compact
  // node strings in `buf4`/`buf6`.
  void nodes_for(const Query& q, std::string_view target, std::size_t count,
                 codec::krpc::Reply& reply, std::span<std::uint8_t> buf4,
                 std::span<std::uint8_t> buf6);

  DhtPolicy policy_;
  NodeId id_;
  Tracker* bridge_;
  RoutingTable table4_, table6_;
  ConnectionIds tokens_;  // write tokens: a keyed hash of the address and a 5-minute slot
  PingCookies cookies_;
};

}  // namespace cairn::frontend::dht
