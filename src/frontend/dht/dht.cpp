#include "frontend/dht/dht.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace cairn::frontend::dht {

namespace krpc = codec::krpc;
using tracker::AnnounceRequest;
using tracker::dht::bep42_valid;
using tracker::dht::Scope;
using tracker::dht::scope_of;

namespace {

// The fixed texts of Cairn's KRPC errors.
constexpr std::string_view kBadArguments = "invalid arguments";
constexpr std::string_view kBadToken = "bad token";
constexpr std::string_view kMethodUnknown = "method unknown";

constexpr std::size_t kTokenSize = 8;  // a write token: one connection id's bytes

// An error reply, unless it would be larger than the packet that caused
// it: a spoofed query must not make Cairn send more than it received.
std::size_t refusal(std::string_view transaction, krpc::ErrorCode code, std::string_view text,
                    const core::Endpoint& to, std::size_t request_size,
                    std::span<std::uint8_t> out) {
  const std::size_t n = krpc::encode_error(transaction, code, text, to, out);
  return n <= request_size ? n : 0;
}

NodeId node_id(std::string_view bytes) { return NodeId::from_bytes(bytes); }

}  // namespace

struct Dht::Query {
  const krpc::Message& m;
  const core::Endpoint& from;
  core::Seconds now;
  core::Millis now_ms;
  DhtWorker& worker;
  AccessView& access;
  std::size_t request_size;

  krpc::Reply reply(const NodeId& own) const {
    krpc::Reply r;
    r.transaction = m.transaction;
    r.requester = from;
    r.id = own.view();
    return r;
  }
};

DhtWorker::DhtWorker(const DhtPolicy& policy, std::size_t workers, std::uint64_t seed)
    : queue_(std::max<std::size_t>(policy.verify_queue / std::max<std::size_t>(workers, 1), 1),
             policy.verify_delay),
      rng_(seed) {}

Dht::Dht(const DhtPolicy& policy, const NodeId& id, Tracker* bridge)
    : policy_(policy),
      id_(id),
      bridge_(policy.bridge ? bridge : nullptr),
      table4_({policy.max_nodes, policy.handouts_per_minute}),
      table6_({policy.max_nodes, policy.handouts_per_minute}),
      tokens_(300) {}

core::PeerId Dht::peer_id_for(std::string_view node_id) {
  core::PeerId id;
  std::memcpy(id.bytes.data(), "-DH-", 4);
  std::memcpy(id.bytes.data() + 4, node_id.data(), std::min<std::size_t>(node_id.size(), 16));
  return id;
}

std::size_t Dht::handle(std::span<const std::uint8_t> packet, const core::Endpoint& from,
                        core::Seconds now, core::Millis now_ms, DhtWorker& worker,
                        AccessView& access, std::span<std::uint8_t> out, Outcome& outcome) {
  auto decoded = krpc::decode(packet);
  if (!decoded) {
    const auto& failure = decoded.error();
    outcome = failure.sendable() ? Outcome::bad_query : Outcome::garbage;
    if (!failure.sendable()) return 0;
    return refusal(failure.transaction, krpc::ErrorCode::protocol, kBadArguments, from,
                   packet.size(), out);
  }
  const krpc::Message& m = *decoded;
  switch (m.type) {
    case krpc::Type::response:
      outcome = take_reply(m, from, now);
      return 0;
    case krpc::Type::error:
      outcome = Outcome::error_received;
      return 0;
    case krpc::Type::query:
      break;
  }
  maybe_verify_later(m, from, now, worker);
  return answer(Query{m, from, now, now_ms, worker, access, packet.size()}, out, outcome);
}

std::size_t Dht::answer(const Query& q, std::span<std::uint8_t> out, Outcome& outcome) {
  switch (q.m.method) {
    case krpc::Method::ping:
      outcome = Outcome::ping;
      return krpc::encode_reply(q.reply(id_), out);
    case krpc::Method::find_node:
      outcome = Outcome::find_node;
      return find_node(q, out);
    case krpc::Method::get_peers:
      outcome = Outcome::get_peers;
      return get_peers(q, out);
    case krpc::Method::announce_peer:
      return announce_peer(q, out, outcome);
    case krpc::Method::unknown:
      break;
  }
  outcome = Outcome::unknown_method;
  return error(q, krpc::ErrorCode::method, kMethodUnknown, out);
}

std::size_t Dht::error(const Query& q, krpc::ErrorCode code, std::string_view text,
                       std::span<std::uint8_t> out) const {
  return refusal(q.m.transaction, code, text, q.from, q.request_size, out);
}

void Dht::nodes_for(const Query& q, std::string_view target, std::size_t count, krpc::Reply& reply,
                    std::span<std::uint8_t> buf4, std::span<std::uint8_t> buf6) {
  // BEP 32: "want" decides; without it, the family the query came over.
  const bool v4 = q.from.family() == core::Family::v4;
  const bool want4 = q.m.want_present ? q.m.want_n4 : v4;
  const bool want6 = q.m.want_present ? q.m.want_n6 : !v4;
  const Scope scope = scope_of(q.from.address);
  auto& nodes = q.worker.nodes_;
  count = std::min(count, nodes.size());
  auto fill = [&](core::Family f, std::span<std::uint8_t> buf) {
    const std::size_t n =
        table(f).closest(node_id(target), q.from, scope, q.now_ms, std::span(nodes).first(count));
    std::size_t size = 0;
    for (std::size_t i = 0; i < n; ++i)
      size += krpc::write_compact_node(nodes[i].id.view(), nodes[i].endpoint, buf.data() + size);
    return std::string_view(reinterpret_cast<const char*>(buf.data()), size);
  };
  if (want4) reply.nodes = fill(core::Family::v4, buf4);
  if (want6) reply.nodes6 = fill(core::Family::v6, buf6);
}

std::size_t Dht::find_node(const Query& q, std::span<std::uint8_t> out) {
  std::array<std::uint8_t, 16 * krpc::kNodeSize4> buf4;
  std::array<std::uint8_t, 16 * krpc::kNodeSize6> buf6;
  krpc::Reply r = q.reply(id_);
  nodes_for(q, q.m.target, policy_.nodes_per_reply, r, buf4, buf6);
  return krpc::encode_reply(r, out);
}

std::size_t Dht::get_peers(const Query& q, std::span<std::uint8_t> out) {
  std::array<std::uint8_t, kGetPeersNodes * krpc::kNodeSize4> buf4;
  std::array<std::uint8_t, kGetPeersNodes * krpc::kNodeSize6> buf6;
  krpc::Reply r = q.reply(id_);
  const std::uint64_t token = tokens_.issue(q.from.address, q.now);
  r.token = std::string_view(reinterpret_cast<const char*>(&token), kTokenSize);
  nodes_for(q, q.m.info_hash, std::min<std::size_t>(policy_.nodes_per_reply, kGetPeersNodes), r,
            buf4, buf6);
  if (!bridge_) return krpc::encode_reply(r, out);

  // Values of the query's own family (BEP 32), as many as keep the reply
  // within kMaxReply.
  const bool v4 = q.from.family() == core::Family::v4;
  r.value_size = v4 ? 6 : 18;
  const std::size_t base = krpc::reply_size(r);
  const std::size_t room =
      base < kMaxReply ? (kMaxReply - base) / krpc::value_cost(r.value_size) : 0;
  auto& peers = q.worker.peers_;
  auto found =
      bridge_->lookup(core::InfoHash::from_bytes(q.m.info_hash), static_cast<std::uint32_t>(room),
                      v4, !v4, q.worker.rng(), peers, q.access);
  if (!found || peers.view().empty()) {
    r.value_size = 0;
    return krpc::encode_reply(r, out);
  }
  // The store's compact entries are the values' bytes already.
  const auto values = peers.view().compact(q.from.family());
  r.values = std::string_view(reinterpret_cast<const char*>(values.data()), values.size());
  return krpc::encode_reply(r, out);
}

std::size_t Dht::announce_peer(const Query& q, std::span<std::uint8_t> out, Outcome& outcome) {
  std::uint64_t token = 0;
  if (q.m.token.size() == kTokenSize) std::memcpy(&token, q.m.token.data(), kTokenSize);
  if (q.m.token.size() != kTokenSize || !tokens_.valid(token, q.from.address, q.now)) {
    outcome = Outcome::bad_token;
    return error(q, krpc::ErrorCode::protocol, kBadToken, out);
  }
  if (bridge_) {
    AnnounceRequest a;
    a.info_hash = core::InfoHash::from_bytes(q.m.info_hash);
    a.peer_id = peer_id_for(q.m.id);
    a.endpoint = {q.from.address, q.m.implied_port ? q.from.port : q.m.port.value_or(0)};
    a.seeder = q.m.seed;
    a.numwant = 0;
    a.now = q.now;
    auto done = bridge_->announce(a, q.worker.rng(), q.worker.peers_, q.access);
    if (!done) {
      outcome = Outcome::refused;
      return error(q, krpc::ErrorCode::generic, tracker::error_text(done.error()), out);
    }
  }
  outcome = Outcome::announce_peer;
  return krpc::encode_reply(q.reply(id_), out);
}

Outcome Dht::take_reply(const krpc::Message& m, const core::Endpoint& from, core::Seconds now) {
  const NodeId id = node_id(m.id);
  if (!cookies_.valid(m.transaction, from, id, now) || !bep42_valid(id, from.address))
    return Outcome::reply_rejected;
  table(from.family()).insert(id, from, now);
  return Outcome::node_verified;
}

void Dht::maybe_verify_later(const krpc::Message& m, const core::Endpoint& from, core::Seconds now,
                             DhtWorker& worker) const {
  if (m.read_only || from.port == 0 || from.address.is_unspecified()) return;
  const NodeId id = node_id(m.id);
  if (!bep42_valid(id, from.address)) return;  // its reply would be rejected: spare the ping
  worker.queue_.add(id, from, now);
}

std::size_t Dht::encode_ping(const PendingNode& node, core::Seconds now,
                             std::span<std::uint8_t> out) const {
  const auto cookie = cookies_.issue(node.endpoint, node.id, now);
  krpc::Query q;
  q.transaction = std::string_view(reinterpret_cast<const char*>(cookie.data()), cookie.size());
  q.method = krpc::Method::ping;
  q.id = id_.view();
  return krpc::encode_query(q, out);
}

}  // namespace cairn::frontend::dht
