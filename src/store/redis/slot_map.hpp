#pragma once
// Which master serves each of the cluster's slots, as the cluster last told
// us: read from a CLUSTER SHARDS reply (Redis 7) or a CLUSTER SLOTS reply
// (older servers), and corrected one slot at a time by MOVED redirections
// (redirect.hpp). Pure data: the client that asks and follows is in
// src/redis/.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/resp.hpp"
#include "store/redis/key_slot.hpp"

namespace cairn::store::redis {

struct NodeAddress {
  std::string host;  // as the cluster names it: an IP address (v4 or v6) or a host name
  std::uint16_t port = 0;

  // "host:port" (the port after the last colon, so "::1:6379" works too,
  // as do "[::1]:6379" and Redis's ":6379", which means `default_host`);
  // nullopt if the port is not 1-65535 or no host is known.
  static std::optional<NodeAddress> parse(std::string_view text, std::string_view default_host);
  std::string to_string() const;
  friend bool operator==(const NodeAddress&, const NodeAddress&) = default;
};

class SlotMap {
 public:
  SlotMap() { owner_.fill(kNone); }

  // nullopt when a reply is not the shape its command returns. A slot with
  // no live master (its master failed and no replica has taken over yet)
  // has no owner. `asked` is the node the reply came from: the cluster
  // leaves a node's address out when it is the one asked. `tls`: a client
  // over TLS takes a node's "tls-port" (a TLS-only node has no "port").
  static std::optional<SlotMap> from_shards(codec::resp::Reply reply, const NodeAddress& asked,
                                            bool tls = false);
  static std::optional<SlotMap> from_slots(codec::resp::Reply reply, const NodeAddress& asked);

  const std::vector<NodeAddress>& nodes() const { return nodes_; }
  // Index into nodes() of the slot's master, or nullopt.
  std::optional<std::size_t> owner(std::uint16_t slot) const {
    const std::uint16_t at = owner_[slot % kSlots];
    return at == kNone ? std::nullopt : std::optional<std::size_t>(at);
  }
  // After MOVED: `slot` is served by `node` from now on.
  void assign(std::uint16_t slot, const NodeAddress& node);
  // How many slots have an owner (16384 when the cluster is whole).
  std::size_t covered() const;

 private:
  static constexpr std::uint16_t kNone = 0xffff;
  std::size_t index_of(const NodeAddress& node);
  void assign_range(std::int64_t first, std::int64_t last, std::size_t node);

  std::vector<NodeAddress> nodes_;
  std::array<std::uint16_t, kSlots> owner_;
};

}  // namespace cairn::store::redis
