#include "tracker/dht/verify_queue.hpp"

#include <sodium.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "tracker/random_key.hpp"

namespace cairn::tracker::dht {

static_assert(sizeof(PendingNode) == 44);

VerifyQueue::VerifyQueue(std::size_t capacity, core::Seconds delay)
    : VerifyQueue(capacity, delay, random_key()) {}

VerifyQueue::VerifyQueue(std::size_t capacity, core::Seconds delay,
                         const std::array<std::uint8_t, 16>& key)
    : ring_(std::max<std::size_t>(capacity, 1)),
      filter_(std::bit_ceil(2 * ring_.size()), 0),
      delay_(delay),
      key_(key) {}

std::uint64_t VerifyQueue::hash(const core::Address& a) const {
  std::uint8_t input[17] = {static_cast<std::uint8_t>(a.family)};
  std::memcpy(input + 1, a.bytes.data(), 16);
  std::uint64_t h;
  crypto_shorthash(reinterpret_cast<unsigned char*>(&h), input, sizeof input, key_.data());
  return h | 1;  // never 0, the empty mark
}

VerifyQueue::Added VerifyQueue::add(const NodeId& id, const core::Endpoint& endpoint,
                                    core::Seconds now) {
  const std::uint64_t h = hash(endpoint.address);
  std::uint64_t& mark = filter_[h & (filter_.size() - 1)];
  if (mark == h) return Added::duplicate;
  if (size_ == ring_.size()) return Added::full;
  mark = h;  // a colliding address loses its mark: at worst it is queued twice
  ring_[(head_ + size_) % ring_.size()] = {id, endpoint, now + delay_};
  ++size_;
  return Added::queued;
}

std::size_t VerifyQueue::take_due(core::Seconds now, std::span<PendingNode> out) {
  std::size_t n = 0;
  while (n < out.size() && size_ > 0 && ring_[head_].due <= now) {
    out[n++] = ring_[head_];
    const std::uint64_t h = hash(ring_[head_].endpoint.address);
    std::uint64_t& mark = filter_[h & (filter_.size() - 1)];
    if (mark == h) mark = 0;
    head_ = (head_ + 1) % ring_.size();
    --size_;
  }
  return n;
}

}  // namespace cairn::tracker::dht
