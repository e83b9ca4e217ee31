#include "tracker/dht/routing_table.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace cairn::tracker::dht {

static_assert(sizeof(Node) == 48, "docs and the header state 48 bytes per node");

namespace {
bool empty(const Node& n) { return n.endpoint.port == 0; }

bool closer(const NodeId& target, const Node& a, const Node& b) {
  const auto da = distance(target, a.id), db = distance(target, b.id);
  return std::memcmp(da.data(), db.data(), da.size()) < 0;
}
}  // namespace

RoutingTable::RoutingTable(const RoutingConfig& config) {
  const std::size_t buckets =
      std::bit_ceil(std::max<std::size_t>((config.capacity + kBucketSize - 1) / kBucketSize, 1));
  bucket_bits_ = static_cast<unsigned>(std::countr_zero(buckets));
  slots_.resize(buckets * kBucketSize);
  occupied_.assign((buckets + 63) / 64, 0);
  if (config.handouts_per_minute != 0) {
    interval_ = std::max<std::uint32_t>(60 * 16 / config.handouts_per_minute, 1);
    tolerance_ = interval_ * (config.handouts_per_minute - 1);
  }
}

std::size_t RoutingTable::bucket_of(const NodeId& id) const {
  if (bucket_bits_ == 0) return 0;
  const std::uint32_t top = static_cast<std::uint32_t>(id.bytes[0]) << 24 |
                            static_cast<std::uint32_t>(id.bytes[1]) << 16 |
                            static_cast<std::uint32_t>(id.bytes[2]) << 8 | id.bytes[3];
  return top >> (32 - bucket_bits_);
}

std::size_t RoutingTable::size() const {
  std::lock_guard lock(mutex_);
  return count_;
}

RoutingTable::Inserted RoutingTable::insert(const NodeId& id, const core::Endpoint& endpoint,
                                            core::Seconds now) {
  const std::size_t b = bucket_of(id);
  std::lock_guard lock(mutex_);
  Node* bucket = &slots_[b * kBucketSize];
  Node* free = nullptr;
  Node* oldest = bucket;
  for (std::size_t i = 0; i < kBucketSize; ++i) {
    Node& n = bucket[i];
    if (empty(n)) {
      free = free ? free : &n;
      continue;
    }
    if (n.endpoint.address == endpoint.address) {
      n.id = id;
      n.endpoint = endpoint;
      n.verified = now;
      return Inserted::updated;
    }
    if (n.verified < oldest->verified || empty(*oldest)) oldest = &n;
  }
  if (free) {
    *free = Node{id, endpoint, now, 0};
    ++count_;
    const std::uint64_t bit = std::uint64_t{1} << (b % 64);
    if (!(occupied_[b / 64] & bit)) ++occupied_buckets_;
    occupied_[b / 64] |= bit;
    return Inserted::added;
  }
  *oldest = Node{id, endpoint, now, 0};
  return Inserted::replaced;
}

bool RoutingTable::take_handout(Node& n, std::uint32_t now16) {
  if (interval_ == 0) return true;
  const std::uint32_t next = std::max(n.handout_tat, now16);
  if (next - now16 > tolerance_) return false;
  n.handout_tat = next + interval_;
  return true;
}

void RoutingTable::take_from_bucket(std::size_t bucket, const NodeId& target,
                                    const core::Endpoint& requester, Scope requester_scope,
                                    std::uint32_t now16, std::span<Node> out, std::size_t& n) {
  Node* candidates[kBucketSize];
  std::size_t c = 0;
  for (std::size_t i = 0; i < kBucketSize; ++i) {
    Node& node = slots_[bucket * kBucketSize + i];
    if (empty(node) || node.endpoint == requester) continue;
    if (scope_of(node.endpoint.address) > requester_scope) continue;
    candidates[c++] = &node;
  }
  // Insertion sort: at most 8, mostly already in order.
  for (std::size_t i = 1; i < c; ++i)
    for (std::size_t j = i; j > 0 && closer(target, *candidates[j], *candidates[j - 1]); --j)
      std::swap(candidates[j], candidates[j - 1]);
  for (std::size_t i = 0; i < c && n < out.size(); ++i)
    if (take_handout(*candidates[i], now16)) out[n++] = *candidates[i];
}

std::size_t RoutingTable::closest(const NodeId& target, const core::Endpoint& requester,
                                  Scope requester_scope, core::Millis now_ms, std::span<Node> out) {
  const auto now16 = static_cast<std::uint32_t>(now_ms * 16 / 1000);
  const std::size_t tb = bucket_of(target);
  std::size_t n = 0;
  std::lock_guard lock(mutex_);
  // Word by word in XOR order of the high bits, then bucket by bucket in
  // XOR order of the low six: buckets by increasing distance from tb. The
  // walk ends once every occupied bucket has been seen, so a young, sparse
  // table (or an empty one) is not scanned to its end for every query.
  std::size_t left = occupied_buckets_;
  for (std::size_t d = 0; d < occupied_.size() && n < out.size() && left > 0; ++d) {
    const std::size_t word = (tb >> 6) ^ d;
    const std::uint64_t bits = occupied_[word];
    for (std::size_t low = 0; bits != 0 && low < 64 && n < out.size(); ++low) {
      const std::size_t bit = (tb & 63) ^ low;
      if (bits >> bit & 1) {
        take_from_bucket(word * 64 + bit, target, requester, requester_scope, now16, out, n);
        --left;
      }
    }
  }
  return n;
}

}  // namespace cairn::tracker::dht
