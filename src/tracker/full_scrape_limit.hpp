#pragma once
// The full scrape's per-address limit: one full scrape per address (IPv6:
// per /64, as the rate limiter counts) per interval. A full scrape is the
// whole tracker in one reply, so an address asking again within the
// interval would only get the same cached bytes: it is refused instead.
// Memory is bounded: at most `max_addresses` are remembered; when the
// table is full of addresses served within the interval, new ones are
// refused until it drains.
#include <array>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <mutex>

#include "core/endpoint.hpp"
#include "core/time.hpp"

namespace cairn::tracker {

class FullScrapeLimit {
 public:
  explicit FullScrapeLimit(core::Seconds interval, std::size_t max_addresses = 1 << 16)
      : interval_(interval), max_addresses_(max_addresses) {}

  // Whether `client` may have a full scrape at `now`; if so, remembers it.
  // Safe from any thread (full scrapes are rare: one lock for all).
  bool admit(const core::Address& client, core::Seconds now);

  core::Seconds interval() const { return interval_; }

 private:
  using Unit = std::array<std::uint8_t, 17>;  // family, then the address or its /64
  struct UnitHash {
    std::size_t operator()(const Unit& u) const noexcept;
  };
  static Unit unit_of(const core::Address& a);

  core::Seconds interval_;
  std::size_t max_addresses_;
  std::mutex mutex_;
  boost::unordered_flat_map<Unit, core::Seconds, UnitHash> served_;
};

}  // namespace cairn::tracker
