#pragma once
// The nodes a bootstrap node hands out: only nodes that answered a ping of
// ours (see VerifyQueue), kept in a table of fixed size, one per address
// family.
//
// Layout: 2^b buckets of 8 slots, a node's bucket being the first b bits of
// its id, and a bit per bucket saying whether it holds anything. Visiting
// buckets in the order bucket ^ 0, ^ 1, ^ 2, ... from a target's bucket is
// visiting them by XOR distance, so the closest nodes to any target are
// found by looking at a few buckets (and skipping empty ones 64 at a time).
// 48 bytes per node (Node), plus one bit per bucket: the default 65,536
// nodes take 3 MiB per family.
//
// Inserting into a full bucket replaces the node verified longest ago; a
// node already in the bucket under the same address (a restart with a new
// port or id) is updated in place, so one host holds at most one slot per
// bucket, and under BEP 42 (8 valid prefixes per address) at most 8 slots
// in all.
//
// Fair hand-out: each node may be handed out at most `handouts_per_minute`
// times a minute (a token bucket per node, kept as GCRA in 4 bytes); a node
// whose budget is spent is passed over for the next closest, so a popular
// target cannot point a flood of clients at the same few nodes.
//
// Thread-safe: workers share the table behind one mutex, held for a few
// bucket reads per query. Pure: time comes in as `now`.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "core/endpoint.hpp"
#include "core/time.hpp"
#include "tracker/dht/node_id.hpp"

namespace cairn::tracker::dht {

struct Node {
  NodeId id;
  core::Endpoint endpoint;
  core::Seconds verified = 0;     // when it last answered our ping
  std::uint32_t handout_tat = 0;  // hand-out budget: GCRA arrival time, 1/16 s
};

struct RoutingConfig {
  std::uint32_t capacity = 65536;          // nodes; rounded up to a power of two of buckets x 8
  std::uint32_t handouts_per_minute = 60;  // per node; 0: no limit
};

class RoutingTable {
 public:
  static constexpr std::size_t kBucketSize = 8;
  enum class Inserted : std::uint8_t { added, updated, replaced };

  explicit RoutingTable(const RoutingConfig& config);

  // Stores a node that has just been verified (at `now`).
  Inserted insert(const NodeId& id, const core::Endpoint& endpoint, core::Seconds now);

  // Fills `out` with up to out.size() nodes closest to `target` that the
  // requester can reach (scope_of(node) <= requester_scope), other than the
  // requester itself and nodes out of hand-out budget; closest first.
  // Counts each one as handed out at `now_ms`.
  std::size_t closest(const NodeId& target, const core::Endpoint& requester, Scope requester_scope,
                      core::Millis now_ms, std::span<Node> out);

  std::size_t size() const;
  std::size_t capacity() const { return slots_.size(); }
  std::size_t memory_bytes() const {
    return slots_.capacity() * sizeof(Node) + occupied_.capacity() * sizeof(std::uint64_t);
  }

 private:
  std::size_t bucket_of(const NodeId& id) const;
  bool take_handout(Node& n, std::uint32_t now16);
  void take_from_bucket(std::size_t bucket, const NodeId& target, const core::Endpoint& requester,
                        Scope requester_scope, std::uint32_t now16, std::span<Node> out,
                        std::size_t& n);

  mutable std::mutex mutex_;
  std::vector<Node> slots_;              // bucket i is slots_[8i, 8i + 8); port 0: empty
  std::vector<std::uint64_t> occupied_;  // bit i: bucket i holds a node
  unsigned bucket_bits_ = 0;
  std::size_t count_ = 0;
  std::size_t occupied_buckets_ = 0;  // bits set in occupied_ (buckets never empty again)
  std::uint32_t interval_ = 0;        // 1/16 s per hand-out; 0: no limit
  std::uint32_t tolerance_ = 0;       // a minute's worth of hand-outs at once
};

}  // namespace cairn::tracker::dht
