#include "tracker/full_scrape_limit.hpp"

#include <algorithm>
#include <boost/container_hash/hash.hpp>
#include <cstring>

namespace cairn::tracker {

std::size_t FullScrapeLimit::UnitHash::operator()(const Unit& u) const noexcept {
  return boost::hash_range(u.begin(), u.end());
}

FullScrapeLimit::Unit FullScrapeLimit::unit_of(const core::Address& a) {
  Unit u{};
  u[0] = static_cast<std::uint8_t>(a.family);
  // An IPv6 host commonly holds a whole /64: count it as one address.
  std::memcpy(u.data() + 1, a.bytes.data(), a.family == core::Family::v4 ? 4 : 8);
  return u;
}

bool FullScrapeLimit::admit(const core::Address& client, core::Seconds now) {
  const Unit unit = unit_of(client);
  std::lock_guard lock(mutex_);
  if (auto it = served_.find(unit); it != served_.end()) {
    if (now < it->second + interval_) return false;
    it->second = now;
    return true;
  }
  if (served_.size() >= max_addresses_)
    boost::unordered::erase_if(served_, [&](const auto& e) { return now >= e.second + interval_; });
  if (served_.size() >= max_addresses_) return false;
  served_.emplace(unit, now);
  return true;
}

}  // namespace cairn::tracker
