#pragma once
// Open connections per client address, for http.max_connections_per_address:
// without it one address holding slow connections could fill the process's
// connection cap and lock everyone else out. IPv6 addresses count per /64
// (one subscriber's prefix), as the rate limiter does. Trusted networks
// (the operator's own) are not counted. Exact counts in a sharded map,
// touched on accept and close only; safe from any thread.
#include <array>
#include <cstdint>
#include <mutex>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "core/endpoint.hpp"

namespace cairn::net {

class AddressConnections {
 public:
  // max 0: no limit.
  AddressConnections(std::uint32_t max, std::vector<core::Network> trusted)
      : max_(max), trusted_(std::move(trusted)) {}

  // One more connection from `a`, or false when it holds `max` already.
  bool take(const core::Address& a);
  // After a connection take() admitted closed.
  void give_back(const core::Address& a);
  std::uint32_t max() const { return max_; }

 private:
  struct Key {
    std::array<std::uint8_t, 16> bytes{};
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept;
  };
  struct Shard {
    std::mutex mutex;
    boost::unordered_flat_map<Key, std::uint32_t, KeyHash> open;
  };
  static constexpr std::size_t kShards = 16;

  bool counted(const core::Address& a) const;
  static Key key_of(const core::Address& a);

  std::uint32_t max_;
  std::vector<core::Network> trusted_;
  std::array<Shard, kShards> shards_;
};

}  // namespace cairn::net
