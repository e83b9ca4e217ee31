#include "redis/ws_relay.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "codec/websocket_frame.hpp"
#include "codec/ws_relay.hpp"
#include "store/redis/keys.hpp"

namespace cairn::redis {

using store::redis::Batch;
using store::redis::Hex;
using store::redis::Replies;
using store::redis::Script;

namespace {

using Clock = std::chrono::steady_clock;

// KEYS: the swarm's peers (hash), their expiry (sorted set). ARGV: peer,
// node, ttl, want. Records the peer, trims at most 16 expired ones, and
// returns up to `want` (peer, node) pairs of other nodes.
const Script& join_script() {
  static const Script s(R"lua(
local now = tonumber(redis.call('TIME')[1])
local ttl = tonumber(ARGV[3])
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 16)
for _, p in ipairs(old) do
  redis.call('HDEL', KEYS[1], p)
  redis.call('ZREM', KEYS[2], p)
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
redis.call('EXPIRE', KEYS[1], ttl + 60)
redis.call('EXPIRE', KEYS[2], ttl + 60)
local want = tonumber(ARGV[4])
local out = {}
if want > 0 then
  local drawn = redis.call('HRANDFIELD', KEYS[1], 2 * want + 1, 'WITHVALUES')
  for i = 1, #drawn, 2 do
    if #out < 2 * want and drawn[i + 1] ~= ARGV[2] then
      out[#out + 1] = drawn[i]
      out[#out + 1] = drawn[i + 1]
    end
  end
end
return out
)lua");
  return s;
}

template <std::size_t N>
bool from_hex(std::string_view hex, std::array<std::uint8_t, N>& out) {
  std::size_t len = 0;
  return hex.size() == 2 * N &&
         sodium_hex2bin(out.data(), N, hex.data(), hex.size(), nullptr, &len, nullptr) == 0 &&
         len == N;
}

std::string bytes_of(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out.append(p);
  return out;
}

}  // namespace

struct WsRelay::Pending {
  core::PeerId from;
  tracker::NodeId node{};
  Clock::time_point until;
};

WsRelay::WsRelay(std::shared_ptr<ClusterClient> cluster, WsRelayOptions options,
                 const tracker::SignalingSwarms& swarms, Deliver deliver)
    : cluster_(std::move(cluster)),
      options_(std::move(options)),
      swarms_(swarms),
      deliver_(std::move(deliver)) {
  randombytes_buf(node_.data(), node_.size());
  subscriber_ = std::make_unique<ShardedSubscriber>(
      cluster_, [this](std::string_view c, std::string_view p) { received(c, p); });
}

WsRelay::~WsRelay() { stop(); }

// Every peer of this node leaves Redis in one pipelined exchange (not one
// per connection as the workers close them), so a node with many browsers
// stops quickly and other nodes stop offering to them at once.
void WsRelay::stop() {
  std::unordered_set<std::string> members;
  {
    std::lock_guard lock(mutex_);  // announce() and leave() use them under the lock
    members.swap(members_);
    swarms_held_.clear();
  }
  // Outside the lock: the subscriber's thread, joined here, may be waiting
  // for it in received(). The subscriber itself stays (stopped) until the
  // relay goes, so the workers may still call it.
  subscriber_->stop();
  if (members.empty()) return;
  Batch batch;
  Replies replies;
  std::string buffer;
  for (const std::string& m : members) {
    const auto info_hash = core::InfoHash::from_bytes(std::string_view(m).substr(0, 20));
    const Hex h(info_hash.bytes),
        peer(std::span(reinterpret_cast<const std::uint8_t*>(m.data()) + 20, 20));
    for (auto [command, kind] : {std::pair{"HDEL", "w"}, std::pair{"ZREM", "wt"}}) {
      batch.command(h.slot());
      batch.arg(command);
      batch.arg(store::redis::key_name(buffer, options_.name_space, kind, h.view()));
      batch.arg(peer.view());
    }
  }
  cluster_->exec(batch, replies);  // what fails expires by itself
}

std::string WsRelay::channel(const core::InfoHash& info_hash, const tracker::NodeId& node) const {
  std::string buffer;
  std::string name(
      store::redis::key_name(buffer, options_.name_space, "wc", Hex(info_hash.bytes).view()));
  return name.append(":").append(Hex(node).view());
}

void WsRelay::publish(Batch& batch, const core::InfoHash& info_hash, const tracker::NodeId& to,
                      std::string_view payload) const {
  const std::string name = channel(info_hash, to);
  batch.command(store::redis::key_slot(name));
  batch.arg("SPUBLISH");
  batch.arg(name);
  batch.arg(payload);
}

void WsRelay::announce(const core::InfoHash& info_hash, const core::PeerId& peer,
                       std::uint32_t want, std::vector<tracker::RemotePeer>& others) {
  others.clear();
  std::string listening;  // the swarm's channel, if this announce asked for it
  {
    std::lock_guard lock(mutex_);
    // A peer counts once however often it announces; the node listens on
    // the swarm's channel while it holds any.
    const bool added = members_.insert(bytes_of({info_hash.view(), peer.view()})).second;
    if (added && ++swarms_held_[std::string(info_hash.view())] == 1) {
      listening = channel(info_hash, node_);
      subscriber_->subscribe(listening);
    }
  }
  const Hex h(info_hash.bytes);
  std::string buffer;
  Batch batch;
  Replies replies;
  batch.script(h.slot(), join_script());
  batch.arg(std::int64_t{2});
  batch.arg(store::redis::key_name(buffer, options_.name_space, "w", h.view()));
  batch.arg(store::redis::key_name(buffer, options_.name_space, "wt", h.view()));
  batch.arg(Hex(peer.bytes).view());
  batch.arg(Hex(node_).view());
  batch.arg(static_cast<std::int64_t>(options_.peer_ttl.count()));
  batch.arg(std::int64_t{want});
  cluster_->exec(batch, replies);
  if (!replies.answered(0)) return;  // this node's peers still have each other
  // The answers to this peer's offers come back on that channel: a fast one
  // published before Redis confirmed it would be lost. Asked for before the
  // script, it is confirmed by now unless the subscriber had to connect.
  if (!listening.empty())
    subscriber_->wait_subscribed(listening, Clock::now() + cluster_->options().timeout);
  const auto r = replies.at(0);
  if (r.type() != codec::resp::Type::array) return;
  for (std::uint32_t i = 0; i + 1 < r.size() && others.size() < want; i += 2) {
    tracker::RemotePeer p;
    if (!r.at(i).is_text() || !r.at(i + 1).is_text() ||
        !from_hex(r.at(i).text(), p.peer_id.bytes) || !from_hex(r.at(i + 1).text(), p.node) ||
        p.node == node_ || p.peer_id == peer)
      continue;
    others.push_back(p);
  }
}

void WsRelay::leave(const core::InfoHash& info_hash, const core::PeerId& peer) {
  {
    std::lock_guard lock(mutex_);
    auto it = members_.find(bytes_of({info_hash.view(), peer.view()}));
    if (it == members_.end()) return;  // never announced here (or gone already)
    members_.erase(it);
    auto held = swarms_held_.find(std::string(info_hash.view()));
    if (held != swarms_held_.end() && --held->second == 0) {
      swarms_held_.erase(held);
      subscriber_->unsubscribe(channel(info_hash, node_));
    }
  }
  const Hex h(info_hash.bytes);
  std::string buffer;
  Batch batch;
  Replies replies;
  for (auto [command, kind] : {std::pair{"HDEL", "w"}, std::pair{"ZREM", "wt"}}) {
    batch.command(h.slot());
    batch.arg(command);
    batch.arg(store::redis::key_name(buffer, options_.name_space, kind, h.view()));
    batch.arg(Hex(peer.bytes).view());
  }
  cluster_->exec(batch, replies);  // if it fails, the record expires by itself
}

void WsRelay::offer(const core::InfoHash& info_hash, const core::PeerId& from,
                    std::span<const tracker::RemoteOffer> offers) {
  if (offers.empty()) return;
  Batch batch;
  Replies replies;
  std::string payload;
  for (const auto& o : offers) {
    payload.clear();
    codec::ws_relay::encode(
        {codec::ws_relay::Kind::offer, info_hash, from, o.to.peer_id, o.offer_id, node_, o.message},
        payload);
    publish(batch, info_hash, o.to.node, payload);
  }
  cluster_->exec(batch, replies);  // a lost offer is one the browser gets no answer to
}

bool WsRelay::answer(const core::InfoHash& info_hash, const core::PeerId& from,
                     const core::PeerId& to, const core::OfferId& offer_id,
                     std::string_view message) {
  tracker::NodeId node;
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(bytes_of({info_hash.view(), from.view(), offer_id.view()}));
    if (it == pending_.end() || it->second.from != to || it->second.until <= Clock::now())
      return false;
    node = it->second.node;
    pending_.erase(it);  // answered once
  }
  std::string payload;
  codec::ws_relay::encode(
      {codec::ws_relay::Kind::answer, info_hash, from, to, offer_id, node_, message}, payload);
  Batch batch;
  Replies replies;
  publish(batch, info_hash, node, payload);
  cluster_->exec(batch, replies);
  return true;
}

// On the subscriber's thread.
void WsRelay::received(std::string_view /*channel*/, std::string_view payload) {
  const auto r = codec::ws_relay::parse(payload);
  if (!r || r->from_node == node_) return;
  const auto to = swarms_.where(r->info_hash, r->to_peer);
  if (!to) return;  // left meanwhile, or not here
  if (r->kind == codec::ws_relay::Kind::offer) {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    if (pending_.size() >= kMaxPending)
      std::erase_if(pending_, [now](const auto& e) { return e.second.until <= now; });
    if (pending_.size() >= kMaxPending) return;  // no room to route its answer back
    pending_[bytes_of({r->info_hash.view(), r->to_peer.view(), r->offer_id.view()})] = {
        r->from_peer, r->from_node, now + options_.offer_ttl};
  }
  std::string frame;
  codec::ws::write_frame(frame, codec::ws::Opcode::text, r->message);
  deliver_(*to, std::move(frame));
}

}  // namespace cairn::redis
