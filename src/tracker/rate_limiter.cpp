#include "tracker/rate_limiter.hpp"

#include <sodium.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "tracker/random_key.hpp"

namespace cairn::tracker {

RateLimiter::RateLimiter(const RateLimitConfig& config) : RateLimiter(config, random_key()) {}

RateLimiter::RateLimiter(const RateLimitConfig& config, const std::array<std::uint8_t, 16>& key)
    : trusted_(config.trusted), key_(key) {
  if (config.per_second == 0) return;  // off: no table at all
  tat_.assign(std::bit_ceil(std::max<std::uint32_t>(config.slots, 1)), 0);
  interval_us_ = std::max<std::uint64_t>(1'000'000 / config.per_second, 1);
  tolerance_us_ = interval_us_ * (std::max<std::uint32_t>(config.burst, 1) - 1);
}

bool RateLimiter::trusted(const core::Address& client) const {
  return std::any_of(trusted_.begin(), trusted_.end(),
                     [&](const core::Network& n) { return n.contains(client); });
}

std::size_t RateLimiter::slot_of(const core::Address& client) const {
  std::uint8_t input[1 + 8] = {static_cast<std::uint8_t>(client.family)};
  std::size_t size = client.family == core::Family::v4 ? 4 : 8;  // v6: the /64
  std::memcpy(input + 1, client.bytes.data(), size);
  std::uint64_t h;
  crypto_shorthash(reinterpret_cast<unsigned char*>(&h), input, 1 + size, key_.data());
  return static_cast<std::size_t>(h) & (tat_.size() - 1);
}

bool RateLimiter::allow(const core::Address& client, core::Millis now) {
  if (tat_.empty() || trusted(client)) return true;
  std::uint64_t now_us = now * 1000;
  auto& tat = tat_[slot_of(client)];
  std::uint64_t next = std::max(tat, now_us);
  if (next - now_us > tolerance_us_) return false;  // bucket empty: refused requests cost nothing
  tat = next + interval_us_;
  return true;
}

core::Millis RateLimiter::wait(const core::Address& client, core::Millis now) const {
  if (tat_.empty() || trusted(client)) return 0;
  // allow() takes a request while tat - now <= tolerance.
  const std::uint64_t tat = tat_[slot_of(client)];
  const std::uint64_t now_us = now * 1000;
  if (tat <= now_us + tolerance_us_) return 0;
  return (tat - now_us - tolerance_us_ + 999) / 1000;  // rounded up
}

}  // namespace cairn::tracker
