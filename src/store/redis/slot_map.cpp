#include "store/redis/slot_map.hpp"

#include <charconv>

namespace cairn::store::redis {

using codec::resp::Reply;
using codec::resp::Type;

namespace {

bool to_int(Reply r, std::int64_t& out) {
  if (r.type() == Type::integer) return out = r.integer(), true;
  if (r.type() != Type::bulk && r.type() != Type::simple) return false;
  const std::string_view t = r.text();
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && end == t.data() + t.size();
}

// A field of a RESP2 key-value array or a RESP3 map.
std::optional<Reply> field(Reply r, std::string_view name) {
  if (!r.is_aggregate() || r.size() % 2 != 0) return std::nullopt;
  for (std::uint32_t i = 0; i + 1 < r.size(); i += 2) {
    const Reply key = r.at(i);
    if (key.is_text() && key.text() == name) return r.at(i + 1);
  }
  return std::nullopt;
}

std::string_view text_of(const std::optional<Reply>& r) {
  return r && r->is_text() ? r->text() : std::string_view();
}

// A node's address in a CLUSTER SHARDS entry; "" or "?" endpoints mean
// "the node you asked" and "unknown".
std::optional<NodeAddress> shard_node_address(Reply node, const NodeAddress& asked, bool tls) {
  std::int64_t port = 0;
  const auto port_field = field(node, tls ? "tls-port" : "port");
  if (!port_field || !to_int(*port_field, port) || port < 1 || port > 65535) return std::nullopt;
  std::string_view host = text_of(field(node, "endpoint"));
  if (host.empty() || host == "?") host = text_of(field(node, "ip"));
  if (host == "?") return std::nullopt;
  return NodeAddress{std::string(host.empty() ? asked.host : host),
                     static_cast<std::uint16_t>(port)};
}

}  // namespace

std::optional<NodeAddress> NodeAddress::parse(std::string_view text,
                                              std::string_view default_host) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
    return std::nullopt;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = default_host;
  if (host.empty() || host == "?") return std::nullopt;
  return NodeAddress{std::string(host), static_cast<std::uint16_t>(port)};
}

std::string NodeAddress::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::size_t SlotMap::index_of(const NodeAddress& node) {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i] == node) return i;
  nodes_.push_back(node);
  return nodes_.size() - 1;
}

void SlotMap::assign_range(std::int64_t first, std::int64_t last, std::size_t node) {
  for (std::int64_t s = first; s <= last; ++s)
    owner_[static_cast<std::size_t>(s)] = static_cast<std::uint16_t>(node);
}

void SlotMap::assign(std::uint16_t slot, const NodeAddress& node) {
  owner_[slot % kSlots] = static_cast<std::uint16_t>(index_of(node));
}

std::size_t SlotMap::covered() const {
  std::size_t n = 0;
  for (std::uint16_t o : owner_) n += o != kNone;
  return n;
}

// [ {slots: [a, b, c, d, ...], nodes: [{id, port, ip, endpoint, role, health, ...}, ...]}, ...]
std::optional<SlotMap> SlotMap::from_shards(Reply reply, const NodeAddress& asked, bool tls) {
  if (reply.type() != Type::array) return std::nullopt;
  SlotMap map;
  for (Reply shard : reply) {
    const auto slots = field(shard, "slots");
    const auto nodes = field(shard, "nodes");
    if (!slots || !nodes || !slots->is_aggregate() || !nodes->is_aggregate() ||
        slots->size() % 2 != 0)
      return std::nullopt;
    std::optional<NodeAddress> master;
    for (Reply node : *nodes) {
      if (text_of(field(node, "role")) != "master") continue;
      if (text_of(field(node, "health")) != "online") continue;  // failed or loading
      master = shard_node_address(node, asked, tls);
    }
    if (!master) continue;  // the shard's slots have no master now
    const std::size_t at = map.index_of(*master);
    for (std::uint32_t i = 0; i < slots->size(); i += 2) {
      std::int64_t first = 0, last = 0;
      if (!to_int(slots->at(i), first) || !to_int(slots->at(i + 1), last) || first < 0 ||
          last >= kSlots || first > last)
        return std::nullopt;
      map.assign_range(first, last, at);
    }
  }
  return map;
}

// [ [first, last, [host, port, id, ...], replica..., ], ... ]
std::optional<SlotMap> SlotMap::from_slots(Reply reply, const NodeAddress& asked) {
  if (reply.type() != Type::array) return std::nullopt;
  SlotMap map;
  for (Reply range : reply) {
    std::int64_t first = 0, last = 0, port = 0;
    if (!range.is_aggregate() || range.size() < 3 || !to_int(range.at(0), first) ||
        !to_int(range.at(1), last) || first < 0 || last >= kSlots || first > last)
      return std::nullopt;
    const Reply master = range.at(2);
    if (!master.is_aggregate() || master.size() < 2 || !master.at(0).is_text() ||
        !to_int(master.at(1), port) || port < 1 || port > 65535)
      return std::nullopt;
    const std::string_view host = master.at(0).text();
    if (host == "?") continue;  // an unknown endpoint: no usable master
    map.assign_range(first, last,
                     map.index_of({std::string(host.empty() ? asked.host : host),
                                   static_cast<std::uint16_t>(port)}));
  }
  return map;
}

}  // namespace cairn::store::redis
