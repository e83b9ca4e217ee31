#pragma once
// Nodes waiting to be pinged back before they may enter the routing table.
// A node that queried us is pinged after a delay (about 15 minutes in
// production): one that still answers then is likely up for a while and
// reachable without a fresh NAT pin-hole, the kind worth handing to others.
//
// Fixed memory: a ring of `capacity` entries (44 bytes each) and a filter
// of 2 x capacity 8-byte slots that keeps an address from being queued
// twice at once, so a flood (spoofed or not) can neither grow the queue nor
// make us ping one address more than once per delay. When full, new nodes
// are refused until pings drain it. The delay is the same for every entry,
// so the ring is in due order.
//
// Not thread-safe: one per worker thread. Pure: time comes in as `now`.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/endpoint.hpp"
#include "core/time.hpp"
#include "tracker/dht/node_id.hpp"

namespace cairn::tracker::dht {

struct PendingNode {
  NodeId id;
  core::Endpoint endpoint;
  core::Seconds due = 0;
};

class VerifyQueue {
 public:
  enum class Added : std::uint8_t { queued, duplicate, full };

  VerifyQueue(std::size_t capacity, core::Seconds delay);  // random filter key
  VerifyQueue(std::size_t capacity, core::Seconds delay, const std::array<std::uint8_t, 16>& key);

  Added add(const NodeId& id, const core::Endpoint& endpoint, core::Seconds now);
  // Moves up to out.size() nodes whose delay has passed into `out`, oldest
  // first; returns how many.
  std::size_t take_due(core::Seconds now, std::span<PendingNode> out);

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return ring_.size(); }
  std::size_t memory_bytes() const {
    return ring_.capacity() * sizeof(PendingNode) + filter_.capacity() * sizeof(std::uint64_t);
  }

 private:
  std::uint64_t hash(const core::Address& a) const;

  std::vector<PendingNode> ring_;
  std::size_t head_ = 0, size_ = 0;
  std::vector<std::uint64_t> filter_;  // keyed hash of a queued address, 0: none
  core::Seconds delay_;
  std::array<std::uint8_t, 16> key_;
};

}  // namespace cairn::tracker::dht
