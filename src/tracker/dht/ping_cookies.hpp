#pragma once
// Transaction ids for the pings that verify a node, made so that nothing
// needs to be remembered between the ping and its reply (a SYN cookie, as
// bittorrent's bootstrap-dht does it): a keyed hash (SipHash-2-4) of the
// node's endpoint, its id and a time slot, under a secret drawn at start. A
// reply counts only if its transaction id is the cookie of the endpoint it
// came from and the id it carries, so no one can get a node into the table
// without that node answering a ping sent to its own address. A cookie is
// accepted in its slot and the next (one to two minutes).
#include <array>
#include <cstdint>
#include <string_view>

#include "core/endpoint.hpp"
#include "core/time.hpp"
#include "tracker/dht/node_id.hpp"

namespace cairn::tracker::dht {

class PingCookies {
 public:
  static constexpr core::Seconds kSlotSeconds = 60;
  static constexpr std::size_t kSize = 4;  // bytes of "t"
  using Cookie = std::array<std::uint8_t, kSize>;

  PingCookies();  // a random secret
  explicit PingCookies(const std::array<std::uint8_t, 16>& secret) : secret_(secret) {}

  Cookie issue(const core::Endpoint& node, const NodeId& id, core::Seconds now) const;
  bool valid(std::string_view transaction, const core::Endpoint& node, const NodeId& id,
             core::Seconds now) const;

 private:
  Cookie make(const core::Endpoint& node, const NodeId& id, std::uint32_t slot) const;
  std::array<std::uint8_t, 16> secret_;
};

}  // namespace cairn::tracker::dht
